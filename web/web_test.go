package web_test

import (
	"context"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/web"
)

const testPassword = "correct horse battery"

var (
	agencyFR = forewarn.Agency{Code: "FR-DGSI", Name: "Direction générale de la sécurité intérieure", Country: "FR"}
	agencyTR = forewarn.Agency{Code: "TR-MIT", Name: "Millî İstihbarat Teşkilatı", Country: "TR"}
)

// fixture is a real node on a real SQLite store, holding a watch-listed subject and an
// overdue warning from a peer about him, served by the web pages.
type fixture struct {
	node      *app.Node
	msgs      *app.Messages
	clock     *app.SimClock
	wall      *app.SimClock // the wall clock sign-in limits run on
	srv       *httptest.Server
	subjectID string
	warningID string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := app.NewSimClock(time.Date(2014, 12, 1, 9, 0, 0, 0, time.UTC))
	key := keyfile.FromSeed(make([]byte, 32))
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Signer: key, Agency: agencyFR.Code})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	node := app.New(store, clock, key, nil)
	if _, err := node.Initialize(ctx, agencyFR, "admin"); err != nil {
		t.Fatal(err)
	}
	hash, err := app.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range forewarn.Roles {
		u := &forewarn.User{Username: string(r), DisplayName: "Test " + string(r), Roles: []forewarn.Role{r}, PasswordHash: hash}
		if r == forewarn.RoleAdmin {
			u.Username = "admin2"
		}
		if err := store.CreateUser(ctx, forewarn.SystemActor("test"), u); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.CreateUser(ctx, forewarn.SystemActor("test"), &forewarn.User{Username: "newbie", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: hash, MustChangePassword: true}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, forewarn.SystemActor("test"), &forewarn.User{Username: "gone", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: hash, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, 32)
	seed[0] = 1
	trKey := keyfile.FromSeed(seed)
	if err := store.AddPeer(ctx, forewarn.SystemActor("test"), &forewarn.Peer{Agency: agencyTR, BaseURL: "http://127.0.0.1:9", PublicKey: trKey.PublicKey()}); err != nil {
		t.Fatal(err)
	}
	if err := node.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := app.NewMessages(node, nil)
	analyst := forewarn.UserActor("analyst")
	subj := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21},
		Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if _, err := msgs.CreateSubject(ctx, analyst, subj); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*forewarn.Claim{
		{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2012}, Source: forewarn.Source{Agency: "FR-DGSI"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 3}},
		{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013}, Source: forewarn.Source{Agency: "TR-MIT", Name: "border records"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
	} {
		c.SubjectID = subj.ID
		if err := store.CreateClaim(ctx, analyst, c); err != nil {
			t.Fatal(err)
		}
	}
	warning := &forewarn.Message{ID: forewarn.NewID(clock.Now()), Version: 1, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: clock.Now(), Kind: forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
		Notification: &forewarn.Notification{Summary: "Fifth individual identified", Priority: forewarn.PriorityPriority, AcknowledgeBy: clock.Now().Add(7 * 24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}}}}}
	env, err := envelope.Seal(warning, trKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := msgs.Receive(ctx, env, "test"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(8 * 24 * time.Hour)
	if _, err := msgs.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	pages := web.New(node, msgs, nil)
	wall := app.NewSimClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	pages.WallClock = wall
	srv := httptest.NewServer(pages.Handler())
	t.Cleanup(srv.Close)
	return &fixture{node: node, msgs: msgs, clock: clock, wall: wall, srv: srv, subjectID: subj.ID, warningID: warning.ID}
}

// browser is a client with its own cookies that does not follow redirects, so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	// noPurpose leaves the purpose prompt unanswered, for tests of the prompt itself.
	noPurpose bool
	answering bool
}

func (f *fixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: f.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	if method == "POST" && path == "/login" && form != nil && !form.Has("csrf") {
		// Sign in as a person does: from the form, which carries its CSRF token.
		b.do("GET", "/login", nil)
		form = maps.Clone(form)
		form.Set("csrf", b.csrf)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if m := csrfRE.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	if m := purposeFormRE.FindSubmatch(data); m != nil && !b.noPurpose && !b.answering {
		// Asked why they open the record, a person answers, as an analyst at work would,
		// and goes on with what they were doing.
		b.answering = true
		defer func() { b.answering = false }()
		if method == "GET" {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			return b.do("GET", path+sep+"purpose=investigation", nil)
		}
		b.do("GET", html.UnescapeString(string(m[1]))+"?purpose=investigation", nil)
		return b.do(method, path, form)
	}
	return res.StatusCode, string(data), res.Header
}

// purposeFormRE finds the purpose prompt and the page its answer opens.
var purposeFormRE = regexp.MustCompile(`<form method="get" action="([^"]+)" class="purpose-form`)

func (b *browser) get(path string) (int, string) {
	st, body, _ := b.do("GET", path, nil)
	return st, body
}

// post sends a form with the session's CSRF token.
func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	if form == nil {
		form = url.Values{}
	}
	if b.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.do("POST", path, form)
}

func (b *browser) login(user string) {
	b.t.Helper()
	st, _, h := b.do("POST", "/login", url.Values{"username": {user}, "password": {testPassword}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("login as %s: status %d, want 303", user, st)
	}
	// Follow the redirects to the first page, which carries the session's CSRF token.
	for loc, i := h.Get("Location"), 0; loc != "" && i < 5; i++ {
		_, _, h = b.do("GET", loc, nil)
		loc = h.Get("Location")
	}
	if b.csrf == "" {
		b.t.Fatalf("login as %s: no page carried a CSRF token", user)
	}
}

func (f *fixture) auditHas(t *testing.T, action, detail string) bool {
	t.Helper()
	es, err := f.node.Store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, user, password string
		status               int
		want                 string
		location             string
	}{
		{"right password", "liaison", testPassword, http.StatusSeeOther, "", "/"},
		{"wrong password", "liaison", "not the password", http.StatusUnauthorized, "Wrong username or password", ""},
		{"unknown user", "nobody", testPassword, http.StatusUnauthorized, "Wrong username or password", ""},
		{"disabled user", "gone", testPassword, http.StatusUnauthorized, "disabled", ""},
		{"must change password", "newbie", testPassword, http.StatusSeeOther, "", "/password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := f.browser(t)
			st, body, h := b.do("POST", "/login", url.Values{"username": {tc.user}, "password": {tc.password}})
			if st != tc.status {
				t.Fatalf("status %d, want %d\n%s", st, tc.status, body)
			}
			if !strings.Contains(body, tc.want) {
				t.Errorf("page lacks %q", tc.want)
			}
			if h.Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", h.Get("Location"), tc.location)
			}
			if tc.status == http.StatusSeeOther {
				c := h.Get("Set-Cookie")
				for _, attr := range []string{web.SessionCookie + "=", "HttpOnly", "SameSite=Strict"} {
					if !strings.Contains(c, attr) {
						t.Errorf("session cookie %q lacks %s", c, attr)
					}
				}
			}
		})
	}
	if !f.auditHas(t, "login.failed", "wrong username or password") {
		t.Error("failed sign-ins are not in the audit trail")
	}
}

// TestLoginRateLimit: five failures lock one user out from one address, on the wall clock,
// with a message that states the real wait; another user at the same address still signs
// in, and a node clock that stands still (the demo's) does not make the lock permanent.
func TestLoginRateLimit(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	for i := range 5 {
		if st, _, _ := b.do("POST", "/login", url.Values{"username": {"analyst"}, "password": {"guess " + string(rune('a'+i))}}); st != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, st)
		}
	}
	st, body, _ := b.do("POST", "/login", url.Values{"username": {"analyst"}, "password": {testPassword}})
	if st != http.StatusTooManyRequests || !strings.Contains(body, "Try again in 5 minutes") {
		t.Fatalf("sixth attempt, even with the right password: status %d, want 429 with 'Try again in 5 minutes'\n%s", st, body)
	}
	if st, _, _ := f.browser(t).do("POST", "/login", url.Values{"username": {"liaison"}, "password": {testPassword}}); st != http.StatusSeeOther {
		t.Fatalf("another user from the same address while analyst is locked out: status %d, want 303", st)
	}
	f.clock.Advance(6 * time.Minute) // the node's clock does not time the lock
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"analyst"}, "password": {testPassword}}); st != http.StatusTooManyRequests {
		t.Fatalf("after the node's clock moved: status %d, want still 429", st)
	}
	f.wall.Advance(6 * time.Minute)
	if st, _, _ := b.do("POST", "/login", url.Values{"username": {"analyst"}, "password": {testPassword}}); st != http.StatusSeeOther {
		t.Fatalf("after the window on the wall clock: status %d, want 303", st)
	}
}

func TestMustChangePassword(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("newbie")
	elsewhere := f.browser(t) // the same user signed in on another machine
	elsewhere.login("newbie")
	st, _, h := b.do("GET", "/inbox", nil)
	if st != http.StatusSeeOther || h.Get("Location") != "/password" {
		t.Fatalf("inbox before the password change: %d → %q, want 303 → /password", st, h.Get("Location"))
	}
	if st, body, _ := b.post("/password", url.Values{"current": {testPassword}, "new": {"short"}, "again": {"short"}}); st != http.StatusBadRequest || !strings.Contains(body, "at least 12") {
		t.Fatalf("too short a password: status %d, want 400 naming the rule", st)
	}
	if st, _, _ := b.post("/password", url.Values{"current": {testPassword}, "new": {"a much better passphrase"}, "again": {"a much better passphrase"}}); st != http.StatusSeeOther {
		t.Fatalf("password change: status %d, want 303", st)
	}
	if st, _ := b.get("/inbox"); st != http.StatusOK {
		t.Fatalf("inbox after the change: status %d, want 200", st)
	}
	// The other session, opened with the old password, has ended.
	if st, _, h := elsewhere.do("GET", "/inbox", nil); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Fatalf("the other session after the change: %d → %q, want a redirect to sign in", st, h.Get("Location"))
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, user, method, path string
		form                     url.Values
		noCSRF                   bool
		status                   int
		want, audit              string
	}{
		{"analyst on admin pages", "analyst", "GET", "/admin/users", nil, false, http.StatusForbidden, "does not allow", "users.manage"},
		{"liaison on the audit trail", "liaison", "GET", "/audit", nil, false, http.StatusForbidden, "does not allow", "audit.read"},
		{"analyst cannot send", "analyst", "GET", "/compose", nil, false, http.StatusForbidden, "does not allow", "messages.send"},
		{"oversight changes nothing", "oversight", "POST", "/messages/" + "{warning}" + "/ack", url.Values{"outcome": {"no_action"}, "reason": {"x"}}, false, http.StatusForbidden, "does not allow", "messages.ack"},
		{"form without CSRF token", "liaison", "POST", "/messages/{warning}/ack", url.Values{"outcome": {"no_action"}, "reason": {"x"}}, true, http.StatusForbidden, "CSRF", "carries no CSRF token"},
		{"form with a wrong CSRF token", "liaison", "POST", "/messages/{warning}/ack", url.Values{"csrf": {"forged"}, "outcome": {"no_action"}, "reason": {"x"}}, false, http.StatusForbidden, "CSRF", "does not match"},
		{"liaison on the agreements", "liaison", "GET", "/admin/agreements", nil, false, http.StatusForbidden, "does not allow", "peers.manage"},
		{"supervisor records no agreement", "supervisor", "POST", "/admin/agreements/TR-MIT", url.Values{"kinds": {"notification"}, "max_tlp": {"RED"}}, false, http.StatusForbidden, "does not allow", "peers.manage"},
		{"agreement form without CSRF token", "admin2", "POST", "/admin/agreements/TR-MIT", url.Values{"kinds": {"notification"}, "max_tlp": {"RED"}}, true, http.StatusForbidden, "CSRF", "carries no CSRF token"},
		{"agreement removal with a wrong CSRF token", "admin2", "POST", "/admin/agreements/TR-MIT/remove", url.Values{"csrf": {"forged"}}, false, http.StatusForbidden, "CSRF", "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := f.browser(t)
			b.login(tc.user)
			if tc.noCSRF {
				b.csrf = ""
			}
			path := strings.ReplaceAll(tc.path, "{warning}", f.warningID)
			var st int
			var body string
			if tc.method == "GET" {
				st, body = b.get(path)
			} else {
				st, body, _ = b.post(path, tc.form)
			}
			if st != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d with %q\n%s", st, tc.status, tc.want, body)
			}
			if !f.auditHas(t, "access.denied", tc.audit) {
				t.Errorf("no access.denied audit entry mentioning %q", tc.audit)
			}
		})
	}
	sm, err := f.node.Store.Message(context.Background(), f.warningID)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Deliveries[0].Actioned() {
		t.Error("a refused form acknowledged the warning anyway")
	}
	b := f.browser(t)
	if st, _, h := b.do("GET", "/inbox", nil); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("signed out, the inbox answers %d → %q, want a redirect to /login", st, h.Get("Location"))
	}
}

func TestPages(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		user, path string
		want       []string
	}{
		{"liaison", "/inbox", []string{"Inbox", "Fifth individual identified", "You hold this person", "overdue since", "from TR-MIT", "Alerts"}},
		{"liaison", "/outbox", []string{"Outbox", "No messages"}},
		{"supervisor", "/overdue", []string{"Overdue", "Fifth individual identified", "overdue since"}},
		{"liaison", "/messages/{warning}", []string{"Fifth individual identified", "Omar Ismail Mostefai", "reordered", "diacritics", "Aligned name parts", "Similarity", "Acknowledge", "Mark read", "Escalations", "step 1", `id="arrived"`}},
		{"oversight", "/messages/{warning}", []string{"Fifth individual identified", "reordered"}},
		{"liaison", "/alerts?purpose=liaison-request", []string{"You hold this person", "Omar Ismail Mostefai"}},
		{"analyst", "/subjects?purpose=investigation", []string{"Ismaël Omar Mostefaï", "watch-listed"}},
		{"analyst", "/subjects/{subject}", []string{"Ismaël Omar Mostefaï", "Conflicting claims", "no exit record", "Mark preferred", "<svg", "Omar Ismail Mostefai", "Confirm", "Timeline", "B3"}},
		{"analyst", "/search?purpose=investigation&name=Omar+Ismail+Mostefai&born=1985", []string{"Ismaël Omar Mostefaï", "person in a message", "reordered"}},
		{"oversight", "/audit", []string{"Audit trail", "node.init", "Verify"}},
		{"oversight", "/audit?after=latest", []string{"message.receive"}},
		{"oversight", "/oversight?from=2000-01-01&to=2100-01-01", []string{"Oversight report", "Per user", "Consultations", "message.read", "Imminent-threat overrides"}},
		{"admin2", "/admin/users", []string{"liaison", "newbie", "must change password", "Create a user"}},
		{"admin2", "/admin/peers", []string{"TR-MIT", "ed25519:"}},
		{"admin2", "/admin/agreements", []string{"Sharing agreements", "TR-MIT", "Save agreement with TR-MIT", "No agreement"}},
		{"admin2", "/tokens", []string{"Create a token"}},
		{"liaison", "/compose", []string{"TR-MIT", "Check persons", `name="p2_name"`, "TLP"}},
		{"analyst", "/subjects/new", []string{"Primary name", "Watch-list"}},
	}
	for _, tc := range tests {
		path := strings.NewReplacer("{warning}", f.warningID, "{subject}", f.subjectID).Replace(tc.path)
		t.Run(tc.user+path, func(t *testing.T) {
			b := f.browser(t)
			b.login(tc.user)
			st, body := b.get(path)
			if st != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", st, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestAcknowledge(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("liaison")
	path := "/messages/" + f.warningID
	st, body, _ := b.post(path+"/ack", url.Values{"outcome": {"action_taken"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "Give the reason") {
		t.Fatalf("without a reason: status %d, want 400 with the error beside the field", st)
	}
	if st, _, h := b.post(path+"/read", nil); st != http.StatusSeeOther || h.Get("Location") != path+"?done=read" {
		t.Fatalf("mark read: %d → %q", st, h.Get("Location"))
	}
	st, _, h := b.post(path+"/ack", url.Values{"outcome": {"action_taken"}, "reason": {"Same man as our subject; file updated"}})
	if st != http.StatusSeeOther {
		t.Fatalf("acknowledge: status %d, want 303", st)
	}
	_, body = b.get(h.Get("Location"))
	for _, w := range []string{"Acknowledged; the acknowledgement is on its way to TR-MIT", "acknowledged", "action taken"} {
		if !strings.Contains(body, w) {
			t.Errorf("message page after acknowledging lacks %q", w)
		}
	}
	sm, err := f.node.Store.Message(context.Background(), f.warningID)
	if err != nil {
		t.Fatal(err)
	}
	if d := sm.Deliveries[0]; !d.Actioned() || d.ActionBy != "liaison" || d.Outcome != "action_taken" {
		t.Errorf("delivery after acknowledging: %+v", d)
	}
}

// TestAlertNeedsAnAnswer: from the page an alert closes only with a reason ("Dealt with"
// alone is refused and closes nothing); on a received warning the reason goes to its sender
// as a read-stage acknowledgement; acknowledging then closes every alert on the warning.
func TestAlertNeedsAnAnswer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.login("liaison")
	open, err := f.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100)
	if err != nil || len(open) < 2 {
		t.Fatalf("liaison alerts: %d, %v; want the match and the escalation", len(open), err)
	}
	var esc *forewarn.Alert
	for _, a := range open {
		if a.Kind == "escalation" {
			esc = a
		}
	}
	if esc == nil {
		t.Fatal("no escalation alert")
	}
	_, page := b.get("/alerts")
	if strings.Contains(page, "Dealt with") || !strings.Contains(page, "Record why not") || !strings.Contains(page, "Acknowledge the message") {
		t.Errorf("the alerts page offers the wrong choices")
	}
	st, body, _ := b.post("/alerts/"+esc.ID+"/resolve", url.Values{"outcome": {"forwarded"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "say why") {
		t.Errorf("closing an alert without a reason: %d, want 400 saying why", st)
	}
	if still, _ := f.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100); len(still) != len(open) {
		t.Fatalf("a refused answer closed an alert")
	}
	st, _, h := b.post("/alerts/"+esc.ID+"/resolve", url.Values{"outcome": {"forwarded"}, "reason": {"forwarded to the competent service"}})
	if st != http.StatusSeeOther || h.Get("Location") != "/alerts?done=1" {
		t.Fatalf("answering the escalation: %d → %q", st, h.Get("Location"))
	}
	a, _ := f.node.Store.Alert(ctx, esc.ID)
	answer, err := f.node.Store.Message(ctx, a.ClosedBy)
	if err != nil || answer.Message.Ack.Stage != forewarn.AckRead || answer.Message.Ack.Outcome != "forwarded" || answer.Message.To[0] != agencyTR.Code {
		t.Fatalf("the answer to the sender: %+v, %v", answer, err)
	}
	st, _, _ = b.post("/messages/"+f.warningID+"/ack", url.Values{"outcome": {"action_taken"}, "reason": {"Same man; file updated"}, "disclose": {"desk"}})
	if st != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", st)
	}
	for _, role := range forewarn.Roles {
		if as, _ := f.node.Store.Alerts(ctx, role, 100); len(as) != 0 {
			t.Errorf("%d %s alerts still open after acknowledging", len(as), role)
		}
	}
}

func TestCompose(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("liaison")
	form := url.Values{"kind": {"request"}, "priority": {"flash"}, "tlp": {"AMBER"}, "title": {"Ismaël Omar Mostefaï"}, "questions": {"All you hold."},
		"rows": {"3"}, "p0_name": {"Ismael Omar Mostefai"}, "p0_born": {"1985-11-21"}, "p0_nat": {"FR"}}
	check := url.Values{"action": {"check"}}
	for k, v := range form {
		check[k] = v
	}
	st, body, _ := b.post("/compose", check)
	if st != http.StatusOK || !strings.Contains(body, "your subject") || !strings.Contains(body, "watch-listed") || !strings.Contains(body, "a person in the") {
		t.Fatalf("check persons: status %d; the page must show the subject and the earlier warning\n%s", st, body)
	}
	st, body, _ = b.post("/compose/check", check)
	if st != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, "your subject") {
		t.Fatalf("check endpoint: status %d, want the hits as a fragment\n%s", st, body)
	}
	add := url.Values{"action": {"add"}}
	for k, v := range form {
		add[k] = v
	}
	if _, body, _ := b.post("/compose", add); !strings.Contains(body, `name="p3_name"`) {
		t.Error("add person did not add a fourth row")
	}
	st, body, _ = b.post("/compose", form)
	if st != http.StatusBadRequest || !strings.Contains(body, "Choose at least one recipient") {
		t.Fatalf("send without recipients: status %d, want 400 with the error beside the field", st)
	}
	form.Set("p1_name", "")
	form.Set("p1_born", "1990-13")
	if st, body, _ := b.post("/compose", form); st != http.StatusBadRequest || !strings.Contains(body, "Give the person") {
		t.Fatalf("a person row without a name: status %d, want 400 naming the row", st)
	}
	form.Del("p1_born")
	form.Set("to", "TR-MIT")
	form.Set("tlp", "RED")
	if st, body, _ := b.post("/compose", form); st != http.StatusBadRequest || !strings.Contains(body, "must name the agencies") {
		t.Fatalf("TLP:RED without a release list: status %d, want 400\n%s", st, body)
	}
	form.Set("release", "TR-MIT")
	st, _, h := b.post("/compose", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/messages/") {
		t.Fatalf("send: %d → %q, want 303 to the message page", st, h.Get("Location"))
	}
	_, body = b.get(h.Get("Location"))
	if !strings.Contains(body, "Sent: it is queued") || !strings.Contains(body, "TR-MIT") {
		t.Error("the sent message's page does not say it is queued")
	}
}

func TestSubjectActions(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("analyst")
	ctx := context.Background()
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: f.subjectID})
	if err != nil || len(ms) == 0 {
		t.Fatalf("fixture has no match to review: %v", err)
	}
	if st, body, _ := b.post("/matches/"+ms[0].ID+"/confirm", url.Values{"reason": {""}}); st != http.StatusBadRequest || !strings.Contains(body, "give the reason") {
		t.Fatalf("confirm without a reason: status %d, want 400", st)
	}
	if st, _, _ := b.post("/matches/"+ms[0].ID+"/confirm", url.Values{"reason": {"names, birth year and nationality agree"}}); st != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", st)
	}
	st, body := b.get("/subjects/" + f.subjectID)
	if st != http.StatusOK || !strings.Contains(body, "confirmed by Test analyst (analyst)") {
		t.Errorf("the subject page does not show the confirmed match")
	}
	if !strings.Contains(body, "Record a claim") {
		t.Error("an analyst is not offered the claim form")
	}
	claimForm := url.Values{"kind": {"residence"}, "value": {"Chartres"}, "from": {"2014"}, "source_agency": {"FR-DGSI"}, "grading": {"G2"}}
	if st, body, _ := b.post("/subjects/"+f.subjectID+"/claims", claimForm); st != http.StatusBadRequest || !strings.Contains(body, "A-F") || !strings.Contains(body, "Chartres") {
		t.Errorf("a claim graded G2: status %d, want 400 naming the rule and keeping what was typed", st)
	}
	claimForm.Set("grading", "B2")
	if st, _, _ := b.post("/subjects/"+f.subjectID+"/claims", claimForm); st != http.StatusSeeOther {
		t.Fatalf("record a claim: status %d", st)
	}
	if cs, _ := f.node.Store.Claims(ctx, f.subjectID); !slicesContainsClaim(cs, "residence", "Chartres") {
		t.Error("the claim was not stored")
	}
	d, err := f.node.SubjectDetail(ctx, forewarn.UserActor("test"), f.subjectID)
	if err != nil || len(d.Conflicts) == 0 || len(d.Conflicts[0].ClaimIDs) == 0 {
		t.Fatalf("fixture has no conflict: %v", err)
	}
	claim := d.Conflicts[0].ClaimIDs[0]
	if st, _, _ := b.post("/subjects/"+f.subjectID+"/prefer", url.Values{"claim": {claim}, "conflict": {"0"}, "reason": {"border records are primary"}}); st != http.StatusSeeOther {
		t.Fatalf("prefer: status %d", st)
	}
	_, body = b.get("/subjects/" + f.subjectID)
	if !strings.Contains(body, "border records are primary") {
		t.Error("the preferred claim's reason is not shown")
	}
	st, _, h := b.post("/subjects", url.Values{"name": {"Omar Ismail Mostefai"}, "born": {"1985"}, "nat": {"FR"}})
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/subjects/") {
		t.Fatalf("new subject: status %d to %q, want 303 to the subject's page", st, h.Get("Location"))
	}
	st, body = b.get(h.Get("Location"))
	if st != http.StatusOK || !strings.Contains(body, "1 describe this person") || !strings.Contains(body, "the person in the TR-MIT notification of 1 Dec 2014") {
		t.Fatalf("new subject: status %d; the page must list the earlier warning\n%s", st, body)
	}
}

func TestAuditVerifyAndAdmin(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("oversight")
	st, body, _ := b.post("/audit/verify", nil)
	if st != http.StatusOK || !strings.Contains(body, "The trail verifies") {
		t.Fatalf("verify: status %d, want the trail to verify", st)
	}
	a := f.browser(t)
	a.login("admin2")
	// Creating posts, redirects and shows the one-time password once (POST/redirect/GET):
	// a reload shows the list alone, the password neither in the URL nor again.
	st, _, h := a.post("/admin/users", url.Values{"username": {"desk2"}, "display_name": {"Desk two"}, "roles": {"liaison", "analyst"}})
	if st != http.StatusSeeOther || h.Get("Location") != "/admin/users" {
		t.Fatalf("create user: status %d to %q, want 303 to /admin/users", st, h.Get("Location"))
	}
	if _, body = a.get("/admin/users"); !strings.Contains(body, "One-time password") {
		t.Fatal("the page the creation led to does not show the one-time password")
	}
	if _, body = a.get("/admin/users"); strings.Contains(body, "One-time password") {
		t.Error("a reload shows the one-time password again")
	}
	if st, body, _ := a.post("/admin/users", url.Values{"username": {"Bad Name"}, "roles": {"liaison"}}); st != http.StatusBadRequest || !strings.Contains(body, "lower-case") {
		t.Fatalf("invalid username: status %d, want 400 beside the field", st)
	}
	st, _, h = a.post("/tokens", url.Values{"role": {"admin"}, "name": {"peer setup"}})
	if st != http.StatusSeeOther || h.Get("Location") != "/tokens" {
		t.Fatalf("create token: status %d to %q, want 303 to /tokens", st, h.Get("Location"))
	}
	if _, body = a.get("/tokens"); !strings.Contains(body, app.TokenPrefix) {
		t.Fatal("the page the creation led to does not show the token's secret")
	}
	if _, body = a.get("/tokens"); strings.Contains(body, app.TokenPrefix) {
		t.Error("a reload shows the token's secret again")
	}
	// An administrator revokes anyone's token (made by liaison for themselves).
	if _, _, err := app.NewToken(context.Background(), f.node, forewarn.UserActor("liaison"), "liaison", forewarn.RoleLiaison, "cli on desk 2"); err != nil {
		t.Fatal(err)
	}
	ts, err := f.node.Store.Tokens(context.Background(), "liaison")
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens of liaison: %v %v", ts, err)
	}
	if st, _, _ := a.post("/tokens/"+ts[0].ID+"/revoke", nil); st != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", st)
	}
	if ts, _ := f.node.Store.Tokens(context.Background(), "liaison"); ts[0].RevokedAt.IsZero() {
		t.Error("the token is not revoked")
	}
	// Disabling a user ends their session at once.
	victim := f.browser(t)
	victim.login("analyst")
	if st, _, _ := a.post("/admin/users/analyst/disable", nil); st != http.StatusSeeOther {
		t.Fatalf("disable: status %d", st)
	}
	if st, _, h := victim.do("GET", "/subjects", nil); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("a disabled user's session still works: %d → %q", st, h.Get("Location"))
	}
	if st, body, _ := victim.do("POST", "/login", url.Values{"username": {"analyst"}, "password": {testPassword}}); st != http.StatusUnauthorized || !strings.Contains(body, "disabled") {
		t.Errorf("a disabled user signing in: %d", st)
	}
	if st, _, _ := a.post("/admin/users/analyst/enable", nil); st != http.StatusSeeOther {
		t.Fatalf("enable: status %d", st)
	}
	if st, _, h := a.post("/logout", nil); st != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("logout: %d → %q", st, h.Get("Location"))
	}
	if st, _ := a.get("/admin/users"); st != http.StatusSeeOther {
		t.Errorf("after logout the admin page answers %d, want a redirect to sign in", st)
	}
}

func slicesContainsClaim(cs []*forewarn.Claim, kind forewarn.ClaimKind, value string) bool {
	for _, c := range cs {
		if c.Kind == kind && c.Value == value {
			return true
		}
	}
	return false
}

// TestLoginCSRF: the sign-in form carries a CSRF token bound to the browser, so another
// site cannot sign a visitor in to an account of its choosing; and "Origin: null", which a
// sandboxed frame on any site sends, is cross-site for the sign-in form and for every form.
func TestLoginCSRF(t *testing.T) {
	f := newFixture(t)
	creds := url.Values{"username": {"liaison"}, "password": {testPassword}}
	// A forged post: right password, no token (the attacker cannot read the cookie).
	b := f.browser(t)
	st, body, h := b.do("POST", "/login", url.Values{"username": {"liaison"}, "password": {testPassword}, "csrf": {""}})
	if st != http.StatusForbidden || !strings.Contains(body, "CSRF") || strings.Contains(h.Get("Set-Cookie"), web.SessionCookie) {
		t.Fatalf("sign-in without the form's token: status %d, want 403 naming CSRF and no session", st)
	}
	// A token from another browser does not do either.
	other := f.browser(t)
	other.get("/login")
	st, _, _ = b.do("POST", "/login", url.Values{"username": {"liaison"}, "password": {testPassword}, "csrf": {other.csrf}})
	if st != http.StatusForbidden {
		t.Fatalf("sign-in with another browser's token: status %d, want 403", st)
	}
	if !f.auditHas(t, "login.failed", "CSRF") {
		t.Error("refused sign-in forms are not in the audit trail")
	}
	post := func(b *browser, path string, form url.Values, origin string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	c := f.browser(t)
	c.get("/login")
	creds.Set("csrf", c.csrf)
	if st := post(c, "/login", creds, "null"); st != http.StatusForbidden {
		t.Fatalf("sign-in form posted with Origin: null: status %d, want 403", st)
	}
	if st := post(c, "/login", creds, c.base); st != http.StatusSeeOther {
		t.Fatalf("sign-in form from this site with its token: status %d, want 303", st)
	}
	c.get("/inbox")
	if st := post(c, "/logout", url.Values{"csrf": {c.csrf}}, "null"); st != http.StatusForbidden {
		t.Fatalf("a signed-in form posted with Origin: null: status %d, want 403", st)
	}
}

// TestTokensOwnAndRevokedOnPasswordChange: the tokens page makes tokens for the signed-in
// user only, administrators included; a password change offers to revoke the user's
// tokens, and does when asked.
func TestTokensOwnAndRevokedOnPasswordChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.browser(t)
	admin.login("admin2")
	if st, _, _ := admin.post("/tokens", url.Values{"username": {"liaison"}, "role": {"liaison"}, "name": {"borrowed"}}); st != http.StatusForbidden {
		t.Fatalf("an administrator making a token for liaison: status %d, want 403", st)
	}
	if ts, _ := f.node.Store.Tokens(ctx, "liaison"); len(ts) != 0 {
		t.Fatalf("liaison holds %d tokens after the refusal", len(ts))
	}
	b := f.browser(t)
	b.login("liaison")
	st, _, _ := b.post("/tokens", url.Values{"role": {"liaison"}, "name": {"cli"}, "days": {"30"}})
	if _, body := b.get("/tokens"); st != http.StatusSeeOther || !strings.Contains(body, "until") {
		t.Fatalf("liaison making their own token: status %d, want 303 to the token shown with its expiry", st)
	}
	ts, _ := f.node.Store.Tokens(ctx, "liaison")
	if len(ts) != 1 || !ts[0].ExpiresAt.Equal(ts[0].CreatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("tokens after creating one for 30 days: %+v", ts)
	}
	if _, body := b.get("/password"); !strings.Contains(body, `name="revoke_tokens"`) {
		t.Fatal("the password page does not offer to revoke the user's tokens")
	}
	if st, _, _ := b.post("/password", url.Values{"current": {testPassword}, "new": {"a much better passphrase"}, "again": {"a much better passphrase"}, "revoke_tokens": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("password change: status %d, want 303", st)
	}
	if _, err := f.node.Store.TokenByHash(ctx, ts[0].Hash); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the token still works after a password change that revoked it: %v", err)
	}
}

// TestPartnerTextInvisibleCharacters: bidi controls and zero-width characters in a
// partner's message are shown as visible marks, not left to reorder or disguise the text.
func TestPartnerTextInvisibleCharacters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	seed := make([]byte, 32)
	seed[0] = 1
	trKey := keyfile.FromSeed(seed)
	now := f.clock.Now()
	m := &forewarn.Message{ID: forewarn.NewID(now), Version: 1, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: now, Kind: forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
		Notification: &forewarn.Notification{Summary: "Transfer to account \u202E0987654321\u202C today", Priority: forewarn.PriorityUrgent, AcknowledgeBy: now.Add(24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar\u200B Ismail", Kind: forewarn.NamePrimary}}}}}}
	env, err := envelope.Seal(m, trKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.msgs.Receive(ctx, env, "test"); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.login("liaison")
	for _, path := range []string{"/messages/" + m.ID, "/inbox"} {
		st, body := b.get(path)
		if st != http.StatusOK {
			t.Fatalf("%s: status %d", path, st)
		}
		if strings.ContainsAny(body, "\u202E\u202C\u200B") {
			t.Errorf("%s shows partner text with invisible characters unmarked", path)
		}
		if !strings.Contains(body, "U+202E") {
			t.Errorf("%s does not mark the right-to-left override", path)
		}
	}
}

// TestStaticNoListing: the assets are served, their directory is not listed.
func TestStaticNoListing(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	if st, body := b.get("/static/style.css"); st != http.StatusOK || !strings.Contains(body, "{") {
		t.Fatalf("/static/style.css: status %d", st)
	}
	for _, path := range []string{"/static/", "/static", "/static/./", "/static//"} {
		st, body := b.get(path)
		if st == http.StatusOK || strings.Contains(body, "compose.js") {
			t.Errorf("%s: status %d, lists the directory", path, st)
		}
	}
}

// The explanation of a match that rests on a surname, with a title set aside, says so on
// the page an analyst reads it on.
func TestExplanationNamesSurnameOnlyAndTitle(t *testing.T) {
	f := newFixture(t)
	subj := &forewarn.Subject{Names: []forewarn.Name{{Value: "BELTRAN LEYVA, Alfredo", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1971, Month: 1, Day: 21}, Watch: forewarn.WatchListed}
	if _, err := f.msgs.CreateSubject(context.Background(), forewarn.UserActor("analyst"), subj); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.login("liaison")
	check := url.Values{"action": {"check"}, "kind": {"request"}, "priority": {"flash"}, "tlp": {"AMBER"}, "title": {"t"}, "questions": {"q"},
		"rows": {"1"}, "p0_name": {"Haji BELTRAN LEYVA"}, "p0_born": {"1971"}}
	st, body, _ := b.post("/compose", check)
	if st != http.StatusOK || !strings.Contains(body, "shares only the surname BELTRAN LEYVA") || !strings.Contains(body, "Haji") || !strings.Contains(body, "set aside") {
		t.Fatalf("check persons: status %d; the explanation must say the match rests on the surname and name the title\n%s", st, body)
	}
}

// TestPersonalDataReadsAudited: every read that shows personal data leaves an audit entry
// naming the reader, on the pages and through the API: a message naming persons, a list
// of them, a draft check that found subjects, matches.
func TestPersonalDataReadsAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	entries := func(action string) []*forewarn.AuditEntry {
		t.Helper()
		es, err := f.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: action, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	b := f.browser(t)
	b.login("liaison")
	if st, _ := b.get("/messages/" + f.warningID); st != http.StatusOK {
		t.Fatalf("message page: %d", st)
	}
	if es := entries("message.read"); len(es) != 1 || es[0].ObjectID != f.warningID || es[0].Actor.ID != "liaison" {
		t.Errorf("the message page is audited as %+v, want one message.read of %s by liaison", es, f.warningID)
	}
	before := len(entries("message.list")) // signing in opened the inbox
	b.get("/inbox?purpose=liaison-request")
	if es := entries("message.list"); len(es) != before+1 || es[len(es)-1].ObjectID != f.warningID || !strings.Contains(es[len(es)-1].Detail, "Inbox") {
		t.Errorf("the inbox is audited as %+v", es)
	}
	check := url.Values{"action": {"check"}, "kind": {"request"}, "priority": {"flash"}, "tlp": {"AMBER"}, "title": {"t"}, "questions": {"q"},
		"rows": {"1"}, "p0_name": {"Ismael Omar Mostefai"}, "p0_born": {"1985-11-21"}}
	if st, _, _ := b.post("/compose/check", check); st != http.StatusOK {
		t.Fatalf("compose check: %d", st)
	}
	if es := entries("draft.check"); len(es) != 1 || !strings.Contains(es[0].Detail, "subject "+f.subjectID) || es[0].Actor.ID != "liaison" {
		t.Errorf("the compose check is audited as %+v, want a draft.check naming subject %s", es, f.subjectID)
	}

	api := httpapi.NewServer(f.node, nil)
	api.SetMessages(f.msgs)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	secret, tok, err := app.NewToken(ctx, f.node, forewarn.UserActor("liaison"), "liaison", forewarn.RoleLiaison, "reads")
	if err != nil {
		t.Fatal(err)
	}
	callAPI := func(method, path, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d", method, path, res.StatusCode)
		}
	}
	for _, c := range []struct{ method, path, body, action string }{
		{"POST", "/api/v1/drafts/check", `{"persons":[{"ref":"p1","names":[{"value":"Ismael Omar Mostefai","kind":"primary"}],"birth_date":"1985-11-21"}]}`, "draft.check"},
		{"GET", "/api/v1/messages/" + f.warningID + "?purpose=liaison-request", "", "message.read"},
		{"GET", "/api/v1/messages?direction=in&purpose=liaison-request", "", "message.list"},
		{"GET", "/api/v1/messages/" + f.warningID + "/thread?purpose=liaison-request", "", "message.list"},
		{"GET", "/api/v1/matches?purpose=liaison-request", "", "match.list"},
	} {
		callAPI(c.method, c.path, c.body)
		es, _ := f.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: c.action, Token: tok.ID})
		if len(es) == 0 {
			t.Errorf("%s %s: no %s audit entry recording the token", c.method, c.path, c.action)
		}
	}
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{Limit: 1})
	if err != nil || len(ms) == 0 {
		t.Fatalf("the fixture holds no match: %v", err)
	}
	callAPI("GET", "/api/v1/matches/"+ms[0].ID+"?purpose=liaison-request", "")
	if es, _ := f.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "match.read", ObjectID: ms[0].ID}); len(es) != 1 {
		t.Errorf("reading match %s through the API is audited %d times, want once", ms[0].ID, len(es))
	}
}
