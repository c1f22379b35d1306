package sqlstore

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

// The actors of changes the node makes on its own.
var (
	deliveryActor   = forewarn.SystemActor("delivery")
	escalationActor = forewarn.SystemActor("escalation")
)

const messageColumns = "id, direction, from_agency, kind, in_reply_to, thread_root, created, stored_at, priority, holds_person, envelope, message, wire_id"

const deliveryColumns = "message_id, agency, direction, attempts, next_attempt, last_error, delivered_at, receipt, read_at, read_by, actioned_at, actioned_by, outcome, reason, deadline, escalation_step, overdue_since, next_escalation, ack_arrived_at, owner, assigned_by, assigned_at"

// errStoredMeanwhile says a concurrent transaction stored the same incoming message first.
var errStoredMeanwhile = errors.New("the message was stored by a concurrent delivery")

// validateStored checks what the store needs of a message: the caller has already
// validated its content, with the rules of its direction.
func validateStored(sm *forewarn.StoredMessage, dir forewarn.Direction) error {
	if sm == nil || sm.Message == nil {
		return required("message")
	}
	if sm.Direction != dir {
		return forewarn.Invalid("direction", "enum", "direction is %q; this call stores %q messages", sm.Direction, dir)
	}
	m := sm.Message
	if !forewarn.IsMessageID(m.ID) {
		return forewarn.Invalid("id", "uuidv7", "message ID %q must be a lower-case UUIDv7", m.ID)
	}
	if m.InReplyTo != "" && !forewarn.IsMessageID(m.InReplyTo) {
		return forewarn.Invalid("in_reply_to", "uuidv7", "%q is not a message ID", m.InReplyTo)
	}
	if !forewarn.IsAgencyCode(m.From) {
		return forewarn.Invalid("from", "agency_code", "sender %q is not an agency code like TR-MIT", m.From)
	}
	if len(m.To) == 0 {
		return forewarn.Invalid("to", "required", "a message needs at least one recipient")
	}
	for i, to := range m.To {
		if !forewarn.IsAgencyCode(to) || slices.Contains(m.To[:i], to) {
			return forewarn.Invalid(fmt.Sprintf("to[%d]", i), "agency_code", "%q is not an agency code, or is listed twice", to)
		}
	}
	if m.Kind == "" || m.Created.IsZero() {
		return forewarn.Invalid("kind", "required", "a stored message needs its kind and creation time")
	}
	if !sm.Priority.Valid() {
		return forewarn.Invalid("priority", "enum", "unknown priority %q (flash, urgent, priority or routine)", sm.Priority)
	}
	if len(sm.Envelope) == 0 {
		return forewarn.Invalid("envelope", "required", "a stored message keeps its signed envelope")
	}
	for i, d := range sm.Deliveries {
		if d == nil || !slices.Contains(m.To, d.Agency) {
			return forewarn.Invalid(fmt.Sprintf("deliveries[%d].agency", i), "recipient", "every delivery must be to one of the message's recipients")
		}
		if d.MessageID != "" && d.MessageID != m.ID {
			return forewarn.Invalid(fmt.Sprintf("deliveries[%d].message_id", i), "same_message", "the delivery is for another message")
		}
		if slices.ContainsFunc(sm.Deliveries[:i], func(o *forewarn.Delivery) bool { return o.Agency == d.Agency }) {
			return forewarn.Invalid(fmt.Sprintf("deliveries[%d].agency", i), "unique", "%s has two deliveries", d.Agency)
		}
	}
	return nil
}

// CreateMessage stores an outgoing message, its envelope and one delivery per recipient,
// due at once unless the delivery says otherwise, and audits it. An acknowledgement also
// records its stage on this node's delivery of the message it acknowledges: a second
// "actioned" acknowledgement of one message is ECONFLICT.
func (db *DB) CreateMessage(ctx context.Context, actor forewarn.Actor, sm *forewarn.StoredMessage) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if err := validateStored(sm, forewarn.DirectionOut); err != nil {
		return err
	}
	if len(sm.Deliveries) == 0 {
		return forewarn.Invalid("deliveries", "required", "an outgoing message needs a delivery for each recipient")
	}
	if sm.CheckMatched && !db.ChecksMatchedThrough() {
		// A caller's mistake: it asks only a store that says it checks.
		return errors.New("sqlstore: this store does not check what a message was matched through (ChecksMatchedThrough)")
	}
	stored := sm.StoredAt
	if stored.IsZero() {
		stored = now
	}
	ds := make([]*forewarn.Delivery, len(sm.Deliveries))
	for i, d := range sm.Deliveries {
		v := forewarn.Delivery{MessageID: sm.Message.ID, Agency: d.Agency, Direction: forewarn.DirectionOut,
			NextAttempt: d.NextAttempt, Deadline: d.Deadline, NextEscalation: d.NextEscalation}
		if v.NextAttempt.IsZero() {
			v.NextAttempt = now
		}
		ds[i] = &v
	}
	m := sm.Message
	// Messages sent together are stored together (group commit); one whose writer hangs
	// up meanwhile is stored all the same, as it would be had the commit come first.
	// Where the dialect pipelines (PostgreSQL), each is instead stored in a transaction of
	// its own that links its audit entry at commit (late.go); an acknowledgement records
	// its stage, which reads to decide, so it holds the head throughout.
	ctx = context.WithoutCancel(ctx)
	// Told once the message is durable, before its sender is answered; sends committed
	// together are told in commit order, before any of their senders (StoredMessage.Durable).
	var durable func()
	if sm.Durable != nil {
		durable = func() { sm.Durable(0) }
	}
	write := func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
		return db.updateGrouped(ctx, now, op, fn, durable)
	}
	if db.dialect.Pipeline != nil && m.Kind != forewarn.KindAcknowledgement {
		write = func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
			err := db.updateLate(ctx, now, op, fn)
			if err == nil && durable != nil {
				durable()
			}
			return err
		}
	}
	subjectsChanged := false
	err := write(ctx, now, "send message", func(tx *tx) error {
		if sm.CheckMatched {
			// Read where one writer at a time commits: every change before this message's
			// is committed, and the changes after the index's Seq are few. On PostgreSQL,
			// where a sent message logs no change to order it by, a subject committed
			// after this read counts as after the message, as one committed after its
			// commit does on SQLite.
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM changes WHERE seq > ? AND kind = 'subject' LIMIT 1) AS s", sm.MatchedThrough).Scan(&n); err != nil {
				return fmt.Errorf("read the subject changes since %d: %w", sm.MatchedThrough, err)
			}
			subjectsChanged = n > 0
		}
		digest, err := tx.insertMessage(ctx, sm, sm.Encoded, stored, ds, sm.ClaimedBy, nil)
		if err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "a message with ID %s is already stored", m.ID)
			}
			return err
		}
		if err := tx.auditDigests(ctx, actor, "message.send", "message", m.ID, "", digest, messageDetail(m)); err != nil {
			return err
		}
		if sm.Forward != nil {
			if err := tx.writeForward(ctx, actor, sm.Forward, sm.ForwardFrom, FormatTime(now)); err != nil {
				return err
			}
		}
		if sm.ErasureNotice != "" {
			if err := tx.settleErasureNotice(ctx, actor, sm.ErasureNotice, m.ID, ""); err != nil {
				return err
			}
		}
		if m.Kind != forewarn.KindAcknowledgement || m.Ack == nil || m.InReplyTo == "" {
			return nil
		}
		// This node acknowledges a message it received: record the stage on its own delivery.
		id, err := tx.repliedTo(ctx, m)
		if err != nil {
			return err
		}
		d, err := tx.delivery(ctx, "message_id = ? AND direction = 'in'", id)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.recordAck(ctx, actor, d, m, actor.ID, true); err != nil {
			return err
		}
		if sm.ClosesAlert != "" {
			return tx.answerAlert(ctx, actor, sm.ClosesAlert, m, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sm.StoredAt = stored
	sm.Deliveries = ds
	sm.SubjectsChanged = subjectsChanged
	return nil
}

// ReceiveMessage stores an incoming message with its one delivery (to this node), the
// receipt, its matches and alerts, and audits it. A message already stored is not stored
// again: its first receipt is returned with duplicate set. An incoming acknowledgement
// records its stage on the delivery to its sender of the message it acknowledges.
func (db *DB) ReceiveMessage(ctx context.Context, actor forewarn.Actor, sm *forewarn.StoredMessage, receipt []byte) ([]byte, bool, error) {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return nil, false, err
	}
	if err := validateStored(sm, forewarn.DirectionIn); err != nil {
		return nil, false, err
	}
	if len(sm.Deliveries) != 1 {
		return nil, false, forewarn.Invalid("deliveries", "one", "an incoming message has one delivery, to this node; it has %d", len(sm.Deliveries))
	}
	if len(receipt) == 0 {
		return nil, false, forewarn.Invalid("receipt", "required", "an incoming message is stored with the receipt it is given")
	}
	if sm.CheckMatched && !db.ChecksMatchedThrough() {
		// A caller's mistake, never a peer's: it asks only a store that says it checks.
		return nil, false, errors.New("sqlstore: this store does not check what an arrival was matched through (ChecksMatchedThrough)")
	}
	m := sm.Message
	for i, a := range sm.Alerts {
		if err := validateAlert(fmt.Sprintf("alerts[%d]", i), a); err != nil {
			return nil, false, err
		}
	}
	stored := sm.StoredAt
	if stored.IsZero() {
		stored = now
	}
	in := sm.Deliveries[0]
	d := &forewarn.Delivery{MessageID: m.ID, Agency: in.Agency, Direction: forewarn.DirectionIn, DeliveredAt: in.DeliveredAt,
		Receipt: slices.Clone(receipt), Deadline: in.Deadline, NextEscalation: in.NextEscalation}
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = now
	}
	matches := make([]*forewarn.Match, len(sm.Matches))
	for i, x := range sm.Matches {
		if x == nil {
			return nil, false, required(fmt.Sprintf("matches[%d]", i))
		}
		if x.MessageID != "" && x.MessageID != m.ID {
			return nil, false, forewarn.Invalid(fmt.Sprintf("matches[%d].message_id", i), "same_message", "a match stored with a message must be about it")
		}
		v := *x
		v.ID, v.MessageID, v.CreatedAt = forewarn.NewID(now), m.ID, now
		v.Status, v.DecidedBy, v.DecidedAt, v.Reason = forewarn.MatchPending, "", time.Time{}, ""
		if err := validateMatch(fmt.Sprintf("matches[%d]", i), &v); err != nil {
			return nil, false, err
		}
		matches[i] = &v
	}
	alerts := newAlerts(sm.Alerts, m.ID, now)

	var first []byte
	var changeSeq int64
	duplicate, notified := false, false
	wire := m.ID
	// Messages arriving together are stored together (group commit; on SQLite one that
	// fails has the batch run again without it, so this write may run more than once). A
	// verified message is stored even when its sender hangs up meanwhile:
	// it gets the same receipt when it delivers again. Where the dialect pipelines
	// (PostgreSQL), a new warning or request is instead stored in a transaction of its own
	// that links its audit entries at commit (late.go): its reads run beside the others'
	// and only its pipelined writes are serial. A reply or an acknowledgement reads other
	// messages to decide what it changes, so it holds the head throughout.
	ctx = context.WithoutCancel(ctx)
	// Told once the message is durable, in commit order (a duplicate is not told), once:
	// on PostgreSQL by the batch that commits it (tx.durable), or else once it returns.
	told := false
	durable := func() {
		if !told && !duplicate && sm.Durable != nil {
			told = true
			db.arrivals.add(changeSeq)
			sm.Durable(changeSeq)
		}
	}
	// An arrival checked for a matcher told of it is one the checks of the others
	// stored meanwhile let pass (arrivalChange), from before its insert until it is told.
	var storing []string
	unstore := func() {
		for _, id := range storing {
			db.storing.remove(id)
		}
		storing = storing[:0]
	}
	defer unstore()
	write := func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
		return db.updateGrouped(ctx, now, op, fn, durable)
	}
	if db.dialect.Pipeline != nil && m.Kind != forewarn.KindAcknowledgement && m.InReplyTo == "" {
		write = func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
			err := db.updateLateShared(ctx, now, op, func(tx *tx) error {
				if tx.late() {
					tx.durable = durable
				}
				return fn(tx)
			})
			if err == nil {
				durable()
			}
			return err
		}
	}
	// Encoded before the write, outside the writer's turn; again inside only when the
	// message is stored under an ID of this node's making.
	encoded, encErr := json.Marshal(m)
	err := write(ctx, now, "receive message", func(tx *tx) error {
		// A write may run more than once (a batch run again without a member that
		// failed, a late arrival run again holding the head): each run decides afresh,
		// so a duplicate found by one run is not reported by the next, which stored it.
		first, duplicate, changeSeq = nil, false, 0
		// Nor is it being stored under the ID an earlier run chose, whose insert was
		// rolled back: the others' checks stop letting that ID pass until this run
		// inserts it again.
		unstore()
		notices := tx.notices
		defer func() { notified = tx.notices > notices }()
		var held, taken bool
		var unpinned, err error
		// checked says whether arrivalChecks was read. Where one writer at a time
		// stores (SQLite), an arrival assumes what is nearly always true instead of
		// reading it, as a late one does: the message is new, its ID free here, its
		// signers' keys still pinned. Its insert checks it: it fails on the message's
		// unique keys, or inserts nothing when a key is no longer pinned, and then
		// arrivalChecks is read and the arrival decided again, in the same write. One
		// statement fewer in the writer's turn for every message.
		checked := true
		if tx.late() {
			// A late arrival assumes what is nearly always true instead of reading it: the
			// message is new, its ID free here, its signers' keys still pinned. Its writes
			// check it: the insert fails on the message's unique keys when it is held or
			// its ID taken, and the guards below fail when a key is no longer the pinned
			// one; either runs it again holding the head, where arrivalChecks decides.
			// One statement and one round trip fewer for every message.
			for _, code := range slices.Sorted(maps.Keys(sm.VerifiedKeys)) {
				tx.check(pinnedGuard, code, hex.EncodeToString(sm.VerifiedKeys[code]))
			}
		} else if db.dialect.SingleWriter && !db.dialect.WritableCTE {
			checked = false
		} else if held, taken, unpinned, err = tx.arrivalChecks(ctx, m.From, wire, sm.VerifiedKeys); err != nil {
			return err
		}
	decide:
		if held {
			// A repeated delivery is answered with the first receipt only once the first
			// is durable: it may have committed relaxed, still waiting for the disk in its
			// group, when this one read it. Here that holds because the serial path locks
			// the head (FOR UPDATE writes the lock to the log, under a transaction ID) and
			// commits durably, which flushes the log past the first's commit; a transaction
			// that writes nothing to the log would not (TestRepeatedDeliveryReceiptDurable,
			// TestWaitDurableFlushes).
			if first, err = tx.storedReceipt(ctx, m.From, wire); err != nil || first != nil {
				duplicate = first != nil
				return err
			}
		}
		if unpinned != nil {
			return unpinned
		}
		// Another agency's message holds the ID (a co-recipient pre-empting it, or chance):
		// this one is stored beside it under an ID of this node's making.
		local := wire
		if taken {
			local = forewarn.NewID(now)
		}
		m.ID, d.MessageID, sm.WireID = local, local, ""
		if local != wire {
			sm.WireID = wire
		}
		for _, x := range matches {
			x.MessageID = local
		}
		for _, a := range alerts {
			a.MessageID = local
		}
		if sm.CheckMatched && sm.Durable != nil {
			db.storing.add(local)
			storing = append(storing, local)
		}
		data := encoded
		if local != wire || encErr != nil {
			data = nil
		}
		var pinned map[string]ed25519.PublicKey
		if !checked {
			pinned = sm.VerifiedKeys
		}
		digest, err := tx.insertMessage(ctx, sm, data, stored, []*forewarn.Delivery{d}, "", pinned)
		if err != nil {
			if db.dialect.IsUniqueViolation(err) || errors.Is(err, errUnpinned) {
				if !checked {
					// Held, its ID taken or a key no longer pinned (the insert wrote
					// nothing): read which, and decide again. It is not being stored
					// under that ID after all.
					unstore()
					if held, taken, unpinned, err = tx.arrivalChecks(ctx, m.From, wire, sm.VerifiedKeys); err != nil {
						return err
					}
					checked = true
					goto decide
				}
				unstore()
				return errStoredMeanwhile
			}
			unstore()
			return err
		}
		insertGrouped := tx.late() && tx.queued[len(tx.queued)-1].Group != nil
		// The latest change is the one the insert just wrote: SQLite has one writer at a
		// time, and on PostgreSQL the insert's trigger holds change_head to commit. A late
		// transaction reads it in its pipeline, right after its insert.
		// Checked against what the message was matched through when its caller asks.
		switch {
		case tx.late() && sm.CheckMatched:
			matched, id := sm.MatchedThrough, m.ID
			tx.guard(matchedGuard)
			tx.queued[len(tx.queued)-1].Scan = []any{&changeSeq}
			tx.queued[len(tx.queued)-1].Fresh = func() []any { return db.matchedGuardArgs(matched, []string{id}) }
			if insertGrouped {
				// A batch checks its arrivals in one statement (matchedGuards), after
				// their one insert.
				tx.queued[len(tx.queued)-1].Group = &Group{Key: "matched", Merge: db.matchedGuards,
					Rows: matchedRow{matched: matched, id: id, seq: &changeSeq}}
			}
		case tx.late():
			tx.queued = append(tx.queued, Statement{SQL: "SELECT MAX(seq) FROM changes", Scan: []any{&changeSeq}})
		case sm.CheckMatched:
			if changeSeq, err = tx.arrivalChange(ctx, sm.MatchedThrough); err != nil {
				return err
			}
			if sm.Durable != nil {
				tx.arrivals = append(tx.arrivals, changeSeq)
			}
		default:
			if err := tx.queryRow(ctx, "SELECT MAX(seq) FROM changes").Scan(&changeSeq); err != nil {
				return fmt.Errorf("read the change of message %s: %w", m.ID, err)
			}
		}
		first = d.Receipt
		detail := messageDetail(m)
		if sm.WireID != "" {
			detail += fmt.Sprintf("; stored as %s: its sender's ID %s is another agency's here", m.ID, wire)
		}
		if err := tx.auditDigests(ctx, actor, "message.receive", "message", m.ID, "", digest, detail); err != nil {
			return err
		}
		for _, x := range matches {
			// Grouped only with the arrival's insert, which a batch then writes before
			// every match: a match names its message (a foreign key).
			group := ""
			if insertGrouped {
				group = matchesOfArrivals
			}
			if err := tx.insertMatch(ctx, actor, x, group); err != nil {
				return err
			}
		}
		about := &alertMessage{m: m, dir: forewarn.DirectionIn, priority: sm.Priority, holds: sm.HoldsPerson, deadline: d.Deadline}
		for _, a := range alerts {
			if err := tx.insertAlertAbout(ctx, a, about); err != nil {
				return err
			}
		}
		if err := tx.notifyArrival(ctx, sm, d.Deadline); err != nil {
			return err
		}
		if m.Kind != forewarn.KindAcknowledgement || m.Ack == nil || m.InReplyTo == "" {
			return nil
		}
		// A recipient acknowledges a message this node sent it.
		sent, err := tx.delivery(ctx, "message_id = ? AND agency = ? AND direction = 'out'", m.InReplyTo, m.From)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.recordAck(ctx, actor, sent, m, m.Ack.By.Describe(m.From), false)
	})
	if errors.Is(err, errStoredMeanwhile) {
		err = db.view(ctx, "receive message", func(tx *tx) error {
			var err error
			if first, err = tx.storedReceipt(ctx, m.From, wire); err == nil && first == nil {
				err = fmt.Errorf("message %s: %w, but is not there", wire, errStoredMeanwhile)
			}
			return err
		})
		if err == nil && db.dialect.WaitDurable != "" {
			// Read without a commit of this transaction's own: the first receipt is given
			// once the log holding it is durable, as above.
			if _, werr := db.sql.ExecContext(ctx, db.dialect.WaitDurable); werr != nil {
				err = db.internal("receive message", fmt.Errorf("wait for the first delivery to be durable: %w", werr))
			}
		}
		duplicate = true
	}
	if err != nil {
		return nil, false, err
	}
	if !duplicate {
		sm.StoredAt = stored
		sm.Deliveries = []*forewarn.Delivery{d}
		sm.Matches = matches
		sm.Alerts = alerts
		sm.ChangeSeq = changeSeq
		sm.Notified = notified
	}
	return first, duplicate, nil
}

// errUnpinned is insertMessage's answer when a key it was given is no longer pinned.
var errUnpinned = errors.New("a signer's key is no longer the one pinned")

// pinnedGuard fails (division by zero) unless the peer's pinned key is the one given.
const pinnedGuard = "SELECT 1 / COUNT(*) FROM peers WHERE agency_code = ? AND public_key = ?"

// arrivalChecks reads, in one query, what storing an arriving message depends on: whether
// its sender's message wire is already held (held), whether another message holds the ID
// wire here (taken), and whether the keys its signatures verified with are still the
// ones pinned (unpinned, EUNAUTHORIZED, when one is not; a message already held is
// answered with its receipt all the same). One round trip instead of three: on
// PostgreSQL each is a wait while other arrivals go on.
func (tx *tx) arrivalChecks(ctx context.Context, sender, wire string, keys map[string]ed25519.PublicKey) (held, taken bool, unpinned, err error) {
	q := "SELECT (SELECT COUNT(*) FROM messages WHERE from_agency = ? AND wire_id = ?), (SELECT COUNT(*) FROM messages WHERE id = ?)"
	args := []any{sender, wire, wire}
	codes := slices.Sorted(maps.Keys(keys))
	for _, code := range codes {
		q += ", (SELECT public_key FROM peers WHERE agency_code = ?)"
		args = append(args, code)
	}
	var nHeld, nTaken int
	pinned := make([]sql.NullString, len(codes))
	dest := []any{&nHeld, &nTaken}
	for i := range pinned {
		dest = append(dest, &pinned[i])
	}
	if err := tx.queryRow(ctx, q, args...).Scan(dest...); err != nil {
		return false, false, nil, fmt.Errorf("look up message %s: %w", wire, err)
	}
	return nHeld > 0, nTaken > 0, unpinnedKey(codes, pinned, keys), nil
}

// unpinnedKey returns EUNAUTHORIZED when a key of keys is not the one pinned for its
// agency (pinned, in the order of codes; NULL when it is no longer a peer), else nil.
func unpinnedKey(codes []string, pinned []sql.NullString, keys map[string]ed25519.PublicKey) error {
	for i, code := range codes {
		if !pinned[i].Valid {
			return forewarn.Errorf(forewarn.EUNAUTHORIZED, "%s is no longer a peer of this node", code)
		}
		if pinned[i].String != hex.EncodeToString(keys[code]) {
			return forewarn.Errorf(forewarn.EUNAUTHORIZED, "the key pinned for %s changed while its message arrived; the signature was made with the old one", code)
		}
	}
	return nil
}

// storedReceipt returns the receipt given when sender's message wire (the ID it gave it)
// was first stored, or nil when it is not stored. ECONFLICT when the sender's ID is held by
// a message this node sent.
func (tx *tx) storedReceipt(ctx context.Context, sender, wire string) ([]byte, error) {
	var id, dir string
	err := tx.queryRow(ctx, "SELECT id, direction FROM messages WHERE from_agency = ? AND wire_id = ?", sender, wire).Scan(&id, &dir)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up message %s: %w", wire, err)
	}
	if dir != string(forewarn.DirectionIn) {
		return nil, forewarn.Errorf(forewarn.ECONFLICT, "message ID %s is already used by a message this node sent", wire)
	}
	var receipt []byte
	if err := tx.queryRow(ctx, "SELECT receipt FROM deliveries WHERE message_id = ? AND direction = 'in'", id).Scan(&receipt); err != nil {
		return nil, fmt.Errorf("read receipt of message %s: %w", wire, err)
	}
	if len(receipt) == 0 {
		return nil, fmt.Errorf("message %s is stored without its receipt", wire)
	}
	return receipt, nil
}

// MessageFrom returns the message sender sent under the ID it gave it.
func (db *DB) MessageFrom(ctx context.Context, sender, id string) (*forewarn.StoredMessage, error) {
	var sm *forewarn.StoredMessage
	err := db.view(ctx, "read message", func(tx *tx) error {
		var err error
		sm, err = scanMessage(tx.queryRow(ctx, "SELECT "+messageColumns+" FROM messages WHERE from_agency = ? AND wire_id = ?", sender, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no message %q from %s", id, sender)
		}
		if err != nil {
			return err
		}
		return tx.loadDetails(ctx, []*forewarn.StoredMessage{sm})
	})
	if err != nil {
		return nil, err
	}
	return sm, nil
}

// recordAck records an acknowledgement's stage on the delivery it acknowledges, as done
// by by at the acknowledgement's creation (so both sides show the same time), and audits
// the change. When an actioned acknowledgement arrived here is recorded too: the time it
// claims is the recipient's to choose, so whether it came in time is judged by arrival.
// Reading counts once; actioning also stops the delivery's escalation and closes the
// alerts that hang on it. strict makes a second "actioned" ECONFLICT; otherwise (a peer's
// acknowledgement) the first one stands.
func (tx *tx) recordAck(ctx context.Context, actor forewarn.Actor, d *forewarn.Delivery, m *forewarn.Message, by string, strict bool) error {
	old := *d
	at := m.Created.UTC()
	var action string
	switch m.Ack.Stage {
	case forewarn.AckRead:
		if !d.ReadAt.IsZero() {
			return nil
		}
		d.ReadAt, d.ReadBy = at, by
		action = "message.read"
	case forewarn.AckActioned:
		if d.Actioned() {
			if strict {
				return forewarn.Errorf(forewarn.ECONFLICT, "message %s was already acknowledged as actioned (%s) on %s", d.MessageID, d.Outcome, d.ActionAt.Format(time.RFC3339))
			}
			return nil
		}
		if d.ReadAt.IsZero() { // acting on a message means it was read
			d.ReadAt, d.ReadBy = at, by
		}
		d.ActionAt, d.ActionBy, d.Outcome, d.Reason = at, by, m.Ack.Outcome, m.Ack.Reason
		d.AckArrivedAt = tx.now.UTC()
		d.NextEscalation = time.Time{}
		action = "message.acknowledge"
	default:
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE deliveries SET read_at = ?, read_by = ?, actioned_at = ?, actioned_by = ?, outcome = ?, reason = ?, next_escalation = ?, ack_arrived_at = ? WHERE message_id = ? AND agency = ?",
		nullTime(d.ReadAt), d.ReadBy, nullTime(d.ActionAt), d.ActionBy, d.Outcome, d.Reason, nullTime(d.NextEscalation), nullTime(d.AckArrivedAt), d.MessageID, d.Agency); err != nil {
		return fmt.Errorf("record acknowledgement of %s: %w", d.MessageID, err)
	}
	detail := fmt.Sprintf("agency %s stage %s by acknowledgement %s", d.Agency, m.Ack.Stage, m.ID)
	if m.Ack.Outcome != "" {
		detail += " outcome " + m.Ack.Outcome
	}
	if !tx.now.Equal(at) {
		detail += " dated " + FormatTime(at) + ", arrived " + FormatTime(tx.now)
	}
	if err := tx.audit(ctx, actor, action, "message", d.MessageID, &old, d, detail); err != nil {
		return err
	}
	if m.Ack.Stage != forewarn.AckActioned {
		return nil
	}
	// On this node's own delivery every alert on the message closes; on a sent message,
	// those about this recipient.
	where, args := "message_id = ? AND resolved_at IS NULL", []any{d.MessageID}
	if d.Direction == forewarn.DirectionOut {
		where, args = where+" AND agency = ?", append(args, d.Agency)
	}
	return tx.closeAlerts(ctx, actor, where, args, by, m.ID, "")
}

// closeAlerts closes the open alerts selected by where, as done by by, through the
// acknowledgement ackID or for the reason given, and audits each.
func (tx *tx) closeAlerts(ctx context.Context, actor forewarn.Actor, where string, args []any, by, ackID, reason string) error {
	rows, err := tx.query(ctx, "SELECT "+alertColumns+" FROM alerts WHERE "+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return fmt.Errorf("find alerts to close: %w", err)
	}
	var open []*forewarn.Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return err
		}
		open = append(open, a)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, a := range open {
		before := *a
		a.ResolvedAt, a.ResolvedBy, a.ClosedBy, a.Resolution = tx.now, by, ackID, reason
		if _, err := tx.exec(ctx, "UPDATE alerts SET resolved_at = ?, resolved_by = ?, closed_by = ?, resolution = ? WHERE id = ?",
			FormatTime(tx.now), by, ackID, reason, a.ID); err != nil {
			return fmt.Errorf("close alert: %w", err)
		}
		detail := a.Kind + " alert closed"
		if ackID != "" {
			detail += " by acknowledgement " + ackID
		}
		if reason != "" {
			detail += ": " + truncateText(reason, 200)
		}
		if err := tx.audit(ctx, actor, "alert.resolve", "alert", a.ID, &before, a, detail); err != nil {
			return err
		}
	}
	return nil
}

// answerAlert closes an alert, and the other open escalation alerts on its message for
// the same desk, with the reason a read-stage acknowledgement m of message acked (this
// node's ID for it) gives for not acting.
func (tx *tx) answerAlert(ctx context.Context, actor forewarn.Actor, id string, m *forewarn.Message, acked string) error {
	a, err := tx.alert(ctx, id)
	if err != nil {
		return err
	}
	if !a.ResolvedAt.IsZero() {
		title, _ := tx.messageTitle(ctx, a.MessageID)
		return forewarn.Errorf(forewarn.ECONFLICT, "the alert about “%s” was closed by %s on %s", title, a.ResolvedBy, a.ResolvedAt.Format("2 Jan 2006 15:04 MST"))
	}
	if a.MessageID != acked {
		return forewarn.Invalid("alert", "same_message", "the alert is about another message")
	}
	reason := m.Ack.Reason
	if m.Ack.Outcome != "" {
		reason = m.Ack.Outcome + ": " + reason
	}
	return tx.closeAlerts(ctx, actor, "resolved_at IS NULL AND (id = ? OR (message_id = ? AND role = ? AND kind = 'escalation'))",
		[]any{a.ID, a.MessageID, string(a.Role)}, actor.ID, m.ID, reason)
}

func messageDetail(m *forewarn.Message) string {
	s := string(m.Kind) + " from " + m.From + " to " + strings.Join(m.To, ",")
	if m.InReplyTo != "" {
		s += " in reply to " + m.InReplyTo
	}
	return s
}

// insertMessage writes the message row, its recipients and its deliveries ds (claimed by
// the server claimedBy names, "" for none), and returns the message's digest
// (forewarn.Digest) for its audit entry, from the JSON it stored: encoding the message
// is done once. The thread root is the root of the message it replies to when
// that is stored, else the message it replies to, else itself; messages that arrived
// before it and were rooted at it move to its root.
//
// data is the message as encoding/json encodes it, when the caller has it; nil encodes it.
// pinned, when not empty, are keys that must still be the ones pinned for their agencies
// (an arrival's signers): the message is inserted only when they are, and otherwise
// nothing is, and errUnpinned says so. A dialect without WritableCTE only.
func (tx *tx) insertMessage(ctx context.Context, sm *forewarn.StoredMessage, data []byte, stored time.Time, ds []*forewarn.Delivery, claimedBy string, pinned map[string]ed25519.PublicKey) (string, error) {
	m := sm.Message
	root := m.ID
	if m.InReplyTo != "" {
		root = m.InReplyTo
		id, err := tx.repliedTo(ctx, m)
		if err != nil {
			return "", err
		}
		if id != "" {
			err = tx.queryRow(ctx, "SELECT thread_root FROM messages WHERE id = ?", id).Scan(&root)
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("look up thread of %s: %w", m.InReplyTo, err)
		}
	}
	if len(data) == 0 {
		var err error
		if data, err = json.Marshal(m); err != nil {
			return "", fmt.Errorf("encode message %s: %w", m.ID, err)
		}
	}
	insert := messageInsert
	args := []any{m.ID, string(sm.Direction), m.From, string(m.Kind), m.InReplyTo, root, FormatTime(m.Created), FormatTime(stored),
		string(sm.Priority), sm.HoldsPerson, sm.Envelope, string(data), sm.SenderID(), urgencyKey(sm.Priority, ds)}
	to := m.To
	if deliveredToEach(to, ds) {
		// A sent message has a delivery to each of its recipients, and a received one
		// addressed to this node alone its one delivery, to this node, by key (the peer
		// filter of Messages finds them there): its recipients would be written twice, in
		// a statement (or a row of the one statement) and a b-tree of their own, where
		// each is one.
		to = nil
	}
	recipients, oneStatement := to, false
	if tx.db.dialect.WritableCTE && len(to) <= 8 && len(ds) > 0 && len(ds) <= 8 {
		// The message, its recipients and its deliveries in one statement: fewer for
		// every message stored, sent or received (a few statement shapes, by recipient
		// and delivery count). The deliveries' foreign key and triggers run at the end of
		// the statement, when the message is there, as they would after its own insert.
		insert = "WITH m AS (" + insert + " RETURNING id)"
		if len(to) > 0 {
			insert += ", rs AS (INSERT INTO message_recipients (message_id, agency) SELECT m.id, r.agency FROM m, (VALUES " +
				strings.TrimSuffix(strings.Repeat("(?), ", len(to)), ", ") + ") AS r (agency))"
		}
		insert += " " + deliveriesInsert(len(ds), claimedBy != "")
		for _, a := range to {
			args = append(args, a)
		}
		for _, d := range ds {
			args = append(args, deliveryArgs(d, sm.Priority)...)
			if claimedBy != "" {
				args = append(args, claimedBy)
			}
		}
		to, ds, oneStatement = nil, nil, true
	}
	if len(pinned) > 0 {
		// One statement checks the keys and inserts, rather than one of each: the
		// message's direction is given only while every key is still pinned, else NULL,
		// which its NOT NULL refuses (errUnpinned).
		codes := slices.Sorted(maps.Keys(pinned))
		keys := make([]any, 0, 2*len(codes))
		for _, code := range codes {
			keys = append(keys, code, hex.EncodeToString(pinned[code]))
		}
		insert = pinnedInsertFor(len(codes))
		args = slices.Concat(args[:2], keys, args[2:])
	}
	if _, err := tx.exec(ctx, insert, args...); err != nil {
		if len(pinned) > 0 && tx.db.dialect.IsNotNullViolation != nil && tx.db.dialect.IsNotNullViolation(err) {
			return "", errUnpinned
		}
		return "", fmt.Errorf("insert message: %w", err)
	}
	if tx.late() && sm.Direction == forewarn.DirectionIn && sm.CheckMatched && oneStatement {
		// An arrival's insert, which a batch writes with the others' (arrivalsInsert):
		// its check (matchedGuard) finds its change by its ID, not as the latest.
		tx.queued[len(tx.queued)-1].Group = &Group{Key: "arrivals", Merge: arrivalsInsert,
			Rows: arrivalRows{msg: args[:len(messageKinds)], to: recipients, ds: args[len(messageKinds)+len(recipients):]}}
	}
	for _, a := range to {
		if _, err := tx.exec(ctx, "INSERT INTO message_recipients (message_id, agency) VALUES (?, ?)", m.ID, a); err != nil {
			return "", fmt.Errorf("insert recipient: %w", err)
		}
	}
	for _, d := range ds {
		var insert string
		var args []any
		switch {
		case freshDelivery(d):
			insert, args = freshDeliveryInsert[btoi(claimedBy != "")], freshDeliveryArgs(d, sm.Priority)
		case claimedBy == "" && arrivedDelivery(d):
			insert, args = arrivedDeliveryInsert, arrivedDeliveryArgs(d, sm.Priority)
		default:
			insert, args = deliveryInsert[btoi(claimedBy != "")], deliveryArgs(d, sm.Priority)
		}
		if claimedBy != "" {
			args = append(args, claimedBy)
		}
		if _, err := tx.exec(ctx, insert, args...); err != nil {
			return "", fmt.Errorf("insert delivery of %s to %s: %w", d.MessageID, d.Agency, err)
		}
	}
	if root != m.ID {
		// Only replies are in the thread index (migration 0400): a message that is not
		// a reply has its own ID as its root, and m, the only message with ID m.ID, is one.
		if _, err := tx.exec(ctx, "UPDATE messages SET thread_root = ? WHERE thread_root = ? AND thread_root <> id", root, m.ID); err != nil {
			return "", fmt.Errorf("re-root replies to %s: %w", m.ID, err)
		}
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// pinnedInsert inserts a message (messageColumns and urgency) whose direction, its second
// value, is followed by n agencies and keys: it is written only while each agency's
// pinned key is the one given, else as NULL, which the column refuses. A VALUES row and
// not INSERT … SELECT … WHERE EXISTS: SQLite copies the rows an INSERT … SELECT into a
// table with triggers (messages has) selects into a temporary table first, a b-tree it
// opens and closes for every message, a fifth of the insert (TestArrivalInsertNeedsNoTemporaryTable).
func pinnedInsert(n int) string {
	return "INSERT INTO messages (" + messageColumns + ", urgency) VALUES (?, (SELECT ? WHERE " +
		strings.TrimSuffix(strings.Repeat("EXISTS (SELECT 1 FROM peers WHERE agency_code = ? AND public_key = ?) AND ", n), " AND ") +
		"), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
}

// pinnedInsertFor is pinnedInsert(n), built once for the few signers an arrival has.
func pinnedInsertFor(n int) string {
	if n < len(pinnedInserts) {
		return pinnedInserts[n]
	}
	return pinnedInsert(n)
}

// pinnedInserts are pinnedInsert's statements for up to three signers.
var pinnedInserts = func() (qs [4]string) {
	for n := 1; n < len(qs); n++ {
		qs[n] = pinnedInsert(n)
	}
	return qs
}()

// messageInsert inserts a message (messageColumns and urgency).
const messageInsert = "INSERT INTO messages (" + messageColumns + ", urgency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// arrivalRows are an arrival's rows: its message (messageColumns and urgency), its
// recipients, and its deliveries (deliveryArgs), as insertMessage gives them.
type arrivalRows struct {
	msg []any
	to  []string
	ds  []any
}

// arrivalsInsertSQL stores the arrivals of a batch in one statement, each table's rows
// given as one array per column: a row costs PostgreSQL about a third of what a statement
// of its own did (8 arrivals, measured with pgbench), triggers and foreign keys included,
// which run for each row as before.
var arrivalsInsertSQL = "WITH m AS (INSERT INTO messages (" + messageColumns + ", urgency) SELECT * FROM unnest(" + arrayParams(messageKinds) +
	")), rs AS (INSERT INTO message_recipients (message_id, agency) SELECT * FROM unnest(?::text[], ?::text[])) " + arrivalDeliveriesInsert

// arrivalsAloneInsertSQL is arrivalsInsertSQL for arrivals none of which has recipients
// to write (each addressed to this node alone, its delivery says so: insertMessage).
var arrivalsAloneInsertSQL = "WITH m AS (INSERT INTO messages (" + messageColumns + ", urgency) SELECT * FROM unnest(" + arrayParams(messageKinds) +
	")) " + arrivalDeliveriesInsert

var arrivalDeliveriesInsert = "INSERT INTO deliveries (" + deliveryColumns + ", urgency) SELECT * FROM unnest(" + arrayParams(deliveryKinds) + ")"

// arrivalsInsertNumbered and arrivalsAloneInsertNumbered have numbered parameters: only a
// dialect with them (PostgreSQL) runs late transactions in batches.
var arrivalsInsertNumbered, arrivalsAloneInsertNumbered = Rebind(arrivalsInsertSQL), Rebind(arrivalsAloneInsertSQL)

// The kinds of the columns of an arrival's message and delivery rows, and of its matches
// and alerts, for columnArrays: t text, n text or NULL, b boolean, x bytea or NULL,
// i integer, f double precision.
const (
	messageKinds  = "tttttttttbxttt"
	deliveryKinds = "tttintnxntntttninnnttni"
	matchKinds    = "tttttttfttttntt" // matchColumns
	alertKinds    = "tttttttttt"      // alertInsertColumns
)

// arrayParams is the placeholders of one array per column of kinds, cast to its type.
func arrayParams(kinds string) string {
	types := map[rune]string{'t': "text", 'n': "text", 'b': "boolean", 'x': "bytea", 'i': "integer", 'f': "float8"}
	ps := make([]string, 0, len(kinds))
	for _, k := range kinds {
		ps = append(ps, "?::"+types[k]+"[]")
	}
	return strings.Join(ps, ", ")
}

// arrivalsInsert is the Group.Merge of arrivals' inserts (arrivalRows).
func arrivalsInsert(rows []any) Statement {
	var msgs, ds [][]any
	var ids, to []string
	for _, r := range rows {
		a := r.(arrivalRows)
		msgs = append(msgs, a.msg)
		for i := 0; i < len(a.ds); i += len(deliveryKinds) {
			ds = append(ds, a.ds[i:i+len(deliveryKinds)])
		}
		for _, agency := range a.to {
			ids, to = append(ids, a.msg[0].(string)), append(to, agency)
		}
	}
	args := columnArrays(msgs, messageKinds)
	if len(ids) == 0 {
		return Statement{SQL: arrivalsAloneInsertNumbered, Args: append(args, columnArrays(ds, deliveryKinds)...)}
	}
	args = append(args, ids, to)
	return Statement{SQL: arrivalsInsertNumbered, Args: append(args, columnArrays(ds, deliveryKinds)...)}
}

// columnArrays turns rows into one array per column, of the kinds given (arrivalsInsert).
func columnArrays(rows [][]any, kinds string) []any {
	out := make([]any, len(kinds))
	for c, k := range kinds {
		switch k {
		case 't':
			a := make([]string, len(rows))
			for i, r := range rows {
				a[i] = r[c].(string)
			}
			out[c] = a
		case 'n':
			a := make([]*string, len(rows))
			for i, r := range rows {
				if s, ok := r[c].(string); ok {
					a[i] = &s
				}
			}
			out[c] = a
		case 'b':
			a := make([]bool, len(rows))
			for i, r := range rows {
				a[i] = r[c].(bool)
			}
			out[c] = a
		case 'x':
			a := make([][]byte, len(rows))
			for i, r := range rows {
				a[i], _ = r[c].([]byte)
			}
			out[c] = a
		case 'i':
			a := make([]int64, len(rows))
			for i, r := range rows {
				a[i] = int64(r[c].(int))
			}
			out[c] = a
		case 'f':
			a := make([]float64, len(rows))
			for i, r := range rows {
				a[i] = r[c].(float64)
			}
			out[c] = a
		}
	}
	return out
}

// deliveredToEach reports whether ds holds a delivery to each agency of to, and no other.
func deliveredToEach(to []string, ds []*forewarn.Delivery) bool {
	if len(ds) != len(to) {
		return false
	}
	for _, a := range to {
		if !slices.ContainsFunc(ds, func(d *forewarn.Delivery) bool { return d.Agency == a }) {
			return false
		}
	}
	return true
}

// repliedTo returns the local ID of the message m replies to, or "" when none is stored.
// m names it by the ID its sender gave it, which is unique only per sender, so among the
// messages holding that ID the one sent by a party to m (its sender or a recipient) is it;
// only a collision forced on this node by another agency leaves more than one.
//
// Only messages from those parties are read, by the (from_agency, wire_id) index: asked by
// the ID alone, the store read every message it holds for every reply it stored.
func (tx *tx) repliedTo(ctx context.Context, m *forewarn.Message) (string, error) {
	parties := append([]string{m.From}, m.To...)
	args := make([]any, 0, len(parties)+1)
	for _, p := range parties {
		args = append(args, p)
	}
	rows, err := tx.query(ctx, repliedToQuery(len(parties)), append(args, m.InReplyTo)...)
	if err != nil {
		return "", fmt.Errorf("look up message %s: %w", m.InReplyTo, err)
	}
	defer rows.Close()
	found := ""
	for rows.Next() {
		var id, from string
		if err := rows.Scan(&id, &from); err != nil {
			return "", err
		}
		if found == "" && (from == m.From || slices.Contains(m.To, from)) {
			found = id
		}
	}
	return found, rows.Err()
}

// repliedToQuery reads the messages from n parties holding a wire ID, by the
// (from_agency, wire_id) index.
func repliedToQuery(n int) string {
	return "SELECT id, from_agency FROM messages WHERE from_agency IN (?" + strings.Repeat(", ?", n-1) + ") AND wire_id = ? ORDER BY stored_at"
}

// urgencyKey is the urgency key (migration 0230) of a message of priority p with the
// deliveries ds: the key its triggers compute, given at insert so that they find it
// true and rewrite nothing.
func urgencyKey(p forewarn.Priority, ds []*forewarn.Delivery) string {
	overdue, deadline := "1", ""
	for _, d := range ds {
		if !d.ActionAt.IsZero() {
			continue
		}
		if !d.Overdue.IsZero() {
			overdue = "0"
		}
		if !d.Deadline.IsZero() {
			if t := FormatTime(d.Deadline); deadline == "" || t < deadline {
				deadline = t
			}
		}
	}
	if deadline == "" {
		return overdue + "1" + strconv.Itoa(p.Rank())
	}
	return overdue + "0" + deadline + strconv.Itoa(p.Rank())
}

// deliveriesInsert inserts n deliveries (deliveryArgs each), with claimed each followed
// by the server that claims it until its next attempt.
func deliveriesInsert(n int, claimed bool) string {
	cols, row := deliveryColumns+", urgency", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
	if claimed {
		cols, row = cols+", claimed_by", row+", ?"
	}
	return "INSERT INTO deliveries (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+"), ", n), ", ")
}

// freshDeliveryInsert inserts one delivery that holds only what a new outgoing delivery
// holds (freshDelivery), without or with the server that claims it: the columns it leaves
// at their zero are written in the statement, so a send binds 7 values (freshDeliveryArgs)
// rather than deliveryArgs' 23, each converted and copied for the driver. The row is the
// one deliveriesInsert writes.
var freshDeliveryInsert = [2]string{freshInsert(false), freshInsert(true)}

func freshInsert(claimed bool) string {
	cols, row := deliveryColumns+", urgency", "(?, ?, ?, 0, ?, '', NULL, NULL, NULL, '', NULL, '', '', '', ?, 0, NULL, ?, NULL, '', '', NULL, ?"
	if claimed {
		cols, row = cols+", claimed_by", row+", ?"
	}
	return "INSERT INTO deliveries (" + cols + ") VALUES " + row + ")"
}

// deliveryInsert is deliveriesInsert(1, …), without or with the server that claims it.
var deliveryInsert = [2]string{deliveriesInsert(1, false), deliveriesInsert(1, true)}

// arrivedDeliveryInsert inserts one incoming delivery that holds only what an arrival's
// delivery holds (arrivedDelivery), as freshDeliveryInsert does an outgoing one: a
// received message binds 7 values (arrivedDeliveryArgs) rather than 23. The row is the
// one deliveriesInsert writes.
var arrivedDeliveryInsert = "INSERT INTO deliveries (" + deliveryColumns + ", urgency) VALUES " +
	"(?, ?, 'in', 0, NULL, '', ?, ?, NULL, '', NULL, '', '', '', ?, 0, NULL, ?, NULL, '', '', NULL, ?)"

// arrivedDelivery says whether d is incoming and holds nothing but its message, its
// recipient (this node), when it arrived, its receipt, deadline and next escalation: a
// delivery as an arrival stores it.
func arrivedDelivery(d *forewarn.Delivery) bool {
	return d.Direction == forewarn.DirectionIn && d.Attempts == 0 && d.NextAttempt.IsZero() && d.LastError == "" && untouched(d)
}

// arrivedDeliveryArgs are an arrival's delivery's values for arrivedDeliveryInsert.
func arrivedDeliveryArgs(d *forewarn.Delivery, p forewarn.Priority) []any {
	return []any{d.MessageID, d.Agency, nullTime(d.DeliveredAt), nullBytes(d.Receipt), nullTime(d.Deadline), nullTime(d.NextEscalation), p.Rank()}
}

// freshDelivery says whether d holds nothing but its message, recipient, direction, next
// attempt, deadline and next escalation: a delivery not yet attempted, as a send stores it.
func freshDelivery(d *forewarn.Delivery) bool {
	return d.Attempts == 0 && d.LastError == "" && d.DeliveredAt.IsZero() && len(d.Receipt) == 0 && untouched(d)
}

// untouched says nobody has read, answered, escalated, acknowledged or assigned d: what
// both a fresh and an arrived delivery leave to their columns' defaults.
func untouched(d *forewarn.Delivery) bool {
	return d.ReadAt.IsZero() && d.ReadBy == "" && d.ActionAt.IsZero() && d.ActionBy == "" && d.Outcome == "" && d.Reason == "" &&
		d.Escalated == 0 && d.Overdue.IsZero() && d.AckArrivedAt.IsZero() && d.Owner == "" && d.AssignedBy == "" && d.AssignedAt.IsZero()
}

// freshDeliveryArgs are a fresh delivery's values for freshDeliveryInsert.
func freshDeliveryArgs(d *forewarn.Delivery, p forewarn.Priority) []any {
	return []any{d.MessageID, d.Agency, string(d.Direction), nullTime(d.NextAttempt), nullTime(d.Deadline), nullTime(d.NextEscalation), p.Rank()}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deliveryArgs are d's values for deliveriesInsert, ranked for the order of due
// deliveries by its message's priority p.
func deliveryArgs(d *forewarn.Delivery, p forewarn.Priority) []any {
	return []any{d.MessageID, d.Agency, string(d.Direction), d.Attempts, nullTime(d.NextAttempt), d.LastError, nullTime(d.DeliveredAt), nullBytes(d.Receipt),
		nullTime(d.ReadAt), d.ReadBy, nullTime(d.ActionAt), d.ActionBy, d.Outcome, d.Reason, nullTime(d.Deadline), d.Escalated,
		nullTime(d.Overdue), nullTime(d.NextEscalation), nullTime(d.AckArrivedAt), d.Owner, d.AssignedBy, nullTime(d.AssignedAt), p.Rank()}
}

// delivery reads the one delivery matching where; ENOTFOUND when there is none.
func (tx *tx) delivery(ctx context.Context, where string, args ...any) (*forewarn.Delivery, error) {
	d, err := scanDelivery(tx.queryRow(ctx, "SELECT "+deliveryColumns+" FROM deliveries WHERE "+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no such delivery of message %v", args[0])
	}
	return d, err
}

// The delivery and the columns read into it are one allocation (deliveryRow), not one
// for each of the ten columns that are not the delivery's own fields: a round claims a
// delivery and reads it back for every message it sends.
func scanDelivery(s scanner) (*forewarn.Delivery, error) {
	r := &deliveryRow{}
	d := &r.d
	if err := s.Scan(&d.MessageID, &d.Agency, &r.dir, &d.Attempts, &r.next, &d.LastError, &r.delivered, &d.Receipt, &r.read, &d.ReadBy,
		&r.actioned, &d.ActionBy, &d.Outcome, &d.Reason, &r.deadline, &d.Escalated, &r.overdue, &r.nextEsc, &r.arrived, &d.Owner, &d.AssignedBy, &r.assigned); err != nil {
		return nil, err
	}
	d.Direction = forewarn.Direction(r.dir)
	for _, t := range [...]struct {
		dst *time.Time
		src *sql.NullString
	}{{&d.NextAttempt, &r.next}, {&d.DeliveredAt, &r.delivered}, {&d.ReadAt, &r.read}, {&d.ActionAt, &r.actioned}, {&d.Deadline, &r.deadline}, {&d.Overdue, &r.overdue}, {&d.NextEscalation, &r.nextEsc}, {&d.AckArrivedAt, &r.arrived}, {&d.AssignedAt, &r.assigned}} {
		var err error
		if *t.dst, err = parseNullTime(*t.src); err != nil {
			return nil, fmt.Errorf("delivery of %s to %s: %w", d.MessageID, d.Agency, err)
		}
	}
	return d, nil
}

// deliveryRow is a delivery and the columns scanDelivery reads for it.
type deliveryRow struct {
	d   forewarn.Delivery
	dir string
	// The times, as text or NULL.
	next, delivered, read, actioned, deadline, overdue, nextEsc, arrived, assigned sql.NullString
}

func scanMessage(s scanner) (*forewarn.StoredMessage, error) {
	var sm forewarn.StoredMessage
	var id, dir, from, kind, inReplyTo, root, created, stored, priority, data, wire string
	if err := s.Scan(&id, &dir, &from, &kind, &inReplyTo, &root, &created, &stored, &priority, &sm.HoldsPerson, &sm.Envelope, &data, &wire); err != nil {
		return nil, err
	}
	if wire != id {
		sm.WireID = wire
	}
	sm.Direction, sm.Priority = forewarn.Direction(dir), forewarn.Priority(priority)
	var err error
	if sm.StoredAt, err = ParseTime(stored); err != nil {
		return nil, fmt.Errorf("message %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(data), &sm.Message); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	return &sm, nil
}

// Message returns a stored message with its deliveries and the matches found in it.
func (db *DB) Message(ctx context.Context, id string) (*forewarn.StoredMessage, error) {
	var sm *forewarn.StoredMessage
	err := db.view(ctx, "read message", func(tx *tx) error {
		var err error
		sm, err = scanMessage(tx.queryRow(ctx, "SELECT "+messageColumns+" FROM messages WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no message with id %q", id)
		}
		if err != nil {
			return err
		}
		return tx.loadDetails(ctx, []*forewarn.StoredMessage{sm})
	})
	if err != nil {
		return nil, err
	}
	return sm, nil
}

// loadDetails fills the deliveries, in the order of the recipients, and the matches of
// each message.
func (tx *tx) loadDetails(ctx context.Context, sms []*forewarn.StoredMessage) error {
	if len(sms) == 0 {
		return nil
	}
	byID := make(map[string]*forewarn.StoredMessage, len(sms))
	ids := make([]string, len(sms))
	for i, sm := range sms {
		sm.Deliveries = []*forewarn.Delivery{}
		byID[sm.Message.ID], ids[i] = sm, sm.Message.ID
	}
	list, args := inArgs(ids)
	rows, err := tx.query(ctx, "SELECT "+deliveryColumns+" FROM deliveries WHERE message_id IN ("+list+")", args...)
	if err != nil {
		return fmt.Errorf("read deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return err
		}
		sm := byID[d.MessageID]
		sm.Deliveries = append(sm.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, sm := range sms {
		to := sm.Message.To
		slices.SortFunc(sm.Deliveries, func(a, b *forewarn.Delivery) int {
			return slices.Index(to, a.Agency) - slices.Index(to, b.Agency)
		})
	}
	ms, err := tx.matches(ctx, "message_id IN ("+list+") ORDER BY created_at, id", args...)
	if err != nil {
		return err
	}
	for _, x := range ms {
		sm := byID[x.MessageID]
		sm.Matches = append(sm.Matches, x)
	}
	return nil
}

// Messages returns a page of messages, newest first, with the number the filter selects.
func (db *DB) Messages(ctx context.Context, f forewarn.MessageFilter) ([]*forewarn.StoredMessage, int, error) {
	l, err := db.messageList(f)
	if err != nil {
		return nil, 0, err
	}
	var sms []*forewarn.StoredMessage
	var total int
	err = db.view(ctx, "list messages", func(tx *tx) error {
		if err := tx.queryRow(ctx, l.count, l.countArgs...).Scan(&total); err != nil {
			return fmt.Errorf("count messages: %w", err)
		}
		rows, err := tx.query(ctx, l.page, l.pageArgs...)
		if err != nil {
			return fmt.Errorf("list messages: %w", err)
		}
		defer rows.Close()
		sms = []*forewarn.StoredMessage{}
		for rows.Next() {
			var s scanner = rows
			if l.keyed {
				s = keyedRow{rows} // m.urgency, which an order may name
			}
			sm, err := scanMessage(s)
			if err != nil {
				return err
			}
			sms = append(sms, sm)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.loadDetails(ctx, sms)
	})
	if err != nil {
		return nil, 0, err
	}
	return sms, total, nil
}

// messageList is the statements listing the messages f selects.
func (db *DB) messageList(f forewarn.MessageFilter) (list, error) {
	switch f.Direction {
	case "", forewarn.DirectionIn, forewarn.DirectionOut:
	default:
		return list{}, forewarn.Invalid("direction", "enum", "unknown direction %q (in or out)", f.Direction)
	}
	switch f.Kind {
	case "", forewarn.KindRequest, forewarn.KindNotification, forewarn.KindResponse, forewarn.KindAcknowledgement:
	default:
		return list{}, forewarn.Invalid("kind", "enum", "unknown message kind %q (request, notification, response or acknowledgement)", f.Kind)
	}
	if f.Offset < 0 {
		return list{}, forewarn.Invalid("offset", "min", "must not be negative")
	}
	limit, err := pageSize(f.Limit)
	if err != nil {
		return list{}, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Direction != "" {
		where, args = append(where, "m.direction = ?"), append(args, string(f.Direction))
	}
	if f.Kind != "" {
		where, args = append(where, "m.kind = ?"), append(args, string(f.Kind))
	}
	if f.Peer != "" {
		// A message's recipients are its recipients, or, where they are its deliveries'
		// agencies (every sent message's; a received one's when it is addressed to this
		// node alone, whose delivery is to this node), its deliveries' agencies:
		// insertMessage does not write them again where it writes them a statement each.
		where = append(where, "(m.from_agency = ? OR EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND r.agency = ?)"+
			" OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.agency = ?))")
		args = append(args, f.Peer, f.Peer, f.Peer)
	}
	if f.Thread != "" {
		// The root by its key, the replies by the thread index, which holds only replies
		// (migration 0400): m.thread_root = ? said as two ranges the indexes answer.
		where = append(where, "(m.id = ? AND m.thread_root = ? OR m.thread_root = ? AND m.thread_root <> m.id)")
		args = append(args, f.Thread, f.Thread, f.Thread)
	}
	if f.Overdue {
		// A delivery overdue and not actioned: the urgency key starts with 0.
		where = append(where, "m.urgency < '1'")
	}
	if f.Unactioned {
		// A delivery with a deadline not yet actioned: the urgency key's second character
		// is 0 (its deadline follows), overdue or not; two ranges the urgency indexes answer.
		where = append(where, "(m.urgency >= '00' AND m.urgency < '01' OR m.urgency >= '10' AND m.urgency < '11')")
	}
	if f.Owner != "" {
		where, args = append(where, "m.id IN (SELECT d.message_id FROM deliveries d WHERE d.direction = 'in' AND d.owner = ?)"), append(args, f.Owner)
	}
	sort := f.Sort
	if f.Urgent {
		sort = forewarn.SortUrgent
	}
	// Every order is one walk of an index (messages_direction_urgency for urgency, kept
	// on the message by triggers: migration 0230; a list of both directions merges one
	// walk per direction: SQLite's 0422, PostgreSQL's 0457), so a page is a LIMIT on an
	// index range however many messages there are.
	var order string
	switch sort {
	case "", forewarn.SortNewest:
		order = "m.created DESC, m.id DESC"
	case forewarn.SortOldest:
		order = "m.created, m.id"
	case forewarn.SortUrgent:
		order = "m.urgency, m.created DESC, m.id DESC"
	case forewarn.SortLeastUrgent:
		order = "m.urgency DESC, m.created, m.id"
	default:
		return list{}, forewarn.Invalid("sort", "enum", "unknown order %q (newest, oldest, urgency or -urgency)", sort)
	}
	cond := " FROM messages m WHERE " + strings.Join(where, " AND ")
	l := list{count: "SELECT COUNT(*)" + cond, countArgs: args,
		page: "SELECT " + prefixed("m.", messageColumns) + cond + " ORDER BY " + order + " LIMIT ? OFFSET ?", pageArgs: append(slices.Clip(args), limit, f.Offset)}
	// Where the orders are indexed per direction only, a list of both reads each
	// direction's range and merges them (partition.go); a thread or an owner's messages
	// are read by their own keys, few, and sorted.
	if db.dialect.PartitionedLists && f.Direction == "" && f.Thread == "" && f.Owner == "" {
		l = list{count: byDirection.count(cond), countArgs: byDirection.args(args), keyed: true}
		l.page, l.pageArgs = byDirection.pageQuery("m.urgency, "+prefixed("m.", messageColumns), cond, strings.ReplaceAll(order, "m.", ""),
			args, limit, f.Offset, db.dialect.LimitedParts)
	}
	return l, nil
}

// prefixed qualifies each column of a column list with prefix ("m.").
func prefixed(prefix, columns string) string {
	return prefix + strings.ReplaceAll(columns, ", ", ", "+prefix)
}

// DueDeliveries returns up to limit outgoing deliveries, not yet receipted, whose next
// attempt is due at or before now: flash warnings first (a backlog never stands between a
// flash warning and its recipient), then by priority, then the longest due first.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*forewarn.Delivery, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	// One range of the (urgency, next_attempt) index per rank: deliveries waiting for a
	// later retry are never walked over, however many there are.
	var out []*forewarn.Delivery
	for rank := 0; rank <= 3 && len(out) < limit; rank++ {
		ds, err := db.deliveries(ctx, "list due deliveries", db.dueQuery(), rank, FormatTime(now), limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

// dueQuery selects the due deliveries of one rank, the longest due first.
const dueQuery = "delivered_at IS NULL AND urgency = ? AND next_attempt <= ? AND direction = 'out' ORDER BY urgency, next_attempt, message_id, agency LIMIT ?"

// dueQuery is the dialect's dueQuery: on SQLite (Dialect.ParamExpressions) with the rank
// as an expression, which SQLite planned as the constant bound to it, and prepared the
// statement again at each read, as it did a peer's (dueToQueryExpressions).
func (db *DB) dueQuery() string {
	if db.dialect.ParamExpressions {
		return dueQueryExpressions
	}
	return dueQuery
}

var dueQueryExpressions = strings.Replace(dueQuery, "urgency = ?", "urgency = +?", 1)

// DueDeliveriesTo returns up to limit outgoing deliveries to agency due at or before now,
// the most urgent first: one range of the (agency, urgency, next_attempt) index per rank,
// all four read by one statement (dueToQuery) rather than one each, as each round of the
// delivery worker asks this of every peer.
func (db *DB) DueDeliveriesTo(ctx context.Context, agency string, now time.Time, limit int) ([]*forewarn.Delivery, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	if agency == "" {
		return nil, required("agency")
	}
	var out []*forewarn.Delivery
	err = db.view(ctx, "list due deliveries", func(tx *tx) error {
		args := make([]any, 0, 17)
		for rank := 0; rank <= 3; rank++ {
			args = append(args, agency, rank, FormatTime(now), limit)
		}
		rows, err := tx.query(ctx, db.dueToQuery(), append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rankedRow{rows})
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dueToQuery reads a peer's due deliveries rank by rank, each rank one LIMITed range of the
// (agency, urgency, next_attempt) index, in one statement: the rank is selected first, so
// the union is put in order by it however the engine runs the parts.
var dueToQuery = func() string {
	parts := make([]string, 4)
	for rank := range parts {
		parts[rank] = fmt.Sprintf("SELECT * FROM (SELECT %d AS rank, %s FROM deliveries WHERE agency = ? AND urgency = ? AND next_attempt <= ? AND delivered_at IS NULL AND direction = 'out' ORDER BY agency, urgency, next_attempt LIMIT ?) AS r%d",
			rank, deliveryColumns, rank)
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY rank, next_attempt, message_id LIMIT ?"
}()

// dueToQueryExpressions is dueToQuery for SQLite (Dialect.ParamExpressions), with the
// peer and the rank as expressions: SQLite planned their parameters, by which each part
// is read in order, as the constants bound to them, and prepared the statement again at
// every read.
var dueToQueryExpressions = strings.NewReplacer("agency = ?", "agency = +?", "urgency = ?", "urgency = +?").Replace(dueToQuery)

// dueToQuery is the dialect's dueToQuery.
func (db *DB) dueToQuery() string {
	if db.dialect.ParamExpressions {
		return dueToQueryExpressions
	}
	return dueToQuery
}

// rankedRow scans a row of dueToQuery, whose first column is the rank, as a delivery.
type rankedRow struct{ rows *sql.Rows }

func (r rankedRow) Scan(dest ...any) error {
	var rank int
	return r.rows.Scan(append([]any{&rank}, dest...)...)
}

// OpenDeliveries returns up to limit deliveries, in either direction, not yet actioned,
// whose next escalation is due at or before now, the longest due first.
func (db *DB) OpenDeliveries(ctx context.Context, now time.Time, limit int) ([]*forewarn.Delivery, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	return db.deliveries(ctx, "list open deliveries",
		"actioned_at IS NULL AND next_escalation IS NOT NULL AND next_escalation <= ? ORDER BY next_escalation, message_id, agency LIMIT ?",
		FormatTime(now), limit)
}

func (db *DB) deliveries(ctx context.Context, op, where string, args ...any) ([]*forewarn.Delivery, error) {
	var ds []*forewarn.Delivery
	err := db.view(ctx, op, func(tx *tx) error {
		var err error
		ds, err = tx.deliveries(ctx, where, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

func (tx *tx) deliveries(ctx context.Context, where string, args ...any) ([]*forewarn.Delivery, error) {
	ds := []*forewarn.Delivery{}
	rows, err := tx.query(ctx, "SELECT "+deliveryColumns+" FROM deliveries WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

// DeliveryFailed records a failed attempt and when to try again. Only the first failure
// of a delivery is audited: a peer cut off for days would otherwise flood the trail with
// retries; the attempt count and last error stay on the delivery. A delivery receipted
// meanwhile is left alone.
func (db *DB) DeliveryFailed(ctx context.Context, messageID, agency, reason string, next time.Time) error {
	if next.IsZero() {
		return forewarn.Invalid("next", "required", "a failed delivery needs the time of its next attempt")
	}
	return db.update(ctx, db.now(), "record failed delivery", func(tx *tx) error {
		d, err := tx.delivery(ctx, "message_id = ? AND agency = ? AND direction = 'out'", messageID, agency)
		if err != nil {
			return err
		}
		if d.Delivered() {
			return nil
		}
		if _, err := tx.exec(ctx, "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt = ?, claimed_by = '' WHERE message_id = ? AND agency = ?",
			reason, FormatTime(next), messageID, agency); err != nil {
			return fmt.Errorf("record failed delivery: %w", err)
		}
		if d.Attempts > 0 {
			return nil
		}
		return tx.audit(ctx, deliveryActor, "message.delivery_failed", "message", messageID, nil, nil, "to "+agency+": "+reason)
	})
}

// Delivered records the recipient's signed receipt and audits it. A delivery already
// receipted keeps its first receipt.
func (db *DB) Delivered(ctx context.Context, receipts ...forewarn.DeliveryReceipt) error {
	for _, r := range receipts {
		if len(r.Receipt) == 0 {
			return forewarn.Invalid("receipt", "required", "a delivery is recorded with the recipient's receipt")
		}
		if r.At.IsZero() {
			return forewarn.Invalid("at", "required", "a delivery is recorded with the time of its receipt")
		}
	}
	write := db.updateLateShared
	if db.dialect.SingleWriter {
		// Receipts share a commit with the messages being sent or received meanwhile
		// (group commit): each is a write of its own, on a node that also sends. The
		// batch is everyone's, so its statements do not end with its caller: a context
		// ending mid-statement interrupts SQLite, which rolls back the whole transaction,
		// the others' messages with it. It is recorded all the same, as they are.
		ctx = context.WithoutCancel(ctx)
		write = func(ctx context.Context, now time.Time, op string, fn func(*tx) error) error {
			return db.updateGrouped(ctx, now, op, fn, nil)
		}
	}
	return write(ctx, db.now(), "record delivery", func(tx *tx) error {
		if tx.late() && db.dialect.WritableCTE {
			return tx.deliveredUnread(ctx, receipts)
		}
		if db.dialect.SingleWriter {
			return tx.deliveredChecked(ctx, receipts)
		}
		states, err := tx.outgoing(ctx, receipts)
		if err != nil {
			return err
		}
		for _, r := range receipts {
			d, ok := states[r.MessageID+"/"+r.Agency]
			if !ok {
				return notFound("no such delivery of message %v", r.MessageID)
			}
			if d.Delivered() {
				continue
			}
			d.DeliveredAt = r.At // the same receipt twice in one batch is recorded once
			// Read without the head in a late transaction: another server may have recorded
			// the same receipt meanwhile, and then this one runs again and skips it.
			if err := tx.execOne(ctx, receiptQuery, FormatTime(r.At), r.Receipt, r.MessageID, r.Agency); err != nil {
				return fmt.Errorf("record delivery: %w", err)
			}
			if err := tx.auditDelivered(ctx, r, d.Attempts); err != nil {
				return err
			}
		}
		return nil
	})
}

// receiptQuery records a receipt on the delivery it names by its key, if still open.
// Like the claim (claimQuery), it asks for delivered_at to be empty through COALESCE and
// for the direction as "<> 'in'", forms no partial index of due deliveries answers: with
// "delivered_at IS NULL", PostgreSQL planned it (before its statistics were gathered, and
// then in the generic plan it keeps) through the index of a peer's due deliveries, and
// read every one of them to record one receipt, with the audit head held.
const receiptQuery = "UPDATE deliveries SET delivered_at = ?, receipt = ?, next_attempt = NULL, claimed_by = '' WHERE message_id = ? AND agency = ? AND COALESCE(delivered_at, '') = ''"

// receiptUnreadQuery is receiptQuery for a receipt recorded without reading the delivery
// first: it is written only if the delivery is outgoing with the failed attempts given.
const receiptUnreadQuery = receiptQuery + " AND direction <> 'in' AND attempts = ?"

// auditDelivered audits r's receipt recorded, after attempts failed attempts.
func (tx *tx) auditDelivered(ctx context.Context, r forewarn.DeliveryReceipt, attempts int) error {
	detail := fmt.Sprintf("to %s after %d failed attempts", r.Agency, attempts)
	return tx.audit(ctx, deliveryActor, "message.delivered", "message", r.MessageID, nil, nil, detail)
}

// distinctReceipts returns receipts with each delivery once: the same receipt twice in
// one batch is recorded once.
func distinctReceipts(receipts []forewarn.DeliveryReceipt) []forewarn.DeliveryReceipt {
	type key struct{ message, agency string }
	seen := make(map[key]bool, len(receipts))
	out := receipts[:0:0]
	for _, r := range receipts {
		if k := (key{r.MessageID, r.Agency}); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// deliveredUnread is Delivered in a late transaction that reads nothing first: it
// assumes what is nearly always true, that each delivery is still open with the failed
// attempts its receipt says, and writes them all with a check of it, so the receipts
// cost no read before their one pipeline. The write is one statement for every receipt
// (receiptsUpdate), which a batch of late transactions merges with the others' receipts
// (Group "receipts"): one statement per batch rather than one per receipt. When one does
// not hold (a delivery receipted meanwhile, retried since, or not there), the
// transaction runs again holding the head, reading them first.
func (tx *tx) deliveredUnread(ctx context.Context, receipts []forewarn.DeliveryReceipt) error {
	rows := distinctReceipts(receipts)
	if len(rows) == 0 {
		return nil
	}
	st := receiptsUpdate([]any{rows})
	st.Group = &Group{Key: "receipts", Rows: rows, Merge: receiptsUpdate}
	tx.queued = append(tx.queued, st)
	for _, r := range rows {
		if err := tx.auditDelivered(ctx, r, r.Attempts); err != nil {
			return err
		}
	}
	return nil
}

// receiptsUpdateSQL records receipts given as one array per column, failing (division
// by zero) unless it records as many as the last argument says: each delivery open,
// outgoing, with the failed attempts its receipt says (forewarn_record_receipts,
// PostgreSQL migration 0443), as receiptUnreadQuery checks one.
var receiptsUpdateSQL = Rebind("SELECT 1 / CASE forewarn_record_receipts(?::text[], ?::text[], ?::text[], ?::bytea[], ?::integer[]) WHEN ? THEN 1 ELSE 0 END")

// receiptsUpdate is the Group.Merge of receipts' writes, each a []forewarn.DeliveryReceipt
// without a delivery twice: the same delivery receipted by two transactions of a batch is
// recorded once, and the count fails the batch, whose transactions then commit alone.
func receiptsUpdate(rows []any) Statement {
	var ids, agencies, ats []string
	var sigs [][]byte
	var attempts []int64
	for _, r := range rows {
		for _, d := range r.([]forewarn.DeliveryReceipt) {
			ids, agencies, ats = append(ids, d.MessageID), append(agencies, d.Agency), append(ats, FormatTime(d.At))
			sigs, attempts = append(sigs, d.Receipt), append(attempts, int64(d.Attempts))
		}
	}
	return Statement{SQL: receiptsUpdateSQL, Args: []any{ids, agencies, ats, sigs, attempts, int64(len(ids))}, Guard: true}
}

// deliveredChecked is Delivered holding the head where each write says how many rows it
// changed (SQLite): each receipt is written as deliveredUnread writes it, assuming its
// delivery still open with the failed attempts the receipt says, and only a receipt whose
// write changed no row reads its delivery to decide, as Delivered otherwise does for
// every one. One statement per receipt rather than a read of them all first.
func (tx *tx) deliveredChecked(ctx context.Context, receipts []forewarn.DeliveryReceipt) error {
	for _, r := range distinctReceipts(receipts) {
		at := FormatTime(r.At)
		res, err := tx.exec(ctx, receiptUnreadQuery, at, r.Receipt, r.MessageID, r.Agency, r.Attempts)
		if err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		attempts := r.Attempts
		if n != 1 {
			d, err := tx.delivery(ctx, "message_id = ? AND agency = ? AND direction <> 'in'", r.MessageID, r.Agency)
			if err != nil {
				return err
			}
			if d.Delivered() {
				continue
			}
			if _, err := tx.exec(ctx, receiptQuery, at, r.Receipt, r.MessageID, r.Agency); err != nil {
				return fmt.Errorf("record delivery: %w", err)
			}
			attempts = d.Attempts
		}
		if err := tx.auditDelivered(ctx, r, attempts); err != nil {
			return err
		}
	}
	return nil
}

// outgoing reads the outgoing deliveries receipts are for, keyed by message ID and
// agency, a few hundred per query: one round trip for a batch of receipts rather than one
// for each.
func (tx *tx) outgoing(ctx context.Context, receipts []forewarn.DeliveryReceipt) (map[string]*forewarn.Delivery, error) {
	ids := map[string]bool{}
	for _, r := range receipts {
		ids[r.MessageID] = true
	}
	all := slices.Sorted(maps.Keys(ids))
	states := map[string]*forewarn.Delivery{}
	for len(all) > 0 {
		chunk := all[:min(len(all), 200)]
		all = all[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.query(ctx, outgoingQuery(len(chunk)), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if d.Direction == forewarn.DirectionOut {
				states[d.MessageID+"/"+d.Agency] = d
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return states, nil
}

// outgoingQuery reads the deliveries of n messages by message ID alone, the direction
// checked by the caller: with "direction = 'out'" in it SQLite reads the (direction,
// agency, delivered_at) index instead, every outgoing delivery ever made.
func outgoingQuery(n int) string {
	return "SELECT " + deliveryColumns + " FROM deliveries WHERE message_id IN (?" + strings.Repeat(", ?", n-1) + ")"
}

// Envelope returns the signed bytes of a stored message.
func (db *DB) Envelope(ctx context.Context, messageID string) ([]byte, error) {
	var env []byte
	err := db.viewOne(ctx, "read envelope", func(tx *tx) error {
		err := tx.queryRow(ctx, "SELECT envelope FROM messages WHERE id = ?", messageID).Scan(&env)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no message with id %q", messageID)
		}
		return err
	})
	return env, err
}

// Envelopes returns the signed bytes of the stored messages among ids, a few hundred
// per query.
func (db *DB) Envelopes(ctx context.Context, ids []string) (map[string][]byte, error) {
	envs := make(map[string][]byte, len(ids))
	err := db.viewOne(ctx, "read envelopes", func(tx *tx) error {
		for rest := ids; len(rest) > 0; {
			chunk := rest[:min(len(rest), 200)]
			rest = rest[len(chunk):]
			list, args := inArgs(chunk)
			rows, err := tx.query(ctx, "SELECT id, envelope FROM messages WHERE id IN ("+list+")", args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var env []byte
				if err := rows.Scan(&id, &env); err != nil {
					rows.Close()
					return err
				}
				envs[id] = env
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return envs, nil
}

// Escalate records a fired escalation step and its alert, and moves the delivery on to
// the next step, audited. A step the delivery has already passed, or a delivery actioned
// meanwhile, records nothing, so two schedulers cannot fire a step twice.
func (db *DB) Escalate(ctx context.Context, e *forewarn.Escalation, next time.Time) error {
	now := db.now()
	if e == nil {
		return required("escalation")
	}
	switch {
	case e.Side != forewarn.SideRecipient && e.Side != forewarn.SideSender:
		return forewarn.Invalid("side", "enum", "unknown escalation side %q (recipient or sender)", e.Side)
	case e.Step < 1:
		return forewarn.Invalid("step", "min", "steps are numbered from 1")
	case !e.Notify.Valid():
		return forewarn.Invalid("notify", "enum", "unknown role %q", e.Notify)
	case strings.TrimSpace(e.Text) == "":
		return forewarn.Invalid("text", "required", "an escalation says what is overdue")
	case e.FiredAt.IsZero():
		return forewarn.Invalid("fired_at", "required", "an escalation needs the time it fired")
	}
	if err := checkText("text", e.Text, maxDetailBytes); err != nil {
		return err
	}
	if err := e.Phrase.Validate("phrase"); err != nil {
		return err
	}
	phrase, err := encodePhrase(e.Phrase)
	if err != nil {
		return err
	}
	v := *e
	v.ID, v.FiredAt = forewarn.NewID(now), e.FiredAt.UTC()
	err = db.update(ctx, now, "escalate", func(tx *tx) error {
		d, err := tx.delivery(ctx, "message_id = ? AND agency = ?", v.MessageID, v.Agency)
		if err != nil {
			return err
		}
		if d.Actioned() || v.Step <= d.Escalated {
			v.ID = ""
			return nil
		}
		if _, err := tx.exec(ctx, "INSERT INTO escalations (id, message_id, agency, side, step, notify, username, text, phrase, fired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			v.ID, v.MessageID, v.Agency, string(v.Side), v.Step, string(v.Notify), v.Username, v.Text, phrase, FormatTime(v.FiredAt)); err != nil {
			return fmt.Errorf("insert escalation: %w", err)
		}
		a := &forewarn.Alert{ID: forewarn.NewID(now), Role: v.Notify, Kind: "escalation", MessageID: v.MessageID, Agency: v.Agency, Username: v.Username, Text: v.Text, Phrase: v.Phrase, CreatedAt: v.FiredAt}
		if err := tx.insertAlert(ctx, a); err != nil {
			return err
		}
		old := *d
		d.Escalated, d.NextEscalation = v.Step, next.UTC()
		if d.Overdue.IsZero() {
			d.Overdue = v.FiredAt
		}
		if _, err := tx.exec(ctx, "UPDATE deliveries SET escalation_step = ?, overdue_since = ?, next_escalation = ? WHERE message_id = ? AND agency = ?",
			d.Escalated, nullTime(d.Overdue), nullTime(d.NextEscalation), d.MessageID, d.Agency); err != nil {
			return fmt.Errorf("update escalated delivery: %w", err)
		}
		detail := fmt.Sprintf("step %d (%s side) for %s: notified %s", v.Step, v.Side, v.Agency, v.Notify)
		return tx.audit(ctx, escalationActor, "message.escalate", "message", v.MessageID, &old, d, detail)
	})
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Escalations returns the escalations of a message in the order they fired.
func (db *DB) Escalations(ctx context.Context, messageID string) ([]*forewarn.Escalation, error) {
	es := []*forewarn.Escalation{}
	err := db.view(ctx, "list escalations", func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM messages WHERE id = ?", messageID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("no message with id %q", messageID)
		}
		rows, err := tx.query(ctx, "SELECT id, message_id, agency, side, step, notify, username, text, phrase, fired_at FROM escalations WHERE message_id = ? ORDER BY fired_at, step, id", messageID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e forewarn.Escalation
			var side, notify, phrase, fired string
			if err := rows.Scan(&e.ID, &e.MessageID, &e.Agency, &side, &e.Step, &notify, &e.Username, &e.Text, &phrase, &fired); err != nil {
				return err
			}
			if e.Phrase, err = decodePhrase(phrase); err != nil {
				return fmt.Errorf("escalation %s: %w", e.ID, err)
			}
			e.Side, e.Notify = forewarn.EscalationSide(side), forewarn.Role(notify)
			if e.FiredAt, err = ParseTime(fired); err != nil {
				return fmt.Errorf("escalation %s: %w", e.ID, err)
			}
			es = append(es, &e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return es, nil
}

// validateAlert checks an alert before it is stored; field prefixes its errors.
func validateAlert(field string, a *forewarn.Alert) error {
	if a == nil {
		return required(field)
	}
	if !a.Role.Valid() {
		return forewarn.Invalid(field+".role", "enum", "unknown role %q", a.Role)
	}
	if strings.TrimSpace(a.Kind) == "" {
		return forewarn.Invalid(field+".kind", "required", "an alert needs a kind, like match or escalation")
	}
	if err := checkText(field+".kind", a.Kind, 40); err != nil {
		return err
	}
	if strings.TrimSpace(a.Text) == "" {
		return forewarn.Invalid(field+".text", "required", "an alert says what happened")
	}
	if err := a.Phrase.Validate(field + ".phrase"); err != nil {
		return err
	}
	return checkText(field+".text", a.Text, maxDetailBytes)
}

// newAlerts returns copies of alerts with new IDs, created at now, about messageID unless
// they name another message.
func newAlerts(alerts []*forewarn.Alert, messageID string, now time.Time) []*forewarn.Alert {
	out := make([]*forewarn.Alert, len(alerts))
	for i, a := range alerts {
		v := *a
		v.ID, v.CreatedAt = forewarn.NewID(now), now
		if v.MessageID == "" {
			v.MessageID = messageID
		}
		out[i] = &v
	}
	return out
}

func (tx *tx) insertAlert(ctx context.Context, a *forewarn.Alert) error {
	return tx.insertAlertAbout(ctx, a, nil)
}

// alertInsertColumns are the columns an alert is inserted with (insertAlertAbout).
const alertInsertColumns = "id, role, kind, message_id, subject_id, agency, username, text, phrase, created_at"

// alertsInsertNumbered writes the alerts of a batch of late transactions, one array per
// column of alertInsertColumns: one statement, of one shape, rather than one per alert.
var alertsInsertNumbered = Rebind("INSERT INTO alerts (" + alertInsertColumns + ") SELECT * FROM unnest(" + arrayParams(alertKinds) + ")")

// alertsInsert is the Group.Merge of alert inserts (their arguments).
func alertsInsert(rows []any) Statement {
	return Statement{SQL: alertsInsertNumbered, Args: columnArrays(argRows(rows), alertKinds)}
}

// argRows are the arguments of the statements a Group merges, as columnArrays takes them.
func argRows(rows []any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = r.([]any)
	}
	return out
}

// insertAlertAbout stores an alert about a message the caller holds (about), so its
// notification need not read it back.
func (tx *tx) insertAlertAbout(ctx context.Context, a *forewarn.Alert, about *alertMessage) error {
	phrase, err := encodePhrase(a.Phrase)
	if err != nil {
		return err
	}
	args := []any{a.ID, string(a.Role), a.Kind, a.MessageID, a.SubjectID, a.Agency, a.Username, a.Text, phrase, FormatTime(a.CreatedAt)}
	if _, err := tx.exec(ctx, "INSERT INTO alerts ("+alertInsertColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", args...); err != nil {
		return fmt.Errorf("insert alert: %w", err)
	}
	if tx.late() {
		// A batch writes its alerts in one statement (alertsInsert): they name nothing
		// that must be written before them.
		tx.queued[len(tx.queued)-1].Group = &Group{Key: "alerts", Rows: args, Merge: alertsInsert}
	}
	// Notifications are derived here, where every alert is written, so that each
	// alert is e-mailed and posted in the transaction that raises it.
	return tx.notifyAlert(ctx, a, about)
}

// Alerts returns up to limit open alerts for a role, newest first; alerts addressed to a
// person are theirs, not the desk's.
func (db *DB) Alerts(ctx context.Context, role forewarn.Role, limit int) ([]*forewarn.Alert, error) {
	if !role.Valid() {
		return nil, forewarn.Invalid("role", "enum", "unknown role %q", role)
	}
	return db.openAlerts(ctx, "role = ? AND username = ''", string(role), limit)
}

// UserAlerts returns up to limit open alerts addressed to the user, newest first.
func (db *DB) UserAlerts(ctx context.Context, username string, limit int) ([]*forewarn.Alert, error) {
	if username == "" {
		return nil, required("username")
	}
	// username <> '' (never false here) lets SQLite read them in the index of users'
	// open alerts, which holds only those; without it, it read every open alert and sorted.
	return db.openAlerts(ctx, "username = ? AND username <> ''", username, limit)
}

func (db *DB) openAlerts(ctx context.Context, where string, arg any, limit int) ([]*forewarn.Alert, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	as := []*forewarn.Alert{}
	err = db.view(ctx, "list alerts", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT "+alertColumns+" FROM alerts WHERE "+where+" AND resolved_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ?", arg, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

// AssignMessage makes username the owner of a received message ("" clears it), audited.
// The owner must be an enabled user of this node.
func (db *DB) AssignMessage(ctx context.Context, actor forewarn.Actor, messageID, username string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	now := db.now()
	return db.update(ctx, now, "assign message", func(tx *tx) error {
		d, err := tx.delivery(ctx, "message_id = ? AND direction = 'in'", messageID)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return notFound("no received message with id %q", messageID)
		}
		if err != nil {
			return err
		}
		if username != "" {
			u, err := tx.userBy(ctx, "username", username)
			if err != nil {
				return err
			}
			if u.Disabled {
				return forewarn.Invalid("username", "enabled", "%s is disabled and cannot own a message", username)
			}
		}
		if d.Owner == username {
			return nil
		}
		old := *d
		d.Owner, d.AssignedBy, d.AssignedAt = username, actor.ID, now
		if username == "" {
			d.AssignedBy, d.AssignedAt = "", time.Time{}
		}
		if _, err := tx.exec(ctx, "UPDATE deliveries SET owner = ?, assigned_by = ?, assigned_at = ? WHERE message_id = ? AND agency = ?",
			d.Owner, d.AssignedBy, nullTime(d.AssignedAt), d.MessageID, d.Agency); err != nil {
			return fmt.Errorf("assign message: %w", err)
		}
		detail := "owner " + username
		if username == "" {
			detail = "owner cleared (was " + old.Owner + ")"
		}
		return tx.audit(ctx, actor, "message.assign", "message", messageID, &old, d, detail)
	})
}

const alertColumns = "id, role, kind, message_id, subject_id, agency, username, text, phrase, created_at, resolved_at, resolved_by, closed_by, resolution"

func scanAlert(s scanner) (*forewarn.Alert, error) {
	var a forewarn.Alert
	var r, phrase, created string
	var resolved sql.NullString
	if err := s.Scan(&a.ID, &r, &a.Kind, &a.MessageID, &a.SubjectID, &a.Agency, &a.Username, &a.Text, &phrase, &created, &resolved, &a.ResolvedBy, &a.ClosedBy, &a.Resolution); err != nil {
		return nil, err
	}
	a.Role = forewarn.Role(r)
	var err error
	if a.Phrase, err = decodePhrase(phrase); err != nil {
		return nil, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	if a.CreatedAt, err = ParseTime(created); err != nil {
		return nil, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	if resolved.Valid {
		if a.ResolvedAt, err = ParseTime(resolved.String); err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.ID, err)
		}
	}
	return &a, nil
}

// Alert returns one alert, open or resolved.
func (db *DB) Alert(ctx context.Context, id string) (*forewarn.Alert, error) {
	var a *forewarn.Alert
	err := db.view(ctx, "read alert", func(tx *tx) error {
		var err error
		a, err = tx.alert(ctx, id)
		return err
	})
	return a, err
}

func (tx *tx) alert(ctx context.Context, id string) (*forewarn.Alert, error) {
	a, err := scanAlert(tx.queryRow(ctx, "SELECT "+alertColumns+" FROM alerts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no alert with id %q", id)
	}
	return a, err
}

// ResolveAlert records who closed an alert without acknowledging its message, when, and
// why (required), audited.
func (db *DB) ResolveAlert(ctx context.Context, actor forewarn.Actor, id, reason string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return forewarn.Invalid("reason", "required", "say why the alert needs no acknowledgement (for example: forwarded to the competent service)")
	}
	if err := checkText("reason", reason, forewarn.MaxResolutionBytes); err != nil {
		return err
	}
	now := db.now()
	return db.update(ctx, now, "resolve alert", func(tx *tx) error {
		a, err := tx.alert(ctx, id)
		if err != nil {
			return err
		}
		if !a.ResolvedAt.IsZero() {
			title, _ := tx.messageTitle(ctx, a.MessageID)
			return forewarn.Errorf(forewarn.ECONFLICT, "the alert about “%s” was closed by %s on %s", title, a.ResolvedBy, a.ResolvedAt.Format("2 Jan 2006 15:04 MST"))
		}
		return tx.closeAlerts(ctx, actor, "id = ?", []any{id}, actor.ID, "", reason)
	})
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// ClaimDeliveries claims the deliveries ds that are still due at now, until until, in one
// statement: on PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so a row another
// server is claiming at this moment is left to it rather than waited for.
func (db *DB) ClaimDeliveries(ctx context.Context, owner string, now, until time.Time, ds []*forewarn.Delivery) ([]*forewarn.Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	if !until.After(now) {
		return nil, forewarn.Invalid("until", "after_now", "a claim must last beyond now")
	}
	n := 1
	for n < len(ds) {
		n *= 2 // one statement shape per size class, as inArgs does
	}
	args := []any{FormatTime(until), owner, FormatTime(now)}
	for i := 0; i < n; i++ {
		d := ds[min(i, len(ds)-1)]
		args = append(args, d.MessageID, d.Agency)
	}
	q := claimQuery(n, db.dialect.SkipLocked)
	claimed := map[[2]string]bool{}
	each := func(scan func(dest ...any) error) error {
		var k [2]string
		if err := scan(&k[0], &k[1]); err != nil {
			return err
		}
		claimed[k] = true
		return nil
	}
	err := db.claimPiped(ctx, "claim deliveries", q, args, each)
	if err != nil {
		return nil, err
	}
	var out []*forewarn.Delivery
	for _, d := range ds {
		if claimed[[2]string{d.MessageID, d.Agency}] {
			v := *d
			v.NextAttempt = until
			out = append(out, &v)
			delete(claimed, [2]string{d.MessageID, d.Agency}) // a delivery listed twice is claimed once
		}
	}
	return out, nil
}

// ClaimDueTo claims for owner, until until, up to limit of the outgoing deliveries to
// agency due at now, the most urgent first, and returns them with their envelopes, in
// one statement: on PostgreSQL one round trip where listing, claiming and reading them
// took three. On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, as
// ClaimDeliveries picks them.
func (db *DB) ClaimDueTo(ctx context.Context, owner, agency string, now, until time.Time, limit int) ([]*forewarn.Delivery, map[string][]byte, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, nil, err
	}
	if agency == "" {
		return nil, nil, required("agency")
	}
	if !until.After(now) {
		return nil, nil, forewarn.Invalid("until", "after_now", "a claim must last beyond now")
	}
	args := make([]any, 0, 19)
	var due any = FormatTime(now)
	for rank := 0; rank <= 3; rank++ {
		args = append(args, agency, rank, due, limit)
	}
	args = append(args, limit, FormatTime(until), owner)
	type claimed struct {
		d       *forewarn.Delivery
		urgency int
	}
	var got []claimed
	envs := map[string][]byte{}
	each := func(scan func(dest ...any) error) error {
		var c claimed
		var env []byte
		d, err := scanDelivery(scanWith{scan, []any{&c.urgency, &env}})
		if err != nil {
			return err
		}
		c.d = d
		if env != nil {
			envs[d.MessageID] = env
		}
		got = append(got, c)
		return nil
	}
	q := db.claimDueToQuery()
	err = db.claimPiped(ctx, "claim due deliveries", q, args, each)
	if err != nil {
		return nil, nil, err
	}
	// RETURNING keeps no order: the most urgent first, then in the order they fell due
	// (the time before the claim is gone; a message ID is ordered by its creation).
	slices.SortFunc(got, func(a, b claimed) int {
		return cmp.Or(cmp.Compare(a.urgency, b.urgency), strings.Compare(a.d.MessageID, b.d.MessageID))
	})
	out := make([]*forewarn.Delivery, len(got))
	for i, c := range got {
		out[i] = c.d
	}
	return out, envs, nil
}

// scanWith scans a row into the destinations asked for, then extra.
type scanWith struct {
	scan  func(dest ...any) error
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.scan(append(dest, s.extra...)...) }

// claimDueToQuery is the dialect's claimDueToQueryFor: on SQLite with the peer and the
// rank as expressions, as dueToQuery, so that it is compiled once.
func (db *DB) claimDueToQuery() string {
	key := [2]string{db.dialect.SkipLocked, fmt.Sprint(db.dialect.ParamExpressions)}
	if q, ok := claimDueToQueries.Load(key); ok {
		return q.(string)
	}
	q := claimDueToQueryFor(db.dialect.SkipLocked)
	if db.dialect.ParamExpressions {
		q = strings.NewReplacer("agency = ?", "agency = +?", "urgency = ?", "urgency = +?").Replace(q)
	}
	claimDueToQueries.Store(key, q)
	return q
}

// claimDueToQueries holds claimDueToQuery's queries, by dialect.
var claimDueToQueries sync.Map

// claimDueToQueryFor claims a peer's due deliveries as dueToQuery lists them, rank by
// rank through the (agency, urgency, next_attempt) index, each rank's rows picked with
// skipLocked, and returns each with its urgency and envelope (NULL when its message is
// gone, which its attempt then reports). The claimed rows are found by their keys.
func claimDueToQueryFor(skipLocked string) string {
	parts := make([]string, 4)
	for rank := range parts {
		parts[rank] = fmt.Sprintf("SELECT * FROM (SELECT %d AS rank, message_id, agency, next_attempt FROM deliveries WHERE agency = ? AND urgency = ? AND next_attempt <= ? AND delivered_at IS NULL AND direction = 'out' ORDER BY agency, urgency, next_attempt LIMIT ?%s) AS r%d",
			rank, skipLocked, rank)
	}
	return "WITH due AS (" + strings.Join(parts, " UNION ALL ") + " ORDER BY rank, next_attempt, message_id LIMIT ?)" +
		" UPDATE deliveries SET next_attempt = ?, claimed_by = ? FROM due WHERE deliveries.message_id = due.message_id AND deliveries.agency = due.agency" +
		" RETURNING deliveries." + strings.ReplaceAll(deliveryColumns, ", ", ", deliveries.") +
		", deliveries.urgency, (SELECT envelope FROM messages WHERE messages.id = deliveries.message_id)"
}

// claimQuery claims the n deliveries named by its arguments after until, owner and now.
// They are named by their keys one by one (OR), not as "(message_id, agency) IN (VALUES
// …)", and the direction as "<> 'in'", not "= 'out'": either of those makes SQLite read
// every outgoing delivery ever made through the (direction, agency, delivered_at) index
// rather than look the few rows up by primary key. Likewise the claim asks for
// delivered_at to be empty through COALESCE rather than IS NULL, a form no partial index
// of due deliveries answers: PostgreSQL, whose statistics lag behind a queue that grows
// fast, otherwise scans every due delivery for the few named, and each claim costs in
// proportion to the backlog.
func claimQuery(n int, skipLocked string) string {
	return "UPDATE deliveries SET next_attempt = ?, claimed_by = ? WHERE (message_id, agency) IN (SELECT message_id, agency FROM deliveries" +
		" WHERE direction <> 'in' AND COALESCE(delivered_at, '') = '' AND next_attempt <= ? AND (" +
		strings.TrimSuffix(strings.Repeat("(message_id = ? AND agency = ?) OR ", n), " OR ") + ")" + skipLocked + ") RETURNING message_id, agency"
}

// releaseDeliveriesQuery takes back the deliveries a server claimed and did not deliver:
// on SQLite through the index of undelivered deliveries (migration 0421).
const releaseDeliveriesQuery = "UPDATE deliveries SET next_attempt = ?, claimed_by = '' WHERE claimed_by = ? AND delivered_at IS NULL AND next_attempt IS NOT NULL"

// ReleaseClaims makes what owner claimed and did not finish due at now.
func (db *DB) ReleaseClaims(ctx context.Context, owner string, now time.Time) (int, error) {
	if owner == "" {
		return 0, forewarn.Invalid("owner", "required", "claims are released by the name of the server that made them")
	}
	var n int64
	err := db.claim(ctx, "release claims", func(tx *tx) error {
		for _, q := range []string{
			releaseDeliveriesQuery,
			"UPDATE notifications SET next_attempt = ?, claimed_by = '' WHERE claimed_by = ? AND next_attempt IS NOT NULL",
		} {
			res, err := tx.exec(ctx, q, FormatTime(now), owner)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return int(n), err
}

// encodePhrase is the phrase column of a sentence: its JSON, or empty when it has no code
// (written before phrases, or by a caller that gave only the English).
func encodePhrase(p forewarn.Phrase) (string, error) {
	if p.Code == "" {
		return "", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode phrase %s: %w", p.Code, err)
	}
	return string(b), nil
}

// decodePhrase reads a phrase column back; ” is no phrase.
func decodePhrase(s string) (forewarn.Phrase, error) {
	var p forewarn.Phrase
	if s == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("decode phrase: %w", err)
	}
	return p, nil
}
