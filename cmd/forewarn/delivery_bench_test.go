package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/limits"
)

// timedTransport records how long each delivery takes: the HTTP round trip, which
// includes the recipient verifying and durably storing the message and its receipt. A
// batch's round trip counts once for each of its envelopes, each of which waited for it.
type timedTransport struct {
	next     app.Transport
	mu       sync.Mutex
	took     []time.Duration
	requests int
}

func (t *timedTransport) Deliver(ctx context.Context, p *forewarn.Peer, env []byte) ([]byte, error) {
	start := time.Now()
	r, err := t.next.Deliver(ctx, p, env)
	t.timed(start, 1)
	return r, err
}

func (t *timedTransport) DeliverBatch(ctx context.Context, p *forewarn.Peer, envs [][]byte) ([][]byte, []error, int, error) {
	bt, ok := t.next.(app.BatchTransport)
	if !ok {
		return nil, nil, 0, &forewarn.HTTPFailure{Status: http.StatusNotFound, Text: "no batches"}
	}
	start := time.Now()
	rs, errs, inFlight, err := bt.DeliverBatch(ctx, p, envs)
	t.timed(start, len(envs))
	return rs, errs, inFlight, err
}

func (t *timedTransport) timed(start time.Time, n int) {
	took := time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	for range n {
		t.took = append(t.took, took)
	}
}

// perRequest returns how many envelopes went in each request, on average.
func (t *timedTransport) perRequest() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return float64(len(t.took)) / float64(max(1, t.requests))
}

func (t *timedTransport) percentile(p float64) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.took) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), t.took...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

// benchPair starts two real nodes on loopback on the wall clock; with dsn set, each
// stores its data in its own fresh PostgreSQL schema instead of SQLite.
func benchPair(b testing.TB, dsn string) (tr, fr *liveNode) {
	return pairNodes(b, dsn, func(string) *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow}
	})
}

// pairNodes starts Turkey's and France's nodes with the serve flags flagsFor gives each,
// and makes each a pinned peer of the other.
func pairNodes(b testing.TB, dsn string, flagsFor func(code string) *serveFlags) (tr, fr *liveNode) {
	b.Helper()
	return pairNodesTicking(b, dsn, flagsFor, false)
}

// pairNodesTicking is pairNodes; with autoTick each node runs its delivery worker and
// scheduler as serve does, instead of the caller ticking them.
func pairNodesTicking(b testing.TB, dsn string, flagsFor func(code string) *serveFlags, autoTick bool) (tr, fr *liveNode) {
	b.Helper()
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	dir := b.TempDir()
	clock := forewarn.SystemClock{}
	nodes := map[string]*liveNode{}
	for _, ag := range []forewarn.Agency{agencyTR, agencyFR} {
		nf := &nodeFlags{data: filepath.Join(dir, ag.Code), checkpointEvery: 1000, logLevel: "error", as: "bench"}
		if dsn != "" {
			nf.db = freshSchema(b, dsn, "bench_"+ag.Code)
		}
		node, _, err := m.initNodeAt(ctx, nf, nf.data, ag, "admin", clock)
		if err != nil {
			b.Fatal(err)
		}
		node.Store.Close()
		rt, err := m.startRuntime(ctx, nf, flagsFor(ag.Code), clock, autoTick)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { rt.Close() })
		nodes[ag.Code] = rt
	}
	for _, pair := range [][2]string{{agencyTR.Code, agencyFR.Code}, {agencyFR.Code, agencyTR.Code}} {
		peer := nodes[pair[1]]
		info, _ := peer.node.Store.Node(ctx)
		if err := nodes[pair[0]].node.Store.AddPeer(ctx, forewarn.SystemActor("bench"), &forewarn.Peer{Agency: info.Agency, BaseURL: peer.url, PublicKey: info.PublicKey}); err != nil {
			b.Fatal(err)
		}
	}
	return nodes[agencyTR.Code], nodes[agencyFR.Code]
}

// queue sends n warnings from tr to fr, four liaison officers at a time, and returns how
// long it took: each is signed and stored with its delivery and audit entry.
func queue(b *testing.B, tr *liveNode, n int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				_, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
					Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
					Notification: &forewarn.Notification{Summary: fmt.Sprintf("benchmark %d", i), Priority: forewarn.PriorityRoutine,
						Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return time.Since(start)
}

// benchmarkDelivery measures messages per second from one node to another, durably
// stored on both sides: with b.N warnings queued on the sender, the time until every one
// is delivered over HTTP, verified, matched and stored by the recipient, and its signed
// receipt recorded by the sender, the sender's delivery worker running as serve runs it
// (deliverByWorker). It reports the delivery round trip's p50 and p99, and
// separately how fast the sender queued them (signing, storing, auditing each), and the
// rate beside the limit it runs against (internal/limits), measured in the same run.
func benchmarkDelivery(b *testing.B, dsn string) {
	ctx := context.Background()
	tr, fr := benchPair(b, dsn)
	tt := &timedTransport{next: tr.msgs.Transport}
	tr.msgs.Transport = tt
	// FOREWARN_BENCH_BATCH tries another batch size (1: each envelope alone).
	if n, err := strconv.Atoi(os.Getenv("FOREWARN_BENCH_BATCH")); err == nil {
		tr.msgs.BatchSize = n
	}
	queued := queue(b, tr, b.N)
	var commits, flushes int64
	var pgCPU time.Duration
	pgCPUKnown := false
	if dsn != "" {
		time.Sleep(1100 * time.Millisecond) // the queueing's statistics reach the counters
		var err error
		if commits, flushes, err = limits.PostgresActivity(ctx, dsn); err != nil {
			b.Fatal(err)
		}
		pgCPU, pgCPUKnown = limits.PostgresCPU(ctx, dsn)
	}
	// FOREWARN_BENCH_ROUNDS=1 delivers in rounds of DeliverDue, each waiting for its
	// slowest delivery, as this benchmark did before it ran the worker.
	rounds := os.Getenv("FOREWARN_BENCH_ROUNDS") != ""
	before := tr.msgs.Stats.Delivered.Load()
	stopProfile := profileTimed(b)
	b.ResetTimer()
	start, cpu := time.Now(), limits.ProcessCPU()
	if rounds {
		deliverInRounds(b, tr)
	} else {
		deliverByWorker(b, tr, before)
	}
	elapsed, cpu := time.Since(start), limits.ProcessCPU()-cpu
	if pgCPUKnown {
		after, ok := limits.PostgresCPU(ctx, dsn)
		pgCPU, pgCPUKnown = after-pgCPU, ok
	}
	b.StopTimer()
	stopProfile()
	if _, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 1}); err != nil || total != b.N {
		b.Fatalf("recipient holds %d messages, want %d (%v)", total, b.N, err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	// On a shared machine the CPU both nodes spent per message says more than the wall
	// time, which the neighbours set.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/msg")
	b.ReportMetric(float64(tt.percentile(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(tt.percentile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/queued.Seconds(), "queued/s")
	b.ReportMetric(tt.perRequest(), "msgs/request")
	// The limit it runs against, measured now on the same disk: durable single-row
	// commits for SQLite; for PostgreSQL 2 KB INSERT transactions from 1 and from 8
	// clients (run it against a server with fsync on for a durable-commit limit).
	rate := float64(b.N) / elapsed.Seconds()
	if dsn == "" {
		limits.Report(b, rate, limits.SQLiteCommitLimit(b), "sqlite-commit")
	} else {
		// Commits and disk flushes per message, from the server's own counters (of every
		// client: run it on a server of its own): what group commit saves, whatever the
		// neighbours do to the rate.
		time.Sleep(1100 * time.Millisecond)
		c, f, err := limits.PostgresActivity(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c-commits)/float64(b.N), "pg-commits/msg")
		b.ReportMetric(float64(f-flushes)/float64(b.N), "pg-flushes/msg")
		if pgCPUKnown {
			// The server's CPU (every backend of every client: run it on a server of its own).
			b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(b.N), "pg-cpu-ms/msg")
		}
		limits.Report(b, rate, limits.PostgresInsertLimit(b, dsn, 1), "pg-insert1")
		insert8 := limits.PostgresInsertLimit(b, dsn, 8)
		limits.Report(b, rate, insert8, "pg-insert8")
		p99 := tt.percentile(0.99)
		b.Logf("PostgreSQL delivery: %.0f msgs/s (target ≥ 1,000), p99 %s (target < 100 ms); 8-client 2 KB INSERT limit in this run %.0f TPS: ratio %.3f (target ≥ 0.3); %.1f commits and %.2f disk flushes per message",
			rate, p99.Round(100*time.Microsecond), insert8, rate/insert8, float64(c-commits)/float64(b.N), float64(f-flushes)/float64(b.N))
	}
}

// deliverByWorker runs the sender's delivery worker as serve does, with as many
// deliveries in flight to the peer as its adaptive limit allows (16 to 64, app/inflight.go; a recipient on PostgreSQL says it gains from 128)
// and a new one started as soon as one is receipted, until b.N more deliveries are
// receipted and none is left due. It reports the limit the worker ended at (in-flight).
func deliverByWorker(b *testing.B, tr *liveNode, before int64) {
	ctx := context.Background()
	wctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); tr.msgs.Run(wctx, time.Second) }()
	defer func() { cancel(); <-stopped }()
	last, progressed := before, time.Now()
	for {
		n := tr.msgs.Stats.Delivered.Load()
		if n-before >= int64(b.N) {
			due, err := tr.node.Store.DueDeliveries(ctx, time.Now().AddDate(100, 0, 0), 1)
			if err != nil {
				b.Fatal(err)
			}
			if len(due) == 0 {
				limit := 0
				for _, l := range tr.msgs.InFlightLimits() {
					limit = max(limit, l)
				}
				b.ReportMetric(float64(limit), "in-flight")
				return
			}
		}
		if n != last {
			last, progressed = n, time.Now()
		} else if time.Since(progressed) > time.Minute {
			b.Fatalf("stuck at %d of %d receipted%s", n-before, b.N, dueErrors(tr))
		}
		time.Sleep(time.Millisecond)
	}
}

// deliverInRounds delivers every due delivery in rounds of DeliverDue with 16 in flight,
// each round waiting for its slowest.
func deliverInRounds(b *testing.B, tr *liveNode) {
	ctx := context.Background()
	for delivered := 0; delivered < b.N; {
		n, err := tr.msgs.DeliverDue(ctx, 16)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("stuck at %d of %d delivered%s", delivered, b.N, dueErrors(tr))
		}
		delivered += n
	}
}

// dueErrors says why the first few due deliveries failed, for a stuck benchmark.
func dueErrors(tr *liveNode) string {
	why := ""
	if due, err := tr.node.Store.DueDeliveries(context.Background(), time.Now().AddDate(1, 0, 0), 3); err == nil {
		for _, d := range due {
			why += "; " + d.LastError
		}
	}
	return why
}

// profileTimed starts a CPU profile of the timed part of a benchmark when
// FOREWARN_BENCH_CPUPROFILE names a file (-cpuprofile also covers the setup: starting
// the nodes, queueing, measuring the limit), and returns what stops it.
func profileTimed(b *testing.B) func() {
	path := os.Getenv("FOREWARN_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// benchName returns the i-th of 2,500 different realistic names, so that, as in real
// traffic, most persons arriving are new to the recipient and its matcher does the work
// it does in production rather than matching one name against itself again and again.
func benchName(i int) string {
	given := strings.Fields("Karim Samir Yassine Mehdi Olga Ivan Ahmet Fatma Jean Marie Hans Anna Ali Layla Pedro Lucia Tomasz Ewa " +
		"Omar Nadia Sergei Irina Mustafa Elif Pierre Claire Jürgen Petra Hassan Salma Diego Carmen Piotr Agata Rashid Amina Dmitri Yulia Kemal Zeynep " +
		"Luc Sophie Klaus Greta Tariq Hiba Javier Elena Marek Zofia")
	family := strings.Fields("Benali Haddad Ouali Laroussi Petrova Sokolov Yilmaz Demir Dupont Martin Müller Schmidt Hassan Nasser Alvarez Romero " +
		"Nowak Kowalska Mansour Bouzid Ivanov Smirnova Kaya Sahin Lefebvre Moreau Fischer Weber Khalil Saleh Garcia Lopez Wisniewski Lewandowska " +
		"Karimi Rahimi Volkov Orlova Aydin Celik Girard Bonnet Wagner Becker Farouk Zaki Navarro Torres Zielinski Wojcik")
	return given[i%len(given)] + " " + family[(i/len(given))%len(family)]
}

func BenchmarkDeliverySQLite(b *testing.B) { benchmarkDelivery(b, "") }

// BenchmarkDeliveryAPI measures delivery end to end as a program uses it: 8 clients POST
// warnings to the sender's /api/v1/messages until every one is receipted by the peer,
// both nodes serving as serve does (their own delivery workers, durable SQLite on both
// sides). It reports messages per second from the first POST to the last receipt
// recorded, beside the single-row durable commit limit measured in the same run.
func BenchmarkDeliveryAPI(b *testing.B) {
	ctx := context.Background()
	tr, fr := pairNodesTicking(b, "", func(string) *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow, tick: time.Second,
			retryBase: app.DefaultRetryBase, retryMax: app.DefaultRetryMax}
	}, true)
	setup := forewarn.SystemActor("bench")
	if err := tr.node.Store.CreateUser(ctx, setup, &forewarn.User{Username: "desk", DisplayName: "Desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		b.Fatal(err)
	}
	token, _, err := app.NewToken(ctx, tr.node, forewarn.UserActor("desk"), "desk", forewarn.RoleLiaison, "bench")
	if err != nil {
		b.Fatal(err)
	}
	const clients = 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	before, requests := tr.msgs.Stats.Delivered.Load(), tr.msgs.Stats.Requests.Load()
	stopProfile := profileTimed(b)
	b.ResetTimer()
	start, cpu := time.Now(), limits.ProcessCPU()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < b.N; i += clients {
				body, _ := json.Marshal(&forewarn.Message{
					Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
					Notification: &forewarn.Notification{Summary: fmt.Sprintf("benchmark %d", i), Priority: forewarn.PriorityRoutine,
						Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}}})
				req, _ := http.NewRequest("POST", tr.url+"/api/v1/messages", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					errs <- fmt.Errorf("POST /api/v1/messages: %s", resp.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	posted := time.Since(start)
	// Every delivery is receipted when none is left due, however far ahead.
	receipted := func() bool {
		if tr.msgs.Stats.Delivered.Load()-before < int64(b.N) {
			return false
		}
		due, err := tr.node.Store.DueDeliveries(ctx, time.Now().AddDate(100, 0, 0), 1)
		if err != nil {
			b.Fatal(err)
		}
		return len(due) == 0
	}
	for deadline := time.Now().Add(10 * time.Minute); !receipted(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d receipted after 10 minutes", tr.msgs.Stats.Delivered.Load()-before, b.N)
		}
	}
	elapsed, cpu := time.Since(start), limits.ProcessCPU()-cpu
	b.StopTimer()
	stopProfile()
	if _, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 1}); err != nil || total != b.N {
		b.Fatalf("recipient holds %d messages, want %d (%v)", total, b.N, err)
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/msg")
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(float64(b.N)/posted.Seconds(), "posted/s")
	b.ReportMetric(float64(tr.msgs.Stats.Delivered.Load()-before)/float64(b.N), "sent/msg")
	b.ReportMetric(float64(tr.msgs.Stats.Delivered.Load()-before)/float64(tr.msgs.Stats.Requests.Load()-requests), "msgs/request")
	limits.Report(b, rate, limits.SQLiteCommitLimit(b), "sqlite-commit")
}

func BenchmarkDeliveryPostgres(b *testing.B) { benchmarkDelivery(b, testPostgres(b)) }
