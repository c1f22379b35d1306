package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/mailpit"
	"github.com/forewarn/forewarn/webhook"
)

// hookReceiver is a real loopback webhook endpoint: it rejects any request whose signature
// does not verify, and counts what it accepts by idempotency key.
type hookReceiver struct {
	srv     *httptest.Server
	secrets map[string]string // path → secret
	mu      sync.Mutex
	keys    map[string]int
	posts   int
	forged  int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{secrets: map[string]string{}, keys: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.posts++
		secret, ok := h.secrets[r.URL.Path]
		if !ok || webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), webhook.DefaultTolerance) != nil {
			h.forged++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		h.keys[r.Header.Get(webhook.IdempotencyHeader)]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) distinct() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.keys)
}

// TestFaultNotifications queues 10,000 notifications (5,000 e-mails and 5,000 webhook
// posts, from 250 flash warnings to 20 liaison officers and 20 webhooks, each written in
// the transaction that stores its warning) and lets a node process send them to a real
// Mailpit and a real webhook receiver while it is killed with SIGKILL twice mid-way.
// Afterwards every e-mail is in Mailpit and every event at the receiver, each once when
// counted by Message-ID and by idempotency key, and the outbox is empty.
func TestFaultNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 10,000 notifications from a node process; skipped with -short")
	}
	const (
		warnings = 250
		users    = 20
		hooks    = 20
		emails   = warnings * users
		posts    = warnings * hooks
	)
	mp := mailpit.Start(t, mailpit.Options{})
	recv := newHookReceiver(t)
	ps := newProcs(t, []string{"FR-DGSI"}, nil)
	p := ps[0]
	ctx := context.Background()

	// Seed: users, webhooks, and the warnings arriving, through the store's own paths.
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	node, err := m.openNodeAt(ctx, &nodeFlags{data: p.dir, checkpointEvery: 1000, logLevel: "error", as: "test"}, forewarn.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	setup := forewarn.SystemActor("test")
	for i := range users {
		name := fmt.Sprintf("officer%02d", i)
		if err := node.Store.CreateUser(ctx, setup, &forewarn.User{Username: name, DisplayName: name, Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := node.Store.SetNotificationSettings(ctx, setup, &forewarn.NotificationSettings{Username: name, Email: name + "@fr-dgsi.example"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range hooks {
		path := "/hook/" + strconv.Itoa(i)
		w := &forewarn.Webhook{Name: "hook " + strconv.Itoa(i), URL: recv.srv.URL + path, Secret: fmt.Sprintf("secret-of-hook-%d-0123456789", i)}
		if err := node.Store.CreateWebhook(ctx, setup, w); err != nil {
			t.Fatal(err)
		}
		recv.secrets[path] = w.Secret
	}
	now := time.Now().UTC()
	for i := range warnings {
		msg := &forewarn.Message{ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: "TR-MIT", To: []string{"FR-DGSI"}, Created: now,
			Kind: forewarn.KindNotification, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
			Notification: &forewarn.Notification{Summary: "warning " + strconv.Itoa(i), Priority: forewarn.PriorityFlash, AcknowledgeBy: now.Add(time.Hour),
				Persons: []forewarn.PersonDescriptor{person("p1", "Person "+strconv.Itoa(i), "1980", "FR")}}}
		receipt := []byte("receipt " + msg.ID)
		sm := &forewarn.StoredMessage{Message: msg, Envelope: []byte("envelope " + msg.ID), Direction: forewarn.DirectionIn, Priority: forewarn.PriorityFlash,
			Deliveries: []*forewarn.Delivery{{MessageID: msg.ID, Agency: "FR-DGSI", Direction: forewarn.DirectionIn, Receipt: receipt, Deadline: msg.Notification.AcknowledgeBy}}}
		if _, _, err := node.Store.ReceiveMessage(ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: "TR-MIT"}, sm, receipt); err != nil {
			t.Fatalf("warning %d: %v", i, err)
		}
	}
	node.Store.Close()
	if n := count(t, p.dir, "SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL"); n != emails+posts {
		t.Fatalf("%d notifications queued, want %d", n, emails+posts)
	}
	var want = map[string]bool{}
	db := openRO(t, p.dir)
	rows, err := db.Query("SELECT id FROM notifications WHERE channel = 'email'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		want["<"+id+"@fr-dgsi.forewarn>"] = true
	}
	rows.Close()
	db.Close()

	p.extra = []string{"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-tls", "none", "--smtp-from", "forewarn@fr-dgsi.example"}
	caught := func() int { return mp.Count(t) + recv.distinct() }
	for _, killAt := range []int{3000, 6500} {
		p.start(t)
		waitFor(t, 90*time.Second, fmt.Sprintf("%d notifications to arrive before the kill", killAt), func() bool { return caught() >= killAt })
		p.kill()
		t.Logf("SIGKILL with %d e-mails in Mailpit and %d webhook events received", mp.Count(t), recv.distinct())
	}
	p.start(t)
	waitFor(t, 90*time.Second, "every notification to be sent", func() bool {
		return count(t, p.dir, "SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL") == 0
	})
	p.stop()

	// Counted by Message-ID: every e-mail the outbox held, once; nothing else.
	got := map[string]int{}
	raw := 0
	for _, msg := range mp.Messages(t) {
		got["<"+msg.MessageID+">"]++
		raw++
	}
	missing := 0
	for id := range want {
		if got[id] == 0 {
			missing++
		}
	}
	if len(got) != emails || missing != 0 {
		t.Errorf("Mailpit holds %d distinct Message-IDs (%d missing), want %d", len(got), missing, emails)
	}
	// Counted by idempotency key: every event, once; every request signed.
	recv.mu.Lock()
	distinct, postsSeen, forged := len(recv.keys), recv.posts, recv.forged
	recv.mu.Unlock()
	if distinct != posts || forged != 0 {
		t.Errorf("the receiver holds %d distinct idempotency keys, want %d; %d forged", distinct, posts, forged)
	}
	report := fmt.Sprintf("notification fault test: %d notifications (%d e-mail, %d webhook), 2 SIGKILLs of the sending node\n"+
		"  Mailpit: %d distinct Message-IDs of %d expected (%d deliveries in all: %d resent after a kill, recognised by Message-ID)\n"+
		"  webhook receiver: %d distinct idempotency keys of %d expected (%d posts in all), %d with a bad signature\n",
		emails+posts, emails, posts, len(got), emails, raw, raw-len(got), distinct, posts, postsSeen, forged)
	t.Log(report)
	if err := os.MkdirAll("../../test-output", 0o755); err == nil && !t.Failed() {
		os.WriteFile("../../test-output/notification-fault-test.txt", []byte(report), 0o644)
	}
}

// openRO opens a node's SQLite database read-only.
func openRO(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, dbFileName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}
