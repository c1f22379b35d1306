package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn"
)

// CreateSubject adds a subject with a new ID.
func (db *DB) CreateSubject(ctx context.Context, actor forewarn.Actor, s *forewarn.Subject) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if s == nil {
		return required("subject")
	}
	s.Normalize()
	if err := s.Validate(now); err != nil {
		return err
	}
	v := *s
	v.ID, v.CreatedAt, v.UpdatedAt = forewarn.NewID(now), now, now
	v.Sources = nil // only an import records where a subject came from
	err := db.update(ctx, now, "create subject", func(tx *tx) error {
		data, err := json.Marshal(&v)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO subjects (id, primary_name, watch, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			v.ID, v.PrimaryName(), string(v.Watch), string(data), FormatTime(v.CreatedAt), FormatTime(v.UpdatedAt)); err != nil {
			return fmt.Errorf("insert subject: %w", err)
		}
		return tx.audit(ctx, actor, "subject.create", "subject", v.ID, nil, &v, "")
	})
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// UpdateSubject replaces the fields of the subject with s.ID; its creation time stays.
func (db *DB) UpdateSubject(ctx context.Context, actor forewarn.Actor, s *forewarn.Subject) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if s == nil {
		return required("subject")
	}
	if strings.TrimSpace(s.ID) == "" {
		return forewarn.Invalid("id", "required", "which subject to update")
	}
	s.Normalize()
	if err := s.Validate(now); err != nil {
		return err
	}
	v := *s
	err := db.update(ctx, now, "update subject", func(tx *tx) error {
		old, err := tx.subject(ctx, v.ID)
		if err != nil {
			return err
		}
		v.CreatedAt, v.UpdatedAt = old.CreatedAt, now
		v.Sources = old.Sources // only an import changes where a subject came from
		return tx.saveSubject(ctx, actor, old, &v, "")
	})
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SetWatch changes only the subject's watch-list status, and audits it with the reason.
func (db *DB) SetWatch(ctx context.Context, actor forewarn.Actor, id string, watch forewarn.WatchStatus, reason string) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if watch != forewarn.WatchListed && watch != forewarn.WatchNone {
		return forewarn.Invalid("watch", "enum", "watch is %q or %q, not %q", forewarn.WatchListed, forewarn.WatchNone, watch)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return forewarn.Invalid("reason", "required", "say why the subject is watch-listed or taken off the list")
	}
	if len(reason) > 2000 {
		return forewarn.Invalid("reason", "length", "the reason is %d bytes; at most 2000", len(reason))
	}
	return db.update(ctx, now, "set watch", func(tx *tx) error {
		old, err := tx.subject(ctx, id)
		if err != nil {
			return err
		}
		if old.Watch == watch {
			return forewarn.Errorf(forewarn.ECONFLICT, "subject %s is already %s", id, watch)
		}
		v := *old
		v.Watch, v.UpdatedAt = watch, now
		data, err := json.Marshal(&v)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE subjects SET watch = ?, data = ?, updated_at = ? WHERE id = ?", string(v.Watch), string(data), FormatTime(v.UpdatedAt), v.ID); err != nil {
			return fmt.Errorf("set watch: %w", err)
		}
		return tx.auditNote(ctx, actor, "subject.watch", "subject", id, old, &v, string(watch), reason, id, "")
	})
}

// saveSubject writes the new version s of the subject old and audits the update.
func (tx *tx) saveSubject(ctx context.Context, actor forewarn.Actor, old, s *forewarn.Subject, detail string) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "UPDATE subjects SET primary_name = ?, watch = ?, data = ?, updated_at = ? WHERE id = ?",
		s.PrimaryName(), string(s.Watch), string(data), FormatTime(s.UpdatedAt), s.ID); err != nil {
		return fmt.Errorf("update subject: %w", err)
	}
	return tx.audit(ctx, actor, "subject.update", "subject", s.ID, old, s, detail)
}

// Subject returns one subject and records in the audit trail who read it, and which
// version (the entry's After digest).
func (db *DB) Subject(ctx context.Context, actor forewarn.Actor, id string) (*forewarn.Subject, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	var s *forewarn.Subject
	err := db.update(ctx, db.now(), "read subject", func(tx *tx) error {
		var err error
		if s, err = tx.subject(ctx, id); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "subject.read", "subject", id, nil, s, "")
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// subject reads one subject; ENOTFOUND when there is none with that ID.
func (tx *tx) subject(ctx context.Context, id string) (*forewarn.Subject, error) {
	var data string
	err := tx.queryRow(ctx, "SELECT data FROM subjects WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no subject with id %q", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read subject %s: %w", id, err)
	}
	return decodeSubject(id, data)
}

func decodeSubject(id, data string) (*forewarn.Subject, error) {
	var s forewarn.Subject
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, fmt.Errorf("decode subject %s: %w", id, err)
	}
	return &s, nil
}

// subjectExists is ENOTFOUND, naming role and id, when there is no such subject.
func (tx *tx) subjectExists(ctx context.Context, role, id string) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM subjects WHERE id = ?", id).Scan(&n); err != nil {
		return fmt.Errorf("look up subject %s: %w", id, err)
	}
	if n == 0 {
		return notFound("%s: no subject with id %q", role, id)
	}
	return nil
}

// FindSubjects returns a page of subjects, most recently updated first, with the number
// of subjects the filter selects, and records the read, with the IDs returned, in the
// audit trail.
func (db *DB) FindSubjects(ctx context.Context, actor forewarn.Actor, f forewarn.SubjectFilter) ([]*forewarn.Subject, int, error) {
	if err := actor.Validate(); err != nil {
		return nil, 0, err
	}
	switch f.Watch {
	case "", forewarn.WatchNone, forewarn.WatchListed:
	default:
		return nil, 0, forewarn.Invalid("watch", "enum", "unknown watch-list status %q (none or watchlisted)", f.Watch)
	}
	if f.Offset < 0 {
		return nil, 0, forewarn.Invalid("offset", "min", "must not be negative")
	}
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, 0, err
	}
	var order string
	switch f.Sort {
	case "", forewarn.SortRecentlyChanged:
		order = "updated_at DESC, id DESC"
	case forewarn.SortLeastChanged:
		order = "updated_at, id"
	case forewarn.SortName:
		order = "primary_name, id"
	case forewarn.SortNameReverse:
		order = "primary_name DESC, id DESC"
	default:
		return nil, 0, forewarn.Invalid("sort", "enum", "unknown order %q (name, -name, updated or -updated)", f.Sort)
	}
	where, args := "", []any{}
	if f.Watch != "" {
		where, args = " WHERE watch = ?", append(args, string(f.Watch))
	}
	var subjects []*forewarn.Subject
	var total int
	err = db.update(ctx, db.now(), "find subjects", func(tx *tx) error {
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM subjects"+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("count subjects: %w", err)
		}
		rows, err := tx.query(ctx, "SELECT id, data FROM subjects"+where+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, limit, f.Offset)...)
		if err != nil {
			return fmt.Errorf("list subjects: %w", err)
		}
		defer rows.Close()
		subjects = []*forewarn.Subject{}
		for rows.Next() {
			var id, data string
			if err := rows.Scan(&id, &data); err != nil {
				return err
			}
			s, err := decodeSubject(id, data)
			if err != nil {
				return err
			}
			subjects = append(subjects, s)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.audit(ctx, actor, "subject.list", "subject", "", nil, nil, listDetail(f, limit, total, subjects))
	})
	if err != nil {
		return nil, 0, err
	}
	return subjects, total, nil
}

// listDetail says what a FindSubjects call asked for and which subjects it returned, so
// oversight can tell who saw whom.
func listDetail(f forewarn.SubjectFilter, limit, total int, subjects []*forewarn.Subject) string {
	var b strings.Builder
	b.WriteString("watch=")
	if f.Watch == "" {
		b.WriteString("any")
	} else {
		b.WriteString(string(f.Watch))
	}
	b.WriteString(" offset=" + strconv.Itoa(f.Offset) + " limit=" + strconv.Itoa(limit) + " total=" + strconv.Itoa(total) + " returned=" + strconv.Itoa(len(subjects)))
	if len(subjects) > 0 {
		b.WriteString(":")
		for _, s := range subjects {
			b.WriteString(" " + s.ID)
		}
	}
	return b.String()
}
