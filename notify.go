package forewarn

import (
	"context"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// NotificationType is what happened that a person or a program outside the node is told
// about. The types are part of the webhook event schema (docs/notifications.md).
type NotificationType string

// The notification types.
const (
	// NotifyArrival: a flash or urgent message arrived, or one holding a person on the
	// agency's watch list.
	NotifyArrival NotificationType = "message.arrived"
	// NotifyEscalation: a received message is overdue and an escalation step tells the
	// people it escalates to.
	NotifyEscalation NotificationType = "message.escalated"
	// NotifyOverdue: a warning this node sent is overdue at its recipient ("your warning is
	// overdue"), told to the sender's desk and then its supervisors.
	NotifyOverdue NotificationType = "message.overdue"
	// NotifyDigest: the daily list of overdue received messages, for supervisors.
	NotifyDigest NotificationType = "digest.overdue"
	// NotifyMatch: a person in a received message (or an imported subject) matches a
	// subject this agency holds: the match alert.
	NotifyMatch NotificationType = "match.found"
	// NotifyPrivateMatch: a private query found a likely match, on either side.
	NotifyPrivateMatch NotificationType = "private_match.found"
	// NotifyReview: an item's retention review is due: keep it or erase it.
	NotifyReview NotificationType = "review.due"
	// NotifyConsent: a partner asks this agency's consent to pass its message on.
	NotifyConsent NotificationType = "consent.requested"
	// NotifyOverride: a partner passed this agency's message on without its consent,
	// under an imminent threat to life.
	NotifyOverride NotificationType = "consent.overridden"
	// NotifyAlert: any other alert the node raises.
	NotifyAlert NotificationType = "alert.raised"
	// NotifyTest: an administrator's test of a channel.
	NotifyTest NotificationType = "test"
)

// NotificationTypes lists the types a user or webhook may choose among, in a stable order.
var NotificationTypes = []NotificationType{NotifyArrival, NotifyEscalation, NotifyOverdue, NotifyDigest,
	NotifyMatch, NotifyPrivateMatch, NotifyReview, NotifyConsent, NotifyOverride, NotifyAlert}

// Valid reports whether t is a known type.
func (t NotificationType) Valid() bool {
	return t == NotifyTest || slices.Contains(NotificationTypes, t)
}

// NotificationRoles says which roles receive each type by e-mail.
var NotificationRoles = map[NotificationType][]Role{
	NotifyArrival:      {RoleLiaison},
	NotifyEscalation:   {RoleLiaison, RoleSupervisor},
	NotifyOverdue:      {RoleLiaison, RoleSupervisor},
	NotifyDigest:       {RoleSupervisor},
	NotifyMatch:        {RoleAnalyst, RoleLiaison, RoleSupervisor},
	NotifyPrivateMatch: {RoleLiaison, RoleAnalyst},
	NotifyReview:       {RoleAnalyst},
	NotifyConsent:      {RoleLiaison},
	NotifyOverride:     {RoleLiaison, RoleSupervisor},
	NotifyAlert:        {RoleAnalyst, RoleLiaison, RoleSupervisor},
}

// AlertNotification returns the notification type of an alert of kind: every alert the
// node raises reaches people outside the pages. dir is the direction of the alert's
// message, when it has one: an escalation on a message this node sent is "your warning is
// overdue".
func AlertNotification(kind string, dir Direction) NotificationType {
	switch kind {
	case "escalation":
		if dir == DirectionOut {
			return NotifyOverdue
		}
		return NotifyEscalation
	case "match":
		return NotifyMatch
	case "private_match":
		return NotifyPrivateMatch
	case "review":
		return NotifyReview
	}
	return NotifyAlert
}

// MandatoryNotifications returns the types a holder of role cannot opt out of: a
// supervisor and the liaison desk always hear of escalations.
func MandatoryNotifications(r Role) []NotificationType {
	switch r {
	case RoleSupervisor:
		return []NotificationType{NotifyEscalation, NotifyOverdue}
	case RoleLiaison:
		return []NotificationType{NotifyEscalation}
	}
	return nil
}

// Channel is how a notification leaves the node.
type Channel string

// The channels.
const (
	ChannelEmail   Channel = "email"
	ChannelWebhook Channel = "webhook"
)

// NotificationEvent is what a notification says, as JSON: the body of a webhook POST and
// what an e-mail is written from. Detail holds names and summaries; it is sent only when
// the message's handling marks and the node's configuration both allow it.
type NotificationEvent struct {
	ID         string           `json:"id"` // the notification's ID: the idempotency key
	Type       NotificationType `json:"type"`
	OccurredAt time.Time        `json:"occurred_at"`
	Node       string           `json:"node"`                // this node's agency code
	Audience   Role             `json:"audience,omitempty"`  // the role told
	Recipient  string           `json:"recipient,omitempty"` // the username, for e-mail
	Text       string           `json:"text"`                // one content-free sentence
	Step       int              `json:"step,omitempty"`      // the escalation step
	// SubjectID is the subject an alert is about (a match, a review, a private match).
	SubjectID string `json:"subject_id,omitempty"`
	// Agency is the partner an alert or consent request concerns: who asked privately,
	// who likely holds, to whom a message would be (or was) passed on.
	Agency string `json:"agency,omitempty"`
	// Link is where to act on an event that is not about one message (a subject's
	// review or match); a message's link is Message.Link.
	Link    string            `json:"link,omitempty"`
	Message *NotifiedMessage  `json:"message,omitempty"`
	Overdue []NotifiedMessage `json:"overdue,omitempty"` // a digest's messages
	Detail  *NotifiedDetail   `json:"detail,omitempty"`
}

// NotifiedMessage is the content-free description of a message in a notification.
type NotifiedMessage struct {
	ID          string      `json:"id"`
	Kind        MessageKind `json:"kind"`
	Priority    Priority    `json:"priority"`
	From        string      `json:"from"`
	To          []string    `json:"to,omitempty"`
	Deadline    time.Time   `json:"deadline,omitzero"`
	HoldsPerson bool        `json:"holds_person,omitempty"`
	TLP         TLP         `json:"tlp"`
	Link        string      `json:"link,omitempty"`
}

// NotifiedDetail is what a notification may say about a message's content.
type NotifiedDetail struct {
	Summary string   `json:"summary,omitempty"`
	Persons []string `json:"persons,omitempty"`
}

// DetailAllowed reports whether names and summaries of a message with marks may leave the
// node in a notification, given the node's configuration: only when the node allows it and
// the message is TLP:CLEAR or TLP:GREEN, since e-mail and chat tools reach further than
// the recipients' organisations.
func DetailAllowed(marks HandlingMarks, nodeAllows bool) bool {
	return nodeAllows && marks.PermitsEgress(Egress{Path: EgressEmail}) == nil
}

// Notice is one notification in the node's outbox: one event for one address on
// one channel. It is written in the same transaction as the event that causes it and sent
// by the notification worker until it is sent or dead-lettered. Its ID is the e-mail's
// Message-ID and the webhook's idempotency key, so a resend after a crash is recognisable.
type Notice struct {
	ID          string            `json:"id"`
	Type        NotificationType  `json:"type"`
	Channel     Channel           `json:"channel"`
	Target      string            `json:"target"`  // a username, or a webhook ID
	Address     string            `json:"address"` // the e-mail address or webhook URL
	MessageID   string            `json:"message_id,omitempty"`
	Event       NotificationEvent `json:"event"`
	CreatedAt   time.Time         `json:"created_at"`
	Attempts    int               `json:"attempts"`
	NextAttempt time.Time         `json:"next_attempt,omitzero"` // zero once sent or dead
	LastError   string            `json:"last_error,omitempty"`
	SentAt      time.Time         `json:"sent_at,omitzero"`
	DeadAt      time.Time         `json:"dead_at,omitzero"` // given up: in the dead-letter list
}

// NoticeState is where a notification stands: pending, sent or dead.
type NoticeState string

// State says where a notification stands: pending, sent or dead.
func (n *Notice) State() NoticeState {
	switch {
	case !n.SentAt.IsZero():
		return "sent"
	case !n.DeadAt.IsZero():
		return "dead"
	}
	return "pending"
}

// Webhook is an administrator-registered endpoint that receives notification events as
// signed JSON POSTs.
type Webhook struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	URL       string             `json:"url"`
	Secret    string             `json:"-"`     // the HMAC-SHA256 key, shown once
	Types     []NotificationType `json:"types"` // empty: every type
	Disabled  bool               `json:"disabled"`
	CreatedAt time.Time          `json:"created_at"`
}

// Wants reports whether the webhook receives events of type t.
func (w *Webhook) Wants(t NotificationType) bool {
	return !w.Disabled && (t == NotifyTest || len(w.Types) == 0 || slices.Contains(w.Types, t))
}

// Validate checks the webhook's fields.
func (w *Webhook) Validate() error {
	if err := validateText("name", w.Name, true, 100); err != nil {
		return err
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Invalid("url", "format", "webhook URL %q must be an absolute http:// or https:// URL", w.URL)
	}
	if len(w.Secret) < 16 {
		return Invalid("secret", "min_length", "a webhook secret must be at least 16 characters")
	}
	for i, t := range w.Types {
		if !t.Valid() || t == NotifyTest {
			return Invalid(fieldIndex("types", i), "enum", "unknown notification type %q", t)
		}
	}
	return nil
}

// NotificationSettings are a user's e-mail address and the types they chose not to receive.
type NotificationSettings struct {
	Username string             `json:"username"`
	Email    string             `json:"email"`
	Off      []NotificationType `json:"off"`
}

// Validate checks the settings against the user's roles: an address that is not one is
// refused, naming it, and so is opting out of what a role must receive.
func (s *NotificationSettings) Validate(roles []Role) error {
	if s.Email != "" {
		if err := ValidateEmail("email", s.Email); err != nil {
			return err
		}
	}
	for i, t := range s.Off {
		if !t.Valid() || t == NotifyTest {
			return Invalid(fieldIndex("off", i), "enum", "unknown notification type %q", t)
		}
		for _, r := range roles {
			if slices.Contains(MandatoryNotifications(r), t) {
				return Invalid(fieldIndex("off", i), "mandatory", "a %s must receive %s notifications", r, t)
			}
		}
	}
	return nil
}

// Receives reports whether a user with roles and these settings is sent type t when it
// is told to the holders of audience: they must hold that role and have an address, and
// must not have turned the type off, unless the role makes it mandatory.
func (s *NotificationSettings) Receives(roles []Role, audience Role, t NotificationType) bool {
	if s.Email == "" || !slices.Contains(roles, audience) {
		return false
	}
	return slices.Contains(MandatoryNotifications(audience), t) || !slices.Contains(s.Off, t)
}

// ValidateEmail checks that s is a plain e-mail address (user@domain, no display name).
func ValidateEmail(field, s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		return Invalid(field, "email", "%q is not an e-mail address like desk@agency.example", s)
	}
	return nil
}

// NotificationFilter selects notifications for the delivery log.
type NotificationFilter struct {
	State  string // "", "pending", "sent" or "dead"
	Offset int
	Limit  int
}

// NotificationCounts are the outbox's figures for the metrics.
type NotificationCounts struct {
	Pending int `json:"pending"`
	Sent    int `json:"sent"`
	Dead    int `json:"dead"`
}

// NotificationStore keeps the notification outbox, webhooks and users' notification
// settings. Notifications are queued by the store itself, inside the transactions that
// store arriving messages and fired escalations; the rest is for the worker and the
// administrator.
type NotificationStore interface {
	SetNotificationSettings(ctx context.Context, actor Actor, s *NotificationSettings) error
	NotificationSettings(ctx context.Context, username string) (*NotificationSettings, error)

	CreateWebhook(ctx context.Context, actor Actor, w *Webhook) error
	DeleteWebhook(ctx context.Context, actor Actor, id string) error
	Webhooks(ctx context.Context) ([]*Webhook, error)

	// QueueTestNotification queues a test to one channel: a username for e-mail, a webhook
	// ID for a webhook.
	QueueTestNotification(ctx context.Context, actor Actor, ch Channel, target string) (*Notice, error)
	// QueueOverdueDigest queues the day's overdue digest for every supervisor, once per
	// day (a second call the same day queues nothing); it returns how many it queued.
	QueueOverdueDigest(ctx context.Context, day time.Time) (int, error)

	// DueNotifications returns up to limit pending notifications due at or before now.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]*Notice, error)
	// ClaimNotifications takes up to limit notifications due at or before now for the
	// server named owner until until, skipping any another process is claiming, and returns them,
	// oldest first. Like a delivery's, the claim is the next attempt moved to until, so
	// it lapses by itself when the process that took it dies.
	ClaimNotifications(ctx context.Context, owner string, now, until time.Time, limit int) ([]*Notice, error)
	// NotificationsSent records notifications as sent at at, in one transaction.
	NotificationsSent(ctx context.Context, at time.Time, ids ...string) error
	// NotificationFailed records a failed attempt: try again at next, or, when next is
	// zero, move it to the dead-letter list (audited).
	NotificationFailed(ctx context.Context, id, reason string, next time.Time) error
	// RetryNotification puts a dead-lettered notification back in the queue, due now,
	// audited.
	RetryNotification(ctx context.Context, actor Actor, id string) error
	Notifications(ctx context.Context, f NotificationFilter) ([]*Notice, int, error)
	NotificationCounts(ctx context.Context) (NotificationCounts, error)
}

// Email is one e-mail a notification becomes. MessageID is stable for the notification, so
// a resend after a crash is the same message to the reader.
type Email struct {
	MessageID string // "<id@agency.forewarn>"
	To        string
	Subject   string
	Body      string    // plain text
	Date      time.Time // when the event happened, on the node's clock
	Type      NotificationType
}

// EmailSender sends e-mail: over SMTP, or into a local capture when no mail server is
// configured.
type EmailSender interface {
	SendEmail(ctx context.Context, e *Email) error
}

// WebhookSender posts a notification event to a webhook, signed with its secret, under an
// idempotency key.
type WebhookSender interface {
	PostWebhook(ctx context.Context, w *Webhook, key string, body []byte) error
}

// AlertText says what an alert or consent event is about with only kinds, agencies,
// priorities, IDs and dates, never a name or a summary: the sentence a notification
// carries when its detail may not leave the node. It is "" for the other types.
func (ev *NotificationEvent) AlertText() string {
	m := ev.Message
	msg := func() string {
		if m == nil {
			return "a message"
		}
		return "the " + strings.ToUpper(string(m.Priority)) + " " + string(m.Kind) + " " + m.ID + " from " + m.From
	}
	due := func() string {
		if m == nil || m.Deadline.IsZero() {
			return "no deadline"
		}
		return m.Deadline.UTC().Format("2 Jan 2006 15:04 MST")
	}
	switch ev.Type {
	case NotifyMatch:
		if m == nil {
			return "Subject " + ev.SubjectID + " matches persons in messages received before: review the matches."
		}
		if ev.SubjectID == "" {
			return "A person in " + msg() + " matches persons in messages received before: review the match."
		}
		return "A person in " + msg() + " matches subject " + ev.SubjectID + ": review the match."
	case NotifyPrivateMatch:
		if ev.Audience == RoleLiaison {
			return ev.Agency + " likely holds a person you asked about privately (subject " + ev.SubjectID + ")."
		}
		return ev.Agency + " asked privately about a person who likely matches subject " + ev.SubjectID + "."
	case NotifyReview:
		if m != nil {
			return "Review due for " + msg() + ": keep it, with a reason and a new date, or erase it."
		}
		return "Review due for subject " + ev.SubjectID + ": keep it, with a reason and a new date, or erase it."
	case NotifyConsent:
		if m == nil {
			return "A partner asks your consent to pass a message on."
		}
		return m.From + " asks your consent to pass your message on to " + ev.Agency + ": answer " + m.ID + " by " + due() + "."
	case NotifyOverride:
		if m == nil {
			return "A partner passed your message on without your consent, under an imminent threat to life."
		}
		return m.From + " passed your message on to " + ev.Agency + " without your consent, under an imminent threat to life (notice " + m.ID + ")."
	case NotifyAlert:
		return "An alert needs your attention."
	}
	return ""
}
