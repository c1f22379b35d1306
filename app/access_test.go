package app_test

import (
	"context"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/storetest"
)

// TestAccessSeenFromElsewhere: a node keeps in memory the API tokens with their users,
// the peers and the sharing agreements it was asked about, but only as a cache of the
// store. A token revoked, a user disabled, an agreement set or changed and a peer removed
// through another handle on the same file (the CLI, in another process) is seen by the
// node's very next request, with no wait and nothing to tell it.
func TestAccessSeenFromElsewhere(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	n := app.New(open(), clock, signer, nil)
	initWithPeer(t, n, nil)
	elsewhere := open()
	admin := forewarn.SystemActor("test")
	for _, name := range []string{"desk", "other"} {
		if err := n.Store.CreateUser(ctx, admin, &forewarn.User{Username: name, Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	secret, tok, err := app.NewToken(ctx, n, admin, "desk", forewarn.RoleLiaison, "bench")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := app.NewToken(ctx, n, admin, "other", forewarn.RoleLiaison, "bench")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, other, secret, other} { // the second time from memory
		if tk, u, err := n.TokenUser(ctx, app.HashSecret(s)); err != nil || tk.Username != u.Username || u.Disabled {
			t.Fatalf("TokenUser = %+v, %+v, %v", tk, u, err)
		}
	}
	if err := elsewhere.RevokeToken(ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.TokenUser(ctx, app.HashSecret(secret)); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("a token revoked elsewhere is still let through: %v", err)
	}
	u, err := elsewhere.UserByUsername(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := elsewhere.UpdateUser(ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	// Disabling a user revokes their tokens too; either says no.
	if _, u, err := n.TokenUser(ctx, app.HashSecret(other)); forewarn.ErrorCode(err) != forewarn.ENOTFOUND && (err != nil || !u.Disabled) {
		t.Errorf("the token of a user disabled elsewhere is read as %+v (%v)", u, err)
	}

	ms := app.NewMessages(n, nil)
	warning := func() *forewarn.Message {
		return &forewarn.Message{Kind: forewarn.KindNotification, To: []string{storetest.PeerFR}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
			Notification: &forewarn.Notification{Summary: "A fifth man.", Priority: forewarn.PriorityRoutine,
				Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}}}}}
	}
	send := func() error {
		_, err := ms.Send(ctx, forewarn.UserActor("desk"), warning())
		return err
	}
	for range 2 {
		if err := send(); err != nil {
			t.Fatalf("send with no agreement: %v", err)
		}
	}
	requests := &forewarn.SharingAgreement{Agency: storetest.PeerFR, Kinds: []forewarn.MessageKind{forewarn.KindRequest}, MaxTLP: forewarn.TLPAmber}
	if err := elsewhere.SetAgreement(ctx, admin, requests); err != nil {
		t.Fatal(err)
	}
	if err := send(); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Errorf("a warning outside an agreement set elsewhere was sent: %v", err)
	}
	requests.Kinds = append(requests.Kinds, forewarn.KindNotification)
	if err := elsewhere.SetAgreement(ctx, admin, requests); err != nil {
		t.Fatal(err)
	}
	if err := send(); err != nil {
		t.Errorf("a warning the agreement now covers, changed elsewhere, is refused: %v", err)
	}
	if err := elsewhere.RemovePeer(ctx, admin, storetest.PeerFR); err != nil {
		t.Fatal(err)
	}
	if err := send(); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("a warning to a peer removed elsewhere was sent: %v", err)
	}
}

// rewoundStore is a store whose access version the test sets, as a database would show it
// after a failover to a standby that had not yet received the last writes (or a restore
// of an older copy): it goes back, and then on again through numbers it had already had,
// with other contents.
type rewoundStore struct {
	forewarn.Store
	version int64
	revoked bool
}

func (s *rewoundStore) AccessVersion(context.Context) (int64, error) { return s.version, nil }

func (s *rewoundStore) TokenUserByHash(ctx context.Context, hash string) (*forewarn.APIToken, *forewarn.User, error) {
	if s.revoked {
		return nil, nil, forewarn.Errorf(forewarn.ENOTFOUND, "no such API token, or it was revoked")
	}
	return s.Store.TokenUserByHash(ctx, hash)
}

// TestAccessVersionGoesBack: the cache holds what was read at the version it last saw, and
// any other version, lower too, drops it. A database that went back (a failover to a
// standby that lagged) and then on to the same number with other contents (here the token
// revoked) must not have what was held at that number before answer for it.
func TestAccessVersionGoesBack(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	store := &rewoundStore{Store: open(), version: 100}
	n := app.New(store, clock, signer, nil)
	initWithPeer(t, n, nil)
	admin := forewarn.SystemActor("test")
	if err := n.Store.CreateUser(ctx, admin, &forewarn.User{Username: "desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := app.NewToken(ctx, n, admin, "desk", forewarn.RoleLiaison, "bench")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []int64{100, 99} { // held at 100; read again at 99, the standby's
		store.version = v
		if _, _, err := n.TokenUser(ctx, app.HashSecret(secret)); err != nil {
			t.Fatalf("at version %d: %v", v, err)
		}
	}
	store.version, store.revoked = 100, true // revoked on the standby, which moves it to 100
	if _, _, err := n.TokenUser(ctx, app.HashSecret(secret)); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("a token revoked after the version went back is let through from memory: %v", err)
	}
}

// countedStore counts the reads of the access version.
type countedStore struct {
	forewarn.Store
	reads int
}

func (s *countedStore) AccessVersion(ctx context.Context) (int64, error) {
	s.reads++
	return s.Store.AccessVersion(ctx)
}

// TestAccessReadOncePerRequest: an API request reads the access version once
// (WithAccess), and its token check and its send answer at that version; the next
// request reads it again, so a token revoked elsewhere in between is refused by it.
func TestAccessReadOncePerRequest(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	store := &countedStore{Store: open()}
	n := app.New(store, clock, signer, nil)
	initWithPeer(t, n, nil)
	elsewhere := open()
	admin := forewarn.SystemActor("test")
	if err := n.Store.CreateUser(ctx, admin, &forewarn.User{Username: "desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	secret, tok, err := app.NewToken(ctx, n, admin, "desk", forewarn.RoleLiaison, "bench")
	if err != nil {
		t.Fatal(err)
	}
	ms := app.NewMessages(n, nil)
	for i := range 2 {
		store.reads = 0
		rctx, err := n.WithAccess(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := n.TokenUser(rctx, app.HashSecret(secret)); err != nil {
			t.Fatal(err)
		}
		if _, err := ms.Send(rctx, forewarn.UserActor("desk"), &forewarn.Message{Kind: forewarn.KindNotification, To: []string{storetest.PeerFR},
			Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber}, Notification: &forewarn.Notification{Summary: "A fifth man.", Priority: forewarn.PriorityRoutine,
				Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}}}}}); err != nil {
			t.Fatal(err)
		}
		if store.reads != 1 {
			t.Errorf("request %d read the access version %d times, want once", i, store.reads)
		}
	}
	if err := elsewhere.RevokeToken(ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	rctx, err := n.WithAccess(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.TokenUser(rctx, app.HashSecret(secret)); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the next request let a token revoked elsewhere through: %v", err)
	}
}
