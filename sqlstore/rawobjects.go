package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/forewarn/forewarn"
)

// KeepRawObjects keeps what an import read and does not map, each object version once,
// with one audit entry for the batch; every object is counted in job.Counts.Raw.
func (db *DB) KeepRawObjects(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, objs []forewarn.RawObject) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if job == nil || job.ID == "" {
		return required("job")
	}
	for i, o := range objs {
		if o.ExternalID == "" || o.Type == "" || !json.Valid(o.Body) {
			return forewarn.Invalid(fmt.Sprintf("objects[%d]", i), "object", "a raw object needs its ID, its type and its JSON")
		}
		if err := checkText(fmt.Sprintf("objects[%d].external_id", i), o.ExternalID, 300); err != nil {
			return err
		}
	}
	if job.DryRun || len(objs) == 0 {
		job.Counts.Raw += len(objs)
		return nil
	}
	kept := 0
	err := db.update(ctx, now, "keep raw objects", func(tx *tx) error {
		if _, err := tx.importJob(ctx, job.ID); err != nil {
			return err
		}
		for _, o := range objs {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM import_raw_objects WHERE dataset = ? AND external_id = ? AND version = ?", job.Dataset, o.ExternalID, o.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if _, err := tx.exec(ctx, "INSERT INTO import_raw_objects (dataset, external_id, version, type, body, job_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				job.Dataset, o.ExternalID, o.Version, o.Type, string(o.Body), job.ID, FormatTime(now)); err != nil {
				return fmt.Errorf("keep raw object %s: %w", o.ExternalID, err)
			}
			kept++
		}
		if kept == 0 {
			return nil
		}
		return tx.audit(ctx, actor, "import.raw", "import", job.ID, nil, nil,
			fmt.Sprintf("dataset=%s kept %d objects it does not map, of %d read", job.Dataset, kept, len(objs)))
	})
	if err != nil {
		return err
	}
	job.Counts.Raw += len(objs)
	return nil
}

// RawObjects returns the objects kept raw from a dataset, in the order they came.
func (db *DB) RawObjects(ctx context.Context, dataset string) ([]*forewarn.RawObject, error) {
	var out []*forewarn.RawObject
	err := db.view(ctx, "read raw objects", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT external_id, version, type, body FROM import_raw_objects WHERE dataset = ? ORDER BY received_at, external_id, version", dataset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o forewarn.RawObject
			var body string
			if err := rows.Scan(&o.ExternalID, &o.Version, &o.Type, &body); err != nil {
				return err
			}
			o.Body = json.RawMessage(body)
			out = append(out, &o)
		}
		return rows.Err()
	})
	return out, err
}

// ImportRecord returns the record a dataset last gave for an entry.
func (db *DB) ImportRecord(ctx context.Context, dataset, externalID string) (*forewarn.ImportRecord, error) {
	var rec forewarn.ImportRecord
	err := db.view(ctx, "read import record", func(tx *tx) error {
		var data string
		err := tx.queryRow(ctx, "SELECT record FROM subject_sources WHERE dataset = ? AND external_id = ?", dataset, externalID).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("dataset %q has no entry %q", dataset, externalID)
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}
