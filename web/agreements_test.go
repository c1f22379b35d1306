package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
)

// TestAgreementsPage: without JavaScript, an administrator records, edits and removes the
// agreement with a peer; a wrong form is refused with the API's error naming the field
// and writes nothing; each change is audited.
func TestAgreementsPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.browser(t)
	a.login("admin2")
	st, body := a.get("/admin/agreements")
	if st != http.StatusOK || !strings.Contains(body, "TR-MIT") || !strings.Contains(body, "No agreement") {
		t.Fatalf("GET /admin/agreements = %d\n%s", st, body)
	}
	// The same validation and errors as PUT /api/v1/peers/{code}/agreement.
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no kinds", url.Values{"max_tlp": {"GREEN"}}, "name the message kinds TR-MIT may receive"},
		{"a kind that is none", url.Values{"kinds": {"gossip"}, "max_tlp": {"GREEN"}}, "message kinds: give one of: request, notification, response, acknowledgement, private match"},
		{"no TLP level", url.Values{"kinds": {"notification"}, "max_tlp": {"PINK"}}, "most restrictive TLP level: give one of: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER&#43;STRICT, TLP:RED"},
		{"a limit that is no number", url.Values{"kinds": {"notification"}, "max_tlp": {"GREEN"}, "private_persons_per_day": {"many"}}, "whole number"},
	} {
		st, body, _ := a.post("/admin/agreements/TR-MIT", tc.form)
		if st != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 saying %q\n%s", tc.name, st, tc.want, body)
		}
	}
	if _, err := f.node.Store.Agreement(ctx, "TR-MIT"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("a refused form recorded an agreement: %v", err)
	}
	if st, body, _ := a.post("/admin/agreements/XX-NOPE", url.Values{"kinds": {"notification"}, "max_tlp": {"GREEN"}}); st != http.StatusNotFound {
		t.Errorf("an agreement with no peer: %d\n%s", st, body)
	}

	st, _, h := a.post("/admin/agreements/TR-MIT", url.Values{"kinds": {"notification", "response"}, "max_tlp": {"GREEN"}, "notify_erasure": {"1"}, "note": {"MoU 2014-07"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/admin/agreements?done=saved") {
		t.Fatalf("saving the agreement = %d → %q", st, h.Get("Location"))
	}
	ag, err := f.node.Store.Agreement(ctx, "TR-MIT")
	if err != nil || !slices.Equal(ag.Kinds, []forewarn.MessageKind{forewarn.KindNotification, forewarn.KindResponse}) || ag.MaxTLP != forewarn.TLPGreen || !ag.NotifyErasure || ag.ConsentRequired || ag.Note != "MoU 2014-07" {
		t.Fatalf("agreement = %+v, %v", ag, err)
	}
	if _, body := a.get("/admin/agreements"); !strings.Contains(body, "Agreed: notification, response up to TLP:GREEN") || !strings.Contains(body, `value="MoU 2014-07"`) {
		t.Errorf("the page does not show the agreement:\n%s", body)
	}
	// Edit: the form replaces what was agreed.
	if st, _, _ := a.post("/admin/agreements/TR-MIT", url.Values{"kinds": {"request"}, "max_tlp": {"AMBER"}, "consent_required": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("editing the agreement = %d", st)
	}
	if ag, err := f.node.Store.Agreement(ctx, "TR-MIT"); err != nil || ag.MaxTLP != forewarn.TLPAmber || !ag.ConsentRequired || ag.NotifyErasure || len(ag.Kinds) != 1 {
		t.Errorf("edited agreement = %+v, %v", ag, err)
	}
	if st, _, h := a.post("/admin/agreements/TR-MIT/remove", nil); st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=removed") {
		t.Fatalf("removing the agreement = %d", st)
	}
	if _, err := f.node.Store.Agreement(ctx, "TR-MIT"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("after removal: %v", err)
	}
	if st, _, _ := a.post("/admin/agreements/TR-MIT/remove", nil); st != http.StatusNotFound {
		t.Errorf("removing it again = %d, want 404", st)
	}
	for _, action := range []string{"agreement.set", "agreement.remove"} {
		if !f.auditHas(t, action, "") {
			t.Errorf("no %s audit entry", action)
		}
	}
}

// TestBrowserAgreement: in a real browser an administrator records that Turkey may
// receive warnings up to TLP:GREEN; a liaison officer's TLP:AMBER warning to Turkey is then
// refused before it leaves, and the page says why, naming the agreement's term.
func TestBrowserAgreement(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "admin2")
	form := `#agreement-TR-MIT form[action="/admin/agreements/TR-MIT"]`
	b.run("open the agreements", chromedp.Navigate(base+"/admin/agreements"), chromedp.WaitVisible(chromedp.CSS(form)))
	b.run("agree on warnings up to GREEN",
		chromedp.Click(chromedp.CSS(form+` input[name=kinds][value=notification]`)),
		chromedp.SetValue(chromedp.CSS(form+` select[name=max_tlp]`), "GREEN"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.flash`)))
	if got := b.text("#agreement-TR-MIT"); !strings.Contains(got, "TLP:GREEN") {
		t.Errorf("after saving, Turkey's agreement reads %q", got)
	}
	b.shot(filepath.Join(shots, "agreement-1-saved.png"))
	if ag, err := f.node.Store.Agreement(ctx, "TR-MIT"); err != nil || ag.MaxTLP != forewarn.TLPGreen || !slices.Equal(ag.Kinds, []forewarn.MessageKind{forewarn.KindNotification}) {
		t.Fatalf("agreement = %+v, %v", ag, err)
	}

	b.signIn(base, "liaison")
	b.run("write an AMBER warning to Turkey", chromedp.Navigate(base+"/compose"), chromedp.WaitVisible(chromedp.CSS(`input[name=title]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=kind]`), "notification"),
		chromedp.SendKeys(chromedp.CSS(`input[name=title]`), "Travel to Syria expected"),
		chromedp.SendKeys(chromedp.CSS(`input[name=p0_name]`), "Samy Amimour"),
		chromedp.Click(chromedp.CSS(`input[name=to][value=TR-MIT]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=tlp]`), "AMBER"),
		chromedp.Click(chromedp.CSS(`button[name=action][value=send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[role=alert]`)))
	got := b.text("main")
	if !strings.Contains(got, "goes up to TLP:GREEN") || !strings.Contains(got, "AMBER") {
		t.Errorf("the refusal says %q; want the agreement's term", got)
	}
	b.shot(filepath.Join(shots, "agreement-2-refused.png"))
	out, _, err := f.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out {
		if m.Message.Notification != nil && m.Message.Notification.Summary == "Travel to Syria expected" {
			t.Errorf("the refused warning was stored: %+v", m.Message)
		}
	}
	if !f.auditHas(t, "agreement.refused", "") {
		t.Error("the refusal is not audited")
	}
}
