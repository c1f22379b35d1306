package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/sqlstore"
)

// failoverProxy stands in front of the servers of one node, as an operator's load
// balancer does: each connection goes to the next server in turn, or to another when that
// one does not answer.
type failoverProxy struct {
	ln      net.Listener
	targets []string
	next    atomic.Int64
}

func newFailoverProxy(t *testing.T, targets ...string) *failoverProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &failoverProxy{ln: ln, targets: targets}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *failoverProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *failoverProxy) pipe(c net.Conn) {
	defer c.Close()
	first := int(p.next.Add(1))
	for i := range p.targets {
		up, err := net.DialTimeout("tcp", p.targets[(first+i)%len(p.targets)], time.Second)
		if err != nil {
			continue
		}
		go func() { io.Copy(up, c); up.Close() }()
		io.Copy(c, up)
		up.Close()
		return
	}
}

// pgCount runs a counting query on a node's PostgreSQL schema.
func pgCount(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestTwoServersOnePostgresHA runs node TR-MIT as two serve processes on one PostgreSQL
// schema behind a fail-over proxy, and its peer FR-DGSI as a third process. 2,500
// warnings go out from TR-MIT (posted to both servers) and 2,500 come in from FR-DGSI
// while one TR-MIT server is killed with SIGKILL in the middle and later started again.
// Every message is stored and receipted exactly once on each side, every receipt is
// recorded (and audited) once, escalations made due while both servers run fire once
// each, and both audit chains verify.
func TestTwoServersOnePostgresHA(t *testing.T) {
	if testing.Short() {
		testdata.Skip(t, "multi-process tests (skipped with -short)", "run without -short")
	}
	const out, in = 2500, 2500
	dsn := freshSchema(t, testPostgres(t), "ha")
	pg, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	root := t.TempDir()
	logFile := func(name string) *os.File {
		f, err := os.Create(filepath.Join(root, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	// Shorter delivery attempts, so that what the killed server had claimed lapses within
	// ten seconds rather than the default half minute.
	timing := []string{"--delivery-timeout", "5s"}
	adir := filepath.Join(root, "tr")
	a1 := &proc{code: "TR-MIT", dir: adir, port: freePort(t), log: logFile("tr-1"), extra: append([]string{"--db", dsn}, timing...)}
	a2 := &proc{code: "TR-MIT", dir: adir, port: freePort(t), log: logFile("tr-2"), extra: append([]string{"--db", dsn}, timing...)}
	b := &proc{code: "FR-DGSI", dir: filepath.Join(root, "fr"), port: freePort(t), log: logFile("fr"), extra: timing}
	lb := newFailoverProxy(t, fmt.Sprintf("127.0.0.1:%d", a1.port), fmt.Sprintf("127.0.0.1:%d", a2.port))
	for _, p := range []*proc{a1, b} {
		cli := func(args ...string) string { return exe(t, append(args, "--data", p.dir, "--log-level", "warn")...) }
		if p == a1 {
			cli("init", "--agency", p.code, "--name", "Agency "+p.code, "--db", dsn)
		} else {
			cli("init", "--agency", p.code, "--name", "Agency "+p.code)
		}
		cli("user", "add", "--username", "liaison", "--name", "Liaison desk", "--role", "liaison")
		if p.token = tokenRE.FindString(cli("token", "create", "--username", "liaison", "--role", "liaison")); p.token == "" {
			t.Fatal("token create printed no token")
		}
	}
	a2.token = a1.token
	keyOf := func(p *proc) string {
		return strings.Fields(exe(t, "key", "show", "--data", p.dir, "--log-level", "warn"))[1]
	}
	// TR-MIT reaches FR-DGSI through a proxy that counts the envelopes it is sent: two
	// servers both sending each delivery would show as twice as many.
	var sends atomic.Int64
	bURL, _ := url.Parse(b.url())
	forward := httputil.NewSingleHostReverseProxy(bURL)
	forward.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == federation.MessagesPath {
			sends.Add(1)
		}
		forward.ServeHTTP(w, r)
	}))
	defer counting.Close()
	exe(t, "peer", "add", "--data", adir, "--agency", b.code, "--name", "FR", "--url", counting.URL, "--key", keyOf(b), "--log-level", "warn")
	exe(t, "peer", "add", "--data", b.dir, "--agency", a1.code, "--name", "TR", "--url", lb.url(), "--key", keyOf(a1), "--log-level", "warn")
	for _, p := range []*proc{a1, a2, b} {
		p.start(t)
	}
	t.Cleanup(func() { a1.stop(); a2.stop(); b.stop() })

	// post sends one warning through a server's API; it runs on the posting goroutines,
	// so it reports failure rather than stopping the test.
	post := func(to *proc, i int, toward string) bool {
		body, _ := json.Marshal(map[string]any{"kind": "notification", "to": []string{toward}, "marks": map[string]any{"tlp": "GREEN"},
			"notification": map[string]any{"summary": fmt.Sprintf("HA test message %d", i), "priority": "routine",
				"persons": []any{map[string]any{"ref": "p1", "names": []any{map[string]any{"value": benchName(i)}}}}}})
		req, _ := http.NewRequest("POST", to.url()+"/api/v1/messages", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+to.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusCreated
	}
	// Posters to TR-MIT use both servers until a1 is about to be killed; the kill waits
	// for the posts to a1 in flight, so every post has a known outcome.
	var useA1 atomic.Bool
	useA1.Store(true)
	var a1Posts sync.RWMutex
	var sentOut, sentIn atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for i := w; i < out; i += 4 {
				a1Posts.RLock()
				to := a2
				if i%2 == 0 && useA1.Load() {
					to = a1
				}
				ok := post(to, i, b.code)
				a1Posts.RUnlock()
				if ok {
					sentOut.Add(1)
				}
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			for i := w; i < in; i += 4 {
				if post(b, out+i, a1.code) {
					sentIn.Add(1)
				}
			}
		}(w)
	}
	received := func() int {
		return count(t, b.dir, "SELECT count(*) FROM messages WHERE direction = 'in'")
	}
	waitFor(t, 2*time.Minute, "FR-DGSI to receive a third of TR-MIT's warnings", func() bool { return received() >= out/3 })
	useA1.Store(false)
	a1Posts.Lock()
	a1.kill()
	a1Posts.Unlock()
	killedAt := received()
	// What the killed server had claimed and not recorded as receipted: in flight, or
	// receipted by FR-DGSI but not yet recorded. The other server sends these again.
	orphaned := pgCount(t, pg, "SELECT count(*) FROM deliveries WHERE claimed_by LIKE $1 AND delivered_at IS NULL", fmt.Sprintf("%% 127.0.0.1:%d", a1.port))
	waitFor(t, 2*time.Minute, "FR-DGSI to receive two thirds", func() bool { return received() >= 2*out/3 })
	a1.start(t) // the killed server comes back and shares the work again
	wg.Wait()
	if sentOut.Load() != out || sentIn.Load() != in {
		t.Fatalf("the nodes accepted %d of %d outgoing and %d of %d incoming warnings", sentOut.Load(), out, sentIn.Load(), in)
	}
	waitFor(t, 3*time.Minute, "every warning receipted on both sides", func() bool {
		return pgCount(t, pg, "SELECT count(*) FROM deliveries WHERE direction = 'out' AND delivered_at IS NULL") == 0 &&
			count(t, b.dir, "SELECT count(*) FROM deliveries WHERE direction = 'out' AND delivered_at IS NULL") == 0
	})

	// Escalations: the deadlines of 100 of each side's deliveries are moved into the
	// past (the clock is not), so both servers' schedulers find them due at once.
	past := sqlstore.FormatTime(time.Now().Add(-time.Minute))
	for _, dir := range []string{"out", "in"} {
		if _, err := pg.Exec("UPDATE deliveries SET deadline = $1, next_escalation = $1 WHERE direction = $2 AND message_id IN (SELECT message_id FROM deliveries WHERE direction = $2 ORDER BY message_id LIMIT 100)", past, dir); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, time.Minute, "the 200 overdue deliveries to escalate", func() bool {
		return pgCount(t, pg, "SELECT count(*) FROM deliveries WHERE deadline = $1 AND escalation_step = 0", past) == 0
	})
	time.Sleep(time.Second) // both schedulers run again over what is now escalated: nothing may fire twice
	a1.stop()
	a2.stop()
	b.stop()

	run := haRun{
		sender:    haStore{count: func(q string) int { return pgCount(t, pg, q) }, summary: pgSummary},
		recipient: haStore{count: func(q string) int { return count(t, b.dir, q) }, summary: sqliteSummary},
		out:       out, in: in, sends: int(sends.Load()), orphaned: orphaned, overdue: past, overdueCount: 200,
	}
	for _, p := range run.problems() {
		t.Error(p)
	}
	for _, dir := range []string{adir, b.dir} {
		if v := exe(t, "audit", "verify", "--data", dir, "--log-level", "warn"); !strings.Contains(v, "audit trail OK") {
			t.Errorf("audit verify %s: %s", dir, v)
		}
	}
	t.Logf("two TR-MIT servers on one PostgreSQL: %d out (%d envelopes sent, %d failed attempts, %d claimed by the killed server and sent again), %d in; one killed after FR-DGSI had %d; %d escalations",
		out, sends.Load(), pgCount(t, pg, "SELECT coalesce(sum(attempts), 0) FROM deliveries WHERE direction = 'out'"), orphaned, in, killedAt, pgCount(t, pg, "SELECT count(*) FROM escalations"))
}

// haStore counts rows in one node's store for the HA checks, in its own SQL dialect.
type haStore struct {
	count   func(query string) int
	summary string // the SQL that reads a stored warning's summary
}

const (
	pgSummary     = "message::jsonb #>> '{notification,summary}'"
	sqliteSummary = "json_extract(message, '$.notification.summary')"
)

// haRun is what a run of two servers sharing the sender's store leaves to check: both
// stores, how many warnings were posted each way, how many envelopes the sender's servers
// put on the wire (counted by a proxy in front of the recipient), how many deliveries a
// killed server had claimed and not finished, and the deadline overdue deliveries were
// moved to (empty when none were).
type haRun struct {
	sender, recipient haStore
	out, in           int
	sends, orphaned   int
	overdue           string // a formatted time; the deliveries with that deadline escalate
	overdueCount      int
}

// problems checks that every message was stored, receipted and audited exactly once on
// each side, that no envelope was sent by two servers, that each overdue delivery
// escalated once, and that the sender's audit chain is one chain. It returns what is
// wrong, nothing when the run held.
func (r haRun) problems() []string {
	s, f := r.sender, r.recipient
	checks := []struct {
		what      string
		got, want int
	}{
		{"sender's outgoing messages", s.count("SELECT count(*) FROM messages WHERE direction = 'out'"), r.out},
		{"sender's outgoing deliveries receipted", s.count("SELECT count(*) FROM deliveries WHERE direction = 'out' AND length(receipt) > 0"), r.out},
		{"sender's receipts audited (each once)", s.count("SELECT count(*) FROM audit_entries WHERE action = 'message.delivered'"), r.out},
		{"recipient's received messages", f.count("SELECT count(*) FROM messages WHERE direction = 'in'"), r.out},
		{"recipient's distinct received summaries", f.count("SELECT count(DISTINCT " + f.summary + ") FROM messages WHERE direction = 'in'"), r.out},
		{"recipient's receptions audited", f.count("SELECT count(*) FROM audit_entries WHERE action = 'message.receive'"), r.out},
		{"sender's received messages", s.count("SELECT count(*) FROM messages WHERE direction = 'in'"), r.in},
		{"sender's distinct received summaries", s.count("SELECT count(DISTINCT " + s.summary + ") FROM messages WHERE direction = 'in'"), r.in},
		{"sender's receptions audited", s.count("SELECT count(*) FROM audit_entries WHERE action = 'message.receive'"), r.in},
		{"recipient's outgoing deliveries receipted", f.count("SELECT count(*) FROM deliveries WHERE direction = 'out' AND length(receipt) > 0"), r.in},
		{"escalation steps fired twice", s.count("SELECT count(*) FROM (SELECT 1 FROM escalations GROUP BY message_id, agency, side, step HAVING count(*) > 1) d"), 0},
		{"escalations audited", s.count("SELECT count(*) FROM audit_entries WHERE action = 'message.escalate'"), s.count("SELECT count(*) FROM escalations")},
		{"escalation alerts", s.count("SELECT count(*) FROM alerts WHERE kind = 'escalation'"), s.count("SELECT count(*) FROM escalations")},
		{"audit entries (one chain: seq 1…head, no gaps)", s.count("SELECT count(*) FROM audit_entries"), s.count("SELECT seq FROM audit_head")},
	}
	if r.overdue != "" {
		checks = append(checks, struct {
			what      string
			got, want int
		}{"escalated deliveries", s.count("SELECT count(*) FROM deliveries WHERE deadline = '" + r.overdue + "' AND escalation_step > 0"), r.overdueCount})
	}
	var problems []string
	// Each envelope is sent once, plus its failed attempts, plus what a killed server had
	// claimed and not finished: more means two servers sent the same delivery.
	retried := s.count("SELECT coalesce(sum(attempts), 0) FROM deliveries WHERE direction = 'out'")
	if r.sends > r.out+retried+r.orphaned {
		problems = append(problems, fmt.Sprintf("the sender sent %d envelopes for %d warnings with %d failed attempts and %d left by a killed server: some were sent by two servers",
			r.sends, r.out, retried, r.orphaned))
	}
	for _, c := range checks {
		if c.got != c.want {
			problems = append(problems, fmt.Sprintf("%s: %d, want %d", c.what, c.got, c.want))
		}
	}
	return problems
}
