package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/keyfile"
)

// TestBrowserConsent: in a real browser, a liaison officer asks to pass Turkey's TLP:AMBER
// warning on to Belgium (the page says it awaits Turkey's consent, and a consent request
// to Turkey is queued); then, as the originator of a message Turkey wants to pass on,
// refuses Turkey's consent request with a reason, which is queued back as the answer.
func TestBrowserConsent(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	be := keyfile.FromSeed(append([]byte{2}, make([]byte, 31)...))
	if err := f.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), &forewarn.Peer{Agency: forewarn.Agency{Code: "BE-VSSE", Name: "VSSE", Country: "BE"}, BaseURL: "http://127.0.0.1:9", PublicKey: be.PublicKey()}); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "liaison")

	b.run("ask to forward the warning", chromedp.Navigate(base+"/messages/"+f.warningID+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS("#forward-form")),
		chromedp.SendKeys(chromedp.CSS(`#forward-form textarea[name=reason]`), "He is travelling to Brussels"),
		chromedp.Click(chromedp.CSS(`#forward-form button`)), chromedp.WaitVisible(chromedp.CSS(`#forward p.forward-status`)))
	if got := b.text("#forward"); !strings.Contains(got, "BE-VSSE") || !strings.Contains(got, "awaiting consent") {
		t.Errorf("after asking, the page says %q; want the forward to BE-VSSE awaiting consent", got)
	}
	fws, err := f.node.Store.Forwards(ctx, forewarn.ForwardFilter{MessageID: f.warningID})
	if err != nil || len(fws) != 1 || fws[0].Status != forewarn.ForwardAwaitingConsent {
		t.Fatalf("forwards = %+v, %v", fws, err)
	}
	ask, err := f.node.Store.Message(ctx, fws[0].ConsentRequestID)
	if err != nil || ask.Message.To[0] != agencyTR.Code || ask.Message.Consent == nil || ask.Message.Consent.Reason != "He is travelling to Brussels" {
		t.Fatalf("the consent request to Turkey: %+v, %v", ask, err)
	}

	// Turkey asks France's consent to pass one of France's messages on.
	tr := keyfile.FromSeed(append([]byte{1}, make([]byte, 31)...))
	f.clock.Advance(time.Hour)
	now := f.clock.Now()
	req := &forewarn.Message{ID: forewarn.NewID(now), Version: 1, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: now, Kind: forewarn.KindRequest,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
		Request: &forewarn.Request{Subject: "Consent to pass your notification on to DE-BND", Questions: "May we?", Priority: forewarn.PriorityUrgent, Deadline: now.Add(24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Brahim Abdeslam", Kind: forewarn.NamePrimary}}}}},
		Consent: &forewarn.ConsentRequest{MessageID: forewarn.NewID(now.Add(-time.Hour)), To: "DE-BND", Reason: "Germany is watching his contacts"}}
	env, err := envelope.Seal(req, tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.msgs.Receive(ctx, env, "test"); err != nil {
		t.Fatal(err)
	}
	b.run("open the consent request", chromedp.Navigate(base+"/messages/"+req.ID+"?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS("#consent-form")))
	if got := b.text("#consent"); !strings.Contains(got, "DE-BND") || !strings.Contains(got, "Germany is watching his contacts") {
		t.Errorf("the consent request says %q; want to whom and why", got)
	}
	b.run("refuse it", chromedp.Click(chromedp.CSS(`#consent-form input[value=refuse]`)),
		chromedp.SendKeys(chromedp.CSS(`#consent-form textarea[name=reason]`), "source protection"),
		chromedp.Click(chromedp.CSS(`#consent-form button`)), chromedp.WaitVisible(chromedp.CSS(`#consent-answered`)))
	if got := b.text("#consent"); !strings.Contains(got, "Answered") {
		t.Errorf("after answering, the consent request says %q", got)
	}
	out, _, err := f.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut, Kind: forewarn.KindResponse, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var answered bool
	for _, m := range out {
		if a := m.Message.ConsentAnswer; a != nil && !a.Granted && a.Reason == "source protection" && m.Message.To[0] == agencyTR.Code {
			answered = true
		}
	}
	if !answered {
		t.Errorf("no refusal to Turkey is queued: %+v", out)
	}
}
