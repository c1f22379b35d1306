package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/childproc"
	_ "modernc.org/sqlite"
)

// These tests run nodes as separate operating-system processes of the real binary, on
// loopback, as an agency would run them.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// forewarnBinary builds the forewarn binary once for the test run.
func forewarnBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "forewarn-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "forewarn")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// exe runs the binary to completion and returns its output.
func exe(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(forewarnBinary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("forewarn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// proc is a node running as its own process.
type proc struct {
	code, dir string
	port      int
	cmd       *exec.Cmd
	log       *os.File
	token     string
	extra     []string
}

func (p *proc) url() string { return fmt.Sprintf("http://127.0.0.1:%d", p.port) }

// start launches 'forewarn serve' and waits, boundedly, until it answers /healthz.
func (p *proc) start(t *testing.T) {
	t.Helper()
	args := append([]string{"serve", "--data", p.dir, "--listen", fmt.Sprintf("127.0.0.1:%d", p.port), "--tick", "100ms",
		"--retry-base", "100ms", "--retry-max", "1s", "--log-level", "warn"}, p.extra...)
	p.cmd = exec.Command(forewarnBinary(t), args...)
	childproc.DieWithParent(p.cmd)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		resp, err := http.Get(p.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not come up; see %s", p.code, p.log.Name())
}

func (p *proc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p.cmd = nil
	}
}

func (p *proc) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-done
		}
		p.cmd = nil
	}
}

var tokenRE = regexp.MustCompile(`fw_[A-Za-z0-9_-]+`)

// newProcs creates nodes with a liaison user and token each, all peers of each other.
// peerURL may redirect a peer's address (through a proxy).
func newProcs(t *testing.T, codes []string, peerURL func(to *proc) string) []*proc {
	t.Helper()
	root := t.TempDir()
	var ps []*proc
	for _, code := range codes {
		p := &proc{code: code, dir: filepath.Join(root, code), port: freePort(t)}
		exe(t, "init", "--data", p.dir, "--agency", code, "--name", "Agency "+code, "--log-level", "warn")
		exe(t, "user", "add", "--data", p.dir, "--username", "liaison", "--name", "Liaison desk", "--role", "liaison", "--log-level", "warn")
		p.token = tokenRE.FindString(exe(t, "token", "create", "--data", p.dir, "--username", "liaison", "--role", "liaison", "--log-level", "warn"))
		if p.token == "" {
			t.Fatal("token create printed no token")
		}
		log, err := os.Create(filepath.Join(root, code+".log"))
		if err != nil {
			t.Fatal(err)
		}
		p.log = log
		ps = append(ps, p)
	}
	for _, a := range ps {
		for _, b := range ps {
			if a == b {
				continue
			}
			key := strings.Fields(exe(t, "key", "show", "--data", b.dir, "--log-level", "warn"))[1]
			url := b.url()
			if peerURL != nil {
				url = peerURL(b)
			}
			exe(t, "peer", "add", "--data", a.dir, "--agency", b.code, "--name", "Agency "+b.code, "--url", url, "--key", key, "--log-level", "warn")
		}
	}
	t.Cleanup(func() {
		for _, p := range ps {
			p.stop()
			p.log.Close()
		}
	})
	return ps
}

// api calls a node's JSON API with its liaison token.
func (p *proc) api(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url()+path, rd)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

type msgView struct {
	Message struct {
		ID   string   `json:"id"`
		Kind string   `json:"kind"`
		From string   `json:"from"`
		To   []string `json:"to"`
	} `json:"message"`
	Deliveries []struct {
		Agency      string    `json:"agency"`
		DeliveredAt time.Time `json:"delivered_at"`
		ActionAt    time.Time `json:"actioned_at"`
		Outcome     string    `json:"outcome"`
	} `json:"deliveries"`
	Status map[string]string `json:"status"`
}

// TestThreeProcesses: three nodes as separate processes exchange requests, notifications,
// responses and acknowledgements between every pair, and both sides of every exchange
// agree on its status.
func TestThreeProcesses(t *testing.T) {
	if testing.Short() {
		testdata.Skip(t, "multi-process tests (skipped with -short)", "run without -short")
	}
	ps := newProcs(t, []string{"TR-MIT", "FR-DGSI", "DE-BKA"}, nil)
	for _, p := range ps {
		p.start(t)
	}
	byCode := map[string]*proc{}
	for _, p := range ps {
		byCode[p.code] = p
	}
	type exchange struct{ from, to, notification, request string }
	var xs []*exchange
	for _, a := range ps {
		for _, b := range ps {
			if a == b {
				continue
			}
			x := &exchange{from: a.code, to: b.code}
			// The CLI is how a liaison desk scripts it.
			out, _, err := runCLI(t, map[string]string{"FOREWARN_TOKEN": a.token}, "message", "send", "--node", a.url(), "--kind", "notification",
				"--to", b.code, "--priority", "urgent", "--summary", "warning from "+a.code, "--person", "Omar Ismail Mostefai; born=1985; nationality=FR")
			if err != nil {
				t.Fatalf("message send: %v", err)
			}
			x.notification = idRE.FindString(out)
			var v msgView
			req := map[string]any{"kind": "request", "to": []string{b.code}, "marks": map[string]any{"tlp": "AMBER", "releasable_to": []string{b.code}},
				"request": map[string]any{"subject": "question from " + a.code, "questions": "Known to you?",
					"persons": []any{map[string]any{"ref": "p1", "names": []any{map[string]any{"value": "Ismaël Omar Mostefaï"}}}}}}
			if st := a.api(t, "POST", "/api/v1/messages", req, &v); st != http.StatusCreated {
				t.Fatalf("send request: %d", st)
			}
			x.request = v.Message.ID
			xs = append(xs, x)
		}
	}
	waitFor(t, 30*time.Second, "every message delivered", func() bool {
		for _, x := range xs {
			var v msgView
			if byCode[x.to].api(t, "GET", "/api/v1/messages/"+x.notification+"?purpose=liaison-request", nil, &v) != 200 {
				return false
			}
			if byCode[x.to].api(t, "GET", "/api/v1/messages/"+x.request+"?purpose=liaison-request", nil, &v) != 200 {
				return false
			}
		}
		return true
	})
	for _, x := range xs {
		to := byCode[x.to]
		if _, _, err := runCLI(t, map[string]string{"FOREWARN_TOKEN": to.token}, "message", "ack", "--node", to.url(), x.notification,
			"--outcome", "action_taken", "--reason", "checked by "+x.to); err != nil {
			t.Fatalf("message ack: %v", err)
		}
		resp := map[string]any{"kind": "response", "to": []string{x.from}, "in_reply_to": x.request,
			"marks": map[string]any{"tlp": "AMBER", "releasable_to": []string{x.from}}, "response": map[string]any{"answer": "Not known to " + x.to}}
		if st := to.api(t, "POST", "/api/v1/messages", resp, nil); st != http.StatusCreated {
			t.Fatalf("send response: %d", st)
		}
	}
	checked := 0
	waitFor(t, 30*time.Second, "both sides agree on every exchange", func() bool {
		checked = 0
		for _, x := range xs {
			for _, id := range []string{x.notification, x.request} {
				var sender, recipient msgView
				byCode[x.from].api(t, "GET", "/api/v1/messages/"+id+"?purpose=liaison-request", nil, &sender)
				byCode[x.to].api(t, "GET", "/api/v1/messages/"+id+"?purpose=liaison-request", nil, &recipient)
				if len(sender.Deliveries) != 1 || len(recipient.Deliveries) != 1 {
					return false
				}
				s, r := sender.Deliveries[0], recipient.Deliveries[0]
				if s.ActionAt.IsZero() || !s.ActionAt.Equal(r.ActionAt) || s.Outcome != r.Outcome || s.DeliveredAt.IsZero() {
					return false
				}
				if !strings.Contains(sender.Status[x.to], "acknowledged") || !strings.Contains(recipient.Status[x.to], "acknowledged") {
					return false
				}
				checked++
			}
		}
		return true
	})
	t.Logf("%d exchanges between %d nodes: sender and recipient agree on delivery and acknowledgement of each", checked, len(ps))
	for _, p := range ps {
		p.stop()
		if out := exe(t, "audit", "verify", "--data", p.dir, "--log-level", "warn"); !strings.Contains(out, "audit trail OK") {
			t.Errorf("%s: %s", p.code, out)
		}
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// cutProxy forwards loopback TCP to a target and can cut the link: while cut, it drops
// every connection, open or new.
type cutProxy struct {
	ln     net.Listener
	target string
	cut    atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.cut.Load() {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *cutProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *cutProxy) setCut(cut bool) {
	p.cut.Store(cut)
	if cut {
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	}
}

// metric reads a counter from a node's /metrics (answered on loopback without a token).
func metric(t *testing.T, p *proc, name string) int {
	t.Helper()
	resp, err := http.Get(p.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return int(f)
		}
	}
	t.Fatalf("%s/metrics has no %s", p.url(), name)
	return 0
}

// count runs a counting query on a node's SQLite file, read-only, while it runs.
func count(t *testing.T, dir, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, dbFileName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestFaultDelivery sends 10,000 messages from one node process to another while the
// receiver is killed with SIGKILL and restarted several times and the link between them
// is cut for a while; afterwards every message is stored exactly once on the receiver,
// every sender entry has a receipt, and both audit chains verify.
func TestFaultDelivery(t *testing.T) {
	if testing.Short() {
		testdata.Skip(t, "multi-process tests (skipped with -short)", "run without -short")
	}
	const total = 10000
	var proxy *cutProxy
	ps := newProcs(t, []string{"TR-MIT", "FR-DGSI"}, func(to *proc) string {
		if to.code != "FR-DGSI" {
			return to.url()
		}
		proxy = newCutProxy(t, fmt.Sprintf("127.0.0.1:%d", to.port))
		return "http://" + proxy.ln.Addr().String()
	})
	sender, receiver := ps[0], ps[1]
	sender.start(t)
	receiver.start(t)

	var sent atomic.Int64
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total && ctx.Err() == nil; i += 4 {
				body := map[string]any{"kind": "notification", "to": []string{"FR-DGSI"}, "marks": map[string]any{"tlp": "GREEN"},
					"notification": map[string]any{"summary": fmt.Sprintf("fault test message %d", i), "priority": "routine",
						"persons": []any{map[string]any{"ref": "p1", "names": []any{map[string]any{"value": benchName(i)}}}}}}
				if sender.api(t, "POST", "/api/v1/messages", body, nil) == http.StatusCreated {
					sent.Add(1)
				}
			}
		}(w)
	}
	// Faults while the messages flow: three crashes of the receiver and two cuts of the link.
	faults := []func(){
		func() { receiver.kill(); time.Sleep(500 * time.Millisecond); receiver.start(t) },
		func() { proxy.setCut(true); time.Sleep(3 * time.Second); proxy.setCut(false) },
		func() { receiver.kill(); time.Sleep(time.Second); receiver.start(t) },
		func() {
			proxy.setCut(true)
			receiver.kill()
			time.Sleep(2 * time.Second)
			receiver.start(t)
			time.Sleep(time.Second)
			proxy.setCut(false)
		},
		func() { receiver.kill(); receiver.start(t) },
	}
	for _, f := range faults {
		time.Sleep(1500 * time.Millisecond)
		f()
	}
	wg.Wait()
	if sent.Load() != total {
		t.Fatalf("only %d of %d messages were accepted by the sender", sent.Load(), total)
	}
	waitFor(t, 4*time.Minute, "every message receipted", func() bool {
		return count(t, sender.dir, "SELECT count(*) FROM deliveries WHERE direction = 'out' AND delivered_at IS NULL") == 0
	})
	// The backlogs the faults leave go in batches: fewer requests than messages receipted.
	delivered, requests := metric(t, sender, "forewarn_messages_delivered_total"), metric(t, sender, "forewarn_delivery_requests_total")
	if delivered < total || requests >= delivered {
		t.Errorf("the sender counts %d messages receipted in %d requests; want at least %d, in fewer requests (batches)", delivered, requests, total)
	}
	sender.stop()
	receiver.stop()

	stored := count(t, receiver.dir, "SELECT count(*) FROM messages WHERE direction = 'in'")
	distinct := count(t, receiver.dir, "SELECT count(DISTINCT id) FROM messages WHERE direction = 'in'")
	receipted := count(t, sender.dir, "SELECT count(*) FROM deliveries WHERE direction = 'out' AND delivered_at IS NOT NULL AND length(receipt) > 0")
	attempts := count(t, sender.dir, "SELECT coalesce(sum(attempts), 0) FROM deliveries WHERE direction = 'out'")
	if stored != total || distinct != total || receipted != total {
		t.Errorf("receiver stored %d (%d distinct), sender holds %d receipts; want %d each", stored, distinct, receipted, total)
	}
	var audits []string
	for _, p := range ps {
		out := exe(t, "audit", "verify", "--data", p.dir, "--log-level", "warn")
		if !strings.Contains(out, "audit trail OK") {
			t.Errorf("%s: %s", p.code, out)
		}
		audits = append(audits, p.code+": "+strings.TrimSpace(out))
	}
	report := fmt.Sprintf("fault test: %d messages sent; receiver stored %d (%d distinct); sender holds %d signed receipts, from %d requests; %d failed attempts retried; 4 receiver crashes (SIGKILL), 2 link cuts\n%s\n",
		total, stored, distinct, receipted, requests, attempts, strings.Join(audits, "\n"))
	t.Log(report)
	if err := os.MkdirAll("../../test-output", 0o755); err == nil {
		os.WriteFile("../../test-output/fault-test.txt", []byte(report), 0o644)
	}
}

// The binary an agency runs hashes passwords at bcrypt's default cost; only test binaries,
// whose accounts are thrown away, hash at the minimum (app.HashPassword).
func TestBinaryHashesAtDefaultCost(t *testing.T) {
	if testing.Short() {
		testdata.Skip(t, "multi-process tests (skipped with -short)", "run without -short")
	}
	dir := filepath.Join(t.TempDir(), "fr")
	exe(t, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "Agency FR-DGSI", "--log-level", "warn")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, dbFileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRow("SELECT password_hash FROM users WHERE username = 'admin'").Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("the binary's admin password hash has cost %d (%v), want bcrypt's default %d", cost, err, bcrypt.DefaultCost)
	}
	if hash, err := app.HashPassword("a test binary's password"); err != nil {
		t.Fatal(err)
	} else if cost, _ := bcrypt.Cost([]byte(hash)); cost != bcrypt.MinCost {
		t.Errorf("a test binary hashes at cost %d, want bcrypt's minimum %d", cost, bcrypt.MinCost)
	}
}
