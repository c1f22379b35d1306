package main

import (
	"context"
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
)

// chromiumPath returns Debian's Chromium, or FOREWARN_CHROMIUM. Without it the browser test
// skips, except in CI, where a missing browser is a broken machine, not a reason to pass.
func chromiumPath(t *testing.T) string {
	path := os.Getenv("FOREWARN_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		msg := fmt.Sprintf("no Chromium at %s: install it with 'apt-get install chromium' or set FOREWARN_CHROMIUM", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		testdata.Skip(t, "browser tests", fmt.Sprintf("no Chromium at %s: install it with 'apt-get install chromium' or set FOREWARN_CHROMIUM", path))
	}
	return path
}

// webMounted reports whether a node already serves the pages, so the test mounts them only
// when startRuntime does not yet.
func webMounted(rt *liveNode) bool {
	res, err := http.Get(rt.url + "/login")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// TestBrowser walks the replayed case through the real pages of two real nodes in
// Chromium: France's liaison officer finds the overdue warning, reads why it matched his
// subject and acknowledges it; Turkey's node shows the acknowledgement; an analyst is
// refused the admin pages; a form without its CSRF token is refused and audited.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	c, err := m.startCluster(ctx, t.TempDir(), parisStart, []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := parisReplay(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if failed := r.failed(); len(failed) > 0 {
		t.Fatalf("the replay did not reach its end state: %+v", failed)
	}
	fr, tr := c.node(agencyFR.Code), c.node(agencyTR.Code)
	for _, rt := range []*liveNode{fr, tr} {
		if !webMounted(rt) {
			mountWeb(rt)
		}
	}
	warnings, _, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Kind: forewarn.KindNotification, Limit: 10})
	if err != nil || len(warnings) != 2 {
		t.Fatalf("France holds %d warnings, want 2: %v", len(warnings), err)
	}
	first, second := warnings[1].Message.ID, warnings[0].Message.ID // newest first

	shots := filepath.Join("..", "..", "test-output", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	read := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text := func(url string) string {
		t.Helper()
		run("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("footer")))
		return read("body")
	}
	login := func(rt *liveNode, user, shotName string) {
		t.Helper()
		// Signed in already (the nodes share a host, so a cookie), the sign-in page
		// redirects: sign out first, through the page's own form.
		run("open the sign-in page", chromedp.Navigate(rt.url+"/login"), chromedp.WaitVisible(chromedp.CSS("footer")))
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('form[action="/logout"]'); if (f) { f.submit(); return true; } return false; })()`)); err != nil {
			t.Fatalf("sign out: %v", err)
		}
		run("fill in the sign-in form", chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), demoPassword))
		if shotName != "" {
			shot(shotName)
		}
		run("sign in as "+user, chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`nav.main`)))
	}
	// Compared without case: the "You hold this person" mark is upper-cased by CSS, and
	// the browser returns text as rendered.
	expect := func(page, body string, want ...string) {
		t.Helper()
		t.Logf("%s checked at %s", page, time.Since(began).Round(time.Millisecond))
		for _, w := range want {
			if !strings.Contains(strings.ToLower(body), strings.ToLower(w)) {
				t.Errorf("%s lacks %q", page, w)
			}
		}
	}

	login(fr, "liaison", "01-login")
	body := text(fr.url + "/inbox?overdue=1")
	expect("France's overdue warnings", body, "Fifth individual identified", "Second notification", "overdue since", "You hold this person")
	shot("02-overdue-board")
	body = text(fr.url + "/inbox?purpose=liaison-request")
	// Relative times where a person decides, the exact time beside them and on hover;
	// "you hold this person" names the subject and links to it; most urgent first.
	expect("France's inbox", body, "Fifth individual identified", "You hold this person", "overdue 11 months", "overdue 5 months", "Ismaël Omar Mostefaï")
	hover, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`td span.rel`), "title"))
	if err != nil || !hover.Exists || !strings.Contains(hover.Value, "2014") {
		t.Errorf("the relative deadline has no exact time on hover: %+v %v", hover, err)
	}
	held, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`a.held-subject`), "href"))
	if err != nil || !held.Exists || !strings.HasPrefix(held.Value, "/subjects/") {
		t.Errorf("\"you hold this person\" does not link to the subject: %+v %v", held, err)
	}
	if i, j := strings.Index(body, "Fifth individual identified"), strings.Index(body, "Second notification"); i < 0 || j < 0 || i > j {
		t.Error("the inbox does not list the longest overdue warning first")
	}
	shot("03-inbox")
	// The same inbox on a tablet held upright: nothing may spill sideways.
	run("tablet viewport", chromedp.EmulateViewport(768, 1024), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("footer")))
	overflow, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		t.Error("the inbox is wider than a tablet's screen")
	}
	shot("03b-inbox-tablet")
	run("laptop viewport", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("footer")))

	// The warning names a person Turkey sent: the page asks why first, naming no one, with
	// the liaison officer's purpose chosen, so one click answers.
	run("open the December warning", chromedp.Click(chromedp.Search(`//a[contains(., "Fifth individual identified")]`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)))
	expect("the purpose prompt", read("main"), "Why are you opening this record?")
	if strings.Contains(read("main"), "Mostefai") {
		t.Error("the purpose prompt names the person")
	}
	run("give the purpose", chromedp.Click(chromedp.CSS(`#purpose-form button`)), chromedp.WaitVisible(chromedp.CSS(`#matches`)))
	body = read("main")
	expect("the December warning", body, "Omar Ismail Mostefai", "Ismaël Omar Mostefaï", "reordered", "diacritics", "Aligned name parts", "overdue since", "nobody yet")
	shot("04-message-match")

	run("take it", chromedp.Click(chromedp.CSS(`#take button`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	expect("the December warning once taken", read("#owner"), "liaison")
	expect("the flash after taking it", read("p.flash"), "Owner: liaison")
	shot("04b-taken")
	body = text(fr.url + "/inbox?mine=1")
	expect("France's liaison officer's own messages", body, "Fifth individual identified", "owner liaison")
	if strings.Contains(body, "Second notification") {
		t.Error("\"mine\" lists a warning nobody took")
	}
	run("back to the December warning", chromedp.Navigate(fr.url+"/messages/"+first+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS(`#ack`)))

	run("acknowledge it",
		chromedp.SetValue(chromedp.CSS(`#ack select[name=outcome]`), "action_taken"),
		chromedp.SetValue(chromedp.CSS(`#ack select[name=disclose]`), "desk"),
		chromedp.SendKeys(chromedp.CSS(`#ack textarea[name=reason]`), "Same man as our watch-listed subject; file updated and surveillance requested."),
		chromedp.Click(chromedp.CSS(`#ack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	body = read("main")
	expect("the warning after acknowledging", body, "Acknowledged; the acknowledgement is on its way to TR-MIT", "acknowledged")
	shot("05-acknowledged")

	if err := c.at(ctx, c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	login(tr, "liaison", "")
	body = text(tr.url + "/messages/" + first)
	expect("Turkey's copy of the December warning", body, "acknowledged", "action taken", "FR-DGSI's liaison desk",
		"Same man as our watch-listed subject; file updated and surveillance requested.")
	shot("06-sender-sees-ack")
	text(tr.url + "/outbox")
	shot("07-sender-outbox")

	login(fr, "analyst", "")
	body = text(fr.url + "/admin/users")
	expect("the admin page for an analyst", body, "403", "You are not allowed", "does not allow")
	shot("08-analyst-refused")
	run("list the subjects", chromedp.Navigate(fr.url+"/subjects"), chromedp.WaitVisible(chromedp.CSS(`td.title a`)))
	href, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`td.title a`), "href"))
	if err != nil || !href.Exists {
		t.Fatalf("no subject link: %v", err)
	}
	body = text(fr.url + href.Value + "?purpose=investigation") // the record opens for a purpose
	expect("France's subject page", body, "Conflicting claims", "no exit record", "Timeline", "Network")
	shot("09-subject")

	login(fr, "liaison", "")
	// The new choices for an alert: acknowledge the message, or record why not. There is
	// no "dealt with" without one.
	body = text(fr.url + "/alerts")
	expect("France's alerts", body, "Record why not", "Acknowledge the message")
	if strings.Contains(body, "Dealt with") {
		t.Error("the alerts page still offers \"Dealt with\"")
	}
	june := `li.alert-escalation:has(a[href="/messages/` + second + `"]) `
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](`document.querySelectorAll('form.why-not input[name=reason]').forEach(e => e.removeAttribute('required'))`)); err != nil {
		t.Fatal(err)
	}
	run("record why not, without a reason", chromedp.Click(chromedp.CSS(june+`form.why-not button`)), chromedp.WaitVisible(chromedp.CSS(`.form-error`)))
	expect("an answer without a reason", read(".form-error"), "say why")
	run("record why not",
		chromedp.SetValue(chromedp.CSS(june+`select[name=outcome]`), "forwarded"),
		chromedp.SendKeys(chromedp.CSS(june+`input[name=reason]`), "Forwarded to the competent service (DGSI Marseille)"),
		chromedp.Click(chromedp.CSS(june+`form.why-not button`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	expect("the alerts after answering", read("main"), "Recorded; the alert is closed")
	shot("09b-alert-answered")
	run("open the June warning", chromedp.Navigate(fr.url+"/messages/"+second+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS(`#ack`)))
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](`document.querySelectorAll('#ack input[name=csrf]').forEach(e => e.remove())`)); err != nil {
		t.Fatalf("drop the CSRF token: %v", err)
	}
	run("post the form without it",
		chromedp.SetValue(chromedp.CSS(`#ack select[name=outcome]`), "no_action"),
		chromedp.SendKeys(chromedp.CSS(`#ack textarea[name=reason]`), "forged"),
		chromedp.Click(chromedp.CSS(`#ack button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error-page`)))
	body = read("main")
	expect("the form without its CSRF token", body, "403", "CSRF")
	shot("10-csrf-refused")
	denied, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied", ActorID: "liaison", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	audited := false
	for _, e := range denied {
		audited = audited || (strings.Contains(e.ObjectID, second) && strings.Contains(e.Detail, "CSRF"))
	}
	if !audited {
		t.Error("the refused form is not in the audit trail")
	}
	if sm, err := fr.node.Store.Message(ctx, second); err != nil || sm.Deliveries[0].Actioned() {
		t.Errorf("the refused form acknowledged the June warning anyway (%v)", err)
	}

	run("open compose", chromedp.Navigate(fr.url+"/compose"), chromedp.WaitVisible(chromedp.CSS(`#compose`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_name]`), "Ismael Omar Mostefai"),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_born]`), "1985-11-21"),
		chromedp.WaitVisible(chromedp.CSS(`#draft-hits .hit`)))
	body = read("#draft-hits")
	expect("the compose page's live check", body, "your subject", "a person in the")
	shot("11-compose-check")

	login(fr, "oversight", "")
	run("verify the audit trail", chromedp.Navigate(fr.url+"/audit?action=access.denied&after=latest"), chromedp.Click(chromedp.CSS(`form[action="/audit/verify"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.verify`)))
	body = read("main")
	expect("the audit page", body, "The trail verifies")
	shot("12-audit-verified")
	// The verify page lists the trail from its start; the refusals are further on.
	expect("the refusals in the audit trail", text(fr.url+"/audit?action=access.denied"), "access.denied", "CSRF")
	expect("the acknowledgement's closed alerts in the audit trail", text(fr.url+"/audit?action=alert.resolve&after=latest"), "closed by acknowledgement", "competent service")
}
