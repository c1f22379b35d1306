package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"

	"github.com/forewarn/forewarn"
)

// HoldGroup makes writes that go through group commit queue, as they do behind a batch
// being written, until release, which writes everything queued as the next batch. queued
// says how many are waiting.
func HoldGroup(db *DB) (queued func() int, release func()) { return hold(&db.group) }

// hold makes the callers of q queue until release, which wakes the first to lead.
func hold[W interface{ turnOf() *turn }](q *turns[W]) (queued func() int, release func()) {
	q.mu.Lock()
	q.leading = true
	q.mu.Unlock()
	queued = func() int {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.pending)
	}
	return queued, q.handOn
}

// WriteJoined writes an audit entry about first as a batch of its own, and while that
// write runs queues another, about second, as a write arriving during a batch is. It
// returns whether the second was written in the first's batch (nothing was left queued
// once it was committed), and each write's error.
func WriteJoined(ctx context.Context, db *DB, first, second string) (joined bool, errs [2]error) {
	queued, handOn := hold(&db.group) // as updateGrouped's leader holds it
	done := make(chan error, 1)
	w := &groupWrite{ctx: ctx, now: db.now(), op: "test write", turn: turn{wake: make(chan struct{})}, fn: func(t *tx) error {
		go func() {
			done <- db.updateGrouped(ctx, db.now(), "test write", func(tx *tx) error {
				return tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", second, nil, nil, "")
			}, nil)
		}()
		for queued() == 0 {
			runtime.Gosched()
		}
		return t.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", first, nil, nil, "")
	}}
	db.writeBatch(ctx, []*groupWrite{w})
	joined = queued() == 0
	handOn() // one left queued leads a batch of its own, as updateGrouped hands over
	return joined, [2]error{w.err, <-done}
}

// ErrTestWrite is what WriteTogether's failing writes return.
var ErrTestWrite = errors.New("this write fails after writing")

// WriteTogether writes one audit entry per object in one batch, as group commit does; a
// write whose fail is set fails after appending its entry. It returns each write's error.
func WriteTogether(ctx context.Context, db *DB, objects []string, fail []bool) []error {
	batch := make([]*groupWrite, len(objects))
	for i, obj := range objects {
		batch[i] = &groupWrite{ctx: ctx, now: db.now(), op: "test write", turn: turn{wake: make(chan struct{})}, fn: func(tx *tx) error {
			if err := tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", obj, nil, nil, ""); err != nil {
				return err
			}
			if fail[i] {
				return ErrTestWrite
			}
			return nil
		}}
	}
	db.writeBatch(ctx, batch)
	errs := make([]error, len(batch))
	for i, w := range batch {
		errs[i] = w.err
	}
	return errs
}

// HotQueries are the queries of the delivery worker that run once per batch, with n
// keys each, for a test to check how the database plans them.
func HotQueries(n int) map[string]string {
	return map[string]string{"outgoing": outgoingQuery(n), "claim": claimQuery(n, ""), "receipt": receiptQuery, "receipt unread": receiptUnreadQuery, "changes": changesQuery}
}

// PinnedInsert is the statement SQLite stores an arrival with, its n signers' keys checked.
var PinnedInsert = pinnedInsert

// LimitedQueries are hot queries with a LIMIT given as a parameter, as db prepares them.
func LimitedQueries(db *DB) map[string]string {
	return map[string]string{"due to a peer": db.rebind(db.dueToQuery()), "an arrival's changes": db.rebind(arrivalChangesQuery), "changes": db.rebind(changesQuery), "due": db.rebind("SELECT " + deliveryColumns + " FROM deliveries WHERE " + db.dueQuery()),
		"claim due to a peer": db.rebind(db.claimDueToQuery())}
}

// RepliedToQuery is the query a reply from or to n parties finds its message with.
var RepliedToQuery = repliedToQuery

// UrgencyKey is the urgency key the store gives a message it inserts.
var UrgencyKey = urgencyKey

// SQL returns the database/sql handle db runs on.
func SQL(db *DB) *sql.DB { return db.sql }

// HoldLateGroup is HoldGroup for the group commit of late transactions (PostgreSQL).
func HoldLateGroup(db *DB) (queued func() int, release func()) { return hold(&db.late) }

// ReleaseDeliveriesQuery is the query a starting server takes back its claimed deliveries with.
const ReleaseDeliveriesQuery = releaseDeliveriesQuery

// ListQueries returns the statements db counts and pages what f selects with, a
// forewarn.MessageFilter or a forewarn.MatchFilter, as db prepares them.
func ListQueries(db *DB, f any) (count, page string, err error) {
	var l list
	switch f := f.(type) {
	case forewarn.MessageFilter:
		l, err = db.messageList(f)
	case forewarn.MatchFilter:
		l, err = db.matchList(f)
	}
	return db.rebind(l.count), db.rebind(l.page), err
}

// WaitBackground waits for the work db runs in the background: statements being
// prepared and checkpoints.
func WaitBackground(db *DB) { db.preparing.Wait() }

// WriteAfterYield writes an audit entry about first as a batch of its own, whose write
// starts another, about second, that queues only once it gets to run: when the leader
// yields the processor (run it with GOMAXPROCS 1). It returns whether both were written
// by one commit, and each write's error.
func WriteAfterYield(ctx context.Context, db *DB, first, second string) (oneCommit bool, errs [2]error) {
	_, handOn := hold(&db.group) // as updateGrouped's leader holds it
	done := make(chan error, 1)
	w := &groupWrite{ctx: ctx, now: db.now(), op: "test write", turn: turn{wake: make(chan struct{})}, fn: func(t *tx) error {
		go func() {
			done <- db.updateGrouped(ctx, db.now(), "test write", func(tx *tx) error {
				return tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", second, nil, nil, "")
			}, nil)
		}()
		return t.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", first, nil, nil, "")
	}}
	before := db.commits.Load()
	db.writeBatch(ctx, []*groupWrite{w})
	handOn() // one left queued leads a batch of its own, as updateGrouped hands over
	errs = [2]error{w.err, <-done}
	return db.commits.Load()-before == 1, errs
}

// Commits is how many transactions db has committed.
func Commits(db *DB) int64 { return db.commits.Load() }

// ErrNotCommitted is the error of the writes of a batch that stopped before its commit.
var ErrNotCommitted = errNotCommitted

// WritePanicking writes one audit entry per object in one batch, as group commit does.
// The write at panicAt panics after appending its entry, or, with inDurable, when it is
// told it is durable. It returns the panic the leader recovered, each write's error,
// which were told they were durable, and which of the others were woken.
func WritePanicking(ctx context.Context, db *DB, objects []string, panicAt int, inDurable bool) (recovered any, errs []error, durable, woken []bool) {
	batch := make([]*groupWrite, len(objects))
	durable = make([]bool, len(objects))
	for i, obj := range objects {
		batch[i] = &groupWrite{ctx: ctx, now: db.now(), op: "test write", turn: turn{wake: make(chan struct{})},
			fn: func(tx *tx) error {
				if err := tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", obj, nil, nil, ""); err != nil {
					return err
				}
				if i == panicAt && !inDurable {
					panic("test write panics")
				}
				return nil
			},
			durable: func() {
				if i == panicAt && inDurable {
					panic("test durable panics")
				}
				durable[i] = true
			}}
	}
	func() {
		defer func() { recovered = recover() }()
		db.writeBatch(ctx, batch)
	}()
	errs = make([]error, len(batch))
	woken = make([]bool, len(batch))
	for i, w := range batch {
		errs[i] = w.err
		select {
		case <-w.wake:
			woken[i] = true
		default:
		}
	}
	return recovered, errs, durable, woken
}

// WriteGrouped writes one audit entry about obj as updateGrouped does; with panics, its
// write panics after appending it, and WriteGrouped returns the panic recovered.
func WriteGrouped(ctx context.Context, db *DB, obj string, panics bool) (recovered any, err error) {
	defer func() { recovered = recover() }()
	return nil, db.updateGrouped(ctx, db.now(), "test write", func(tx *tx) error {
		if err := tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", obj, nil, nil, ""); err != nil {
			return err
		}
		if panics {
			panic("test write panics")
		}
		return nil
	}, nil)
}

// SetWaitDurable replaces the statement a relaxed commit waits for the disk with (a test
// makes it fail, as a connection lost after the COMMIT would).
func SetWaitDurable(db *DB, q string) { db.dialect.WaitDurable = q }

// WaitsFailed is how many late commits' waits for the disk failed after their COMMIT.
func WaitsFailed(db *DB) int64 { return db.waitsFailed.Load() }

// ListPages are the page queries of the message and match lists of every direction and
// status, in each order, as db runs them, with their arguments (a page of 20).
func ListPages(db *DB) map[string]struct {
	SQL  string
	Args []any
} {
	out := map[string]struct {
		SQL  string
		Args []any
	}{}
	for _, sort := range []forewarn.MessageSort{forewarn.SortNewest, forewarn.SortOldest, forewarn.SortUrgent, forewarn.SortLeastUrgent} {
		l, err := db.messageList(forewarn.MessageFilter{Sort: sort, Limit: 20})
		if err != nil {
			panic(err)
		}
		out["messages "+string(sort)] = struct {
			SQL  string
			Args []any
		}{l.page, l.pageArgs}
	}
	return out
}

// AppendAndRead appends n audit entries in one writing transaction and then, in the
// same transaction, counts the entries the trail holds about obj.
func AppendAndRead(ctx context.Context, db *DB, obj string, n int) (int, error) {
	var got int
	err := db.update(ctx, db.now(), "test write", func(tx *tx) error {
		for range n {
			if err := tx.audit(ctx, forewarn.SystemActor("test"), "test.write", "test", obj, nil, nil, ""); err != nil {
				return err
			}
		}
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM audit_entries WHERE object_type = 'test' AND object_id = ?", obj).Scan(&got)
	})
	return got, err
}

// RunAfterCancelled prepares q on the database, then runs it twice in one transaction
// through run ("queryRow", "query" or "exec"): first with ctx cancelled, then with ctx.
// It returns each run's error.
func RunAfterCancelled(ctx context.Context, db *DB, q, run string) (cancelledErr, liveErr error, err error) {
	if _, err := db.prepared(ctx, q); err != nil {
		return nil, nil, err
	}
	tx, err := db.beginTx(ctx, db.now(), false)
	if err != nil {
		return nil, nil, err
	}
	defer tx.tx.Rollback() //nolint:errcheck // the test writes nothing it keeps
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	var errs [2]error
	for i, c := range []context.Context{cancelled, ctx} {
		switch run {
		case "queryRow":
			var n any
			errs[i] = tx.queryRow(c, q).Scan(&n)
		case "query":
			rows, err := tx.query(c, q)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Close()
			}
			errs[i] = err
		case "exec":
			_, errs[i] = tx.exec(c, q)
		default:
			return nil, nil, fmt.Errorf("no such run %q", run)
		}
	}
	return errs[0], errs[1], nil
}
