package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testAgreements: an agreement is kept per peer, replaced whole, audited with digests,
// refused for an agency that is not a peer or with a wrong field (writing nothing), and
// removed.
func testAgreements(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.AddPeers()
	admin := forewarn.UserActor("admin")
	_, err := e.Store.Agreement(e.Ctx, PeerFR)
	WantCode(t, err, forewarn.ENOTFOUND)
	start := e.AuditCount()

	WantCode(t, e.Store.SetAgreement(e.Ctx, admin, &forewarn.SharingAgreement{Agency: "BE-VSSE", Kinds: []forewarn.MessageKind{forewarn.KindRequest}, MaxTLP: forewarn.TLPAmber}), forewarn.ENOTFOUND)
	WantCode(t, e.Store.SetAgreement(e.Ctx, admin, &forewarn.SharingAgreement{Agency: PeerFR, MaxTLP: forewarn.TLPAmber}), forewarn.EINVALID)
	WantCode(t, e.Store.SetAgreement(e.Ctx, admin, &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{"gossip"}, MaxTLP: forewarn.TLPAmber}), forewarn.EINVALID)
	WantCode(t, e.Store.SetAgreement(e.Ctx, admin, &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindRequest}, MaxTLP: "WHITE"}), forewarn.EINVALID)
	wantActions(t, e, start)

	a := &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindRequest, forewarn.KindNotification}, MaxTLP: forewarn.TLPAmber, ConsentRequired: true, NotifyErasure: true, Note: "MoU 2014/7"}
	if err := e.Store.SetAgreement(e.Ctx, admin, a); err != nil {
		t.Fatalf("SetAgreement: %v", err)
	}
	if !a.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("UpdatedAt = %v", a.UpdatedAt)
	}
	got, err := e.Store.Agreement(e.Ctx, PeerFR)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("Agreement = %+v, %v; want %+v", got, err, a)
	}
	e.Clock.Advance(time.Hour)
	b := &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindResponse}, MaxTLP: forewarn.TLPGreen}
	if err := e.Store.SetAgreement(e.Ctx, admin, b); err != nil {
		t.Fatalf("SetAgreement again: %v", err)
	}
	if last := e.LastAudit(); last.Action != "agreement.set" || last.Before != forewarn.Digest(a) || last.After != forewarn.Digest(b) {
		t.Errorf("the replacement is audited as %+v", last)
	}
	de := &forewarn.SharingAgreement{Agency: PeerDE, Kinds: []forewarn.MessageKind{forewarn.KindNotification}, MaxTLP: forewarn.TLPRed, Forwarded: true}
	if err := e.Store.SetAgreement(e.Ctx, admin, de); err != nil {
		t.Fatal(err)
	}
	all, err := e.Store.Agreements(e.Ctx)
	if err != nil || len(all) != 2 || !reflect.DeepEqual(all[0], de) || !reflect.DeepEqual(all[1], b) {
		t.Errorf("Agreements = %+v, %v; want DE then FR", all, err)
	}
	if err := e.Store.RemoveAgreement(e.Ctx, admin, PeerDE); err != nil {
		t.Fatal(err)
	}
	WantCode(t, e.Store.RemoveAgreement(e.Ctx, admin, PeerDE), forewarn.ENOTFOUND)
	_, err = e.Store.Agreement(e.Ctx, PeerDE)
	WantCode(t, err, forewarn.ENOTFOUND)
	wantActions(t, e, start, "agreement.set", "agreement.set", "agreement.set", "agreement.remove")
	e.MustVerify()
}
