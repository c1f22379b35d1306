package storetest

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testErasureNotices: erasing a received message writes, in the erasure's transaction, the
// notice its originator is owed when its agreement asks for it (and none otherwise); the
// message that tells the originator settles it in its own transaction, once (a second
// writes neither the message nor anything else); a refusal settles it too; each is audited.
func testErasureNotices(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.AddPeers()
	admin := forewarn.UserActor("admin")
	if err := e.Store.SetAgreement(e.Ctx, admin, &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindResponse},
		MaxTLP: forewarn.TLPRed, ConsentRequired: true, NotifyErasure: true}); err != nil {
		t.Fatal(err)
	}
	fromFR := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
	fromDE := e.Receive(NewNotification(PeerDE, []string{Agency.Code}, e.Clock.Now()))
	e.Clock.Advance(time.Hour)
	for _, m := range []*forewarn.StoredMessage{fromFR, fromDE} {
		if _, err := e.Store.Erase(e.Ctx, admin, forewarn.RetainMessage, m.Message.ID, "review: expired"); err != nil {
			t.Fatalf("Erase: %v", err)
		}
	}
	pending, err := e.Store.PendingErasureNotices(e.Ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("PendingErasureNotices = %+v, %v; want FR's only (DE has no agreement)", pending, err)
	}
	en := pending[0]
	if en.Originator != PeerFR || en.MessageID != fromFR.Message.ID || en.Erased != forewarn.RetainMessage || en.Digest == "" || !en.ErasedAt.Equal(e.Clock.Now()) {
		t.Errorf("erasure notice = %+v", en)
	}

	tell := func(id string) (*forewarn.Message, error) {
		now := e.Clock.Now()
		m := NewReply(forewarn.KindResponse, Agency.Code, PeerFR, fromFR.Message.ID, "", now)
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed " + m.ID), Direction: forewarn.DirectionOut, StoredAt: now,
			Priority: forewarn.PriorityRoutine, ErasureNotice: id,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: PeerFR, Direction: forewarn.DirectionOut, NextAttempt: now}}}
		return m, e.Store.CreateMessage(e.Ctx, forewarn.SystemActor("retention"), sm)
	}
	start := e.AuditCount()
	first, err := tell(en.ID)
	if err != nil {
		t.Fatalf("CreateMessage with the erasure notice: %v", err)
	}
	wantActions(t, e, start, "message.send", "erasure.notice_sent")
	if last := e.LastAudit(); !readable(last) {
		t.Errorf("no sentence of forewarn.AuditDetailKinds reads %q", last.Detail)
	}
	if pending, err := e.Store.PendingErasureNotices(e.Ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending after the notice went = %+v, %v", pending, err)
	}
	e.MustMessage(first.ID)
	start = e.AuditCount()
	second, err := tell(en.ID)
	WantCode(t, err, forewarn.ECONFLICT)
	_, err = e.Store.Message(e.Ctx, second.ID)
	WantCode(t, err, forewarn.ENOTFOUND)
	WantCode(t, e.Store.RefuseErasureNotice(e.Ctx, admin, en.ID, "agreement.kinds"), forewarn.ECONFLICT)
	WantCode(t, e.Store.RefuseErasureNotice(e.Ctx, admin, forewarn.NewID(Start), "agreement.kinds"), forewarn.ENOTFOUND)
	wantActions(t, e, start)

	// A refusal settles a notice as well.
	e.Clock.Advance(time.Minute)
	again := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
	if _, err := e.Store.Erase(e.Ctx, admin, forewarn.RetainMessage, again.Message.ID, "review: expired"); err != nil {
		t.Fatal(err)
	}
	pending, err = e.Store.PendingErasureNotices(e.Ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("PendingErasureNotices = %+v, %v", pending, err)
	}
	start = e.AuditCount()
	if err := e.Store.RefuseErasureNotice(e.Ctx, admin, pending[0].ID, "agreement.kinds: FR-DGSI receives no response"); err != nil {
		t.Fatalf("RefuseErasureNotice: %v", err)
	}
	wantActions(t, e, start, "erasure.notice_refused")
	if last := e.LastAudit(); !readable(last) {
		t.Errorf("no sentence of forewarn.AuditDetailKinds reads %q", last.Detail)
	}
	if pending, err := e.Store.PendingErasureNotices(e.Ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending after the refusal = %+v, %v", pending, err)
	}
	e.MustVerify()
}

func readable(a *forewarn.AuditEntry) bool {
	_, ok := forewarn.ParseAuditDetail(a.Action, a.Detail)
	return ok
}

// testErasureReportsOldAuditText: an audit entry written before reasons were kept apart
// from the chain, whose detail quotes the person, is not rewritten by the erasure (the
// chain still verifies) but named in the tombstone, so the data-protection officer knows
// which entries the exemption covers; entries that name someone else are not.
func testErasureReportsOldAuditText(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1)
	e.Init()
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	other := e.CreateSubject("Samy Amimour")
	old := &forewarn.AuditEntry{Actor: analyst, Action: "subject.watch", ObjectType: "subject", ObjectID: s.ID, Detail: "watch-listed: MOSTEFAÏ named by a source"}
	if err := e.Store.RecordAudit(e.Ctx, old); err != nil {
		t.Fatal(err)
	}
	quoted := e.LastAudit()
	if err := e.Store.RecordAudit(e.Ctx, &forewarn.AuditEntry{Actor: analyst, Action: "subject.watch", ObjectType: "subject", ObjectID: other.ID, Detail: "watch-listed: Amimour named by a source"}); err != nil {
		t.Fatal(err)
	}
	ts, err := e.Store.Erase(e.Ctx, forewarn.UserActor("admin"), forewarn.RetainSubject, s.ID, "review: no longer necessary")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.AuditKept) != 1 || ts.AuditKept[0] != quoted.Seq {
		t.Errorf("tombstone names audit entries %v, want [%d] (the one quoting him)", ts.AuditKept, quoted.Seq)
	}
	all, err := e.Store.Tombstones(e.Ctx, time.Time{}, time.Time{})
	if err != nil || len(all) != 1 || len(all[0].AuditKept) != 1 {
		t.Errorf("stored tombstones = %+v, %v", all, err)
	}
	e.MustVerify()
}
