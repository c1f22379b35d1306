package sqlstore

import (
	"context"
	"sync"
	"time"
)

// Group commit. A durable commit costs a flush of the log to disk, whatever it holds, so
// writes that arrive together (peers delivering messages at once) are stored in one
// transaction: the first caller to find no batch being written leads, takes every write
// waiting, runs each in a savepoint of its own, takes those queued meanwhile too, and
// commits once; the others wait for that commit. Each caller still gets its own result,
// and only once the commit is durable. A write that fails is rolled back to its
// savepoint, with the transaction's own state (the audit head it extends, the time), so
// it leaves nothing behind and the others go on; when the commit itself fails, every
// write in the batch gets the error and none is stored.

// maxGroup is the most writes one transaction holds, so a caller's wait stays bounded.
const maxGroup = 64

// groupCommit is the queue of writes waiting for the next batch.
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupWrite
	leading bool // a batch is being written; its leader hands over when it is done
}

// groupWrite is one caller's write: fn at now, and what became of it.
type groupWrite struct {
	ctx context.Context
	now time.Time
	op  string
	fn  func(*tx) error
	// durable, when set, is called once fn's work is committed, in commit order.
	durable func()
	err     error
	lead    bool          // woken to lead the next batch rather than with a result
	wake    chan struct{} // closed once, with a result or to lead
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
	w := &groupWrite{ctx: ctx, now: now, op: op, fn: fn, durable: durable, wake: make(chan struct{})}
	g := &db.group
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if g.leading {
		g.mu.Unlock()
		// Wait even when ctx ends: the write may be committing, and the caller must not be
		// told it failed when it did not.
		<-w.wake
		if !w.lead {
			return w.err
		}
		g.mu.Lock()
	}
	g.leading = true
	n := min(len(g.pending), maxGroup)
	batch := g.pending[:n:n]
	g.pending = append([]*groupWrite(nil), g.pending[n:]...)
	g.mu.Unlock()

	db.writeBatch(ctx, batch)

	g.mu.Lock()
	if len(g.pending) > 0 {
		next := g.pending[0]
		next.lead = true
		close(next.wake)
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return w.err
}

// more takes up to n of the writes queued, to join the batch being written.
func (g *groupCommit) more(n int) []*groupWrite {
	g.mu.Lock()
	defer g.mu.Unlock()
	n = min(n, len(g.pending))
	if n <= 0 {
		return nil
	}
	taken := g.pending[:n:n]
	g.pending = append([]*groupWrite(nil), g.pending[n:]...)
	return taken
}

// writeBatch writes batch in one transaction, with the writes queued while it runs (up to
// maxGroup in all), and wakes each write with its result.
func (db *DB) writeBatch(ctx context.Context, batch []*groupWrite) {
	// batch[0] is the leader, which is running; the others wait for their result. Once
	// the batch is committed, each stored write is told so, in order, before any wakes.
	defer func() {
		for _, w := range batch {
			if w.err == nil && w.durable != nil {
				w.durable()
			}
		}
		for _, w := range batch[1:] {
			close(w.wake)
		}
	}()
	fail := func(err error) {
		for _, w := range batch {
			if w.err == nil {
				w.err = err
			}
		}
	}
	if db.dialect.SingleWriter {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	// The batch is everyone's: one caller going away must not roll back the others.
	bctx := context.WithoutCancel(ctx)
	tx, err := db.begin(bctx, batch[0].now, true)
	if err != nil {
		fail(db.internal("group commit", err))
		return
	}
	defer tx.tx.Rollback()
	for i := 0; i < len(batch); i++ {
		w := batch[i]
		if _, err := tx.exec(bctx, "SAVEPOINT grouped"); err != nil {
			fail(db.internal(w.op, err))
			return
		}
		saved := *tx
		tx.now = w.now
		if err := w.fn(tx); err != nil {
			w.err = db.internal(w.op, err)
			*tx = saved
			if _, err := tx.exec(bctx, "ROLLBACK TO SAVEPOINT grouped"); err != nil {
				fail(db.internal(w.op, err))
				return
			}
		}
		if _, err := tx.exec(bctx, "RELEASE SAVEPOINT grouped"); err != nil {
			fail(db.internal(w.op, err))
			return
		}
		if i == len(batch)-1 {
			// Writes queued while these ran join them rather than wait for this commit
			// and make one of their own: the transaction is open, and they would wait
			// for it all the same.
			batch = append(batch, db.group.more(maxGroup-len(batch))...)
		}
	}
	if err := tx.moveHead(bctx); err != nil {
		fail(db.internal("group commit", err))
		return
	}
	if err := tx.tx.Commit(); err != nil {
		fail(db.internal("group commit", err))
		return
	}
	if tx.policySaved {
		db.policySaved.Store(true)
	}
}
