package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

// newServer is an API server over a real SQLite store, for requests made directly on its
// handler (so a test can say which address they come from).
func newServer(t *testing.T) *httpapi.Server {
	t.Helper()
	clock := app.NewSimClock(time.Date(2015, 1, 5, 9, 0, 0, 0, time.UTC))
	key := keyfile.FromSeed(make([]byte, 32))
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Signer: key, Agency: "FR-DGSI"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	node := app.New(store, clock, key, nil)
	if _, err := node.Initialize(context.Background(), forewarn.Agency{Code: "FR-DGSI", Name: "DGSI", Country: "FR"}, "admin"); err != nil {
		t.Fatal(err)
	}
	return httpapi.NewServer(node, nil)
}

func serve(s *httpapi.Server, method, path, from, token, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = from
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// TestMetricsGuarded: /metrics answers the node's own machine only by default, and only a
// client with the metrics token once one is set; refusals are audited.
func TestMetricsGuarded(t *testing.T) {
	s := newServer(t)
	if w := serve(s, "GET", "/metrics", "127.0.0.1:5000", "", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "go_goroutines") {
		t.Fatalf("/metrics from loopback: %d", w.Code)
	}
	if w := serve(s, "GET", "/metrics", "[::1]:5000", "", ""); w.Code != http.StatusOK {
		t.Fatalf("/metrics from ::1: %d", w.Code)
	}
	if w := serve(s, "GET", "/metrics", "192.0.2.7:5000", "", ""); w.Code != http.StatusForbidden {
		t.Fatalf("/metrics from another machine, no token configured: %d, want 403", w.Code)
	}
	s.MetricsToken = "scrape-secret"
	for _, tc := range []struct{ from, token string }{{"192.0.2.7:5000", ""}, {"127.0.0.1:5000", ""}, {"192.0.2.7:5000", "wrong"}} {
		if w := serve(s, "GET", "/metrics", tc.from, tc.token, ""); w.Code != http.StatusUnauthorized {
			t.Errorf("/metrics from %s with token %q: %d, want 401", tc.from, tc.token, w.Code)
		}
	}
	if w := serve(s, "GET", "/metrics", "192.0.2.7:5000", "scrape-secret", ""); w.Code != http.StatusOK {
		t.Errorf("/metrics with the token: %d", w.Code)
	}
	es, err := s.Node.Store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: "access.denied", ObjectID: "GET /metrics"})
	if err != nil || len(es) == 0 {
		t.Errorf("refused /metrics requests are not audited: %v", err)
	}
}

// TestAddPeerChecksURL: the API refuses the peer URLs the CLI refuses, by the same rule.
func TestAddPeerChecksURL(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	secret, _, err := app.NewToken(ctx, s.Node, forewarn.SystemActor("test"), "admin", forewarn.RoleAdmin, "peers")
	if err != nil {
		t.Fatal(err)
	}
	key := `"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="`
	for url, want := range map[string]int{
		"http://192.0.2.1:8470":      http.StatusBadRequest,
		"javascript:alert(1)":        http.StatusBadRequest,
		"javascript://x/%0aalert(1)": http.StatusBadRequest,
		"file:///etc/passwd":         http.StatusBadRequest,
		"http://127.0.0.1:8470":      http.StatusCreated,
	} {
		body := `{"agency":{"code":"TR-MIT","name":"MIT"},"base_url":"` + url + `","public_key":` + key + `}`
		if w := serve(s, "POST", "/api/v1/peers", "127.0.0.1:5000", secret, body); w.Code != want {
			t.Errorf("POST /api/v1/peers with %s: %d, want %d\n%s", url, w.Code, want, w.Body)
		}
	}
	s.AllowInsecurePeers = true
	// Another agency, so another key: one key is pinned for one agency only.
	other := `"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="`
	body := `{"agency":{"code":"DE-BFV","name":"BfV"},"base_url":"http://192.0.2.1:8470","public_key":` + other + `}`
	if w := serve(s, "POST", "/api/v1/peers", "127.0.0.1:5000", secret, body); w.Code != http.StatusCreated {
		t.Errorf("a plain-HTTP peer once insecure HTTP is allowed: %d\n%s", w.Code, w.Body)
	}
}

// TestRefusedOddPathsAudited: a refused request whose path is long or holds control
// characters is audited all the same, its path sanitised and cut, and no entry holds a
// line break a listing would show as a forged line.
func TestRefusedOddPathsAudited(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	for _, path := range []string{"/api/v1/subjects/x%0a2015-01-01%2012:00:00%20user:admin%20subject.delete", "/api/v1/subjects/" + strings.Repeat("a", 5000), "/api/v1/subjects/%1b%5b31m%e2%80%ae"} {
		if w := serve(s, "GET", path, "192.0.2.9:4000", "", ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("GET %.40s…: %d, want 401", path, w.Code)
		}
	}
	es, err := s.Node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d refusals audited, want 3", len(es))
	}
	for _, e := range es {
		if len(e.ObjectID) > 200 || strings.ContainsAny(e.ObjectID+e.Detail+e.Actor.ID, "\n\r\x1b\u202e") {
			t.Errorf("entry %d records %q", e.Seq, e.ObjectID)
		}
	}
	if !strings.Contains(es[0].ObjectID, `x\x0a2015-01-01`) || !strings.HasSuffix(es[1].ObjectID, "…") || !strings.Contains(es[2].ObjectID, `\x1b[31m\u202e`) {
		t.Errorf("paths recorded as %q, %q, %q", es[0].ObjectID, es[1].ObjectID, es[2].ObjectID)
	}
}

// TestAnonymousFloodCounted: a client refused over and over writes a few audit entries and
// then a count, not an entry per request; past a larger number it is told to wait (429);
// the count is audited when its interval ends, so the flood is on the record; another
// source is audited as usual meanwhile.
func TestAnonymousFloodCounted(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	wall := app.NewSimClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rl := s.Node.Refusals
	rl.Now = wall.Now
	before := countAudit(t, s)
	codes := map[int]int{}
	flood := rl.Answered + 100
	for range flood {
		codes[serve(s, "GET", "/api/v1/subjects", "192.0.2.66:4000", "", "").Code]++
	}
	if codes[http.StatusUnauthorized] != rl.Answered || codes[http.StatusTooManyRequests] != 100 {
		t.Errorf("answers to a flood of %d: %v; want %d × 401 then 429", flood, codes, rl.Answered)
	}
	if n := countAudit(t, s) - before; n != rl.Audited {
		t.Errorf("the flood wrote %d audit entries so far, want %d", n, rl.Audited)
	}
	if w := serve(s, "GET", "/api/v1/subjects", "198.51.100.1:4000", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("another source during the flood: %d", w.Code)
	}
	wall.Advance(rl.Interval + time.Second)
	serve(s, "GET", "/api/v1/subjects", "198.51.100.1:4000", "", "") // a refusal after the interval writes the count
	es, err := s.Node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied_repeated"})
	if err != nil || len(es) != 1 {
		t.Fatalf("counts audited: %v, %v; want one", es, err)
	}
	if want := fmt.Sprintf("%d more refused requests from 192.0.2.66", flood-rl.Audited); !strings.Contains(es[0].Detail, want) {
		t.Errorf("the count says %q, want %q", es[0].Detail, want)
	}
	if w := serve(s, "GET", "/api/v1/subjects", "192.0.2.66:4000", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("the flooding source in a new interval: %d, want 401 again", w.Code)
	}
	// A count still open is audited by Flush (as at shutdown).
	for range rl.Audited + 3 {
		serve(s, "GET", "/api/v1/subjects", "203.0.113.5:4000", "", "")
	}
	rl.Flush(ctx)
	es, _ = s.Node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "access.denied_repeated", ObjectID: "203.0.113.5"})
	if len(es) != 1 || !strings.Contains(es[0].Detail, "3 more refused requests") {
		t.Errorf("a count flushed at shutdown: %+v", es)
	}
}

func countAudit(t *testing.T, s *httpapi.Server) int {
	t.Helper()
	n := 0
	if err := s.Node.Store.ScanAudit(context.Background(), func(*forewarn.AuditEntry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
