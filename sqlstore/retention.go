package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Retention (issue 12, docs/retention.md): review dates from a policy, keeping with a
// reason, and erasure that leaves a tombstone and a chain that still verifies.

// retentionActor is who gives review dates by the policy and raises review alerts.
var retentionActor = forewarn.SystemActor("retention")

// RetentionRules returns the policy, subjects first.
func (db *DB) RetentionRules(ctx context.Context) ([]forewarn.RetentionRule, error) {
	var out []forewarn.RetentionRule
	err := db.view(ctx, "read retention rules", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT kind, class, days, updated_at FROM retention_rules ORDER BY kind DESC, days DESC, class")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r forewarn.RetentionRule
			var kind, updated string
			if err := rows.Scan(&kind, &r.Class, &r.Days, &updated); err != nil {
				return err
			}
			r.Kind = forewarn.RetentionKind(kind)
			if updated != "" {
				if r.UpdatedAt, err = ParseTime(updated); err != nil {
					return err
				}
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// SetRetentionRule replaces one rule and audits the change.
func (db *DB) SetRetentionRule(ctx context.Context, actor forewarn.Actor, r *forewarn.RetentionRule) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if r == nil {
		return required("rule")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	now := db.now()
	return db.update(ctx, now, "set retention rule", func(tx *tx) error {
		var old int
		err := tx.queryRow(ctx, "SELECT days FROM retention_rules WHERE kind = ? AND class = ?", string(r.Kind), r.Class).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM retention_rules WHERE kind = ? AND class = ?", string(r.Kind), r.Class); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO retention_rules (kind, class, days, updated_at) VALUES (?, ?, ?, ?)", string(r.Kind), r.Class, r.Days, FormatTime(now)); err != nil {
			return fmt.Errorf("set retention rule: %w", err)
		}
		r.UpdatedAt = now
		return tx.audit(ctx, actor, "retention.rule", "retention_rule", string(r.Kind)+"/"+r.Class, nil, r,
			fmt.Sprintf("%s %s reviewed %d days after it is stored (was %d)", r.Kind, r.Class, r.Days, old))
	})
}

// AssignReviews follows the change log from where it last stopped and gives each subject
// and received message (acknowledgements aside) that has no review date one from the
// policy, counted from when it was stored. One audit entry records each batch. One call
// reads at most maxReviewBatches batches, so the tick after a large import is not held
// up: the next calls go on from there.
func (db *DB) AssignReviews(ctx context.Context) (int, error) {
	total := 0
	for range maxReviewBatches {
		n, more, err := db.assignReviewBatch(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
	return total, nil
}

// maxReviewBatches bounds one AssignReviews call: 20 batches of 500 changes.
const maxReviewBatches = 20

func (db *DB) assignReviewBatch(ctx context.Context) (n int, more bool, err error) {
	const batch = 500
	// Look first without the audit head: most ticks find nothing to do.
	var cursor, head int64
	if err := db.view(ctx, "read retention cursor", func(tx *tx) error {
		if err := tx.queryRow(ctx, "SELECT seq FROM retention_cursor WHERE id = 1").Scan(&cursor); err != nil {
			return err
		}
		return tx.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&head)
	}); err != nil {
		return 0, false, err
	}
	if head <= cursor {
		return 0, false, nil
	}
	err = db.update(ctx, db.now(), "assign review dates", func(tx *tx) error {
		if err := tx.queryRow(ctx, "SELECT seq FROM retention_cursor WHERE id = 1").Scan(&cursor); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT seq, kind, object_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", cursor, batch)
		if err != nil {
			return err
		}
		type change struct {
			kind, id string
		}
		var cs []change
		last := cursor
		for rows.Next() {
			var c change
			if err := rows.Scan(&last, &c.kind, &c.id); err != nil {
				rows.Close()
				return err
			}
			cs = append(cs, c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		more = len(cs) == batch
		rules, err := tx.retentionDays(ctx)
		if err != nil {
			return err
		}
		var given []string
		for _, c := range cs {
			var exists int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM reviews WHERE kind = ? AND object_id = ?", c.kind, c.id).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				continue
			}
			var class, stored string
			switch c.kind {
			case string(forewarn.ChangeSubject):
				err = tx.queryRow(ctx, "SELECT watch, created_at FROM subjects WHERE id = ?", c.id).Scan(&class, &stored)
			case string(forewarn.ChangeMessage):
				err = tx.queryRow(ctx, "SELECT priority, stored_at FROM messages WHERE id = ? AND direction = 'in' AND kind <> 'acknowledgement'", c.id).Scan(&class, &stored)
			default:
				continue
			}
			if errors.Is(err, sql.ErrNoRows) {
				continue // gone since, or not an item that is reviewed
			}
			if err != nil {
				return err
			}
			days, ok := rules[c.kind+"/"+class]
			if !ok {
				continue
			}
			at, err := ParseTime(stored)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "INSERT INTO reviews (kind, object_id, review_at, reason, set_by, set_at) VALUES (?, ?, ?, '', ?, ?)",
				c.kind, c.id, FormatTime(at.AddDate(0, 0, days)), retentionActor.ID, FormatTime(tx.now)); err != nil {
				return fmt.Errorf("assign review date: %w", err)
			}
			given = append(given, c.kind+" "+c.id)
		}
		if _, err := tx.exec(ctx, "UPDATE retention_cursor SET seq = ? WHERE id = 1", last); err != nil {
			return err
		}
		n = len(given)
		if n == 0 {
			return nil
		}
		detail := fmt.Sprintf("%d review dates given by the policy", n)
		if n <= 20 {
			detail += ": " + strings.Join(given, ", ")
		}
		return tx.audit(ctx, retentionActor, "retention.assign", "retention", "", nil, nil, detail)
	})
	return n, more, err
}

// retentionDays reads the policy as "kind/class" → days.
func (tx *tx) retentionDays(ctx context.Context) (map[string]int, error) {
	rows, err := tx.query(ctx, "SELECT kind, class, days FROM retention_rules")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind, class string
		var days int
		if err := rows.Scan(&kind, &class, &days); err != nil {
			return nil, err
		}
		out[kind+"/"+class] = days
	}
	return out, rows.Err()
}

const reviewColumns = "kind, object_id, review_at, reason, set_by, set_at, alerted_at"

func scanReview(s scanner) (*forewarn.Review, error) {
	var r forewarn.Review
	var kind, at, setAt string
	var alerted sql.NullString
	if err := s.Scan(&kind, &r.ObjectID, &at, &r.Reason, &r.SetBy, &setAt, &alerted); err != nil {
		return nil, err
	}
	r.Kind = forewarn.RetentionKind(kind)
	var err error
	if r.ReviewAt, err = ParseTime(at); err != nil {
		return nil, err
	}
	if r.SetAt, err = ParseTime(setAt); err != nil {
		return nil, err
	}
	if r.AlertedAt, err = parseNullTime(alerted); err != nil {
		return nil, err
	}
	return &r, nil
}

// Review returns an item's review, labelled.
func (db *DB) Review(ctx context.Context, kind forewarn.RetentionKind, id string) (*forewarn.Review, error) {
	var r *forewarn.Review
	err := db.view(ctx, "read review", func(tx *tx) error {
		var err error
		if r, err = tx.review(ctx, kind, id); err != nil {
			return err
		}
		return tx.labelReview(ctx, r)
	})
	return r, err
}

func (tx *tx) review(ctx context.Context, kind forewarn.RetentionKind, id string) (*forewarn.Review, error) {
	if !kind.Valid() {
		return nil, forewarn.Invalid("kind", "enum", "kind is subject or message, not %q", kind)
	}
	r, err := scanReview(tx.queryRow(ctx, "SELECT "+reviewColumns+" FROM reviews WHERE kind = ? AND object_id = ?", string(kind), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("%s %s has no review date (it does not exist, was erased, or the node has not given it one yet)", kind, id)
	}
	return r, err
}

// labelReview names the item: a subject's primary name, a message's kind, sender and date.
func (tx *tx) labelReview(ctx context.Context, r *forewarn.Review) error {
	switch r.Kind {
	case forewarn.RetainSubject:
		err := tx.queryRow(ctx, "SELECT primary_name FROM subjects WHERE id = ?", r.ObjectID).Scan(&r.Label)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	default:
		var kind, from, created string
		err := tx.queryRow(ctx, "SELECT kind, from_agency, created FROM messages WHERE id = ?", r.ObjectID).Scan(&kind, &from, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		r.Label = kind + " from " + from
		if t, err := ParseTime(created); err == nil {
			r.Label += " of " + t.Format("2 Jan 2006")
		}
		return nil
	}
}

// Reviews returns a page of reviews, soonest first.
func (db *DB) Reviews(ctx context.Context, f forewarn.ReviewFilter) ([]*forewarn.Review, int, error) {
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, 0, forewarn.Invalid("kind", "enum", "kind is subject or message, not %q", f.Kind)
	}
	if f.Offset < 0 {
		return nil, 0, forewarn.Invalid("offset", "min", "must not be negative")
	}
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, 0, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	if !f.DueBy.IsZero() {
		where, args = append(where, "review_at <= ?"), append(args, FormatTime(f.DueBy))
	}
	w := strings.Join(where, " AND ")
	out := []*forewarn.Review{}
	var total int
	err = db.view(ctx, "list reviews", func(tx *tx) error {
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM reviews WHERE "+w, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT "+reviewColumns+" FROM reviews WHERE "+w+" ORDER BY review_at, kind, object_id LIMIT ? OFFSET ?", append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanReview(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range out {
			if err := tx.labelReview(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
	return out, total, err
}

// SetReview moves an item's review date with a reason and closes its open review alerts.
func (db *DB) SetReview(ctx context.Context, actor forewarn.Actor, kind forewarn.RetentionKind, id string, at time.Time, reason string) (*forewarn.Review, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, forewarn.Invalid("reason", "required", "say why the item is kept, or why its review date moves")
	}
	if err := checkText("reason", reason, forewarn.MaxReasonBytes); err != nil {
		return nil, err
	}
	if at.IsZero() {
		return nil, forewarn.Invalid("review_at", "required", "the new review date")
	}
	if !at.After(now) {
		return nil, forewarn.Invalid("review_at", "future", "the new review date %s is not after now (%s)", at.UTC().Format("2006-01-02"), now.Format("2006-01-02"))
	}
	if at.After(now.AddDate(0, 0, forewarn.MaxRetentionDays)) {
		return nil, forewarn.Invalid("review_at", "range", "the new review date is more than %d days away", forewarn.MaxRetentionDays)
	}
	var r *forewarn.Review
	err := db.update(ctx, now, "set review", func(tx *tx) error {
		old, err := tx.review(ctx, kind, id)
		if err != nil {
			return err
		}
		v := *old
		v.ReviewAt, v.Reason, v.SetBy, v.SetAt, v.AlertedAt = at.UTC(), reason, actor.ID, now, time.Time{}
		if _, err := tx.exec(ctx, "UPDATE reviews SET review_at = ?, reason = ?, set_by = ?, set_at = ?, alerted_at = NULL WHERE kind = ? AND object_id = ?",
			FormatTime(v.ReviewAt), reason, actor.ID, FormatTime(now), string(kind), id); err != nil {
			return fmt.Errorf("set review: %w", err)
		}
		col := "subject_id"
		if kind == forewarn.RetainMessage {
			col = "message_id"
		}
		if _, err := tx.exec(ctx, "UPDATE alerts SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE kind = 'review' AND "+col+" = ? AND resolved_at IS NULL",
			FormatTime(now), actor.ID, "kept until "+v.ReviewAt.Format("2006-01-02"), id); err != nil {
			return fmt.Errorf("close review alerts: %w", err)
		}
		action := string(kind) + ".keep"
		detail := fmt.Sprintf("review date %s (was %s)", v.ReviewAt.Format("2006-01-02"), old.ReviewAt.Format("2006-01-02"))
		subjectID, messageID := id, ""
		if kind == forewarn.RetainMessage {
			subjectID, messageID = "", id
		}
		if err := tx.auditNote(ctx, actor, action, string(kind), id, old, &v, detail, reason, subjectID, messageID); err != nil {
			return err
		}
		r = &v
		return tx.labelReview(ctx, r)
	})
	return r, err
}

// AlertDueReviews raises the alerts of the reviews due now.
func (db *DB) AlertDueReviews(ctx context.Context, limit int) ([]*forewarn.Alert, error) {
	if limit <= 0 || limit > MaxPageSize {
		limit = MaxPageSize
	}
	now := db.now()
	var due int
	if err := db.view(ctx, "count due reviews", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM reviews WHERE review_at <= ? AND alerted_at IS NULL", FormatTime(now)).Scan(&due)
	}); err != nil || due == 0 {
		return nil, err
	}
	var alerts []*forewarn.Alert
	err := db.update(ctx, now, "alert due reviews", func(tx *tx) error {
		alerts = nil
		rows, err := tx.query(ctx, "SELECT "+reviewColumns+" FROM reviews WHERE review_at <= ? AND alerted_at IS NULL ORDER BY review_at LIMIT ?", FormatTime(now), limit)
		if err != nil {
			return err
		}
		var rs []*forewarn.Review
		for rows.Next() {
			r, err := scanReview(rows)
			if err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range rs {
			p := forewarn.Say(forewarn.PhraseAlertReview, forewarn.LabelArg(r.Kind), forewarn.TextArg(r.ObjectID), forewarn.DateArg(r.ReviewAt))
			a := &forewarn.Alert{ID: forewarn.NewID(now), Role: forewarn.RoleAnalyst, Kind: "review", CreatedAt: now, Text: p.English(), Phrase: p}
			if r.Kind == forewarn.RetainSubject {
				a.SubjectID = r.ObjectID
			} else {
				a.MessageID = r.ObjectID
				var owner string
				err := tx.queryRow(ctx, "SELECT owner FROM deliveries WHERE message_id = ? AND owner <> '' ORDER BY agency LIMIT 1", r.ObjectID).Scan(&owner)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return err
				}
				a.Username = owner
			}
			if err := tx.insertAlert(ctx, a); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "UPDATE reviews SET alerted_at = ? WHERE kind = ? AND object_id = ?", FormatTime(now), string(r.Kind), r.ObjectID); err != nil {
				return err
			}
			if err := tx.audit(ctx, retentionActor, string(r.Kind)+".review_due", string(r.Kind), r.ObjectID, nil, a,
				"review date "+r.ReviewAt.Format("2006-01-02")+"; alert "+a.ID); err != nil {
				return err
			}
			alerts = append(alerts, a)
		}
		return nil
	})
	return alerts, err
}

// noteDigest is how an audit entry refers to its note.
func noteDigest(note string) string {
	sum := sha256.Sum256([]byte(note))
	return "note sha256:" + hex.EncodeToString(sum[:])
}

// auditNote audits a change whose free text (a reason) may name a person: the entry's
// detail holds the note's digest, the note itself lives in audit_notes, tied to the
// subject and message it is about, where erasing that item deletes it.
func (tx *tx) auditNote(ctx context.Context, actor forewarn.Actor, action, objectType, objectID string, before, after any, detail, note, subjectID, messageID string) error {
	if tx.late() {
		return fmt.Errorf("an audit note in a late transaction")
	}
	if detail != "" {
		detail += "; "
	}
	e := &forewarn.AuditEntry{Actor: actor, Action: action, ObjectType: objectType, ObjectID: objectID, Detail: detail + noteDigest(note)}
	if before != nil {
		e.Before = forewarn.Digest(before)
	}
	if after != nil {
		e.After = forewarn.Digest(after)
	}
	if err := tx.appendAudit(ctx, e); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "INSERT INTO audit_notes (seq, subject_id, message_id, note) VALUES (?, ?, ?, ?)", e.Seq, subjectID, messageID, note); err != nil {
		return fmt.Errorf("insert audit note: %w", err)
	}
	return nil
}

// fillNotes sets the Note of the entries that have one.
func (db *DB) fillNotes(ctx context.Context, es []*forewarn.AuditEntry) error {
	var seqs []string
	bySeq := map[string]*forewarn.AuditEntry{}
	for _, e := range es {
		if strings.Contains(e.Detail, "note sha256:") {
			k := fmt.Sprint(e.Seq)
			seqs = append(seqs, k)
			bySeq[k] = e
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	return db.view(ctx, "read audit notes", func(tx *tx) error {
		for len(seqs) > 0 {
			n := min(len(seqs), changeLookup)
			in, args := inArgs(seqs[:n])
			rows, err := tx.query(ctx, "SELECT seq, note FROM audit_notes WHERE seq IN ("+in+")", args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var seq int64
				var note string
				if err := rows.Scan(&seq, &note); err != nil {
					rows.Close()
					return err
				}
				if e := bySeq[fmt.Sprint(seq)]; e != nil {
					e.Note = note
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
			seqs = seqs[n:]
		}
		return nil
	})
}

// Erase removes an item's personal data and leaves its tombstone.
//
// A subject: its row, claims, associations, dataset sources and raw imported objects,
// published TAXII objects, matches (and rejected pairs), alerts, review and audit notes;
// and every person in a message (received or sent) confirmed to be him, with the matches
// and alerts on those persons, the signed envelope of each message changed and its
// notifications. A received message: its persons and free text, its envelope, matches
// either way, alerts, notifications, acknowledgement reasons, claims drawn from it, review
// and audit notes. The audit entries stay; what they hold is digests and IDs.
func (db *DB) Erase(ctx context.Context, actor forewarn.Actor, kind forewarn.RetentionKind, id, reason string) (*forewarn.Tombstone, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, forewarn.Invalid("kind", "enum", "kind is subject or message, not %q", kind)
	}
	if strings.TrimSpace(id) == "" {
		return nil, forewarn.Invalid("id", "required", "which %s to erase", kind)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, forewarn.Invalid("reason", "required", "say why the %s is erased", kind)
	}
	if err := checkText("reason", reason, forewarn.MaxReasonBytes); err != nil {
		return nil, err
	}
	now := db.now()
	var ts *forewarn.Tombstone
	err := db.update(ctx, now, "erase "+string(kind), func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM tombstones WHERE kind = ? AND object_id = ?", string(kind), id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return forewarn.Errorf(forewarn.ECONFLICT, "%s %s was erased before", kind, id)
		}
		ts = &forewarn.Tombstone{Kind: kind, ObjectID: id, ErasedAt: now, ErasedBy: actor.ID, Reason: reason}
		names, err := tx.namesOf(ctx, kind, id)
		if err != nil {
			return err
		}
		if ts.AuditKept, err = tx.auditNaming(ctx, names); err != nil {
			return err
		}
		if kind == forewarn.RetainSubject {
			err = tx.eraseSubject(ctx, ts)
		} else {
			err = tx.eraseMessage(ctx, ts)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM reviews WHERE kind = ? AND object_id = ?", string(kind), id); err != nil {
			return err
		}
		if err := tx.queueErasureNotices(ctx, ts); err != nil {
			return err
		}
		data, err := json.Marshal(ts)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO tombstones (kind, object_id, erased_at, erased_by, data) VALUES (?, ?, ?, ?, ?)",
			string(kind), id, FormatTime(now), actor.ID, string(data)); err != nil {
			return fmt.Errorf("insert tombstone: %w", err)
		}
		detail := fmt.Sprintf("erased; was %s; %d persons erased from %d messages", ts.Digest, ts.Persons, len(ts.Messages))
		e := &forewarn.AuditEntry{Actor: actor, Action: string(kind) + ".erase", ObjectType: string(kind), ObjectID: id,
			Before: ts.Digest, After: forewarn.Digest(ts), Detail: detail + "; " + noteDigest(reason)}
		if err := tx.appendAudit(ctx, e); err != nil {
			return err
		}
		// The erasure's own reason stays, as the tombstone's does: it says why, not who.
		_, err = tx.exec(ctx, "INSERT INTO audit_notes (seq, subject_id, message_id, note) VALUES (?, '', '', ?)", e.Seq, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

func (tx *tx) eraseSubject(ctx context.Context, ts *forewarn.Tombstone) error {
	id := ts.ObjectID
	s, err := tx.subject(ctx, id)
	if err != nil {
		return err
	}
	ts.Digest = forewarn.Digest(s)
	var names []string
	for _, n := range s.Names {
		names = append(names, n.Value)
	}
	// The persons in messages confirmed to be him.
	rows, err := tx.query(ctx, "SELECT message_id, person_ref FROM matches WHERE subject_id = ? AND status = 'confirmed' ORDER BY message_id", id)
	if err != nil {
		return err
	}
	persons := map[string]map[string]bool{}
	var order []string
	for rows.Next() {
		var mid, ref string
		if err := rows.Scan(&mid, &ref); err != nil {
			rows.Close()
			return err
		}
		if persons[mid] == nil {
			persons[mid] = map[string]bool{}
			order = append(order, mid)
		}
		persons[mid][ref] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, mid := range order {
		if err := tx.erasePersons(ctx, ts, mid, persons[mid], names); err != nil {
			return err
		}
	}
	// What hangs off the subject.
	var sources [][2]string
	rows, err = tx.query(ctx, "SELECT dataset, external_id FROM subject_sources WHERE subject_id = ?", id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ds, ext string
		if err := rows.Scan(&ds, &ext); err != nil {
			rows.Close()
			return err
		}
		sources = append(sources, [2]string{ds, ext})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, src := range sources {
		if _, err := tx.exec(ctx, "DELETE FROM import_raw_objects WHERE dataset = ? AND external_id = ?", src[0], src[1]); err != nil {
			return err
		}
	}
	for _, q := range []string{
		"DELETE FROM subject_sources WHERE subject_id = ?",
		"DELETE FROM claims WHERE subject_id = ?",
		"DELETE FROM associations WHERE from_id = ? OR to_id = ?",
		"DELETE FROM taxii_objects WHERE subject_id = ?",
		"DELETE FROM matches WHERE subject_id = ?",
		"DELETE FROM rejected_pairs WHERE subject_id = ?",
		"DELETE FROM alerts WHERE subject_id = ?",
		"DELETE FROM audit_notes WHERE subject_id = ?",
		"DELETE FROM subjects WHERE id = ?",
	} {
		args := []any{id}
		if strings.Count(q, "?") == 2 {
			args = append(args, id)
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("erase subject %s: %s: %w", id, q, err)
		}
	}
	return nil
}

func (tx *tx) eraseMessage(ctx context.Context, ts *forewarn.Tombstone) error {
	id := ts.ObjectID
	var dir, data string
	err := tx.queryRow(ctx, "SELECT direction, message FROM messages WHERE id = ?", id).Scan(&dir, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("no message with id %q", id)
	}
	if err != nil {
		return err
	}
	if dir != string(forewarn.DirectionIn) {
		return forewarn.Invalid("id", "received", "message %s was sent by this node; erase the subject it is about instead", id)
	}
	m, err := decodeMessage(id, data)
	if err != nil {
		return err
	}
	ts.Digest = forewarn.Digest(m)
	ts.Originator, ts.MessageKind, ts.Created = m.From, m.Kind, m.Created
	if err := tx.erasePersons(ctx, ts, id, nil, nil); err != nil {
		return err
	}
	for _, q := range []string{
		"DELETE FROM matches WHERE message_id = ? OR earlier_message_id = ?",
		"DELETE FROM claims WHERE message_id = ?",
		"DELETE FROM audit_notes WHERE message_id = ?",
		"UPDATE deliveries SET reason = '' WHERE message_id = ?",
		"UPDATE escalations SET text = '', phrase = '' WHERE message_id = ?",
	} {
		args := []any{id}
		if strings.Count(q, "?") == 2 {
			args = append(args, id)
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("erase message %s: %s: %w", id, q, err)
		}
	}
	return nil
}

// erasePersons erases the persons refs (all when nil) from message mid, with names
// replaced in its free text, its signed envelope (once nothing is left to deliver), the
// matches and alerts on those persons and its notifications, and records it in ts.
func (tx *tx) erasePersons(ctx context.Context, ts *forewarn.Tombstone, mid string, refs map[string]bool, names []string) error {
	var dir, data string
	err := tx.queryRow(ctx, "SELECT direction, message FROM messages WHERE id = ?", mid).Scan(&dir, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	m, err := decodeMessage(mid, data)
	if err != nil {
		return err
	}
	var erasedRefs []string
	for _, p := range m.Persons() {
		if refs == nil || refs[p.Ref] {
			erasedRefs = append(erasedRefs, p.Ref)
		}
	}
	ts.Persons += forewarn.ErasePersons(m, refs, names)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if dir == string(forewarn.DirectionIn) {
		if err := tx.scrubForwards(ctx, mid, refs, names); err != nil {
			return err
		}
	}
	var pending int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM deliveries WHERE message_id = ? AND direction = 'out' AND delivered_at IS NULL", mid).Scan(&pending); err != nil {
		return err
	}
	if pending == 0 {
		// The signed bytes hold what was erased; the tombstone's digest stands for them.
		_, err = tx.exec(ctx, "UPDATE messages SET message = ?, envelope = ? WHERE id = ?", string(b), []byte{}, mid)
	} else {
		_, err = tx.exec(ctx, "UPDATE messages SET message = ? WHERE id = ?", string(b), mid)
	}
	if err != nil {
		return fmt.Errorf("erase persons of %s: %w", mid, err)
	}
	for _, ref := range erasedRefs {
		if _, err := tx.exec(ctx, "DELETE FROM matches WHERE (message_id = ? AND person_ref = ?) OR (earlier_message_id = ? AND earlier_person_ref = ?)", mid, ref, mid, ref); err != nil {
			return err
		}
	}
	for _, q := range []string{
		"DELETE FROM alerts WHERE message_id = ? AND kind IN ('match', 'review', 'private_match')",
		"DELETE FROM notifications WHERE message_id = ?",
	} {
		if _, err := tx.exec(ctx, q, mid); err != nil {
			return fmt.Errorf("erase persons of %s: %w", mid, err)
		}
	}
	if dir == string(forewarn.DirectionIn) {
		ts.Messages = append(ts.Messages, forewarn.ErasedMessage{ID: mid, From: m.From, Kind: m.Kind, Created: m.Created})
	}
	return nil
}

// Tombstones returns the erasures of [from, to), oldest first.
func (db *DB) Tombstones(ctx context.Context, from, to time.Time) ([]*forewarn.Tombstone, error) {
	var out []*forewarn.Tombstone
	err := db.view(ctx, "list tombstones", func(tx *tx) error {
		q, args := "SELECT data FROM tombstones WHERE 1 = 1", []any{}
		if !from.IsZero() {
			q, args = q+" AND erased_at >= ?", append(args, FormatTime(from))
		}
		if !to.IsZero() {
			q, args = q+" AND erased_at < ?", append(args, FormatTime(to))
		}
		var err error
		out, err = queryDocs[forewarn.Tombstone](ctx, tx, "tombstone", q+" ORDER BY erased_at, kind, object_id", args...)
		return err
	})
	return out, err
}

// Compact runs the dialect's compaction (Dialect.Compact); nothing when it has none.
func (db *DB) Compact(ctx context.Context) error {
	if db.dialect.Compact == nil {
		return nil
	}
	if err := db.dialect.Compact(ctx, db.sql); err != nil {
		return db.internal("compact", err)
	}
	return nil
}
