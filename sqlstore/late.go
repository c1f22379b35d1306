package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Writers that link their audit entries at commit.
//
// A writing transaction normally locks the audit head first and holds it to commit, so
// every writer runs alone: simple, and right for every check-then-write the store makes.
// On PostgreSQL that costs a round trip per statement while every other writer waits. The
// hot paths (storing an arriving message, recording receipts, storing a sent message)
// therefore run "late" where the dialect can pipeline: their reads run as usual, their
// writes are queued, and at commit the transaction locks the head, links its audit entries
// after it and sends every write and the head's move in one pipeline. Only that tail is
// serial, so the chain is still one chain in commit order.
//
// A late transaction read without the lock, so what it decided from its reads is checked
// when it writes: a write that must change one row and changes none, or a unique key taken
// meanwhile, or anything a late transaction cannot do (errRetrySerial), rolls it back and
// runs it again the usual way, which sees everything committed and decides again.

// Statement is one queued write of a late transaction, its placeholders already rebound.
type Statement struct {
	SQL  string
	Args []any
	// Scan, when set, makes the statement a read of one row into these destinations,
	// filled when the pipeline runs (the change a write just logged, say).
	Scan []any
	// Guard marks a statement that fails when something the transaction assumed without
	// reading it does not hold: its failure runs the transaction again holding the head.
	Guard bool
	// ReadOnly marks a Guard that only reads: of a batch's identical ones (the same SQL
	// and arguments, such as the check of a sender's pinned key that every arrival from it
	// makes) the batch sends the first alone.
	ReadOnly bool
	// Each, when set, makes the statement a read of any number of rows: it is called
	// once per row with the function that scans it (a claim's RETURNING).
	Each func(scan func(dest ...any) error) error
	// Fresh, when set, gives the statement's arguments as they are when its pipeline is
	// sent, rather than when it was queued (what other transactions of this process are
	// doing by then: see matchedGuard).
	Fresh func() []any
	// Done, when set, is called once the statement's result is read, before the results
	// of those after it: a COMMIT's lets the group start its next batch. PostgreSQL
	// answers a pipeline at its end, so that is once the wait for the disk that follows
	// a relaxed COMMIT has ended too. Answered at once (a flush request after the
	// COMMIT), the next batch started sooner and was smaller, and each message cost both
	// servers more CPU (0.27 against 0.31 ms of PostgreSQL's per message, measured): where
	// the CPU is the limit, a batch waiting for the disk gathers the next one.
	Done func()
	// Group, when set, lets a batch of late transactions (commitBatch) write this
	// statement together with those of the batch's other transactions holding the same
	// Group.Key, as one statement: PostgreSQL's cost of a statement is mostly its own
	// (its relations locked and opened, its executor started), not its rows'.
	Group *Group
}

// Group is a statement's rows as a batch may write them with those of others (Statement.Group).
type Group struct {
	// Key names the statements that may be written together: the same tables, the same
	// shape of rows.
	Key string
	// Rows are this statement's rows, as Merge reads them.
	Rows any
	// Merge returns the one statement writing the Rows of each statement of a batch
	// holding Key, in the order given: what they would write one after another.
	Merge func(rows []any) Statement
}

// freshen sets the arguments of the statements that take theirs when sent.
func freshen(stmts []Statement) {
	for i := range stmts {
		if stmts[i].Fresh != nil {
			stmts[i].Args = stmts[i].Fresh()
		}
	}
}

// errRetrySerial rolls a late transaction back to run it again holding the head.
var errRetrySerial = errors.New("the transaction must run again holding the audit head")

// lateResult answers a queued write's result: it is not known before the pipeline runs.
type lateResult struct{}

func (lateResult) LastInsertId() (int64, error) {
	return 0, errors.New("a queued write has no result yet")
}
func (lateResult) RowsAffected() (int64, error) {
	return 0, errors.New("a queued write has no result yet")
}

// late reports whether the transaction queues its writes and links at commit.
func (tx *tx) late() bool { return tx.queue && !tx.linking }

// execOne runs a write that must change exactly one row for the transaction's decision to
// hold. Holding the head, it simply runs; in a late transaction a miss runs the
// transaction again holding the head.
func (tx *tx) execOne(ctx context.Context, q string, args ...any) error {
	if tx.late() && tx.db.dialect.WritableCTE {
		// The write checks itself, failing unless it changed one row, so the COMMIT goes
		// in the same pipeline rather than in a round trip of its own after the check.
		tx.guard("WITH w AS ("+q+" RETURNING 1) SELECT 1 / CASE COUNT(*) WHEN 1 THEN 1 ELSE 0 END FROM w", args...)
		return nil
	}
	if tx.queue {
		tx.expect = append(tx.expect, len(tx.queued))
	}
	_, err := tx.exec(ctx, q, args...)
	return err
}

// updateLate runs fn as a late transaction where the dialect pipelines, and as an
// ordinary writing transaction otherwise or when the late one cannot stand. Its commit,
// shared with the late transactions committing at the same time (group commit), waits
// for the disk holding the head: what it writes is not seen before it is durable.
func (db *DB) updateLate(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
	return db.runLate(ctx, now, op, fn, false)
}

// updateLateShared is updateLate for writes whose only reader until they are durable is
// the one waiting for them (an arrival and its receipt, a recorded receipt): it commits
// without waiting for the disk, which lets go of the head at once, and then waits until
// the log is flushed past its commit before it returns (Dialect.WaitDurable). So the head
// is held for a few round trips, and the flushes of writers committing together are
// shared rather than taken one after another. Until then no one has been told: a crash
// that loses the commit loses an arrival its sender was not yet receipted for, or a
// receipt the peer gives again.
func (db *DB) updateLateShared(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
	return db.runLate(ctx, now, op, fn, db.dialect.RelaxedCommit != "" && db.dialect.WaitDurable != "")
}

func (db *DB) runLate(ctx context.Context, now time.Time, op string, fn func(*tx) error, shared bool) error {
	if db.dialect.Pipeline == nil {
		return db.update(ctx, now, op, fn)
	}
	err := db.tryLate(ctx, now, fn, shared)
	if errors.Is(err, errRetrySerial) || (err != nil && db.dialect.IsUniqueViolation(err)) {
		return db.update(ctx, now, op, fn)
	}
	return db.internal(op, err)
}

func (db *DB) tryLate(ctx context.Context, now time.Time, fn func(*tx) error, shared bool) error {
	// The reads run on their own, each seeing what is committed when it runs, as they
	// would inside a transaction at PostgreSQL's isolation level; the transaction proper
	// begins just before the head is locked, on a connection taken then (onConn).
	tx := &tx{db: db, now: now, queue: true}
	if err := fn(tx); err != nil {
		return err
	}
	if len(tx.queued) == 0 {
		return nil
	}
	return db.commitLateGrouped(ctx, tx, shared)
}

// onConn runs fn with tx.conn a connection of tx's own, taken for fn.
func (db *DB) onConn(ctx context.Context, tx *tx, fn func() error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	tx.conn = conn
	defer func() { tx.conn = nil }()
	return fn()
}

// commitLate is a late transaction's tail on its own: it locks the head, links the
// transaction's entries, sends its writes and commits (tailCommit), on a connection it
// takes for it.
func (db *DB) commitLate(ctx context.Context, tx *tx, shared bool, committed func()) error {
	return db.onConn(ctx, tx, func() error { return db.commitLateOn(ctx, tx, shared, committed) })
}

func (db *DB) commitLateOn(ctx context.Context, tx *tx, shared bool, committed func()) error {
	n := len(tx.queued)
	return db.tailCommit(ctx, tx.conn, shared, len(tx.pending) > 0, committed, func(seq int64, hash string) (*tail, error) {
		// Linked again when the head known beforehand had moved: from the writes alone.
		tx.queued, tx.auditRows, tx.linking = tx.queued[:n:n], nil, false
		tx.headSeq, tx.headHash = seq, hash
		if len(tx.pending) > 0 {
			if err := tx.link(ctx); err != nil {
				return nil, err
			}
		}
		t := &tail{stmts: tx.queued, expect: tx.expect, audit: tx.auditRows, seq: tx.headSeq, hash: tx.headHash, policySaved: tx.policySaved}
		tx.auditRows = nil
		return t, nil
	})
}

// tail is what a late transaction (or a batch of them) sends once its entries are linked:
// its writes, those of them that must change one row, its entries not yet among the
// writes (audit, rows of auditColumns: tailCommit writes them with the head's move), and
// the head it leaves.
type tail struct {
	stmts       []Statement
	expect      []int
	audit       [][]any
	seq         int64
	hash        string
	policySaved bool
}

// tailCommit runs a late tail on conn: it links (when linking) after the audit head, sends
// the writes link returns and commits, with shared its commit relaxed and then waited for.
//
// When this process knows the head (it wrote it last, which is nearly always so), link
// runs before anything is sent, and the BEGIN, the head's move from the one known to the
// one the tail leaves (which fails unless the head is still the one known, and locks it),
// the writes and the COMMIT go as one pipeline: one round trip and one statement on the
// head for the whole tail. When the head moved (another writer, another server), the check
// fails and the tail runs again the longer way: BEGIN with the head locked and read, then
// the writes with the COMMIT, two round trips, or three when writes must be checked before
// the commit.
//
// committed, when not nil, is called once the COMMIT has run and the head it leaves is
// noted, before the wait for the disk that follows a relaxed one.
func (db *DB) tailCommit(ctx context.Context, conn *sql.Conn, shared, linking bool, committed func(), link func(seq int64, hash string) (*tail, error)) error {
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	seq, hash, known := db.knownHead()
	if !linking || (known && db.policySaved.Load()) {
		t, err := link(seq, hash)
		if err != nil {
			return err
		}
		prefix := db.beginStmts(shared)
		if linking {
			prefix = append(prefix, headMoveWith(db, t.audit, t.seq, t.hash, seq, hash))
		}
		expect := make([]int, len(t.expect))
		for i, x := range t.expect {
			expect[i] = len(prefix) + x
		}
		freshen(t.stmts)
		ok, failed, err := db.pipeCommit(ctx, conn, append(prefix, t.stmts...), expect, shared, db.onCommit(t, committed))
		if err != nil {
			return err
		}
		if ok {
			done = true
			db.committedLate(t)
			return nil
		}
		if !linking || failed != len(prefix)-1 {
			return errRetrySerial
		}
		// The head moved: end this attempt and lock it.
		db.forgetHead()
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			return fmt.Errorf("roll back: %w", err)
		}
	}
	if err := db.beginLate(ctx, conn, shared, &seq, &hash); err != nil {
		return err
	}
	t, err := link(seq, hash)
	if err != nil {
		return err
	}
	linker := &tx{db: db, conn: conn, queue: true, linking: true, queued: t.stmts, auditRows: t.audit}
	linker.flushAudit()
	t.stmts = linker.queued
	if linking {
		t.stmts = append(t.stmts, Statement{SQL: db.rebind("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"), Args: []any{t.seq, t.hash}})
	}
	freshen(t.stmts)
	ok, _, err := db.pipeCommit(ctx, conn, t.stmts, t.expect, shared, db.onCommit(t, committed))
	if err != nil {
		return err
	}
	if !ok {
		return errRetrySerial
	}
	done = true
	db.committedLate(t)
	return nil
}

// onCommit is what runs once t's COMMIT has: the head it leaves noted, then committed.
func (db *DB) onCommit(t *tail, committed func()) func() {
	return func() {
		db.committedLate(t)
		if committed != nil {
			committed()
		}
	}
}

// committedLate notes what a committed tail leaves: the head, and the checkpoint policy
// recorded.
func (db *DB) committedLate(t *tail) {
	if t.seq > 0 {
		db.noteHead(t.seq, t.hash)
	}
	if t.policySaved {
		db.policySaved.Store(true)
	}
}

// headMove moves the audit head to the first two arguments, and fails (division by zero)
// unless it is the one given by the last two: a tail linked after the head known
// beforehand moves it so, first in its pipeline, which also locks it for the writes
// that follow.
const headMove = "WITH h AS (UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ? RETURNING 1) SELECT 1 / COUNT(*) FROM h"

// headMoveAudit is headMove writing the entries that move it in the same statement, given
// as one array per column of auditColumns (PostgreSQL's unnest: the one dialect that
// pipelines): one statement, of one shape, for the head and every entry of a batch.
const headMoveAudit = "WITH a AS (INSERT INTO audit_entries (" + auditColumns + ") SELECT * FROM unnest(?::bigint[]" +
	", ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])), " +
	"h AS (UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ? RETURNING 1) SELECT 1 / COUNT(*) FROM h"

// headMoveWith is the Guard that moves the head from (seq, hash) to (toSeq, toHash),
// writing the entries rows (of auditColumns) that move it.
func headMoveWith(db *DB, rows [][]any, toSeq int64, toHash string, seq int64, hash string) Statement {
	if len(rows) == 0 {
		return Statement{SQL: db.rebind(headMove), Args: []any{toSeq, toHash, seq, hash}, Guard: true}
	}
	seqs := make([]int64, len(rows))
	texts := make([][]string, len(rows[0])-1)
	for i := range texts {
		texts[i] = make([]string, len(rows))
	}
	for j, r := range rows {
		seqs[j] = r[0].(int64)
		for i, v := range r[1:] {
			texts[i][j] = v.(string)
		}
	}
	args := []any{seqs}
	for _, t := range texts {
		args = append(args, t)
	}
	return Statement{SQL: db.rebind(headMoveAudit), Args: append(args, toSeq, toHash, seq, hash), Guard: true}
}

// beginStmts opens a late tail: BEGIN, and with shared its commit relaxed.
func (db *DB) beginStmts(shared bool) []Statement {
	stmts := []Statement{{SQL: "BEGIN"}}
	if shared {
		stmts = append(stmts, Statement{SQL: db.dialect.RelaxedCommit})
	}
	return stmts
}

// beginLate opens a late transaction's tail on conn in one round trip: BEGIN, with shared
// its commit relaxed, and the audit head locked and read into seq and hash.
func (db *DB) beginLate(ctx context.Context, conn *sql.Conn, shared bool, seq *int64, hash *string) error {
	stmts := append(db.beginStmts(shared), Statement{SQL: "SELECT seq, hash FROM audit_head WHERE id = 1" + db.dialect.LockSuffix, Scan: []any{seq, hash}})
	if _, err := db.dialect.Pipeline(ctx, conn, stmts); err != nil {
		return fmt.Errorf("begin transaction and lock audit head: %w", err)
	}
	return nil
}

// pipeCommit sends stmts and, unless some must be checked first (expect, the indexes of
// writes that must change one row), the COMMIT in the same pipeline; shared, the wait for
// the disk follows the COMMIT. It reports whether it committed: not when a checked write
// missed or a guard failed (failed is then the guard's index, else -1), and the caller
// then rolls back.
func (db *DB) pipeCommit(ctx context.Context, conn *sql.Conn, stmts []Statement, expect []int, shared bool, onCommit func()) (committed bool, failed int, err error) {
	tail := []Statement{{SQL: "COMMIT", Done: onCommit}}
	if shared {
		tail = append(tail, Statement{SQL: db.dialect.WaitDurable})
	}
	n := len(stmts)
	if len(expect) == 0 {
		stmts = append(stmts[:n:n], tail...)
	}
	affected, err := db.dialect.Pipeline(ctx, conn, stmts)
	if err != nil {
		if len(affected) < n && stmts[len(affected)].Guard {
			return false, len(affected), nil // the statements before it ran; it is the one that failed
		}
		if len(affected) > n {
			db.waitsFailed.Add(1)
			return false, -1, fmt.Errorf("wait for the commit to be durable: %w", err)
		}
		return false, -1, err
	}
	if len(expect) == 0 {
		return true, -1, nil
	}
	for _, i := range expect {
		if affected[i] != 1 {
			return false, -1, nil
		}
	}
	if done, err := db.dialect.Pipeline(ctx, conn, tail); err != nil {
		if len(done) > 0 {
			db.waitsFailed.Add(1)
			return false, -1, fmt.Errorf("wait for the commit to be durable: %w", err)
		}
		return false, -1, fmt.Errorf("commit: %w", err)
	}
	return true, -1, nil
}

// link appends the transaction's entries after the audit head as tx holds it, leaving
// those not queued yet in tx.auditRows; tailCommit writes them and moves the head.
func (tx *tx) link(ctx context.Context) error {
	tx.linking = true
	for _, e := range tx.pending {
		if err := tx.appendAudit(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// guard queues stmt as a Guard of the transaction's writes (late transactions only).
func (tx *tx) guard(q string, args ...any) {
	tx.queued = append(tx.queued, Statement{SQL: tx.db.rebind(q), Args: args, Guard: true})
}

// check queues a Guard that only reads (Statement.ReadOnly).
func (tx *tx) check(q string, args ...any) {
	tx.queued = append(tx.queued, Statement{SQL: tx.db.rebind(q), Args: args, Guard: true, ReadOnly: true})
}

var _ sql.Result = lateResult{}

// retrySerialIf stops a late transaction when cond holds: what follows needs the head.
func (tx *tx) retrySerialIf(cond bool) error {
	if cond && tx.late() {
		return errRetrySerial
	}
	return nil
}

// Group commit of late transactions. Every late transaction (an arrival, a batch of
// receipts, a message sent, matches found after an arrival) that reaches its tail while
// another batch is committing waits for it, and they are then committed together by one
// of them (the leader) in one transaction: one lock of the head, one pipeline holding
// every write, every audit entry linked in turn and the head moved once, one COMMIT and
// one wait for the disk. The head is then held for a few round trips per batch rather
// than per message, and PostgreSQL writes one commit for many; and writers of one
// process never link after the same head, so none has its head's move fail for another
// (1,400 of 2,000 sends made by four senders at once did, before sends joined the group).
// A batch whose writes may all be seen before they are durable (updateLateShared)
// commits relaxed and then waits for the disk, letting go of the head first; one holding
// a write that must not be seen before it is durable (updateLate: a message sent, which
// the delivery worker reads; matches and their alerts) commits durably, holding the head,
// which is as good for the others. Either way no caller is answered before its write is
// durable. When the batch fails (a unique key taken, a write that must change one row
// and did not), it is rolled back whole and each of its transactions commits alone,
// where it fails, or runs again holding the head, as it would have without the group.

// errLateStopped is the error of the others of a batch whose leader stopped without an
// answer for them: something in it panicked before the batch was known durable.
var errLateStopped = errors.New("the batch stopped before it was known durable (something in it panicked); whether it was stored is not known")

// errAlone tells a grouped late transaction that its batch failed: it commits alone.
var errAlone = errors.New("the batch failed; commit alone")

// lateWaiter is one late transaction waiting for its batch; relaxed, its writes may be
// seen before they are durable (updateLateShared).
type lateWaiter struct {
	tx      *tx
	relaxed bool
	err     error
	turn
}

// commitLateGrouped commits tx's tail together with those of other late transactions
// reaching theirs meanwhile, and returns once it is durable. relaxed, tx's writes may be
// seen before they are durable.
func (db *DB) commitLateGrouped(ctx context.Context, tx *tx, relaxed bool) error {
	ctx = context.WithoutCancel(ctx) // the batch is everyone's
	w := &lateWaiter{tx: tx, relaxed: relaxed, turn: turn{wake: make(chan struct{})}}
	batch := db.late.join(w, maxGroup)
	if batch == nil {
		if w.err == errAlone {
			return db.commitLate(ctx, tx, relaxed, nil)
		}
		return w.err
	}

	// The batch commits relaxed only when every write in it may be seen before it is durable.
	shared := true
	for _, o := range batch {
		shared = shared && o.relaxed
	}
	// The next batch may start once this one's COMMIT has run: it links after the head
	// this one leaves, and its own commit, later in the log, is durable only after this
	// one's (on PostgreSQL the COMMIT is answered with the wait for the disk: Statement.Done).
	handedOver := false
	handover := func() {
		if handedOver {
			return
		}
		handedOver = true
		db.late.handOn()
	}
	// The others are woken, and the next batch may start, even when something panics on
	// the way before the batch is known durable (the panic goes on up the leader's
	// stack): each is told its write failed, not that it is stored, nor left waiting
	// for a leader that is gone.
	woken := false
	defer func() {
		if !woken {
			for _, o := range batch[1:] {
				o.err = db.internal("group commit", errLateStopped)
				close(o.wake)
			}
			handover()
		}
	}()
	err := db.onConn(ctx, tx, func() error {
		if len(batch) == 1 {
			return db.commitLateOn(ctx, tx, shared, handover)
		}
		return db.commitBatch(ctx, batch, shared, handover)
	})
	var panicked any
	if err == nil {
		// Told in commit order before any is answered: an arrival's matcher then finds
		// the batch's earlier arrivals told when it is told of its own, rather than read
		// them back from the change log because their goroutines had not yet run. Each
		// is told, and answered as stored, even when telling one panics (tellEach).
		var tell []func()
		for _, o := range batch {
			if o.tx.durable != nil {
				tell = append(tell, o.tx.durable)
			}
		}
		panicked = tellEach(tell)
	}
	for _, o := range batch[1:] {
		o.err = err
		if err != nil {
			o.err = errAlone
		}
		close(o.wake)
	}
	woken = true
	handover()
	if panicked != nil {
		panic(panicked)
	}
	if err != nil && len(batch) > 1 {
		return db.commitLate(ctx, tx, relaxed, nil)
	}
	return err
}

// commitBatch commits the tails of batch in one transaction on the leader's connection
// (batch[0]'s); shared, its commit relaxed and then waited for.
func (db *DB) commitBatch(ctx context.Context, batch []*lateWaiter, shared bool, committed func()) error {
	conn := batch[0].tx.conn
	linking := false
	for _, w := range batch {
		linking = linking || len(w.tx.pending) > 0
	}
	return db.tailCommit(ctx, conn, shared, linking, committed, func(seq int64, hash string) (*tail, error) {
		linker := &tx{db: db, conn: conn, queue: true, linking: true, headSeq: seq, headHash: hash}
		t := &tail{}
		checked := map[string]bool{}
		// The statements of a Group.Key go, written together, where the first of them
		// would: before every statement that followed any of them, which may need their
		// rows (a match names its message).
		groups := map[string]int{} // where each Group.Key's statement goes
		grouped := map[int][]any{} // the rows written there
		for _, w := range batch {
			at := make([]int, len(w.tx.queued)) // where each of its statements goes
			for j, st := range w.tx.queued {
				if st.Group != nil && !slices.Contains(w.tx.expect, j) {
					if p, ok := groups[st.Group.Key]; ok {
						grouped[p] = append(grouped[p], st.Group.Rows)
						at[j] = p
						continue
					}
					groups[st.Group.Key] = len(t.stmts)
					grouped[len(t.stmts)] = []any{st.Group.Rows}
				}
				if st.ReadOnly {
					key := fmt.Sprintf("%s\x00%q", st.SQL, st.Args)
					if checked[key] {
						at[j] = -1
						continue
					}
					checked[key] = true
				}
				at[j] = len(t.stmts)
				t.stmts = append(t.stmts, st)
			}
			for _, i := range w.tx.expect {
				t.expect = append(t.expect, at[i]) // a write, never a check left out
			}
			linker.now = w.tx.now
			for _, e := range w.tx.pending {
				if err := linker.appendAudit(ctx, e); err != nil {
					return nil, err
				}
			}
			t.policySaved = t.policySaved || w.tx.policySaved
		}
		for p, rows := range grouped {
			if len(rows) > 1 {
				t.stmts[p] = t.stmts[p].Group.Merge(rows)
			}
		}
		t.stmts = append(t.stmts, linker.queued...)
		t.audit = linker.auditRows
		t.seq, t.hash = linker.headSeq, linker.headHash
		t.policySaved = t.policySaved || linker.policySaved
		return t, nil
	})
}

// headCache is the audit head as this process last committed it: the head a late tail
// links after without reading it first, checked in its pipeline (tailCommit).
type headCache struct {
	mu    sync.Mutex
	seq   int64
	hash  string
	known bool
}

// knownHead returns the head this process last committed, if it knows one.
func (db *DB) knownHead() (int64, string, bool) {
	c := &db.head
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq, c.hash, c.known
}

// noteHead records a head a transaction of this process committed; a later one than the
// head known replaces it (transactions may report their commits out of order).
func (db *DB) noteHead(seq int64, hash string) {
	c := &db.head
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known || seq > c.seq {
		c.seq, c.hash, c.known = seq, hash, true
	}
}

// forgetHead drops the head known: another writer moved it.
func (db *DB) forgetHead() {
	c := &db.head
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq, c.hash, c.known = 0, "", false
}
