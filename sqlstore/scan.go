package sqlstore

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

// ScanSubjects calls fn with every subject in ID order, streaming, without auditing: it is
// for the node's own use (building the match index), never for a person's read.
func (db *DB) ScanSubjects(ctx context.Context, fn func(*forewarn.Subject) error) error {
	return db.view(ctx, "scan subjects", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT id, data FROM subjects ORDER BY id")
		if err != nil {
			return fmt.Errorf("scan subjects: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, data string
			if err := rows.Scan(&id, &data); err != nil {
				return fmt.Errorf("scan subjects: %w", err)
			}
			s, err := decodeSubject(id, data)
			if err != nil {
				return err
			}
			if err := fn(s); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
