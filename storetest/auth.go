package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// hashOf is the hex SHA-256 of a secret, as the store keeps it.
func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// wantNoSecret fails the test if any audit entry mentions one of the secrets' hashes.
func wantNoSecret(t *testing.T, e *Env, hashes ...string) {
	t.Helper()
	if err := e.Store.ScanAudit(e.Ctx, func(a *forewarn.AuditEntry) error {
		for _, h := range hashes {
			if strings.Contains(a.Detail+a.ObjectID, h) {
				t.Errorf("audit entry %d (%s) holds a secret's hash", a.Seq, a.Action)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
}

func testTokens(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.Init()
	admin := forewarn.UserActor("admin")
	u := &forewarn.User{Username: "analyst1", Roles: []forewarn.Role{forewarn.RoleAnalyst, forewarn.RoleLiaison}}
	if err := e.Store.CreateUser(e.Ctx, admin, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	h1, h2 := hashOf("fw_first"), hashOf("fw_second")
	start := e.AuditCount()
	for _, tt := range []struct {
		name string
		tok  *forewarn.APIToken
		code string
	}{
		{"nil", nil, forewarn.EINVALID},
		{"unknown user", &forewarn.APIToken{Username: "nobody", Role: forewarn.RoleAnalyst, Hash: h1}, forewarn.ENOTFOUND},
		{"unknown role", &forewarn.APIToken{Username: "analyst1", Role: "root", Hash: h1}, forewarn.EINVALID},
		{"short hash", &forewarn.APIToken{Username: "analyst1", Role: forewarn.RoleAnalyst, Hash: "abc"}, forewarn.EINVALID},
		{"upper-case hash", &forewarn.APIToken{Username: "analyst1", Role: forewarn.RoleAnalyst, Hash: strings.ToUpper(h1)}, forewarn.EINVALID},
	} {
		if err := e.Store.CreateToken(e.Ctx, admin, tt.tok); forewarn.ErrorCode(err) != tt.code {
			t.Errorf("CreateToken with %s = %v, want %s", tt.name, err, tt.code)
		}
	}
	wantActions(t, e, start)

	t1 := &forewarn.APIToken{Username: "analyst1", Role: forewarn.RoleAnalyst, Name: "cli on desk 2", Hash: h1}
	if err := e.Store.CreateToken(e.Ctx, admin, t1); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	if t1.ID == "" || !t1.CreatedAt.Equal(Start) || !t1.RevokedAt.IsZero() {
		t.Errorf("CreateToken filled %+v", t1)
	}
	if last := e.LastAudit(); last.Action != "token.create" || last.ObjectID != t1.ID || last.After != forewarn.Digest(t1) {
		t.Errorf("token audited as %+v", last)
	}
	WantCode(t, e.Store.CreateToken(e.Ctx, admin, &forewarn.APIToken{Username: "analyst1", Role: forewarn.RoleLiaison, Hash: h1}), forewarn.ECONFLICT)
	e.Clock.Advance(time.Minute)
	t2 := &forewarn.APIToken{Username: "analyst1", Role: forewarn.RoleLiaison, Name: "gateway", Hash: h2, Program: true} // a program's: kept as such
	if err := e.Store.CreateToken(e.Ctx, admin, t2); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}

	got, err := e.Store.TokenByHash(e.Ctx, h1)
	if err != nil || !reflect.DeepEqual(got, t1) {
		t.Errorf("TokenByHash = %+v, %v; want %+v", got, err, t1)
	}
	_, err = e.Store.TokenByHash(e.Ctx, hashOf("fw_unknown"))
	WantCode(t, err, forewarn.ENOTFOUND)
	gotTok, gotUser, err := e.Store.TokenUserByHash(e.Ctx, h1)
	if wantUser, uerr := e.Store.UserByUsername(e.Ctx, "analyst1"); err != nil || uerr != nil || !reflect.DeepEqual(gotTok, t1) || !reflect.DeepEqual(gotUser, wantUser) {
		t.Errorf("TokenUserByHash = %+v, %+v, %v; want %+v, %+v (%v)", gotTok, gotUser, err, t1, wantUser, uerr)
	}
	_, _, err = e.Store.TokenUserByHash(e.Ctx, hashOf("fw_unknown"))
	WantCode(t, err, forewarn.ENOTFOUND)

	e.Clock.Advance(time.Minute)
	if err := e.Store.RevokeToken(e.Ctx, admin, t1.ID); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	_, err = e.Store.TokenByHash(e.Ctx, h1)
	WantCode(t, err, forewarn.ENOTFOUND)
	_, _, err = e.Store.TokenUserByHash(e.Ctx, h1)
	WantCode(t, err, forewarn.ENOTFOUND)
	if got, err := e.Store.TokenByHash(e.Ctx, h2); err != nil || got.ID != t2.ID {
		t.Errorf("the other token = %+v, %v; want it still valid", got, err)
	}
	WantCode(t, e.Store.RevokeToken(e.Ctx, admin, t1.ID), forewarn.ECONFLICT)
	WantCode(t, e.Store.RevokeToken(e.Ctx, admin, forewarn.NewID(Start)), forewarn.ENOTFOUND)

	ts, err := e.Store.Tokens(e.Ctx, "analyst1")
	if err != nil || len(ts) != 2 || ts[0].ID != t1.ID || !ts[0].RevokedAt.Equal(e.Clock.Now()) || !reflect.DeepEqual(ts[1], t2) {
		t.Errorf("Tokens = %+v, %v; want the revoked first token, then the second", ts, err)
	}
	if ts, err := e.Store.Tokens(e.Ctx, "nobody"); err != nil || len(ts) != 0 {
		t.Errorf("Tokens of nobody = %+v, %v", ts, err)
	}
	wantActions(t, e, start, "token.create", "token.create", "token.revoke")
	wantNoSecret(t, e, h1, h2)
	e.MustVerify()
}

func testSessions(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.Init()
	hs := hashOf("cookie value")
	start := e.AuditCount()
	for _, tt := range []struct {
		name string
		s    *forewarn.Session
		code string
	}{
		{"nil", nil, forewarn.EINVALID},
		{"unknown user", &forewarn.Session{Hash: hs, Username: "nobody", CSRF: "c", ExpiresAt: Start.Add(time.Hour)}, forewarn.ENOTFOUND},
		{"bad hash", &forewarn.Session{Hash: "cookie value", Username: "admin", CSRF: "c", ExpiresAt: Start.Add(time.Hour)}, forewarn.EINVALID},
		{"no CSRF token", &forewarn.Session{Hash: hs, Username: "admin", ExpiresAt: Start.Add(time.Hour)}, forewarn.EINVALID},
		{"already expired", &forewarn.Session{Hash: hs, Username: "admin", CSRF: "c", ExpiresAt: Start}, forewarn.EINVALID},
	} {
		if err := e.Store.CreateSession(e.Ctx, forewarn.UserActor("admin"), tt.s); forewarn.ErrorCode(err) != tt.code {
			t.Errorf("CreateSession with %s = %v, want %s", tt.name, err, tt.code)
		}
	}
	wantActions(t, e, start)

	s := &forewarn.Session{Hash: hs, Username: "admin", CSRF: "csrf-token-1", ExpiresAt: Start.Add(12 * time.Hour)}
	if err := e.Store.CreateSession(e.Ctx, forewarn.UserActor("admin"), s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if !s.CreatedAt.Equal(Start) {
		t.Errorf("CreatedAt = %v, want %v", s.CreatedAt, Start)
	}
	WantCode(t, e.Store.CreateSession(e.Ctx, forewarn.UserActor("admin"), &forewarn.Session{Hash: hs, Username: "admin", CSRF: "x", ExpiresAt: Start.Add(time.Hour)}), forewarn.ECONFLICT)
	got, err := e.Store.SessionByHash(e.Ctx, hs, Start.Add(12*time.Hour-time.Nanosecond))
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("SessionByHash before expiry = %+v, %v; want %+v", got, err, s)
	}
	_, err = e.Store.SessionByHash(e.Ctx, hs, Start.Add(12*time.Hour))
	WantCode(t, err, forewarn.ENOTFOUND)
	_, err = e.Store.SessionByHash(e.Ctx, hashOf("other cookie"), Start)
	WantCode(t, err, forewarn.ENOTFOUND)

	e.Clock.Advance(time.Hour)
	if err := e.Store.DeleteSession(e.Ctx, forewarn.UserActor("admin"), hs); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	_, err = e.Store.SessionByHash(e.Ctx, hs, e.Clock.Now())
	WantCode(t, err, forewarn.ENOTFOUND)
	WantCode(t, e.Store.DeleteSession(e.Ctx, forewarn.UserActor("admin"), hs), forewarn.ENOTFOUND)
	wantActions(t, e, start, "session.create", "session.delete")
	wantNoSecret(t, e, hs, "csrf-token-1")
	e.MustVerify()
}

func testEndAndPurgeSessions(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.Init()
	actor := forewarn.UserActor("admin")
	mk := func(value, user string, ttl time.Duration) string {
		h := hashOf(value)
		if err := e.Store.CreateSession(e.Ctx, actor, &forewarn.Session{Hash: h, Username: user, CSRF: "c-" + value, ExpiresAt: e.Clock.Now().Add(ttl)}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if err := e.Store.CreateUser(e.Ctx, actor, &forewarn.User{Username: "someone", DisplayName: "Someone", Roles: []forewarn.Role{forewarn.RoleAnalyst}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	keep := mk("a", "admin", time.Hour)
	mk("b", "admin", time.Hour)
	mk("c", "admin", 2*time.Hour)
	other := mk("d", "someone", time.Minute)
	start := e.AuditCount()
	n, err := e.Store.EndSessions(e.Ctx, actor, "admin", keep)
	if err != nil || n != 2 {
		t.Fatalf("EndSessions = %d, %v; want 2", n, err)
	}
	wantActions(t, e, start, "session.end_all")
	if _, err := e.Store.SessionByHash(e.Ctx, keep, e.Clock.Now()); err != nil {
		t.Errorf("the kept session ended: %v", err)
	}
	if _, err := e.Store.SessionByHash(e.Ctx, other, e.Clock.Now()); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	if n, _ := e.Store.EndSessions(e.Ctx, actor, "admin", keep); n != 0 {
		t.Errorf("ending again ended %d", n)
	}
	wantActions(t, e, start, "session.end_all")
	e.Clock.Advance(30 * time.Minute)
	if n, err := e.Store.PurgeSessions(e.Ctx, e.Clock.Now()); err != nil || n != 1 {
		t.Fatalf("PurgeSessions = %d, %v; want the one expired", n, err)
	}
	wantActions(t, e, start, "session.end_all", "session.purge")
	if n, _ := e.Store.PurgeSessions(e.Ctx, e.Clock.Now()); n != 0 {
		t.Errorf("purging again deleted %d", n)
	}
	wantActions(t, e, start, "session.end_all", "session.purge")
	e.MustVerify()
}

// testTokenExpiryAndRevocation: tokens expire (by default after DefaultTokenTTL), and
// disabling a user revokes their tokens in the same transaction, so enabling them again
// brings none back.
func testTokenExpiryAndRevocation(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.Init()
	admin := forewarn.UserActor("admin")
	u := &forewarn.User{Username: "liaison1", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}
	if err := e.Store.CreateUser(e.Ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	def := &forewarn.APIToken{Username: "liaison1", Role: forewarn.RoleLiaison, Hash: hashOf("fw_default")}
	if err := e.Store.CreateToken(e.Ctx, admin, def); err != nil {
		t.Fatal(err)
	}
	if want := Start.Add(forewarn.DefaultTokenTTL); !def.ExpiresAt.Equal(want) {
		t.Errorf("a token made without an expiry expires at %v, want %v", def.ExpiresAt, want)
	}
	week := &forewarn.APIToken{Username: "liaison1", Role: forewarn.RoleLiaison, Hash: hashOf("fw_week"), ExpiresAt: Start.Add(7 * 24 * time.Hour)}
	if err := e.Store.CreateToken(e.Ctx, admin, week); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Store.TokenByHash(e.Ctx, week.Hash); err != nil || !got.ExpiresAt.Equal(week.ExpiresAt) || got.Expired(Start) || !got.Expired(week.ExpiresAt) {
		t.Errorf("TokenByHash = %+v, %v; want it expiring at %v", got, err, week.ExpiresAt)
	}
	start := e.AuditCount()
	for name, at := range map[string]time.Time{"in the past": Start.Add(-time.Second), "now": Start, "beyond the maximum": Start.Add(forewarn.MaxTokenTTL + time.Hour)} {
		err := e.Store.CreateToken(e.Ctx, admin, &forewarn.APIToken{Username: "liaison1", Role: forewarn.RoleLiaison, Hash: hashOf("fw_" + name), ExpiresAt: at})
		WantCode(t, err, forewarn.EINVALID)
	}
	wantActions(t, e, start)

	u.Disabled = true
	if err := e.Store.UpdateUser(e.Ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	wantActions(t, e, start, "user.update", "token.revoke", "token.revoke")
	u.Disabled = false
	if err := e.Store.UpdateUser(e.Ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{def.Hash, week.Hash} {
		_, err := e.Store.TokenByHash(e.Ctx, h)
		WantCode(t, err, forewarn.ENOTFOUND)
	}

	fresh := &forewarn.APIToken{Username: "liaison1", Role: forewarn.RoleLiaison, Hash: hashOf("fw_fresh")}
	if err := e.Store.CreateToken(e.Ctx, admin, fresh); err != nil {
		t.Fatal(err)
	}
	start = e.AuditCount()
	if n, err := e.Store.RevokeTokens(e.Ctx, forewarn.UserActor("liaison1"), "liaison1"); err != nil || n != 1 {
		t.Fatalf("RevokeTokens = %d, %v; want the one live token", n, err)
	}
	if n, err := e.Store.RevokeTokens(e.Ctx, forewarn.UserActor("liaison1"), "liaison1"); err != nil || n != 0 {
		t.Fatalf("RevokeTokens again = %d, %v; want 0", n, err)
	}
	wantActions(t, e, start, "token.revoke")
	e.MustVerify()
}

// testAuditRecordsToken: an entry made with an API token records the token's ID, which
// the chain's hash covers, and the trail can be searched by it; entries without one hash
// as before.
func testAuditRecordsToken(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	e.Init()
	withToken := forewarn.Actor{Kind: forewarn.ActorUser, ID: "analyst1", Token: forewarn.NewID(Start)}
	s := NewSubject("Omar Ismail Mostefai")
	if err := e.Store.CreateSubject(e.Ctx, withToken, s); err != nil {
		t.Fatal(err)
	}
	got := e.LastAudit()
	if got.Actor != withToken {
		t.Fatalf("the entry records the actor %+v, want %+v", got.Actor, withToken)
	}
	if _, err := e.Store.Subject(e.Ctx, forewarn.UserActor("analyst1"), s.ID); err != nil {
		t.Fatal(err)
	}
	plain := e.LastAudit()
	if plain.Actor.Token != "" {
		t.Errorf("an entry made without a token records %q", plain.Actor.Token)
	}
	stripped := *got
	stripped.Actor.Token = ""
	if stripped.ComputeHash() == got.Hash {
		t.Error("the chain's hash does not cover the token ID: it could be removed unnoticed")
	}
	es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Token: withToken.Token})
	if err != nil || len(es) != 1 || es[0].Seq != got.Seq {
		t.Errorf("entries made with the token = %+v, %v; want entry %d only", es, err, got.Seq)
	}
	WantCode(t, e.Store.RecordAudit(e.Ctx, &forewarn.AuditEntry{Actor: forewarn.Actor{Kind: forewarn.ActorUser, ID: "a", Token: "bad\x00token"}, Action: "login.failed", ObjectType: "user", ObjectID: "a"}), forewarn.EINVALID)
	e.MustVerify()
}

// testLoginAttempts: sign-in attempts are reserved one at a time, so however many arrive
// at once only as many as decide allows get through; decide sees each key's failures in
// the window, oldest first; a released reservation and the keys cleared are forgotten;
// failures leave with the window; nothing is audited (the sign-in is, by its caller).
func testLoginAttempts(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	entries := e.AuditCount()
	keys := []string{"pair liaison 192.0.2.1", "address 192.0.2.1", "user liaison"}
	const limit = 3
	reserve := func() (string, time.Duration, [][]time.Time) {
		var seen [][]time.Time
		res, wait, err := e.Store.ReserveLoginAttempt(e.Ctx, keys, e.Clock.Now(), 5*time.Minute, func(recent [][]time.Time) time.Duration {
			seen = recent
			if len(recent[0]) >= limit {
				return time.Minute
			}
			return 0
		})
		if err != nil {
			t.Fatal(err)
		}
		return res, wait, seen
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var admitted []string
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, wait, err := e.Store.ReserveLoginAttempt(e.Ctx, keys, e.Clock.Now(), 5*time.Minute, func(recent [][]time.Time) time.Duration {
				if len(recent[0]) >= limit {
					return time.Minute
				}
				return 0
			})
			if err != nil {
				t.Error(err)
				return
			}
			if (wait == 0) != (res != "") {
				t.Errorf("reservation %q with wait %s", res, wait)
			}
			if wait == 0 {
				mu.Lock()
				admitted = append(admitted, res)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(admitted) != limit {
		t.Fatalf("%d of 12 parallel attempts admitted, want %d", len(admitted), limit)
	}
	e.Clock.Advance(time.Minute)
	if _, wait, seen := reserve(); wait == 0 || len(seen) != 3 || len(seen[1]) != limit || !seen[1][0].Equal(Start) {
		t.Fatalf("the fourth attempt: wait %s, saw %v; want refused, seeing the %d failures at %s", wait, seen, limit, Start)
	}
	if err := e.Store.ReleaseLoginAttempt(e.Ctx, admitted[0], nil); err != nil {
		t.Fatal(err)
	}
	res, wait, seen := reserve()
	if wait != 0 || len(seen[0]) != limit-1 {
		t.Fatalf("after one reservation was released: wait %s, %d failures seen, want admitted after %d", wait, len(seen[0]), limit-1)
	}
	if err := e.Store.ReleaseLoginAttempt(e.Ctx, res, keys[:1]); err != nil {
		t.Fatal(err)
	}
	if _, wait, seen = reserve(); wait != 0 || len(seen[0]) != 0 || len(seen[1]) != limit-1 {
		t.Fatalf("after the pair was cleared: wait %s, saw %d and %d, want 0 under the pair and %d under the address", wait, len(seen[0]), len(seen[1]), limit-1)
	}
	e.Clock.Advance(5 * time.Minute)
	if _, wait, seen = reserve(); wait != 0 || len(seen[1]) != 0 {
		t.Fatalf("after the window: wait %s, %d failures seen under the address, want none", wait, len(seen[1]))
	}
	_, _, err := e.Store.ReserveLoginAttempt(e.Ctx, nil, e.Clock.Now(), time.Minute, func([][]time.Time) time.Duration { return 0 })
	WantCode(t, err, forewarn.EINVALID)
	if n := e.AuditCount(); n != entries {
		t.Errorf("sign-in attempts wrote %d audit entries, want none", n-entries)
	}
}
