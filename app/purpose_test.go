package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
)

// TestPurposeOfAccess: opening a subject through the API needs a purpose from the node's
// list (refused, naming the field, and audited, when it is missing, unknown or lacks its
// free text); the purpose is in the audit entry of the read and in the oversight report;
// search shows who it found only for a purpose until the node says otherwise.
func TestPurposeOfAccess(t *testing.T) {
	e := newNotifyEnv(t)
	actor := forewarn.Actor{Kind: forewarn.ActorUser, ID: "desk"}
	subject := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}}
	if err := e.store.CreateSubject(e.ctx, actor, subject); err != nil {
		t.Fatal(err)
	}
	if err := e.node.LoadMatcher(e.ctx); err != nil {
		t.Fatal(err)
	}
	srv := httpapi.NewServer(e.node, nil)
	srv.Messages = app.NewMessages(e.node, nil)
	api := httptest.NewServer(srv)
	defer api.Close()
	secret, _, err := app.NewTokenFor(e.ctx, e.node, actor, "desk", forewarn.RoleLiaison, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", api.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	lastAudit := func(action string) *forewarn.AuditEntry {
		t.Helper()
		es, err := e.store.AuditEntries(e.ctx, forewarn.AuditFilter{Action: action, Limit: 1000})
		if err != nil || len(es) == 0 {
			t.Fatalf("no %s entry: %v", action, err)
		}
		return es[len(es)-1]
	}
	from := e.clock.Now()
	subjectPath := "/api/v1/subjects/" + subject.ID

	for _, tc := range []struct {
		query, field string
	}{
		{"", `"field": "purpose"`},
		{"?purpose=curiosity", `"field": "purpose"`},
		{"?purpose=other", `"field": "purpose_text"`},
	} {
		code, body := get(subjectPath+tc.query, nil)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.field) || strings.Contains(body, "Mostefa") {
			t.Errorf("GET subject%s: %d %s; want 400 naming %s, and no personal data", tc.query, code, body, tc.field)
		}
		if a := lastAudit("purpose.refused"); a.Actor.ID != "desk" || !strings.Contains(a.ObjectID, subject.ID) {
			t.Errorf("the refusal is audited as %+v", a)
		}
	}
	for _, path := range []string{subjectPath + "/timeline", subjectPath + "/network", subjectPath + "/claims", subjectPath + "/links"} {
		if code, body := get(path, nil); code != http.StatusBadRequest || !strings.Contains(body, `"field": "purpose"`) {
			t.Errorf("GET %s without a purpose: %d %s; want 400 naming purpose", path, code, body)
		}
	}

	if code, body := get(subjectPath, map[string]string{"Forewarn-Purpose": "investigation"}); code != http.StatusOK || !strings.Contains(body, "Mostefaï") {
		t.Fatalf("GET subject for investigation: %d %s", code, body)
	}
	if a := lastAudit("subject.read"); a.ObjectID != subject.ID || !strings.HasSuffix(a.Detail, "purpose: investigation") {
		t.Errorf("the read is audited as %+v; want its purpose in it", a)
	}
	e.clock.Advance(time.Minute)
	if code, _ := get(subjectPath+"/timeline?purpose=other&purpose_text=border+police+tip", nil); code != http.StatusOK {
		t.Fatalf("timeline for another purpose: %d", code)
	}
	if a := lastAudit("subject.read"); !strings.HasSuffix(a.Detail, "purpose: other — border police tip") {
		t.Errorf("the timeline read is audited as %+v", a)
	}

	// Search: no names until a purpose is given; then names; and without one when the
	// node does not ask for it.
	code, body := get("/api/v1/search?name=Omar+Ismail+Mostefai", nil)
	if code != http.StatusOK || strings.Contains(body, "Mostefa") || !strings.Contains(body, "details_withheld") || !strings.Contains(body, `"score"`) {
		t.Errorf("search without a purpose: %d %s; want scores without names", code, body)
	}
	code, body = get("/api/v1/search?name=Omar+Ismail+Mostefai&purpose=threat-assessment", nil)
	if code != http.StatusOK || !strings.Contains(body, "Mostefaï") || strings.Contains(body, "details_withheld") {
		t.Errorf("search for a purpose: %d %s; want the names", code, body)
	}
	if a := lastAudit("person.search"); !strings.HasSuffix(a.Detail, "purpose: threat-assessment") || strings.Contains(a.Detail, "Mostefa") {
		t.Errorf("the search is audited as %+v", a)
	}
	policy, err := e.store.PurposePolicy(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	policy.SearchNeedsPurpose = false
	if err := e.store.SetPurposePolicy(e.ctx, forewarn.UserActor("admin"), policy); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/api/v1/search?name=Omar+Ismail+Mostefai", nil); code != http.StatusOK || !strings.Contains(body, "Mostefaï") {
		t.Errorf("search without a purpose on a node that does not ask for one: %d %s", code, body)
	}
	if code, body := get("/api/v1/purposes", nil); code != http.StatusOK || !strings.Contains(body, `"threat-assessment"`) || !strings.Contains(body, `"text_required": true`) {
		t.Errorf("GET /api/v1/purposes: %d %s", code, body)
	}

	// The oversight report lists the consultations with their purposes.
	rep, err := e.node.OversightReport(e.ctx, forewarn.UserActor("inspector"), from, e.clock.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range rep.Consultations {
		if c.User == "user:desk" {
			got[c.Action+" "+c.Purpose] = true
		}
	}
	for _, want := range []string{"subject.read investigation", "subject.read other — border police tip", "person.search threat-assessment"} {
		if !got[want] {
			raw, _ := json.MarshalIndent(rep.Consultations, "", " ")
			t.Errorf("the oversight report lacks %q:\n%s", want, raw)
		}
	}
}
