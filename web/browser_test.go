package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/web"
)

// pageVisit is one page the every-page browser test opens, as the user who works in it.
type pageVisit struct {
	name, user, path string
}

// everyPage lists every page of the site with the user who opens it; {warning},
// {second}, {subject} and {other} are the fixture's IDs. TestEveryPageIsVisited fails
// when a GET route is missing here, so a new page is never left out of the phone, overflow
// and accessibility checks.
var everyPage = []pageVisit{
	{"login", "", "/login"},
	{"home", "liaison", "/"},
	{"inbox", "liaison", "/inbox"},
	{"inbox-filtered", "liaison", "/inbox?kind=notification&overdue=1"},
	{"outbox", "liaison", "/outbox"},
	{"overdue", "supervisor", "/overdue"},
	{"alerts", "liaison", "/alerts"},
	{"message-purpose-prompt", "liaison", "/messages/{warning}?ask=1"},
	{"message", "liaison", "/messages/{warning}?purpose=liaison-request"},
	{"message-repeated", "analyst", "/messages/{second}?purpose=investigation"},
	{"compose", "liaison", "/compose"},
	{"private", "liaison", "/private?subject={subject}"},
	{"subjects", "analyst", "/subjects"},
	{"subjects-named", "analyst", "/subjects?purpose=investigation"},
	{"subject-new", "analyst", "/subjects/new"},
	{"subject-purpose-prompt", "analyst", "/subjects/{subject}?ask=1"},
	{"subject", "analyst", "/subjects/{subject}?purpose=investigation"},
	{"subject-link-picker", "analyst", "/subjects/{subject}?link_q=Amimour&purpose=investigation"},
	{"subject-edit", "analyst", "/subjects/{subject}/edit?purpose=investigation"},
	{"subject-history", "analyst", "/subjects/{subject}/history?purpose=investigation"},
	{"search", "analyst", "/search?purpose=investigation&name=Mostefai"},
	{"matches", "analyst", "/matches"},
	{"matches-by-score", "analyst", "/matches?status=&sort=-score&purpose=investigation"},
	{"search-empty", "analyst", "/search?name=Zzyzx+Qwerty&born=1970"},
	{"reviews", "analyst", "/reviews"},
	{"audit", "oversight", "/audit"},
	{"oversight-report", "oversight", "/oversight"},
	{"admin-users", "admin2", "/admin/users"},
	{"admin-peers", "admin2", "/admin/peers"},
	{"admin-notifications", "admin2", "/admin/notifications"},
	{"admin-feeds", "admin2", "/admin/feeds"},
	{"admin-agreements", "admin2", "/admin/agreements"},
	{"my-notifications", "liaison", "/notifications"},
	{"tokens", "liaison", "/tokens"},
	{"password", "liaison", "/password"},
	{"settings", "liaison", "/settings"},
	{"refused", "analyst", "/admin/users"},
}

// TestEveryPageIsVisited: every page the site serves is in everyPage (the static files
// aside), so the browser test below covers pages added later too.
func TestEveryPageIsVisited(t *testing.T) {
	mux := http.NewServeMux()
	var patterns []string
	web.New(nil, nil, nil).Register(func(pattern string, _ http.Handler) {
		if strings.HasPrefix(pattern, "GET ") && pattern != "GET /static/" {
			patterns = append(patterns, pattern)
			mux.Handle(pattern, http.NotFoundHandler())
		}
	})
	seen := map[string]bool{}
	for _, p := range everyPage {
		path := strings.NewReplacer("{warning}", "w", "{second}", "s", "{subject}", "x", "{other}", "o").Replace(p.path)
		req, _ := http.NewRequest("GET", "http://node"+path, nil)
		_, pattern := mux.Handler(req)
		seen[pattern] = true
	}
	sort.Strings(patterns)
	for _, p := range patterns {
		if !seen[p] {
			t.Errorf("the page %q is not in everyPage (web/browser_test.go): add it, with the user who works in it, so it is checked on a phone and by axe", p)
		}
	}
}

// chromium returns the browser to drive, or skips (failing under CI=true).
func chromium(t *testing.T) string {
	path := os.Getenv("FOREWARN_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Chromium at %s", path)
		}
		testdata.Skip(t, "browser tests", fmt.Sprintf("no Chromium at %s: install it with 'apt-get install chromium' or set FOREWARN_CHROMIUM", path))
	}
	return path
}

// axeSource returns axe-core's script, installed from npm by .ci/run (FOREWARN_AXE names
// it; by default ../.cache/axe/node_modules/axe-core/axe.min.js); nothing is downloaded at
// test time. Without it the test skips, and fails under CI=true.
func axeSource(t *testing.T) string {
	path := os.Getenv("FOREWARN_AXE")
	if path == "" {
		path = filepath.Join("..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("no axe-core at %s: install it with 'npm install --prefix .cache/axe axe-core' or set FOREWARN_AXE", path)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		testdata.Skip(t, "accessibility tests", msg)
	}
	return string(src)
}

// axeViolation is one rule axe found broken, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// TestEveryPageInBrowser opens every page in Chromium at 1366×900 and at 390×844, as the
// user who works in it: no page is wider than the screen, axe-core finds no serious or
// critical violation (run once a page, at the desktop width), and each is kept as a
// screenshot under test-output/pages/.
func TestEveryPageInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := axeSource(t)
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	other := &forewarn.Subject{Names: []forewarn.Name{{Value: "Samy Amimour", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1987}, Watch: forewarn.WatchNone}
	if _, err := f.msgs.CreateSubject(ctx, forewarn.UserActor("analyst"), other); err != nil {
		t.Fatal(err)
	}
	ids := strings.NewReplacer("{warning}", f.warningID, "{second}", second, "{subject}", f.subjectID, "{other}", other.ID)

	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	user := ""
	for _, p := range everyPage {
		if p.user != user {
			b.signIn(f.srv.URL, p.user)
			user = p.user
		}
		for _, vp := range []struct {
			w, h int64
		}{{1366, 900}, {390, 844}} {
			b.run("open "+p.path, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(f.srv.URL+ids.Replace(p.path)), chromedp.WaitVisible(chromedp.CSS("footer")))
			wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide > int(vp.w) {
				culprits, _ := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll, nav.main')).slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')`))
				t.Errorf("%s at %d px is %d px wide: %v", p.name, vp.w, wide, culprits)
			}
			b.shot(filepath.Join(shots, fmt.Sprintf("%s-%d.png", p.name, vp.w)))
			if vp.w != 1366 {
				continue // one axe run a page: the rules it checks do not change with the width
			}
			for _, v := range b.axe(axe) {
				if v.Impact == "serious" || v.Impact == "critical" {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, fmt.Sprint(n.Target))
					}
					t.Errorf("%s at %d px: axe %s (%s): %s at %v", p.name, vp.w, v.ID, v.Impact, v.Help, where)
				}
			}
		}
	}
}

// chrome is a test's own tab of the package's headless Chromium (sharedChrome), in a
// browser context of its own: its cookies, storage and cache are the test's alone, as
// in a fresh browser.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// sharedChrome is the one Chromium the package's browser tests share, started by the
// first of them and closed after the last (testdata.AtExit). Each test starting its own
// browser spent a second or two of its time doing so.
var sharedChrome struct {
	sync.Mutex
	ctx context.Context // the browser's first tab, nil until started
}

func newChrome(t *testing.T, exe string) *chrome {
	sharedChrome.Lock()
	if sharedChrome.ctx == nil {
		dir, err := os.MkdirTemp("", "forewarn-web-chromium-")
		if err != nil {
			sharedChrome.Unlock()
			t.Fatal(err)
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.NoFirstRun, chromedp.UserDataDir(dir), chromedp.WindowSize(1366, 900))
		bctx, cancelBrowser := chromedp.NewContext(alloc)
		stop := func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
		// Started here, so that a browser that cannot start fails the test that wanted it;
		// on bctx itself, as the process lives as long as the context it starts on. (The
		// allocator's own time limit stops a browser that does not answer.)
		if err := chromedp.Do(bctx); err != nil {
			stop()
			sharedChrome.Unlock()
			t.Fatalf("start Chromium: %v", err)
		}
		sharedChrome.ctx = bctx
		testdata.AtExit(stop)
	}
	browser := sharedChrome.ctx
	sharedChrome.Unlock()

	// The budget only stops a tab that hangs: it is the test's own deadline, less a
	// minute to report, so a slow machine (helpers share two cores) is not a failure.
	budget := 20 * time.Minute
	if d, ok := t.Deadline(); ok {
		budget = time.Until(d) - time.Minute
	}
	ctx, cancel := context.WithTimeout(browser, budget)
	t.Cleanup(cancel)
	tab, cancelTab := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	return &chrome{t: t, ctx: tab}
}

func (c *chrome) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (c *chrome) shot(path string) {
	c.t.Helper()
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// signIn signs out whoever is signed in, then signs in as user through the form; user ""
// stays signed out.
func (c *chrome) signIn(base, user string) {
	c.t.Helper()
	c.run("open the sign-in page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("footer")))
	out, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('form[action="/logout"]'); if (f) { f.submit(); return true; } return false; })()`))
	if err != nil {
		c.t.Fatalf("sign out: %v", err)
	}
	if out {
		c.run("wait for the sign-in form", chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	}
	if user == "" {
		return
	}
	c.run("sign in as "+user, chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`nav.main`)))
}

// axe runs axe-core on the page shown and returns its violations.
func (c *chrome) axe(src string) []axeViolation {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.Evaluate[any](src+";true")); err != nil {
		c.t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("run axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		c.t.Fatalf("axe-core's answer: %v", err)
	}
	return vs
}

// TestBrowserFlows walks the checks in Chromium, each with a screenshot under
// test-output/pages/: the message banner names the matched subject; a surname alone
// finds him; the repeated match is confirmed in one click; two subjects are linked
// through the form's picker; reloading after creating a subject creates nothing.
func TestBrowserFlows(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "analyst")

	// The banner names the matched subject, linked.
	b.run("open the warning", chromedp.Navigate(base+"/messages/"+f.warningID+"?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS("#banner")))
	if got := b.text("#banner a.banner-subject"); got != "Ismaël Omar Mostefaï" {
		t.Errorf("the banner names %q, want the subject", got)
	}
	b.shot(filepath.Join(shots, "flow-1-banner.png"))

	// A surname alone, typed into the search form.
	b.run("search a surname alone", chromedp.Navigate(base+"/search"), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Mostefai"), chromedp.Click(chromedp.CSS(`form.filters button`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := b.text("#results"); !strings.Contains(got, "Ismaël Omar Mostefaï") {
		t.Errorf("searching “Mostefai” found %q", got)
	}
	b.shot(filepath.Join(shots, "flow-2-surname-search.png"))

	// Confirm the first match, then the second warning proposes the same in one click.
	b.run("confirm the first match", chromedp.Navigate(base+"/messages/"+f.warningID+"?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(`form.review`)),
		chromedp.SendKeys(chromedp.CSS(`form.review input[name=reason]`), "names, birth year and nationality agree"),
		chromedp.Click(chromedp.CSS(`form.review button.primary`)),
		// The subject's record opens next: asked why, the analyst keeps the default.
		chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)), chromedp.Click(chromedp.CSS(`#purpose-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	f.clock.Advance(time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	b.run("open the second warning", chromedp.Navigate(base+"/messages/"+second+"?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(`form.same-as`)))
	b.shot(filepath.Join(shots, "flow-3-same-as.png"))
	b.run("confirm in one click", chromedp.Click(chromedp.CSS(`form.same-as button`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := b.text("p.flash"); !strings.Contains(got, "Match confirmed") {
		t.Errorf("after one click the page says %q", got)
	}
	if ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: second, SubjectID: f.subjectID}); err != nil || len(ms) != 1 || ms[0].Status != forewarn.MatchConfirmed {
		t.Errorf("the repeated match is not confirmed: %+v %v", ms, err)
	}

	// Create a subject, reload the page the form led to: still one.
	count := func() int {
		_, n, err := f.node.Store.FindSubjects(ctx, forewarn.SystemActor("test"), forewarn.SubjectFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	b.run("create a subject", chromedp.Navigate(base+"/subjects/new"), chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Samy Amimour"), chromedp.SendKeys(chromedp.CSS(`input[name=born]`), "1987"),
		chromedp.Click(chromedp.CSS(`form button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)), chromedp.Click(chromedp.CSS(`#purpose-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	b.run("reload again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if n := count(); n != before+1 {
		t.Errorf("creating a subject and reloading twice made %d subjects, want 1", n-before)
	}
	b.shot(filepath.Join(shots, "flow-4-created-and-reloaded.png"))

	// Link the two through the form: find the other by name, pick, link.
	b.run("open the link form", chromedp.Navigate(base+"/subjects/"+f.subjectID+"?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(`#link summary`)),
		chromedp.Click(chromedp.CSS(`#link summary`)), chromedp.WaitVisible(chromedp.CSS(`#link input[name=link_q]`)),
		chromedp.SendKeys(chromedp.CSS(`#link input[name=link_q]`), "Amimour"), chromedp.Click(chromedp.CSS(`#link form[method=get] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#link input[name=to]`)))
	b.shot(filepath.Join(shots, "flow-5-link-picker.png"))
	b.run("link", chromedp.Click(chromedp.CSS(`#link form[method=post] button.primary`)), chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	links, err := f.node.Store.Associations(ctx, f.subjectID)
	if err != nil || len(links) != 1 {
		t.Fatalf("after linking through the form the subject has %d links: %v", len(links), err)
	}
	if got := b.text("#network"); !strings.Contains(got, "Samy Amimour") {
		t.Errorf("the network does not show the linked subject: %q", got)
	}
	b.shot(filepath.Join(shots, "flow-6-linked.png"))
}
