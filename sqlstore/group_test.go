package sqlstore_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

func openSQLite(t *testing.T, opts sqlstore.Options) forewarn.Store {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A write that fails in a batch leaves nothing behind, its audit entry and the checkpoint
// it signed included, and the writes after it extend the chain from where it stood.
func TestGroupCommitRollsBackOnlyTheFailedWrite(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 2)
	db := e.Store.(*sqlstore.DB)
	objects := []string{"a", "b", "c", "d", "e"}
	for _, fail := range [][]bool{{false, true, false, true, false}, {true, false, false, true, false}, {true, true, true, true, false}} {
		start := e.AuditCount()
		var want []string
		for i, f := range fail {
			if !f {
				want = append(want, objects[i])
			}
		}
		errs := sqlstore.WriteTogether(e.Ctx, db, objects, fail)
		for i, err := range errs {
			if fail[i] != errors.Is(err, sqlstore.ErrTestWrite) || (!fail[i] && err != nil) {
				t.Errorf("%v: write %s: %v (should fail: %v)", fail, objects[i], err, fail[i])
			}
		}
		if got := e.AuditCount() - start; got != len(want) {
			t.Errorf("%v: %d entries written, want %d (%v)", fail, got, len(want), want)
		}
		if last := e.LastAudit(); last.ObjectID != want[len(want)-1] {
			t.Errorf("%v: last entry is about %q, want %s", fail, last.ObjectID, want[len(want)-1])
		}
		e.MustVerify()
	}
}

// A write queued while a batch runs joins it, rather than wait for its commit and make one
// of its own; both are stored, in order.
func TestGroupCommitTakesWritesQueuedMeanwhile(t *testing.T) {
	checkWritesJoined(t, sqlstore.WriteJoined, false, 1, "the write queued while a batch ran was left for a commit of its own")
}

// A write that becomes ready while a batch runs, and queues only once it gets to run,
// joins the batch too: before closing it the leader yields the processor to it. With one
// processor, the write cannot queue otherwise before the commit. Whether the scheduler
// runs it in that yield is not certain (it runs the yielding goroutine first now and then,
// and the runtime's own goroutines may take the turn): it did in 17 of 20 tries or more,
// and without the yield in none, so one try in five must join.
func TestGroupCommitYieldsBeforeClosing(t *testing.T) {
	checkWritesJoined(t, sqlstore.WriteAfterYield, true, 5, "in 5 tries, the write ready to run when the batch closed was left for a commit of its own every time")
}

// checkWritesJoined writes audit entries about first and second by write, on one
// processor when oneProc, up to tries times until they are written by one commit (else
// it says apart), and checks that each try wrote both, in order. The store is opened
// before the processors are cut to one, as a running node's is.
func checkWritesJoined(t *testing.T, write func(context.Context, *sqlstore.DB, string, string) (bool, [2]error), oneProc bool, tries int, apart string) {
	t.Helper()
	e := storetest.NewEnv(t, openSQLite, 0)
	db := e.Store.(*sqlstore.DB)
	if oneProc {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	joined := false
	for range tries {
		start := e.AuditCount()
		var errs [2]error
		joined, errs = write(e.Ctx, db, "first", "second")
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("writes: %v", errs)
		}
		if got := e.AuditCount() - start; got != 2 {
			t.Errorf("%d entries written, want 2", got)
		}
		if last := e.LastAudit(); last.ObjectID != "second" {
			t.Errorf("last entry is about %q, want second", last.ObjectID)
		}
		if joined {
			break
		}
	}
	if !joined {
		t.Error(apart)
	}
	e.MustVerify()
}

// Messages arriving together are stored in one transaction; each gets its own receipt, a
// write in the batch sees the ones before it (an ID taken by the message this node sent
// is given a local one), and a repeated delivery in the same batch gets the first one's
// receipt.
func TestGroupCommitReceives(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 3)
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	sent := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())).Message
	start := e.AuditCount()

	var msgs []*forewarn.Message
	for range 4 {
		e.Clock.Advance(time.Second)
		msgs = append(msgs, storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	}
	pre := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	pre.ID = sent.ID // an ID this node gave a message it sent: stored under another
	msgs = append(msgs, pre)
	deliveries := append(append([]*forewarn.Message(nil), msgs...), msgs[0])

	queued, release := sqlstore.HoldGroup(db)
	type result struct {
		receipt []byte
		dup     bool
		err     error
	}
	results := make([]result, len(deliveries))
	var toldMu sync.Mutex
	var told []int64 // the change of each message stored, as Durable told it
	var wg sync.WaitGroup
	for i, m := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := *m
			sm := &forewarn.StoredMessage{Message: &mine, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionIn, StoredAt: e.Clock.Now(), Priority: forewarn.PriorityUrgent,
				Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.Agency.Code, Direction: forewarn.DirectionIn, DeliveredAt: e.Clock.Now()}},
				Durable: func(seq int64) {
					toldMu.Lock()
					told = append(told, seq)
					toldMu.Unlock()
				}}
			r, dup, err := db.ReceiveMessage(e.Ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, sm, fmt.Appendf(nil, "receipt %d", i))
			results[i] = result{r, dup, err}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); queued() < len(deliveries); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d deliveries queued", queued(), len(deliveries))
		}
	}
	release()
	wg.Wait()
	// Each message stored is told once it is durable, in commit order; the duplicate is not.
	if len(told) != len(msgs) {
		t.Errorf("Durable told %d stored messages, want %d", len(told), len(msgs))
	}
	for i, seq := range told {
		if seq <= 0 || (i > 0 && seq != told[i-1]+1) {
			t.Errorf("Durable told changes %v, want consecutive changes in commit order", told)
			break
		}
	}

	// Deliveries 0 and the last carry the same message: whichever queued first stored it,
	// and both get its receipt.
	last := len(deliveries) - 1
	first := 0
	if results[0].dup {
		first = last
	}
	want := fmt.Sprintf("receipt %d", first)
	if results[0].dup == results[last].dup || string(results[0].receipt) != want || string(results[last].receipt) != want ||
		results[0].err != nil || results[last].err != nil {
		t.Errorf("the two deliveries of one message: %+v and %+v; want one stored, both with %q", results[0], results[last], want)
	}
	for i := range msgs {
		r := results[i]
		if i == 0 {
			r = results[first]
		}
		mine := fmt.Sprintf("receipt %d", i)
		if i == 0 {
			mine = want
		}
		if r.err != nil || r.dup || string(r.receipt) != mine {
			t.Errorf("delivery %d: receipt %q, duplicate %v, %v; want %q", i, r.receipt, r.dup, r.err, mine)
		}
		if i == len(msgs)-1 {
			break // stored under a local ID
		}
		if d := e.MustMessage(msgs[i].ID).Delivery(storetest.Agency.Code); d == nil || string(d.Receipt) != mine {
			t.Errorf("message %d stored with delivery %+v", i, d)
		}
	}
	if sm := e.MustMessage(sent.ID); sm.Direction != forewarn.DirectionOut {
		t.Errorf("message %s is now %s; the one this node sent must keep its ID", sent.ID, sm.Direction)
	}
	if got := e.AuditCount() - start; got != len(msgs) {
		t.Errorf("%d audit entries, want %d (one per message stored)", got, len(msgs))
	}
	if _, total, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn}); err != nil || total != len(msgs) {
		t.Errorf("incoming messages = %d, %v; want %d", total, err, len(msgs))
	}
	e.MustVerify()
}

// A claim commits without waiting for the disk (lost, its work only falls due again), and
// leaves the connection it used to the next writer as durable as before.
func TestClaimLeavesConnectionsDurable(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 3)
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	sent := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
	now := e.Clock.Now()
	claimed, err := db.ClaimDeliveries(e.Ctx, "server-1", now, now.Add(time.Minute), sent.Deliveries)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d deliveries (%v), want 1", len(claimed), err)
	}
	if again, err := db.ClaimDeliveries(e.Ctx, "server-2", now, now.Add(time.Minute), sent.Deliveries); err != nil || len(again) != 0 {
		t.Errorf("a second server claimed %d of the claimed deliveries (%v)", len(again), err)
	}
	// Every connection the pool holds, the claims' among them, is taken at once and asked.
	sqldb := sqlstore.SQL(db)
	open := sqldb.Stats().OpenConnections
	for i := 0; i < open; i++ {
		conn, err := sqldb.Conn(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var level int
		if err := conn.QueryRowContext(e.Ctx, "PRAGMA synchronous").Scan(&level); err != nil {
			t.Fatal(err)
		}
		if level != 2 {
			t.Errorf("connection %d of %d: synchronous level %d after a claim, want 2 (FULL)", i+1, open, level)
		}
	}
}

// A receipt recorded through group commit is recorded whether or not its caller still
// waits, as a message stored in a batch is: its statements run in the transaction the
// batch shares, and the caller's context ending during one (the delivery worker
// stopping) interrupts SQLite, which then rolls back that whole transaction, the
// messages of the others in it with it. Here the caller's context ends while its receipt
// waits for its batch.
func TestGroupCommitRecordsReceiptWhoseCallerLeft(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 0)
	e.AddPeers()
	sm := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
	db := e.Store.(*sqlstore.DB)
	queued, release := sqlstore.HoldGroup(db)
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() {
		done <- db.Delivered(ctx, forewarn.DeliveryReceipt{MessageID: sm.Message.ID, Agency: storetest.PeerFR, Receipt: []byte(`{"receipt":1}`), At: e.Clock.Now()})
	}()
	for queued() == 0 {
		runtime.Gosched()
	}
	cancel()
	release()
	if err := <-done; err != nil {
		t.Errorf("Delivered, its caller gone while it waited for its batch: %v", err)
	}
	got, err := db.Message(e.Ctx, sm.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Deliveries) != 1 || got.Deliveries[0].DeliveredAt.IsZero() {
		t.Errorf("the receipt was not recorded: %+v", got.Deliveries)
	}
	e.MustVerify()
}

// An arrival is stored only while the keys its signatures verified with are the ones
// pinned for their agencies, which its insert checks rather than a read of its own: one
// signed with a key no longer pinned, or by an agency no longer a peer, is refused and
// leaves nothing behind, and one already held is answered with its first receipt, pinned
// or not.
func TestArrivalStoredOnlyWithPinnedKeys(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 3)
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer, err := db.Peer(e.Ctx, storetest.PeerFR)
	if err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	receive := func(m *forewarn.Message, keys map[string]ed25519.PublicKey, receipt string) ([]byte, bool, error) {
		return db.ReceiveMessage(e.Ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, incomingVerified(e, m, keys), []byte(receipt))
	}
	start := e.AuditCount()
	pinned := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	if r, dup, err := receive(pinned, map[string]ed25519.PublicKey{storetest.PeerFR: peer.PublicKey}, "first"); err != nil || dup || string(r) != "first" {
		t.Fatalf("signed with the pinned key: receipt %q, duplicate %v, %v; want it stored", r, dup, err)
	}
	e.Clock.Advance(time.Second)
	for _, c := range []struct {
		name string
		keys map[string]ed25519.PublicKey
	}{
		{"a key no longer pinned", map[string]ed25519.PublicKey{storetest.PeerFR: other}},
		{"an agency no longer a peer", map[string]ed25519.PublicKey{storetest.PeerFR: peer.PublicKey, "XX-GONE": other}},
	} {
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
		if _, _, err := receive(m, c.keys, "refused"); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", c.name, err)
		}
		if _, err := db.Message(e.Ctx, m.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
			t.Errorf("%s: the message was stored (%v)", c.name, err)
		}
	}
	if r, dup, err := receive(pinned, map[string]ed25519.PublicKey{storetest.PeerFR: other}, "again"); err != nil || !dup || string(r) != "first" {
		t.Errorf("held, delivered again with a key no longer pinned: receipt %q, duplicate %v, %v; want the first receipt", r, dup, err)
	}
	if got := e.AuditCount() - start; got != 1 {
		t.Errorf("%d audit entries, want 1 (the one message stored)", got)
	}
	e.MustVerify()
}

// The matches found after an arrival are stored in the group commit of the writes of the
// moment, not in a transaction (and a flush under the write lock) of their own: here
// they queue behind a batch being written, are written with the next, and are stored.
func TestCreateMatchesJoinsGroupCommit(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 3)
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	earlier := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	e.Receive(earlier)
	e.Clock.Advance(time.Second)
	later := storetest.NewNotification(storetest.PeerDE, []string{storetest.Agency.Code}, e.Clock.Now())
	e.Receive(later)
	start := e.AuditCount()
	queued, release := sqlstore.HoldGroup(db)
	ms := []*forewarn.Match{{MessageID: later.ID, PersonRef: "p1", Fingerprint: "fp", EarlierMessageID: earlier.ID, EarlierPersonRef: "p1", Score: 0.9, Summary: "told before"}}
	done := make(chan error, 1)
	go func() { done <- db.CreateMatches(e.Ctx, forewarn.SystemActor("matcher"), ms, nil) }()
	for deadline := time.Now().Add(10 * time.Second); queued() == 0; time.Sleep(time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("CreateMatches committed on its own (%v) while a batch was being written", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("CreateMatches never queued for the group commit")
		}
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := db.Match(e.Ctx, ms[0].ID); err != nil || got.EarlierMessageID != earlier.ID {
		t.Errorf("the match was stored as %+v, %v", got, err)
	}
	if n := e.AuditCount() - start; n != 1 {
		t.Errorf("%d audit entries, want 1 (match.create)", n)
	}
	e.MustVerify()
}

// An arrival refused in the middle of a batch (signed with a key no longer pinned) gets
// its refusal alone: the arrivals before and after it are stored, in order, each told
// once it is durable; a repeated delivery after it still gets the first one's receipt; and
// the refused one leaves nothing behind, its audit entry included.
func TestGroupCommitRefusesOneArrivalAmongOthers(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 3)
	e.AddPeers()
	db := e.Store.(*sqlstore.DB)
	peer, err := db.Peer(e.Ctx, storetest.PeerFR)
	if err != nil {
		t.Fatal(err)
	}
	stale := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	var msgs []*forewarn.Message
	for range 3 {
		e.Clock.Advance(time.Second)
		msgs = append(msgs, storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	}
	a, refused, c := msgs[0], msgs[1], msgs[2]
	deliveries := []struct {
		m   *forewarn.Message
		key ed25519.PublicKey
	}{{a, peer.PublicKey}, {refused, stale}, {a, peer.PublicKey}, {c, peer.PublicKey}}
	start := e.AuditCount()

	queued, release := sqlstore.HoldGroup(db)
	type result struct {
		receipt []byte
		dup     bool
		err     error
	}
	results := make([]result, len(deliveries))
	var toldMu sync.Mutex
	var told []int64
	var wg sync.WaitGroup
	for i, dl := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sm := incomingVerified(e, dl.m, map[string]ed25519.PublicKey{storetest.PeerFR: dl.key})
			sm.Durable = func(seq int64) {
				toldMu.Lock()
				told = append(told, seq)
				toldMu.Unlock()
			}
			r, dup, err := db.ReceiveMessage(e.Ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}, sm, fmt.Appendf(nil, "receipt %d", i))
			results[i] = result{r, dup, err}
		}()
		// Queued in this order, so the batch holds them so.
		for deadline := time.Now().Add(10 * time.Second); queued() < i+1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d deliveries queued", queued(), i+1)
			}
		}
	}
	release()
	wg.Wait()

	want := []result{{[]byte("receipt 0"), false, nil}, {}, {[]byte("receipt 0"), true, nil}, {[]byte("receipt 3"), false, nil}}
	for i, r := range results {
		if i == 1 {
			if forewarn.ErrorCode(r.err) != forewarn.EUNAUTHORIZED || r.receipt != nil {
				t.Errorf("delivery signed with a key no longer pinned: receipt %q, %v; want EUNAUTHORIZED", r.receipt, r.err)
			}
			continue
		}
		if r.err != nil || r.dup != want[i].dup || string(r.receipt) != string(want[i].receipt) {
			t.Errorf("delivery %d: receipt %q, duplicate %v, %v; want %q, duplicate %v", i, r.receipt, r.dup, r.err, want[i].receipt, want[i].dup)
		}
	}
	if _, err := db.Message(e.Ctx, refused.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the refused message was stored (%v)", err)
	}
	for _, m := range []*forewarn.Message{a, c} {
		if _, err := db.Message(e.Ctx, m.ID); err != nil {
			t.Errorf("message %s: %v", m.ID, err)
		}
	}
	if len(told) != 2 || told[0] <= 0 || told[1] != told[0]+1 {
		t.Errorf("Durable told changes %v, want two consecutive ones (a and c)", told)
	}
	if got := e.AuditCount() - start; got != 2 {
		t.Errorf("%d audit entries, want 2 (one per message stored)", got)
	}
	e.MustVerify()
}

// incomingVerified returns a copy of m as an arrival from storetest.PeerFR whose
// signatures verified with keys, ready for ReceiveMessage.
func incomingVerified(e *storetest.Env, m *forewarn.Message, keys map[string]ed25519.PublicKey) *forewarn.StoredMessage {
	mine := *m
	return &forewarn.StoredMessage{Message: &mine, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionIn, StoredAt: e.Clock.Now(), Priority: forewarn.PriorityUrgent,
		Deliveries:   []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.Agency.Code, Direction: forewarn.DirectionIn, DeliveredAt: e.Clock.Now()}},
		VerifiedKeys: keys}
}

// A write that panics in a batch leaves nothing of the batch stored, and none of the
// others is told it is durable or answered as stored: each is woken with an error that
// says the batch was not committed. Before, the others were told they were durable.
func TestGroupCommitWritePanicStoresNothingAndToldNone(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 2)
	db := e.Store.(*sqlstore.DB)
	start := e.AuditCount()
	objects := []string{"a", "b", "c", "d"}
	recovered, errs, durable, woken := sqlstore.WritePanicking(e.Ctx, db, objects, 2, false)
	if recovered == nil {
		t.Fatal("the write's panic did not reach the leader")
	}
	for i := range objects {
		if !errors.Is(errs[i], sqlstore.ErrNotCommitted) {
			t.Errorf("write %s: %v, want the batch not committed", objects[i], errs[i])
		}
		if durable[i] {
			t.Errorf("write %s was told it is durable", objects[i])
		}
		if i > 0 && !woken[i] {
			t.Errorf("write %s was not woken", objects[i])
		}
	}
	if got := e.AuditCount() - start; got != 0 {
		t.Errorf("%d entries stored by a batch that panicked", got)
	}
	e.MustVerify()
}

// When telling a committed write that it is durable panics, the others of the batch are
// still told they are durable and woken, with their writes stored, rather than left
// waiting or answered as stored without being told (a send then waited for its claim to
// lapse before it went).
func TestGroupCommitDurablePanicStillWakesTheOthers(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 2)
	db := e.Store.(*sqlstore.DB)
	start := e.AuditCount()
	objects := []string{"a", "b", "c"}
	recovered, errs, durable, woken := sqlstore.WritePanicking(e.Ctx, db, objects, 1, true)
	if recovered == nil {
		t.Fatal("the panic did not reach the leader")
	}
	for i := range objects {
		if errs[i] != nil {
			t.Errorf("write %s: %v, want stored", objects[i], errs[i])
		}
		if i > 0 && !woken[i] {
			t.Errorf("write %s was not woken", objects[i])
		}
	}
	for i := range objects {
		if i != 1 && !durable[i] {
			t.Errorf("write %s was not told it is durable", objects[i])
		}
	}
	if got := e.AuditCount() - start; got != len(objects) {
		t.Errorf("%d entries stored, want %d", got, len(objects))
	}
	e.MustVerify()
}

// A leader whose write panics still hands the lead on: the writes after it are stored,
// not left queued behind a leader that is gone.
func TestGroupCommitPanicHandsOn(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 2)
	db := e.Store.(*sqlstore.DB)
	if recovered, _ := sqlstore.WriteGrouped(e.Ctx, db, "a", true); recovered == nil {
		t.Fatal("the write's panic did not reach its caller")
	}
	done := make(chan error, 1)
	go func() {
		_, err := sqlstore.WriteGrouped(e.Ctx, db, "b", false)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write after the panic: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the write after a panicking one was still waiting for its turn after a minute")
	}
	if last := e.LastAudit(); last.ObjectID != "b" {
		t.Errorf("last entry is about %q, want b", last.ObjectID)
	}
	e.MustVerify()
}

// On SQLite a transaction's audit entries are written together before it commits
// (writeAudit); one that reads the trail meanwhile finds every entry it appended, and
// the chain verifies.
func TestUnwrittenAuditEntriesAreRead(t *testing.T) {
	e := storetest.NewEnv(t, openSQLite, 4)
	db := e.Store.(*sqlstore.DB)
	for _, n := range []int{1, 3, 70} {
		obj := fmt.Sprintf("object %d", n)
		got, err := sqlstore.AppendAndRead(e.Ctx, db, obj, n)
		if err != nil || got != n {
			t.Errorf("%d entries appended: the transaction read %d of them (%v)", n, got, err)
		}
		if total := e.AuditCount(); total < n {
			t.Errorf("%d entries appended: %d in the trail after commit", n, total)
		}
	}
	e.MustVerify()
}
