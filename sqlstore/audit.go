package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
)

// Limits on the fields of a stand-alone audit entry (RecordAudit).
const (
	maxActionBytes = 100
	maxObjectBytes = 200
	maxDetailBytes = 4000
)

var actionRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

const auditColumns = "seq, time, actor_kind, actor_id, actor_token, action, object_type, object_id, before_digest, after_digest, detail, prev_hash, hash"

// audit appends an entry for a change (or read) to the chain this transaction holds.
// before and after are the object as it was and as it is; nil means "none".
func (tx *tx) audit(ctx context.Context, actor forewarn.Actor, action, objectType, objectID string, before, after any, detail string) error {
	var b, a string
	if before != nil {
		b = forewarn.Digest(before)
	}
	if after != nil {
		a = forewarn.Digest(after)
	}
	return tx.auditDigests(ctx, actor, action, objectType, objectID, b, a, detail)
}

// auditDigests is audit given the digests (forewarn.Digest) of before and after, for a
// caller that has the encoding in hand; "" for none.
func (tx *tx) auditDigests(ctx context.Context, actor forewarn.Actor, action, objectType, objectID, before, after, detail string) error {
	return tx.appendAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: action, ObjectType: objectType, ObjectID: objectID,
		Before: before, After: after, Detail: detail})
}

// appendAudit links e after the chain head, writes it and moves the head, and signs a
// checkpoint when e's Seq is due one.
func (tx *tx) appendAudit(ctx context.Context, e *forewarn.AuditEntry) error {
	withPurpose(ctx, e)
	if tx.late() {
		tx.pending = append(tx.pending, e)
		return nil
	}
	if tx.headHash == "" {
		return fmt.Errorf("audit entry appended outside a writing transaction")
	}
	if err := tx.recordPolicy(ctx); err != nil {
		return err
	}
	e.Seq = tx.headSeq + 1
	e.Time = tx.now
	e.PrevHash = tx.headHash
	e.Hash = e.ComputeHash()
	row := []any{e.Seq, FormatTime(e.Time), string(e.Actor.Kind), e.Actor.ID, e.Actor.Token, e.Action, e.ObjectType, e.ObjectID, e.Before, e.After, e.Detail, e.PrevHash, e.Hash}
	switch {
	case tx.queue:
		// Linking a late transaction (or a batch of them): its entries go in as few
		// statements as their count allows, sent before the next write (flushAudit).
		tx.auditRows = append(tx.auditRows, row)
	case tx.db.dialect.SingleWriter:
		// Where one writer at a time stores (SQLite), the entries of a transaction (a
		// group commit's arrivals and receipts, two or three each) are written together
		// just before it commits, or before it reads the trail (writeAudit): a few
		// multi-row INSERTs rather than a statement for each.
		tx.unwritten = append(tx.unwritten, row)
	default:
		if _, err := tx.exec(ctx, auditInsert[0], row...); err != nil {
			return fmt.Errorf("insert audit entry %d: %w", e.Seq, err)
		}
	}
	// The head moves in the store once, before commit (moveHead; a late transaction's
	// link moves it after its last entry), not once per entry.
	tx.headSeq, tx.headHash, tx.headMoved = e.Seq, e.Hash, !tx.linking
	if tx.db.signer != nil && e.Seq%tx.db.every.Load() == 0 {
		if _, err := tx.signCheckpoint(ctx); err != nil {
			return err
		}
	}
	return nil
}

// moveHead writes the audit head where the transaction's entries have moved it, if they
// have: once per transaction, just before it commits, rather than once per entry (a
// message received or a receipt recorded appends one or more, and a group commit many).
// The transaction holds the head from its first statement (begin), so no one reads it
// meanwhile.
func (tx *tx) moveHead(ctx context.Context) error {
	if tx.auditErr != nil {
		return tx.auditErr
	}
	if err := tx.writeAudit(ctx); err != nil {
		return err
	}
	if !tx.headMoved {
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", tx.headSeq, tx.headHash); err != nil {
		return fmt.Errorf("move audit head: %w", err)
	}
	tx.headMoved = false
	return nil
}

// maxAuditRows is the most entries one INSERT of linked entries holds.
const maxAuditRows = 64

// auditInsert[k] inserts 2^k audit entries (auditColumns), up to maxAuditRows.
var auditInsert = func() []string {
	var qs []string
	for n := 1; n <= maxAuditRows; n *= 2 {
		qs = append(qs, "INSERT INTO audit_entries ("+auditColumns+") VALUES "+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", "))
	}
	return qs
}()

// writeAudit inserts the entries appended and not written yet (tx.unwritten, SQLite), in
// multi-row INSERTs of a few shapes (each prepared once), largest power of two first.
// It runs before the transaction commits (moveHead) and before it reads or changes the
// trail itself (readsAudit), so nothing it reads misses an entry it appended.
func (tx *tx) writeAudit(ctx context.Context) error {
	rows := tx.unwritten
	tx.unwritten = nil
	for len(rows) > 0 {
		k, n := 0, 1
		for n*2 <= min(len(rows), maxAuditRows) {
			k, n = k+1, n*2
		}
		args := make([]any, 0, n*len(rows[0]))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := tx.exec(ctx, auditInsert[k], args...); err != nil {
			tx.unwritten = rows // still owed: the commit fails on them (moveHead)
			return fmt.Errorf("insert audit entries %v to %v: %w", rows[0][0], rows[n-1][0], err)
		}
		rows = rows[n:]
	}
	return nil
}

// readsAudit says whether the statement q names the audit trail: before it runs, the
// entries the transaction appended are written (writeAudit).
func readsAudit(q string) bool { return strings.Contains(q, "audit_entries") }

// flushAudit queues the linked entries not yet queued as multi-row INSERTs, largest power
// of two first, so that a batch of n entries is at most log2(n)+1 statements of a few
// shapes (each prepared once per connection) rather than n.
func (tx *tx) flushAudit() {
	rows := tx.auditRows
	tx.auditRows = nil
	for len(rows) > 0 {
		n := 1
		for n*2 <= min(len(rows), maxAuditRows) {
			n *= 2
		}
		var args []any
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := "INSERT INTO audit_entries (" + auditColumns + ") VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ")
		tx.queued = append(tx.queued, Statement{SQL: tx.db.rebind(q), Args: args})
		rows = rows[n:]
	}
}

// recordPolicy makes sure the store records the checkpoint policy this DB signs by before
// the first entry it appends: the largest run of entries it lets pass without a signed
// checkpoint. Opened without one, the DB signs by the recorded policy (or the default).
func (tx *tx) recordPolicy(ctx context.Context) error {
	db := tx.db
	if db.policySaved.Load() || tx.policySaved {
		return nil
	}
	var recorded int64
	err := tx.queryRow(ctx, "SELECT checkpoint_every FROM audit_policy WHERE id = 1").Scan(&recorded)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read checkpoint policy: %w", err)
	}
	every := db.every.Load()
	if !db.explicit {
		every = recorded
		if every <= 0 {
			every = DefaultCheckpointEvery
		}
		db.every.Store(every)
	}
	if every > recorded {
		if _, err := tx.exec(ctx, "DELETE FROM audit_policy WHERE id = 1"); err != nil {
			return fmt.Errorf("record checkpoint policy: %w", err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO audit_policy (id, checkpoint_every, changed_at) VALUES (1, ?, ?)", every, FormatTime(tx.now)); err != nil {
			return fmt.Errorf("record checkpoint policy: %w", err)
		}
	}
	tx.policySaved = true
	return nil
}

// AuditPolicy returns the recorded checkpoint policy: the longest run of entries the node
// lets pass without a signed checkpoint (DefaultCheckpointEvery when none is recorded).
func (db *DB) AuditPolicy(ctx context.Context) (int64, error) {
	var every int64
	err := db.view(ctx, "read checkpoint policy", func(tx *tx) error {
		err := tx.queryRow(ctx, "SELECT checkpoint_every FROM audit_policy WHERE id = 1").Scan(&every)
		if errors.Is(err, sql.ErrNoRows) {
			every = DefaultCheckpointEvery
			return nil
		}
		return err
	})
	return every, err
}

// signCheckpoint signs the head this transaction holds and records the checkpoint.
func (tx *tx) signCheckpoint(ctx context.Context) (*forewarn.AuditCheckpoint, error) {
	agency := tx.db.agency
	if agency == "" {
		err := tx.queryRow(ctx, "SELECT agency_code FROM node WHERE id = 1").Scan(&agency)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("read node agency: %w", err)
		}
	}
	c := &forewarn.AuditCheckpoint{Seq: tx.headSeq, Hash: tx.headHash, Time: tx.now, Agency: agency}
	sig, err := tx.db.signer.Sign(c.SignedBytes())
	if err != nil {
		return nil, fmt.Errorf("sign audit checkpoint %d: %w", c.Seq, err)
	}
	c.Signature = hex.EncodeToString(sig)
	if _, err := tx.exec(ctx, "INSERT INTO audit_checkpoints (seq, hash, time, agency, signature) VALUES (?, ?, ?, ?, ?)",
		c.Seq, c.Hash, FormatTime(c.Time), c.Agency, c.Signature); err != nil {
		return nil, fmt.Errorf("insert audit checkpoint %d: %w", c.Seq, err)
	}
	return c, nil
}

// RecordAudit appends a stand-alone audit entry, such as a login or a refused attempt.
func (db *DB) RecordAudit(ctx context.Context, e *forewarn.AuditEntry) error {
	if err := validateAuditEntry(e); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "record audit entry", func(tx *tx) error {
		v := *e
		if err := tx.appendAudit(ctx, &v); err != nil {
			return err
		}
		*e = v
		return nil
	})
}

// withPurpose ends e's detail with the purpose of the consultation ctx serves, if it
// carries one ("…; purpose: investigation"), which the oversight report reads back.
func withPurpose(ctx context.Context, e *forewarn.AuditEntry) {
	p, ok := forewarn.PurposeFrom(ctx)
	if !ok || strings.Contains(e.Detail, "purpose: ") {
		return
	}
	tail := "purpose: " + forewarn.AuditText(p.String(), 400)
	if e.Detail == "" {
		e.Detail = tail
	} else {
		e.Detail += "; " + tail
	}
}

func validateAuditEntry(e *forewarn.AuditEntry) error {
	if e == nil {
		return required("entry")
	}
	if err := e.Actor.Validate(); err != nil {
		return err
	}
	if len(e.Action) > maxActionBytes || !actionRE.MatchString(e.Action) {
		return forewarn.Invalid("action", "format", "action %q must be dotted lower-case words, like auth.login", e.Action)
	}
	for _, f := range []struct{ name, value string }{{"actor.id", e.Actor.ID}, {"actor.token", e.Actor.Token}, {"object_type", e.ObjectType}, {"object_id", e.ObjectID}} {
		if err := checkText(f.name, f.value, maxObjectBytes); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, value string }{{"before", e.Before}, {"after", e.After}} {
		if f.value == "" {
			continue
		}
		if b, err := hex.DecodeString(f.value); err != nil || len(b) != 32 || strings.ToLower(f.value) != f.value {
			return forewarn.Invalid(f.name, "sha256", "must be a lower-case hex SHA-256 digest or empty")
		}
	}
	return checkText("detail", e.Detail, maxDetailBytes)
}

// checkText refuses text that is not UTF-8, too long, or holds control characters other
// than line breaks and tabs.
func checkText(field, s string, maxBytes int) error {
	if !utf8.ValidString(s) {
		return forewarn.Invalid(field, "utf8", "is not valid UTF-8 text")
	}
	if len(s) > maxBytes {
		return forewarn.Invalid(field, "max_length", "is %d bytes long; the limit is %d", len(s), maxBytes)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return forewarn.Invalid(field, "control_chars", "contains the control character %U", r)
		}
	}
	return nil
}

// AuditEntries returns a page of audit entries in Seq order.
func (db *DB) AuditEntries(ctx context.Context, f forewarn.AuditFilter) ([]*forewarn.AuditEntry, error) {
	if f.AfterSeq < 0 {
		return nil, forewarn.Invalid("after_seq", "min", "must not be negative")
	}
	if f.BeforeSeq < 0 {
		return nil, forewarn.Invalid("before_seq", "min", "must not be negative")
	}
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	add("seq > ?", f.AfterSeq)
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.Token != "" {
		add("actor_token = ?", f.Token)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// substr rather than LIKE: "_" in action names is a LIKE wildcard.
		where = append(where, "substr(action, 1, ?) = ?")
		args = append(args, len(f.Action), f.Action)
	case f.Action != "":
		add("action = ?", f.Action)
	}
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if !f.Since.IsZero() {
		add("time >= ?", FormatTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", FormatTime(f.Until))
	}
	args = append(args, limit)
	q := "SELECT " + auditColumns + " FROM audit_entries WHERE " + strings.Join(where, " AND ") + " ORDER BY seq LIMIT ?"
	if f.Newest {
		q = strings.Replace(q, "ORDER BY seq", "ORDER BY seq DESC", 1)
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, db.internal("list audit entries", err)
	}
	defer rows.Close()
	var es []*forewarn.AuditEntry
	for rows.Next() {
		e, err := scanAuditEntry(rows)
		if err != nil {
			return nil, db.internal("list audit entries", err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, db.internal("list audit entries", err)
	}
	rows.Close()
	if err := db.fillNotes(ctx, es); err != nil {
		return nil, err
	}
	return es, nil
}

func scanAuditEntry(rows *sql.Rows) (*forewarn.AuditEntry, error) {
	e := &forewarn.AuditEntry{}
	var t, kind string
	if err := rows.Scan(&e.Seq, &t, &kind, &e.Actor.ID, &e.Actor.Token, &e.Action, &e.ObjectType, &e.ObjectID, &e.Before, &e.After, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.Actor.Kind = forewarn.ActorKind(kind)
	var err error
	if e.Time, err = ParseTime(t); err != nil {
		// A time that does not parse was written by hand: the entry is modified.
		return nil, &forewarn.AuditError{Seq: e.Seq, Reason: fmt.Sprintf("its time %q is not one the node writes (modified entry)", t)}
	}
	return e, nil
}

// AuditCheckpoints returns every signed checkpoint in Seq order.
func (db *DB) AuditCheckpoints(ctx context.Context) ([]forewarn.AuditCheckpoint, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT seq, hash, time, agency, signature FROM audit_checkpoints ORDER BY seq")
	if err != nil {
		return nil, db.internal("list audit checkpoints", err)
	}
	defer rows.Close()
	var cs []forewarn.AuditCheckpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, db.internal("list audit checkpoints", err)
		}
		cs = append(cs, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, db.internal("list audit checkpoints", err)
	}
	return cs, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanCheckpoint(s scanner) (*forewarn.AuditCheckpoint, error) {
	var c forewarn.AuditCheckpoint
	var t string
	if err := s.Scan(&c.Seq, &c.Hash, &t, &c.Agency, &c.Signature); err != nil {
		return nil, err
	}
	var err error
	if c.Time, err = ParseTime(t); err != nil {
		return nil, fmt.Errorf("audit checkpoint %d: %w", c.Seq, err)
	}
	return &c, nil
}

// CheckpointAudit signs the chain head unless it is already checkpointed and returns the
// latest checkpoint, or nil for an empty chain. Without a Signer there is nothing to sign
// with, and asking is an error.
func (db *DB) CheckpointAudit(ctx context.Context) (*forewarn.AuditCheckpoint, error) {
	var latest *forewarn.AuditCheckpoint
	err := db.update(ctx, db.now(), "checkpoint audit trail", func(tx *tx) error {
		if tx.headSeq == 0 {
			return nil
		}
		c, err := scanCheckpoint(tx.queryRow(ctx, "SELECT seq, hash, time, agency, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("read latest checkpoint: %w", err)
		case c.Seq == tx.headSeq:
			latest = c
			return nil
		}
		if tx.db.signer == nil {
			return forewarn.Errorf(forewarn.EINVALID, "the audit trail cannot be checkpointed: the node has no signing key yet")
		}
		latest, err = tx.signCheckpoint(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return latest, nil
}

// pageSize applies the default and the maximum page size to a requested limit.
func pageSize(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, forewarn.Invalid("limit", "min", "must not be negative")
	case limit == 0:
		return DefaultPageSize, nil
	case limit > MaxPageSize:
		return MaxPageSize, nil
	}
	return limit, nil
}
