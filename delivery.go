package forewarn

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
)

// PeerHealth is how deliveries to one peer fare: when one last arrived, how many wait, and
// since when the oldest of those that failed has been failing, with the last error.
type PeerHealth struct {
	Agency        string    `json:"agency"`
	LastDelivered time.Time `json:"last_delivered,omitempty"`
	Backlog       int       `json:"backlog"`
	FailingSince  time.Time `json:"failing_since,omitempty"` // zero when nothing failed
	LastError     string    `json:"last_error,omitempty"`
}

// Peer is a partner agency's node: where to reach it and its pinned public key. A message
// is accepted from a peer only when signed by exactly this key.
type Peer struct {
	Agency    Agency            `json:"agency"`
	BaseURL   string            `json:"base_url"` // "https://forewarn.mit.gov.tr:8443"
	PublicKey ed25519.PublicKey `json:"public_key"`
	AddedAt   time.Time         `json:"added_at"`
}

// Direction says whether this node sent or received a message.
type Direction string

// The directions of a stored message.
const (
	DirectionOut Direction = "out"
	DirectionIn  Direction = "in"
)

// Delivery is the state of one message for one agency. For a message this node sent there
// is one per recipient: attempts, receipt, and how far the recipient says it has got. For
// a message this node received there is one, for this node itself: when it was read and
// acknowledged here.
type Delivery struct {
	MessageID string    `json:"message_id"`
	Agency    string    `json:"agency"`    // the recipient
	Direction Direction `json:"direction"` // out: we sent it to Agency; in: Agency is this node

	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitempty"` // zero once delivered
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitempty"` // the receipt's time
	Receipt     []byte    `json:"receipt,omitempty"`      // the recipient's signed receipt

	ReadAt   time.Time `json:"read_at,omitempty"`
	ReadBy   string    `json:"read_by,omitempty"`
	ActionAt time.Time `json:"actioned_at,omitempty"` // acknowledged with an outcome
	ActionBy string    `json:"actioned_by,omitempty"`
	Outcome  string    `json:"outcome,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	// AckArrivedAt is when the actioned acknowledgement reached this node. ActionAt is the
	// time it claims, which the recipient chooses; whether it came in time is judged by this.
	AckArrivedAt time.Time `json:"ack_arrived_at,omitempty"`
	Deadline     time.Time `json:"deadline,omitempty"`      // when it must be actioned (zero: none)
	Escalated    int       `json:"escalation_step"`         // index after the last escalation step fired (EscalationPolicy.DueSteps)
	Overdue      time.Time `json:"overdue_since,omitempty"` // when the first step fired

	// NextEscalation is when the next escalation step for this node's side is due; zero
	// when none is left or the message is actioned.
	NextEscalation time.Time `json:"next_escalation,omitempty"`

	// Owner is the user who took a received message, or was assigned it: the first to be
	// reminded when it falls due. AssignedBy and AssignedAt say who made them owner, when.
	Owner      string    `json:"owner,omitempty"`
	AssignedBy string    `json:"assigned_by,omitempty"`
	AssignedAt time.Time `json:"assigned_at,omitempty"`
}

// Delivered reports whether the recipient has receipted the message.
func (d *Delivery) Delivered() bool { return !d.DeliveredAt.IsZero() }

// Actioned reports whether the recipient has acknowledged the message with an outcome.
func (d *Delivery) Actioned() bool { return !d.ActionAt.IsZero() }

// StoredMessage is a message as a node holds it: the signed envelope exactly as sent or
// received, and its delivery and acknowledgement state.
type StoredMessage struct {
	Message    *Message    `json:"message"`
	Envelope   []byte      `json:"-"` // the signed wire bytes
	Direction  Direction   `json:"direction"`
	StoredAt   time.Time   `json:"stored_at"`
	Priority   Priority    `json:"priority"` // effective priority: raised when this node holds a person in it
	Deliveries []*Delivery `json:"deliveries"`
	// Matches found when the message arrived and the alerts they raised; ReceiveMessage
	// stores them with the message, in the same transaction.
	Matches []*Match `json:"matches,omitempty"`
	Alerts  []*Alert `json:"alerts,omitempty"`
	// HoldsPerson says a person in the message matched a watch-listed subject here.
	HoldsPerson bool `json:"holds_person,omitempty"`
	// ClosesAlert, on a read-stage acknowledgement being sent, is the alert it answers:
	// CreateMessage closes it, and the desk's other escalation alerts on the message,
	// with the acknowledgement's reason.
	ClosesAlert string `json:"-"`
	// WireID is the ID the sender gave the message, set only when this node stores it
	// under another: another agency's message already held that ID here.
	WireID string `json:"wire_id,omitempty"`
	// VerifiedKeys, on a message being received, are the peer keys its envelope's
	// signatures verified with (a receiver may verify with keys it cached): ReceiveMessage
	// refuses the message when any is no longer the key pinned for its agency.
	VerifiedKeys map[string]ed25519.PublicKey `json:"-"`
	// Encoded, on a message being sent, is the message as encoding/json encodes it, when
	// the caller has it (envelope.SealEncoded): CreateMessage stores it rather than
	// encoding the message again. It must be the encoding of Message as it is stored.
	Encoded []byte `json:"-"`
	// ChangeSeq, on a message ReceiveMessage stored, is the Seq of the change-log entry
	// its arrival wrote, so this process's match index can apply it without reading it
	// back; 0 when the store does not say.
	ChangeSeq int64 `json:"-"`
	// Notified, on a message ReceiveMessage stored, says storing it queued notifications
	// (e-mail, webhooks) in the outbox, so that the caller wakes the notification worker
	// only when it has something to send.
	Notified bool `json:"-"`
	// Durable, when set on a message being received, is called by ReceiveMessage once the
	// message is durably stored, with its ChangeSeq: writes committed together are told in
	// commit order, before any of their callers is answered. It must be quick. On a message
	// being sent, CreateMessage calls it with 0: on SQLite likewise, in commit order before
	// any sender is answered; on PostgreSQL as each send's own write returns.
	Durable func(changeSeq int64) `json:"-"`
	// MatchedThrough, on a message being received with CheckMatched set, is the Seq of
	// the last change its matcher had applied when it matched the message. A MatchChecker
	// then refuses it (ErrIndexBehind) when any change after that Seq and before its own
	// was committed other than arrivals it stored with Durable set: those the matcher is
	// told of, and that were stored while this one was matched. So the message is stored
	// only with the matches it would have had had its matcher read the log first.
	//
	// On a message being sent with CheckMatched set, CreateMessage instead reports in
	// SubjectsChanged whether a subject changed after MatchedThrough and before the
	// message was stored: only then must its sender's index catch up before linking the
	// message to the subjects it is about.
	MatchedThrough  int64 `json:"-"`
	CheckMatched    bool  `json:"-"`
	SubjectsChanged bool  `json:"-"`
	// Forward, on a message being sent, is the forward it belongs to, as it is once the
	// message is sent: CreateMessage writes it in the same transaction, provided it is
	// still in ForwardFrom ("" for a new forward), and ECONFLICT otherwise.
	Forward     *Forward      `json:"-"`
	ForwardFrom ForwardStatus `json:"-"`
	// ErasureNotice, when set, names the pending ErasureNotice this message is: it is
	// recorded sent in the message's transaction, and ECONFLICT when it was settled.
	ErasureNotice string `json:"-"`
	// ClaimedBy, on a message being sent, names the server that starts its deliveries as
	// soon as it is stored: CreateMessage stores them claimed by it until their
	// NextAttempt, as ClaimDeliveries would, so no round of any server starts them again.
	ClaimedBy string `json:"-"`
}

// SenderID returns the ID the message's sender gave it: what receipts and replies name.
func (sm *StoredMessage) SenderID() string {
	if sm.WireID != "" {
		return sm.WireID
	}
	return sm.Message.ID
}

// Delivery returns the state of the message for agency, or nil.
func (sm *StoredMessage) Delivery(agency string) *Delivery {
	for _, d := range sm.Deliveries {
		if d.Agency == agency {
			return d
		}
	}
	return nil
}

// DeliveryReceipt is a recipient's signed receipt for one message, as the sender records it.
type DeliveryReceipt struct {
	MessageID string
	Agency    string
	Receipt   []byte
	At        time.Time // when the recipient says it received the message
	// Attempts is how many attempts had failed before the one receipted, as the sender
	// read them when it sent. The store records the delivery's own count; where it writes
	// without reading first, it writes only when that count is this one.
	Attempts int
}

// MessageFilter selects messages.
type MessageFilter struct {
	Direction  Direction   // "" for both
	Kind       MessageKind // "" for all
	Peer       string      // sent to or received from this agency
	Thread     string      // messages whose thread root is this ID
	Overdue    bool        // only those with an overdue delivery
	Unactioned bool        // only those not yet actioned by every recipient
	Owner      string      // only received messages this user owns
	// Urgent sorts by urgency: overdue first, then by the earliest open deadline, then by
	// effective priority; otherwise newest first. It is Sort: SortUrgent.
	Urgent bool
	Sort   MessageSort // "" is newest first
	Offset int
	Limit  int
}

// MessageSort is the order of a message list. Each is an index walk, fast at any size.
type MessageSort string

// The orders of a message list.
const (
	SortNewest      MessageSort = "newest"   // received or sent, newest first
	SortOldest      MessageSort = "oldest"   // oldest first
	SortUrgent      MessageSort = "urgency"  // overdue, then earliest open deadline, then priority, then newest
	SortLeastUrgent MessageSort = "-urgency" // the reverse
)

// EscalationSide says on which node an escalation step fires.
type EscalationSide string

// The sides of an escalation.
const (
	SideRecipient EscalationSide = "recipient" // the node that must answer
	SideSender    EscalationSide = "sender"    // the node waiting for the answer
)

// Escalation is one fired escalation step: who was told, and when.
type Escalation struct {
	ID        string         `json:"id"`
	MessageID string         `json:"message_id"`
	Agency    string         `json:"agency"` // the recipient whose answer is missing
	Side      EscalationSide `json:"side"`
	Step      int            `json:"step"` // 1-based index of the step in the policy
	Notify    Role           `json:"notify"`
	Username  string         `json:"username,omitempty"` // the owner told, when the step tells a person
	Text      string         `json:"text"`               // in English, as the record keeps it
	// Phrase is Text as a code and arguments, for the pages to say in the reader's
	// language; empty on escalations recorded before phrases.
	Phrase
	FiredAt time.Time `json:"fired_at"`
}

// Alert puts something in front of the people holding a role: an escalation, or a match
// against a subject the agency holds.
type Alert struct {
	ID        string `json:"id"`
	Role      Role   `json:"role"`
	Kind      string `json:"kind"` // "escalation", "match"
	MessageID string `json:"message_id,omitempty"`
	SubjectID string `json:"subject_id,omitempty"`
	Text      string `json:"text"` // in English, as the record keeps it
	// Phrase is Text as a code and arguments, for the pages to say in the reader's
	// language; empty on alerts raised before phrases.
	Phrase
	CreatedAt time.Time `json:"created_at"`
	// Agency is, for an escalation, the recipient whose answer is missing.
	Agency string `json:"agency,omitempty"`
	// Username, when set, addresses the alert to that person (a message's owner) rather
	// than to everyone holding Role.
	Username string `json:"username,omitempty"`
	// ResolvedAt and ResolvedBy say who closed the alert, and when: by acknowledging its
	// message (ClosedBy names the acknowledgement), or by recording why not (Resolution).
	ResolvedAt time.Time `json:"resolved_at,omitempty"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ClosedBy   string    `json:"closed_by,omitempty"`
	Resolution string    `json:"resolution,omitempty"`
}

// MaxResolutionBytes bounds the reason given for closing an alert without acknowledging.
const MaxResolutionBytes = 2000

// MessageStore keeps messages, their deliveries and escalations. Like Store, every public
// method owns its transaction and audits what it changes in it.
type MessageStore interface {
	AddPeer(ctx context.Context, actor Actor, p *Peer) error
	RemovePeer(ctx context.Context, actor Actor, code string) error
	Peer(ctx context.Context, code string) (*Peer, error)
	Peers(ctx context.Context) ([]*Peer, error)
	// PeerHealth says, for each agency this node sends to, how its deliveries fare.
	PeerHealth(ctx context.Context) (map[string]*PeerHealth, error)

	// CreateMessage stores an outgoing message, its envelope, one pending delivery per
	// recipient (due at once), and its audit entry, together. An acknowledgement message
	// also records the stage on this node's delivery of the message it acknowledges.
	CreateMessage(ctx context.Context, actor Actor, sm *StoredMessage) error
	// ReceiveMessage stores an incoming message, its delivery row, its audit entry and
	// receipt together. A message already stored is not stored again: the receipt it was
	// first given is returned with duplicate set. An incoming acknowledgement also updates
	// the sender-side delivery of the message it acknowledges.
	ReceiveMessage(ctx context.Context, actor Actor, sm *StoredMessage, receipt []byte) (stored []byte, duplicate bool, err error)
	Message(ctx context.Context, id string) (*StoredMessage, error)
	// MessageFrom returns the message sender sent under the ID it gave it, which this node
	// may store under another (StoredMessage.WireID); ENOTFOUND when it holds none.
	MessageFrom(ctx context.Context, sender, id string) (*StoredMessage, error)
	Messages(ctx context.Context, f MessageFilter) ([]*StoredMessage, int, error)

	// DueDeliveries returns up to limit outgoing deliveries not yet receipted whose next
	// attempt is due at or before now, the most urgent priority first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// DueDeliveriesTo is DueDeliveries for one peer's queue: up to limit of the outgoing
	// deliveries to agency due at or before now, the most urgent first.
	DueDeliveriesTo(ctx context.Context, agency string, now time.Time, limit int) ([]*Delivery, error)
	// ClaimDeliveries takes the deliveries ds (as DueDeliveries listed them) for the
	// server named owner until until: one is claimed only while it is still due at now,
	// not receipted, and no other server is claiming it, so two servers on one store
	// never send the same delivery at once. It returns the ones claimed. A claim is the
	// delivery's next attempt moved to until, so it lapses by itself: what a server that
	// died had claimed falls due again then (or at once, with ReleaseClaims, when it
	// restarts).
	ClaimDeliveries(ctx context.Context, owner string, now, until time.Time, ds []*Delivery) ([]*Delivery, error)
	// ClaimDueTo lists, claims and reads in one: it claims for owner until until, as
	// ClaimDeliveries does, up to limit of the outgoing deliveries to agency due at now,
	// the most urgent first, and returns them with their messages' envelopes by message
	// ID (one whose message is gone has none). The delivery worker's rounds use it.
	ClaimDueTo(ctx context.Context, owner, agency string, now, until time.Time, limit int) ([]*Delivery, map[string][]byte, error)
	// ReleaseClaims makes every delivery and notification the server named owner claimed
	// and did not finish due again at now, and returns how many. A server calls it when
	// it starts: what its previous run claimed, that run will never send.
	ReleaseClaims(ctx context.Context, owner string, now time.Time) (int, error)
	// DeliveryFailed records a failed attempt and when to try again.
	DeliveryFailed(ctx context.Context, messageID, agency, reason string, next time.Time) error
	// Delivered records recipients' signed receipts, each audited, in one transaction: the
	// delivery worker records a batch at once rather than paying a commit for each.
	Delivered(ctx context.Context, receipts ...DeliveryReceipt) error
	// Envelope returns the signed bytes of a stored message, for sending it again.
	Envelope(ctx context.Context, messageID string) ([]byte, error)
	// Envelopes returns the signed bytes of the stored messages among messageIDs, by ID,
	// in one read: the delivery worker reads those of a round's deliveries together.
	Envelopes(ctx context.Context, messageIDs []string) (map[string][]byte, error)

	// OpenDeliveries returns up to limit deliveries, in either direction, not yet
	// actioned, whose NextEscalation is at or before now.
	OpenDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// Escalate records a fired escalation step and its alert, and sets the delivery's
	// Escalated to e.Step, its Overdue (if unset) to e.FiredAt and its NextEscalation to
	// next (zero: none left), audited, together.
	Escalate(ctx context.Context, e *Escalation, next time.Time) error
	Escalations(ctx context.Context, messageID string) ([]*Escalation, error)
	// Alerts returns up to limit open alerts for role, newest first; alerts addressed to a
	// person are not the desk's.
	Alerts(ctx context.Context, role Role, limit int) ([]*Alert, error)
	// UserAlerts returns up to limit open alerts addressed to the user, newest first.
	UserAlerts(ctx context.Context, username string, limit int) ([]*Alert, error)
	// AssignMessage makes username the owner of a received message, audited; "" clears
	// the owner. ENOTFOUND for an unknown message or user.
	AssignMessage(ctx context.Context, actor Actor, messageID, username string) error
	// Alert returns one alert, open or resolved.
	Alert(ctx context.Context, id string) (*Alert, error)
	// ResolveAlert records why a person closed an alert without acknowledging its message
	// (reason is required), audited; ECONFLICT when it was closed already. Acknowledging
	// a message closes its alerts through CreateMessage and ReceiveMessage instead.
	ResolveAlert(ctx context.Context, actor Actor, id, reason string) error
}

// Status says in one line where a delivery stands, the way the sender's desk needs to read
// it: "delivered 12 Dec 2014 09:30 UTC, not acknowledged, overdue since 13 Dec 2014 09:30 UTC".
// A delivery without a deadline (an acknowledgement, a response) is never "not acknowledged".
func (d *Delivery) Status() string {
	const layout = "2 Jan 2006 15:04 MST"
	var parts []string
	switch {
	case d.Delivered() && d.Direction == DirectionIn:
		parts = append(parts, "received "+d.DeliveredAt.UTC().Format(layout))
	case d.Delivered():
		parts = append(parts, "delivered "+d.DeliveredAt.UTC().Format(layout))
	case d.Attempts > 0:
		s := fmt.Sprintf("not delivered after %d attempts (%s)", d.Attempts, d.LastError)
		if !d.NextAttempt.IsZero() {
			// The worker keeps trying until the peer receipts it: say so, or a sender
			// reads "not delivered" as given up.
			s += "; trying again at " + d.NextAttempt.UTC().Format(layout)
		}
		parts = append(parts, s)
	default:
		parts = append(parts, "queued")
	}
	switch {
	case d.Actioned():
		by := ""
		if d.ActionBy != "" {
			by = " by " + d.ActionBy
		}
		s := fmt.Sprintf("acknowledged %s%s: %s", d.ActionAt.UTC().Format(layout), by, d.Outcome)
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		arrived := d.AckArrivedAt
		if arrived.IsZero() || arrived.Before(d.ActionAt) {
			arrived = d.ActionAt
		}
		if !d.Deadline.IsZero() && arrived.After(d.Deadline) {
			if arrived.Sub(d.ActionAt) > MaxClockSkew {
				s += ", arrived " + arrived.UTC().Format(layout)
			}
			s += ", " + Ago(arrived.Sub(d.Deadline)) + " after the deadline"
		}
		parts = append(parts, s)
	case !d.ReadAt.IsZero() && d.Deadline.IsZero():
		parts = append(parts, "read "+d.ReadAt.UTC().Format(layout))
	case !d.ReadAt.IsZero():
		parts = append(parts, "read "+d.ReadAt.UTC().Format(layout)+", not acknowledged")
	case d.Delivered() && !d.Deadline.IsZero():
		// Only what has a deadline waits for an acknowledgement: an acknowledgement or an
		// answer sent back is delivered, and that is all there is to say about it.
		parts = append(parts, "not acknowledged")
	}
	if !d.Overdue.IsZero() && !d.Actioned() {
		parts = append(parts, "overdue since "+d.Deadline.UTC().Format(layout))
	}
	return strings.Join(parts, ", ")
}
