package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// ImportStaleAfter is how long a running import may be silent before another import of
// its dataset takes it for dead (its process was killed) and marks it interrupted. A live
// job beats every app.ImportHeartbeatEvery, reading or writing, so six beats are missed
// first; and a job taken for dead can write no further batch.
const ImportStaleAfter = 30 * time.Second

// StartImport records a new running import job and audits its start.
func (db *DB) StartImport(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if job == nil {
		return required("job")
	}
	if err := forewarn.ValidateDataset(job.Dataset); err != nil {
		return err
	}
	if err := checkText("version", job.Version, 100); err != nil {
		return err
	}
	v := *job
	v.ID, v.Status, v.Actor = forewarn.NewID(now), forewarn.ImportRunning, actor.String()
	v.StartedAt, v.UpdatedAt, v.FinishedAt = now, now, time.Time{}
	err := db.update(ctx, now, "start import", func(tx *tx) error {
		running, err := tx.importJobs(ctx, "WHERE dataset = ? AND status = 'running'", v.Dataset)
		if err != nil {
			return err
		}
		for _, r := range running {
			if deadAt := r.UpdatedAt.Add(ImportStaleAfter); now.Before(deadAt) {
				return importRunning(r, deadAt)
			}
			last := r.UpdatedAt
			r.Status, r.UpdatedAt, r.FinishedAt = forewarn.ImportInterrupted, now, now
			r.Message = "stopped before it finished (its process ended); importing the dataset again completes it"
			// Only if it showed no life since it was read: a beat in between keeps it alive.
			ok, err := tx.saveRunningImportJob(ctx, r, &last)
			if err != nil {
				return err
			}
			if !ok {
				return importRunning(r, now.Add(ImportStaleAfter))
			}
			if err := tx.audit(ctx, actor, "import.interrupted", "import", r.ID, nil, r, importDetail(r)); err != nil {
				return err
			}
		}
		data, err := json.Marshal(&v)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO import_jobs (id, dataset, status, data, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			v.ID, v.Dataset, string(v.Status), string(data), FormatTime(now), FormatTime(now)); err != nil {
			return fmt.Errorf("insert import job: %w", err)
		}
		return tx.audit(ctx, actor, "import.start", "import", v.ID, nil, &v, importDetail(&v))
	})
	if err != nil {
		return err
	}
	*job = v
	return nil
}

// importRunning is the conflict of an import started while another of its dataset runs:
// it says when the other counts as dead if its process was stopped, so the operator knows
// when to run it again.
func importRunning(r *forewarn.ImportJob, deadAt time.Time) error {
	return forewarn.Errorf(forewarn.ECONFLICT,
		"an import of dataset %q is running (job %s, started %s, last active %s); wait for it to finish. "+
			"If its process was stopped, it counts as dead at %s (%s without activity): import again from then on, and the new import completes it",
		r.Dataset, r.ID, r.StartedAt.UTC().Format(time.RFC3339), r.UpdatedAt.UTC().Format(time.RFC3339), deadAt.UTC().Format(time.RFC3339), ImportStaleAfter)
}

// ImportHeartbeat records that a running job is alive. It is ECONFLICT when the job no
// longer runs: another import took it for dead, and it must stop.
func (db *DB) ImportHeartbeat(ctx context.Context, id string) error {
	now := db.now()
	return db.update(ctx, now, "import heartbeat", func(tx *tx) error {
		j, err := tx.importJob(ctx, id)
		if err != nil {
			return err
		}
		j.UpdatedAt = now
		ok, err := tx.saveRunningImportJob(ctx, j, nil)
		if err != nil {
			return err
		}
		if !ok {
			return forewarn.ImportTakenOver(j)
		}
		return nil
	})
}

// importDetail is the audit detail of a job: dataset, version, format and counts.
func importDetail(j *forewarn.ImportJob) string {
	c := j.Counts
	d := fmt.Sprintf("dataset=%s version=%s format=%s status=%s read=%d added=%d updated=%d withdrawn=%d unchanged=%d invalid=%d links=%d alerts=%d",
		j.Dataset, j.Version, j.Format, j.Status, c.Read, c.Added, c.Updated, c.Withdrawn, c.Unchanged, c.Invalid, c.Links, c.Alerts)
	if j.DryRun {
		d += " dry-run"
	}
	return d
}

// FinishImport records the job's final state and audits it.
func (db *DB) FinishImport(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if job == nil || job.ID == "" {
		return required("job")
	}
	switch job.Status {
	case forewarn.ImportDone, forewarn.ImportFailed, forewarn.ImportInterrupted:
	default:
		return forewarn.Invalid("status", "enum", "a job finishes done, failed or interrupted, not %q", job.Status)
	}
	if err := checkText("message", job.Message, 10000); err != nil {
		return err
	}
	v := *job
	v.UpdatedAt, v.FinishedAt = now, now
	err := db.update(ctx, now, "finish import", func(tx *tx) error {
		old, err := tx.importJob(ctx, v.ID)
		if err != nil {
			return err
		}
		if old.Status != forewarn.ImportRunning {
			return forewarn.Errorf(forewarn.ECONFLICT, "the import of dataset %s started %s is already %s", old.Dataset, old.StartedAt.UTC().Format("2 Jan 2006 15:04 MST"), old.Status)
		}
		if ok, err := tx.saveRunningImportJob(ctx, &v, nil); err != nil {
			return err
		} else if !ok {
			return forewarn.ImportTakenOver(&v)
		}
		return tx.audit(ctx, actor, "import.finish", "import", v.ID, old, &v, importDetail(&v))
	})
	if err != nil {
		return err
	}
	*job = v
	return nil
}

// saveRunningImportJob saves a job that is still running and, when last is set, was last
// active at *last; it reports whether it did. A job another import marked interrupted
// (or, with last, that showed life since) is left alone. The condition is in the UPDATE,
// so it holds on PostgreSQL against a concurrent transaction too.
func (tx *tx) saveRunningImportJob(ctx context.Context, j *forewarn.ImportJob, last *time.Time) (bool, error) {
	data, err := json.Marshal(j)
	if err != nil {
		return false, err
	}
	q, args := "UPDATE import_jobs SET status = ?, data = ?, updated_at = ? WHERE id = ? AND status = 'running'", []any{string(j.Status), string(data), FormatTime(j.UpdatedAt), j.ID}
	if last != nil {
		q, args = q+" AND updated_at = ?", append(args, FormatTime(*last))
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("update import job: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (tx *tx) saveImportJob(ctx context.Context, j *forewarn.ImportJob) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "UPDATE import_jobs SET status = ?, data = ?, updated_at = ? WHERE id = ?",
		string(j.Status), string(data), FormatTime(j.UpdatedAt), j.ID); err != nil {
		return fmt.Errorf("update import job: %w", err)
	}
	return nil
}

func (tx *tx) importJobs(ctx context.Context, where string, args ...any) ([]*forewarn.ImportJob, error) {
	rows, err := tx.query(ctx, "SELECT id, data FROM import_jobs "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	defer rows.Close()
	jobs := []*forewarn.ImportJob{}
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		var j forewarn.ImportJob
		if err := json.Unmarshal([]byte(data), &j); err != nil {
			return nil, fmt.Errorf("decode import job %s: %w", id, err)
		}
		jobs = append(jobs, &j)
	}
	return jobs, rows.Err()
}

func (tx *tx) importJob(ctx context.Context, id string) (*forewarn.ImportJob, error) {
	jobs, err := tx.importJobs(ctx, "WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, notFound("no import job with id %q", id)
	}
	return jobs[0], nil
}

// ImportJob returns one import job.
func (db *DB) ImportJob(ctx context.Context, id string) (*forewarn.ImportJob, error) {
	var j *forewarn.ImportJob
	err := db.view(ctx, "read import job", func(tx *tx) error {
		var err error
		j, err = tx.importJob(ctx, id)
		return err
	})
	return j, err
}

// ImportJobs returns the most recent import jobs, newest first.
func (db *DB) ImportJobs(ctx context.Context, dataset string, limit int) ([]*forewarn.ImportJob, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	var jobs []*forewarn.ImportJob
	err = db.view(ctx, "list import jobs", func(tx *tx) error {
		where, args := "", []any{}
		if dataset != "" {
			where, args = "WHERE dataset = ? ", append(args, dataset)
		}
		jobs, err = tx.importJobs(ctx, where+"ORDER BY started_at DESC, id DESC LIMIT ?", append(args, limit)...)
		return err
	})
	return jobs, err
}

// sourceRow is what the store keeps of one dataset entry.
type sourceRow struct {
	subjectID string
	digest    string
	withdrawn bool
}

// encodedRecord is a record with its JSON and digest, computed once outside the transaction.
type encodedRecord struct {
	rec    *forewarn.ImportRecord
	json   string
	digest string
}

// ApplyImportBatch writes a batch of records with sync semantics in one transaction.
func (db *DB) ApplyImportBatch(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, recs []*forewarn.ImportRecord) ([]forewarn.ImportResult, error) {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	if job == nil || job.ID == "" {
		return nil, required("job")
	}
	enc := make([]encodedRecord, len(recs))
	ids := map[string]bool{}
	for i, r := range recs {
		if strings.TrimSpace(r.ExternalID) == "" {
			return nil, forewarn.Invalid(fmt.Sprintf("records[%d].external_id", i), "required", "%s: the entry has no ID in its dataset", r.Position)
		}
		if ids[r.ExternalID] {
			return nil, forewarn.Invalid(fmt.Sprintf("records[%d].external_id", i), "unique", "%s: entry %q appears twice in one batch", r.Position, r.ExternalID)
		}
		ids[r.ExternalID] = true
		if err := r.Subject.Validate(now); err != nil {
			return nil, forewarn.Invalid(fmt.Sprintf("records[%d].subject", i), "valid", "%s: %v", r.Position, err)
		}
		for _, c := range r.Claims {
			cc := *c
			cc.SubjectID = "import"
			if err := cc.Validate(now); err != nil {
				return nil, forewarn.Invalid(fmt.Sprintf("records[%d].claims", i), "valid", "%s: %v", r.Position, err)
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		enc[i] = encodedRecord{rec: r, json: string(b), digest: hex.EncodeToString(sum[:])}
	}
	results := make([]forewarn.ImportResult, len(recs))
	counts := job.Counts
	apply := func(tx *tx) error {
		have, err := tx.sourceRows(ctx, job.Dataset, enc)
		if err != nil {
			return err
		}
		for i, e := range enc {
			row, ok := have[e.rec.ExternalID]
			switch {
			case !ok:
				results[i].Outcome = forewarn.ImportAdded
				counts.Added++
				if job.DryRun {
					continue
				}
				id, err := tx.addImported(ctx, actor, job, e)
				if err != nil {
					return err
				}
				results[i].SubjectID = id
			case row.digest == e.digest && !row.withdrawn:
				results[i] = forewarn.ImportResult{Outcome: forewarn.ImportUnchanged, SubjectID: row.subjectID}
				counts.Unchanged++
			default:
				results[i] = forewarn.ImportResult{Outcome: forewarn.ImportUpdated, SubjectID: row.subjectID}
				counts.Updated++
				if job.DryRun {
					continue
				}
				if err := tx.updateImported(ctx, actor, job, row.subjectID, e); err != nil {
					return err
				}
			}
		}
		if job.DryRun {
			return nil
		}
		j := *job
		j.Counts, j.UpdatedAt = counts, now
		ok, err := tx.saveRunningImportJob(ctx, &j, nil)
		if err != nil {
			return err
		}
		if !ok {
			return forewarn.ImportTakenOver(&j)
		}
		return nil
	}
	if job.DryRun {
		err := db.view(ctx, "plan import batch", apply)
		if err != nil {
			return nil, err
		}
	} else if err := db.update(ctx, now, "import batch", apply); err != nil {
		return nil, err
	}
	job.Counts, job.UpdatedAt = counts, now
	return results, nil
}

// sourceRows reads what the store holds of the batch's entries.
func (tx *tx) sourceRows(ctx context.Context, dataset string, enc []encodedRecord) (map[string]sourceRow, error) {
	have := make(map[string]sourceRow, len(enc))
	for start := 0; start < len(enc); start += 500 {
		end := min(start+500, len(enc))
		args := make([]any, 0, end-start+1)
		args = append(args, dataset)
		for _, e := range enc[start:end] {
			args = append(args, e.rec.ExternalID)
		}
		q := "SELECT external_id, subject_id, record_digest, withdrawn_at FROM subject_sources WHERE dataset = ? AND external_id IN (?" + strings.Repeat(", ?", end-start-1) + ")"
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("read subject sources: %w", err)
		}
		for rows.Next() {
			var ext, withdrawn string
			var r sourceRow
			if err := rows.Scan(&ext, &r.subjectID, &r.digest, &withdrawn); err != nil {
				rows.Close()
				return nil, err
			}
			r.withdrawn = withdrawn != ""
			have[ext] = r
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return have, nil
}

func entryDetail(job *forewarn.ImportJob, externalID string) string {
	return "import " + job.ID + ": dataset " + job.Dataset + " entry " + externalID
}

// addImported creates the subject a new entry describes, with its source and claims.
func (tx *tx) addImported(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, e encodedRecord) (string, error) {
	s := e.rec.Subject
	s.ID, s.CreatedAt, s.UpdatedAt = forewarn.NewID(tx.now), tx.now, tx.now
	s.Sources = []forewarn.SubjectSource{{Dataset: job.Dataset, Version: job.Version, ExternalID: e.rec.ExternalID}}
	data, err := json.Marshal(&s)
	if err != nil {
		return "", err
	}
	if _, err := tx.exec(ctx, "INSERT INTO subjects (id, primary_name, watch, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.ID, s.PrimaryName(), string(s.Watch), string(data), FormatTime(s.CreatedAt), FormatTime(s.UpdatedAt)); err != nil {
		return "", fmt.Errorf("insert subject: %w", err)
	}
	if _, err := tx.exec(ctx, "INSERT INTO subject_sources (dataset, external_id, subject_id, version, record_digest, record, job_id, updated_at, withdrawn_at, withdrawn_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '')",
		job.Dataset, e.rec.ExternalID, s.ID, job.Version, e.digest, e.json, job.ID, FormatTime(tx.now)); err != nil {
		return "", fmt.Errorf("insert subject source: %w", err)
	}
	if err := tx.audit(ctx, actor, "subject.create", "subject", s.ID, nil, &s, entryDetail(job, e.rec.ExternalID)); err != nil {
		return "", err
	}
	return s.ID, tx.insertImportClaims(ctx, actor, s.ID, e.rec.Claims)
}

func (tx *tx) insertImportClaims(ctx context.Context, actor forewarn.Actor, subjectID string, claims []*forewarn.Claim) error {
	for _, c := range claims {
		v := *c
		v.ID, v.SubjectID, v.RecordedAt, v.Preferred, v.PreferredReason = forewarn.NewID(tx.now), subjectID, tx.now, false, ""
		if err := tx.insertClaim(ctx, actor, &v); err != nil {
			return err
		}
	}
	return nil
}

// updateImported applies what changed in an entry to its subject, touching only what the
// dataset gave, and reinstates an entry the dataset had withdrawn.
func (tx *tx) updateImported(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, subjectID string, e encodedRecord) error {
	var prevJSON string
	if err := tx.queryRow(ctx, "SELECT record FROM subject_sources WHERE dataset = ? AND external_id = ?", job.Dataset, e.rec.ExternalID).Scan(&prevJSON); err != nil {
		return fmt.Errorf("read subject source: %w", err)
	}
	var prev forewarn.ImportRecord
	if err := json.Unmarshal([]byte(prevJSON), &prev); err != nil {
		return fmt.Errorf("decode subject source %s/%s: %w", job.Dataset, e.rec.ExternalID, err)
	}
	old, err := tx.subject(ctx, subjectID)
	if err != nil {
		return err
	}
	s := *old
	s.Names = append([]forewarn.Name(nil), old.Names...)
	s.Sources = append([]forewarn.SubjectSource(nil), old.Sources...)
	s.ApplyImportChange(&prev, e.rec)
	s.SetSource(forewarn.SubjectSource{Dataset: job.Dataset, Version: job.Version, ExternalID: e.rec.ExternalID})
	s.UpdatedAt = tx.now
	s.Normalize()
	if err := s.Validate(tx.now); err != nil {
		return forewarn.Invalid("records", "valid", "%s: entry %q cannot be applied to subject %s: %v", e.rec.Position, e.rec.ExternalID, subjectID, err)
	}
	if err := tx.saveSubject(ctx, actor, old, &s, entryDetail(job, e.rec.ExternalID)); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "UPDATE subject_sources SET version = ?, record_digest = ?, record = ?, job_id = ?, updated_at = ?, withdrawn_at = '', withdrawn_version = '' WHERE dataset = ? AND external_id = ?",
		job.Version, e.digest, e.json, job.ID, FormatTime(tx.now), job.Dataset, e.rec.ExternalID); err != nil {
		return fmt.Errorf("update subject source: %w", err)
	}
	return tx.insertImportClaims(ctx, actor, subjectID, forewarn.NewImportClaims(&prev, e.rec))
}

// WithdrawMissing marks the dataset's entries that seen does not report as withdrawn.
func (db *DB) WithdrawMissing(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, seen func(string) bool) ([]string, error) {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	if job == nil || job.ID == "" {
		return nil, required("job")
	}
	type entry struct{ ext, subjectID string }
	var missing []entry
	err := db.view(ctx, "find withdrawn entries", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT external_id, subject_id FROM subject_sources WHERE dataset = ? AND withdrawn_at = ''", job.Dataset)
		if err != nil {
			return fmt.Errorf("scan subject sources: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e entry
			if err := rows.Scan(&e.ext, &e.subjectID); err != nil {
				return err
			}
			if !seen(e.ext) {
				missing = append(missing, e)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(missing))
	for _, e := range missing {
		ids = append(ids, e.subjectID)
	}
	if job.DryRun {
		job.Counts.Withdrawn += len(missing)
		return ids, nil
	}
	counts := job.Counts
	for start := 0; start < len(missing); start += 500 {
		batch := missing[start:min(start+500, len(missing))]
		err := db.update(ctx, now, "withdraw entries", func(tx *tx) error {
			for _, e := range batch {
				res, err := tx.exec(ctx, "UPDATE subject_sources SET withdrawn_at = ?, withdrawn_version = ?, job_id = ? WHERE dataset = ? AND external_id = ? AND withdrawn_at = ''",
					FormatTime(now), job.Version, job.ID, job.Dataset, e.ext)
				if err != nil {
					return fmt.Errorf("withdraw subject source: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					continue
				}
				old, err := tx.subject(ctx, e.subjectID)
				if err != nil {
					return err
				}
				s := *old
				s.Sources = append([]forewarn.SubjectSource(nil), old.Sources...)
				for i, src := range s.Sources {
					if src.Dataset == job.Dataset && src.ExternalID == e.ext {
						s.Sources[i].WithdrawnAt, s.Sources[i].WithdrawnVersion = now, job.Version
					}
				}
				s.UpdatedAt = now
				if err := tx.saveSubject(ctx, actor, old, &s, "import "+job.ID+": withdrawn from dataset "+job.Dataset+" version "+job.Version+" (entry "+e.ext+")"); err != nil {
					return err
				}
				counts.Withdrawn++
			}
			j := *job
			j.Counts, j.UpdatedAt = counts, now
			return tx.saveImportJob(ctx, &j)
		})
		if err != nil {
			return nil, err
		}
		job.Counts = counts
	}
	return ids, nil
}

// ApplyImportLinks records links between the dataset's entries as associations sourced
// to the dataset; a link already recorded from the dataset is not recorded again.
func (db *DB) ApplyImportLinks(ctx context.Context, actor forewarn.Actor, job *forewarn.ImportJob, links []forewarn.ImportLink) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if job == nil || job.ID == "" {
		return required("job")
	}
	src := forewarn.Source{Name: job.Dataset}
	grading := forewarn.Grading{Reliability: "F", Credibility: 6}
	counts, errs := job.Counts, job.Errors
	apply := func(tx *tx) error {
		lookup := func(ext string) (string, error) {
			var id string
			err := tx.queryRow(ctx, "SELECT subject_id FROM subject_sources WHERE dataset = ? AND external_id = ?", job.Dataset, ext).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return "", nil
			}
			return id, err
		}
		for _, l := range links {
			from, err := lookup(l.FromID)
			if err != nil {
				return err
			}
			to, err := lookup(l.ToID)
			if err != nil {
				return err
			}
			if from == "" || to == "" {
				missing := l.FromID
				if from != "" {
					missing = l.ToID
				}
				j := forewarn.ImportJob{Counts: counts, Errors: errs}
				j.AddError(l.Position, "links to "+strconv.Quote(missing)+", which is not a person of this dataset")
				counts, errs = j.Counts, j.Errors
				continue
			}
			if from == to {
				continue
			}
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM associations WHERE from_id = ? AND to_id = ? AND kind = ? AND source_name = ? AND source_agency = ''",
				from, to, string(l.Kind), src.Name).Scan(&n); err != nil {
				return fmt.Errorf("look up association: %w", err)
			}
			if n > 0 {
				continue
			}
			counts.Links++
			if job.DryRun {
				continue
			}
			a := forewarn.Association{ID: forewarn.NewID(now), FromID: from, ToID: to, Kind: l.Kind, Source: src, Grading: grading, Note: l.Note, RecordedAt: now}
			if err := a.Validate(); err != nil {
				return forewarn.Invalid("links", "valid", "%s: %v", l.Position, err)
			}
			if _, err := tx.exec(ctx, "INSERT INTO associations (id, from_id, to_id, kind, source_agency, source_name, reliability, credibility, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				a.ID, a.FromID, a.ToID, string(a.Kind), a.Source.Agency, a.Source.Name, a.Grading.Reliability, a.Grading.Credibility, a.Note, FormatTime(now)); err != nil {
				return fmt.Errorf("insert association: %w", err)
			}
			if err := tx.audit(ctx, actor, "association.create", "association", a.ID, nil, &a, "import "+job.ID+": subjects "+a.FromID+" "+a.ToID); err != nil {
				return err
			}
		}
		if job.DryRun {
			return nil
		}
		j := *job
		j.Counts, j.Errors, j.UpdatedAt = counts, errs, now
		return tx.saveImportJob(ctx, &j)
	}
	var err error
	if job.DryRun {
		err = db.view(ctx, "plan import links", apply)
	} else {
		err = db.update(ctx, now, "import links", apply)
	}
	if err != nil {
		return err
	}
	job.Counts, job.Errors = counts, errs
	return nil
}
