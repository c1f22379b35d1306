package storetest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// testPurposePolicy: a node without a policy has the default one; a policy is replaced
// whole, audited with digests, and refused with a wrong field (writing nothing); a read
// made for a purpose has the purpose in its audit entry, a read made without has none.
func testPurposePolicy(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1)
	admin := forewarn.UserActor("admin")
	got, err := e.Store.PurposePolicy(e.Ctx)
	if err != nil || !reflect.DeepEqual(got, forewarn.DefaultPurposePolicy()) {
		t.Fatalf("PurposePolicy before any was set = %+v, %v; want the default", got, err)
	}
	start := e.AuditCount()
	for _, bad := range []*forewarn.PurposePolicy{
		{},
		{Options: []forewarn.PurposeOption{{Code: "Bad Code", Label: "x"}}},
		{Options: []forewarn.PurposeOption{{Code: "a", Label: "A"}, {Code: "a", Label: "again"}}},
		{Options: []forewarn.PurposeOption{{Code: "a", Label: ""}}},
		{Options: []forewarn.PurposeOption{{Code: "a", Label: "A"}}, RoleDefaults: map[forewarn.Role]string{forewarn.RoleAnalyst: "b"}},
		{Options: []forewarn.PurposeOption{{Code: "a", Label: "A"}}, RoleDefaults: map[forewarn.Role]string{"king": "a"}},
	} {
		WantCode(t, e.Store.SetPurposePolicy(e.Ctx, admin, bad), forewarn.EINVALID)
	}
	wantActions(t, e, start)

	p := &forewarn.PurposePolicy{Options: []forewarn.PurposeOption{{Code: "case-work", Label: "Case work"}, {Code: "other", Label: "Other", TextRequired: true}},
		RoleDefaults: map[forewarn.Role]string{forewarn.RoleAnalyst: "case-work"}}
	if err := e.Store.SetPurposePolicy(e.Ctx, admin, p); err != nil {
		t.Fatalf("SetPurposePolicy: %v", err)
	}
	got, err = e.Store.PurposePolicy(e.Ctx)
	if err != nil || !reflect.DeepEqual(got, p) || !p.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("PurposePolicy = %+v, %v; want %+v", got, err, p)
	}
	if last := e.LastAudit(); last.Action != "purpose.policy" || last.Before != forewarn.Digest(forewarn.DefaultPurposePolicy()) || last.After != forewarn.Digest(p) {
		t.Errorf("the change is audited as %+v", last)
	}

	s := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}}
	if err := e.Store.CreateSubject(e.Ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Subject(e.Ctx, analyst, s.ID); err != nil {
		t.Fatal(err)
	}
	if d := e.LastAudit().Detail; strings.Contains(d, "purpose") {
		t.Errorf("a read without a purpose records one: %q", d)
	}
	ctx := forewarn.WithPurpose(e.Ctx, forewarn.Purpose{Code: "other", Text: "tip from the border police"})
	if _, err := e.Store.Subject(ctx, analyst, s.ID); err != nil {
		t.Fatal(err)
	}
	last := e.LastAudit()
	if last.Action != "subject.read" || !strings.HasSuffix(last.Detail, "purpose: other — tip from the border police") {
		t.Errorf("the read for a purpose is audited as %+v", last)
	}
	if err := e.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: analyst, Action: "person.search", ObjectType: "person", Detail: "query sha256:00"}); err != nil {
		t.Fatal(err)
	}
	if d := e.LastAudit().Detail; d != "query sha256:00; purpose: other — tip from the border police" {
		t.Errorf("a recorded entry made for a purpose has detail %q", d)
	}
	e.MustVerify()
}
