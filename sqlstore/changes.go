package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/forewarn/forewarn"
)

// The change log is written by triggers (migration 0030 of each dialect), in the same
// transaction as the write it records, so every writer is seen, whatever its code path.

// MaxChangeBatch is the most changes one Changes call returns.
const MaxChangeBatch = 1000

// changeLookup is how many keys one IN (…) list names.
const changeLookup = 256

// ChangeHead returns the Seq of the latest committed change, 0 when there is none.
func (db *DB) ChangeHead(ctx context.Context) (int64, error) {
	var head int64
	err := db.view(ctx, "read change head", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&head)
	})
	return head, err
}

// Changes returns up to limit changes after the given Seq, oldest first, each with the
// subject or received message as it is now (nil when it is gone). The change rows and
// their objects are read by one statement, so the objects are as new as the changes
// that name them or newer, and a catch-up costs one round trip: it runs before every
// match.
func (db *DB) Changes(ctx context.Context, after int64, limit int) ([]forewarn.Change, error) {
	if after < 0 {
		return nil, forewarn.Invalid("after", "min", "must not be negative")
	}
	if limit <= 0 || limit > MaxChangeBatch {
		limit = MaxChangeBatch
	}
	var out []forewarn.Change
	var data []sql.NullString
	err := db.view(ctx, "read changes", func(tx *tx) error {
		rows, err := tx.query(ctx, changesQuery, after, limit)
		if err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c forewarn.Change
			var kind string
			var subject, message sql.NullString
			if err := rows.Scan(&c.Seq, &kind, &c.ID, &subject, &message); err != nil {
				return fmt.Errorf("read changes: %w", err)
			}
			c.Kind = forewarn.ChangeKind(kind)
			out = append(out, c)
			if c.Kind == forewarn.ChangeSubject {
				data = append(data, subject)
			} else {
				data = append(data, message)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// An object changed more than once in the batch is decoded once, at its last change
	// (the one the match index applies); all its changes carry it.
	last := make(map[string]int, len(out))
	for i, c := range out {
		last[string(c.Kind)+":"+c.ID] = i
	}
	for i := len(out) - 1; i >= 0; i-- {
		c := &out[i]
		j := last[string(c.Kind)+":"+c.ID]
		if j != i {
			c.Subject, c.Message = out[j].Subject, out[j].Message
			continue
		}
		if !data[i].Valid {
			continue // gone since
		}
		switch c.Kind {
		case forewarn.ChangeSubject:
			if c.Subject, err = decodeSubject(c.ID, data[i].String); err != nil {
				return nil, err
			}
		case forewarn.ChangeMessage:
			if c.Message, err = decodeMessage(c.ID, data[i].String); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// changesQuery reads the changes after a Seq with the subject or received message each
// names, as it is now. Each object is read by its key, for each change returned: as a
// join, PostgreSQL planned the received messages through their direction index when its
// statistics were not yet gathered (a new node taking a burst) and read every message
// received so far, into a hash or a loop, for each catch-up of a few changes. The
// direction is asked of the row found, not of the lookup: with "direction = 'in'" beside
// the key, PostgreSQL planning on empty tables (and keeping the plan) found the
// (direction, urgency, created, id) index as cheap as the key, and read every received
// message in it for each change.
const changesQuery = "SELECT c.seq, c.kind, c.object_id," +
	" CASE WHEN c.kind = 'subject' THEN (SELECT s.data FROM subjects s WHERE s.id = c.object_id) END," +
	" CASE WHEN c.kind = 'message' THEN (SELECT CASE WHEN m.direction = 'in' THEN m.message END FROM messages m WHERE m.id = c.object_id) END" +
	" FROM changes c WHERE c.seq > ? ORDER BY c.seq LIMIT ?"

func decodeMessage(id, data string) (*forewarn.Message, error) {
	var m forewarn.Message
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	return &m, nil
}

// ChecksMatchedThrough reports that ReceiveMessage checks StoredMessage.MatchedThrough,
// and CreateMessage reports the subjects changed since (forewarn.MatchChecker). Where one
// writer at a time commits (SQLite), the changes between the Seq an arrival was matched
// through and its own are all committed when it is stored, and are read in the
// transaction that stores it. On PostgreSQL the arrival's insert locks change_head (its
// trigger), which every writer of a change holds to commit, so once it has, every
// earlier change is committed and seen by the statements that follow: a late arrival
// checks them there, in its pipeline (matchedGuard), and one that runs holding the head
// reads them as on SQLite.
func (db *DB) ChecksMatchedThrough() bool {
	return db.dialect.SingleWriter || db.dialect.WritableCTE && db.dialect.Pipeline != nil
}

// maxMatchedBehind is how many changes an arrival's check reads at most: an index
// further behind than that is caught up first.
const maxMatchedBehind = 256

// arrivalChange returns the Seq of the change the arrival just inserted logged, the
// latest (one writer at a time, or on PostgreSQL the one holding change_head), after
// checking that every change after matched and before it is an arrival stored for the
// matcher: told of it, committed (db.arrivals), being stored now by this DB
// (db.storing, the only change of its message since), or earlier in this transaction
// (tx.arrivals). Those are the arrivals matched while this one was, each before the
// other was stored, as whoever matches first while another waits to be stored. Any other
// change (a subject, a message another writer stored or erased) the matcher may not have
// had: ErrIndexBehind, and the caller matches again.
//
// The Seqs are read first, alone: nearly always each change but the latest is an arrival
// told or earlier in this transaction, known by its Seq, and neither the kind nor the
// object of any is needed. Only otherwise are they read, with the Seqs again.
func (tx *tx) arrivalChange(ctx context.Context, matched int64) (int64, error) {
	if seq, ok, err := tx.arrivalChangeKnown(ctx, matched); err != nil || ok {
		return seq, err
	}
	rows, err := tx.query(ctx, arrivalChangesQuery, matched, maxMatchedBehind+1)
	if err != nil {
		return 0, fmt.Errorf("read the changes since %d: %w", matched, err)
	}
	defer rows.Close()
	type change struct {
		seq      int64
		kind, id string
	}
	var cs []change
	times := map[string]int{}
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.kind, &c.id); err != nil {
			return 0, fmt.Errorf("read the changes since %d: %w", matched, err)
		}
		cs = append(cs, c)
		times[c.kind+":"+c.id]++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read the changes since %d: %w", matched, err)
	}
	if len(cs) == 0 {
		return 0, fmt.Errorf("storing a message logged no change after %d", matched)
	}
	if len(cs) > maxMatchedBehind {
		return 0, forewarn.ErrIndexBehind
	}
	for _, c := range cs[1:] {
		switch {
		case slices.Contains(tx.arrivals, c.seq), tx.db.arrivals.has(c.seq):
		case c.kind == string(forewarn.ChangeMessage) && times[c.kind+":"+c.id] == 1 && tx.db.storing.has(c.id):
		default:
			return 0, forewarn.ErrIndexBehind
		}
	}
	return cs[0].seq, nil
}

// arrivalChangeKnown is arrivalChange when every change after matched but the latest is
// an arrival known by its Seq (told, or earlier in this transaction): it returns the
// latest's Seq, and ok. It returns ok false, for arrivalChange to decide on the kinds and
// objects, when one is not, or when there are none or too many.
func (tx *tx) arrivalChangeKnown(ctx context.Context, matched int64) (latest int64, ok bool, err error) {
	rows, err := tx.query(ctx, arrivalSeqsQuery, matched, maxMatchedBehind+1)
	if err != nil {
		return 0, false, fmt.Errorf("read the changes since %d: %w", matched, err)
	}
	defer rows.Close()
	var buf [64]int64
	seqs := buf[:0]
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return 0, false, fmt.Errorf("read the changes since %d: %w", matched, err)
		}
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("read the changes since %d: %w", matched, err)
	}
	if len(seqs) == 0 || len(seqs) > maxMatchedBehind {
		return 0, false, nil
	}
	var unknownBuf [64]int64
	unknown := unknownBuf[:0]
	for _, seq := range seqs[1:] {
		if !slices.Contains(tx.arrivals, seq) {
			unknown = append(unknown, seq)
		}
	}
	if !tx.db.arrivals.hasAll(unknown) {
		return 0, false, nil
	}
	return seqs[0], true, nil
}

// arrivalChangesQuery reads the changes after the Seq an arrival was matched through, the
// latest first, up to the number given.
const arrivalChangesQuery = "SELECT seq, kind, object_id FROM changes WHERE seq > ? ORDER BY seq DESC LIMIT ?"

// arrivalSeqsQuery is arrivalChangesQuery for the Seqs alone.
const arrivalSeqsQuery = "SELECT seq FROM changes WHERE seq > ? ORDER BY seq DESC LIMIT ?"

// matchedGuard is arrivalChange for late arrivals, as a Guard in their pipeline after
// their inserts: for the IDs of the messages they stored (the fourth argument, an array),
// it returns a row of the Seq of the change each insert logged, in their order, found by
// the message's ID among those after the Seq matched through (the first), since the
// arrivals of a batch are inserted together before they are checked (arrivalsInsert);
// and it fails unless every change after the Seq matched through is an arrival told of
// (the second, their Seqs) or being stored by this DB (the third, their IDs, the
// arrivals' own among them), the only change of its message since, and there are no more
// than maxMatchedBehind (the fifth). A failure runs the arrivals again holding the head,
// where arrivalChange decides. It is a function (PostgreSQL migration 0444), planned once
// per session: as a statement it was planned anew at every call.
//
// Arrivals matched through different Seqs are checked from the lowest: what holds of the
// changes after it holds of those after each's (a failure only costs the run holding the
// head). The changes of each message are counted once (a window), not once per change.
const matchedGuard = "SELECT * FROM forewarn_matched_changes(?, ?, ?, ?, ?)"

// matchedGuardArgs are matchedGuard's arguments, in its order.
func (db *DB) matchedGuardArgs(matched int64, ids []string) []any {
	return []any{matched, db.arrivals.after(matched), db.storing.list(), ids, maxMatchedBehind}
}

// matchedRow is one arrival's matchedGuard, as matchedGuards merges them: the Seq it was
// matched through, its ID, and where its change's Seq goes.
type matchedRow struct {
	matched int64
	id      string
	seq     *int64
}

// matchedGuards is the Group.Merge of a batch's matchedGuards: one statement, one Seq
// read for each.
func (db *DB) matchedGuards(rows []any) Statement {
	matched, ids, seqs := make([]int64, len(rows)), make([]string, len(rows)), make([]*int64, len(rows))
	for i, r := range rows {
		m := r.(matchedRow)
		matched[i], ids[i], seqs[i] = m.matched, m.id, m.seq
	}
	lowest := slices.Min(matched)
	n := 0
	return Statement{SQL: db.rebind(matchedGuard), Guard: true,
		Fresh: func() []any { return db.matchedGuardArgs(lowest, ids) },
		Each: func(scan func(dest ...any) error) error {
			if n >= len(seqs) {
				return fmt.Errorf("the check of %d arrivals read more rows", len(seqs))
			}
			n++
			return scan(seqs[n-1])
		}}
}

// arrivalSeqs holds the changes of recent arrivals this DB stored for a matcher told of
// them (StoredMessage.Durable), for arrivalChange.
type arrivalSeqs struct {
	mu    sync.Mutex
	seqs  map[int64]struct{}
	order []int64 // as told: in commit order but for arrivals committed apart
	top   int64
}

// maxArrivalSeqs bounds the arrivals kept: an older one is taken for another writer's,
// which only makes an arrival matched that far behind match again.
const maxArrivalSeqs = 4096

func (a *arrivalSeqs) add(seq int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seqs == nil {
		a.seqs = map[int64]struct{}{}
	}
	a.seqs[seq] = struct{}{}
	a.order = append(a.order, seq)
	if len(a.order) > 2*maxArrivalSeqs {
		a.order = append(a.order[:0], a.order[len(a.order)-maxArrivalSeqs:]...)
	}
	a.top = max(a.top, seq)
	if len(a.seqs) > 2*maxArrivalSeqs {
		for s := range a.seqs {
			if s <= a.top-maxArrivalSeqs {
				delete(a.seqs, s)
			}
		}
	}
}

// hasAll reports whether every one of seqs is held.
func (a *arrivalSeqs) hasAll(seqs []int64) bool {
	if len(seqs) == 0 {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, seq := range seqs {
		if _, ok := a.seqs[seq]; !ok {
			return false
		}
	}
	return true
}

func (a *arrivalSeqs) has(seq int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.seqs[seq]
	return ok
}

// after returns the Seqs told after seq among the last maxMatchedBehind told (an index
// further behind fails its check anyway); never nil, which a driver sends as NULL.
func (a *arrivalSeqs) after(seq int64) []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []int64{}
	for i := len(a.order) - 1; i >= max(0, len(a.order)-maxMatchedBehind); i-- {
		if a.order[i] > seq {
			out = append(out, a.order[i])
		}
	}
	return out
}

// storingIDs holds the IDs of the arrivals this DB is storing for a matcher it will tell
// of them (StoredMessage.Durable), from before their insert until they are told or fail.
type storingIDs struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *storingIDs) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	s.ids[id]++
}

func (s *storingIDs) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id]--; s.ids[id] <= 0 {
		delete(s.ids, id)
	}
}

func (s *storingIDs) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id] > 0
}

func (s *storingIDs) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.ids))
	for id := range s.ids {
		out = append(out, id)
	}
	return out
}

// ScanReceived calls fn with every message this node received, streaming in one query
// (no OFFSET paging, which slows as messages grow), without auditing: it is for the
// node's own use, building the match index.
func (db *DB) ScanReceived(ctx context.Context, fn func(*forewarn.Message) error) error {
	return db.view(ctx, "scan received messages", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT id, message FROM messages WHERE direction = 'in'")
		if err != nil {
			return fmt.Errorf("scan received messages: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, data string
			if err := rows.Scan(&id, &data); err != nil {
				return fmt.Errorf("scan received messages: %w", err)
			}
			m, err := decodeMessage(id, data)
			if err != nil {
				return err
			}
			if err := fn(m); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
