package sqlstore

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

// Reading the audit trail. Verification is read-bound: reading a row through the driver
// costs several times what hashing it does. So one goroutine only reads, by Seq range into
// batches of rows it reuses, and the caller's goroutine turns each row into an entry and
// hands it to fn (the verifier hashes it there), on another core.

// auditBatch is how many rows one range query reads.
const auditBatch = 4096

// auditRow is an audit entry's columns as read, before any decoding.
type auditRow struct {
	seq                                                                 int64
	time, kind, actor, token, action, otype, oid, before, after, detail string
	prev, hash                                                          string
}

// ScanAudit streams every audit entry to fn in Seq order, up to the last entry committed
// when it starts (entries appended meanwhile are left for the next scan); it stops at
// fn's first error and returns it. Each range is its own short read, so a long scan
// does not hold a serving node's log.
func (db *DB) ScanAudit(ctx context.Context, fn func(*forewarn.AuditEntry) error) error {
	var last int64
	if err := db.sql.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM audit_entries").Scan(&last); err != nil {
		return db.internal("scan audit trail", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan []auditRow, 2)
	free := make(chan []auditRow, 3)
	for range 3 {
		free <- make([]auditRow, 0, auditBatch)
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(full)
		readErr <- db.readAuditRows(ctx, last, free, full)
	}()
	for rows := range full {
		for i := range rows {
			e, err := rows[i].entry()
			if err == nil {
				err = fn(e)
			}
			if err != nil {
				cancel()
				for range full {
				}
				return err
			}
		}
		free <- rows[:0]
	}
	if err := <-readErr; err != nil {
		return db.internal("scan audit trail", err)
	}
	return nil
}

// readAuditRows reads the entries up to Seq last, a range at a time, into the batches it
// takes from free, and sends each filled one to full.
func (db *DB) readAuditRows(ctx context.Context, last int64, free <-chan []auditRow, full chan<- []auditRow) error {
	st, err := db.sql.PrepareContext(ctx, db.rebind("SELECT "+auditColumns+" FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"))
	if err != nil {
		return err
	}
	defer st.Close()
	after := int64(0)
	for after < last {
		var batch []auditRow
		select {
		case batch = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		rows, err := st.QueryContext(ctx, after, last, auditBatch)
		if err != nil {
			return err
		}
		for rows.Next() {
			batch = batch[:len(batch)+1]
			r := &batch[len(batch)-1]
			if err := rows.Scan(&r.seq, &r.time, &r.kind, &r.actor, &r.token, &r.action, &r.otype, &r.oid, &r.before, &r.after, &r.detail, &r.prev, &r.hash); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil // nothing left up to last: the rest was deleted
		}
		after = batch[len(batch)-1].seq
		select {
		case full <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// entry decodes the row. A time that does not parse was written by hand: the entry is
// modified.
func (r *auditRow) entry() (*forewarn.AuditEntry, error) {
	e := &forewarn.AuditEntry{Seq: r.seq, Actor: forewarn.Actor{Kind: forewarn.ActorKind(r.kind), ID: r.actor, Token: r.token},
		Action: r.action, ObjectType: r.otype, ObjectID: r.oid, Before: r.before, After: r.after, Detail: r.detail, PrevHash: r.prev, Hash: r.hash}
	var err error
	if e.Time, err = ParseTime(r.time); err != nil {
		return nil, &forewarn.AuditError{Seq: e.Seq, Reason: fmt.Sprintf("its time %q is not one the node writes (modified entry)", r.time)}
	}
	return e, nil
}
