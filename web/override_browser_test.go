package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/keyfile"
)

// TestBrowserOverride: in a real browser, a supervisor passes Turkey's warning on to
// Belgium without Turkey's consent under an imminent threat to life: the form needs the
// justification, the page then shows the override with it, the forward to Belgium and the
// notice telling Turkey at once are queued, and the oversight report flags the override.
func TestBrowserOverride(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	be := keyfile.FromSeed(append([]byte{2}, make([]byte, 31)...))
	if err := f.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), &forewarn.Peer{Agency: forewarn.Agency{Code: "BE-VSSE", Name: "VSSE", Country: "BE"}, BaseURL: "http://127.0.0.1:9", PublicKey: be.PublicKey()}); err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "supervisor")

	b.run("open the warning", chromedp.Navigate(base+"/messages/"+f.warningID+"?purpose=threat-assessment"), chromedp.WaitVisible(chromedp.CSS("#override-form")))
	// Submitting without a justification goes nowhere: the browser asks for it.
	b.run("submit without a justification", chromedp.SetValue(chromedp.CSS(`#override-form select[name=to]`), "BE-VSSE"), chromedp.Click(chromedp.CSS(`#override-form button`)))
	if fws, err := f.node.Store.Forwards(ctx, forewarn.ForwardFilter{MessageID: f.warningID}); err != nil || len(fws) != 0 {
		t.Fatalf("an override without a justification made forwards %+v, %v", fws, err)
	}
	b.shot(filepath.Join(shots, "override-1-form.png"))

	b.run("override", chromedp.SetValue(chromedp.CSS(`#override-form select[name=to]`), "BE-VSSE"),
		chromedp.SendKeys(chromedp.CSS(`#override-form textarea[name=justification]`), "He is in Brussels tonight with a weapon"),
		chromedp.Click(chromedp.CSS(`#override-form button`)), chromedp.WaitVisible(chromedp.CSS(`#forward p.forward-status`)))
	if got := b.text("#forward"); !strings.Contains(got, "BE-VSSE") || !strings.Contains(got, "He is in Brussels tonight with a weapon") {
		t.Errorf("after the override the page says %q; want the forward to BE-VSSE with its justification", got)
	}
	b.shot(filepath.Join(shots, "override-2-done.png"))
	fws, err := f.node.Store.Forwards(ctx, forewarn.ForwardFilter{MessageID: f.warningID})
	if err != nil || len(fws) != 1 || fws[0].Status != forewarn.ForwardOverridden || fws[0].OverrideBy != "supervisor" || fws[0].ForwardedID == "" || fws[0].NoticeID == "" {
		t.Fatalf("forwards = %+v, %v; want one overridden by the supervisor, forwarded and noticed", fws, err)
	}
	notice, err := f.node.Store.Message(ctx, fws[0].NoticeID)
	if err != nil || notice.Message.To[0] != agencyTR.Code || notice.Message.Consent == nil || !notice.Message.Consent.Override {
		t.Errorf("the notice to Turkey: %+v, %v", notice, err)
	}
	sent, err := f.node.Store.Message(ctx, fws[0].ForwardedID)
	if err != nil || sent.Message.To[0] != "BE-VSSE" || sent.Message.Provenance == nil || !sent.Message.Provenance.Override {
		t.Errorf("the forward to Belgium: %+v, %v; want it carrying the override in its provenance", sent, err)
	}

	b.signIn(base, "oversight")
	b.run("open the oversight report", chromedp.Navigate(base+"/oversight"), chromedp.WaitVisible(chromedp.CSS("footer")))
	if got := b.text("main"); !strings.Contains(got, "forward.overridden") || !strings.Contains(got, "He is in Brussels tonight with a weapon") {
		t.Errorf("the oversight report does not flag the override:\n%s", got)
	}
	b.shot(filepath.Join(shots, "override-3-oversight.png"))

	// Every line of the report is a sentence the pages can say in French.
	now := f.node.Clock.Now()
	rep, err := f.node.OversightReport(ctx, forewarn.UserActor("oversight"), now.AddDate(0, -1, 0), now.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, evs := range [][]app.OversightEvent{rep.Disclosures, rep.Consents, rep.Overrides, rep.Consultations, rep.Refusals} {
		for _, ev := range evs {
			if _, ok := forewarn.ParseAuditDetail(ev.Action, ev.Detail); !ok {
				t.Errorf("the report's line %s %q is no sentence of forewarn.AuditDetailKinds", ev.Action, ev.Detail)
			}
			n++
		}
	}
	if len(rep.Overrides) == 0 || n < 3 {
		t.Errorf("the report holds %d lines, %d overrides", n, len(rep.Overrides))
	}
}
