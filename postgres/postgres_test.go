package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

const dsnEnv = "FOREWARN_TEST_POSTGRES"

// testDSN returns the test server's DSN, or skips the test saying how to enable it.
func testDSN(tb testing.TB) string {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		testdata.Skip(tb, "PostgreSQL suite", "set "+dsnEnv+"=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run it")
	}
	return dsn
}

// openFresh opens a store in a new, uniquely named schema that is dropped when the test ends.
func openFresh(tb testing.TB, opts sqlstore.Options) *sqlstore.DB {
	tb.Helper()
	return openServers(tb, 1, opts)[0]
}

// openServers opens n stores on one new schema, as n servers of one node would: each with
// its own connections.
func openServers(tb testing.TB, n int, opts sqlstore.Options) []*sqlstore.DB {
	tb.Helper()
	dbs, _ := openSchema(tb, n, opts)
	return dbs
}

// openSchema is openServers that also returns the new schema's name.
func openSchema(tb testing.TB, n int, opts sqlstore.Options) ([]*sqlstore.DB, string) {
	tb.Helper()
	dsn := testDSN(tb)
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", dsnEnv, err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "forewarn_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	var dbs []*sqlstore.DB
	for range n {
		db, err := postgres.Open(ctx, withSearchPath(dsn, schema), opts)
		if err != nil {
			tb.Fatalf("postgres.Open: %v", err)
		}
		tb.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	return dbs, schema
}

// serverEnvs opens n servers of one node on one new schema, on one clock and key, and
// initialises the node with its peers through the first.
func serverEnvs(t *testing.T, n int) []*storetest.Env {
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	dbs := openServers(t, n, sqlstore.Options{Now: clock.Now, Agency: storetest.Agency.Code, CheckpointEvery: 5, Signer: signer})
	envs := make([]*storetest.Env, len(dbs))
	for i, db := range dbs {
		envs[i] = &storetest.Env{T: t, Ctx: context.Background(), Store: db, Clock: clock, Signer: signer}
	}
	envs[0].Init()
	envs[0].AddPeers()
	return envs
}

// TestAccessVersionOfTheTableWritten: a write to a node's API tokens made under another
// search_path, here that of a second node in the same database (an operator's psql),
// moves the version of the node whose table it wrote, so that node's servers drop what
// they hold; the other node's version stays.
func TestAccessVersionOfTheTableWritten(t *testing.T) {
	ctx := context.Background()
	as, a := openSchema(t, 1, sqlstore.Options{})
	bs, b := openSchema(t, 1, sqlstore.Options{})
	version := func(db *sqlstore.DB) int64 {
		v, err := db.AccessVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	beforeA, beforeB := version(as[0]), version(bs[0])
	conn := adminConn(t)
	for _, q := range []string{"SET search_path = " + b, "DELETE FROM " + a + ".api_tokens WHERE false"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if afterA, afterB := version(as[0]), version(bs[0]); afterA == beforeA || afterB != beforeB {
		t.Errorf("the written node's version went %d → %d (want it moved), the other's %d → %d (want it kept)", beforeA, afterA, beforeB, afterB)
	}
}

// TestChangeLoggedInTheTableSchema: a subject written under another node's search_path
// (an operator's psql) logs its change in the change log of the node whose table it
// wrote, which is the log that node's matcher reads, and not in the other node's. The
// store's trigger functions named their tables unqualified and followed the writer's
// search_path (found by the session 12 review; migration 0447).
func TestChangeLoggedInTheTableSchema(t *testing.T) {
	ctx := context.Background()
	as, a := openSchema(t, 1, sqlstore.Options{})
	_, b := openSchema(t, 1, sqlstore.Options{})
	subject := storetest.NewSubject("Omar Ismail Mostefai")
	if err := as[0].CreateSubject(ctx, forewarn.UserActor("analyst1"), subject); err != nil {
		t.Fatal(err)
	}
	conn := adminConn(t)
	count := func(schema string) int {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+schema+".changes WHERE object_id = $1", subject.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	beforeA := count(a)
	if _, err := conn.ExecContext(ctx, "SET search_path = "+b); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "UPDATE "+a+".subjects SET data = data WHERE id = $1", subject.ID); err != nil {
		t.Fatal(err)
	}
	if afterA, inB := count(a), count(b); afterA != beforeA+1 || inB != 0 {
		t.Errorf("a subject of %s updated under %s's search_path: %d → %d changes logged in %s (want one more), %d in %s (want none)", a, b, beforeA, afterA, a, inB, b)
	}
}

// adminConn is one connection of an operator's own (psql, say), outside every store,
// closed when the test ends: a SET on it holds for its later statements.
func adminConn(t *testing.T) *sql.Conn {
	t.Helper()
	admin, err := sql.Open("pgx", testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	conn, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// withSearchPath adds search_path, which pgx sends as a run-time parameter, to a URL or
// key=value DSN.
func withSearchPath(dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&search_path=" + schema
	}
	return dsn + "?search_path=" + schema
}

func TestConformance(t *testing.T) {
	testDSN(t)
	t.Log("running the storage conformance suite on PostgreSQL")
	storetest.Run(t, func(t *testing.T, opts sqlstore.Options) forewarn.Store { return openFresh(t, opts) })
}

func TestMigrateTwiceAppliesOnce(t *testing.T) {
	db := openFresh(t, sqlstore.Options{})
	ctx := context.Background()
	if err := db.Migrate(ctx, postgres.Migrations()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	got, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatalf("AppliedMigrations: %v", err)
	}
	ms, err := sqlstore.Migrations(postgres.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	if len(want) < 4 || !slices.Equal(got, want) {
		t.Errorf("applied migrations = %v, want %v", got, want)
	}
}

// TestLoginAttemptsAcrossServers: two servers of one node on one database share one
// count of failed sign-ins. Of 40 guesses sent at once, half to each, only the limit get
// through, and a failure at one server counts at the other.
func TestLoginAttemptsAcrossServers(t *testing.T) {
	dbs := openServers(t, 2, sqlstore.Options{})
	ctx := context.Background()
	now := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := []string{"pair liaison 192.0.2.1"}
	const limit = 5
	decide := func(recent [][]time.Time) time.Duration {
		if len(recent[0]) >= limit {
			return time.Minute
		}
		return 0
	}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, wait, err := dbs[i%2].ReserveLoginAttempt(ctx, keys, now, 5*time.Minute, decide)
			if err != nil {
				t.Error(err)
			} else if wait == 0 {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != limit {
		t.Fatalf("%d of 40 guesses at two servers admitted, want %d", admitted.Load(), limit)
	}
}

// TestLateWritesAcrossServers: two servers of one node on one database store arrivals at
// once. Each links its audit entries after the head it last committed, without reading
// it first; when the other server has moved it meanwhile, the check in its pipeline fails
// and the arrival is linked again after the head as it is. The chain stays one chain that
// verifies, with one entry per arrival.
func TestLateWritesAcrossServers(t *testing.T) {
	envs := serverEnvs(t, 2)
	before := envs[0].AuditCount()
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := envs[w%len(envs)]
			for range each {
				sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
				if _, dup, err := e.Store.ReceiveMessage(e.Ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, sm, receipt); err != nil || dup {
					t.Errorf("ReceiveMessage at server %d: duplicate %v, %v", w%len(envs), dup, err)
				}
			}
		}()
	}
	wg.Wait()
	for i, e := range envs {
		if got, want := e.AuditCount()-before, writers*each; got != want {
			t.Errorf("server %d reads %d audit entries written, want %d (one per arrival)", i, got, want)
		}
		if n := e.MustVerify(); n != int64(e.AuditCount()) {
			t.Errorf("server %d verified %d entries of %d", i, n, e.AuditCount())
		}
	}
}

// TestMatchedThroughAcrossServers: an arrival matched without reading the change log is
// checked in the pipeline that stores it (the late path): another server's arrivals,
// which this server's matcher was not told of, refuse it with ErrIndexBehind, nothing
// stored; its own arrivals stored at the same time, matched through the same Seq, do
// not. Once matched through the other server's changes, it is stored.
func TestMatchedThroughAcrossServers(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	dbs := openServers(t, 2, sqlstore.Options{Now: clock.Now, Agency: storetest.Agency.Code, Signer: signer, CheckpointEvery: 1000})
	envs := make([]*storetest.Env, len(dbs))
	for i, db := range dbs {
		envs[i] = &storetest.Env{T: t, Ctx: context.Background(), Store: db, Clock: clock, Signer: signer}
		if !db.ChecksMatchedThrough() {
			t.Fatalf("server %d does not check what an arrival was matched through", i)
		}
	}
	envs[0].Init()
	envs[0].AddPeers()
	ctx := context.Background()
	receive := func(i int, through int64) (*forewarn.StoredMessage, error) {
		sm, receipt := envs[i].Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
		sm.CheckMatched, sm.MatchedThrough, sm.Durable = true, through, func(int64) {}
		_, _, err := dbs[i].ReceiveMessage(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, sm, receipt)
		return sm, err
	}
	matched, err := dbs[0].ChangeHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := receive(0, matched); err != nil {
				t.Errorf("an arrival matched while this server stored others: %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := receive(1, matched); !errors.Is(err, forewarn.ErrIndexBehind) {
		t.Fatalf("an arrival at the other server matched before this server's arrivals: %v, want ErrIndexBehind", err)
	}
	audit := envs[0].AuditCount()
	matched, err = dbs[0].ChangeHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := receive(1, matched); err != nil {
		t.Fatal(err)
	}
	sm, err := receive(0, matched)
	if !errors.Is(err, forewarn.ErrIndexBehind) {
		t.Fatalf("an arrival matched before the other server's arrival: %v, want ErrIndexBehind", err)
	}
	if _, err := dbs[0].MessageFrom(ctx, storetest.PeerFR, sm.Message.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the refused arrival is stored: %v", err)
	}
	if got := envs[0].AuditCount(); got != audit+1 {
		t.Errorf("%d audit entries written, want 1 (the other server's arrival only)", got-audit)
	}
	if n := envs[0].MustVerify(); n != int64(envs[0].AuditCount()) {
		t.Errorf("verified %d entries of %d", n, envs[0].AuditCount())
	}
}

// TestMixedWritesAcrossServers: two servers of one node on one database write at once in
// every way that moves the audit head: arrivals (late tails, linked after the head each
// server knows), receipts recorded for messages sent (late tails too), messages sent and
// stand-alone entries (transactions holding the head from their start). The chain stays
// one chain that verifies, with one entry per write.
func TestMixedWritesAcrossServers(t *testing.T) {
	envs := serverEnvs(t, 2)
	before := envs[0].AuditCount()
	const writers, each = 8, 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := envs[w%len(envs)]
			for i := range each {
				switch (w + i) % 3 {
				case 0:
					sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
					if _, dup, err := e.Store.ReceiveMessage(e.Ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, sm, receipt); err != nil || dup {
						t.Errorf("ReceiveMessage at server %d: duplicate %v, %v", w%len(envs), dup, err)
					}
				case 1:
					sm := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
					// message.send, then message.delivered
					if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: sm.Message.ID, Agency: storetest.PeerFR, Receipt: []byte(`{"r":1}`), At: e.Clock.Now()}); err != nil {
						t.Errorf("Delivered at server %d: %v", w%len(envs), err)
					}
				case 2:
					if err := e.Store.RecordAudit(e.Ctx, &forewarn.AuditEntry{Actor: forewarn.SystemActor("test"), Action: "test.write", ObjectType: "test", ObjectID: "x"}); err != nil {
						t.Errorf("RecordAudit at server %d: %v", w%len(envs), err)
					}
				}
			}
		}()
	}
	wg.Wait()
	want := 0
	for w := range writers {
		for i := range each {
			want += map[int]int{0: 1, 1: 2, 2: 1}[(w+i)%3]
		}
	}
	for i, e := range envs {
		if got := e.AuditCount() - before; got != want {
			t.Errorf("server %d reads %d audit entries written, want %d", i, got, want)
		}
		if n := e.MustVerify(); n != int64(e.AuditCount()) {
			t.Errorf("server %d verified %d entries of %d", i, n, e.AuditCount())
		}
	}
}

// TestConnectionsBounded: a server opens at most postgres.MaxOpenConns connections, however
// many writers it serves at once (here three times as many, each holding one while it
// waits for the audit head), so two servers of a node fit in PostgreSQL's default
// max_connections of 100; the writers beyond the bound wait for a connection, and every
// write is made.
func TestConnectionsBounded(t *testing.T) {
	if 2*postgres.MaxOpenConns > 100-3-10 {
		t.Fatalf("two servers may open %d connections: more than PostgreSQL's default 100, less its 3 superuser slots and 10 for an operator", 2*postgres.MaxOpenConns)
	}
	db := openFresh(t, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	if got := db.Stats().MaxOpenConnections; got != postgres.MaxOpenConns {
		t.Fatalf("the store may open %d connections, want %d", got, postgres.MaxOpenConns)
	}
	ctx, actor := context.Background(), forewarn.UserActor("analyst1")
	const writers = 3 * postgres.MaxOpenConns
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(db.Stats().OpenConnections); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 3 {
				if err := db.CreateSubject(ctx, actor, storetest.NewSubject(fmt.Sprintf("Subject %d-%d", i, j))); err != nil {
					t.Errorf("CreateSubject: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	st := db.Stats()
	if p := max(peak.Load(), int64(st.OpenConnections)); p > postgres.MaxOpenConns {
		t.Errorf("%d connections open at once, want at most %d", p, postgres.MaxOpenConns)
	}
	if st.WaitCount == 0 {
		t.Errorf("%d writers at once never waited for a connection: the bound of %d was not reached, so this test shows nothing", writers, postgres.MaxOpenConns)
	}
	if _, total, err := db.FindSubjects(ctx, actor, forewarn.SubjectFilter{Limit: 1}); err != nil || total != writers*3 {
		t.Errorf("%d subjects stored (%v), want %d", total, err, writers*3)
	}
}

// TestRepeatedDeliveryReceiptDurable: the receipt given again for a message delivered twice
// is given only once the log holding the message is durable, as the first one was. The
// first delivery's commit may still be waiting for the disk (group commit commits relaxed,
// then waits) when the second reads it, and a receipt given then for a message a crash
// loses would leave the sender believing it delivered. Here the log is left unflushed by
// a relaxed commit just before the second delivery, which must flush it. (Other writers
// on a shared server flush it too and may hide a regression; they cannot fail the test.)
func TestRepeatedDeliveryReceiptDurable(t *testing.T) {
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	db := openFresh(t, sqlstore.Options{Now: clock.Now, Agency: storetest.Agency.Code, Signer: signer})
	e := &storetest.Env{T: t, Ctx: context.Background(), Store: db, Clock: clock, Signer: signer}
	e.Init()
	e.AddPeers()
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	again := *sm
	again.Message = new(forewarn.Message)
	*again.Message = *sm.Message
	first, dup, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt)
	if err != nil || dup {
		t.Fatalf("first delivery: duplicate %v, %v", dup, err)
	}

	admin, err := sql.Open("pgx", testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	conn, err := admin.Conn(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var unflushed string
	for _, q := range []string{"SET synchronous_commit = off", "CREATE TEMP TABLE wal_probe (x int)", "INSERT INTO wal_probe VALUES (1)"} {
		if _, err := conn.ExecContext(e.Ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := conn.QueryRowContext(e.Ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&unflushed); err != nil {
		t.Fatal(err)
	}

	got, dup, err := db.ReceiveMessage(e.Ctx, peer, &again, []byte(`{"another":"receipt"}`))
	if err != nil || !dup || string(got) != string(first) {
		t.Fatalf("second delivery: receipt %s, duplicate %v, %v; want the first receipt %s", got, dup, err, first)
	}
	var durable bool
	if err := conn.QueryRowContext(e.Ctx, "SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn", unflushed).Scan(&durable); err != nil {
		t.Fatal(err)
	}
	if !durable {
		t.Errorf("the receipt of a repeated delivery was given before the log (to %s) was flushed", unflushed)
	}
}

// TestWaitDurableFlushes checks the contract group commit rests on: after a relaxed
// commit, Dialect.WaitDurable returns only once the log is flushed past that commit. A
// transaction that only takes a transaction ID writes no log, so PostgreSQL commits it
// asynchronously too and flushes nothing ("SELECT txid_current()" left 199 of 200 such
// commits unflushed): arrivals were receipted before they were durable. (Other writers
// on a shared server flush the log too and may hide a regression; they cannot fail it.)
func TestWaitDurableFlushes(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 6)
	rand.Read(b)
	table := "forewarn_test_wal_" + hex.EncodeToString(b)
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+table+" (x int)"); err != nil {
		t.Fatal(err)
	}
	defer db.ExecContext(ctx, "DROP TABLE "+table)
	unflushed := 0
	const rounds = 20
	for range rounds {
		for _, q := range []string{"BEGIN", postgres.Dialect.RelaxedCommit, "INSERT INTO " + table + " VALUES (1)", "COMMIT"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var committed string
		if err := conn.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&committed); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, postgres.Dialect.WaitDurable); err != nil {
			t.Fatalf("%s: %v", postgres.Dialect.WaitDurable, err)
		}
		var durable bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn", committed).Scan(&durable); err != nil {
			t.Fatal(err)
		}
		if !durable {
			unflushed++
		}
	}
	if unflushed > 0 {
		t.Errorf("%d of %d relaxed commits were not flushed when %q returned", unflushed, rounds, postgres.Dialect.WaitDurable)
	}
}

// schemaAdmin opens a node's store in a schema of its own and returns a connection pool of
// an operator's own to that schema, closed when the test ends.
func schemaAdmin(t *testing.T) *sql.DB {
	t.Helper()
	_, schema := openSchema(t, 1, sqlstore.Options{})
	admin, err := sql.Open("pgx", withSearchPath(testDSN(t), schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

// insertBareMessage inserts, as an operator's psql would, a sent message id of priority
// with the urgency key given and nothing else of note: what the urgency triggers see.
func insertBareMessage(t *testing.T, db *sql.DB, id, priority, urgency string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO messages (id, direction, from_agency, kind, in_reply_to, thread_root, created, stored_at, priority, holds_person, envelope, message, wire_id, urgency)
		VALUES ($1, 'out', 'TR-MIT', 'notification', '', $1, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', $2, false, '\x00', '{}', $1, $3)`, id, priority, urgency); err != nil {
		t.Fatal(err)
	}
}

// TestMessageUrgencyAtInsert: a message inserted keeps the urgency key its writer gave
// when it is as urgent as that of a message without deliveries, or more (its deliveries
// will give it that), and is given that key when the one given is less urgent, now that
// the insert trigger runs only then (migration 0442); a change of priority still
// recomputes the key from the deliveries.
func TestMessageUrgencyAtInsert(t *testing.T) {
	ctx := context.Background()
	admin := schemaAdmin(t)
	const deadline = "2026-02-01T00:00:00.000000000Z"
	for _, c := range []struct {
		id, priority, given, want string
	}{
		{"m1", "routine", "113", "113"},                                // the key of no deliveries
		{"m2", "flash", "113", "110"},                                  // less urgent than its priority's
		{"m3", "urgent", "10" + deadline + "1", "10" + deadline + "1"}, // a deadline its deliveries will give
		{"m4", "priority", "0" + "1" + "2", "012"},                     // overdue, as a delivery will make it
	} {
		insertBareMessage(t, admin, c.id, c.priority, c.given)
		var got string
		if err := admin.QueryRowContext(ctx, "SELECT urgency FROM messages WHERE id = $1", c.id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s (%s) inserted with key %q: stored %q, want %q", c.id, c.priority, c.given, got, c.want)
		}
	}
	// m3's key was given for deliveries it does not have: a change of priority recomputes
	// it from the deliveries it has (none).
	if _, err := admin.ExecContext(ctx, "UPDATE messages SET priority = 'flash' WHERE id = 'm3'"); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := admin.QueryRowContext(ctx, "SELECT urgency FROM messages WHERE id = 'm3'").Scan(&got); err != nil || got != "110" {
		t.Errorf("after a change of priority to flash: key %q (%v), want %q", got, err, "110")
	}
}

// TestDeliveriesInsertedTogetherKeepUrgency checks the key a statement inserting several
// deliveries leaves its messages, as a batch of arrivals inserts them: the one their
// deliveries give (forewarn_urgency_of), each delivery's trigger deriving it from the key
// the one before it left (migration 0370).
func TestDeliveriesInsertedTogetherKeepUrgency(t *testing.T) {
	ctx := context.Background()
	admin := schemaAdmin(t)
	for _, m := range []struct{ id, priority, key string }{{"m1", "routine", "113"}, {"m2", "urgent", "111"}, {"m3", "flash", "110"}} {
		insertBareMessage(t, admin, m.id, m.priority, m.key)
	}
	const t1, t2, t3 = "2026-02-01T00:00:00.000000000Z", "2026-02-02T00:00:00.000000000Z", "2026-02-03T00:00:00.000000000Z"
	// In one statement: m1 a later deadline, an earlier one actioned (which counts for
	// nothing) and an overdue one; m2 two deadlines, the earlier second; m3 none.
	if _, err := admin.ExecContext(ctx, `INSERT INTO deliveries (message_id, agency, direction, attempts, last_error, read_by, actioned_at, actioned_by, outcome, reason, deadline, escalation_step, overdue_since)
		VALUES ('m1', 'A', 'out', 0, '', '', NULL, '', '', '', $2, 0, NULL),
			('m1', 'B', 'out', 0, '', '', $1, '', '', '', $1, 0, NULL),
			('m1', 'C', 'out', 0, '', '', NULL, '', '', '', $3, 0, $1),
			('m2', 'A', 'out', 0, '', '', NULL, '', '', '', $3, 0, NULL),
			('m2', 'B', 'out', 0, '', '', NULL, '', '', '', $2, 0, NULL),
			('m3', 'A', 'out', 0, '', '', NULL, '', '', '', NULL, 0, NULL)`, t1, t2, t3); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"m1": "00" + t2 + "3", "m2": "10" + t2 + "1", "m3": "110"} {
		var got, recomputed string
		if err := admin.QueryRowContext(ctx, "SELECT urgency, forewarn_urgency_of(id, priority) FROM messages WHERE id = $1", id).Scan(&got, &recomputed); err != nil {
			t.Fatal(err)
		}
		if got != want || recomputed != want {
			t.Errorf("%s: key %q after its deliveries were inserted together (recomputed from them %q), want %q", id, got, recomputed, want)
		}
	}
}

// TestMessagesInsertedTogetherLogged checks that a statement inserting several messages
// logs a change for each received one and none for a sent one (migration 0445, one
// trigger call per statement), as a batch of arrivals and a send insert them.
func TestMessagesInsertedTogetherLogged(t *testing.T) {
	ctx := context.Background()
	admin := schemaAdmin(t)
	var before int64
	if err := admin.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&before); err != nil {
		t.Fatal(err)
	}
	for _, ids := range [][]string{{"in1", "out1", "in2"}, {"out2"}} {
		if _, err := admin.ExecContext(ctx, `INSERT INTO messages (id, direction, from_agency, kind, in_reply_to, thread_root, created, stored_at, priority, holds_person, envelope, message, wire_id, urgency)
			SELECT id, left(id, length(id) - 1), 'TR-MIT', 'notification', '', id, '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:00.000000000Z', 'routine', false, '\x00', '{}', id, '113' FROM unnest($1::text[]) AS id`, ids); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := admin.QueryContext(ctx, "SELECT kind || ':' || object_id FROM changes WHERE seq > $1 ORDER BY seq", before)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if len(got) != 2 || !slices.Contains(got, "message:in1") || !slices.Contains(got, "message:in2") {
		t.Errorf("changes logged for in1, out1, in2 inserted together, then out2: %q; want in1's and in2's", got)
	}
}
