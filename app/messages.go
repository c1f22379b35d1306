package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/internal/workers"
	"github.com/forewarn/forewarn/match"
)

// Defaults for receiving messages from peers.
const (
	// DefaultMaxEnvelopeBytes bounds one incoming envelope: the 1 MiB of docs/envelope.md.
	DefaultMaxEnvelopeBytes = envelope.DefaultMaxBytes
	// DefaultReplayWindow is how old a message may be when it first arrives; zero takes a
	// never-seen message of any age. A replay is refused by its ID whatever its age (a
	// message already stored is answered with its receipt; an erased one keeps its ID), and
	// what a message proves is its arrival, which the receipt dates, not the time it claims.
	// So a warning held in the sender's outbox through a partition of weeks still arrives,
	// late and shown as late, instead of being refused for ever. An operator who wants old
	// messages refused (--replay-window) gets that, and the sender's outbox says why.
	DefaultReplayWindow = time.Duration(0)
)

// Transport carries a signed envelope to a peer and returns the peer's signed receipt.
type Transport interface {
	Deliver(ctx context.Context, peer *forewarn.Peer, envelope []byte) (receipt []byte, err error)
}

// BatchTransport is a Transport that also carries several envelopes to a peer in one
// request (docs/envelope.md, "Batches"). It returns, in their order, each envelope's
// receipt or the error Deliver would have returned for it alone; err is for the request as
// a whole, a *forewarn.HTTPFailure with status 404 or 405 when the peer takes no batches.
// inFlight is how many deliveries in flight the peer says it gains from (0: it says
// nothing; Messages.TakesInFlight).
type BatchTransport interface {
	Transport
	DeliverBatch(ctx context.Context, peer *forewarn.Peer, envelopes [][]byte) (receipts [][]byte, errs []error, inFlight int, err error)
}

// Messages is the part of the node that exchanges messages with peers.
type Messages struct {
	*Node
	Transport    Transport
	Policy       forewarn.EscalationPolicy
	MaxEnvelope  int
	ReplayWindow time.Duration
	RetryBase    time.Duration // first retry after about this long
	RetryMax     time.Duration // never wait longer than this between attempts
	// DeliveryTimeout bounds one delivery attempt (DefaultDeliveryTimeout when zero).
	DeliveryTimeout time.Duration
	// BatchSize is how many envelopes at most go to a peer in one request when the
	// Transport is a BatchTransport (when zero, half the deliveries that may be in flight to
	// the peer, within 8 to DefaultBatchSize: batchSizeFor; 1 sends each alone).
	BatchSize int
	// TakesInFlight is how many deliveries from one peer this node gains from having in
	// flight at once, said in each answer to a batch (docs/envelope.md, "Batches") so that
	// the peer keeps that many in flight from the start rather than find it by trial
	// (flightLimit). A store that commits arrivals in groups of pipelined writes
	// (PostgreSQL) stores more per commit the more arrive together; serve sets
	// GroupedTakesInFlight for it. Zero says nothing: the peer adapts as it would.
	TakesInFlight int
	// CheckpointInterval makes the running node sign a checkpoint of its audit chain this
	// often when entries were added since the last; 0 signs by count (and on stop) only.
	CheckpointInterval time.Duration
	// PrivatePrepareLead is how long before midnight UTC the next day's private-match set
	// is built (DefaultPrivatePrepareLead when zero); PrivateSyncInterval how often the set
	// of each peer this node may ask privately is brought up to date in the background
	// (DefaultPrivateSyncInterval when zero).
	PrivatePrepareLead  time.Duration
	PrivateSyncInterval time.Duration

	// Stats counts deliveries, receipts, refusals and escalations for the metrics.
	Stats Stats
	// Notifier, when set, is woken after an event that may have queued notifications
	// (the store queues them; this only saves waiting for its next tick).
	Notifier *Notifier

	agencyMu         sync.Mutex // guards agency: a node's first sends may ask at once
	agency           string
	poke             chan struct{}
	flights          flights
	requesters       workers.Pool // deliver, on goroutines whose stacks stay grown
	readySends       readySends
	batching         batching
	peers            peerCache
	worker           worker
	witnessing       witnessing
	holdings         privateHoldings
	peerSets         privatePeerSets
	privateSyncing   privateSyncing
	late             lateMatching
	lastHousekeeping time.Time
}

// NewMessages returns the messaging part of node, with the default policy and limits.
func NewMessages(node *Node, transport Transport) *Messages {
	return &Messages{
		Node: node, Transport: transport,
		Policy:             forewarn.DefaultEscalationPolicy(),
		MaxEnvelope:        DefaultMaxEnvelopeBytes,
		ReplayWindow:       DefaultReplayWindow,
		RetryBase:          DefaultRetryBase,
		RetryMax:           DefaultRetryMax,
		CheckpointInterval: DefaultCheckpointInterval,
		poke:               make(chan struct{}, 1),
	}
}

// Agency returns this node's agency code.
func (ms *Messages) Agency(ctx context.Context) (string, error) {
	ms.agencyMu.Lock()
	defer ms.agencyMu.Unlock()
	if ms.agency != "" {
		return ms.agency, nil
	}
	info, err := ms.Store.Node(ctx)
	if err != nil {
		return "", err
	}
	ms.agency = info.Agency.Code
	return ms.agency, nil
}

// Send completes, signs and stores a draft message for delivery: its ID, sender, creation
// time and, for warnings and requests without one, the deadline the escalation policy
// gives its priority. The message, its deliveries and its audit entry are written together;
// the delivery worker then sends it until every recipient has receipted it.
func (ms *Messages) Send(ctx context.Context, actor forewarn.Actor, m *forewarn.Message) (*forewarn.StoredMessage, error) {
	return ms.send(ctx, actor, m, "")
}

func (ms *Messages) send(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, closesAlert string) (*forewarn.StoredMessage, error) {
	return ms.sendWith(ctx, actor, m, closesAlert, nil, "", nil)
}

// sendWith is send with the forward the message belongs to, written with it (as it will
// be once the message is stored, provided it is still in status fwFrom); named, when
// set, is told the message's ID before the forward is written, to record it there.
func (ms *Messages) sendWith(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, closesAlert string, fw *forewarn.Forward, fwFrom forewarn.ForwardStatus, named func(id string)) (*forewarn.StoredMessage, error) {
	return ms.sendRiding(ctx, actor, m, closesAlert, func(sm *forewarn.StoredMessage) { sm.Forward, sm.ForwardFrom = fw, fwFrom }, named)
}

// sendErasureNotice sends the response that tells an originator of an erasure, settling
// the pending notice noticeID in the message's transaction.
func (ms *Messages) sendErasureNotice(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, noticeID string) (*forewarn.StoredMessage, error) {
	return ms.sendRiding(ctx, actor, m, "", func(sm *forewarn.StoredMessage) { sm.ErasureNotice = noticeID }, nil)
}

// sendRiding is send with the records that ride with the message in its transaction,
// which ride sets on the stored message (a forward, an erasure notice).
func (ms *Messages) sendRiding(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, closesAlert string, ride func(*forewarn.StoredMessage), named func(id string)) (*forewarn.StoredMessage, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	now := ms.Clock.Now()
	var replyTo *forewarn.StoredMessage
	m.ID = forewarn.NewID(now)
	if named != nil {
		named(m.ID)
	}
	m.From = self
	m.Created = now
	m.Normalize()
	deadline := ms.deadline(m, now)
	if err := m.Validate(now); err != nil {
		return nil, err
	}
	if m.InReplyTo != "" {
		// The draft names the message it answers by this node's ID for it; the wire names
		// it by the ID its sender gave it.
		orig, err := ms.Store.Message(ctx, m.InReplyTo)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, forewarn.Invalid("in_reply_to", "known", "this node holds no message %s to reply to", m.InReplyTo)
		}
		if err != nil {
			return nil, err
		}
		if err := m.ValidateReply(orig.Message, self); err != nil {
			return nil, err
		}
		if orig.Direction == forewarn.DirectionIn {
			// A reply may quote what it answers: the marks of the original decide where.
			for _, to := range m.To {
				if err := ms.CheckEgress(ctx, actor, forewarn.Egress{Path: forewarn.EgressReply, MessageID: orig.Message.ID,
					Marks: orig.Message.Marks, Originator: orig.Message.From, To: to}); err != nil {
					return nil, err
				}
			}
		}
		m.InReplyTo = orig.SenderID()
		replyTo = orig
	}
	// The peers and their agreements, from memory unless the store says they changed.
	ac, err := ms.access(ctx)
	if err != nil {
		return nil, err
	}
	peers := make([]*forewarn.Peer, len(m.To))
	for i, to := range m.To {
		var err error
		if peers[i], err = ac.peer(ctx, ms.Store, to); err != nil {
			if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
				return nil, forewarn.Invalid(fmt.Sprintf("to[%d]", i), "known_peer", "%s is not a registered peer of this node (forewarn peer add)", to)
			}
			return nil, err
		}
	}
	if err := ms.checkAgreements(ctx, ac, actor, m, m.Provenance != nil); err != nil {
		return nil, err
	}
	env, encoded, err := envelope.SealEncoded(m, ms.Signer)
	if err != nil {
		return nil, err
	}
	sm := &forewarn.StoredMessage{Message: m, Envelope: env, Encoded: encoded, Direction: forewarn.DirectionOut, StoredAt: now, Priority: m.DeclaredPriority(), ClosesAlert: closesAlert}
	if ride != nil {
		ride(sm)
	}
	for _, to := range m.To {
		d := &forewarn.Delivery{MessageID: m.ID, Agency: to, Direction: forewarn.DirectionOut, NextAttempt: now, Deadline: deadline}
		ms.scheduleEscalation(d, sm.Priority)
		sm.Deliveries = append(sm.Deliveries, d)
	}
	// The running worker sends it as soon as it is stored; when it has no room, its next
	// round does.
	h := ms.handOff(sm, peers, now)
	if h != nil && len(h.flying) > 0 {
		// Messages stored by one commit go to their peer together (readySends).
		sm.Durable = func(int64) { h.ready(env) }
	}
	if ms.Matcher.checksInStore(ms.Store) {
		// The store says whether a subject changed since the index last looked, so that
		// linking the message needs no read of the change log when none did.
		sm.CheckMatched, sm.MatchedThrough = true, ms.Matcher.Seen()
	}
	if err := ms.Store.CreateMessage(ctx, actor, sm); err != nil {
		if h != nil && h.isReady() {
			// Told it was durable: it is stored, and goes.
			h.start(env)
		} else if h != nil {
			h.release()
		}
		return nil, err
	}
	if ms.Logger.Enabled(ctx, slog.LevelInfo) { // its arguments cost an allocation each
		ms.Logger.Info("message queued", "id", m.ID, "kind", m.Kind, "to", m.To)
	}
	if h != nil {
		h.start(env)
	} else {
		ms.Poke()
	}
	if err := ms.answerRequest(ctx, actor, m, replyTo); err != nil {
		ms.Logger.Error("could not mark the request answered", "id", m.InReplyTo, "err", err)
	}
	if err := ms.linkOutgoing(ctx, actor, sm); err != nil {
		// The message is stored and will be delivered; only its link to our subjects is
		// missing, which an analyst can still make by hand.
		ms.Logger.Error("could not link a sent message to the subjects it is about", "id", m.ID, "err", err)
	}
	return sm, nil
}

// deadline fills the message's own deadline from the policy when the sender gave none,
// and returns when its recipients must act on it (zero for kinds without one).
func (ms *Messages) deadline(m *forewarn.Message, now time.Time) time.Time {
	switch {
	case m.Notification != nil:
		if m.Notification.AcknowledgeBy.IsZero() {
			m.Notification.AcknowledgeBy = now.Add(ms.Policy.Deadline(m.Notification.Priority))
		}
		return m.Notification.AcknowledgeBy
	case m.Request != nil:
		if m.Request.Deadline.IsZero() {
			m.Request.Deadline = now.Add(ms.Policy.Deadline(m.Request.Priority))
		}
		return m.Request.Deadline
	}
	return time.Time{}
}

// Acknowledge records how far this node has got with a message it received (read, or
// actioned with an outcome and reason) and sends that acknowledgement back to its sender.
func (ms *Messages) Acknowledge(ctx context.Context, actor forewarn.Actor, messageID string, ack forewarn.Acknowledgement) (*forewarn.StoredMessage, error) {
	orig, err := ms.Store.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if orig.Direction != forewarn.DirectionIn {
		return nil, forewarn.Invalid("message_id", "received", "message %s was sent by this node; only its recipients acknowledge it", messageID)
	}
	if orig.Message.Kind == forewarn.KindAcknowledgement {
		return nil, forewarn.Invalid("message_id", "not_ack", "message %s is itself an acknowledgement", messageID)
	}
	if ack.Outcome != "" && !forewarn.KnownOutcome(ack.Outcome) {
		return nil, forewarn.Invalid("ack.outcome", "enum", "unknown outcome %q; choose one of %s", ack.Outcome, strings.Join(forewarn.Outcomes, ", "))
	}
	if ack.Stage != forewarn.AckActioned {
		for _, d := range orig.Deliveries {
			if d.Actioned() {
				return nil, forewarn.Invalid("ack.stage", "after_actioned", "message %s was already acknowledged as actioned (%s) on %s; a %s acknowledgement cannot follow it",
					messageID, d.Outcome, d.ActionAt.UTC().Format("2 Jan 2006 15:04 MST"), ack.Stage)
			}
		}
	}
	return ms.sendAck(ctx, actor, orig, ack, "")
}

// sendAck sends an acknowledgement of a received message back to its sender; closes, when
// set, is the alert a read-stage acknowledgement answers.
func (ms *Messages) sendAck(ctx context.Context, actor forewarn.Actor, orig *forewarn.StoredMessage, ack forewarn.Acknowledgement, closes string) (*forewarn.StoredMessage, error) {
	if FromFeed(orig) {
		return ms.acknowledgeFeed(ctx, actor, orig, ack, closes)
	}
	return ms.send(ctx, actor, &forewarn.Message{
		Kind:      forewarn.KindAcknowledgement,
		To:        []string{orig.Message.From},
		InReplyTo: orig.Message.ID,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber.Stricter(orig.Message.Marks.TLP), ReleasableTo: []string{orig.Message.From},
			OriginatorConsentRequired: orig.Message.Marks.OriginatorConsentRequired},
		Ack: &ack,
	}, closes)
}

// Assign makes username the owner of a received message: the first to be reminded when
// it falls due, before the liaison desk and the supervisors. A liaison officer takes a
// message for themselves ("I take it"); a supervisor assigns it to anyone who answers
// messages. "" releases it.
func (ms *Messages) Assign(ctx context.Context, p *forewarn.Principal, messageID, username string) (*forewarn.StoredMessage, error) {
	if p == nil {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "sign in to take a message")
	}
	sm, err := ms.Store.Message(ctx, messageID)
	if err != nil {
		return nil, err
	}
	if sm.Direction != forewarn.DirectionIn || sm.Message.Kind == forewarn.KindAcknowledgement {
		return nil, forewarn.Invalid("message_id", "received", "only a received request or warning can be assigned; %s is not one", messageID)
	}
	if username != p.Username && !p.HasRole(forewarn.RoleSupervisor) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only a supervisor assigns a message to someone else; take it yourself instead")
	}
	if username != "" {
		u, err := ms.Store.UserByUsername(ctx, username)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, forewarn.Invalid("username", "known_user", "there is no user %q on this node", username)
		}
		if err != nil {
			return nil, err
		}
		if !(&forewarn.Principal{Username: u.Username, Roles: u.Roles}).Can(forewarn.PermAckMessages) {
			return nil, forewarn.Invalid("username", "can_answer", "%s cannot acknowledge messages, so cannot own one", username)
		}
	}
	if err := ms.Store.AssignMessage(ctx, p.Actor(), messageID, username); err != nil {
		return nil, err
	}
	return ms.Store.Message(ctx, messageID)
}

// AnswerAlert closes an alert without acknowledging its message, for the reason given
// (required): "forwarded to the competent service", "duplicate of …". On a message this
// node received and has not acted on, the reason travels to its sender as a read-stage
// acknowledgement (with the outcome, when given), which closes the alert and the desk's
// other escalation alerts on the message; otherwise the alert is closed with the reason.
// Either way it is audited. An escalation is never silenced: the next step still fires
// until the message is acknowledged as actioned.
func (ms *Messages) AnswerAlert(ctx context.Context, actor forewarn.Actor, alertID, outcome, reason string, by *forewarn.AckAuthor) (*forewarn.Alert, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, forewarn.Invalid("reason", "required", "say why the alert needs no acknowledgement (for example: forwarded to the competent service, or duplicate of another message); or acknowledge the message")
	}
	if outcome != "" && !forewarn.KnownOutcome(outcome) {
		return nil, forewarn.Invalid("outcome", "enum", "unknown outcome %q; choose one of %s", outcome, strings.Join(forewarn.Outcomes, ", "))
	}
	a, err := ms.Store.Alert(ctx, alertID)
	if err != nil {
		return nil, err
	}
	if !a.ResolvedAt.IsZero() {
		title := ""
		if sm, err := ms.Store.Message(ctx, a.MessageID); err == nil {
			title = sm.Message.Title()
		}
		return nil, forewarn.Errorf(forewarn.ECONFLICT, "the alert about “%s” was closed by %s on %s", title, a.ResolvedBy, a.ResolvedAt.UTC().Format("2 Jan 2006 15:04 MST"))
	}
	answer := false
	var orig *forewarn.StoredMessage
	if a.MessageID != "" {
		orig, err = ms.Store.Message(ctx, a.MessageID)
		if err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
			return nil, err
		}
		answer = err == nil && orig.Direction == forewarn.DirectionIn && orig.Message.Kind != forewarn.KindAcknowledgement &&
			len(orig.Deliveries) > 0 && !orig.Deliveries[0].Actioned()
	}
	if answer {
		ack := forewarn.Acknowledgement{Stage: forewarn.AckRead, Outcome: outcome, Reason: reason, By: by}
		if _, err := ms.sendAck(ctx, actor, orig, ack, a.ID); err != nil {
			return nil, err
		}
	} else {
		if outcome != "" {
			reason = outcome + ": " + reason
		}
		if err := ms.Store.ResolveAlert(ctx, actor, a.ID, reason); err != nil {
			return nil, err
		}
	}
	return ms.Store.Alert(ctx, a.ID)
}

// Receive verifies, stores and receipts an envelope a peer delivered. It returns the
// signed receipt, the same one again for a message it already holds. Anything it refuses
// (oversized, malformed, unknown sender, bad signature, not addressed to this node, a
// replay outside the window) is refused with a clear reason and recorded in the audit
// trail; nothing of it is stored.
func (ms *Messages) Receive(ctx context.Context, data []byte, remote string) ([]byte, error) {
	return ms.ReceiveThen(ctx, data, remote, nil)
}

// ReceiveThen is Receive that calls storing (when not nil) once the envelope is verified
// and matched and only storing it is left: a caller bounding how many envelopes are
// verified at once frees its slot there, so messages waiting to be stored together
// (group commit) hold no CPU slot.
func (ms *Messages) ReceiveThen(ctx context.Context, data []byte, remote string, storing func()) ([]byte, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	now := ms.Clock.Now()
	// Cheap checks first: the size, then whether the sender the body names is a pinned
	// peer, found without parsing it. Only then is the body parsed, canonicalised and its
	// signature verified, which costs in proportion to what a stranger chose to send.
	if len(data) > ms.MaxEnvelope {
		return nil, ms.reject(ctx, "", "", "", remote, forewarn.Errorf(forewarn.EINVALID, "the envelope is %d bytes; the limit is %d", len(data), ms.MaxEnvelope))
	}
	claimed := envelope.ClaimedSender(data)
	if !forewarn.IsAgencyCode(claimed) {
		return nil, ms.reject(ctx, "", "", "", remote, forewarn.Errorf(forewarn.EINVALID, "malformed envelope JSON, or its message names no sender agency (message.from)"))
	}
	if _, err := ms.peers.get(ctx, ms.Store, claimed); forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil, ms.reject(ctx, "", claimed, "", remote, forewarn.Errorf(forewarn.EUNAUTHORIZED,
			"unknown sender %s: this node holds no public key for that agency (it is not a registered peer of %s)", claimed, self))
	} else if err != nil {
		return nil, err
	}
	// Keys come from the peer cache; the storing transaction checks each is still the one
	// pinned, and a signature that does not verify with a cached key is checked again
	// with the key as the store has it now.
	keys := map[string]ed25519.PublicKey{}
	keyFor := func(agency string) (ed25519.PublicKey, error) {
		claimed = agency
		p, err := ms.peers.get(ctx, ms.Store, agency)
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "unknown sender %q: it is not a registered peer of %s", agency, self)
		}
		if err != nil {
			return nil, err
		}
		keys[agency] = p.PublicKey
		return p.PublicKey, nil
	}
	m, digest, err := envelope.OpenDigest(data, keyFor, ms.MaxEnvelope)
	if forewarn.ErrorCode(err) == forewarn.EUNAUTHORIZED && len(keys) > 0 {
		for code := range keys {
			ms.peers.forget(code)
		}
		clear(keys)
		m, digest, err = envelope.OpenDigest(data, keyFor, ms.MaxEnvelope)
	}
	if err != nil {
		// Nothing is proven about the sender yet: the claim is recorded as a claim.
		return nil, ms.reject(ctx, "", claimed, "", remote, err)
	}
	stored, err := ms.accept(ctx, self, now, m, data, digest, keys, storing)
	if err != nil {
		if forewarn.ErrorCode(err) == forewarn.EUNAUTHORIZED {
			for code := range keys {
				ms.peers.forget(code)
			}
		}
		return nil, ms.reject(ctx, m.From, "", m.ID, remote, err)
	}
	return stored, nil
}

// peerCache keeps the peers a node receives from, so that receiving a message costs no
// read of the peers table. It is a cache: whoever uses a key from it has the storing
// transaction check it is still the pinned one (ReceiveMessage's VerifiedKeys), and
// drops it when it is not; an agency not in it is looked up in the store every time.
type peerCache struct {
	mu    sync.Mutex
	peers map[string]*forewarn.Peer
}

func (c *peerCache) get(ctx context.Context, store forewarn.Store, code string) (*forewarn.Peer, error) {
	c.mu.Lock()
	p, ok := c.peers[code]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := store.Peer(ctx, code)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.peers == nil {
		c.peers = map[string]*forewarn.Peer{}
	}
	c.peers[code] = p
	c.mu.Unlock()
	return p, nil
}

func (c *peerCache) forget(code string) {
	c.mu.Lock()
	delete(c.peers, code)
	c.mu.Unlock()
}

// accept stores a message whose signature verified, or refuses it.
// digest is the envelope's (envelope.Digest), keys those its signatures verified with;
// storing, when not nil, is called once only storing the message is left.
func (ms *Messages) accept(ctx context.Context, self string, now time.Time, m *forewarn.Message, data []byte, digest string, keys map[string]ed25519.PublicKey, storing func()) ([]byte, error) {
	if m.Created.After(now.Add(forewarn.MaxClockSkew)) {
		return nil, forewarn.Errorf(forewarn.EINVALID, "message %s claims to be created at %s, ahead of this node's clock (%s)",
			m.ID, m.Created.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if !slices.Contains(m.To, self) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "message %s is addressed to %v, not to %s", m.ID, m.To, self)
	}
	// A message this node already holds is answered with its receipt (heldOr), whatever
	// the checks below say now. Storing it finds out whether it is held, in the same
	// transaction, so it is looked up beforehand only when a check refuses it.
	if err := ms.checkThread(ctx, m); err != nil {
		return ms.heldOr(ctx, self, m, data, digest, err)
	}
	if age := now.Sub(m.Created); ms.ReplayWindow > 0 && age > ms.ReplayWindow {
		return ms.heldOr(ctx, self, m, data, digest, forewarn.Errorf(forewarn.EINVALID,
			"message %s was created %s ago, outside this node's replay window of %s; refused as a replay", m.ID, age.Round(time.Second), ms.ReplayWindow))
	}
	receipt, err := envelope.SealReceipt(&envelope.Receipt{MessageID: m.ID, Recipient: self, ReceivedAt: now, Digest: digest}, ms.Signer)
	if err != nil {
		return nil, err
	}
	// Where the store checks what a message was matched through (forewarn.MatchChecker),
	// it is matched against the index as it stands, without reading the change log
	// first: the transaction that stores it finds whether anything the index has not
	// applied was committed before it (nearly always nothing), and refuses it then; it
	// is matched again after catching up, as everywhere else it is the first time.
	check := ms.Matcher.checksInStore(ms.Store)
	wire := m.ID
	var sm *forewarn.StoredMessage
	var before int64
	var stored []byte
	var dup bool
	// The persons are prepared for the engine once: to match the message, to match it
	// late, and to index it.
	var pqs []match.PreparedPerson
	if ms.Matcher != nil {
		pqs = preparePersons(m)
	}
	for {
		sm = &forewarn.StoredMessage{Message: m, Envelope: data, Direction: forewarn.DirectionIn, StoredAt: now, Priority: m.DeclaredPriority(), VerifiedKeys: keys}
		d := &forewarn.Delivery{MessageID: m.ID, Agency: self, Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: receipt, Deadline: m.Deadline()}
		sm.Deliveries = []*forewarn.Delivery{d}
		if check {
			if err := ms.Matcher.settle(ctx); err != nil {
				return nil, err
			}
		}
		before = ms.Matcher.Seen()
		if err := ms.crossMatch(ctx, sm, !check, pqs); err != nil {
			return nil, err
		}
		sm.CheckMatched, sm.MatchedThrough = check, before
		// The deadline follows the effective priority: a warning this node raised (it holds
		// the person) is due as the raised priority is, counted from its arrival here, unless
		// the sender asked for sooner.
		if !d.Deadline.IsZero() && sm.Priority != m.DeclaredPriority() {
			if due := now.Add(ms.Policy.Deadline(sm.Priority)); due.Before(d.Deadline) {
				d.Deadline = due
			}
		}
		ms.scheduleEscalation(d, sm.Priority)
		if ms.Matcher != nil {
			// The match index is told of the message as soon as it is durable, in commit
			// order, so the next arrival matches against it without reading it back.
			sm.Durable = func(seq int64) { ms.Matcher.arrivedPrepared(seq, m, pqs) }
		}
		if storing != nil {
			storing()
			storing = nil
		}
		var err error
		stored, dup, err = ms.Store.ReceiveMessage(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: m.From}, sm, receipt)
		if check && errors.Is(err, forewarn.ErrIndexBehind) {
			m.ID, check = wire, false // nothing was stored: match again, after reading the log
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if dup {
		return ms.heldOr(ctx, self, m, data, digest, nil)
	}
	if !dup {
		ms.Stats.Received.Add(1)
		ms.Stats.Matches.Add(int64(len(sm.Matches)))
		// Woken only when there is something to send: each round claims in a transaction
		// of its own, and most arrivals (routine, about nobody held) queue nothing.
		if sm.Notified {
			ms.Notifier.Poke()
		}
		if ms.Logger.Enabled(ctx, slog.LevelInfo) {
			ms.Logger.Info("message received", "id", m.ID, "kind", m.Kind, "from", m.From, "matches", len(sm.Matches), "holds_person", sm.HoldsPerson)
		}
		if ms.Matcher != nil {
			ms.afterAnswer(func() { ms.matchLateArrival(context.WithoutCancel(ctx), sm, before, pqs) })
		}
		if m.ConsentAnswer != nil {
			// Acted on now; the tick catches up if this fails.
			if err := ms.ApplyConsentAnswers(ctx); err != nil {
				ms.Logger.Error("could not act on a consent answer yet", "id", m.ID, "err", err)
			}
		}
	}
	return stored, nil
}

// checkThread refuses a reply that a partner has no standing to make: an acknowledgement
// of a message this node did not send it, or dated before that message was created (a
// recipient does not choose when it answered); a reply into a conversation the sender
// was not part of.
func (ms *Messages) checkThread(ctx context.Context, m *forewarn.Message) error {
	if m.InReplyTo == "" {
		return nil
	}
	orig, err := ms.Store.Message(ctx, m.InReplyTo)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil // a conversation this node is not part of either
	}
	if err != nil {
		return err
	}
	party := orig.Message.From == m.From || slices.Contains(orig.Message.To, m.From)
	if m.Kind == forewarn.KindAcknowledgement {
		if orig.Direction != forewarn.DirectionOut || !slices.Contains(orig.Message.To, m.From) {
			return forewarn.Errorf(forewarn.EFORBIDDEN, "acknowledgement %s from %s refused: %s was not a recipient of message %s", m.ID, m.From, m.From, orig.Message.ID)
		}
		if m.Created.Before(orig.Message.Created) {
			return forewarn.Errorf(forewarn.EINVALID, "acknowledgement %s is dated %s, before message %s was created (%s); refused",
				m.ID, m.Created.UTC().Format(time.RFC3339), orig.Message.ID, orig.Message.Created.UTC().Format(time.RFC3339))
		}
		return nil
	}
	if !party {
		return forewarn.Errorf(forewarn.EFORBIDDEN, "%s %s from %s refused: it replies to message %s, which %s neither sent nor received", m.Kind, m.ID, m.From, orig.Message.ID, m.From)
	}
	return nil
}

// Refuse records a delivery the federation endpoint refused before handing it to Receive
// (one larger than the limit, say) as Receive records its own refusals, and returns cause.
func (ms *Messages) Refuse(ctx context.Context, remote string, cause error) error {
	return ms.reject(ctx, "", "", "", remote, cause)
}

// heldOr answers a delivery of a message this node holds, or else returns refusal.
// Message IDs are unique per sender, so only the sender's own messages are looked at:
// another agency cannot pre-empt an ID by using it first. The same signed message again
// (a retry after a lost answer, or the genuine envelope after a copy relayed with an
// extra co-signature) gets the receipt it was given, for the envelope delivered now;
// another message under the same ID is refused.
func (ms *Messages) heldOr(ctx context.Context, self string, m *forewarn.Message, data []byte, digest string, refusal error) ([]byte, error) {
	have, err := ms.Store.MessageFrom(ctx, m.From, m.ID)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND && refusal != nil {
		return nil, refusal
	}
	if err != nil {
		return nil, err
	}
	if have.Direction == forewarn.DirectionIn {
		if r, ok, err := ms.sameMessage(have, self, data, digest); err != nil || ok {
			return r, err
		}
	}
	return nil, forewarn.Errorf(forewarn.ECONFLICT, "message ID %s is already taken by another message from %s that this node holds; refused", m.ID, m.From)
}

// sameMessage answers a delivery of a message this node holds (have) with its receipt when
// what was delivered now carries the same signed content. The receipt names the envelope
// delivered now, at the time the message first arrived, so a retry gets the same bytes.
func (ms *Messages) sameMessage(have *forewarn.StoredMessage, self string, data []byte, digest string) ([]byte, bool, error) {
	d := have.Delivery(self)
	if d == nil || len(d.Receipt) == 0 {
		return nil, false, nil
	}
	haveContent, err := envelope.ContentDigest(have.Envelope)
	if err != nil {
		return nil, false, err
	}
	content, err := envelope.ContentDigest(data)
	if err != nil || content != haveContent {
		return nil, false, err
	}
	if haveDigest, err := envelope.Digest(have.Envelope); err == nil && haveDigest == digest {
		return d.Receipt, true, nil
	}
	r, err := envelope.SealReceipt(&envelope.Receipt{MessageID: have.SenderID(), Recipient: self, ReceivedAt: d.DeliveredAt, Digest: digest}, ms.Signer)
	return r, err == nil, err
}

// scheduleEscalation sets when a new delivery's first escalation step is due.
func (ms *Messages) scheduleEscalation(d *forewarn.Delivery, pr forewarn.Priority) {
	if d.Deadline.IsZero() {
		return
	}
	d.NextEscalation, _ = ms.Policy.NextStepTime(pr, d.Deadline, sideOf(d), 0, d.Owner)
}

// reject records a refused delivery in the audit trail and returns the refusal. The actor
// is the peer only when its signature verified (sender): a pinned partner's refusals are
// evidence about it and are audited one by one. A sender merely claimed is named in the
// detail, quoted, and the refusal is the anonymous remote's: like every anonymous refusal
// it goes through the node's refusal log, which audits the first few from an address in
// each interval and counts the rest, so a flood cannot fill the audit trail (issue 13,
// finding 6). Past the log's limit the refusal is RefusedTooOften (answered 429).
func (ms *Messages) reject(ctx context.Context, sender, claimed, messageID, remote string, cause error) error {
	if forewarn.ErrorCode(cause) == forewarn.EINTERNAL {
		return cause
	}
	ms.Stats.Rejected.Add(1)
	reason := forewarn.ErrorMessage(cause)
	detail := "from " + remote
	if claimed != "" {
		detail += fmt.Sprintf(" (claiming to be %q)", claimed)
	}
	e := &forewarn.AuditEntry{Action: "message.reject", ObjectType: "message", ObjectID: printable(messageID),
		Detail: truncate(printable(detail+": "+reason), 1000)}
	ms.Logger.Warn("message rejected", "from", sender, "claimed", claimed, "remote", remote, "reason", reason)
	if sender == "" && ms.Refusals != nil {
		src := hostOf(remote)
		e.Actor = forewarn.SystemActor(forewarn.AuditText("anonymous@"+src, 200))
		if ms.Refusals.Record(ctx, src, e) {
			return &RefusedTooOften{Cause: cause}
		}
		return cause
	}
	e.Actor = forewarn.Actor{Kind: forewarn.ActorPeer, ID: sender}
	if sender == "" {
		e.Actor = forewarn.SystemActor(forewarn.AuditText("anonymous@"+hostOf(remote), 200))
	}
	if err := ms.Store.RecordAudit(ctx, e); err != nil {
		ms.Logger.Error("could not audit a rejected message", "err", err, "reason", reason)
	}
	return cause
}

// RefusedTooOften is the refusal of a request from an address refused so often lately
// that it is told to wait (429) rather than answered with Cause.
type RefusedTooOften struct{ Cause error }

func (e *RefusedTooOften) Error() string { return e.Cause.Error() }
func (e *RefusedTooOften) Unwrap() error { return e.Cause }

// hostOf is the address of a remote "host:port", which the refusal log counts by.
func hostOf(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// printable replaces control characters and invalid UTF-8, which a hostile peer can put
// in any text it sends, so the text can be stored and shown safely.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// linkOutgoing records which of the agency's own subjects a sent message is about, so the
// message shows on their timelines and beside the warnings received about them.
func (ms *Messages) linkOutgoing(ctx context.Context, actor forewarn.Actor, sm *forewarn.StoredMessage) error {
	if ms.Matcher == nil {
		return nil
	}
	if !sm.CheckMatched || sm.SubjectsChanged {
		if _, err := ms.Matcher.CatchUp(ctx); err != nil {
			return err
		}
	}
	if !ms.Matcher.holdsSubjects() {
		// Only subjects are linked: with none held there is nothing to find, and
		// preparing each person named for the search cost a send about half of what
		// sealing it does (BenchmarkDeliveryAPI's profile).
		return nil
	}
	var links []*forewarn.Match
	ps := sm.Message.Persons()
	for i := range ps {
		for _, h := range ms.Matcher.search(descriptorPerson(&ps[i]), ms.Matcher.Candidates) {
			if h.subjectID != "" {
				// Written here about this subject: a known link, never a match to review.
				l := h.toMatch(sm.Message.ID, &ps[i])
				l.Status, l.Reason = forewarn.MatchConfirmed, "this node's own message about the subject"
				links = append(links, l)
			}
		}
	}
	if len(links) == 0 {
		return nil
	}
	sm.Matches = links
	return ms.Store.CreateMatches(ctx, actor, links, nil)
}

// answerRequest acknowledges a received request as actioned when this node sends a
// response to it: answering a question is acting on it, and stops its escalation on both
// sides.
func (ms *Messages) answerRequest(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, req *forewarn.StoredMessage) error {
	if m.Kind != forewarn.KindResponse || req == nil {
		return nil
	}
	// Only an answer that reaches the requester answers the request.
	if req.Direction != forewarn.DirectionIn || req.Message.Kind != forewarn.KindRequest || !slices.Contains(m.To, req.Message.From) {
		return nil
	}
	if d := req.Delivery(m.From); d != nil && d.Actioned() {
		return nil
	}
	_, err := ms.Acknowledge(ctx, actor, req.Message.ID, forewarn.Acknowledgement{
		Stage: forewarn.AckActioned, Outcome: "answered", Reason: "answered by response " + m.ID,
	})
	return err
}
