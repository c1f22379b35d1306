package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// postgresEnv opens a store on PostgreSQL in a schema of its own, dropped afterwards, and
// returns it with a connection to that schema for the test's own reads; what names the
// suite in the message of a skip, and n is storetest.NewEnv's.
func postgresEnv(t *testing.T, what string, n int) (*storetest.Env, *sql.Conn) {
	dsn := os.Getenv("FOREWARN_TEST_POSTGRES")
	if dsn == "" {
		testdata.Skip(t, what, "set FOREWARN_TEST_POSTGRES=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run it")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "forewarn_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	e := storetest.NewEnv(t, func(t *testing.T, opts sqlstore.Options) forewarn.Store {
		db, err := postgres.Open(ctx, dsn+sep+"search_path="+schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, n)
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(ctx, "SET search_path = "+schema); err != nil {
		t.Fatal(err)
	}
	return e, conn
}

// On PostgreSQL the writes that meet at commit share one transaction, whatever they are:
// arrivals, a message sent, receipts and matches found after an arrival are held, then
// released together, and every row they wrote carries one transaction ID. Each caller
// gets its own result; the chain is one chain.
func TestGroupCommitSharesTransactionPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	out := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())).Message
	earlier := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())).Message
	e.Clock.Advance(time.Second)
	start := e.AuditCount()

	queued, release := sqlstore.HoldLateGroup(db)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var arrivals []string
	for i := range 3 {
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
		arrivals = append(arrivals, m.ID)
		sm, receipt := e.Incoming(m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, dup, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt); err != nil || dup {
				errs <- fmt.Errorf("arrival %d: duplicate %v, %v", i, dup, err)
			}
		}()
	}
	sent := storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())
	wg.Add(3)
	go func() {
		defer wg.Done()
		sm := &forewarn.StoredMessage{Message: sent, Envelope: []byte("signed envelope of " + sent.ID), Direction: forewarn.DirectionOut, StoredAt: e.Clock.Now(), Priority: forewarn.PriorityRoutine,
			Deliveries: []*forewarn.Delivery{{MessageID: sent.ID, Agency: storetest.PeerFR, Direction: forewarn.DirectionOut, NextAttempt: e.Clock.Now()}}}
		if err := db.CreateMessage(e.Ctx, forewarn.UserActor("liaison1"), sm); err != nil {
			errs <- fmt.Errorf("send: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := db.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: out.ID, Agency: storetest.PeerFR, Receipt: []byte(`{"r":1}`), At: e.Clock.Now()}); err != nil {
			errs <- fmt.Errorf("receipt: %v", err)
		}
	}()
	match := &forewarn.Match{MessageID: earlier.ID, PersonRef: "p1", Fingerprint: "fp", EarlierMessageID: out.ID, EarlierPersonRef: "p1", Score: 0.9, Summary: "found after"}
	go func() {
		defer wg.Done()
		alert := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: earlier.ID, Text: "You were told about this person before."}
		if err := db.CreateMatches(e.Ctx, forewarn.SystemActor("matcher"), []*forewarn.Match{match}, []*forewarn.Alert{alert}); err != nil {
			errs <- fmt.Errorf("matches: %v", err)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); queued() < 6; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 6 writes queued", queued())
		}
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var xids []string
	for _, q := range []struct{ sql, id string }{
		{"SELECT xmin::text FROM messages WHERE id = $1", arrivals[0]},
		{"SELECT xmin::text FROM messages WHERE id = $1", arrivals[1]},
		{"SELECT xmin::text FROM messages WHERE id = $1", arrivals[2]},
		{"SELECT xmin::text FROM messages WHERE id = $1", sent.ID},
		{"SELECT xmin::text FROM deliveries WHERE message_id = $1 AND direction = 'out'", out.ID},
		{"SELECT xmin::text FROM matches WHERE id = $1", match.ID},
	} {
		var x string
		if err := conn.QueryRowContext(e.Ctx, q.sql, q.id).Scan(&x); err != nil {
			t.Fatalf("%s (%s): %v", q.sql, q.id, err)
		}
		xids = append(xids, x)
	}
	for _, x := range xids[1:] {
		if x != xids[0] {
			t.Errorf("the writes committed in transactions %v, want one", xids)
			break
		}
	}
	// 3 arrivals, the send, the receipt, the match.
	if got := e.AuditCount() - start; got != 6 {
		t.Errorf("%d audit entries, want 6", got)
	}
	e.MustVerify()
}

// A write of a PostgreSQL batch that cannot stand (here the same message delivered twice
// in one batch: its second insert breaks the message's unique key) fails the batch's
// pipeline; the batch is rolled back whole and each of its writes commits alone, so the
// others are stored, the repeated delivery gets the first receipt, and the chain verifies.
func TestGroupCommitFailedWriteLeavesOthersPostgres(t *testing.T) {
	e, _ := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	start := e.AuditCount()
	var msgs []*forewarn.Message
	for range 3 {
		e.Clock.Advance(time.Second)
		msgs = append(msgs, storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	}
	deliveries := append(append([]*forewarn.Message(nil), msgs...), msgs[1])
	queued, release := sqlstore.HoldLateGroup(db)
	type result struct {
		receipt string
		dup     bool
		err     error
	}
	results := make([]result, len(deliveries))
	var wg sync.WaitGroup
	for i, m := range deliveries {
		mine := *m
		sm, _ := e.Incoming(&mine)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, dup, err := db.ReceiveMessage(e.Ctx, peer, sm, fmt.Appendf(nil, "receipt %d", i))
			results[i] = result{string(r), dup, err}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < len(deliveries); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d deliveries queued", queued(), len(deliveries))
		}
	}
	release()
	wg.Wait()
	for i := range msgs {
		if r := results[i]; i != 1 && (r.err != nil || r.dup || r.receipt != fmt.Sprintf("receipt %d", i)) {
			t.Errorf("delivery %d: %+v", i, r)
		}
	}
	a, b := results[1], results[len(deliveries)-1]
	if a.err != nil || b.err != nil || a.dup == b.dup || a.receipt != b.receipt {
		t.Errorf("the two deliveries of one message: %+v and %+v; want one stored, both with its receipt", a, b)
	}
	if got := e.AuditCount() - start; got != len(msgs) {
		t.Errorf("%d audit entries, want %d (one per message stored)", got, len(msgs))
	}
	e.MustVerify()
}

// Arrivals checked against what their matcher has applied (CheckMatched) and committed in
// one PostgreSQL batch are inserted by one statement and checked by one: each is still
// told the Seq of its own change, which the matcher applies it as, not the batch's last,
// and all of them commit in one transaction. Waiting for their batch, they hold no
// connection (PostgreSQL forks a backend for each, which plans its statements anew). An
// arrival whose matcher is behind by a change it was not told of runs again holding the
// head, and fails there.
func TestGroupedArrivalsKnowTheirChangesPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	var through int64
	if err := conn.QueryRowContext(e.Ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&through); err != nil {
		t.Fatal(err)
	}

	// The statements the setup's writes prepared are prepared on the pool too, each on a
	// goroutine of its own that takes a connection for it: let them end first.
	for deadline := time.Now().Add(10 * time.Second); db.Stats().InUse > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still in use after the setup", db.Stats().InUse)
		}
	}

	queued, release := sqlstore.HoldLateGroup(db)
	const n = 5
	ids := make([]string, n)
	told := make([]int64, n)
	// The batch tells them in commit order before any returns, so that the matcher of
	// each finds the earlier ones told (else it reads them back from the log).
	var returned atomic.Int32
	var toldMu sync.Mutex
	var toldOrder []int64
	var toldLate int
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		e.Clock.Advance(time.Second)
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
		ids[i] = m.ID
		sm, receipt := e.Incoming(m)
		sm.CheckMatched, sm.MatchedThrough = true, through
		sm.Durable = func(seq int64) {
			told[i] = seq
			toldMu.Lock()
			defer toldMu.Unlock()
			toldOrder = append(toldOrder, seq)
			if returned.Load() > 0 {
				toldLate++
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, dup, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt); err != nil || dup {
				errs <- fmt.Errorf("arrival %d: duplicate %v, %v", i, dup, err)
			}
			returned.Add(1)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d arrivals queued", queued(), n)
		}
	}
	// Waiting for their batch, they hold no connection: only its leader takes one.
	if inUse := db.Stats().InUse; inUse > 0 {
		t.Errorf("%d connections in use by %d arrivals waiting for their batch, want none", inUse, n)
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	xids := map[string]bool{}
	for i, id := range ids {
		var seq int64
		var xid string
		if err := conn.QueryRowContext(e.Ctx, "SELECT c.seq, m.xmin::text FROM changes c JOIN messages m ON m.id = c.object_id WHERE c.kind = 'message' AND c.object_id = $1", id).Scan(&seq, &xid); err != nil {
			t.Fatalf("the change of arrival %d: %v", i, err)
		}
		if told[i] != seq {
			t.Errorf("arrival %d was told Seq %d, its change is %d", i, told[i], seq)
		}
		xids[xid] = true
	}
	if len(xids) != 1 {
		t.Errorf("the arrivals committed in %d transactions, want one", len(xids))
	}
	if toldLate > 0 || !slices.IsSorted(toldOrder) {
		t.Errorf("arrivals told in the order %v, %d after one of the batch returned; want all in the order of their changes, before any returns", toldOrder, toldLate)
	}

	// A subject changed after what the matcher applied, and not told: the arrival is
	// refused as behind, whatever batch it is in.
	e.CreateSubject("Behind Person")
	m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	sm, receipt := e.Incoming(m)
	sm.CheckMatched, sm.MatchedThrough = true, told[n-1]
	sm.Durable = func(int64) {}
	if _, _, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt); !errors.Is(err, forewarn.ErrIndexBehind) {
		t.Errorf("an arrival behind a subject change: %v, want ErrIndexBehind", err)
	}
	e.MustVerify()
}

// When telling an arrival of a PostgreSQL batch that it is durable panics (the leader
// tells the whole batch after the commit), the others are still told and answered as
// stored, rather than left waiting for a leader that is gone (every write after it hung)
// or told the batch failed, and the next batch still gets its turn.
func TestGroupCommitPanicWakesTheOthersPostgres(t *testing.T) {
	e, _ := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	queued, release := sqlstore.HoldLateGroup(db)
	type result struct {
		panicked bool
		err      error
	}
	results := make(chan result, 3)
	var told atomic.Int32
	for i := range 3 {
		e.Clock.Advance(time.Second)
		sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
		sm.Durable = func(int64) {
			if i == 0 {
				panic("test durable panics")
			}
			told.Add(1)
		}
		go func() {
			r := result{panicked: true}
			defer func() {
				if recover() == nil {
					r.panicked = false
				}
				results <- r
			}()
			_, _, r.err = db.ReceiveMessage(e.Ctx, peer, sm, receipt)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 3 arrivals queued", queued())
		}
	}
	release()
	panicked, stored := 0, 0
	for range 3 {
		select {
		case r := <-results:
			if r.panicked {
				panicked++
			} else if r.err == nil {
				stored++
			} else {
				t.Errorf("an arrival of the batch: %v", r.err)
			}
		case <-time.After(time.Minute):
			t.Fatal("an arrival of the batch whose leader panicked was still waiting after a minute")
		}
	}
	if panicked != 1 || stored != 2 {
		t.Errorf("%d arrivals panicked and %d were answered as stored, want 1 and 2", panicked, stored)
	}
	if n := told.Load(); n != 2 {
		t.Errorf("%d arrivals told they are durable besides the one whose telling panicked, want 2", n)
	}
	done := make(chan error, 1)
	e.Clock.Advance(time.Second)
	sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	go func() {
		_, _, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the arrival after the batch: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the arrival after a batch whose leader panicked was still waiting after a minute")
	}
	e.MustVerify()
}

// A PostgreSQL batch whose COMMIT ran but whose wait for the disk then failed (as with a
// connection lost there) has each of its writes run again alone, as a failed batch does.
// That must write nothing twice: each finds what the batch committed (the arrivals by
// their keys, the receipt by its guard) and, on the serial path, commits durably, which
// flushes the log past the batch's commit, so each caller is answered once its write is
// durable. Delivered again, each arrival gets its first receipt.
func TestGroupCommitFailingAfterCommitWritesNothingTwicePostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	sent := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())).Message
	start := e.AuditCount()
	sqlstore.SetWaitDurable(db, "SELECT 1 / 0")
	queued, release := sqlstore.HoldLateGroup(db)
	type arrival struct {
		sm      *forewarn.StoredMessage
		receipt []byte
		err     error
	}
	arrivals := make([]*arrival, 3)
	var wg sync.WaitGroup
	var receiptErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		receiptErr = db.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: sent.ID, Agency: storetest.PeerFR, Receipt: []byte(`{"r":1}`), At: e.Clock.Now()})
	}()
	for i := range arrivals {
		e.Clock.Advance(time.Second)
		sm, receipt := e.Incoming(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
		a := &arrival{sm: sm, receipt: receipt}
		arrivals[i] = a
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, a.err = db.ReceiveMessage(e.Ctx, peer, a.sm, a.receipt)
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < len(arrivals)+1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued", queued(), len(arrivals)+1)
		}
	}
	failedBefore := sqlstore.WaitsFailed(db)
	release()
	wg.Wait()
	sqlstore.SetWaitDurable(db, "") // the disk answers again
	if sqlstore.WaitsFailed(db) == failedBefore {
		t.Fatal("no wait for the disk failed after a COMMIT: the test no longer tries what it pins")
	}
	if receiptErr != nil {
		t.Errorf("the receipt: %v", receiptErr)
	}
	var receipts int
	if err := conn.QueryRowContext(e.Ctx, "SELECT COUNT(*) FROM audit_entries WHERE object_id = $1 AND action LIKE '%deliver%'", sent.ID).Scan(&receipts); err != nil {
		t.Fatal(err)
	}
	if receipts != 1 {
		t.Errorf("the receipt has %d audit entries, want 1", receipts)
	}
	for i, a := range arrivals {
		if a.err != nil {
			t.Errorf("arrival %d: %v", i, a.err)
		}
		var n int
		if err := conn.QueryRowContext(e.Ctx, "SELECT COUNT(*) FROM audit_entries WHERE object_id = $1", a.sm.Message.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("arrival %d has %d audit entries, want 1", i, n)
		}
	}
	if got := e.AuditCount() - start; got != len(arrivals)+1 {
		t.Errorf("%d audit entries written, want %d", got, len(arrivals)+1)
	}
	for i, a := range arrivals {
		r, dup, err := db.ReceiveMessage(e.Ctx, peer, a.sm, []byte("a second receipt"))
		if err != nil || !dup || string(r) != string(a.receipt) {
			t.Errorf("arrival %d delivered again: duplicate %v, receipt %q, %v; want its first receipt", i, dup, r, err)
		}
	}
	e.MustVerify()
}

// The matches and alerts of a PostgreSQL batch's arrivals are written as the arrivals are:
// each table's rows by one statement (their cmin, the command that wrote them, is one),
// after the arrivals they name, in the batch's one transaction, each row as it was given.
func TestGroupedArrivalsWriteMatchesAndAlertsTogetherPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL group commit", 3)
	e.Init()
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	earlier := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())).Message
	subjects := []*forewarn.Subject{e.CreateSubject("Subject One"), e.CreateSubject("Subject Two")}
	var through int64
	if err := conn.QueryRowContext(e.Ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&through); err != nil {
		t.Fatal(err)
	}
	start := e.AuditCount()

	queued, release := sqlstore.HoldLateGroup(db)
	const n = 4
	var given []*forewarn.Match
	var stored []*forewarn.StoredMessage
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		e.Clock.Advance(time.Second)
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
		sm, receipt := e.Incoming(m)
		sm.CheckMatched, sm.MatchedThrough, sm.Durable = true, through, func(int64) {}
		x := &forewarn.Match{MessageID: m.ID, PersonRef: "p1", Fingerprint: fmt.Sprintf("fp%d", i),
			EarlierMessageID: earlier.ID, EarlierPersonRef: "p1", Score: 0.5 + float64(i)/8, Summary: fmt.Sprintf("match %d", i),
			Explanation: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), Status: forewarn.MatchPending, CreatedAt: e.Clock.Now()}
		a := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID,
			Text: fmt.Sprintf("alert %d", i), CreatedAt: e.Clock.Now()}
		sm.Matches, sm.Alerts = []*forewarn.Match{x}, []*forewarn.Alert{a}
		given, stored = append(given, x), append(stored, sm)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, dup, err := db.ReceiveMessage(e.Ctx, peer, sm, receipt); err != nil || dup {
				errs <- fmt.Errorf("arrival %d: duplicate %v, %v", i, dup, err)
			}
		}()
	}
	// Matches found after their messages were stored, in the same batch: written
	// together too, apart from the arrivals' (each group goes where its first would).
	var after []*forewarn.Match
	for i := range 2 {
		x := &forewarn.Match{MessageID: earlier.ID, PersonRef: "p1", Fingerprint: fmt.Sprintf("after%d", i), SubjectID: subjects[i].ID,
			Score: 0.75, Summary: fmt.Sprintf("found after %d", i)}
		after = append(after, x)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.CreateMatches(e.Ctx, forewarn.SystemActor("matcher"), []*forewarn.Match{x}, nil); err != nil {
				errs <- fmt.Errorf("matches found after: %v", err)
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < n+2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes queued", queued(), n+2)
		}
	}
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Stored, each arrival's matches and alerts are the copies written, with their IDs.
	var matches []*forewarn.Match
	var alerts []*forewarn.Alert
	for i, sm := range stored {
		if len(sm.Matches) != 1 || len(sm.Alerts) != 1 {
			t.Fatalf("arrival %d stored %d matches and %d alerts, want 1 each", i, len(sm.Matches), len(sm.Alerts))
		}
		matches, alerts = append(matches, sm.Matches[0]), append(alerts, sm.Alerts[0])
	}
	xids, matchCmds, alertCmds := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, x := range matches {
		if w := given[i]; x.Score != w.Score || x.Summary != w.Summary {
			t.Fatalf("arrival %d stored match %+v for %+v", i, x, w)
		}
		got, err := db.Match(e.Ctx, x.ID)
		if err != nil {
			t.Fatalf("match %d: %v", i, err)
		}
		if got.MessageID != x.MessageID || got.Score != x.Score || got.Summary != x.Summary || string(got.Explanation) != string(x.Explanation) ||
			got.Fingerprint != x.Fingerprint || got.EarlierMessageID != earlier.ID || !got.DecidedAt.IsZero() || got.Status != forewarn.MatchPending {
			t.Errorf("match %d stored as %+v, want %+v", i, got, x)
		}
		var xid, cmd string
		if err := conn.QueryRowContext(e.Ctx, "SELECT xmin::text, cmin::text FROM matches WHERE id = $1 AND decided_at IS NULL", x.ID).Scan(&xid, &cmd); err != nil {
			t.Fatalf("match %d: %v", i, err)
		}
		xids[xid], matchCmds[cmd] = true, true
	}
	for i, a := range alerts {
		var xid, cmd, text, msg string
		if err := conn.QueryRowContext(e.Ctx, "SELECT xmin::text, cmin::text, text, message_id FROM alerts WHERE id = $1", a.ID).Scan(&xid, &cmd, &text, &msg); err != nil {
			t.Fatalf("alert %d: %v", i, err)
		}
		if text != a.Text || msg != a.MessageID {
			t.Errorf("alert %d stored as %q about %s, want %q about %s", i, text, msg, a.Text, a.MessageID)
		}
		xids[xid], alertCmds[cmd] = true, true
	}
	afterCmds := map[string]bool{}
	for i, x := range after {
		var xid, cmd string
		if err := conn.QueryRowContext(e.Ctx, "SELECT xmin::text, cmin::text FROM matches WHERE id = $1 AND subject_id = $2", x.ID, x.SubjectID).Scan(&xid, &cmd); err != nil {
			t.Fatalf("match found after %d: %v", i, err)
		}
		xids[xid], afterCmds[cmd] = true, true
	}
	if len(afterCmds) != 1 {
		t.Errorf("the 2 matches found after their messages were stored were written by %d statements, want one", len(afterCmds))
	}
	if len(xids) != 1 {
		t.Errorf("the matches and alerts committed in %d transactions, want one", len(xids))
	}
	if len(matchCmds) != 1 || len(alertCmds) != 1 {
		t.Errorf("the %d matches were written by %d statements and the %d alerts by %d, want one each", n, len(matchCmds), n, len(alertCmds))
	}
	// Each arrival and each match audited.
	if got := e.AuditCount() - start; got != 2*n+len(after) {
		t.Errorf("%d audit entries, want %d", got, 2*n+len(after))
	}
	e.MustVerify()
}
