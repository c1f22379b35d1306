package storetest

import (
	"testing"

	"github.com/forewarn/forewarn"
)

// testAccessVersion: every write to the API tokens, users, peers or sharing agreements
// moves the access version on (to a fresh number, not a count), so that a server holding them in memory sees the change
// at once; writes to anything else leave it alone, so that such a server keeps what it
// holds while messages come and go.
func testAccessVersion(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	admin := forewarn.UserActor("admin")
	last, err := e.Store.AccessVersion(e.Ctx)
	if err != nil {
		t.Fatalf("AccessVersion: %v", err)
	}
	moved := func(what string, want bool) {
		t.Helper()
		v, err := e.Store.AccessVersion(e.Ctx)
		if err != nil {
			t.Fatalf("AccessVersion after %s: %v", what, err)
		}
		if got := v != last; got != want {
			t.Errorf("after %s the access version went from %d to %d; want it moved on: %v", what, last, v, want)
		}
		last = v
	}
	u := &forewarn.User{Username: "desk", Roles: []forewarn.Role{forewarn.RoleLiaison}}
	if err := e.Store.CreateUser(e.Ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	moved("a user is created", true)
	tok := &forewarn.APIToken{Username: "desk", Role: forewarn.RoleLiaison, Hash: hashOf("fw_access")}
	if err := e.Store.CreateToken(e.Ctx, admin, tok); err != nil {
		t.Fatal(err)
	}
	moved("a token is created", true)
	if _, _, err := e.Store.TokenUserByHash(e.Ctx, tok.Hash); err != nil {
		t.Fatal(err)
	}
	e.CreateSubject("Omar Ismail Mostefai")
	moved("a token is read and a subject created", false)
	if err := e.Store.RevokeToken(e.Ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	moved("a token is revoked", true)
	u.Disabled = true
	if err := e.Store.UpdateUser(e.Ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	moved("a user is disabled", true)
	e.AddPeers()
	moved("peers are added", true)
	e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now()))
	moved("a message is sent", false)
	a := &forewarn.SharingAgreement{Agency: PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindRequest}, MaxTLP: forewarn.TLPAmber}
	if err := e.Store.SetAgreement(e.Ctx, admin, a); err != nil {
		t.Fatal(err)
	}
	moved("an agreement is set", true)
	a.MaxTLP = forewarn.TLPGreen
	if err := e.Store.SetAgreement(e.Ctx, admin, a); err != nil {
		t.Fatal(err)
	}
	moved("an agreement is changed", true)
	if err := e.Store.RemoveAgreement(e.Ctx, admin, PeerFR); err != nil {
		t.Fatal(err)
	}
	moved("an agreement is removed", true)
	if err := e.Store.RemovePeer(e.Ctx, admin, PeerDE); err != nil {
		t.Fatal(err)
	}
	moved("a peer is removed", true)
}
