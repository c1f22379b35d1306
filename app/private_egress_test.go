package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/storetest"
)

// countingTransport counts the private queries that leave and answers none.
type countingTransport struct{ sent int }

func (c *countingTransport) Deliver(context.Context, *forewarn.Peer, []byte) ([]byte, error) {
	return nil, forewarn.Errorf(forewarn.EINTERNAL, "no delivery in this test")
}

func (c *countingTransport) PrivateMatch(context.Context, *forewarn.Peer, []byte) ([]byte, error) {
	c.sent++
	return nil, forewarn.Errorf(forewarn.EINTERNAL, "no answer in this test")
}

// TestPrivateQueryEgress holds a private query to the same rules as anything else this
// node sends a peer: a peer whose sharing agreement does not cover private queries is
// refused before anything leaves, naming the term, and so is a subject whose names came
// from another agency under marks that would not let them be forwarded to that peer
// (the mark named, egress.refused audited); the originator itself may be asked.
func TestPrivateQueryEgress(t *testing.T) {
	e := newNotifyEnv(t)
	actor := forewarn.Actor{Kind: forewarn.ActorUser, ID: "desk"}
	for _, code := range []string{"TR-MIT", "BE-VSSE", "DE-BKA"} {
		pub, _, _ := ed25519.GenerateKey(nil)
		if err := e.store.AddPeer(e.ctx, actor, &forewarn.Peer{Agency: forewarn.Agency{Code: code, Name: code, Country: code[:2]}, BaseURL: "http://127.0.0.1:1", PublicKey: pub}); err != nil {
			t.Fatal(err)
		}
	}
	tr := &countingTransport{}
	ms := app.NewMessages(e.node, tr)
	audited := func(action string) []*forewarn.AuditEntry {
		es, err := e.store.AuditEntries(e.ctx, forewarn.AuditFilter{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	person := []forewarn.PersonDescriptor{{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}}}

	// Germany's agreement covers warnings only.
	if err := e.store.SetAgreement(e.ctx, actor, &forewarn.SharingAgreement{Agency: "DE-BKA", Kinds: []forewarn.MessageKind{forewarn.KindNotification}, MaxTLP: forewarn.TLPAmber}); err != nil {
		t.Fatal(err)
	}
	_, err := ms.AskPrivatelyAbout(e.ctx, actor, "DE-BKA", nil, person)
	if fe, ok := err.(*forewarn.Error); !ok || fe.Code != forewarn.EFORBIDDEN || fe.Field != forewarn.TermKinds || !strings.Contains(fe.Message, "not private queries") {
		t.Fatalf("a private query outside the agreement = %#v, want EFORBIDDEN naming %s", err, forewarn.TermKinds)
	}
	if tr.sent != 0 {
		t.Fatalf("the refused query left the node (%d sent)", tr.sent)
	}
	if es := audited(app.ActionAgreementRefused); len(es) != 1 || es[0].ObjectID != "DE-BKA" || !strings.Contains(es[0].Detail, "private_match") {
		t.Fatalf("the refusal was not audited against DE-BKA: %+v", es)
	}
	// With private_match among its kinds, the query goes.
	if err := e.store.SetAgreement(e.ctx, actor, &forewarn.SharingAgreement{Agency: "DE-BKA", Kinds: []forewarn.MessageKind{forewarn.KindNotification, forewarn.KindPrivateMatch}, MaxTLP: forewarn.TLPAmber}); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.AskPrivatelyAbout(e.ctx, actor, "DE-BKA", nil, person); tr.sent != 1 || forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
		t.Fatalf("a private query within the agreement was not sent (%d sent): %v", tr.sent, err)
	}

	// A subject that holds a name Turkey sent under TLP:AMBER.
	now := e.clock.Now()
	m := storetest.NewNotification("TR-MIT", []string{"FR-DGSI"}, now)
	m.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPAmber}
	receipt := []byte("receipt " + m.ID)
	sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("envelope " + m.ID), Direction: forewarn.DirectionIn, StoredAt: now, Priority: forewarn.PriorityUrgent,
		Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: "FR-DGSI", Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: receipt, Deadline: m.Notification.AcknowledgeBy}}}
	if _, _, err := e.store.ReceiveMessage(e.ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: "TR-MIT"}, sm, receipt); err != nil {
		t.Fatal(err)
	}
	subject := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}}
	if err := e.store.CreateSubject(e.ctx, actor, subject); err != nil {
		t.Fatal(err)
	}
	match := &forewarn.Match{ID: forewarn.NewID(now), MessageID: m.ID, PersonRef: "p1", Fingerprint: "fp", SubjectID: subject.ID, Score: 0.9, Summary: "same",
		Explanation: json.RawMessage(`{}`), Status: forewarn.MatchPending, CreatedAt: now}
	if err := e.store.CreateMatches(e.ctx, actor, []*forewarn.Match{match}, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.store.ConfirmMatch(e.ctx, actor, match.ID, "same man", []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NameAlias, Source: "TR-MIT"}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = ms.AskPrivatelyAbout(e.ctx, actor, "BE-VSSE", []string{subject.ID}, nil)
	if fe, ok := err.(*forewarn.Error); !ok || fe.Code != forewarn.EFORBIDDEN || fe.Field != forewarn.MarkTLP || !strings.Contains(fe.Message, subject.ID) {
		t.Fatalf("asking Belgium about a subject with Turkey's AMBER name = %#v, want EFORBIDDEN naming %s and the subject", err, forewarn.MarkTLP)
	}
	if tr.sent != 1 {
		t.Fatalf("the refused query left the node (%d sent)", tr.sent)
	}
	if es := audited(app.ActionEgressRefused); len(es) != 1 || !strings.Contains(es[0].Detail, "path=private_match") || !strings.Contains(es[0].Detail, "to=BE-VSSE") {
		t.Fatalf("the refusal was not audited as egress.refused on the private_match way: %+v", es)
	}
	// Turkey, which sent the name, may be asked.
	if _, err := ms.AskPrivatelyAbout(e.ctx, actor, "TR-MIT", []string{subject.ID}, nil); tr.sent != 2 || forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
		t.Fatalf("asking the originator privately was not sent (%d sent): %v", tr.sent, err)
	}
}
