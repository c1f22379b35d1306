package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// TestAgreementsAPI: an administrator records, replaces and removes a peer's sharing
// agreement through the API (audited); a wrong term is refused naming its field and
// writes nothing; the body may not name another peer than the path; the list is there
// for the people who send.
func TestAgreementsAPI(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	admin := forewarn.UserActor("admin")
	pub, _, _ := ed25519.GenerateKey(nil)
	if err := s.Node.Store.AddPeer(ctx, admin, &forewarn.Peer{Agency: forewarn.Agency{Code: "BE-VSSE", Name: "VSSE", Country: "BE"}, BaseURL: "http://127.0.0.1:9", PublicKey: pub}); err != nil {
		t.Fatal(err)
	}
	if err := s.Node.Store.CreateUser(ctx, admin, &forewarn.User{Username: "desk", DisplayName: "Desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	adminToken, _, err := app.NewToken(ctx, s.Node, admin, "admin", forewarn.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	deskToken, _, err := app.NewToken(ctx, s.Node, admin, "desk", forewarn.RoleLiaison, "test")
	if err != nil {
		t.Fatal(err)
	}
	const from = "127.0.0.1:5000"
	path := "/api/v1/peers/BE-VSSE/agreement"

	for _, tc := range []struct{ body, field string }{
		{`{"kinds":["notification"],"max_tlp":"WHITE"}`, "max_tlp"},
		{`{"kinds":[],"max_tlp":"AMBER"}`, "kinds"},
		{`{"agency":"DE-BND","kinds":["notification"],"max_tlp":"AMBER"}`, "agency"},
	} {
		if w := serve(s, "PUT", path, from, adminToken, tc.body); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field": "`+tc.field+`"`) {
			t.Errorf("PUT %s: %d %s; want 400 naming %s", tc.body, w.Code, w.Body, tc.field)
		}
	}
	if _, err := s.Node.Store.Agreement(ctx, "BE-VSSE"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("a refused agreement was written: %v", err)
	}
	if w := serve(s, "PUT", path, from, deskToken, `{"kinds":["notification"],"max_tlp":"AMBER"}`); w.Code != http.StatusForbidden {
		t.Errorf("a liaison officer setting an agreement: %d, want 403", w.Code)
	} else if !strings.Contains(w.Body.String(), "in the role admin does") {
		t.Errorf("the refusal does not say which role may: %s", w.Body)
	}
	if w := serve(s, "PUT", "/api/v1/peers/XX-NONE/agreement", from, adminToken, `{"kinds":["notification"],"max_tlp":"AMBER"}`); w.Code != http.StatusNotFound {
		t.Errorf("an agreement with an agency that is not a peer: %d, want 404", w.Code)
	}

	w := serve(s, "PUT", path, from, adminToken, `{"kinds":["notification","response"],"max_tlp":"AMBER","consent_required":true,"note":"MoU 2015/3"}`)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"agency": "BE-VSSE"`) {
		t.Fatalf("PUT agreement: %d %s", w.Code, w.Body)
	}
	a, err := s.Node.Store.Agreement(ctx, "BE-VSSE")
	if err != nil || a.MaxTLP != forewarn.TLPAmber || !a.ConsentRequired || len(a.Kinds) != 2 {
		t.Errorf("the stored agreement is %+v, %v", a, err)
	}
	if w := serve(s, "GET", "/api/v1/agreements", from, deskToken, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "MoU 2015/3") {
		t.Errorf("GET agreements as a liaison officer: %d %s", w.Code, w.Body)
	}
	if w := serve(s, "DELETE", path, from, adminToken, ""); w.Code != http.StatusNoContent {
		t.Errorf("DELETE agreement: %d %s", w.Code, w.Body)
	}
	if w := serve(s, "DELETE", path, from, adminToken, ""); w.Code != http.StatusNotFound {
		t.Errorf("DELETE it again: %d, want 404", w.Code)
	}
	es, err := s.Node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "agreement.", Limit: 100})
	if err != nil || len(es) != 2 || es[0].Action != "agreement.set" || es[1].Action != "agreement.remove" || es[0].Actor.Token == "" {
		t.Errorf("the agreement's audit entries: %+v, %v; want set then remove, made with the token", es, err)
	}
}
