// Package sqlstore is Forewarn's one implementation of forewarn.Store over database/sql.
// It owns the SQL, the transactions and the audit hash chain; the sqlite and postgres
// packages supply only a driver, a Dialect and their numbered migrations, so both backends
// run exactly the same code and pass the same conformance suite (storetest).
//
// Every public method owns its transaction and every private helper takes it, so a change
// and its audit entry are written together or not at all. The transaction carries the
// time it started from the injectable clock, so tests control time.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn"
)

// DefaultCheckpointEvery is how many audit entries may pass between signed checkpoints
// when Options.CheckpointEvery is zero.
const DefaultCheckpointEvery = 1000

// Page sizes for FindSubjects and AuditEntries: the default when the filter asks for none,
// and the most one call returns, so a single request cannot pull the whole table.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Options configure a DB.
type Options struct {
	// Now is the clock; nil means time.Now().UTC(). Every transaction reads it once.
	Now func() time.Time
	// Signer is the node key that signs audit checkpoints. It may be nil before the node
	// is initialised; then no checkpoints are signed.
	Signer forewarn.Signer
	// Agency is the agency code recorded in checkpoints; empty means the one InitNode stored.
	Agency string
	// CheckpointEvery signs a checkpoint of the chain head every N entries; 0 means
	// DefaultCheckpointEvery.
	CheckpointEvery int
	// Logger receives operational messages (migrations applied); nil discards them.
	Logger *slog.Logger
}

// Dialect is what differs between the SQL databases sqlstore runs on. The driver-specific
// parts (error classification) are functions supplied by the backend package, so sqlstore
// imports no driver.
type Dialect struct {
	// Name names the database in errors and logs: "sqlite", "postgres".
	Name string
	// NumberedParams rewrites the ? placeholders sqlstore writes into $1, $2, … .
	NumberedParams bool
	// LockSuffix is appended to the SELECT of the audit head so that concurrent writers
	// queue on it: " FOR UPDATE" for PostgreSQL, "" for SQLite, whose write transactions
	// already exclude each other.
	LockSuffix string
	// SkipLocked is appended to the SELECT that picks the rows a claim takes: " FOR
	// UPDATE SKIP LOCKED" for PostgreSQL, so two servers claiming at once take different
	// rows without waiting for each other; "" for SQLite, which has one writer at a time.
	SkipLocked string
	// RelaxedCommit, when set, is executed first in a claiming transaction: a claim lost
	// in a crash only means the work falls due again, so it need not wait for the disk
	// ("SET LOCAL synchronous_commit = off" for PostgreSQL).
	RelaxedCommit string
	// WritableCTE lets one statement write two tables (WITH … INSERT … RETURNING):
	// PostgreSQL stores a message and its recipients in one statement, SQLite in one each.
	WritableCTE bool
	// RelaxSession and RestoreSession, when set, do for a database that sets durability
	// per connection, and not within a transaction, what RelaxedCommit does: the first is
	// executed on a claiming transaction's connection before it begins, the second once
	// it has ended ("PRAGMA synchronous = NORMAL", then FULL, for SQLite in WAL mode, where
	// the next durable commit flushes the claim with it). A connection that cannot be
	// restored is closed rather than used again.
	RelaxSession, RestoreSession string
	// PlainReads runs a read-only view's statements on one connection without a
	// transaction. At PostgreSQL's isolation level (READ COMMITTED) a transaction gives
	// each statement its own snapshot anyway, so its BEGIN and ROLLBACK were two round
	// trips that bought nothing; SQLite's read transaction is a snapshot, and stays.
	PlainReads bool
	// Pipeline, when set, sends a late transaction's queued writes on conn in one round
	// trip and returns the rows each changed (late.go); nil runs every writer holding the
	// audit head from its start.
	Pipeline func(ctx context.Context, conn *sql.Conn, stmts []Statement) ([]int64, error)
	// WaitDurable, when set with RelaxedCommit, is a statement that returns only once the
	// log is durable up to it: a transaction that writes to the log and so commits
	// synchronously after one that did not, flushing the log before it with its own (on
	// PostgreSQL a transactional logical message; a transaction that writes nothing is
	// committed asynchronously and flushes nothing).
	WaitDurable string
	// MigrationLock, when set, is executed first in every migration transaction so that
	// two processes migrating at once take turns.
	MigrationLock string
	// IsUniqueViolation reports whether err is a unique or primary-key constraint
	// violation, judged by the database's error code.
	IsUniqueViolation func(error) bool
	// IsNotNullViolation reports whether err is a NOT NULL constraint violation, judged
	// by the database's error code: an arrival's insert on SQLite finding a signer's key
	// no longer pinned (insertMessage).
	IsNotNullViolation func(error) bool
	// SingleWriter makes writers within this process queue on a mutex before they begin.
	// SQLite admits one writer at a time anyway; without the queue, writers that find the
	// lock taken poll it with growing sleeps (its busy handler), which wastes most of the
	// time under load. Other processes still wait through the busy timeout.
	SingleWriter bool
	// Checkpoint, when set, copies the write-ahead log into the database, in the
	// background, once every checkpointCommits commits made here (committed), where the
	// database would do it in the commit that filled the log, and so in the serial
	// writer's turn (SQLite: "PRAGMA wal_checkpoint(PASSIVE)", its automatic checkpoint
	// turned off on the store's connections).
	Checkpoint string
	// PartitionedLists keeps the orders of the message list and the match list in an
	// index per direction and per status only (SQLite's migration 0422, PostgreSQL's
	// 0457): a list of every direction or status reads one range of it per value and
	// merges them in order.
	PartitionedLists bool
	// LimitedParts orders and limits each part of a partitioned list to the rows its page
	// can take from it (PostgreSQL, which reads a plain UNION ALL whole to sort it).
	LimitedParts bool
	// Compact makes the bytes of erased data leave the database's files, once erasure
	// has committed (SQLite: checkpoint and truncate the WAL; PostgreSQL: VACUUM).
	Compact func(ctx context.Context, db *sql.DB) error
	// ParamExpressions writes as expressions ("LIMIT +?") the parameters SQLite plans as
	// the constant bound to them: a LIMIT or OFFSET, and the keys the due deliveries
	// are read by in order (dueToQuery, dueQuery). Every new binding of such a
	// parameter expired the statement, and its next run prepared it again: each read of
	// a peer's due deliveries cost about 100 µs more, and each arrival's check of the
	// changes since its match twice what it does now. An expression is read at run
	// time, and the plan is kept.
	ParamExpressions bool
}

// DB is a forewarn.Store over a database/sql handle.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	now     func() time.Time // always UTC
	signer  forewarn.Signer
	agency  string
	every   atomic.Int64
	log     *slog.Logger
	writeMu sync.Mutex // held by writing transactions when the dialect is SingleWriter
	group   turns[*groupWrite]
	late    turns[*lateWaiter] // late transactions committing together (late.go)
	head    headCache          // the audit head this process last committed (late.go)
	stmts   sync.Map           // rebound SQL text → *sql.Stmt, prepared once
	// preparing counts the statements being prepared in the background (tx.stmt), which
	// Close waits for; closing refuses new ones once Close has begun.
	preparing sync.WaitGroup
	prepMu    sync.Mutex
	closing   bool
	// commits counts the commits made, and checkpointing is set while a checkpoint runs
	// in the background (Dialect.Checkpoint), which Close also waits for (preparing).
	commits       atomic.Int64
	checkpointing atomic.Bool
	// waitsFailed counts the late commits whose wait for the disk failed after their
	// COMMIT ran (pipeCommit): each is run again alone, which must find it stored.
	waitsFailed atomic.Int64
	// arrivals are the changes of arrivals stored for a matcher told of them (changes.go).
	arrivals arrivalSeqs
	// storing are the arrivals being stored for a matcher told of them (changes.go).
	storing storingIDs
	// nodeCode is the node's agency code once read (notify.go): the node row never changes.
	nodeCode atomic.Value
	// notified is who may hear of an alert, at the access version it was read at (notify.go).
	notified notifiedCache

	rebound sync.Map // query with ? → query with $n

	// policySaved says the checkpoint policy this DB signs by is recorded in the store;
	// until then every writing transaction that appends to the audit chain records it.
	policySaved atomic.Bool
	explicit    bool // every was given by the opener, not taken from the store
}

var _ forewarn.Store = (*DB)(nil)

// New returns a store over db, which must already be migrated (see Migrate). The DB owns
// db from then on: Close closes it.
func New(db *sql.DB, d Dialect, opts Options) *DB {
	s := &DB{sql: db, dialect: d, signer: opts.Signer, agency: opts.Agency, log: opts.Logger}
	s.every.Store(int64(opts.CheckpointEvery))
	clock := opts.Now
	if clock == nil {
		clock = time.Now
	}
	s.now = func() time.Time { return clock().UTC() }
	s.explicit = opts.CheckpointEvery > 0
	if !s.explicit {
		s.every.Store(DefaultCheckpointEvery) // until the recorded policy is read
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.dialect.IsUniqueViolation == nil {
		s.dialect.IsUniqueViolation = func(error) bool { return false }
	}
	return s
}

// checkpointCommits is how many commits a background checkpoint (Dialect.Checkpoint)
// follows: about the thousand pages SQLite's own automatic checkpoint waits for, at the
// twenty to forty pages a group commit of messages writes.
const checkpointCommits = 32

// committed notes a commit made, and every checkpointCommits starts a checkpoint in the
// background unless one is running or the database is closing. A checkpoint copies what
// the log holds into the database and flushes both to disk: milliseconds that the serial
// writer, whose commit ran SQLite's own, spent with every writer waiting behind it.
func (db *DB) committed() {
	if db.dialect.Checkpoint == "" || db.commits.Add(1)%checkpointCommits != 0 || !db.checkpointing.CompareAndSwap(false, true) {
		return
	}
	db.prepMu.Lock()
	defer db.prepMu.Unlock()
	if db.closing {
		db.checkpointing.Store(false)
		return
	}
	db.preparing.Add(1)
	go func() {
		defer db.preparing.Done()
		defer db.checkpointing.Store(false)
		var busy, logged, copied int // SQLite's answer, unused: what a checkpoint left is copied by the next, or by the backstop (sqlite.walBackstopPages)
		if err := db.sql.QueryRowContext(context.Background(), db.dialect.Checkpoint).Scan(&busy, &logged, &copied); err != nil {
			db.log.Warn("could not checkpoint the database's log", "err", err)
		}
	}()
}

// Close closes the database, once the statements being prepared in the background have
// been: a preparation that outlived Close would hold a connection, and on SQLite the last
// connection's close checkpoints the WAL under an exclusive lock, after the caller (a CLI
// command, say) had returned and another program could open the file.
func (db *DB) Close() error {
	db.prepMu.Lock()
	db.closing = true
	db.prepMu.Unlock()
	db.preparing.Wait()
	db.stmts.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	return db.sql.Close()
}

// Dialect returns the dialect the DB was opened with.
func (db *DB) Dialect() Dialect { return db.dialect }

// rebind rewrites q's ? placeholders for the dialect, and its LIMIT and OFFSET
// parameters as expressions where the dialect asks (ParamExpressions). Queries are
// constants or built from constants, so the cache stays small.
func (db *DB) rebind(q string) string {
	limits := db.dialect.ParamExpressions && (strings.Contains(q, "LIMIT ?") || strings.Contains(q, "OFFSET ?"))
	if !limits && (!db.dialect.NumberedParams || !strings.Contains(q, "?")) {
		return q
	}
	if r, ok := db.rebound.Load(q); ok {
		return r.(string)
	}
	r := q
	if limits {
		r = strings.NewReplacer("LIMIT ?", "LIMIT +?", "OFFSET ?", "OFFSET +?").Replace(r)
	}
	if db.dialect.NumberedParams {
		r = Rebind(r)
	}
	db.rebound.Store(q, r)
	return r
}

// Rebind rewrites each ? in q as $1, $2, … in order. Queries must not hold a literal ?.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// tx is one transaction with the time it runs at and, for writing transactions, the audit
// chain head it holds locked.
type tx struct {
	tx  *sql.Tx
	db  *DB
	now time.Time

	headSeq  int64
	headHash string
	// headMoved says entries were appended since the head was last written (moveHead).
	headMoved bool

	policySaved bool // this transaction recorded the checkpoint policy

	// A late transaction (late.go) queues its writes and audit entries (queue), and links
	// the entries at commit, on conn; expect indexes the writes that must change a row.
	// Its reads run on any connection: it takes one of its own only to commit, so a
	// transaction waiting for its batch holds none (a view without a transaction reads
	// on conn).
	queue   bool
	conn    *sql.Conn
	queued  []Statement
	pending []*forewarn.AuditEntry
	expect  []int
	linking bool
	// auditRows are entries linked and not yet queued (flushAudit).
	auditRows [][]any
	// unwritten are entries appended and not yet written, where one writer at a time
	// stores (writeAudit).
	unwritten [][]any
	// auditErr is a failed write of unwritten entries that no caller was told of
	// (queryRow): the transaction must not commit.
	auditErr error
	// readOnly marks a view run without a transaction (Dialect.PlainReads): it may not write.
	readOnly bool
	// single marks a read of one statement run without a transaction (viewOne).
	single bool
	// notices counts the notifications queued (notify), so a caller can tell whether
	// its write gave the notification worker anything to send.
	notices int
	// arrivals are the changes of arrivals stored earlier in this transaction (group
	// commit) for a matcher that is told of them: see arrivalChange.
	arrivals []int64
	// durable, set by a late transaction, is called by the batch that commits it once it
	// is durable, in the batch's order, before any of the batch returns (commitLateGrouped).
	durable func()
	// stmts are the transaction's handles on the statements it ran (stmt), by rebound SQL.
	stmts map[string]*sql.Stmt
}

// begin starts a transaction at now. A writing transaction first reads the audit head
// with the dialect's lock suffix: from then on it is the only writer, so every read it
// makes sees the latest committed data and the chain it extends stays linear.
func (db *DB) begin(ctx context.Context, now time.Time, write bool) (*tx, error) {
	tx, err := db.beginTx(ctx, now, !write)
	if err != nil {
		return nil, err
	}
	t := tx.tx
	if write {
		err := tx.queryRow(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1"+db.dialect.LockSuffix).Scan(&tx.headSeq, &tx.headHash)
		if err != nil {
			_ = t.Rollback()
			return nil, fmt.Errorf("lock audit head: %w", err)
		}
	}
	return tx, nil
}

// beginTx starts a plain transaction at now, locking nothing.
func (db *DB) beginTx(ctx context.Context, now time.Time, readOnly bool) (*tx, error) {
	t, err := db.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	return &tx{tx: t, db: db, now: now}, nil
}

// stmt returns the transaction's handle on a statement prepared once per connection and
// kept: parsing the same SQL again for every message was a fifth of the delivery path's
// time. Queries built from filters or IN lists take a bounded number of shapes (the page
// size bounds an IN list), so the cache stays small.
//
// A statement not prepared yet is prepared on the transaction's own connection, and on the
// database beside it for the next: preparing it on the database takes a connection from
// the pool, and a transaction holding the audit head that waits for one, while the pool's
// others wait for the head, would wait for ever once the pool is bounded
// (postgres.MaxOpenConns).
//
// The handle is kept for the transaction's next run of the same statement: a group
// commit runs each of a few statements once for each of its writes, and each new handle
// cost an allocation or three and two turns of database/sql's lock of the whole pool
// (the handle's dependency on its statement, added and then removed). A handle asked for
// under a cancelled context is not kept: database/sql gives it that context's error for
// good. A run that fails leaves its handle as it was.
func (tx *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	q = tx.db.rebind(q)
	if st, ok := tx.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if prepared, ok := tx.db.stmts.Load(q); ok {
		st = tx.tx.StmtContext(ctx, prepared.(*sql.Stmt))
	} else {
		tx.db.prepareInBackground(context.WithoutCancel(ctx), q)
		var err error
		if st, err = tx.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if ctx.Err() != nil {
		// database/sql gives a handle asked for under a cancelled context that context's
		// error, for good (Tx.StmtContext): it serves this run only.
		return st, nil
	}
	if tx.stmts == nil {
		tx.stmts = make(map[string]*sql.Stmt, 16)
	}
	tx.stmts[q] = st
	return st, nil
}

// prepareInBackground prepares q on the database for the next transactions to run it,
// unless the database is closing; Close waits for it.
func (db *DB) prepareInBackground(ctx context.Context, q string) {
	db.prepMu.Lock()
	defer db.prepMu.Unlock()
	if db.closing {
		return
	}
	db.preparing.Add(1)
	go func() {
		defer db.preparing.Done()
		db.prepared(ctx, q) //nolint:errcheck // the next to miss prepares it again
	}()
}

// Stats reports the database handle's connections: how many are open and in use, how
// often a caller waited for one, and the most it may open.
func (db *DB) Stats() sql.DBStats { return db.sql.Stats() }

// prepared returns q prepared on the database, once: database/sql prepares it again on
// each connection that runs it, and keeps it there.
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	q = db.rebind(q)
	if st, ok := db.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st, nil
}

func (tx *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if tx.readOnly {
		return nil, fmt.Errorf("a write in a read-only view: %s", q)
	}
	if len(tx.unwritten) > 0 && readsAudit(q) {
		if err := tx.writeAudit(ctx); err != nil {
			return nil, err
		}
	}
	if tx.queue {
		tx.flushAudit() // entries linked before this write go before it
		tx.queued = append(tx.queued, Statement{SQL: tx.db.rebind(q), Args: args})
		return lateResult{}, nil
	}
	st, err := tx.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (tx *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if len(tx.unwritten) > 0 && readsAudit(q) {
		if err := tx.writeAudit(ctx); err != nil {
			return nil, err
		}
	}
	if tx.single {
		st, err := tx.db.prepared(ctx, q)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	if tx.tx == nil { // a view reads on its connection, a late transaction on any (the driver caches the statement)
		if tx.conn == nil {
			return tx.db.sql.QueryContext(ctx, tx.db.rebind(q), args...)
		}
		return tx.conn.QueryContext(ctx, tx.db.rebind(q), args...)
	}
	st, err := tx.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (tx *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if len(tx.unwritten) > 0 && readsAudit(q) {
		// A *sql.Row cannot carry the error: it is kept, and the commit fails on it
		// (moveHead), so nothing decided on a read that missed the entries is committed.
		if err := tx.writeAudit(ctx); err != nil && tx.auditErr == nil {
			tx.auditErr = err
		}
	}
	if tx.single {
		st, err := tx.db.prepared(ctx, q)
		if err != nil {
			// Let the error surface from Scan, as QueryRowContext's would.
			return tx.db.sql.QueryRowContext(ctx, tx.db.rebind(q), args...)
		}
		return st.QueryRowContext(ctx, args...)
	}
	if tx.tx == nil {
		if tx.conn == nil {
			return tx.db.sql.QueryRowContext(ctx, tx.db.rebind(q), args...)
		}
		return tx.conn.QueryRowContext(ctx, tx.db.rebind(q), args...)
	}
	st, err := tx.stmt(ctx, q)
	if err != nil {
		// Let the error surface from Scan, as QueryRowContext's would.
		return tx.tx.QueryRowContext(ctx, tx.db.rebind(q), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// update runs fn in a writing transaction at now and commits it when fn succeeds.
func (db *DB) update(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
	if db.dialect.SingleWriter {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	tx, err := db.begin(ctx, now, true)
	if err != nil {
		return db.internal(op, err)
	}
	defer tx.tx.Rollback()
	if err := fn(tx); err != nil {
		return db.internal(op, err)
	}
	if err := tx.moveHead(ctx); err != nil {
		return db.internal(op, err)
	}
	if err := tx.tx.Commit(); err != nil {
		return db.internal(op, fmt.Errorf("commit: %w", err))
	}
	db.committed()
	if tx.policySaved {
		db.policySaved.Store(true)
	}
	if db.dialect.Pipeline != nil {
		db.noteHead(tx.headSeq, tx.headHash)
	}
	return nil
}

// claim runs fn in a writing transaction that appends nothing to the audit chain, so it
// does not queue behind the chain's head: claims of work (a delivery, a notification) are
// bookkeeping between the node's own processes, not changes to its data.
func (db *DB) claim(ctx context.Context, op string, fn func(*tx) error) error {
	if db.dialect.SingleWriter {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	if db.dialect.RelaxSession != "" {
		return db.claimRelaxed(ctx, op, fn)
	}
	tx, err := db.beginTx(ctx, db.now(), false)
	if err != nil {
		return db.internal(op, err)
	}
	defer tx.tx.Rollback()
	if q := db.dialect.RelaxedCommit; q != "" {
		if _, err := tx.tx.ExecContext(ctx, q); err != nil {
			return db.internal(op, err)
		}
	}
	if err := fn(tx); err != nil {
		return db.internal(op, err)
	}
	if err := tx.tx.Commit(); err != nil {
		return db.internal(op, fmt.Errorf("commit: %w", err))
	}
	db.committed()
	return nil
}

// claimPiped is claim for a claim of one statement, q with args, whose rows each reads.
// Where the dialect pipelines and relaxes commits (PostgreSQL), the BEGIN, the relaxed
// commit, the statement and the COMMIT go as one pipeline: one round trip for the claim
// rather than four, each a wait of the delivery round that makes it.
func (db *DB) claimPiped(ctx context.Context, op, q string, args []any, each func(scan func(...any) error) error) error {
	if db.dialect.Pipeline == nil || db.dialect.RelaxedCommit == "" || db.dialect.SingleWriter {
		return db.claim(ctx, op, func(tx *tx) error {
			rows, err := tx.query(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := each(rows.Scan); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	st := Statement{SQL: db.rebind(q), Args: args, Each: each}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.internal(op, err)
	}
	defer conn.Close()
	if _, err := db.dialect.Pipeline(ctx, conn, []Statement{{SQL: "BEGIN"}, {SQL: db.dialect.RelaxedCommit}, st, {SQL: "COMMIT"}}); err != nil {
		// A statement failed within the transaction, which is left open: end it.
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return db.internal(op, err)
	}
	return nil
}

// claimRelaxed is claim on a connection of its own whose commits, while it runs fn, do
// not wait for the disk (Dialect.RelaxSession). The caller holds writeMu.
func (db *DB) claimRelaxed(ctx context.Context, op string, fn func(*tx) error) (err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return db.internal(op, err)
	}
	defer conn.Close()
	restored := false
	defer func() {
		if !restored {
			// Its durability setting is unknown: the pool must not hand it to a writer.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if _, err := conn.ExecContext(ctx, db.dialect.RelaxSession); err != nil {
		return db.internal(op, err)
	}
	err = func() error {
		t, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer t.Rollback()
		if err := fn(&tx{tx: t, db: db, now: db.now()}); err != nil {
			return err
		}
		if err := t.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		db.committed()
		return nil
	}()
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), db.dialect.RestoreSession); rerr == nil {
		restored = true
	} else if err == nil {
		err = rerr
	}
	if err != nil {
		return db.internal(op, err)
	}
	return nil
}

// viewOne runs fn, which reads with one statement (or with several that each stand
// alone, such as the chunks of a long IN list), without a transaction: one statement
// reads one snapshot in every dialect, so a BEGIN and a ROLLBACK around it, and the
// connection held between them, buy nothing. The reads every API request, every send and
// every delivery round make (the token, its user, the peers, the agreement, the
// envelopes) are such reads.
func (db *DB) viewOne(ctx context.Context, op string, fn func(*tx) error) error {
	return db.internal(op, fn(&tx{db: db, now: db.now(), readOnly: true, single: true}))
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, op string, fn func(*tx) error) error {
	if db.dialect.PlainReads {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return db.internal(op, err)
		}
		defer conn.Close()
		return db.internal(op, fn(&tx{db: db, now: db.now(), conn: conn, readOnly: true}))
	}
	tx, err := db.begin(ctx, db.now(), false)
	if err != nil {
		return db.internal(op, err)
	}
	defer tx.tx.Rollback()
	return db.internal(op, fn(tx))
}

// internal passes Forewarn errors through and turns a unique violation into ECONFLICT;
// any other error becomes an internal one that keeps its cause for the log.
func (db *DB) internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *forewarn.Error
	if errors.As(err, &fe) {
		return err
	}
	if db.dialect.IsUniqueViolation(err) {
		return db.conflict(err, "%s: it already exists", op)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// conflictError is an ECONFLICT that keeps the database error behind it.
type conflictError struct {
	err   *forewarn.Error
	cause error
}

func (e *conflictError) Error() string   { return e.err.Error() }
func (e *conflictError) Unwrap() []error { return []error{e.err, e.cause} }

// conflict returns an ECONFLICT with the message that keeps err as its cause.
func (db *DB) conflict(err error, format string, args ...any) error {
	return &conflictError{err: forewarn.Errorf(forewarn.ECONFLICT, format, args...), cause: err}
}

// required is the EINVALID for a nil argument.
func required(field string) error {
	return forewarn.Invalid(field, "required", "is required")
}

func notFound(format string, args ...any) error {
	return forewarn.Errorf(forewarn.ENOTFOUND, format, args...)
}

// TimeLayout is how times are stored: fixed-width UTC with nanoseconds, so that text
// order is time order in every dialect.
const TimeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime returns t in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a time written by FormatTime. It parses the fixed layout by hand: audit
// verification reads a million of them.
func ParseTime(s string) (time.Time, error) {
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[29] != 'Z' {
		return time.Time{}, fmt.Errorf("sqlstore: stored time %q is not in the layout %s", s, TimeLayout)
	}
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d, h, mi, sec, ns := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19), num(20, 29)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ns < 0 {
		return time.Time{}, fmt.Errorf("sqlstore: stored time %q is not a valid time", s)
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), nil
}

// nullTime stores a zero time as NULL: "not yet".
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}

// parseNullTime reads a time stored by nullTime; NULL is the zero time.
func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return ParseTime(s.String)
}

// nullBytes stores empty bytes as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// inArgs returns a placeholder list for an IN (…) over ids, and its arguments. The list is
// padded to a power of two by repeating the last ID, so the rebind cache holds one query
// per size class rather than one per page length.
func inArgs(ids []string) (string, []any) {
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", "), args
}
