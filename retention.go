package forewarn

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// RetentionKind says what a review date is on: a subject, or a message this node received.
type RetentionKind string

// The kinds of item that carry a review date.
const (
	RetainSubject RetentionKind = "subject"
	RetainMessage RetentionKind = "message"
)

// Valid reports whether k is a known kind.
func (k RetentionKind) Valid() bool { return k == RetainSubject || k == RetainMessage }

// RetentionRule is the node's policy for one kind and class of item: how many days after
// it was stored an item is due for review. A subject's class is its watch-list status
// (watchlisted, none); a received message's is its effective priority.
type RetentionRule struct {
	Kind      RetentionKind `json:"kind"`
	Class     string        `json:"class"`
	Days      int           `json:"days"`
	UpdatedAt time.Time     `json:"updated_at,omitempty"`
}

// MaxRetentionDays bounds a rule and a kept item's new date: ten years.
const MaxRetentionDays = 3653

// DefaultRetentionRules is the policy of a new node: a watch-listed subject is reviewed
// after a year, any other after six months; a received flash or urgent message after two
// years, a priority one after a year, a routine one after six months.
func DefaultRetentionRules() []RetentionRule {
	return []RetentionRule{
		{Kind: RetainSubject, Class: string(WatchListed), Days: 365},
		{Kind: RetainSubject, Class: string(WatchNone), Days: 180},
		{Kind: RetainMessage, Class: string(PriorityFlash), Days: 730},
		{Kind: RetainMessage, Class: string(PriorityUrgent), Days: 730},
		{Kind: RetainMessage, Class: string(PriorityPriority), Days: 365},
		{Kind: RetainMessage, Class: string(PriorityRoutine), Days: 180},
	}
}

// Validate checks the rule, naming the wrong field.
func (r *RetentionRule) Validate() error {
	switch r.Kind {
	case RetainSubject:
		if r.Class != string(WatchListed) && r.Class != string(WatchNone) {
			return Invalid("class", "enum", "a subject's class is its watch-list status (watchlisted or none), not %q", r.Class)
		}
	case RetainMessage:
		switch Priority(r.Class) {
		case PriorityFlash, PriorityUrgent, PriorityPriority, PriorityRoutine:
		default:
			return Invalid("class", "enum", "a message's class is its priority (flash, urgent, priority or routine), not %q", r.Class)
		}
	default:
		return Invalid("kind", "enum", "kind is subject or message, not %q", r.Kind)
	}
	if r.Days < 1 || r.Days > MaxRetentionDays {
		return Invalid("days", "range", "a review comes 1 to %d days after an item is stored, not %d", MaxRetentionDays, r.Days)
	}
	return nil
}

// Review is when an item is next to be reviewed: kept (with a reason and a new date) or
// erased. The policy sets the first date; a person moves it, always with a reason.
type Review struct {
	Kind     RetentionKind `json:"kind"`
	ObjectID string        `json:"object_id"`
	ReviewAt time.Time     `json:"review_at"`
	// Reason says why the date was last set by hand; empty when the policy set it.
	Reason string    `json:"reason,omitempty"`
	SetBy  string    `json:"set_by"`
	SetAt  time.Time `json:"set_at"`
	// AlertedAt is when the review alert for ReviewAt fired; zero until then.
	AlertedAt time.Time `json:"alerted_at,omitempty"`
	// Label names the item for the people who review it (a subject's primary name, a
	// message's kind, sender and date); it is read with the review, never stored with it.
	Label string `json:"label,omitempty"`
}

// ReviewFilter selects reviews.
type ReviewFilter struct {
	Kind   RetentionKind // only this kind, when set
	DueBy  time.Time     // only those due at or before this time, when set
	Offset int
	Limit  int
}

// Tombstone is what remains of an erased item: what it was, when, by whom and why it was
// erased, and the digest of the item as it was (the Before of its erasure's audit entry).
type Tombstone struct {
	Kind     RetentionKind `json:"kind"`
	ObjectID string        `json:"object_id"`
	ErasedAt time.Time     `json:"erased_at"`
	ErasedBy string        `json:"erased_by"`
	Reason   string        `json:"reason"`
	Digest   string        `json:"digest"`
	// Originator is, for a received message, the agency that sent it.
	Originator string `json:"originator,omitempty"`
	// MessageKind and Created describe an erased message for the notice to its originator.
	MessageKind MessageKind `json:"message_kind,omitempty"`
	Created     time.Time   `json:"created,omitempty"`
	// Persons counts the persons erased from messages (a subject's confirmed persons in
	// received and sent messages, or every person of an erased message).
	Persons int `json:"persons"`
	// Messages lists the received messages persons were erased from, with their senders,
	// so their originators can be told.
	Messages []ErasedMessage `json:"messages,omitempty"`
	// AuditKept lists, by Seq, the audit entries whose detail still holds text naming an
	// erased person: written before reasons were kept apart from the chain (migration
	// 0210), they cannot change without breaking it, so they are kept, exempt, and named
	// here for the data-protection officer (docs/retention.md).
	AuditKept []int64 `json:"audit_kept,omitempty"`
}

// ErasureNotice is the notice an originator is owed when persons are erased from a
// message it sent and its sharing agreement asks to be told (SharingAgreement.
// NotifyErasure). It is written in the erasure's transaction and settled once: by the
// message that tells the originator (written with it, then delivered by the outbox until
// receipted), or, when the agreement or the marks no longer let it go, by the refusal.
type ErasureNotice struct {
	ID         string        `json:"id"`
	MessageID  string        `json:"message_id"` // the received message, by this node's ID
	Originator string        `json:"originator"`
	Erased     RetentionKind `json:"erased"`    // what was erased: a subject, or the message
	ObjectID   string        `json:"object_id"` // its ID
	Digest     string        `json:"digest"`    // the tombstone's digest
	ErasedAt   time.Time     `json:"erased_at"`
	NoticeID   string        `json:"notice_id,omitempty"` // the message sent
	Refused    string        `json:"refused,omitempty"`   // why it could not go
	SettledAt  time.Time     `json:"settled_at,omitzero"`
}

// ErasedMessage is a received message from which persons were erased.
type ErasedMessage struct {
	ID      string      `json:"id"`
	From    string      `json:"from"`
	Kind    MessageKind `json:"kind"`
	Created time.Time   `json:"created"`
}

// RetentionStore keeps review dates, the retention policy and erasures.
type RetentionStore interface {
	// RetentionRules returns the policy, one rule per kind and class.
	RetentionRules(ctx context.Context) ([]RetentionRule, error)
	// SetRetentionRule replaces one rule of the policy; audited. Review dates already
	// given keep their date.
	SetRetentionRule(ctx context.Context, actor Actor, r *RetentionRule) error
	// AssignReviews gives every subject and received message stored since it last ran a
	// review date from the policy, following the change log, so every writer's items get
	// one. It returns how many it gave.
	AssignReviews(ctx context.Context) (int, error)
	// Review returns an item's review; ENOTFOUND when it has none.
	Review(ctx context.Context, kind RetentionKind, id string) (*Review, error)
	// Reviews returns reviews, soonest first, and how many the filter selects.
	Reviews(ctx context.Context, f ReviewFilter) ([]*Review, int, error)
	// SetReview moves an item's review date, with a mandatory reason (keeping it at its
	// review, or editing the date); it closes the item's open review alert. Audited, the
	// reason kept out of the chain (an erasable note whose digest the entry holds).
	SetReview(ctx context.Context, actor Actor, kind RetentionKind, id string, at time.Time, reason string) (*Review, error)
	// AlertDueReviews raises one alert for every review due at now that has not alerted
	// yet: to the message's owner when it has one, else to the analysts.
	AlertDueReviews(ctx context.Context, limit int) ([]*Alert, error)
	// Erase removes an item's personal data (see docs/retention.md) and leaves a
	// tombstone, in one audited transaction, with an ErasureNotice for each originator
	// whose agreement asks to be told.
	Erase(ctx context.Context, actor Actor, kind RetentionKind, id, reason string) (*Tombstone, error)
	// PendingErasureNotices returns the erasure notices neither sent nor refused, oldest
	// first. A message stored with StoredMessage.ErasureNotice settles one as sent.
	PendingErasureNotices(ctx context.Context) ([]*ErasureNotice, error)
	// RefuseErasureNotice settles a pending notice as one that cannot go, with why;
	// audited. ECONFLICT when it is settled already.
	RefuseErasureNotice(ctx context.Context, actor Actor, id, reason string) error
	// Tombstones returns the erasures made in [from, to), oldest first.
	Tombstones(ctx context.Context, from, to time.Time) ([]*Tombstone, error)
	// Compact makes erased bytes leave the database files: on SQLite a WAL checkpoint
	// that truncates the log (deleted content is zeroed as it is deleted), on PostgreSQL
	// a VACUUM of the tables erasure writes to.
	Compact(ctx context.Context) error
}

// ErasedText stands where erased free text was.
const ErasedText = "[erased]"

// ErasePersons removes the persons whose refs are named (every person when refs is nil)
// from m, with the links to them, and returns how many it removed. When no person is
// left, or refs is nil, m's free text (title, questions, summary, answer, reasons) becomes
// ErasedText; otherwise each of names is replaced there, whatever its case.
func ErasePersons(m *Message, refs map[string]bool, names []string) int {
	removed := 0
	gone := map[string]bool{}
	keep := func(ps []PersonDescriptor) []PersonDescriptor {
		var out []PersonDescriptor
		for _, p := range ps {
			if refs == nil || refs[p.Ref] {
				removed++
				gone[p.Ref] = true
				for _, n := range p.Names {
					names = append(names, n.Value)
				}
				continue
			}
			out = append(out, p)
		}
		for i := range out {
			var links []PersonLink
			for _, l := range out[i].Links {
				if !gone[l.To] {
					links = append(links, l)
				}
			}
			out[i].Links = links
		}
		if out == nil {
			out = []PersonDescriptor{}
		}
		return out
	}
	switch {
	case m.Request != nil:
		m.Request.Persons = keep(m.Request.Persons)
	case m.Notification != nil:
		m.Notification.Persons = keep(m.Notification.Persons)
	case m.Response != nil:
		m.Response.Persons = keep(m.Response.Persons)
	}
	all := refs == nil || len(m.Persons()) == 0
	scrub := func(s *string) {
		if *s == "" {
			return
		}
		if all {
			*s = ErasedText
			return
		}
		*s = replaceNames(*s, names)
	}
	if m.Request != nil {
		scrub(&m.Request.Subject)
		scrub(&m.Request.Questions)
	}
	if m.Notification != nil {
		scrub(&m.Notification.Summary)
	}
	if m.Response != nil {
		scrub(&m.Response.Answer)
	}
	if m.Ack != nil {
		scrub(&m.Ack.Reason)
	}
	if m.Consent != nil {
		scrub(&m.Consent.Reason)
	}
	if m.ConsentAnswer != nil {
		scrub(&m.ConsentAnswer.Reason)
	}
	if m.Provenance != nil {
		scrub(&m.Provenance.Justification)
	}
	return removed
}

// replaceNames replaces each name in s, case-insensitively, with ErasedText.
func replaceNames(s string, names []string) string {
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		re, err := regexp.Compile("(?i)" + regexp.QuoteMeta(n))
		if err != nil {
			continue
		}
		s = re.ReplaceAllLiteralString(s, ErasedText)
	}
	return s
}
