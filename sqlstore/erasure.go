package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/forewarn/forewarn"
)

// queueErasureNotices writes, in the erasure's transaction, the notice each originator
// whose agreement asks to be told is owed (docs/retention.md, "Telling the originator").
func (tx *tx) queueErasureNotices(ctx context.Context, ts *forewarn.Tombstone) error {
	for _, em := range ts.Messages {
		a, err := tx.agreement(ctx, em.From)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if !a.NotifyErasure {
			continue
		}
		n := &forewarn.ErasureNotice{ID: forewarn.NewID(tx.now), MessageID: em.ID, Originator: em.From, Erased: ts.Kind, ObjectID: ts.ObjectID,
			Digest: ts.Digest, ErasedAt: ts.ErasedAt}
		data, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO erasure_notices (id, message_id, originator, erased_at, notice_id, refused, data) VALUES (?, ?, ?, ?, '', '', ?)",
			n.ID, n.MessageID, n.Originator, FormatTime(n.ErasedAt), string(data)); err != nil {
			return fmt.Errorf("queue erasure notice: %w", err)
		}
	}
	return nil
}

// PendingErasureNotices returns the erasure notices neither sent nor refused, oldest first.
func (db *DB) PendingErasureNotices(ctx context.Context) ([]*forewarn.ErasureNotice, error) {
	var out []*forewarn.ErasureNotice
	err := db.view(ctx, "list erasure notices", func(tx *tx) error {
		var err error
		out, err = queryDocs[forewarn.ErasureNotice](ctx, tx, "erasure notice",
			"SELECT data FROM erasure_notices WHERE notice_id = '' AND refused = '' ORDER BY erased_at, id")
		return err
	})
	return out, err
}

// RefuseErasureNotice settles a pending notice as one that cannot go, audited.
func (db *DB) RefuseErasureNotice(ctx context.Context, actor forewarn.Actor, id, reason string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if reason == "" {
		return required("reason")
	}
	now := db.now()
	return db.update(ctx, now, "refuse erasure notice", func(tx *tx) error {
		return tx.settleErasureNotice(ctx, actor, id, "", reason)
	})
}

// settleErasureNotice records a pending notice as sent (noticeID, in the transaction of
// the message that tells the originator) or refused, once: ECONFLICT when it is settled.
func (tx *tx) settleErasureNotice(ctx context.Context, actor forewarn.Actor, id, noticeID, refused string) error {
	n, err := queryDoc[forewarn.ErasureNotice](ctx, tx, "erasure notice "+id, notFound("there is no erasure notice %q", id),
		"SELECT data FROM erasure_notices WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n.NoticeID != "" || n.Refused != "" {
		return forewarn.Errorf(forewarn.ECONFLICT, "the erasure notice to %s about %s is settled already", n.Originator, n.MessageID)
	}
	before := *n
	n.NoticeID, n.Refused, n.SettledAt = noticeID, refused, tx.now
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	// A late transaction decided from an unlocked read: the write must still find it pending.
	if err := tx.execOne(ctx, "UPDATE erasure_notices SET notice_id = ?, refused = ?, data = ? WHERE id = ? AND notice_id = '' AND refused = ''",
		noticeID, refused, string(data), id); err != nil {
		return fmt.Errorf("settle erasure notice: %w", err)
	}
	action, detail := "erasure.notice_sent", fmt.Sprintf("to %s about message %s: notice %s", n.Originator, n.MessageID, noticeID)
	if refused != "" {
		action, detail = "erasure.notice_refused", fmt.Sprintf("to %s about message %s: %s", n.Originator, n.MessageID, refused)
	}
	return tx.audit(ctx, actor, action, "erasure_notice", n.ID, &before, n, detail)
}

// scrubForwards erases, with the persons erased from the received message mid (refs; all
// of them when nil), the free text of the forwards of that message, which may concern
// them: the liaison officer's reason, the originator's answer and a supervisor's
// justification each become ErasedText and the digest of what they said, as an audit note
// does (docs/retention.md). The messages the forwards sent or received (the consent
// request, the originator's answer, the forwarded copy, the override notice) carry the
// same persons under the same references and quote the reasons: they lose them too.
func (tx *tx) scrubForwards(ctx context.Context, mid string, refs map[string]bool, names []string) error {
	fws, err := queryDocs[forewarn.Forward](ctx, tx, "forward", "SELECT data FROM forwards WHERE message_id = ? ORDER BY created_at, id", mid)
	if err != nil {
		return err
	}
	for _, f := range fws {
		for _, s := range []*string{&f.Reason, &f.AnswerReason, &f.Justification} {
			if *s != "" && !strings.HasPrefix(*s, forewarn.ErasedText) {
				*s = forewarn.ErasedText + " " + strings.TrimPrefix(noteDigest(*s), "note ")
			}
		}
		data, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE forwards SET data = ? WHERE id = ?", string(data), f.ID); err != nil {
			return fmt.Errorf("scrub forward %s: %w", f.ID, err)
		}
		for _, id := range []string{f.ConsentRequestID, f.AnswerID, f.ForwardedID, f.NoticeID} {
			if id == "" || id == mid {
				continue
			}
			// Counted apart: the tombstone counts the persons of the messages the
			// erasure is about, and its originators are told of those alone.
			if err := tx.erasePersons(ctx, &forewarn.Tombstone{}, id, refs, names); err != nil {
				return err
			}
		}
	}
	return nil
}

// namesOf returns the names of the persons an erasure is about: a subject's names, or
// those of every person in a received message. A missing item returns none; the erasure
// itself says it is not there.
func (tx *tx) namesOf(ctx context.Context, kind forewarn.RetentionKind, id string) ([]string, error) {
	var names []string
	if kind == forewarn.RetainSubject {
		s, err := tx.subject(ctx, id)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, n := range s.Names {
			names = append(names, n.Value)
		}
		return names, nil
	}
	var data string
	err := tx.queryRow(ctx, "SELECT message FROM messages WHERE id = ?", id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeMessage(id, data)
	if err != nil {
		return nil, err
	}
	for _, p := range m.Persons() {
		for _, n := range p.Names {
			names = append(names, n.Value)
		}
	}
	return names, nil
}

// auditNaming returns, by Seq, the audit entries whose detail holds one of the words of
// names (each word of four letters or more, compared without regard to case): entries
// written before reasons were kept apart from the chain (migration 0210) may quote a
// person. They are reported, never rewritten: changing one would break the chain
// (docs/retention.md, "Audit entries written before 0210"). It reads the whole trail,
// which an erasure, rare and deliberate, can afford.
func (tx *tx) auditNaming(ctx context.Context, names []string) ([]int64, error) {
	words := map[string]bool{}
	for _, n := range names {
		for _, w := range strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if utf8.RuneCountInString(w) >= 4 {
				words[strings.ToLower(w)] = true
			}
		}
	}
	if len(words) == 0 {
		return nil, nil
	}
	// LOWER and LIKE ignore case for ASCII letters only on SQLite, and LIKE not at all
	// on PostgreSQL: each word is also looked for upper-cased, capitalised and without
	// its accents.
	var conds []string
	var args []any
	for w := range words {
		plain := stripAccents(w)
		for _, v := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:], plain, strings.ToUpper(plain)} {
			conds = append(conds, "LOWER(detail) LIKE ?", "detail LIKE ?")
			args = append(args, "%"+strings.ToLower(v)+"%", "%"+v+"%")
		}
	}
	q := "SELECT seq FROM audit_entries WHERE " + strings.Join(conds, " OR ")
	rows, err := tx.query(ctx, q+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("find audit entries naming the erased: %w", err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		seqs = append(seqs, seq)
	}
	return seqs, rows.Err()
}

// stripAccents removes the combining marks of s ("mostefaï" → "mostefai").
func stripAccents(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
