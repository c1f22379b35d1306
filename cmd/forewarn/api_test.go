package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// wantAllowed is the access policy as the users' representatives agreed it, written out
// independently of authz.go: which roles may call each protected route.
var wantAllowed = map[string]string{
	"GET /api/v1/messages":                       "analyst liaison supervisor oversight",
	"POST /api/v1/messages":                      "liaison",
	"GET /api/v1/messages/{id}":                  "analyst liaison supervisor oversight",
	"GET /api/v1/messages/{id}/thread":           "analyst liaison supervisor oversight",
	"GET /api/v1/messages/{id}/related":          "analyst liaison supervisor oversight",
	"POST /api/v1/messages/{id}/ack":             "liaison supervisor",
	"POST /api/v1/messages/{id}/assign":          "liaison supervisor",
	"POST /api/v1/drafts/check":                  "liaison",
	"GET /api/v1/alerts":                         "analyst liaison supervisor oversight",
	"POST /api/v1/alerts/{id}/resolve":           "analyst liaison supervisor",
	"GET /api/v1/subjects":                       "analyst liaison supervisor oversight",
	"POST /api/v1/subjects":                      "analyst",
	"GET /api/v1/subjects/{id}":                  "analyst liaison supervisor oversight",
	"PUT /api/v1/subjects/{id}":                  "analyst",
	"GET /api/v1/subjects/{id}/timeline":         "analyst liaison supervisor oversight",
	"GET /api/v1/subjects/{id}/network":          "analyst liaison supervisor oversight",
	"GET /api/v1/subjects/{id}/claims":           "analyst liaison supervisor oversight",
	"POST /api/v1/subjects/{id}/claims":          "analyst",
	"POST /api/v1/claims/{id}/prefer":            "analyst",
	"GET /api/v1/subjects/{id}/links":            "analyst liaison supervisor oversight",
	"POST /api/v1/links":                         "analyst",
	"POST /api/v1/imports":                       "analyst",
	"GET /api/v1/imports":                        "analyst liaison supervisor oversight",
	"GET /api/v1/imports/{id}":                   "analyst liaison supervisor oversight",
	"GET /api/v1/matches":                        "analyst liaison supervisor oversight",
	"GET /api/v1/matches/{id}":                   "analyst liaison supervisor oversight",
	"POST /api/v1/matches/{id}/confirm":          "analyst supervisor",
	"POST /api/v1/matches/{id}/reject":           "analyst supervisor",
	"GET /api/v1/search":                         "analyst liaison supervisor oversight",
	"GET /api/v1/purposes":                       "analyst liaison supervisor oversight",
	"GET /api/v1/agreements":                     "analyst liaison supervisor oversight",
	"PUT /api/v1/peers/{code}/agreement":         "admin",
	"DELETE /api/v1/peers/{code}/agreement":      "admin",
	"GET /api/v1/audit":                          "oversight admin",
	"POST /api/v1/audit/verify":                  "oversight admin",
	"GET /api/v1/peers":                          "analyst liaison supervisor oversight admin",
	"POST /api/v1/peers":                         "admin",
	"DELETE /api/v1/peers/{code}":                "admin",
	"GET /api/v1/users":                          "admin",
	"POST /api/v1/users/{username}/disable":      "admin",
	"POST /api/v1/users/{username}/enable":       "admin",
	"POST /api/v1/users":                         "admin",
	"POST /api/v1/tokens":                        "analyst liaison supervisor admin",
	"DELETE /api/v1/tokens/{id}":                 "analyst liaison supervisor admin",
	"GET /api/v1/me/notifications":               "analyst liaison supervisor admin",
	"PUT /api/v1/me/notifications":               "analyst liaison supervisor admin",
	"PUT /api/v1/users/{username}/notifications": "admin",
	"GET /api/v1/notifications":                  "admin",
	"POST /api/v1/notifications/{id}/retry":      "admin",
	"POST /api/v1/notifications/test":            "admin",
	"GET /api/v1/webhooks":                       "admin",
	"POST /api/v1/webhooks":                      "admin",
	"DELETE /api/v1/webhooks/{id}":               "admin",
	"GET /api/v1/forwards":                       "analyst liaison supervisor oversight",
	"POST /api/v1/messages/{id}/forward":         "liaison",
	"POST /api/v1/messages/{id}/consent":         "liaison",
	"POST /api/v1/messages/{id}/override":        "supervisor",
	"POST /api/v1/forwards/{id}/override":        "supervisor",
	"GET /api/v1/reports/oversight":              "oversight admin",
	"POST /api/v1/private-queries":               "liaison",
	"GET /api/v1/private-queries":                "analyst liaison supervisor oversight",
	"PUT /api/v1/peers/{code}/private-limit":     "admin",
	"GET /api/v1/private-use":                    "admin",
	"GET /api/v1/reviews":                        "analyst liaison supervisor",
	"POST /api/v1/reviews/{kind}/{id}/keep":      "analyst liaison supervisor",
	"POST /api/v1/reviews/{kind}/{id}/erase":     "analyst liaison supervisor",
}

// public routes answer without credentials.
var public = map[string]bool{
	"GET /healthz": true, "GET /api/v1/openapi.json": true, "GET /api/v1/node": true, "POST /federation/v1/messages": true, "POST /federation/v1/messages/batch": true, "POST /federation/v1/heads": true, "POST /federation/v1/heads/query": true, "POST /federation/v1/private-match": true,
}

func openAPIDoc(t *testing.T, base string) map[string]map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]any            `json:"paths"`
		Comps   map[string]map[string]map[string]any `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	// Every schema a route refers to is defined.
	raw, _ := json.Marshal(doc.Paths)
	for _, m := range strings.Split(string(raw), `"$ref":"#/components/schemas/`)[1:] {
		name := m[:strings.IndexByte(m, '"')]
		if _, ok := doc.Comps["schemas"][name]; !ok {
			t.Errorf("schema %s is referred to but not defined", name)
		}
	}
	return doc.Paths
}

func call(t *testing.T, method, url, token string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestOpenAPIMatchesRoutes: every route the server serves is documented, and every
// documented route is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyFR.Code)
	doc := openAPIDoc(t, rt.url)
	served := map[string]bool{}
	for _, p := range rt.srv.Patterns() {
		if p == "GET /metrics" || !strings.Contains(p, "/") || !(strings.Contains(p, " /api/") || strings.Contains(p, " /healthz") || strings.Contains(p, " /federation/")) {
			continue
		}
		served[p] = true
		method, path, _ := strings.Cut(p, " ")
		if _, ok := doc[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is served but not documented", p)
		}
	}
	for path, ops := range doc {
		for method := range ops {
			p := strings.ToUpper(method) + " " + path
			if !served[p] {
				t.Errorf("%s is documented but not served", p)
			}
			url := rt.url + strings.NewReplacer("{id}", "nope", "{code}", "XX-NOPE", "{username}", "nobody").Replace(path)
			if st := call(t, strings.ToUpper(method), url, "", []byte("{}")); st == http.StatusNotFound && !public[p] || st == http.StatusMethodNotAllowed {
				t.Errorf("%s answers %d without credentials: not routed", p, st)
			}
		}
	}
	if len(served) < 30 {
		t.Errorf("only %d routes served", len(served))
	}
}

// TestAuthorization tries every API route with every role and with no credentials, and
// checks the allowed/denied table, and that refusals are audited.
func TestAuthorization(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyFR.Code)
	tokens := map[forewarn.Role]string{}
	for _, role := range forewarn.Roles {
		secret, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), string(role), role, "authorization test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	doc := openAPIDoc(t, rt.url)
	var protected []string
	for path, ops := range doc {
		for method := range ops {
			p := strings.ToUpper(method) + " " + path
			if !public[p] {
				protected = append(protected, p)
			}
		}
	}
	sort.Strings(protected)
	if len(protected) != len(wantAllowed) {
		t.Errorf("%d protected routes documented, the table has %d", len(protected), len(wantAllowed))
	}
	deniedBefore, _ := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied", Limit: 1000})
	denials := 0
	for _, p := range protected {
		allowed, ok := wantAllowed[p]
		if !ok {
			t.Errorf("%s is not in the expected table", p)
			continue
		}
		method, path, _ := strings.Cut(p, " ")
		url := rt.url + strings.NewReplacer("{id}", "nope", "{code}", "XX-NOPE", "{username}", "nobody").Replace(path)
		if st := call(t, method, url, "", []byte("{}")); st != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d, want 401", p, st)
		}
		denials++
		for _, role := range forewarn.Roles {
			st := call(t, method, url, tokens[role], []byte("{}"))
			may := strings.Contains(" "+allowed+" ", " "+string(role)+" ")
			switch {
			case may && (st == http.StatusUnauthorized || st == http.StatusForbidden):
				t.Errorf("%s as %s: %d, want it allowed", p, role, st)
			case !may && st != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403", p, role, st)
			case !may:
				denials++
			}
		}
	}
	// Anonymous refusals beyond the first few a minute are audited as a count.
	rt.node.Refusals.Flush(ctx)
	deniedAfter, _ := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied", Limit: 1000})
	got := len(deniedAfter) - len(deniedBefore)
	counts, _ := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied_repeated", Limit: 1000})
	for _, e := range counts {
		var n int
		fmt.Sscanf(e.Detail, "%d more refused requests", &n)
		got += n
	}
	if got != denials {
		t.Errorf("%d refusals audited, one by one or counted; want %d", got, denials)
	}
}

// TestTimelineCLI reads the replayed subject's timeline through the CLI, as oversight would.
func TestTimelineCLI(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, parisStart)
	if _, err := parisReplay(ctx, c); err != nil {
		t.Fatal(err)
	}
	fr := c.node(agencyFR.Code)
	secret, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "oversight", forewarn.RoleOversight, "timeline test")
	if err != nil {
		t.Fatal(err)
	}
	subjects, _, err := fr.node.Store.FindSubjects(ctx, forewarn.SystemActor("test"), forewarn.SubjectFilter{Watch: forewarn.WatchListed})
	if err != nil || len(subjects) != 1 {
		t.Fatalf("subjects: %v %v", subjects, err)
	}
	out, _, err := runCLI(t, map[string]string{"FOREWARN_TOKEN": secret}, "timeline", "--node", fr.url, "--purpose", "oversight", subjects[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2012", "escalation", "match", "TR-MIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "acknowledged the") {
		t.Errorf("the timeline shows an acknowledgement that never happened:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 15 {
		t.Errorf("timeline has %d lines", len(lines))
	}

	// An operator's view of the same state, in the metrics. France escalated six steps:
	// two for each unanswered warning, and two as the sender of its October request,
	// which Turkey answered with warnings but never with a response.
	resp, err := http.Get(fr.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`forewarn_messages_overdue{direction="in"} 2`, "forewarn_messages_received_total 2", "forewarn_escalations_total 6", "forewarn_match_index_entries",
		`forewarn_delivery_in_flight_limit{peer="TR-MIT"} 16`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestTokenCannotWidenItsRole: a token acts in one role, and cannot mint a token in
// another role its user holds.
func TestTokenCannotWidenItsRole(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyFR.Code)
	u, err := rt.node.Store.UserByUsername(ctx, "analyst")
	if err != nil {
		t.Fatal(err)
	}
	u.Roles = append(u.Roles, forewarn.RoleAdmin)
	if err := rt.node.Store.UpdateUser(ctx, forewarn.SystemActor("test"), u); err != nil {
		t.Fatal(err)
	}
	secret, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "narrow")
	if err != nil {
		t.Fatal(err)
	}
	if st := call(t, "POST", rt.url+"/api/v1/tokens", secret, []byte(`{"role":"admin","name":"wider"}`)); st != http.StatusForbidden {
		t.Errorf("an analyst token minting an admin token: %d, want 403", st)
	}
	if st := call(t, "POST", rt.url+"/api/v1/tokens", secret, []byte(`{"role":"analyst","name":"same"}`)); st != http.StatusCreated {
		t.Errorf("an analyst token minting another analyst token: %d, want 201", st)
	}
	liaison, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "liaison", forewarn.RoleLiaison, "desk")
	if err != nil {
		t.Fatal(err)
	}
	ack := []byte(`{"kind":"acknowledgement","to":["TR-MIT"],"marks":{"tlp":"AMBER","releasable_to":["TR-MIT"]},"ack":{"stage":"read"}}`)
	if st := call(t, "POST", rt.url+"/api/v1/messages", liaison, ack); st != http.StatusBadRequest {
		t.Errorf("a hand-built acknowledgement through send: %d, want 400", st)
	}
}

// TestResolveAlert: a desk marks its own alert dealt with; it leaves the list and stays
// in the trail; another desk cannot resolve it.
func TestResolveAlert(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, parisStart)
	if _, err := parisReplay(ctx, c); err != nil {
		t.Fatal(err)
	}
	fr := c.node(agencyFR.Code)
	token := func(role forewarn.Role) string {
		secret, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), string(role), role, "alerts test")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	liaison, supervisor := token(forewarn.RoleLiaison), token(forewarn.RoleSupervisor)
	open, err := fr.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100)
	if err != nil || len(open) == 0 {
		t.Fatalf("liaison alerts: %v %v", open, err)
	}
	id := open[0].ID
	why := []byte(`{"outcome":"forwarded","reason":"forwarded to the competent service"}`)
	if st := call(t, "POST", fr.url+"/api/v1/alerts/"+id+"/resolve", supervisor, why); st != http.StatusForbidden {
		t.Errorf("the supervisors resolving the liaison desk's alert: %d, want 403", st)
	}
	// "Dealt with" without acknowledging or saying why is impossible.
	for _, body := range [][]byte{nil, []byte(`{}`), []byte(`{"reason":"  "}`), []byte(`{"outcome":"forwarded"}`)} {
		if st := call(t, "POST", fr.url+"/api/v1/alerts/"+id+"/resolve", liaison, body); st != http.StatusBadRequest {
			t.Errorf("closing an alert with %q: %d, want 400", body, st)
		}
	}
	if still, _ := fr.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100); len(still) != len(open) {
		t.Fatalf("a refused answer closed an alert: %d open of %d", len(still), len(open))
	}
	if st := call(t, "POST", fr.url+"/api/v1/alerts/"+id+"/resolve", liaison, why); st != http.StatusOK {
		t.Fatalf("resolving: %d", st)
	}
	if st := call(t, "POST", fr.url+"/api/v1/alerts/"+id+"/resolve", liaison, why); st != http.StatusConflict {
		t.Errorf("resolving twice: %d, want 409", st)
	}
	after, _ := fr.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100)
	if len(after) >= len(open) {
		t.Errorf("%d open alerts after resolving one of %d", len(after), len(open))
	}
	resolved, err := fr.node.Store.Alert(ctx, id)
	if err != nil || resolved.ResolvedBy != "liaison" || !strings.Contains(resolved.Resolution, "competent service") {
		t.Errorf("resolved alert = %+v, %v", resolved, err)
	}
	entries, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "alert.resolve", ObjectID: id, Limit: 10})
	if len(entries) != 1 || entries[0].Actor.ID != "liaison" {
		t.Errorf("resolution not audited: %+v", entries)
	}
	// On a received warning the reason travels to its sender as a read-stage answer.
	if resolved.ClosedBy != "" {
		ans, err := fr.node.Store.Message(ctx, resolved.ClosedBy)
		if err != nil || ans.Message.Ack == nil || ans.Message.Ack.Stage != forewarn.AckRead || !strings.Contains(ans.Message.Ack.Reason, "competent service") {
			t.Errorf("the answer sent to the sender = %+v, %v", ans, err)
		}
	}
}

// TestTokenRevokedElsewhere: a token revoked or a user disabled by another process
// writing the node's store (a second server, an administrator's tool) is refused by the
// running node at its very next request: what it knows of tokens is the store's.
func TestTokenRevokedElsewhere(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "fr")
	mustCLI(t, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI")
	mustCLI(t, "user", "add", "--data", dir, "--username", "desk", "--role", "liaison")
	mustCLI(t, "user", "add", "--data", dir, "--username", "other", "--role", "liaison")
	desk := lastLine(mustCLI(t, "token", "create", "--data", dir, "--username", "desk", "--role", "liaison"))
	other := lastLine(mustCLI(t, "token", "create", "--data", dir, "--username", "other", "--role", "liaison"))
	url := serveInProcess(t, "--data", dir, "--listen", "127.0.0.1:0", "--tick", "1h")
	for _, tok := range []string{desk, other} {
		if st := call(t, "GET", url+"/api/v1/messages", tok, nil); st != http.StatusOK {
			t.Fatalf("before: %d", st)
		}
	}

	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	elsewhere, err := m.openNodeAt(ctx, &nodeFlags{data: dir, checkpointEvery: 1000, logLevel: "error", as: "test"}, forewarn.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Store.Close()
	admin := forewarn.SystemActor("test")
	if n, err := elsewhere.Store.RevokeTokens(ctx, admin, "desk"); err != nil || n != 1 {
		t.Fatalf("RevokeTokens = %d, %v", n, err)
	}
	if st := call(t, "GET", url+"/api/v1/messages", desk, nil); st != http.StatusUnauthorized {
		t.Errorf("a token revoked by another process still works on the running node: %d", st)
	}
	u, err := elsewhere.Store.UserByUsername(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := elsewhere.Store.UpdateUser(ctx, admin, u); err != nil {
		t.Fatal(err)
	}
	if st := call(t, "POST", url+"/api/v1/messages", other, []byte(`{}`)); st != http.StatusUnauthorized {
		t.Errorf("the token of a user disabled by another process still works on the running node: %d", st)
	}
}

// TestDisableUser: an administrator disables a user; their token is revoked at once, they
// cannot disable themselves, and enabling restores the account but not the old tokens.
func TestDisableUser(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyFR.Code)
	admin, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "admin", forewarn.RoleAdmin, "admin")
	if err != nil {
		t.Fatal(err)
	}
	analyst, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "analyst")
	if err != nil {
		t.Fatal(err)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusOK {
		t.Fatalf("analyst before: %d", st)
	}
	if st := call(t, "POST", rt.url+"/api/v1/users/analyst/disable", admin, nil); st != http.StatusOK {
		t.Fatalf("disable: %d", st)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusUnauthorized {
		t.Errorf("a disabled user's token still works: %d", st)
	}
	if st := call(t, "POST", rt.url+"/api/v1/users/admin/disable", admin, nil); st != http.StatusBadRequest {
		t.Errorf("an administrator disabling themselves: %d, want 400", st)
	}
	if st := call(t, "POST", rt.url+"/api/v1/users/analyst/enable", admin, nil); st != http.StatusOK {
		t.Fatalf("enable: %d", st)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusUnauthorized {
		t.Errorf("a token revoked when its user was disabled works again after enabling: %d", st)
	}
	fresh, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "analyst again")
	if err != nil {
		t.Fatal(err)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", fresh, nil); st != http.StatusOK {
		t.Errorf("a new token of the enabled user: %d", st)
	}
}

// TestTokensOwnExpiringAndRecorded: users mint their own tokens only (an administrator
// minting one for an analyst could read subjects as them); tokens expire; and every audit
// entry made with a token records the token's ID.
func TestTokensOwnExpiringAndRecorded(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	rt := c.node(agencyFR.Code)
	admin, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "admin", forewarn.RoleAdmin, "admin")
	if err != nil {
		t.Fatal(err)
	}
	mint := func(token, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", rt.url+"/api/v1/tokens", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if st, _ := mint(admin, `{"username":"analyst","role":"analyst","name":"borrowed"}`); st != http.StatusForbidden {
		t.Fatalf("an administrator minting a token for an analyst: %d, want 403", st)
	}
	if ts, _ := rt.node.Store.Tokens(ctx, "analyst"); len(ts) != 0 {
		t.Fatalf("the refused mint left %d tokens for the analyst", len(ts))
	}
	analyst, tok, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "desk")
	if err != nil {
		t.Fatal(err)
	}
	st, out := mint(analyst, `{"role":"analyst","name":"short","days":2}`)
	if st != http.StatusCreated {
		t.Fatalf("an analyst minting their own two-day token: %d %v", st, out)
	}
	short, _ := out["secret"].(string)
	if st, _ := mint(analyst, `{"role":"analyst","name":"forever","days":10000}`); st != http.StatusBadRequest {
		t.Errorf("a 10,000-day token: %d, want 400", st)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusOK {
		t.Fatalf("list subjects with the token: %d", st)
	}
	es, err := rt.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Token: tok.ID, Limit: 100})
	if err != nil || len(es) == 0 {
		t.Fatalf("no audit entry records the token %s: %v", tok.ID, err)
	}
	for _, e := range es {
		if e.Actor.ID != "analyst" || e.Actor.Token != tok.ID {
			t.Errorf("entry %d (%s) records %+v", e.Seq, e.Action, e.Actor)
		}
	}
	c.clock.Advance(3 * 24 * time.Hour)
	if st := call(t, "GET", rt.url+"/api/v1/subjects", short, nil); st != http.StatusUnauthorized {
		t.Errorf("a two-day token after three days: %d, want 401", st)
	}
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusOK {
		t.Errorf("a default token after three days: %d, want 200", st)
	}
	c.clock.Advance(forewarn.DefaultTokenTTL)
	if st := call(t, "GET", rt.url+"/api/v1/subjects", analyst, nil); st != http.StatusUnauthorized {
		t.Errorf("a default token after its %v: %d, want 401", forewarn.DefaultTokenTTL, st)
	}
}
