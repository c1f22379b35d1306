package sqlstore

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// Group commit. A durable commit costs a flush of the log to disk, whatever it holds, so
// writes that arrive together (peers delivering messages at once) are stored in one
// transaction: the first caller to find no batch being written leads, takes every write
// waiting, runs each, takes those queued meanwhile too, and commits once; the others
// wait for that commit. Each caller still gets its own result, and only once the commit
// is durable. A write that fails leaves nothing behind and the others go on: on SQLite
// the batch is rolled back and run again without it (its writes must be safe to run
// again), elsewhere it is rolled back to a savepoint of its own, with the transaction's
// own state (the audit head it extends, the time); when the commit itself fails, every
// write in the batch gets the error and none is stored.

// maxGroup is the most writes one transaction holds, so a caller's wait stays bounded.
const maxGroup = 64

// turns is a queue of callers who commit in batches, one batch at a time: the first to
// arrive while none is being written leads the next batch, the others wait for its
// result or to be woken to lead the one after. Group commit (groupWrite) and the late
// transactions of PostgreSQL (lateWaiter) queue in one each.
type turns[W interface{ turnOf() *turn }] struct {
	mu      sync.Mutex
	pending []W
	leading bool // a batch is being written; its leader hands over when it is done
}

// turn is a queued caller's part in turns.
type turn struct {
	lead bool          // woken to lead the next batch rather than with a result
	wake chan struct{} // closed once, with a result or to lead
}

func (t *turn) turnOf() *turn { return t }

// join queues w and waits while another leads. It returns the batch w leads, w first
// and at most n in all, or nil when w was woken with its result.
func (q *turns[W]) join(w W, n int) []W {
	q.mu.Lock()
	q.pending = append(q.pending, w)
	if q.leading {
		q.mu.Unlock()
		// Wait even when the caller's context ends: the write may be committing, and the
		// caller must not be told it failed when it did not.
		<-w.turnOf().wake
		if !w.turnOf().lead {
			return nil
		}
		q.mu.Lock()
	}
	q.leading = true
	batch := q.takeLocked(n)
	q.mu.Unlock()
	return batch
}

// more takes up to n of the callers queued, to join the batch being written.
func (q *turns[W]) more(n int) []W {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeLocked(n)
}

func (q *turns[W]) takeLocked(n int) []W {
	n = min(n, len(q.pending))
	if n <= 0 {
		return nil
	}
	taken := q.pending[:n:n]
	q.pending = append([]W(nil), q.pending[n:]...)
	return taken
}

// handOn wakes the first caller queued to lead the next batch, or, with none, ends the
// leading.
func (q *turns[W]) handOn() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) > 0 {
		next := q.pending[0].turnOf()
		next.lead = true
		close(next.wake)
	} else {
		q.leading = false
	}
}

// tellEach calls each of fns in order, each under its own recover, so that one that
// panics does not keep the others from being called, and returns the first panic.
func tellEach(fns []func()) (panicked any) {
	for _, fn := range fns {
		func() {
			defer func() {
				if r := recover(); r != nil && panicked == nil {
					panicked = r
				}
			}()
			fn()
		}()
	}
	return panicked
}

// errNotCommitted is the error of the writes of a batch that stopped before its commit
// without saying why: one of its writes panicked.
var errNotCommitted = errors.New("the batch stopped before it committed (a write in it panicked); nothing of it was stored")

// groupWrite is one caller's write: fn at now, and what became of it.
type groupWrite struct {
	ctx context.Context
	now time.Time
	op  string
	fn  func(*tx) error
	// durable, when set, is called once fn's work is committed, in commit order.
	durable func()
	err     error
	turn
}

// updateGrouped runs fn as update does, in a transaction it may share with other writes
// made at the same time; it returns once fn's work is committed (or not, with the error).
//
// Only a single-writer dialect (SQLite) groups: there every commit waits for its own
// flush, one writer at a time. A server such as PostgreSQL already lets concurrent
// commits share a log flush, and grouping would make its writers take turns.
//
// durable, when not nil, is called once fn's work is committed and before the caller is
// answered; the writes of one transaction are told in the order they were written.
func (db *DB) updateGrouped(ctx context.Context, now time.Time, op string, fn func(*tx) error, durable func()) error {
	if !db.dialect.SingleWriter {
		err := db.update(ctx, now, op, fn)
		if err == nil && durable != nil {
			durable()
		}
		return err
	}
	w := &groupWrite{ctx: ctx, now: now, op: op, fn: fn, durable: durable, turn: turn{wake: make(chan struct{})}}
	batch := db.group.join(w, maxGroup)
	if batch == nil {
		return w.err
	}
	// Handed on even when a write panics, so the writes queued behind it are not left
	// waiting for a leader that is gone.
	defer db.group.handOn()
	db.writeBatch(ctx, batch)
	return w.err
}

// writeBatch writes batch in one transaction, with the writes queued while it runs (up to
// maxGroup in all), and wakes each write with its result.
func (db *DB) writeBatch(ctx context.Context, batch []*groupWrite) {
	fail := func(err error) {
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	}
	// batch[0] is the leader, which is running; the others wait for their result. Once
	// the batch is committed, each stored write is told so, in order, before any wakes.
	// One that is not committed (a write panicked, and the panic goes on up the leader's
	// stack once the others are woken) fails every write not already failed: none is
	// told it is durable, nor answered as stored, when nothing was committed.
	committed := false
	defer func() {
		if !committed {
			fail(db.internal("group commit", errNotCommitted))
		}
		var tell []func()
		for _, w := range batch {
			if w.err == nil && w.durable != nil {
				tell = append(tell, w.durable)
			}
		}
		// Each is told, and all are woken with their real result, even when telling
		// one panics; the first panic then goes on up the leader's stack.
		panicked := tellEach(tell)
		for _, w := range batch[1:] {
			close(w.wake)
		}
		if panicked != nil {
			panic(panicked)
		}
	}()
	if db.dialect.SingleWriter {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	// The batch is everyone's: one caller going away must not roll back the others.
	bctx := context.WithoutCancel(ctx)
	// On SQLite a write runs without a savepoint of its own: a statement that fails
	// there undoes only itself, and a write that fails (rarely: a duplicate or a taken
	// ID is decided within its write) has the batch rolled back and run again without
	// it. A savepoint each copied every page its write changed into the statement
	// journal, about a tenth of the writer's time. PostgreSQL aborts a transaction one
	// of whose statements failed, so there each write keeps its savepoint.
	savepoints := !db.dialect.SingleWriter
	var tx *tx
	defer func() {
		if tx != nil {
			tx.tx.Rollback()
		}
	}()
run:
	for {
		var err error
		if tx, err = db.begin(bctx, batch[0].now, true); err != nil {
			tx = nil
			fail(db.internal("group commit", err))
			return
		}
		for i := 0; i < len(batch); i++ {
			w := batch[i]
			if w.err != nil {
				continue // failed in an earlier run of the batch
			}
			if savepoints {
				if _, err := tx.exec(bctx, "SAVEPOINT grouped"); err != nil {
					fail(db.internal(w.op, err))
					return
				}
			}
			saved := *tx
			tx.now = w.now
			if err := w.fn(tx); err != nil {
				w.err = db.internal(w.op, err)
				if !savepoints {
					// What it wrote is in the transaction: run the others again without it.
					tx.tx.Rollback()
					continue run
				}
				*tx = saved
				if _, err := tx.exec(bctx, "ROLLBACK TO SAVEPOINT grouped"); err != nil {
					fail(db.internal(w.op, err))
					return
				}
			}
			if savepoints {
				if _, err := tx.exec(bctx, "RELEASE SAVEPOINT grouped"); err != nil {
					fail(db.internal(w.op, err))
					return
				}
			}
			if i == len(batch)-1 {
				// Writes queued while these ran join them rather than wait for this commit
				// and make one of their own: the transaction is open, and they would wait
				// for it all the same.
				batch = append(batch, db.group.more(maxGroup-len(batch))...)
				if i == len(batch)-1 && len(batch) < maxGroup {
					// None is queued: before closing the batch, let the goroutines ready to
					// run (messages of the same delivery being verified and matched, say)
					// run first, on this processor too, and join it. It costs nothing when
					// none is, and on a busy node it made a quarter fewer commits, each
					// holding more, for a tenth less CPU per message, and a shorter tail.
					runtime.Gosched()
					batch = append(batch, db.group.more(maxGroup-len(batch))...)
				}
			}
		}
		break
	}
	if err := tx.moveHead(bctx); err != nil {
		fail(db.internal("group commit", err))
		return
	}
	if err := tx.tx.Commit(); err != nil {
		fail(db.internal("group commit", err))
		return
	}
	committed = true
	db.committed()
	if tx.policySaved {
		db.policySaved.Store(true)
	}
}
