package storetest

import (
	"testing"

	"github.com/forewarn/forewarn"
)

// testUserLanguage: the language the pages speak to a user is stored with the user, changed
// by UpdateUser with an audit entry, and an unknown one is refused without writing.
func testUserLanguage(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	admin := forewarn.UserActor("admin")
	u := &forewarn.User{Username: "analyste", Roles: []forewarn.Role{forewarn.RoleAnalyst}, Language: "fr"}
	if err := e.Store.CreateUser(e.Ctx, admin, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, err := e.Store.UserByUsername(e.Ctx, "analyste")
	if err != nil || got.Language != "fr" {
		t.Fatalf("UserByUsername = %+v, %v; want language fr", got, err)
	}
	plain := &forewarn.User{Username: "liaison", Roles: []forewarn.Role{forewarn.RoleLiaison}}
	if err := e.Store.CreateUser(e.Ctx, admin, plain); err != nil {
		t.Fatalf("CreateUser without a language: %v", err)
	}

	bad := *got
	bad.Language = "de"
	WantCode(t, e.Store.UpdateUser(e.Ctx, admin, &bad), forewarn.EINVALID)
	WantCode(t, e.Store.CreateUser(e.Ctx, admin, &forewarn.User{Username: "other", Roles: []forewarn.Role{forewarn.RoleAnalyst}, Language: "xx"}), forewarn.EINVALID)

	upd := *got
	upd.Language = "en"
	if err := e.Store.UpdateUser(e.Ctx, forewarn.UserActor("analyste"), &upd); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if last := e.LastAudit(); last.Action != "user.update" || last.Before != forewarn.Digest(got) || last.After != forewarn.Digest(&upd) {
		t.Errorf("language change audited as %+v", last)
	}
	users, err := e.Store.Users(e.Ctx)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	langs := map[string]string{}
	for _, u := range users {
		langs[u.Username] = u.Language
	}
	if langs["analyste"] != "en" || langs["liaison"] != "" || len(langs) != 2 {
		t.Errorf("Users languages = %v; want analyste en, liaison unset, nothing else", langs)
	}
	if n := e.MustVerify(); n != 3 {
		t.Errorf("audit entries = %d, want 3 (two creates, one update; refusals write nothing)", n)
	}
}
