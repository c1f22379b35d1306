package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/email"
	"github.com/forewarn/forewarn/internal/mailpit"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
	"github.com/forewarn/forewarn/webhook"
)

// receiver is a real loopback webhook endpoint that checks every signature and counts
// events by idempotency key.
type receiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	events map[string]forewarn.NotificationEvent
	posts  int
	forged int
	status int // answer with this instead of 204 when set
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{secret: secret, events: map[string]forewarn.NotificationEvent{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.posts++
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), webhook.DefaultTolerance); err != nil {
			r.forged++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.status != 0 {
			http.Error(w, "not today", r.status)
			return
		}
		var ev forewarn.NotificationEvent
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != req.Header.Get(webhook.IdempotencyHeader) {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		r.events[ev.ID] = ev
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

type notifyEnv struct {
	ctx   context.Context
	clock *storetest.Clock
	store *sqlstore.DB
	node  *app.Node
}

func newNotifyEnv(t *testing.T) *notifyEnv {
	t.Helper()
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Signer: signer, Agency: "FR-DGSI"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	node := app.New(store, clock, signer, nil)
	ctx := context.Background()
	if _, err := node.Initialize(ctx, forewarn.Agency{Code: "FR-DGSI", Name: "DGSI", Country: "FR"}, "admin"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		role forewarn.Role
	}{{"desk", forewarn.RoleLiaison}, {"boss", forewarn.RoleSupervisor}} {
		if err := store.CreateUser(ctx, forewarn.SystemActor("test"), &forewarn.User{Username: u.name, DisplayName: u.name, Roles: []forewarn.Role{u.role}, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := store.SetNotificationSettings(ctx, forewarn.SystemActor("test"), &forewarn.NotificationSettings{Username: u.name, Email: u.name + "@dgsi.example"}); err != nil {
			t.Fatal(err)
		}
	}
	return &notifyEnv{ctx: ctx, clock: clock, store: store, node: node}
}

// arrive stores an incoming warning from Turkey with the given TLP and priority.
func (e *notifyEnv) arrive(t *testing.T, tlp forewarn.TLP, pr forewarn.Priority) *forewarn.Message {
	t.Helper()
	now := e.clock.Now()
	m := storetest.NewNotification("TR-MIT", []string{"FR-DGSI"}, now)
	m.Marks = forewarn.HandlingMarks{TLP: tlp}
	if tlp == forewarn.TLPAmberStrict || tlp == forewarn.TLPRed {
		m.Marks.ReleasableTo = []string{"FR-DGSI"}
	}
	m.Notification.Priority = pr
	receipt := []byte("receipt " + m.ID)
	sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("envelope " + m.ID), Direction: forewarn.DirectionIn, StoredAt: now, Priority: pr,
		Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: "FR-DGSI", Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: receipt, Deadline: m.Notification.AcknowledgeBy}}}
	if _, _, err := e.store.ReceiveMessage(e.ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: "TR-MIT"}, sm, receipt); err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return m
}

func mailClient(t *testing.T, mp *mailpit.Server) *email.Client {
	t.Helper()
	c, err := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSNone, From: "forewarn@dgsi.example", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestNotifierSendsContentFreeByDefault: an urgent warning's arrival reaches the desk by
// e-mail through a real SMTP server and a real webhook receiver, saying priority, kind,
// sender, deadline and link but no name or summary; names go out only when the node
// allows it and the message is TLP:GREEN or CLEAR.
func TestNotifierSendsContentFreeByDefault(t *testing.T) {
	mp := mailpit.Start(t, mailpit.Options{})
	e := newNotifyEnv(t)
	recv := newReceiver(t, "a-webhook-secret-of-some-length")
	hook := &forewarn.Webhook{Name: "chat", URL: recv.URL, Secret: recv.secret}
	if err := e.store.CreateWebhook(e.ctx, forewarn.SystemActor("test"), hook); err != nil {
		t.Fatal(err)
	}
	n := app.NewNotifier(e.node)
	n.Email, n.Webhooks, n.BaseURL = mailClient(t, mp), webhook.NewSender(5*time.Second), "https://forewarn.dgsi.example"

	amber := e.arrive(t, forewarn.TLPAmber, forewarn.PriorityUrgent)
	if sent, err := n.Tick(e.ctx); err != nil || sent != 2 {
		t.Fatalf("Tick = %d, %v; want 2 sent (e-mail, webhook)", sent, err)
	}
	msgs := mp.Messages(t)
	if len(msgs) != 1 || msgs[0].To[0].Address != "desk@dgsi.example" || !strings.Contains(msgs[0].MessageID, "@fr-dgsi.forewarn") {
		t.Fatalf("mail caught: %+v", msgs)
	}
	text := mp.Text(t, msgs[0].ID)
	for _, want := range []string{"URGENT", "notification", "TR-MIT", "4 Dec 2014 09:00 UTC", "https://forewarn.dgsi.example/messages/" + amber.ID} {
		if !strings.Contains(text, want) && !strings.Contains(msgs[0].Subject, want) {
			t.Errorf("the e-mail does not say %q:\n%s\n%s", want, msgs[0].Subject, text)
		}
	}
	for _, secret := range []string{"Mostefai", "fifth man"} {
		if strings.Contains(text, secret) || strings.Contains(msgs[0].Subject, secret) {
			t.Errorf("a content-free e-mail says %q:\n%s", secret, text)
		}
	}
	if len(recv.events) != 1 || recv.forged != 0 {
		t.Fatalf("webhook received %d events, %d forged", len(recv.events), recv.forged)
	}
	for _, ev := range recv.events {
		if ev.Detail != nil || ev.Message == nil || ev.Message.ID != amber.ID || ev.Type != forewarn.NotifyArrival || strings.Contains(ev.Text, "Mostefai") {
			t.Errorf("webhook event %+v", ev)
		}
	}

	// Node allows detail: an AMBER message still says nothing, a GREEN one names.
	n.AllowDetail = true
	e.clock.Advance(time.Minute)
	e.arrive(t, forewarn.TLPAmber, forewarn.PriorityFlash)
	green := e.arrive(t, forewarn.TLPGreen, forewarn.PriorityFlash)
	if sent, err := n.Tick(e.ctx); err != nil || sent != 4 {
		t.Fatalf("Tick = %d, %v; want 4", sent, err)
	}
	named := 0
	for _, m := range mp.Messages(t) {
		if strings.Contains(mp.Text(t, m.ID), "Omar Ismail Mostefai") {
			named++
			if !strings.Contains(mp.Text(t, m.ID), green.ID) {
				t.Errorf("a name went out in the e-mail of another message than the GREEN one")
			}
		}
	}
	if named != 1 {
		t.Errorf("%d e-mails name the person, want 1 (the GREEN message's)", named)
	}
}

// TestNotifierFailuresAreVisibleAndRetried: a webhook that refuses and a mail server that
// is not there neither block nor lose notifications: each failure is recorded, retried
// with backoff, dead-lettered after MaxAttempts, and sent once retried.
func TestNotifierFailuresAreVisibleAndRetried(t *testing.T) {
	e := newNotifyEnv(t)
	recv := newReceiver(t, "a-webhook-secret-of-some-length")
	recv.status = http.StatusServiceUnavailable
	if err := e.store.CreateWebhook(e.ctx, forewarn.SystemActor("test"), &forewarn.Webhook{Name: "pager", URL: recv.URL, Secret: recv.secret}); err != nil {
		t.Fatal(err)
	}
	// A mail server that refuses connections: a port nothing listens on.
	l := httptest.NewServer(http.NotFoundHandler())
	port := l.Listener.Addr().(*net.TCPAddr).Port
	l.Close()
	mc, err := email.New(email.Config{Host: "127.0.0.1", Port: port, TLSMode: email.TLSNone, From: "forewarn@dgsi.example", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := app.NewNotifier(e.node)
	n.Email, n.Webhooks, n.MaxAttempts = mc, webhook.NewSender(5*time.Second), 3
	e.arrive(t, forewarn.TLPAmber, forewarn.PriorityFlash)
	for attempt := 1; attempt <= 3; attempt++ {
		if sent, err := n.Tick(e.ctx); err != nil || sent != 0 {
			t.Fatalf("attempt %d: Tick = %d, %v", attempt, sent, err)
		}
		if sent, _ := n.Tick(e.ctx); sent != 0 {
			t.Fatalf("attempt %d: retried before its backoff", attempt)
		}
		e.clock.Advance(time.Hour)
	}
	if got := n.Stats.Failed.Load(); got != 6 {
		t.Errorf("Failed = %d, want 6", got)
	}
	dead, total, err := e.store.Notifications(e.ctx, forewarn.NotificationFilter{State: "dead"})
	if err != nil || total != 2 {
		t.Fatalf("dead letters: %d, %v", total, err)
	}
	for _, d := range dead {
		if d.Attempts != 3 || d.LastError == "" {
			t.Errorf("dead letter %+v", d)
		}
		if d.Channel == forewarn.ChannelWebhook && !strings.Contains(d.LastError, "503") {
			t.Errorf("the webhook's dead letter does not say why: %q", d.LastError)
		}
	}
	// The receiver recovers; an administrator retries the dead letter; it arrives.
	recv.mu.Lock()
	recv.status = 0
	recv.mu.Unlock()
	for _, d := range dead {
		if d.Channel == forewarn.ChannelWebhook {
			if err := e.store.RetryNotification(e.ctx, forewarn.UserActor("admin"), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sent, err := n.Tick(e.ctx); err != nil || sent != 1 || len(recv.events) != 1 {
		t.Fatalf("after the retry: sent %d, %v; receiver has %d", sent, err, len(recv.events))
	}
}

// TestWebhookRejectsForgeriesAndReplays: the documented check refuses a changed body, the
// wrong secret and an old timestamp.
func TestWebhookRejectsForgeriesAndReplays(t *testing.T) {
	body := []byte(`{"id":"x","type":"test"}`)
	now := time.Now()
	h := webhook.Sign("secret-one-of-16+", now, body)
	if err := webhook.Verify("secret-one-of-16+", h, body, now, webhook.DefaultTolerance); err != nil {
		t.Fatalf("a good signature is refused: %v", err)
	}
	for _, tt := range []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"changed body", "secret-one-of-16+", h, []byte(`{"id":"y","type":"test"}`), now, webhook.ErrBadSignature},
		{"wrong secret", "secret-two-of-16+", h, body, now, webhook.ErrBadSignature},
		{"replayed later", "secret-one-of-16+", h, body, now.Add(10 * time.Minute), webhook.ErrStale},
		{"no header", "secret-one-of-16+", "", body, now, webhook.ErrNoSignature},
	} {
		if err := webhook.Verify(tt.secret, tt.header, tt.body, tt.now, webhook.DefaultTolerance); err != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestAlertsReachPeopleByEmailAndWebhook: every alert the node raises reaches people who
// are not looking at the pages, by a real SMTP server and a real loopback webhook, under
// the same handling rules as escalations. At the review date the subject's review goes to
// the analysts and the received message's to its owner (a liaison officer, not an
// analyst), each naming the item by ID and never the person; a match alert on a TLP:AMBER
// message keeps the names in even when the node allows detail, and says so in the trail,
// while one on a TLP:GREEN message carries them.
func TestAlertsReachPeopleByEmailAndWebhook(t *testing.T) {
	mp := mailpit.Start(t, mailpit.Options{})
	e := newNotifyEnv(t)
	actor := forewarn.SystemActor("test")
	if err := e.store.CreateUser(e.ctx, actor, &forewarn.User{Username: "ana", DisplayName: "ana", Roles: []forewarn.Role{forewarn.RoleAnalyst}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetNotificationSettings(e.ctx, actor, &forewarn.NotificationSettings{Username: "ana", Email: "ana@dgsi.example"}); err != nil {
		t.Fatal(err)
	}
	recv := newReceiver(t, "a-webhook-secret-of-some-length")
	if err := e.store.CreateWebhook(e.ctx, actor, &forewarn.Webhook{Name: "chat", URL: recv.URL, Secret: recv.secret}); err != nil {
		t.Fatal(err)
	}
	ms := app.NewMessages(e.node, nil)
	n := app.NewNotifier(e.node)
	n.Email, n.Webhooks, n.BaseURL, n.AllowDetail = mailClient(t, mp), webhook.NewSender(5*time.Second), "https://forewarn.dgsi.example", true

	s := storetest.NewSubject("Ismaël Omar Mostefaï")
	if err := e.store.CreateSubject(e.ctx, actor, s); err != nil {
		t.Fatal(err)
	}
	in := e.arrive(t, forewarn.TLPAmber, forewarn.PriorityRoutine) // routine: no arrival e-mail
	if err := e.store.AssignMessage(e.ctx, forewarn.UserActor("boss"), in.ID, "desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.Review(e.ctx); err != nil {
		t.Fatal(err)
	}
	if sent, err := n.Tick(e.ctx); err != nil || sent != 0 {
		t.Fatalf("before any review is due: Tick = %d, %v; want nothing sent", sent, err)
	}
	e.clock.Advance(181 * 24 * time.Hour) // both are reviewed 180 days after they were stored
	if raised, err := ms.Review(e.ctx); err != nil || raised != 2 {
		t.Fatalf("Review = %d, %v; want the subject's and the message's alerts", raised, err)
	}
	// Two e-mails (the analyst, the owner) and two webhook posts.
	if sent, err := n.Tick(e.ctx); err != nil || sent != 4 {
		t.Fatalf("Tick = %d, %v; want 4 sent", sent, err)
	}
	mails := map[string]string{}
	for _, m := range mp.Messages(t) {
		text := mp.Text(t, m.ID)
		mails[m.To[0].Address] = m.Subject + "\n" + text
		if strings.Contains(text+m.Subject, "Mostefa") || strings.Contains(text, "fifth man") {
			t.Errorf("a review e-mail says what it is about:\n%s\n%s", m.Subject, text)
		}
	}
	if got := mails["ana@dgsi.example"]; !strings.Contains(got, "Review due: subject "+s.ID) || !strings.Contains(got, "https://forewarn.dgsi.example/reviews?subject="+s.ID) {
		t.Errorf("the analyst's e-mail:\n%s", got)
	}
	if got := mails["desk@dgsi.example"]; !strings.Contains(got, "Review due for the ROUTINE notification "+in.ID+" from TR-MIT") || !strings.Contains(got, "/messages/"+in.ID) {
		t.Errorf("the owner's e-mail:\n%s", got)
	}
	if len(mails) != 2 {
		t.Errorf("review e-mails went to %d addresses, want the analyst and the owner: %v", len(mails), mails)
	}
	reviews := 0
	for _, ev := range recv.events {
		if ev.Type != forewarn.NotifyReview || ev.Detail != nil || strings.Contains(ev.Text, "Mostefa") {
			t.Errorf("webhook event %+v", ev)
		}
		if ev.SubjectID == s.ID && ev.Link == "https://forewarn.dgsi.example/reviews?subject="+s.ID || ev.Message != nil && ev.Message.ID == in.ID {
			reviews++
		}
	}
	if reviews != 2 || recv.forged != 0 {
		t.Errorf("the webhook received %d of the 2 review events (%d forged): %+v", reviews, recv.forged, recv.events)
	}

	// Match alerts go through the same gate as escalations: names leave only for GREEN.
	clear(recv.events)
	amber, green := e.arrive(t, forewarn.TLPAmber, forewarn.PriorityRoutine), e.arrive(t, forewarn.TLPGreen, forewarn.PriorityRoutine)
	for _, m := range []*forewarn.Message{amber, green} {
		match := &forewarn.Match{MessageID: m.ID, PersonRef: m.Notification.Persons[0].Ref, Fingerprint: app.Fingerprint(&m.Notification.Persons[0]), SubjectID: s.ID, Score: 0.9}
		alert := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m.ID, SubjectID: s.ID, Text: "You hold this person: Ismaël Omar Mostefaï."}
		if err := e.store.CreateMatches(e.ctx, forewarn.SystemActor("matcher"), []*forewarn.Match{match}, []*forewarn.Alert{alert}); err != nil {
			t.Fatal(err)
		}
	}
	if sent, err := n.Tick(e.ctx); err != nil || sent != 4 {
		t.Fatalf("Tick = %d, %v; want 4 sent (2 e-mails to the analyst, 2 webhook posts)", sent, err)
	}
	for _, ev := range recv.events {
		if ev.Type != forewarn.NotifyMatch || ev.Message == nil {
			t.Fatalf("webhook event %+v", ev)
		}
		named := ev.Detail != nil && len(ev.Detail.Persons) > 0
		if named != (ev.Message.ID == green.ID) {
			t.Errorf("the match event of the %s message carries detail %+v", ev.Message.TLP, ev.Detail)
		}
	}
	refused, err := e.store.AuditEntries(e.ctx, forewarn.AuditFilter{Action: app.ActionEgressRefused, ObjectID: amber.ID})
	if err != nil || len(refused) != 2 {
		t.Errorf("%d egress refusals audited for the AMBER match notifications (%v), want one per channel", len(refused), err)
	}
}
