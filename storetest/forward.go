package storetest

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testForwards: a forward is written with the message it causes, in its transaction; a
// change is made only from the status it expects (ECONFLICT otherwise, writing neither
// the forward nor the message); a refusal is written alone; each change is audited.
func testForwards(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.AddPeers()
	withForward := func(m *forewarn.Message, fw *forewarn.Forward, from forewarn.ForwardStatus) error {
		now := e.Clock.Now()
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed " + m.ID), Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityUrgent,
			Forward: fw, ForwardFrom: from}
		for _, to := range m.To {
			sm.Deliveries = append(sm.Deliveries, &forewarn.Delivery{MessageID: m.ID, Agency: to, Direction: forewarn.DirectionOut, NextAttempt: now})
		}
		return e.Store.CreateMessage(e.Ctx, liaison, sm)
	}
	start := e.AuditCount()
	ask := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
	fw := &forewarn.Forward{ID: forewarn.NewID(Start), MessageID: forewarn.NewID(Start), Originator: PeerFR, To: PeerDE, Reason: "why",
		RequestedBy: "liaison1", Status: forewarn.ForwardAwaitingConsent, ConsentRequestID: ask.ID, CreatedAt: Start}
	if err := withForward(ask, fw, ""); err != nil {
		t.Fatalf("CreateMessage with a new forward: %v", err)
	}
	got, err := e.Store.Forward(e.Ctx, fw.ID)
	if err != nil || got.Status != forewarn.ForwardAwaitingConsent || got.ConsentRequestID != ask.ID {
		t.Fatalf("Forward = %+v, %v", got, err)
	}
	wantActions(t, e, start, "message.send", "forward.awaiting_consent")

	// A change from a status the forward is not in writes nothing, not even the message.
	e.Clock.Advance(time.Minute)
	late := NewNotification(Agency.Code, []string{PeerDE}, e.Clock.Now())
	sent := *fw
	sent.Status, sent.ForwardedID = forewarn.ForwardSent, late.ID
	WantCode(t, withForward(late, &sent, forewarn.ForwardRefused), forewarn.ECONFLICT)
	_, err = e.Store.Message(e.Ctx, late.ID)
	WantCode(t, err, forewarn.ENOTFOUND)

	refused := *fw
	refused.Status, refused.AnswerReason = forewarn.ForwardRefused, "no"
	if err := e.Store.RefuseForward(e.Ctx, liaison, &refused); err != nil {
		t.Fatalf("RefuseForward: %v", err)
	}
	WantCode(t, e.Store.RefuseForward(e.Ctx, liaison, &refused), forewarn.ECONFLICT)
	WantCode(t, withForward(late, &sent, forewarn.ForwardAwaitingConsent), forewarn.ECONFLICT)
	if list, err := e.Store.Forwards(e.Ctx, forewarn.ForwardFilter{Status: forewarn.ForwardRefused}); err != nil || len(list) != 1 || list[0].AnswerReason != "no" {
		t.Errorf("refused forwards = %+v, %v", list, err)
	}
	if list, err := e.Store.Forwards(e.Ctx, forewarn.ForwardFilter{Status: forewarn.ForwardAwaitingConsent}); err != nil || len(list) != 0 {
		t.Errorf("forwards awaiting consent = %+v, %v", list, err)
	}
	_, err = e.Store.Forward(e.Ctx, forewarn.NewID(Start))
	WantCode(t, err, forewarn.ENOTFOUND)
	wantActions(t, e, start, "message.send", "forward.awaiting_consent", "forward.refused")
	e.MustVerify()
}
