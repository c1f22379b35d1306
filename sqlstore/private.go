package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/forewarn/forewarn"
)

// Private matching: both sides' records of private queries and the per-peer limits
// (migration 0180).

func validPrivateQuery(q *forewarn.PrivateQuery) error {
	switch {
	case !forewarn.IsMessageID(q.ID):
		return forewarn.Invalid("id", "uuidv7", "%q is not a query ID", q.ID)
	case q.Direction != forewarn.DirectionIn && q.Direction != forewarn.DirectionOut:
		return forewarn.Invalid("direction", "enum", "a private query is in or out, not %q", q.Direction)
	case !forewarn.IsAgencyCode(q.Peer):
		return forewarn.Invalid("peer", "agency_code", "%q is not an agency code like TR-MIT", q.Peer)
	case q.Persons < 1 || q.Persons > forewarn.MaxPrivatePersons:
		return forewarn.Invalid("persons", "range", "a query asks about 1 to %d persons, not %d", forewarn.MaxPrivatePersons, q.Persons)
	case len(q.Digest) != 64:
		return forewarn.Invalid("digest", "sha256", "the digest must be 64 hex digits")
	}
	return nil
}

// AcceptPrivateQuery records a peer's query, refusing replays and queries over the peer's
// daily limit.
func (db *DB) AcceptPrivateQuery(ctx context.Context, actor forewarn.Actor, q *forewarn.PrivateQuery, dayStart time.Time) error {
	if err := validPrivateQuery(q); err != nil {
		return err
	}
	if q.Direction != forewarn.DirectionIn {
		return forewarn.Invalid("direction", "enum", "a query accepted from a peer is in")
	}
	now := db.now()
	return db.update(ctx, now, "accept private query", func(tx *tx) error {
		// The audit entry comes first: appending it takes the audit head's lock, so two
		// queries of one peer are counted one after the other, never both against the
		// same total.
		detail := fmt.Sprintf("%s asked privately about %d persons (epoch %s)", q.Peer, q.Persons, q.Epoch)
		if err := tx.audit(ctx, actor, "private_match.answer", "private_query", q.ID, nil, q, detail); err != nil {
			return err
		}
		limit, err := tx.privateLimit(ctx, q.Peer)
		if err != nil {
			return err
		}
		var asked int
		if err := tx.queryRow(ctx, "SELECT COALESCE(SUM(persons), 0) FROM private_queries WHERE direction = 'in' AND peer = ? AND created_at >= ?",
			q.Peer, FormatTime(dayStart)).Scan(&asked); err != nil {
			return fmt.Errorf("count private queries: %w", err)
		}
		if asked+q.Persons > limit {
			return forewarn.Errorf(forewarn.EFORBIDDEN, "%s may ask privately about %d persons a day; it asked about %d today and this query asks about %d more", q.Peer, limit, asked, q.Persons)
		}
		var one int
		switch err := tx.queryRow(ctx, "SELECT 1 FROM private_queries WHERE direction = 'in' AND ((peer = ? AND id = ?) OR digest = ?)", q.Peer, q.ID, q.Digest).Scan(&one); err {
		case nil:
			return forewarn.Errorf(forewarn.ECONFLICT, "a replay: this query from %s, or its blinded elements, was answered before", q.Peer)
		case sql.ErrNoRows:
		default:
			return err
		}
		q.CreatedAt = now
		return tx.insertPrivateQuery(ctx, q)
	})
}

func (tx *tx) insertPrivateQuery(ctx context.Context, q *forewarn.PrivateQuery) error {
	results, err := json.Marshal(q.Results)
	if err != nil {
		return err
	}
	if q.Results == nil {
		results = []byte("[]")
	}
	_, err = tx.exec(ctx, "INSERT INTO private_queries (direction, peer, id, persons, digest, epoch, created_at, asked_by, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		string(q.Direction), q.Peer, q.ID, q.Persons, q.Digest, q.Epoch, FormatTime(q.CreatedAt), q.AskedBy, string(results))
	if err != nil {
		return fmt.Errorf("insert private query: %w", err)
	}
	return nil
}

// privateLimit is the peer's daily persons limit: its agreement's when it has one, else
// the one set for it, else the default.
func (tx *tx) privateLimit(ctx context.Context, peer string) (int, error) {
	a, err := tx.agreement(ctx, peer)
	if err == nil {
		return a.PrivatePersonsPerDay, nil
	}
	if forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		return 0, err
	}
	var limit int
	switch err := tx.queryRow(ctx, "SELECT persons_per_day FROM private_limits WHERE peer = ?", peer).Scan(&limit); err {
	case nil:
		return limit, nil
	case sql.ErrNoRows:
		return forewarn.DefaultPrivateLimit, nil
	default:
		return 0, fmt.Errorf("read private limit: %w", err)
	}
}

// RecordPrivateAsk records a query this node asked, its bands and the alerts for its hits.
func (db *DB) RecordPrivateAsk(ctx context.Context, actor forewarn.Actor, q *forewarn.PrivateQuery, alerts []*forewarn.Alert) error {
	if err := validPrivateQuery(q); err != nil {
		return err
	}
	if q.Direction != forewarn.DirectionOut {
		return forewarn.Invalid("direction", "enum", "a query this node asked is out")
	}
	now := db.now()
	return db.update(ctx, now, "record private query", func(tx *tx) error {
		if q.CreatedAt.IsZero() {
			q.CreatedAt = now
		}
		if err := tx.insertPrivateQuery(ctx, q); err != nil {
			return err
		}
		hits := 0
		for _, r := range q.Results {
			if r.Band != forewarn.PrivateBandNone {
				hits++
			}
		}
		detail := fmt.Sprintf("asked %s privately about %d persons: %d likely held", q.Peer, q.Persons, hits)
		if err := tx.audit(ctx, actor, "private_match.ask", "private_query", q.ID, nil, q, detail); err != nil {
			return err
		}
		return tx.insertAlerts(ctx, now, alerts)
	})
}

func (tx *tx) insertAlerts(ctx context.Context, now time.Time, alerts []*forewarn.Alert) error {
	for _, a := range alerts {
		if a.ID == "" {
			a.ID = forewarn.NewID(now)
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		if err := tx.insertAlert(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// RecordPrivateReport records the subjects an asker reported as matching, once.
func (db *DB) RecordPrivateReport(ctx context.Context, actor forewarn.Actor, peer, queryID string, results []forewarn.PrivateResult, alerts []*forewarn.Alert) error {
	now := db.now()
	return db.update(ctx, now, "record private report", func(tx *tx) error {
		var reported sql.NullString
		switch err := tx.queryRow(ctx, "SELECT reported_at FROM private_queries WHERE direction = 'in' AND peer = ? AND id = ?", peer, queryID).Scan(&reported); err {
		case nil:
		case sql.ErrNoRows:
			return forewarn.Errorf(forewarn.ENOTFOUND, "%s asked no such private query of this node", peer)
		default:
			return err
		}
		if reported.Valid {
			return forewarn.Errorf(forewarn.ECONFLICT, "a replay: %s reported the hits of this query before", peer)
		}
		if results == nil {
			results = []forewarn.PrivateResult{}
		}
		b, err := json.Marshal(results)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE private_queries SET results = ?, reported_at = ? WHERE direction = 'in' AND peer = ? AND id = ?",
			string(b), FormatTime(now), peer, queryID); err != nil {
			return fmt.Errorf("record private report: %w", err)
		}
		detail := fmt.Sprintf("%s reported %d of its persons likely held here", peer, len(results))
		if err := tx.audit(ctx, actor, "private_match.report", "private_query", queryID, nil, results, detail); err != nil {
			return err
		}
		return tx.insertAlerts(ctx, now, alerts)
	})
}

const privateColumns = "direction, peer, id, persons, digest, epoch, created_at, asked_by, results, reported_at"

func scanPrivateQuery(sc interface{ Scan(...any) error }) (*forewarn.PrivateQuery, error) {
	var q forewarn.PrivateQuery
	var dir, created, results string
	var reported sql.NullString
	if err := sc.Scan(&dir, &q.Peer, &q.ID, &q.Persons, &q.Digest, &q.Epoch, &created, &q.AskedBy, &results, &reported); err != nil {
		return nil, err
	}
	q.Direction = forewarn.Direction(dir)
	var err error
	if q.CreatedAt, err = ParseTime(created); err != nil {
		return nil, err
	}
	if reported.Valid {
		if q.ReportedAt, err = ParseTime(reported.String); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal([]byte(results), &q.Results); err != nil {
		return nil, fmt.Errorf("private query %s: results: %w", q.ID, err)
	}
	return &q, nil
}

// PrivateQueries returns up to limit queries of a direction, newest first.
func (db *DB) PrivateQueries(ctx context.Context, dir forewarn.Direction, limit int) ([]*forewarn.PrivateQuery, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	var out []*forewarn.PrivateQuery
	err = db.view(ctx, "list private queries", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT "+privateColumns+" FROM private_queries WHERE direction = ? ORDER BY created_at DESC, id DESC LIMIT ?", string(dir), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			q, err := scanPrivateQuery(rows)
			if err != nil {
				return err
			}
			out = append(out, q)
		}
		return rows.Err()
	})
	return out, err
}

// PrivateQuery returns one query.
func (db *DB) PrivateQuery(ctx context.Context, dir forewarn.Direction, peer, id string) (*forewarn.PrivateQuery, error) {
	var q *forewarn.PrivateQuery
	err := db.view(ctx, "read private query", func(tx *tx) error {
		var err error
		q, err = scanPrivateQuery(tx.queryRow(ctx, "SELECT "+privateColumns+" FROM private_queries WHERE direction = ? AND peer = ? AND id = ?", string(dir), peer, id))
		if err == sql.ErrNoRows {
			return forewarn.Errorf(forewarn.ENOTFOUND, "there is no such private query with %s", peer)
		}
		return err
	})
	return q, err
}

// SetPrivateLimit sets a peer's daily persons limit.
func (db *DB) SetPrivateLimit(ctx context.Context, actor forewarn.Actor, peer string, personsPerDay int) error {
	if !forewarn.IsAgencyCode(peer) {
		return forewarn.Invalid("peer", "agency_code", "%q is not an agency code like TR-MIT", peer)
	}
	if personsPerDay < 0 || personsPerDay > forewarn.MaxPrivateLimit {
		return forewarn.Invalid("persons_per_day", "range", "a limit is 0 to %d persons a day, not %d", forewarn.MaxPrivateLimit, personsPerDay)
	}
	now := db.now()
	return db.update(ctx, now, "set private limit", func(tx *tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM private_limits WHERE peer = ?", peer); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO private_limits (peer, persons_per_day, updated_at) VALUES (?, ?, ?)", peer, personsPerDay, FormatTime(now)); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "private_match.limit", "peer", peer, nil, nil, fmt.Sprintf("%s may ask privately about %d persons a day", peer, personsPerDay))
	})
}

// PrivateUse returns how often each peer asked since since, with its limit.
func (db *DB) PrivateUse(ctx context.Context, since time.Time) ([]forewarn.PrivatePeerUse, error) {
	var out []forewarn.PrivatePeerUse
	err := db.view(ctx, "private use", func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT p.peer, COALESCE(q.n, 0), COALESCE(q.persons, 0), COALESCE(l.persons_per_day, ?)
			FROM (SELECT peer FROM private_queries WHERE direction = 'in' AND created_at >= ? UNION SELECT peer FROM private_limits
				UNION SELECT agency_code FROM sharing_agreements) p
			LEFT JOIN (SELECT peer, COUNT(*) AS n, SUM(persons) AS persons FROM private_queries WHERE direction = 'in' AND created_at >= ? GROUP BY peer) q ON q.peer = p.peer
			LEFT JOIN private_limits l ON l.peer = p.peer
			ORDER BY p.peer`, forewarn.DefaultPrivateLimit, FormatTime(since), FormatTime(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u forewarn.PrivatePeerUse
			if err := rows.Scan(&u.Peer, &u.Queries, &u.Persons, &u.PersonsPerDay); err != nil {
				return err
			}
			out = append(out, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		for i := range out {
			if a, err := tx.agreement(ctx, out[i].Peer); err == nil {
				out[i].PersonsPerDay = a.PrivatePersonsPerDay
			}
		}
		return nil
	})
	return out, err
}

// KeepPrivatePeerSet stores a peer's set in place of the one kept before (migration 0340).
func (db *DB) KeepPrivatePeerSet(ctx context.Context, actor forewarn.Actor, s *forewarn.PrivatePeerSet) error {
	switch {
	case !forewarn.IsAgencyCode(s.Peer):
		return forewarn.Invalid("peer", "agency_code", "%q is not an agency code like TR-MIT", s.Peer)
	case s.Epoch == "":
		return forewarn.Invalid("epoch", "required", "a kept set names its epoch")
	case len(s.Digest) != 64:
		return forewarn.Invalid("digest", "sha256", "the digest must be 64 hex digits")
	case len(s.Set)%8 != 0:
		return forewarn.Invalid("set", "fingerprints", "a set of %d bytes is not whole 8-byte fingerprints", len(s.Set))
	}
	now := db.now()
	return db.update(ctx, now, "keep private peer set", func(tx *tx) error {
		if s.FetchedAt.IsZero() {
			s.FetchedAt = now
		}
		if _, err := tx.exec(ctx, "DELETE FROM private_peer_sets WHERE peer = ?", s.Peer); err != nil {
			return fmt.Errorf("replace private peer set: %w", err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO private_peer_sets (peer, epoch, digest, fingerprints, fetched_at) VALUES (?, ?, ?, ?, ?)",
			s.Peer, s.Epoch, s.Digest, s.Set, FormatTime(s.FetchedAt)); err != nil {
			return fmt.Errorf("keep private peer set: %w", err)
		}
		detail := fmt.Sprintf("kept %s's private-match set of epoch %s: %d fingerprints", s.Peer, s.Epoch, len(s.Set)/8)
		if s.Received != "" {
			detail += ", from " + s.Received
		}
		return tx.audit(ctx, actor, "private_match.set", "peer", s.Peer, nil, s, detail)
	})
}

// PrivatePeerSetVersion returns the epoch and digest of the set kept for peer.
func (db *DB) PrivatePeerSetVersion(ctx context.Context, peer string) (epoch, digest string, err error) {
	err = db.view(ctx, "read private peer set version", func(tx *tx) error {
		err := tx.queryRow(ctx, "SELECT epoch, digest FROM private_peer_sets WHERE peer = ?", peer).Scan(&epoch, &digest)
		if err == sql.ErrNoRows {
			return forewarn.Errorf(forewarn.ENOTFOUND, "no private-match set of %s is kept", peer)
		}
		return err
	})
	return epoch, digest, err
}

// PrivatePeerSet returns the set kept for peer.
func (db *DB) PrivatePeerSet(ctx context.Context, peer string) (*forewarn.PrivatePeerSet, error) {
	s := &forewarn.PrivatePeerSet{Peer: peer}
	err := db.view(ctx, "read private peer set", func(tx *tx) error {
		var fetched string
		err := tx.queryRow(ctx, "SELECT epoch, digest, fingerprints, fetched_at FROM private_peer_sets WHERE peer = ?", peer).Scan(&s.Epoch, &s.Digest, &s.Set, &fetched)
		if err == sql.ErrNoRows {
			return forewarn.Errorf(forewarn.ENOTFOUND, "no private-match set of %s is kept", peer)
		}
		if err != nil {
			return err
		}
		s.FetchedAt, err = ParseTime(fetched)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}
