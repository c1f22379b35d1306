package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn"
)

// Defaults of the notification worker.
const (
	DefaultNotifyRetryBase   = 2 * time.Second
	DefaultNotifyRetryMax    = 10 * time.Minute
	DefaultNotifyMaxAttempts = 12 // about an hour and a half of retries at the default timing
	DefaultDigestHour        = 7  // the supervisors' overdue digest is queued at 07:00 UTC

	// NotifyClaim is how long a round's notifications are this process's to send: longer
	// than any send takes, so only a process that died leaves them to another.
	NotifyClaim = 5 * time.Minute
)

// NotifyStats counts what the notification worker did, for the metrics.
type NotifyStats struct {
	Sent   atomic.Int64 // notifications the mail server or webhook accepted
	Failed atomic.Int64 // attempts that failed (each is retried, or dead-lettered)
}

// Notifier sends the notification outbox: e-mail and webhooks. The store queues each
// notification in the transaction of the event that causes it; the Notifier only sends
// them and records the outcome, so a mail server or webhook that is down or refuses never
// holds up receiving, matching or escalating messages. After a crash, notifications sent
// but not yet recorded are sent again with the same Message-ID or idempotency key, so the
// reader sees each once.
type Notifier struct {
	Store forewarn.Store
	// Server marks the notifications this process claims (Node.Server).
	Server string
	Clock  forewarn.Clock
	Logger *slog.Logger

	Email forewarn.EmailSender // nil: e-mail notifications fail, visibly, until configured
	// EmailChannel says where e-mail goes, for the administrator's page: "SMTP
	// mail.example:587 (starttls)" or "local capture in /var/lib/forewarn/mail".
	EmailChannel string
	Webhooks     forewarn.WebhookSender // nil: webhook notifications fail, visibly
	// BaseURL is the node's address as people reach it, for the links in notifications.
	BaseURL string
	// AllowDetail lets names and summaries into notifications of messages whose handling
	// marks allow it (forewarn.DetailAllowed); off by default.
	AllowDetail bool

	RetryBase, RetryMax time.Duration
	MaxAttempts         int
	Parallel            int
	DigestHour          int // UTC hour of the daily digest; negative: no digest

	Stats NotifyStats
	// OnSent, when set, is called with each notification the channel accepted (the demo
	// prints them: who would have been woken, and when).
	OnSent func(x *forewarn.Notice)

	poke       chan struct{}
	lastDigest string
}

// NewNotifier returns a worker for node's outbox with the default timing.
func NewNotifier(node *Node) *Notifier {
	return &Notifier{Store: node.Store, Server: node.Server, Clock: node.Clock, Logger: node.Logger,
		RetryBase: DefaultNotifyRetryBase, RetryMax: DefaultNotifyRetryMax, MaxAttempts: DefaultNotifyMaxAttempts,
		Parallel: 8, DigestHour: DefaultDigestHour, poke: make(chan struct{}, 1)}
}

// Poke wakes the worker, as after an event that queued notifications.
func (n *Notifier) Poke() {
	if n == nil {
		return
	}
	select {
	case n.poke <- struct{}{}:
	default:
	}
}

// Run sends what is due every interval, at once when poked, and straight away again while
// a round sent something, until ctx ends.
func (n *Notifier) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var down outage // a store outage backs off and logs sparingly
	for {
		sent, err := n.Tick(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(down.failed(n.Logger, "notification round", err, interval)):
			}
			continue
		}
		down.succeeded(n.Logger, "notification round")
		if sent > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.poke:
		}
	}
}

// Tick queues the day's digest when its hour has come, then sends what is due; it returns
// how many notifications it sent.
func (n *Notifier) Tick(ctx context.Context) (int, error) {
	if err := n.digest(ctx); err != nil {
		return 0, err
	}
	return n.SendDue(ctx)
}

func (n *Notifier) digest(ctx context.Context) error {
	if n.DigestHour < 0 {
		return nil
	}
	now := n.Clock.Now().UTC()
	day := now.Format("2006-01-02")
	if day == n.lastDigest || now.Hour() < n.DigestHour {
		return nil
	}
	if _, err := n.Store.QueueOverdueDigest(ctx, now); err != nil {
		return err
	}
	n.lastDigest = day
	return nil
}

// SendDue claims a batch of due notifications and sends them, Parallel at a time, and records the
// ones accepted in one transaction and each failure with its next attempt or, after
// MaxAttempts, in the dead-letter list.
func (n *Notifier) SendDue(ctx context.Context) (int, error) {
	// Claimed, not just listed: another server on the same store sends the others.
	now := n.Clock.Now()
	// A round takes four sends per slot, so even sends that each run into the mail
	// server's timeout end well within the claim.
	due, err := n.Store.ClaimNotifications(ctx, n.Server, now, now.Add(NotifyClaim), 4*max(n.Parallel, 1))
	if err != nil || len(due) == 0 {
		return 0, err
	}
	hooks := map[string]*forewarn.Webhook{}
	if ws, err := n.Store.Webhooks(ctx); err == nil {
		for _, w := range ws {
			hooks[w.ID] = w
		}
	} else {
		return 0, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		sent []string
		sem  = make(chan struct{}, max(n.Parallel, 1))
	)
	for _, x := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func(x *forewarn.Notice) {
			defer func() { <-sem; wg.Done() }()
			if err := n.send(ctx, x, hooks); err != nil {
				n.failed(ctx, x, err)
				return
			}
			n.auditWithheld(ctx, x)
			mu.Lock()
			sent = append(sent, x.ID)
			if n.OnSent != nil {
				n.OnSent(x)
			}
			mu.Unlock()
		}(x)
	}
	wg.Wait()
	if err := n.Store.NotificationsSent(ctx, n.Clock.Now(), sent...); err != nil {
		return 0, err
	}
	n.Stats.Sent.Add(int64(len(sent)))
	return len(sent), nil
}

func (n *Notifier) failed(ctx context.Context, x *forewarn.Notice, err error) {
	n.Stats.Failed.Add(1)
	next := time.Time{}
	if x.Attempts+1 < n.MaxAttempts {
		next = n.Clock.Now().Add(Backoff(x.Attempts+1, n.RetryBase, n.RetryMax))
	}
	n.Logger.Warn("notification failed", "id", x.ID, "channel", x.Channel, "to", x.Address, "attempt", x.Attempts+1, "err", err, "retry_at", next)
	if ferr := n.Store.NotificationFailed(ctx, x.ID, truncate(printable(forewarn.FailureDetail(err)), 500), next); ferr != nil {
		n.Logger.Error("could not record a failed notification", "id", x.ID, "err", ferr)
	}
}

// errNoChannel says a channel is not configured on this node.
var errNoChannel = errors.New("not configured on this node")

func (n *Notifier) send(ctx context.Context, x *forewarn.Notice, hooks map[string]*forewarn.Webhook) error {
	ev := n.Prepare(x)
	switch x.Channel {
	case forewarn.ChannelEmail:
		if n.Email == nil {
			return fmt.Errorf("e-mail is %w (see --smtp-host)", errNoChannel)
		}
		return n.Email.SendEmail(ctx, n.RenderEmail(x, ev))
	case forewarn.ChannelWebhook:
		if n.Webhooks == nil {
			return fmt.Errorf("webhooks are %w", errNoChannel)
		}
		w, ok := hooks[x.Target]
		if !ok {
			return fmt.Errorf("webhook %s no longer exists", x.Target)
		}
		body, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		return n.Webhooks.PostWebhook(ctx, w, x.ID, body)
	}
	return fmt.Errorf("unknown channel %q", x.Channel)
}

// Prepare returns the event as it may leave the node: with links, and with detail only
// where the message's marks and this node's configuration allow it; otherwise the text is
// the content-free sentence.
func (n *Notifier) Prepare(x *forewarn.Notice) forewarn.NotificationEvent {
	ev := x.Event
	ev.ID = x.ID
	if ev.Message != nil {
		m := *ev.Message
		m.Link = n.link(m.ID)
		ev.Message = &m
		if !n.AllowDetail || n.withheld(x) != nil {
			ev.Detail = nil
		}
	} else {
		ev.Detail = nil
	}
	if ev.SubjectID != "" {
		ev.Link = n.subjectLink(ev.Type, ev.SubjectID)
	}
	if ev.Detail == nil {
		ev.Text = contentFreeText(&ev)
	}
	for i := range ev.Overdue {
		ev.Overdue[i].Link = n.link(ev.Overdue[i].ID)
	}
	return ev
}

// withheld returns the refusal of the marks to let x's names and summaries out by its
// channel (forewarn.HandlingMarks.PermitsEgress, as app.Node.CheckEgress applies it), nil
// when they may go. The notification itself goes either way, without them.
func (n *Notifier) withheld(x *forewarn.Notice) error {
	m := x.Event.Message
	if m == nil || x.Event.Detail == nil {
		return nil
	}
	path := forewarn.EgressEmail
	if x.Channel == forewarn.ChannelWebhook {
		path = forewarn.EgressWebhook
	}
	return forewarn.HandlingMarks{TLP: m.TLP}.PermitsEgress(forewarn.Egress{Path: path, MessageID: m.ID, Originator: m.From})
}

// auditWithheld records, once a notification has gone, that the marks kept its detail
// out, as every refused way out is recorded.
func (n *Notifier) auditWithheld(ctx context.Context, x *forewarn.Notice) {
	if !n.AllowDetail {
		return // the node keeps all detail out: nothing was asked of the marks
	}
	refusal := n.withheld(x)
	if refusal == nil {
		return
	}
	path := forewarn.EgressEmail
	if x.Channel == forewarn.ChannelWebhook {
		path = forewarn.EgressWebhook
	}
	e := forewarn.Egress{Path: path, MessageID: x.Event.Message.ID, Originator: x.Event.Message.From}
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: forewarn.SystemActor("notifier"), Action: ActionEgressRefused, ObjectType: "message",
		ObjectID: e.MessageID, Detail: EgressDetail(e, refusal) + " (notification " + x.ID + " sent without them)"}); err != nil {
		n.Logger.Error("could not audit the detail a notification left out", "id", x.ID, "err", err)
	}
}

// subjectLink is where to act on an alert about a subject: its review, or the subject.
func (n *Notifier) subjectLink(t forewarn.NotificationType, id string) string {
	path := "/subjects/" + id
	if t == forewarn.NotifyReview {
		path = "/reviews?subject=" + id
	}
	return strings.TrimSuffix(n.BaseURL, "/") + path
}

func (n *Notifier) link(id string) string {
	if n.BaseURL == "" {
		return "/messages/" + id
	}
	return strings.TrimSuffix(n.BaseURL, "/") + "/messages/" + id
}

const dateLayout = "2 Jan 2006 15:04 MST"

func due(t time.Time) string {
	if t.IsZero() {
		return "no deadline"
	}
	return t.UTC().Format(dateLayout)
}

// contentFreeText says what happened with only priority, kind, agencies and deadline.
func contentFreeText(ev *forewarn.NotificationEvent) string {
	if t := ev.AlertText(); t != "" {
		return t
	}
	m := ev.Message
	switch {
	case ev.Type == forewarn.NotifyDigest:
		return fmt.Sprintf("%d received message(s) are overdue and not acknowledged.", len(ev.Overdue))
	case ev.Type == forewarn.NotifyTest || m == nil:
		return "A test of this notification channel."
	}
	pr := strings.ToUpper(string(m.Priority))
	switch ev.Type {
	case forewarn.NotifyArrival:
		if m.HoldsPerson {
			return fmt.Sprintf("A %s %s from %s arrived about a person on your watch list. Acknowledge it by %s.", pr, m.Kind, m.From, due(m.Deadline))
		}
		return fmt.Sprintf("A %s %s from %s arrived. Acknowledge it by %s.", pr, m.Kind, m.From, due(m.Deadline))
	case forewarn.NotifyEscalation:
		return fmt.Sprintf("The %s %s from %s is not acknowledged: it was due by %s. Escalated to the %s.", pr, m.Kind, m.From, due(m.Deadline), roleName(ev.Audience))
	case forewarn.NotifyOverdue:
		return fmt.Sprintf("Your %s %s to %s is overdue: it was due to be acknowledged by %s.", pr, m.Kind, strings.Join(m.To, ", "), due(m.Deadline))
	}
	return fmt.Sprintf("%s %s from %s.", pr, m.Kind, m.From)
}

// alertTitle names an alert's type in an e-mail's subject.
func alertTitle(t forewarn.NotificationType) string {
	switch t {
	case forewarn.NotifyMatch:
		return "Match"
	case forewarn.NotifyPrivateMatch:
		return "Private match"
	case forewarn.NotifyReview:
		return "Review due"
	case forewarn.NotifyConsent:
		return "Consent requested"
	case forewarn.NotifyOverride:
		return "Passed on without consent"
	}
	return "Alert"
}

func roleName(r forewarn.Role) string {
	switch r {
	case forewarn.RoleLiaison:
		return "liaison desk"
	case forewarn.RoleSupervisor:
		return "supervisors"
	}
	return string(r) + "s"
}

// RenderEmail writes the e-mail for a notification: its stable Message-ID, a subject and
// body with priority, kind, sender, deadline and link, and names and summary only when ev
// carries them (Prepare decides).
func (n *Notifier) RenderEmail(x *forewarn.Notice, ev forewarn.NotificationEvent) *forewarn.Email {
	node := ev.Node
	if node == "" {
		node = "forewarn"
	}
	e := &forewarn.Email{
		MessageID: "<" + x.ID + "@" + strings.ToLower(node) + ".forewarn>",
		To:        x.Address,
		Date:      x.CreatedAt,
		Type:      x.Type,
	}
	var b strings.Builder
	b.WriteString(ev.Text + "\n\n")
	if m := ev.Message; m != nil {
		pr := strings.ToUpper(string(m.Priority))
		switch ev.Type {
		case forewarn.NotifyArrival:
			e.Subject = fmt.Sprintf("[Forewarn %s] %s %s from %s, acknowledge by %s", node, pr, m.Kind, m.From, due(m.Deadline))
		case forewarn.NotifyEscalation:
			e.Subject = fmt.Sprintf("[Forewarn %s] Overdue: %s %s from %s (to the %s)", node, pr, m.Kind, m.From, roleName(ev.Audience))
		case forewarn.NotifyOverdue:
			e.Subject = fmt.Sprintf("[Forewarn %s] Your %s %s to %s is overdue", node, pr, m.Kind, strings.Join(m.To, ", "))
		default:
			e.Subject = fmt.Sprintf("[Forewarn %s] %s: %s %s from %s", node, alertTitle(ev.Type), pr, m.Kind, m.From)
		}
		fmt.Fprintf(&b, "Priority:  %s\nKind:      %s\nFrom:      %s\nDeadline:  %s\n", pr, m.Kind, m.From, due(m.Deadline))
		if m.HoldsPerson {
			b.WriteString("Holds:     a person on your watch list\n")
		}
		fmt.Fprintf(&b, "Open it:   %s\n", m.Link)
	}
	if ev.Message == nil && ev.SubjectID != "" {
		e.Subject = fmt.Sprintf("[Forewarn %s] %s: subject %s", node, alertTitle(ev.Type), ev.SubjectID)
		fmt.Fprintf(&b, "Subject:   %s\nOpen it:   %s\n", ev.SubjectID, ev.Link)
	}
	switch ev.Type {
	case forewarn.NotifyDigest:
		e.Subject = fmt.Sprintf("[Forewarn %s] Daily digest: %d overdue message(s)", node, len(ev.Overdue))
		for _, m := range ev.Overdue {
			fmt.Fprintf(&b, "- %s %s from %s, due %s: %s\n", strings.ToUpper(string(m.Priority)), m.Kind, m.From, due(m.Deadline), m.Link)
		}
	case forewarn.NotifyTest:
		e.Subject = fmt.Sprintf("[Forewarn %s] Test notification", node)
	}
	if d := ev.Detail; d != nil {
		b.WriteString("\n")
		if d.Summary != "" {
			fmt.Fprintf(&b, "Summary:   %s\n", d.Summary)
		}
		if len(d.Persons) > 0 {
			fmt.Fprintf(&b, "Persons:   %s\n", strings.Join(d.Persons, "; "))
		}
	}
	b.WriteString("\nThis e-mail says only what may leave the node; read and answer the message in Forewarn.\n")
	e.Body = b.String()
	return e
}
