package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

const matchColumns = "id, message_id, person_ref, fingerprint, subject_id, earlier_message_id, earlier_person_ref, score, summary, explanation, status, decided_by, decided_at, reason, created_at"

// validateMatch checks a match before it is stored; field prefixes its errors.
func validateMatch(field string, m *forewarn.Match) error {
	if m == nil {
		return required(field)
	}
	if !forewarn.IsMessageID(m.MessageID) {
		return forewarn.Invalid(field+".message_id", "uuidv7", "%q is not a message ID", m.MessageID)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"person_ref", m.PersonRef, forewarn.MaxRefBytes}, {"fingerprint", m.Fingerprint, 200}} {
		if strings.TrimSpace(f.value) == "" {
			return forewarn.Invalid(field+"."+f.name, "required", "a match needs its %s", f.name)
		}
		if err := checkText(field+"."+f.name, f.value, f.max); err != nil {
			return err
		}
	}
	if (m.SubjectID == "") == (m.EarlierMessageID == "") {
		return forewarn.Invalid(field+".subject_id", "one_target", "a match is with either a subject or a person in an earlier message")
	}
	if m.EarlierMessageID != "" {
		if !forewarn.IsMessageID(m.EarlierMessageID) {
			return forewarn.Invalid(field+".earlier_message_id", "uuidv7", "%q is not a message ID", m.EarlierMessageID)
		}
		if strings.TrimSpace(m.EarlierPersonRef) == "" {
			return forewarn.Invalid(field+".earlier_person_ref", "required", "a match with an earlier message names the person in it")
		}
	}
	if math.IsNaN(m.Score) || math.IsInf(m.Score, 0) || m.Score < 0 {
		return forewarn.Invalid(field+".score", "range", "the score must be a number, 0 or more")
	}
	if err := checkText(field+".summary", m.Summary, maxDetailBytes); err != nil {
		return err
	}
	if len(m.Explanation) > 0 && !json.Valid(m.Explanation) {
		return forewarn.Invalid(field+".explanation", "json", "the explanation must be JSON")
	}
	return nil
}

// CreateMatches stores matches found outside the arrival of a message, as new pending
// matches, and their alerts, and audits each match. A match given as confirmed, with its
// reason, is stored confirmed by actor: the link between a message this node sent and the
// subject it was written about is known, not a question for an analyst.
func (db *DB) CreateMatches(ctx context.Context, actor forewarn.Actor, ms []*forewarn.Match, alerts []*forewarn.Alert) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	vs := make([]*forewarn.Match, len(ms))
	for i, m := range ms {
		if err := validateMatch(fmt.Sprintf("matches[%d]", i), m); err != nil {
			return err
		}
		v := *m
		v.ID, v.CreatedAt = forewarn.NewID(now), now
		if m.Status == forewarn.MatchConfirmed {
			if strings.TrimSpace(m.Reason) == "" {
				return forewarn.Invalid(fmt.Sprintf("matches[%d].reason", i), "required", "a match stored as confirmed needs the reason")
			}
			v.DecidedBy, v.DecidedAt = actor.ID, now
		} else {
			v.Status, v.DecidedBy, v.DecidedAt, v.Reason = forewarn.MatchPending, "", time.Time{}, ""
		}
		vs[i] = &v
	}
	for i, a := range alerts {
		if err := validateAlert(fmt.Sprintf("alerts[%d]", i), a); err != nil {
			return err
		}
	}
	if len(vs) == 0 && len(alerts) == 0 {
		return nil
	}
	as := newAlerts(alerts, "", now)
	// Where the dialect pipelines (PostgreSQL), the matches found after an arrival are
	// stored in a late transaction (late.go) committed with the arrivals of the moment
	// rather than holding the audit head for a round trip per statement (eight or more,
	// each a wait of every arrival behind it). It assumes the message and subject are
	// there and checks it in its pipeline, holding the head: one erased meanwhile runs it
	// again the usual way, which says which is missing.
	write := db.update
	if db.dialect.Pipeline != nil {
		write = db.updateLate
	} else if db.dialect.SingleWriter {
		// On SQLite they share the commit of the arrivals being stored meanwhile (group
		// commit) rather than make a flush of their own, under the write lock, which
		// every arrival behind them waited for. They are stored whether or not their
		// caller still waits, as the arrivals are: a context ending mid-statement would
		// roll back the whole batch.
		ctx = context.WithoutCancel(ctx)
		write = func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
			return db.updateGrouped(ctx, now, op, fn, nil)
		}
	}
	err := write(ctx, now, "create matches", func(tx *tx) error {
		for _, v := range vs {
			if tx.late() {
				tx.check("SELECT 1 / COUNT(*) FROM messages WHERE id = ?", v.MessageID)
				if v.SubjectID != "" {
					tx.check("SELECT 1 / COUNT(*) FROM subjects WHERE id = ?", v.SubjectID)
				}
			} else {
				if err := tx.messageExists(ctx, v.MessageID); err != nil {
					return err
				}
				if v.SubjectID != "" {
					if err := tx.subjectExists(ctx, "subject_id", v.SubjectID); err != nil {
						return err
					}
				}
			}
			// The message is stored (checked above, in the pipeline before the insert
			// when late).
			if err := tx.insertMatch(ctx, actor, v, matchesOfStored); err != nil {
				return err
			}
		}
		for _, a := range as {
			if err := tx.insertAlert(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, v := range vs {
		*ms[i] = *v
	}
	for i, a := range as {
		*alerts[i] = *a
	}
	return nil
}

// messageTitle is what an error names a message by (forewarn.Message.Title), and its
// sender; "" when the message is not there (erased).
func (tx *tx) messageTitle(ctx context.Context, id string) (title, from string) {
	var data string
	if err := tx.queryRow(ctx, "SELECT message FROM messages WHERE id = ?", id).Scan(&data); err != nil {
		return "", ""
	}
	var m forewarn.Message
	if json.Unmarshal([]byte(data), &m) != nil {
		return "", ""
	}
	return m.Title(), m.From
}

func (tx *tx) messageExists(ctx context.Context, id string) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM messages WHERE id = ?", id).Scan(&n); err != nil {
		return fmt.Errorf("look up message %s: %w", id, err)
	}
	if n == 0 {
		return notFound("no message with id %q", id)
	}
	return nil
}

// insertMatch writes a match and audits it. With a group, a late transaction's batch
// writes it with the batch's other matches of that group in one statement
// (matchesInsert), placed where the first of them would go: matchesOfArrivals for a match
// whose arrival the batch writes earlier still (its grouped insert), matchesOfStored for
// one whose message is stored already. Apart, neither is placed before the other's
// messages.
func (tx *tx) insertMatch(ctx context.Context, actor forewarn.Actor, m *forewarn.Match, group string) error {
	args := []any{m.ID, m.MessageID, m.PersonRef, m.Fingerprint, m.SubjectID, m.EarlierMessageID, m.EarlierPersonRef, m.Score, m.Summary,
		string(m.Explanation), string(m.Status), m.DecidedBy, nullTime(m.DecidedAt), m.Reason, FormatTime(m.CreatedAt)}
	if _, err := tx.exec(ctx, "INSERT INTO matches ("+matchColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args...); err != nil {
		return fmt.Errorf("insert match: %w", err)
	}
	if group != "" && tx.late() {
		tx.queued[len(tx.queued)-1].Group = &Group{Key: group, Rows: args, Merge: matchesInsert}
	}
	detail := fmt.Sprintf("message %s person %s with ", m.MessageID, m.PersonRef)
	if m.SubjectID != "" {
		detail += "subject " + m.SubjectID
	} else {
		detail += "message " + m.EarlierMessageID + " person " + m.EarlierPersonRef
	}
	return tx.audit(ctx, actor, "match.create", "match", m.ID, nil, m, detail+fmt.Sprintf(" score %.3f", m.Score))
}

// The groups of match inserts (insertMatch).
const (
	matchesOfArrivals = "matches of arrivals"
	matchesOfStored   = "matches of stored messages"
)

// matchesInsertNumbered writes the matches of one group of a batch (insertMatch), one array
// per column of matchColumns: one statement, of one shape, rather than one per match.
var matchesInsertNumbered = Rebind("INSERT INTO matches (" + matchColumns + ") SELECT * FROM unnest(" + arrayParams(matchKinds) + ")")

// matchesInsert is the Group.Merge of match inserts (their arguments).
func matchesInsert(rows []any) Statement {
	return Statement{SQL: matchesInsertNumbered, Args: columnArrays(argRows(rows), matchKinds)}
}

func scanMatch(s scanner) (*forewarn.Match, error) {
	var m forewarn.Match
	var explanation, status, created string
	var decided sql.NullString
	if err := s.Scan(&m.ID, &m.MessageID, &m.PersonRef, &m.Fingerprint, &m.SubjectID, &m.EarlierMessageID, &m.EarlierPersonRef, &m.Score, &m.Summary,
		&explanation, &status, &m.DecidedBy, &decided, &m.Reason, &created); err != nil {
		return nil, err
	}
	if explanation != "" {
		m.Explanation = json.RawMessage(explanation)
	}
	m.Status = forewarn.MatchStatus(status)
	var err error
	if m.DecidedAt, err = parseNullTime(decided); err != nil {
		return nil, fmt.Errorf("match %s: %w", m.ID, err)
	}
	if m.CreatedAt, err = ParseTime(created); err != nil {
		return nil, fmt.Errorf("match %s: %w", m.ID, err)
	}
	return &m, nil
}

// matches reads the matches selected by where, which ends with its ORDER BY and LIMIT.
func (tx *tx) matches(ctx context.Context, where string, args ...any) ([]*forewarn.Match, error) {
	return tx.matchesOf(ctx, "SELECT "+matchColumns+" FROM matches WHERE "+where, args...)
}

// matchesOf reads the matches query selects (matchColumns).
func (tx *tx) matchesOf(ctx context.Context, query string, args ...any) ([]*forewarn.Match, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read matches: %w", err)
	}
	defer rows.Close()
	ms := []*forewarn.Match{}
	for rows.Next() {
		m, err := scanMatch(rows)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

func (tx *tx) match(ctx context.Context, id string) (*forewarn.Match, error) {
	m, err := scanMatch(tx.queryRow(ctx, "SELECT "+matchColumns+" FROM matches WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no match with id %q", id)
	}
	return m, err
}

// Match returns one match.
func (db *DB) Match(ctx context.Context, id string) (*forewarn.Match, error) {
	var m *forewarn.Match
	err := db.view(ctx, "read match", func(tx *tx) error {
		var err error
		m, err = tx.match(ctx, id)
		return err
	})
	return m, err
}

// Matches returns a page of matches, newest first, with the number the filter selects.
func (db *DB) Matches(ctx context.Context, f forewarn.MatchFilter) ([]*forewarn.Match, int, error) {
	l, err := db.matchList(f)
	if err != nil {
		return nil, 0, err
	}
	var ms []*forewarn.Match
	var total int
	err = db.view(ctx, "list matches", func(tx *tx) error {
		if err := tx.queryRow(ctx, l.count, l.countArgs...).Scan(&total); err != nil {
			return fmt.Errorf("count matches: %w", err)
		}
		var err error
		ms, err = tx.matchesOf(ctx, l.page, l.pageArgs...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return ms, total, nil
}

// matchList is the statements listing the matches f selects.
func (db *DB) matchList(f forewarn.MatchFilter) (list, error) {
	switch f.Status {
	case "", forewarn.MatchPending, forewarn.MatchConfirmed, forewarn.MatchRejected:
	default:
		return list{}, forewarn.Invalid("status", "enum", "unknown match status %q (pending, confirmed or rejected)", f.Status)
	}
	if f.Offset < 0 {
		return list{}, forewarn.Invalid("offset", "min", "must not be negative")
	}
	limit, err := pageSize(f.Limit)
	if err != nil {
		return list{}, err
	}
	var order string
	switch f.Sort {
	case "", forewarn.SortMatchNewest:
		order = "created_at DESC, id DESC"
	case forewarn.SortMatchOldest:
		order = "created_at, id"
	case forewarn.SortMatchStrongest:
		order = "score DESC, id DESC"
	case forewarn.SortMatchWeakest:
		order = "score, id"
	default:
		return list{}, forewarn.Invalid("sort", "enum", "unknown order %q (created, -created, score or -score)", f.Sort)
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.SubjectID != "" {
		where, args = append(where, "subject_id = ?"), append(args, f.SubjectID)
	}
	if f.MessageID != "" {
		where, args = append(where, "message_id = ?"), append(args, f.MessageID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	from := " FROM matches WHERE " + strings.Join(where, " AND ")
	l := list{count: "SELECT COUNT(*)" + from, countArgs: args,
		page: "SELECT " + matchColumns + from + " ORDER BY " + order + " LIMIT ? OFFSET ?", pageArgs: append(slices.Clip(args), limit, f.Offset)}
	// Where the orders are indexed per status only, a list of every status reads each
	// status's range and merges them (partition.go); a subject's or a message's matches
	// are read by their own keys, few, and sorted.
	if db.dialect.PartitionedLists && f.Status == "" && f.SubjectID == "" && f.MessageID == "" {
		l = list{count: byStatus.count(from), countArgs: byStatus.args(args)}
		l.page, l.pageArgs = byStatus.pageQuery(matchColumns, from, order, args, limit, f.Offset, db.dialect.LimitedParts)
	}
	return l, nil
}

// validateReason checks a decision's reason; need says it is required.
func validateReason(reason string, need bool) error {
	if need && strings.TrimSpace(reason) == "" {
		return forewarn.Invalid("reason", "required", "say why: the decision is kept with its reason")
	}
	return checkText("reason", reason, forewarn.MaxReasonBytes)
}

// decide moves a match to status, recording who decided, when and why, and audits it.
func (tx *tx) decide(ctx context.Context, actor forewarn.Actor, old *forewarn.Match, status forewarn.MatchStatus, reason string) (*forewarn.Match, error) {
	v := *old
	v.Status, v.DecidedBy, v.DecidedAt, v.Reason = status, actor.ID, tx.now, reason
	if _, err := tx.exec(ctx, "UPDATE matches SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
		string(v.Status), v.DecidedBy, FormatTime(v.DecidedAt), v.Reason, v.ID); err != nil {
		return nil, fmt.Errorf("decide match %s: %w", v.ID, err)
	}
	action := map[forewarn.MatchStatus]string{forewarn.MatchConfirmed: "match.confirm", forewarn.MatchRejected: "match.reject"}[status]
	if err := tx.auditNote(ctx, actor, action, "match", v.ID, old, &v, "", reason, v.SubjectID, v.MessageID); err != nil {
		return nil, err
	}
	// The analysts' alert about this match asked for exactly this review: deciding the
	// match answers it. (The liaison desk's alert on the message waits for its
	// acknowledgement.)
	if v.MessageID != "" && v.SubjectID != "" {
		// The reviewer's own words stay in the decision's note, which retention can
		// erase; the closure, written into the chain, names only the decision.
		why := "the match was " + string(status)
		if err := tx.closeAlerts(ctx, actor, "kind = 'match' AND role = ? AND message_id = ? AND subject_id = ? AND resolved_at IS NULL",
			[]any{string(forewarn.RoleAnalyst), v.MessageID, v.SubjectID}, actor.ID, "", why); err != nil {
			return nil, err
		}
	}
	return &v, nil
}

// RejectMatch records that a pending or confirmed match is not the same person, with the
// reason, and remembers the pair so the matcher does not raise it again. Aliases and
// claims a confirmation merged stay: nothing is deleted.
func (db *DB) RejectMatch(ctx context.Context, actor forewarn.Actor, id, reason string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if err := validateReason(reason, true); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "reject match", func(tx *tx) error {
		old, err := tx.match(ctx, id)
		if err != nil {
			return err
		}
		if old.Status == forewarn.MatchRejected {
			title, from := tx.messageTitle(ctx, old.MessageID)
			return forewarn.Errorf(forewarn.ECONFLICT, "the match of a person in %s's “%s” was already rejected by %s on %s", from, title, old.DecidedBy, old.DecidedAt.Format(time.RFC3339))
		}
		if _, err := tx.decide(ctx, actor, old, forewarn.MatchRejected, reason); err != nil {
			return err
		}
		if old.SubjectID == "" {
			return nil
		}
		// Another match of the same description may have rejected the pair already.
		if _, err := tx.exec(ctx, "INSERT INTO rejected_pairs (subject_id, fingerprint, match_id, rejected_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			old.SubjectID, old.Fingerprint, old.ID, FormatTime(tx.now)); err != nil {
			return fmt.Errorf("record rejected pair: %w", err)
		}
		return nil
	})
}

// RejectedPair reports whether an analyst rejected the subject for this fingerprint.
func (db *DB) RejectedPair(ctx context.Context, subjectID, fingerprint string) (bool, error) {
	var n int
	err := db.view(ctx, "look up rejected pair", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM rejected_pairs WHERE subject_id = ? AND fingerprint = ?", subjectID, fingerprint).Scan(&n)
	})
	return n > 0, err
}

// ConfirmMatch records that a pending match with a subject is the same person and, in the
// same transaction, merges what the message said into the subject without overwriting
// anything: names it lacks are added as aliases with their source (the message's sender
// when none is given), and claims are recorded as new claims from the message.
func (db *DB) ConfirmMatch(ctx context.Context, actor forewarn.Actor, id, reason string, aliases []forewarn.Name, claims []*forewarn.Claim) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if err := validateReason(reason, false); err != nil {
		return err
	}
	names := make([]forewarn.Name, 0, len(aliases))
	for i, n := range aliases {
		n.Value, n.Kind = strings.TrimSpace(n.Value), forewarn.NameAlias
		if err := validateAlias(fmt.Sprintf("aliases[%d]", i), n); err != nil {
			return err
		}
		names = append(names, n)
	}
	cs := make([]*forewarn.Claim, len(claims))
	for i, c := range claims {
		if c == nil {
			return required(fmt.Sprintf("claims[%d]", i))
		}
		v := *c
		if v.SubjectID == "" {
			v.SubjectID = "(the matched subject)" // filled in below, once the match is read
		}
		if err := v.Validate(now); err != nil {
			return err
		}
		if err := validateClaimMessage(&v); err != nil {
			return err
		}
		v.ID, v.Preferred, v.PreferredReason = forewarn.NewID(now), false, ""
		if v.RecordedAt.IsZero() {
			v.RecordedAt = now
		}
		cs[i] = &v
	}
	err := db.update(ctx, now, "confirm match", func(tx *tx) error {
		old, err := tx.match(ctx, id)
		if err != nil {
			return err
		}
		switch old.Status {
		case forewarn.MatchConfirmed:
			title, from := tx.messageTitle(ctx, old.MessageID)
			return forewarn.Errorf(forewarn.ECONFLICT, "the match of a person in %s's “%s” was already confirmed by %s on %s", from, title, old.DecidedBy, old.DecidedAt.Format(time.RFC3339))
		case forewarn.MatchRejected:
			title, from := tx.messageTitle(ctx, old.MessageID)
			return forewarn.Errorf(forewarn.ECONFLICT, "the match of a person in %s's “%s” was rejected by %s on %s; a rejected match is not confirmed", from, title, old.DecidedBy, old.DecidedAt.Format(time.RFC3339))
		}
		if old.SubjectID == "" {
			return forewarn.Invalid("id", "subject_match", "this match links two messages, not a message and a subject; there is no subject to merge into")
		}
		for i, c := range cs {
			if claims[i].SubjectID == "" {
				c.SubjectID = old.SubjectID
			}
			if c.SubjectID != old.SubjectID {
				return forewarn.Invalid(fmt.Sprintf("claims[%d].subject_id", i), "matched_subject", "a claim merged by a match must be about the matched subject %s", old.SubjectID)
			}
			if c.MessageID == "" {
				c.MessageID = old.MessageID
			}
		}
		if _, err := tx.decide(ctx, actor, old, forewarn.MatchConfirmed, reason); err != nil {
			return err
		}
		before, err := tx.subject(ctx, old.SubjectID)
		if err != nil {
			return err
		}
		var from string
		if err := tx.queryRow(ctx, "SELECT from_agency FROM messages WHERE id = ?", old.MessageID).Scan(&from); err != nil {
			return fmt.Errorf("read sender of message %s: %w", old.MessageID, err)
		}
		after := *before
		after.Names = append([]forewarn.Name(nil), before.Names...)
		added := 0
		for _, n := range names {
			if hasName(after.Names, n.Value) {
				continue
			}
			if n.Source == "" {
				n.Source = from
			}
			after.Names = append(after.Names, n)
			added++
		}
		if added > 0 || len(cs) > 0 {
			if err := after.Validate(now); err != nil {
				return err
			}
			after.UpdatedAt = now
			detail := fmt.Sprintf("confirmed match %s: %d aliases, %d claims from message %s", id, added, len(cs), old.MessageID)
			if err := tx.saveSubject(ctx, actor, before, &after, detail); err != nil {
				return err
			}
		}
		for _, c := range cs {
			if err := tx.insertClaim(ctx, actor, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range cs {
		*claims[i] = *c
	}
	return nil
}

// validateAlias checks a name to be added to a subject by the rules of Subject.Validate.
func validateAlias(field string, n forewarn.Name) error {
	if n.Value == "" {
		return forewarn.Invalid(field+".value", "required", "must not be empty")
	}
	if strings.ContainsAny(n.Value, "\n\r\t") {
		return forewarn.Invalid(field+".value", "single_line", "a name must be on one line")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"value", n.Value, forewarn.MaxNameBytes}, {"script", n.Script, 8}, {"lang", n.Lang, 35}, {"source", n.Source, 200}} {
		if err := checkText(field+"."+f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return nil
}

func hasName(names []forewarn.Name, value string) bool {
	for _, n := range names {
		if n.Value == value {
			return true
		}
	}
	return false
}

// PreferClaim marks a claim preferred, with the analyst's reason, over the subject's other
// claims of the same kind and value, the ones it conflicts with; their preference, if one
// had it, is cleared. Nothing is deleted.
func (db *DB) PreferClaim(ctx context.Context, actor forewarn.Actor, claimID, reason string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if err := validateReason(reason, true); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "prefer claim", func(tx *tx) error {
		old, err := tx.claim(ctx, claimID)
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, "UPDATE claims SET preferred = ?, preferred_reason = '' WHERE subject_id = ? AND kind = ? AND value = ? AND id <> ? AND preferred = ?",
			false, old.SubjectID, string(old.Kind), old.Value, old.ID, true)
		if err != nil {
			return fmt.Errorf("clear preferred claims: %w", err)
		}
		cleared, err := res.RowsAffected()
		if err != nil {
			return err
		}
		v := *old
		v.Preferred, v.PreferredReason = true, reason
		if _, err := tx.exec(ctx, "UPDATE claims SET preferred = ?, preferred_reason = ? WHERE id = ?", true, reason, v.ID); err != nil {
			return fmt.Errorf("prefer claim: %w", err)
		}
		detail := fmt.Sprintf("subject %s; %d other claims no longer preferred", v.SubjectID, cleared)
		return tx.auditNote(ctx, actor, "claim.prefer", "claim", v.ID, old, &v, detail, reason, v.SubjectID, "")
	})
}
