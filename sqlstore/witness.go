package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/forewarn/forewarn"
)

// WitnessHead keeps a peer's head, or refuses and records a conflicting one.
func (db *DB) WitnessHead(ctx context.Context, agency string, seq int64, hash string, stated map[int64]string, offered, countersigned []byte) ([]byte, error) {
	if !forewarn.IsAgencyCode(agency) || seq < 1 || hash == "" || len(offered) == 0 || len(countersigned) == 0 {
		return nil, forewarn.Invalid("head", "fields", "a witnessed head needs its agency, seq, hash and documents")
	}
	all := map[int64]string{seq: hash}
	lo := seq
	for s, h := range stated {
		all[s] = h
		lo = min(lo, s)
	}
	now := db.now()
	var kept []byte
	var conflict *forewarn.WitnessConflict
	err := db.update(ctx, now, "witness head", func(tx *tx) error {
		kept, conflict = nil, nil
		rows, err := tx.query(ctx, "SELECT seq, hash, document FROM witnessed_heads WHERE agency = ? AND seq >= ? AND seq <= ? ORDER BY seq", agency, lo, seq)
		if err != nil {
			return fmt.Errorf("read witnessed heads: %w", err)
		}
		for rows.Next() {
			var s int64
			var h string
			var doc []byte
			if err := rows.Scan(&s, &h, &doc); err != nil {
				rows.Close()
				return err
			}
			if want, ok := all[s]; ok && want != h && conflict == nil {
				conflict = &forewarn.WitnessConflict{ID: forewarn.NewID(now), Agency: agency, Seq: s, KeptHash: h, Offered: slices.Clone(offered), ReceivedAt: now}
			}
			if s == seq {
				kept = doc
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if conflict != nil {
			kept = nil
			// A conflict for an entry already proven is refused again, but not kept again:
			// one signed head stating another hash for the entry is the evidence, and a peer
			// that retries (an honest one repeats its head; a hostile one may vary it each
			// time) cannot flood the chain with audit entries.
			var seen int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM witness_conflicts WHERE agency = ? AND seq = ? AND kept_hash = ?",
				agency, conflict.Seq, conflict.KeptHash).Scan(&seen); err != nil {
				return fmt.Errorf("read witness conflicts: %w", err)
			}
			if seen > 0 {
				return nil
			}
			if _, err := tx.exec(ctx, "INSERT INTO witness_conflicts (id, agency, seq, kept_hash, offered, received_at) VALUES (?, ?, ?, ?, ?, ?)",
				conflict.ID, agency, conflict.Seq, conflict.KeptHash, conflict.Offered, FormatTime(now)); err != nil {
				return fmt.Errorf("record witness conflict: %w", err)
			}
			return tx.audit(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: agency}, "audit.equivocation", "witness_conflict", conflict.ID, nil, conflict,
				fmt.Sprintf("%s stated a second, different hash for entry %d of its audit chain; the first is kept, the second kept as evidence", agency, conflict.Seq))
		}
		if kept != nil {
			return nil
		}
		kept = countersigned
		_, err = tx.exec(ctx, "INSERT INTO witnessed_heads (agency, seq, hash, document, received_at) VALUES (?, ?, ?, ?, ?)", agency, seq, hash, countersigned, FormatTime(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	if conflict != nil {
		return nil, forewarn.Errorf(forewarn.ECONFLICT, "%s already stated another hash for entry %d of its audit chain (%s); this head is refused and kept as evidence", agency, conflict.Seq, conflict.KeptHash)
	}
	return kept, nil
}

// WitnessedHeads returns the heads of agency kept here after afterSeq.
func (db *DB) WitnessedHeads(ctx context.Context, agency string, afterSeq int64, limit int) ([][]byte, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	var docs [][]byte
	err = db.view(ctx, "list witnessed heads", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT document FROM witnessed_heads WHERE agency = ? AND seq > ? ORDER BY seq LIMIT ?", agency, afterSeq, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			docs = append(docs, doc)
		}
		return rows.Err()
	})
	return docs, err
}

// WitnessConflicts returns the conflicting heads agency stated, oldest first.
func (db *DB) WitnessConflicts(ctx context.Context, agency string) ([]forewarn.WitnessConflict, error) {
	var out []forewarn.WitnessConflict
	err := db.view(ctx, "list witness conflicts", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT id, agency, seq, kept_hash, offered, received_at FROM witness_conflicts WHERE agency = ? ORDER BY received_at, id", agency)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c forewarn.WitnessConflict
			var at string
			if err := rows.Scan(&c.ID, &c.Agency, &c.Seq, &c.KeptHash, &c.Offered, &at); err != nil {
				return err
			}
			if c.ReceivedAt, err = ParseTime(at); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// AddHeadWitness keeps a peer's countersignature of this node's head; again is a no-op.
func (db *DB) AddHeadWitness(ctx context.Context, witness string, seq int64, document []byte) error {
	if !forewarn.IsAgencyCode(witness) || seq < 1 || len(document) == 0 {
		return forewarn.Invalid("witness", "fields", "a countersignature needs its witness, seq and document")
	}
	now := db.now()
	return db.update(ctx, now, "keep countersignature", func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM head_witnesses WHERE witness = ? AND seq = ?", witness, seq).Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := tx.exec(ctx, "INSERT INTO head_witnesses (seq, witness, document, received_at) VALUES (?, ?, ?, ?)", seq, witness, document, FormatTime(now))
		return err
	})
}

// HeadWitnesses returns every countersignature of this node's heads, by seq.
func (db *DB) HeadWitnesses(ctx context.Context) ([]forewarn.HeadWitness, error) {
	var out []forewarn.HeadWitness
	err := db.view(ctx, "list countersignatures", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT seq, witness, document, received_at FROM head_witnesses ORDER BY seq, witness")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w forewarn.HeadWitness
			var at string
			if err := rows.Scan(&w.Seq, &w.Witness, &w.Document, &at); err != nil {
				return err
			}
			if w.ReceivedAt, err = ParseTime(at); err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	return out, err
}

// LastWitnessed returns the highest seq witness countersigned.
func (db *DB) LastWitnessed(ctx context.Context, witness string) (int64, error) {
	var seq sql.NullInt64
	err := db.view(ctx, "read last countersignature", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT MAX(seq) FROM head_witnesses WHERE witness = ?", witness).Scan(&seq)
	})
	return seq.Int64, err
}

// LatestCheckpoint returns the last signed checkpoint.
func (db *DB) LatestCheckpoint(ctx context.Context) (*forewarn.AuditCheckpoint, error) {
	var c *forewarn.AuditCheckpoint
	err := db.view(ctx, "read latest checkpoint", func(tx *tx) error {
		var err error
		c, err = scanCheckpoint(tx.queryRow(ctx, "SELECT seq, hash, time, agency, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no audit checkpoint yet")
		}
		return err
	})
	return c, err
}
