package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// FeedPage is one page a partner's TAXII collection answered.
type FeedPage struct {
	Objects []json.RawMessage
	More    bool
	Next    string
	// DateAddedLast is the X-TAXII-Date-Added-Last header: the cursor for the next poll.
	DateAddedLast string
}

// FeedClient fetches pages of a partner's TAXII collection, objects added after the
// cursor (none: from the start); taxii.Client implements it.
type FeedClient interface {
	Poll(ctx context.Context, f *forewarn.Feed, addedAfter, next string) (*FeedPage, error)
}

// Feed polling defaults: the first delay after a failure (doubling), the longest, and how
// many pages one poll follows before it lets the next poll continue.
const (
	DefaultFeedRetryBase = 30 * time.Second
	DefaultFeedRetryMax  = time.Hour
	DefaultFeedPages     = 50
)

// Feeds polls the partners' TAXII collections this node subscribes to. Every person a
// feed brings in is received intelligence attributed to the feed's agency: it is stored
// as a received notification, cross-matched on arrival exactly like a person in a
// message, and raises "you hold this person" the same way. What cannot be mapped is kept
// raw and counted. A feed that fails is polled again later, backing off on the node's
// clock, and shows as unhealthy until a poll succeeds.
type Feeds struct {
	Messages  *Messages
	Client    FeedClient
	Codec     forewarn.STIXCodec
	RetryBase time.Duration
	RetryMax  time.Duration
	MaxPages  int
}

// NewFeeds returns the feed poller of ms's node.
func NewFeeds(ms *Messages, client FeedClient, codec forewarn.STIXCodec) *Feeds {
	return &Feeds{Messages: ms, Client: client, Codec: codec, RetryBase: DefaultFeedRetryBase, RetryMax: DefaultFeedRetryMax, MaxPages: DefaultFeedPages}
}

// Tick polls every feed that is due now.
func (fs *Feeds) Tick(ctx context.Context) error {
	feeds, err := fs.Messages.Store.Feeds(ctx)
	if err != nil {
		return err
	}
	now := fs.Messages.Clock.Now()
	for _, f := range feeds {
		if f.NextPoll.After(now) {
			continue
		}
		if err := fs.Poll(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// Run ticks every interval until ctx ends. A failure of the node's own store (a feed's
// failure is recorded on the feed, not returned) backs off and logs sparingly, as the
// scheduler and the notifier do, so a PostgreSQL outage writes a handful of lines.
func (fs *Feeds) Run(ctx context.Context, every time.Duration, log *slog.Logger) {
	var down outage
	for {
		wait := every
		if err := fs.Tick(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = down.failed(log, "feed poll", err, every)
		} else {
			down.succeeded(log, "feed poll")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Poll polls one feed now and records the outcome. A failure of the feed (it answers an
// error or garbage, or times out) is recorded on the feed, not returned; only a failure
// of this node's own store is.
func (fs *Feeds) Poll(ctx context.Context, f *forewarn.Feed) error {
	ms := fs.Messages
	now := ms.Clock.Now()
	f.LastPoll = now
	var raw []*forewarn.FeedObject
	next := ""
	var failure error
	for page := 0; page < max(fs.MaxPages, 1); page++ {
		p, err := fs.Client.Poll(ctx, f, f.Cursor, next)
		if err != nil {
			failure = err
			break
		}
		for _, obj := range p.Objects {
			kept, err := fs.take(ctx, f, obj)
			if err != nil {
				return err
			}
			if kept != nil {
				raw = append(raw, kept)
			}
		}
		if p.DateAddedLast != "" {
			f.Cursor = p.DateAddedLast
		}
		if !p.More || p.Next == "" {
			break
		}
		next = p.Next
	}
	if failure != nil {
		f.Failures++
		f.LastError = forewarn.AuditText(forewarn.FailureDetail(failure), 1000)
		delay := fs.RetryBase << min(f.Failures-1, 20)
		if delay <= 0 || delay > fs.RetryMax {
			delay = fs.RetryMax
		}
		f.NextPoll = now.Add(delay)
		ms.Logger.Warn("feed unhealthy", "feed", f.ID, "url", f.URL, "failures", f.Failures, "err", failure, "retry_in", delay)
	} else {
		f.Failures, f.LastError, f.LastSuccess, f.NextPoll = 0, "", now, now.Add(f.Interval)
	}
	return ms.Store.RecordFeedPoll(ctx, forewarn.SystemActor("feed "+f.ID), f, raw)
}

// take receives one object a feed brought: a person as intelligence, anything else kept
// raw (returned, for the caller to keep with the poll).
func (fs *Feeds) take(ctx context.Context, f *forewarn.Feed, obj json.RawMessage) (*forewarn.FeedObject, error) {
	f.Objects++
	var h stixHead
	if err := json.Unmarshal(obj, &h); err != nil || h.ID == "" {
		f.Raw++
		id := "unparsed--" + digestHex(obj)[:32]
		if !json.Valid(obj) {
			obj, _ = json.Marshal(string(obj))
		}
		return &forewarn.FeedObject{FeedID: f.ID, ID: id, Type: "unknown", Reason: "not a STIX object (no id)", Object: obj}, nil
	}
	keep := func(reason string) (*forewarn.FeedObject, error) {
		f.Raw++
		return &forewarn.FeedObject{FeedID: f.ID, ID: h.ID, Type: h.Type, Version: h.version(), Reason: reason, Object: obj}, nil
	}
	p, ok, err := fs.Codec.Person(obj)
	if err != nil {
		return keep("could not map the person: " + forewarn.ErrorMessage(err))
	}
	if !ok {
		return keep("not a person: Forewarn maps persons only (" + h.Type + ")")
	}
	marks, ok := fs.Codec.Marks(obj)
	if !ok {
		marks = forewarn.HandlingMarks{TLP: forewarn.TLPAmber}
	}
	if _, err := fs.Messages.ReceiveFeedPerson(ctx, f, h.ID, h.version(), obj, p, marks); err != nil {
		if code := forewarn.ErrorCode(err); code == forewarn.EINVALID || code == forewarn.EFORBIDDEN {
			return keep("refused: " + forewarn.ErrorMessage(err))
		}
		return nil, err
	}
	f.Persons++
	return nil, nil
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// feedMessageID is the message ID a feed's object version is stored under: a UUIDv7 of
// the version's time, the rest from a hash of feed, object and version, so the same
// version brought twice is received once.
func feedMessageID(feedID, objectID, version string) string {
	t, err := ParseSTIXTime(version)
	if err != nil {
		t = time.Unix(0, 0)
	}
	h := sha256.Sum256([]byte(feedID + "\x00" + objectID + "\x00" + version))
	var u [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(max(t.UnixMilli(), 0)))
	copy(u[0:6], ms[2:8])
	copy(u[6:], h[:10])
	u[6], u[8] = 0x70|u[6]&0x0f, 0x80|u[8]&0x3f
	return forewarn.FormatUUID(u)
}

// ReceiveFeedPerson stores a person a feed brought as a notification received from the
// feed's agency: cross-matched like any arriving message, with its matches and alerts
// stored with it. It has no acknowledgement deadline (a feed awaits no answer), so
// nothing escalates; "you hold this person" is raised all the same. The same object
// version again is not stored twice; duplicate reports it.
func (ms *Messages) ReceiveFeedPerson(ctx context.Context, f *forewarn.Feed, objectID, version string, obj json.RawMessage, p forewarn.PersonDescriptor, marks forewarn.HandlingMarks) (duplicate bool, err error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return false, err
	}
	now := ms.Clock.Now()
	if (marks.TLP == forewarn.TLPRed || marks.TLP == forewarn.TLPAmberStrict) && len(marks.ReleasableTo) == 0 {
		marks.ReleasableTo = []string{self}
	}
	p.Ref = "p1"
	m := &forewarn.Message{ID: feedMessageID(f.ID, objectID, version), Version: forewarn.MessageVersion, From: f.Agency, To: []string{self},
		Created: now, Kind: forewarn.KindNotification, Marks: marks,
		Notification: &forewarn.Notification{
			Summary:  fmt.Sprintf("Received from the TAXII feed of %s (collection %s at %s): STIX %s, version %s", f.Agency, f.Collection, f.URL, objectID, version),
			Priority: forewarn.PriorityRoutine, Persons: []forewarn.PersonDescriptor{p}, AcknowledgeBy: now.Add(ms.Policy.Deadline(forewarn.PriorityRoutine)),
		}}
	m.Normalize()
	if err := m.Validate(now); err != nil {
		return false, err
	}
	digest := digestHex(obj)
	receipt, err := envelope.SealReceipt(&envelope.Receipt{MessageID: m.ID, Recipient: self, ReceivedAt: now, Digest: digest}, ms.Signer)
	if err != nil {
		return false, err
	}
	sm := &forewarn.StoredMessage{Message: m, Envelope: obj, Direction: forewarn.DirectionIn, StoredAt: now, Priority: forewarn.PriorityRoutine}
	sm.Deliveries = []*forewarn.Delivery{{MessageID: m.ID, Agency: self, Direction: forewarn.DirectionIn, DeliveredAt: now}}
	before := int64(0)
	if ms.Matcher != nil {
		before = ms.Matcher.Seen()
	}
	if err := ms.crossMatch(ctx, sm, true, nil); err != nil {
		return false, err
	}
	_, dup, err := ms.Store.ReceiveMessage(ctx, forewarn.SystemActor("feed "+f.ID), sm, receipt)
	if err != nil || dup {
		return dup, err
	}
	ms.Stats.Received.Add(1)
	ms.Stats.Matches.Add(int64(len(sm.Matches)))
	if ms.Matcher != nil {
		if err := ms.matchLate(ctx, sm, before, nil); err != nil {
			ms.Logger.Warn("could not match the subjects written while a feed person arrived", "id", m.ID, "err", err)
		}
	}
	if ms.Notifier != nil {
		ms.Notifier.Poke()
	}
	ms.Logger.Info("feed person received", "feed", f.ID, "object", objectID, "message", m.ID, "matches", len(sm.Matches), "holds_person", sm.HoldsPerson)
	return false, nil
}

// FromFeed reports whether a received message is intelligence a feed brought: what it
// carries is the STIX object the feed served, not a signed envelope from a peer.
func FromFeed(sm *forewarn.StoredMessage) bool {
	return sm.Direction == forewarn.DirectionIn && len(sm.Envelope) > 0 && envelope.ClaimedSender(sm.Envelope) == ""
}

// acknowledgeFeed records an acknowledgement of feed intelligence on this node only: the
// feed awaits no answer, and its agency never sent such a message to be acknowledged.
func (ms *Messages) acknowledgeFeed(ctx context.Context, actor forewarn.Actor, orig *forewarn.StoredMessage, ack forewarn.Acknowledgement, closes string) (*forewarn.StoredMessage, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	now := ms.Clock.Now()
	m := &forewarn.Message{ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: self, To: []string{orig.Message.From}, Created: now,
		Kind: forewarn.KindAcknowledgement, InReplyTo: orig.Message.ID, Marks: orig.Message.Marks, Ack: &ack}
	if err := ms.Store.AcknowledgeLocally(ctx, actor, m, closes); err != nil {
		return nil, err
	}
	return &forewarn.StoredMessage{Message: m, Direction: forewarn.DirectionOut, StoredAt: now}, nil
}
