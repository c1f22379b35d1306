package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

var notifyActor = forewarn.SystemActor("notify")

// maxNotificationAttempts is how many times the worker tries a notification before it
// moves it to the dead-letter list; the app decides the timing, the store only counts.
const notificationColumns = "id, type, channel, target, address, message_id, event, created_at, attempts, next_attempt, last_error, sent_at, dead_at"

// notifyArrival queues the notifications an arriving message causes: a flash or urgent
// message, or one holding a watch-listed person, is told to the liaison desk (and to
// every webhook that wants arrivals). It runs in ReceiveMessage's transaction.
func (tx *tx) notifyArrival(ctx context.Context, sm *forewarn.StoredMessage, deadline time.Time) error {
	m := sm.Message
	if m.Kind == forewarn.KindAcknowledgement {
		return nil
	}
	msg, detail := notifiedMessage(m, sm.Priority, sm.HoldsPerson, deadline)
	if c := m.Consent; c != nil {
		// A consent request waits for this agency's answer, and an override notice
		// says its message went on without it: the desk hears of either, whatever
		// the priority.
		ev := forewarn.NotificationEvent{Type: forewarn.NotifyConsent, Audience: forewarn.RoleLiaison, Agency: c.To, Message: msg, Detail: detail}
		if c.Override {
			ev.Type = forewarn.NotifyOverride
		}
		ev.Text = ev.AlertText()
		return tx.notify(ctx, ev, "arrival:"+m.ID)
	}
	if sm.Priority != forewarn.PriorityFlash && sm.Priority != forewarn.PriorityUrgent && !sm.HoldsPerson {
		return nil
	}
	text := fmt.Sprintf("%s %s from %s arrived; acknowledge it by %s.", strings.ToUpper(string(sm.Priority)), m.Kind, m.From, formatDeadline(deadline))
	if sm.HoldsPerson {
		text = fmt.Sprintf("%s %s from %s arrived about a person on your watch list; acknowledge it by %s.", strings.ToUpper(string(sm.Priority)), m.Kind, m.From, formatDeadline(deadline))
	}
	ev := forewarn.NotificationEvent{Type: forewarn.NotifyArrival, Audience: forewarn.RoleLiaison, Text: text, Message: msg, Detail: detail}
	return tx.notify(ctx, ev, "arrival:"+m.ID)
}

// alertMessage is the message an alert is about, when the caller has it in hand (an
// arrival, whose message a late transaction has not written yet).
type alertMessage struct {
	m        *forewarn.Message
	dir      forewarn.Direction
	priority forewarn.Priority
	holds    bool
	deadline time.Time
}

// notifyAlert queues the notifications an alert causes, to the holders of the alert's
// role (or the one person it is addressed to) and to webhooks. Every alert is stored
// through insertAlert, so every alert of every kind — escalations ("your warning is
// overdue" on a sent message), matches, private matches, reviews — reaches people who
// are not looking at the pages, in the transaction that raises it. about is the alert's
// message when the caller holds it; otherwise it is read.
func (tx *tx) notifyAlert(ctx context.Context, a *forewarn.Alert, about *alertMessage) error {
	if a.Kind == "escalation" && a.MessageID == "" {
		return nil
	}
	// Who may hear of it first: when no user has an address and there is no webhook,
	// nobody does, and the message it is about is not read (a match found after an
	// arrival read it, and its deadline, in two round trips, each checked again in the
	// pipeline, for nothing).
	var notified []notifiedRow
	if a.Role != "" {
		var err error
		if notified, err = tx.notifiedRows(ctx); err != nil {
			return err
		}
		if len(notified) == 0 {
			return nil
		}
	}
	if about == nil && a.MessageID != "" {
		var err error
		if about, err = tx.alertMessage(ctx, a.MessageID); err != nil {
			return err
		}
		if about == nil && a.Kind == "escalation" {
			return nil
		}
	}
	ev := forewarn.NotificationEvent{Audience: a.Role, Recipient: a.Username, SubjectID: a.SubjectID, Agency: a.Agency}
	var dir forewarn.Direction
	if about != nil {
		ev.Message, ev.Detail = notifiedMessage(about.m, about.priority, about.holds, about.deadline)
		dir = about.dir
	}
	ev.Type = forewarn.AlertNotification(a.Kind, dir)
	key := "alert:" + a.ID
	if ev.Text = ev.AlertText(); ev.Text == "" {
		ev.Text = a.Text // an escalation's text is content-free
	}
	switch ev.Type {
	case forewarn.NotifyMatch:
		// A match raises an alert per role it concerns; people and webhooks hear of it once.
		key = "match:" + a.MessageID + "/" + a.SubjectID + "/" + a.ID
		if a.MessageID != "" && a.SubjectID != "" {
			key = "match:" + a.MessageID + "/" + a.SubjectID
		}
	case forewarn.NotifyReview:
		ev.Detail = nil // a review names the item, never its content
	}
	return tx.notifyTo(ctx, ev, key, notified)
}

// alertMessage reads the message an alert is about; nil when it is not there (erased).
// A late transaction reads it without the head, so its pipeline checks, holding the head,
// that what it read is still so; one not there (not committed yet, or erased) runs it
// again holding the head.
func (tx *tx) alertMessage(ctx context.Context, id string) (*alertMessage, error) {
	var dir, priority, data string
	var holds bool
	err := tx.queryRow(ctx, "SELECT direction, priority, holds_person, message FROM messages WHERE id = ?", id).Scan(&dir, &priority, &holds, &data)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.retrySerialIf(true); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read message %s to notify: %w", id, err)
	}
	var m forewarn.Message
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		return nil, fmt.Errorf("decode message %s: %w", id, err)
	}
	var deadline sql.NullString
	if err := tx.queryRow(ctx, "SELECT MIN(deadline) FROM deliveries WHERE message_id = ?", id).Scan(&deadline); err != nil {
		return nil, fmt.Errorf("read deadline of %s: %w", id, err)
	}
	if tx.late() {
		var due any
		if deadline.Valid {
			due = deadline.String
		}
		tx.check("SELECT 1 / COUNT(*) FROM messages WHERE id = ? AND direction = ? AND priority = ? AND holds_person = ? AND message = ?", id, dir, priority, holds, data)
		tx.check("SELECT 1 / COUNT(*) FROM (SELECT MIN(deadline) AS d FROM deliveries WHERE message_id = ?) AS x WHERE x.d IS NOT DISTINCT FROM ?", id, due)
	}
	due, err := parseNullTime(deadline)
	if err != nil {
		return nil, err
	}
	return &alertMessage{m: &m, dir: forewarn.Direction(dir), priority: forewarn.Priority(priority), holds: holds, deadline: due}, nil
}

// notifiedMessage describes m for a notification: the content-free part, and the detail
// that is sent only where allowed.
func notifiedMessage(m *forewarn.Message, pr forewarn.Priority, holds bool, deadline time.Time) (*forewarn.NotifiedMessage, *forewarn.NotifiedDetail) {
	nm := &forewarn.NotifiedMessage{ID: m.ID, Kind: m.Kind, Priority: pr, From: m.From, To: m.To, Deadline: deadline.UTC(), HoldsPerson: holds, TLP: m.Marks.TLP}
	d := &forewarn.NotifiedDetail{}
	switch {
	case m.Notification != nil:
		d.Summary = m.Notification.Summary
	case m.Request != nil:
		d.Summary = m.Request.Subject
	}
	for _, p := range m.Persons() {
		d.Persons = append(d.Persons, p.DisplayName())
	}
	if d.Summary == "" && len(d.Persons) == 0 {
		d = nil
	}
	return nm, d
}

func formatDeadline(t time.Time) string {
	if t.IsZero() {
		return "no deadline"
	}
	return t.UTC().Format("2 Jan 2006 15:04 MST")
}

// nodeAgency returns the node's agency code, read once: the node row is written once, by
// InitNode, and never changed, so an arrival that raises an alert does not read it again
// before its pipeline. Empty before the node is initialised.
func (tx *tx) nodeAgency(ctx context.Context) (string, error) {
	if code, ok := tx.db.nodeCode.Load().(string); ok {
		return code, nil
	}
	var code string
	if err := tx.queryRow(ctx, "SELECT agency_code FROM node WHERE id = 1").Scan(&code); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("read node agency: %w", err)
	}
	if code != "" {
		tx.db.nodeCode.Store(code)
	}
	return code, nil
}

// notify writes one outbox row per address the event goes to: by e-mail to each enabled
// user holding the event's audience role who has an address and receives the type, and to
// each webhook that wants it; when ev names a Recipient, only that user is e-mailed. key
// names the event; the same event is never queued twice for one address. It returns
// nothing to send as success: an event nobody is to hear of is not an error.
func (tx *tx) notify(ctx context.Context, ev forewarn.NotificationEvent, key string) error {
	return tx.notifyTo(ctx, ev, key, nil)
}

// notifyTo is notify given who may hear of an event with an audience (notifiedRows), when
// the caller has read them: notified is nil when it has not. (notifiedRows gives nil for
// nobody too; notifyAlert returns before calling when it does, so nil is never a list
// read and found empty.)
func (tx *tx) notifyTo(ctx context.Context, ev forewarn.NotificationEvent, key string, notified []notifiedRow) error {
	ev.OccurredAt = tx.now
	if ev.Node == "" {
		var err error
		if ev.Node, err = tx.nodeAgency(ctx); err != nil {
			return err
		}
	}
	type dest struct {
		ch              forewarn.Channel
		target, address string
	}
	var dests []dest
	var hooks []*forewarn.Webhook
	if ev.Audience != "" {
		// The users who may hear of it and the webhooks, in one round trip
		// (notifiedQuery), or from memory in a late transaction on PostgreSQL.
		if notified == nil {
			var err error
			if notified, err = tx.notifiedRows(ctx); err != nil {
				return err
			}
		}
		for _, r := range notified {
			s := forewarn.NotificationSettings{Username: r.name, Email: r.email}
			roles := r.roles
			if r.kind == 1 { // a webhook: its ID, URL and types
				hooks = append(hooks, &forewarn.Webhook{ID: s.Username, URL: roles, Types: splitTypes(s.Email)})
				continue
			}
			s.Off = splitTypes(r.off)
			if ev.Recipient != "" && s.Username != ev.Recipient {
				continue
			}
			audience := ev.Audience
			if ev.Recipient != "" && !slices.Contains(splitRoles(roles), audience) {
				// Addressed to a person (a message's owner): they hear of it whatever
				// role the alert would go to otherwise.
				audience = ""
			}
			if audience == "" && s.Email != "" && !slices.Contains(s.Off, ev.Type) || s.Receives(splitRoles(roles), audience, ev.Type) {
				dests = append(dests, dest{forewarn.ChannelEmail, s.Username, s.Email})
			}
		}
	} else {
		var err error
		if hooks, err = tx.webhooks(ctx); err != nil {
			return err
		}
	}
	for _, w := range hooks {
		if w.Wants(ev.Type) {
			dests = append(dests, dest{forewarn.ChannelWebhook, w.ID, w.URL})
		}
	}
	msgID := ""
	if ev.Message != nil {
		msgID = ev.Message.ID
	}
	for _, d := range dests {
		n := forewarn.Notice{ID: forewarn.NewID(tx.now), Type: ev.Type, Channel: d.ch, Target: d.target, Address: d.address, MessageID: msgID, CreatedAt: tx.now}
		n.Event = ev
		n.Event.ID = n.ID
		if d.ch == forewarn.ChannelEmail {
			n.Event.Recipient = d.target
		}
		if err := tx.insertNotification(ctx, &n, key+"/"+string(d.ch)+"/"+d.target); err != nil {
			return err
		}
		tx.notices++
	}
	return nil
}

// notifiedQuery reads the enabled users with an e-mail address, by username (kind 0:
// username, roles, address, types turned off), then the enabled webhooks in the order
// they were made (kind 1: ID, URL, types), given false twice.
const notifiedQuery = notifiedUnion + " ORDER BY 1, 6, 7"

const notifiedUnion = "SELECT 0, u.username, u.roles, s.email, s.off, u.username, '' FROM users u JOIN notification_settings s ON s.username = u.username WHERE u.disabled = ? AND s.email <> ''" +
	" UNION ALL SELECT 1, id, url, types, '', created_at, id FROM webhooks WHERE disabled = ?"

// notifiedVersionQuery is notifiedQuery followed by the access version (kind 2, its
// second column), which every write to the users, their notification settings and the
// webhooks moves (PostgreSQL's migration 0458), read in the same statement.
const notifiedVersionQuery = notifiedUnion + " UNION ALL SELECT 2, CAST(n AS TEXT), '', '', '', '', '' FROM access_version WHERE id = 1 ORDER BY 1, 6, 7"

// notifiedRow is a row of notifiedQuery: a user (kind 0) or a webhook (kind 1).
type notifiedRow struct {
	kind                    int
	name, roles, email, off string
}

// notifiedCache is notifiedQuery's rows as last read where the dialect pipelines, and
// the access version they were read at.
type notifiedCache struct {
	mu      sync.Mutex
	rows    []notifiedRow
	version int64
	known   bool
}

// notifiedRows returns who may hear of an alert (notifiedQuery). Where the dialect
// pipelines, a late transaction takes them from memory and checks in its pipeline,
// holding the head, that the access version is still the one they were read at: a user,
// setting or webhook written since (by whoever: the version is the store's) fails the
// check, and the transaction runs again holding the head, which reads them afresh. Every
// other read refreshes what memory holds. The rows returned are shared: only read them.
func (tx *tx) notifiedRows(ctx context.Context) ([]notifiedRow, error) {
	db := tx.db
	query := notifiedQuery
	if db.dialect.Pipeline != nil {
		query = notifiedVersionQuery
		if tx.late() {
			c := &db.notified
			c.mu.Lock()
			rows, v, ok := c.rows, c.version, c.known
			c.mu.Unlock()
			if ok {
				tx.check("SELECT 1 / COUNT(*) FROM access_version WHERE id = 1 AND n = ?", v)
				return rows, nil
			}
		}
	}
	rows, err := tx.query(ctx, query, false, false)
	if err != nil {
		return nil, fmt.Errorf("list notified users and webhooks: %w", err)
	}
	defer rows.Close()
	var out []notifiedRow
	var version int64
	versioned := false
	for rows.Next() {
		var r notifiedRow
		var sort1, sort2 string
		if err := rows.Scan(&r.kind, &r.name, &r.roles, &r.email, &r.off, &sort1, &sort2); err != nil {
			return nil, err
		}
		if r.kind == 2 {
			if version, err = strconv.ParseInt(r.name, 10, 64); err != nil {
				return nil, fmt.Errorf("read access version: %w", err)
			}
			versioned = true
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notified users and webhooks: %w", err)
	}
	if versioned {
		c := &db.notified
		c.mu.Lock()
		c.rows, c.version, c.known = out, version, true
		c.mu.Unlock()
	}
	return out, nil
}

func (tx *tx) insertNotification(ctx context.Context, n *forewarn.Notice, dedupe string) error {
	data, err := json.Marshal(&n.Event)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	if _, err := tx.exec(ctx, "INSERT INTO notifications (id, type, channel, target, address, message_id, dedupe, event, created_at, attempts, next_attempt, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '') ON CONFLICT (dedupe) DO NOTHING",
		n.ID, string(n.Type), string(n.Channel), n.Target, n.Address, n.MessageID, dedupe, string(data), FormatTime(n.CreatedAt), FormatTime(n.CreatedAt)); err != nil {
		return fmt.Errorf("queue notification: %w", err)
	}
	n.NextAttempt = n.CreatedAt
	return nil
}

func splitRoles(s string) []forewarn.Role {
	var rs []forewarn.Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			rs = append(rs, forewarn.Role(r))
		}
	}
	return rs
}

func splitTypes(s string) []forewarn.NotificationType {
	var ts []forewarn.NotificationType
	for _, t := range strings.Split(s, ",") {
		if t != "" {
			ts = append(ts, forewarn.NotificationType(t))
		}
	}
	return ts
}

func joinTypes(ts []forewarn.NotificationType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// SetNotificationSettings records a user's e-mail address and the types they turned off,
// after checking them against the user's roles, audited.
func (db *DB) SetNotificationSettings(ctx context.Context, actor forewarn.Actor, s *forewarn.NotificationSettings) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if s == nil {
		return required("settings")
	}
	now := db.now()
	return db.update(ctx, now, "set notification settings", func(tx *tx) error {
		u, err := tx.userBy(ctx, "username", s.Username)
		if err != nil {
			return err
		}
		if err := s.Validate(u.Roles); err != nil {
			return err
		}
		old, err := tx.notificationSettings(ctx, s.Username)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO notification_settings (username, email, off) VALUES (?, ?, ?) ON CONFLICT (username) DO UPDATE SET email = excluded.email, off = excluded.off",
			s.Username, s.Email, joinTypes(s.Off)); err != nil {
			return fmt.Errorf("store notification settings: %w", err)
		}
		return tx.audit(ctx, actor, "user.notifications", "user", u.ID, old, s, "")
	})
}

// NotificationSettings returns a user's settings: no address and nothing off when never set.
func (db *DB) NotificationSettings(ctx context.Context, username string) (*forewarn.NotificationSettings, error) {
	var s *forewarn.NotificationSettings
	err := db.view(ctx, "read notification settings", func(tx *tx) error {
		if _, err := tx.userBy(ctx, "username", username); err != nil {
			return err
		}
		var err error
		s, err = tx.notificationSettings(ctx, username)
		return err
	})
	return s, err
}

func (tx *tx) notificationSettings(ctx context.Context, username string) (*forewarn.NotificationSettings, error) {
	s := &forewarn.NotificationSettings{Username: username, Off: []forewarn.NotificationType{}}
	var off string
	err := tx.queryRow(ctx, "SELECT email, off FROM notification_settings WHERE username = ?", username).Scan(&s.Email, &off)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if ts := splitTypes(off); ts != nil {
		s.Off = ts
	}
	return s, nil
}

// CreateWebhook registers a webhook, audited (without its secret).
func (db *DB) CreateWebhook(ctx context.Context, actor forewarn.Actor, w *forewarn.Webhook) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	if w == nil {
		return required("webhook")
	}
	if err := w.Validate(); err != nil {
		return err
	}
	now := db.now()
	v := *w
	v.ID, v.CreatedAt = forewarn.NewID(now), now
	err := db.update(ctx, now, "create webhook", func(tx *tx) error {
		if _, err := tx.exec(ctx, "INSERT INTO webhooks (id, name, url, secret, types, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			v.ID, v.Name, v.URL, v.Secret, joinTypes(v.Types), v.Disabled, FormatTime(v.CreatedAt)); err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		return tx.audit(ctx, actor, "webhook.create", "webhook", v.ID, nil, &v, v.Name+" "+v.URL)
	})
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// DeleteWebhook removes a webhook, audited; what is still queued for it is dead-lettered.
func (db *DB) DeleteWebhook(ctx context.Context, actor forewarn.Actor, id string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	now := db.now()
	return db.update(ctx, now, "delete webhook", func(tx *tx) error {
		hooks, err := tx.webhooks(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(hooks, func(w *forewarn.Webhook) bool { return w.ID == id })
		if i < 0 {
			return notFound("no webhook with id %q", id)
		}
		if _, err := tx.exec(ctx, "DELETE FROM webhooks WHERE id = ?", id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if _, err := tx.exec(ctx, "UPDATE notifications SET next_attempt = NULL, dead_at = ?, last_error = ? WHERE channel = 'webhook' AND target = ? AND next_attempt IS NOT NULL",
			FormatTime(now), "the webhook was deleted", id); err != nil {
			return fmt.Errorf("dead-letter the webhook's notifications: %w", err)
		}
		return tx.audit(ctx, actor, "webhook.delete", "webhook", id, hooks[i], nil, hooks[i].Name+" "+hooks[i].URL)
	})
}

// Webhooks returns every webhook with its secret, oldest first.
func (db *DB) Webhooks(ctx context.Context) ([]*forewarn.Webhook, error) {
	var ws []*forewarn.Webhook
	err := db.viewOne(ctx, "list webhooks", func(tx *tx) error {
		var err error
		ws, err = tx.webhooks(ctx)
		return err
	})
	return ws, err
}

func (tx *tx) webhooks(ctx context.Context) ([]*forewarn.Webhook, error) {
	rows, err := tx.query(ctx, "SELECT id, name, url, secret, types, disabled, created_at FROM webhooks ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	ws := []*forewarn.Webhook{}
	for rows.Next() {
		var w forewarn.Webhook
		var types, created string
		if err := rows.Scan(&w.ID, &w.Name, &w.URL, &w.Secret, &types, &w.Disabled, &created); err != nil {
			return nil, err
		}
		w.Types = splitTypes(types)
		if w.CreatedAt, err = ParseTime(created); err != nil {
			return nil, err
		}
		ws = append(ws, &w)
	}
	return ws, rows.Err()
}

// QueueTestNotification queues a test notification to one user's address or one webhook.
func (db *DB) QueueTestNotification(ctx context.Context, actor forewarn.Actor, ch forewarn.Channel, target string) (*forewarn.Notice, error) {
	if err := actor.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	n := &forewarn.Notice{ID: forewarn.NewID(now), Type: forewarn.NotifyTest, Channel: ch, Target: target, CreatedAt: now}
	err := db.update(ctx, now, "queue test notification", func(tx *tx) error {
		switch ch {
		case forewarn.ChannelEmail:
			s, err := tx.notificationSettings(ctx, target)
			if err != nil {
				return err
			}
			if s.Email == "" {
				return forewarn.Invalid("target", "email", "user %q has no e-mail address to test", target)
			}
			n.Address = s.Email
		case forewarn.ChannelWebhook:
			hooks, err := tx.webhooks(ctx)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(hooks, func(w *forewarn.Webhook) bool { return w.ID == target })
			if i < 0 {
				return notFound("no webhook with id %q", target)
			}
			n.Address = hooks[i].URL
		default:
			return forewarn.Invalid("channel", "enum", "unknown channel %q (email or webhook)", ch)
		}
		var node string
		if err := tx.queryRow(ctx, "SELECT agency_code FROM node WHERE id = 1").Scan(&node); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		n.Event = forewarn.NotificationEvent{ID: n.ID, Type: forewarn.NotifyTest, OccurredAt: now, Node: node,
			Text: fmt.Sprintf("A test of this channel, sent by %s.", actor.ID)}
		if ch == forewarn.ChannelEmail {
			n.Event.Recipient = target
		}
		if err := tx.insertNotification(ctx, n, "test:"+n.ID); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "notification.test", "notification", n.ID, nil, n, string(ch)+" "+n.Address)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// QueueOverdueDigest queues the day's digest of overdue received messages for every
// supervisor, once per day; a day with nothing overdue queues nothing.
func (db *DB) QueueOverdueDigest(ctx context.Context, day time.Time) (int, error) {
	now := db.now()
	date := day.UTC().Format("2006-01-02")
	queued := 0
	err := db.update(ctx, now, "queue overdue digest", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT m.priority, m.holds_person, m.message, d.deadline FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.direction = 'in' AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL ORDER BY d.deadline LIMIT 200")
		if err != nil {
			return fmt.Errorf("list overdue messages: %w", err)
		}
		var overdue []forewarn.NotifiedMessage
		for rows.Next() {
			var pr, data string
			var holds bool
			var deadline sql.NullString
			if err := rows.Scan(&pr, &holds, &data, &deadline); err != nil {
				rows.Close()
				return err
			}
			var m forewarn.Message
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				rows.Close()
				return err
			}
			due, err := parseNullTime(deadline)
			if err != nil {
				rows.Close()
				return err
			}
			nm, _ := notifiedMessage(&m, forewarn.Priority(pr), holds, due)
			overdue = append(overdue, *nm)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(overdue) == 0 {
			return nil
		}
		var before int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM notifications").Scan(&before); err != nil {
			return err
		}
		ev := forewarn.NotificationEvent{Type: forewarn.NotifyDigest, Audience: forewarn.RoleSupervisor, Overdue: overdue,
			Text: fmt.Sprintf("%d received message(s) are overdue and not acknowledged, on %s.", len(overdue), date)}
		if err := tx.notify(ctx, ev, "digest:"+date); err != nil {
			return err
		}
		var after int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM notifications").Scan(&after); err != nil {
			return err
		}
		queued = after - before
		return nil
	})
	return queued, err
}

// DueNotifications returns up to limit pending notifications due at or before now,
// oldest first.
func (db *DB) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*forewarn.Notice, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	var ns []*forewarn.Notice
	err = db.view(ctx, "list due notifications", func(tx *tx) error {
		var err error
		ns, err = tx.notifications(ctx, "WHERE next_attempt IS NOT NULL AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?", FormatTime(now), limit)
		return err
	})
	return ns, err
}

func (tx *tx) notifications(ctx context.Context, where string, args ...any) ([]*forewarn.Notice, error) {
	rows, err := tx.query(ctx, "SELECT "+notificationColumns+" FROM notifications "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	ns := []*forewarn.Notice{}
	for rows.Next() {
		var n forewarn.Notice
		var typ, ch, data, created string
		var next, sent, dead sql.NullString
		if err := rows.Scan(&n.ID, &typ, &ch, &n.Target, &n.Address, &n.MessageID, &data, &created, &n.Attempts, &next, &n.LastError, &sent, &dead); err != nil {
			return nil, err
		}
		n.Type, n.Channel = forewarn.NotificationType(typ), forewarn.Channel(ch)
		if err := json.Unmarshal([]byte(data), &n.Event); err != nil {
			return nil, fmt.Errorf("notification %s: %w", n.ID, err)
		}
		var err error
		if n.CreatedAt, err = ParseTime(created); err != nil {
			return nil, err
		}
		if n.NextAttempt, err = parseNullTime(next); err != nil {
			return nil, err
		}
		if n.SentAt, err = parseNullTime(sent); err != nil {
			return nil, err
		}
		if n.DeadAt, err = parseNullTime(dead); err != nil {
			return nil, err
		}
		ns = append(ns, &n)
	}
	return ns, rows.Err()
}

// NotificationsSent records notifications as sent. Sending is not audited one by one (the
// event that caused it is); the outbox row is the delivery log.
func (db *DB) NotificationsSent(ctx context.Context, at time.Time, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return db.update(ctx, db.now(), "record notifications sent", func(tx *tx) error {
		for _, id := range ids {
			if _, err := tx.exec(ctx, "UPDATE notifications SET sent_at = ?, next_attempt = NULL, claimed_by = '', attempts = attempts + 1, last_error = '' WHERE id = ? AND sent_at IS NULL",
				FormatTime(at), id); err != nil {
				return fmt.Errorf("record notification %s sent: %w", id, err)
			}
		}
		return nil
	})
}

// NotificationFailed records a failed attempt; a zero next dead-letters the notification,
// audited, so an administrator sees it and can retry it.
func (db *DB) NotificationFailed(ctx context.Context, id, reason string, next time.Time) error {
	now := db.now()
	reason = truncateText(reason, 500)
	return db.update(ctx, now, "record notification failure", func(tx *tx) error {
		if next.IsZero() {
			res, err := tx.exec(ctx, "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt = NULL, claimed_by = '', dead_at = ? WHERE id = ? AND sent_at IS NULL AND dead_at IS NULL",
				reason, FormatTime(now), id)
			if err != nil {
				return fmt.Errorf("dead-letter notification %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return tx.audit(ctx, notifyActor, "notification.dead", "notification", id, nil, nil, reason)
		}
		_, err := tx.exec(ctx, "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt = ?, claimed_by = '' WHERE id = ? AND sent_at IS NULL AND dead_at IS NULL",
			reason, FormatTime(next), id)
		return err
	})
}

// RetryNotification puts a dead-lettered notification back in the queue, due now.
func (db *DB) RetryNotification(ctx context.Context, actor forewarn.Actor, id string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	now := db.now()
	return db.update(ctx, now, "retry notification", func(tx *tx) error {
		ns, err := tx.notifications(ctx, "WHERE id = ?", id)
		if err != nil {
			return err
		}
		if len(ns) == 0 {
			return notFound("no notification with id %q", id)
		}
		n := ns[0]
		if n.DeadAt.IsZero() {
			return forewarn.Errorf(forewarn.ECONFLICT, "the notification to %s of %s is %s, not in the dead-letter list", n.Address, n.CreatedAt.UTC().Format("2 Jan 2006 15:04 MST"), n.State())
		}
		if _, err := tx.exec(ctx, "UPDATE notifications SET dead_at = NULL, next_attempt = ?, attempts = 0 WHERE id = ?", FormatTime(now), id); err != nil {
			return fmt.Errorf("retry notification %s: %w", id, err)
		}
		return tx.audit(ctx, actor, "notification.retry", "notification", id, nil, nil, string(n.Channel)+" "+n.Address)
	})
}

// Notifications returns a page of the delivery log, newest first, and the total.
func (db *DB) Notifications(ctx context.Context, f forewarn.NotificationFilter) ([]*forewarn.Notice, int, error) {
	limit, err := pageSize(f.Limit)
	if err != nil {
		return nil, 0, err
	}
	if f.Offset < 0 {
		return nil, 0, forewarn.Invalid("offset", "min", "must not be negative")
	}
	where := ""
	switch f.State {
	case "":
	case "pending":
		where = "WHERE next_attempt IS NOT NULL"
	case "sent":
		where = "WHERE sent_at IS NOT NULL"
	case "dead":
		where = "WHERE dead_at IS NOT NULL"
	default:
		return nil, 0, forewarn.Invalid("state", "enum", "unknown state %q (pending, sent or dead)", f.State)
	}
	var ns []*forewarn.Notice
	total := 0
	err = db.view(ctx, "list notifications", func(tx *tx) error {
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM notifications "+where).Scan(&total); err != nil {
			return err
		}
		var err error
		ns, err = tx.notifications(ctx, where+" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", limit, f.Offset)
		return err
	})
	return ns, total, err
}

// NotificationCounts counts the outbox by state.
func (db *DB) NotificationCounts(ctx context.Context) (forewarn.NotificationCounts, error) {
	var c forewarn.NotificationCounts
	err := db.view(ctx, "count notifications", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT COUNT(next_attempt), COUNT(sent_at), COUNT(dead_at) FROM notifications").Scan(&c.Pending, &c.Sent, &c.Dead)
	})
	return c, err
}

// ClaimNotifications claims up to limit due notifications until until, oldest first,
// skipping on PostgreSQL the rows another server is claiming at this moment.
func (db *DB) ClaimNotifications(ctx context.Context, owner string, now, until time.Time, limit int) ([]*forewarn.Notice, error) {
	limit, err := pageSize(limit)
	if err != nil {
		return nil, err
	}
	if !until.After(now) {
		return nil, forewarn.Invalid("until", "after_now", "a claim must last beyond now")
	}
	var ns []*forewarn.Notice
	err = db.claim(ctx, "claim notifications", func(tx *tx) error {
		rows, err := tx.query(ctx, "UPDATE notifications SET next_attempt = ?, claimed_by = ? WHERE id IN (SELECT id FROM notifications"+
			" WHERE next_attempt IS NOT NULL AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?"+db.dialect.SkipLocked+") RETURNING id",
			FormatTime(until), owner, FormatTime(now), limit)
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		list, args := inArgs(ids)
		ns, err = tx.notifications(ctx, "WHERE id IN ("+list+") ORDER BY created_at, id", args...)
		return err
	})
	return ns, err
}
