package httpapi_test

import (
	"context"
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
	body := `{"agency":{"code":"DE-BFV","name":"BfV"},"base_url":"http://192.0.2.1:8470","public_key":` + key + `}`
	if w := serve(s, "POST", "/api/v1/peers", "127.0.0.1:5000", secret, body); w.Code != http.StatusCreated {
		t.Errorf("a plain-HTTP peer once insecure HTTP is allowed: %d\n%s", w.Code, w.Body)
	}
}
