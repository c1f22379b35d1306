package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
)

// TestBrowserAskPrivately walks "Ask privately" in Chromium on two real nodes: France's
// liaison officer asks Turkey from the page of the subject in front of him (strong), then
// from a draft about a decoy born 1991 (none), each answer shown where he asked with a
// screenshot under test-output/screenshots/; Turkey's analyst sees who asked about which
// of his subjects; a partner whose agreement does not cover private queries is refused
// on the page, with the term, and nothing reaches it.
func TestBrowserAskPrivately(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	be := forewarn.Agency{Code: "BE-VSSE", Name: "Veiligheid van de Staat", Country: "BE"}
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR, be}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr, bel := c.node(agencyTR.Code), c.node(agencyFR.Code), c.node(be.Code)
	for _, rt := range []*liveNode{tr, fr} {
		if !webMounted(rt) {
			mountWeb(rt)
		}
	}
	held := &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}}
	if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), held); err != nil {
		t.Fatal(err)
	}
	mine := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}}
	if err := fr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), mine); err != nil {
		t.Fatal(err)
	}
	// France's agreement with Belgium covers warnings only.
	if err := fr.node.Store.SetAgreement(ctx, forewarn.SystemActor("test"), &forewarn.SharingAgreement{Agency: be.Code, Kinds: []forewarn.MessageKind{forewarn.KindNotification}, MaxTLP: forewarn.TLPAmber}); err != nil {
		t.Fatal(err)
	}

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
	login := func(rt *liveNode, user string) {
		t.Helper()
		run("open the sign-in page", chromedp.Navigate(rt.url+"/login"), chromedp.WaitVisible(chromedp.CSS("footer")))
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('form[action="/logout"]'); if (f) { f.submit(); return true; } return false; })()`)); err != nil {
			t.Fatalf("sign out: %v", err)
		}
		run("sign in as "+user, chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user), chromedp.SendKeys(chromedp.CSS(`input[name=password]`), demoPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button`)), chromedp.WaitVisible(chromedp.CSS(`nav.main`)))
	}
	expect := func(where, body string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q:\n%s", where, w, body)
			}
		}
	}

	// From the subject page: the person in front of him, asked of Turkey.
	login(fr, "liaison")
	run("open France's subject", chromedp.Navigate(fr.url+"/subjects/"+mine.ID+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS(`#ask-private`)))
	run("choose Turkey", chromedp.Click(chromedp.CSS(`#ask-private input[value="TR-MIT"]`)))
	shot("private-01-subject")
	run("ask privately", chromedp.Click(chromedp.CSS(`#ask-private button`)), chromedp.WaitVisible(chromedp.CSS(`ul.private-answer`)))
	expect("the answer to the subject page's question", read("ul.private-answer"), "TR-MIT: likely holds (strong)", "Ismaël Omar Mostefaï", "Send a named request")
	shot("private-02-answer")

	// From a draft: a decoy with the same name, born 1991, is not held.
	run("open a draft", chromedp.Navigate(fr.url+"/compose?kind=request"), chromedp.WaitVisible(chromedp.CSS(`#compose`)))
	run("fill the draft",
		chromedp.Click(chromedp.CSS(`#compose input[name=to][value="TR-MIT"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_name]`), "Ismaël Omar Mostefaï"),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_born]`), "1991"),
		chromedp.SendKeys(chromedp.CSS(`input[name=p1_name]`), "Omar Ismail Mostefai"),
		chromedp.SendKeys(chromedp.CSS(`input[name=p1_born]`), "1985"))
	run("ask privately from the draft", chromedp.Click(chromedp.CSS(`button[value=private]`)), chromedp.WaitVisible(chromedp.CSS(`#private-answers`)))
	body := read("#private-answers")
	expect("the answers on the draft", body, "TR-MIT: does not hold a likely match — Ismaël Omar Mostefaï", "TR-MIT: likely holds (strong) — Omar Ismail Mostefai", "send this draft as a request")
	if v, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(`input[name=p0_born]`))); err != nil || v != "1991" {
		t.Errorf("the draft lost what was typed: born %q, %v", v, err)
	}
	shot("private-03-draft")

	// Belgium is outside the agreement: refused on the page, naming the term.
	run("open the draft again", chromedp.Navigate(fr.url+"/compose?kind=request"), chromedp.WaitVisible(chromedp.CSS(`#compose`)))
	run("ask Belgium",
		chromedp.Click(chromedp.CSS(`#compose input[name=to][value="BE-VSSE"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_name]`), "Ismaël Omar Mostefaï"),
		chromedp.Click(chromedp.CSS(`button[value=private]`)), chromedp.WaitVisible(chromedp.CSS(`#private-answers`)))
	expect("the refusal on the draft", read("#private-answers"), "Not asked — BE-VSSE", "not private queries")
	shot("private-04-refused")
	if qs, err := bel.node.Store.PrivateQueries(ctx, forewarn.DirectionIn, 10); err != nil || len(qs) != 0 {
		t.Errorf("Belgium received %d private queries, want none: %v", len(qs), err)
	}

	login(tr, "analyst")
	// Turkey's side: who asked about which subject, named (and linked) for a purpose.
	run("open Turkey's private page", chromedp.Navigate(tr.url+"/private?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS("footer")))
	expect("Turkey's private queries", read("main"), "Asked of this node", "FR-DGSI", "Omar Ismail Mostefai")
	expect("the link to the subject that matched", read(`main a[href="/subjects/`+held.ID+`"]`), "Omar Ismail Mostefai")
	shot("private-05-holder")
}
