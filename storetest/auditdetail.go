package storetest

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testAuditDetailsRead: the details a store writes for the everyday changes (users,
// peers, subjects, claims, links, messages sent, delivered, failed, received and
// acknowledged, alerts, sessions) read back into the sentences of forewarn.AuditDetailKinds,
// which the pages translate; reading them changes nothing, so the chain still verifies.
func testAuditDetailsRead(t *testing.T, open Opener) {
	e := NewEnv(t, open, 4)
	e.Init()
	e.AddPeers()
	s, other := e.CreateSubject("Ismaël Omar Mostefaï"), e.CreateSubject("Samy Amimour")
	if err := e.Store.CreateClaim(e.Ctx, analyst, NewClaim(s.ID)); err != nil {
		t.Fatalf("CreateClaim: %v", err)
	}
	link := &forewarn.Association{FromID: s.ID, ToID: other.ID, Kind: forewarn.AssocTravelledWith, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}
	if err := e.Store.CreateAssociation(e.Ctx, analyst, link); err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	warning := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, e.Clock.Now())).Message
	e.Clock.Advance(time.Second)
	if err := e.Store.DeliveryFailed(e.Ctx, warning.ID, PeerFR, "connection refused", e.Clock.Now().Add(time.Minute)); err != nil {
		t.Fatalf("DeliveryFailed: %v", err)
	}
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: warning.ID, Agency: PeerDE, Receipt: []byte("receipt"), At: e.Clock.Now()}); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	e.Clock.Advance(time.Hour)
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerDE, Agency.Code, warning.ID, forewarn.AckRead, e.Clock.Now()))
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerDE, Agency.Code, warning.ID, forewarn.AckActioned, e.Clock.Now()))
	e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))

	codes, unread := map[string]bool{}, 0
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error {
		d, ok := forewarn.ParseAuditDetail(a.Action, a.Detail)
		if !ok {
			unread++
			t.Errorf("entry %d (%s): no sentence reads its detail %q; add it to forewarn.AuditDetailKinds", a.Seq, a.Action, a.Detail)
		}
		codes[d.Code] = true
		return nil
	}); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	for _, want := range []string{"user.username", "claim.subject", "association.subjects", "message.route", "message.delivery_failed", "message.delivered", "ack.stage", "ack.outcome"} {
		if !codes[want] {
			t.Errorf("no entry read as %s; read: %v", want, codes)
		}
	}
	if n := e.MustVerify(); n < 10 {
		t.Errorf("the chain holds %d entries", n)
	}
}
