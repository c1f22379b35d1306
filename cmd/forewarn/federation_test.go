package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/keyfile"
)

// twoNodes starts Turkey and France on loopback on a simulated clock.
func twoNodes(t *testing.T, start time.Time) (*Main, *cluster) {
	t.Helper()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(context.Background(), t.TempDir(), start, []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return m, c
}

// warning builds a notification from TR to FR created now on the cluster's clock.
func warning(c *cluster, priority forewarn.Priority) *forewarn.Message {
	now := c.clock.Now()
	return &forewarn.Message{
		ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: now,
		Kind:  forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
		Notification: &forewarn.Notification{Summary: "test warning", Priority: priority, AcknowledgeBy: now.Add(24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{person("p1", "Omar Ismail Mostefai", "1985", "FR")}},
	}
}

func post(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(url+federation.MessagesPath, federation.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReceiveRejects sends France's node every kind of bad delivery over real HTTP and
// checks each is refused with a clear reason and an audit entry, while a good delivery,
// and its repetition, are accepted once.
func TestReceiveRejects(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	fr.msgs.ReplayWindow = 7 * 24 * time.Hour // as an operator who wants old messages refused sets it
	trKey := c.node(agencyTR.Code).node.Signer
	stranger := keyfile.FromSeed(bytes.Repeat([]byte{7}, 32))

	unknown := warning(c, forewarn.PriorityUrgent)
	unknown.From = "XX-EVIL"
	old := warning(c, forewarn.PriorityUrgent)
	old.Created = c.clock.Now().Add(-8 * 24 * time.Hour)
	old.ID = forewarn.NewID(old.Created)
	elsewhere := warning(c, forewarn.PriorityUrgent)
	elsewhere.To = []string{"DE-BKA"}
	elsewhere.Marks.ReleasableTo = []string{"DE-BKA"}
	tampered := mustSeal(t, warning(c, forewarn.PriorityUrgent), trKey)
	tampered = bytes.Replace(tampered, []byte("test warning"), []byte("test wArning"), 1)

	cases := []struct {
		name   string
		body   []byte
		status int
		reason string
	}{
		{"unknown sender", mustSeal(t, unknown, stranger), http.StatusUnauthorized, "holds no public key"},
		{"bad signature", mustSeal(t, warning(c, forewarn.PriorityUrgent), stranger), http.StatusUnauthorized, "signature"},
		{"tampered in transit", tampered, http.StatusUnauthorized, "signature"},
		{"older than the window the operator set", mustSeal(t, old, trKey), http.StatusBadRequest, "replay"},
		{"not addressed to this node", mustSeal(t, elsewhere, trKey), http.StatusForbidden, "not to FR-DGSI"},
		{"oversized", bytes.Repeat([]byte(" "), app.DefaultMaxEnvelopeBytes+10), http.StatusBadRequest, "bytes"},
		{"malformed", []byte(`{"v":1,"message":`), http.StatusBadRequest, "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
			status, body := post(t, fr.url, tc.body)
			if status != tc.status || !strings.Contains(body, tc.reason) {
				t.Fatalf("status %d %s, want %d naming %q", status, body, tc.status, tc.reason)
			}
			after, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
			if len(after) != len(before)+1 || !strings.Contains(after[len(after)-1].Detail, tc.reason) {
				t.Fatalf("rejection not audited with its reason: %d entries before, %d after", len(before), len(after))
			}
		})
	}
	list, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Limit: 10})
	if err != nil || total != 0 {
		t.Fatalf("rejected deliveries stored %d messages (%v): %v", total, err, list)
	}

	good := mustSeal(t, warning(c, forewarn.PriorityUrgent), trKey)
	s1, r1 := post(t, fr.url, good)
	s2, r2 := post(t, fr.url, good)
	if s1 != http.StatusOK || s2 != http.StatusOK || r1 != r2 {
		t.Fatalf("repeated delivery: %d %q then %d %q; want the same receipt twice", s1, r1, s2, r2)
	}
	if _, total, _ := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Limit: 10}); total != 1 {
		t.Fatalf("a repeated delivery was stored %d times", total)
	}
	// Another message under the same ID, even from the same peer, is refused, not
	// answered with the first one's receipt.
	var first forewarn.Message
	var env struct {
		Message json.RawMessage `json:"message"`
	}
	json.Unmarshal(good, &env)
	json.Unmarshal(env.Message, &first)
	impostor := warning(c, forewarn.PriorityFlash)
	impostor.ID = first.ID
	impostor.Notification.Summary = "nothing to see here"
	if st, body := post(t, fr.url, mustSeal(t, impostor, trKey)); st != http.StatusConflict || !strings.Contains(body, "already taken") {
		t.Fatalf("a second message under a known ID: %d %s, want 409", st, body)
	}
	if stored, _ := fr.node.Store.Message(ctx, first.ID); stored == nil || stored.Message.Notification.Summary != "test warning" {
		t.Fatal("the first message under the ID was replaced")
	}
	var receipt struct {
		Receipt envelope.Receipt `json:"receipt"`
	}
	if err := json.Unmarshal([]byte(r1), &receipt); err != nil || receipt.Receipt.Recipient != agencyFR.Code {
		t.Fatalf("receipt %s: %v", r1, err)
	}
	if resp, err := http.Get(fr.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the node stopped serving after bad input: %v", err)
	}
}

// escalations returns the steps fired for a message on a node, in order.
func escalations(t *testing.T, rt *liveNode, id string) []string {
	t.Helper()
	es, err := rt.node.Store.Escalations(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, string(e.Side)+":"+string(e.Notify))
	}
	return out
}

// TestEscalation runs an unacknowledged urgent warning past its deadline on a simulated
// clock: it escalates at 24 h and at each later step, on both sides, a restart in the
// middle changes nothing, and an acknowledgement stops a second warning's escalation.
func TestEscalation(t *testing.T) {
	ctx := context.Background()
	m, c := twoNodes(t, day("2015-01-05 09:00"))
	t0 := c.clock.Now()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	w := warning(c, forewarn.PriorityUrgent)
	w.ID, w.Created, w.From, w.Notification.AcknowledgeBy = "", time.Time{}, "", time.Time{}
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w)
	if err != nil {
		t.Fatal(err)
	}
	id := sent.Message.ID
	if want := t0.Add(24 * time.Hour); !w.Notification.AcknowledgeBy.Equal(want) {
		t.Fatalf("urgent deadline = %v, want the policy's 24 h: %v", w.Notification.AcknowledgeBy, want)
	}
	steps := []struct {
		at      time.Duration
		fr, tr  string
		restart bool
	}{
		{at: time.Minute, fr: "", tr: ""},
		{at: 24*time.Hour - time.Minute, fr: "", tr: ""},
		{at: 24 * time.Hour, fr: "recipient:liaison", tr: "sender:liaison"},
		{at: 30 * time.Hour, fr: "recipient:liaison", tr: "sender:liaison", restart: true},
		{at: 36 * time.Hour, fr: "recipient:liaison recipient:supervisor", tr: "sender:liaison"},
		{at: 48 * time.Hour, fr: "recipient:liaison recipient:supervisor", tr: "sender:liaison sender:supervisor"},
		{at: 30 * 24 * time.Hour, fr: "recipient:liaison recipient:supervisor", tr: "sender:liaison sender:supervisor"},
	}
	for _, st := range steps {
		if err := c.at(ctx, t0.Add(st.at)); err != nil {
			t.Fatal(err)
		}
		if st.restart {
			for _, code := range []string{agencyTR.Code, agencyFR.Code} {
				if err := c.restart(ctx, m, code); err != nil {
					t.Fatal(err)
				}
			}
			tr, fr = c.node(agencyTR.Code), c.node(agencyFR.Code)
			if err := c.at(ctx, t0.Add(st.at)); err != nil {
				t.Fatal(err)
			}
		}
		if got := strings.Join(escalations(t, fr, id), " "); got != st.fr {
			t.Errorf("at +%v France's escalations = %q, want %q", st.at, got, st.fr)
		}
		if got := strings.Join(escalations(t, tr, id), " "); got != st.tr {
			t.Errorf("at +%v Turkey's escalations = %q, want %q", st.at, got, st.tr)
		}
	}
	atTR, _ := tr.node.Store.Message(ctx, id)
	if s := atTR.Delivery(agencyFR.Code).Status(); !strings.Contains(s, "delivered") || !strings.Contains(s, "not acknowledged") || !strings.Contains(s, "overdue since") {
		t.Errorf("Turkey's status line = %q", s)
	}

	// A second warning, acknowledged after the first step: nothing more fires.
	t1 := c.clock.Now()
	w2 := warning(c, forewarn.PriorityUrgent)
	w2.ID, w2.Created, w2.From, w2.Notification.AcknowledgeBy = "", time.Time{}, "", time.Time{}
	sent2, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w2)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, t1.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.msgs.Acknowledge(ctx, actor(forewarn.RoleLiaison), sent2.Message.ID, forewarn.Acknowledgement{
		Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeActionTaken, Reason: "on it"}); err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, t1.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(escalations(t, fr, sent2.Message.ID), " "); got != "recipient:liaison" {
		t.Errorf("France escalated an acknowledged warning: %q", got)
	}
	if got := strings.Join(escalations(t, tr, sent2.Message.ID), " "); got != "sender:liaison" {
		t.Errorf("Turkey escalated an acknowledged warning: %q", got)
	}
	atTR2, _ := tr.node.Store.Message(ctx, sent2.Message.ID)
	if d := atTR2.Delivery(agencyFR.Code); !d.Actioned() || !strings.Contains(d.Status(), "acknowledged") {
		t.Errorf("Turkey does not see the acknowledgement: %s", d.Status())
	}
}

// TestUndeliverableEscalates: a warning that cannot be delivered escalates on the
// sender's side, saying so.
func TestUndeliverableEscalates(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	t0 := c.clock.Now()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	fr.Close()
	w := warning(c, forewarn.PriorityFlash)
	w.ID, w.Created, w.From, w.Notification.AcknowledgeBy = "", time.Time{}, "", time.Time{}
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 70; i++ {
		c.clock.Set(t0.Add(time.Duration(i) * time.Minute))
		tr.msgs.DeliverDue(ctx, 4)
		tr.msgs.Escalate(ctx)
	}
	sm, _ := tr.node.Store.Message(ctx, sent.Message.ID)
	d := sm.Delivery(agencyFR.Code)
	if d.Delivered() || d.Attempts < 2 || !strings.Contains(d.Status(), "not delivered") {
		t.Fatalf("delivery to a dead peer: %+v (%s)", d, d.Status())
	}
	es, _ := tr.node.Store.Escalations(ctx, sent.Message.ID)
	if len(es) == 0 || !strings.Contains(es[0].Text, "could not be delivered") {
		t.Fatalf("no 'could not be delivered' escalation: %+v", es)
	}
	delete(c.nodes, agencyFR.Code)
	c.order = []string{agencyTR.Code}
}

// TestLateWarningStillArrives: a warning held in the sender's outbox while its recipient
// was down for three weeks arrives when the recipient comes back, dated by its arrival and
// instead of being refused for ever as too old. A recipient that chose a
// replay window refuses it, and the sender's outbox says why.
func TestLateWarningStillArrives(t *testing.T) {
	ctx := context.Background()
	m, c := twoNodes(t, day("2015-01-05 09:00"))
	t0 := c.clock.Now()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	if err := fr.Close(); err != nil {
		t.Fatal(err)
	}
	w := warning(c, forewarn.PriorityPriority)
	w.ID, w.Created, w.From, w.Notification.AcknowledgeBy = "", time.Time{}, "", time.Time{}
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w)
	if err != nil {
		t.Fatal(err)
	}
	for h := 1; h <= 21*24; h += 6 {
		c.clock.Set(t0.Add(time.Duration(h) * time.Hour))
		tr.msgs.DeliverDue(ctx, 4)
	}
	if err := c.reopen(ctx, m, agencyFR.Code, fr); err != nil {
		t.Fatal(err)
	}
	fr = c.node(agencyFR.Code)

	// First with a week's replay window on the recipient: refused, and the sender sees why.
	fr.msgs.ReplayWindow = 7 * 24 * time.Hour
	deliverAll := func() *forewarn.Delivery {
		t.Helper()
		for i := 0; i < 8; i++ {
			c.clock.Set(c.clock.Now().Add(time.Hour))
			tr.msgs.DeliverDue(ctx, 4)
		}
		sm, err := tr.node.Store.Message(ctx, sent.Message.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sm.Delivery(agencyFR.Code)
	}
	d := deliverAll()
	if d.Delivered() || !strings.Contains(d.Status(), "HTTP 400") {
		t.Fatalf("with a 7-day window, a 3-week-old warning: %s, want refused with HTTP 400", d.Status())
	}
	if _, err := fr.node.Store.MessageFrom(ctx, agencyTR.Code, sent.Message.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("the recipient stored a warning outside its window: %v", err)
	}

	// The default takes it, and the arrival is what is recorded and receipted.
	fr.msgs.ReplayWindow = app.DefaultReplayWindow
	if d := deliverAll(); !d.Delivered() {
		t.Fatalf("after the outage the warning was not delivered: %s", d.Status())
	}
	got, err := fr.node.Store.MessageFrom(ctx, agencyTR.Code, sent.Message.ID)
	if err != nil {
		t.Fatalf("the recipient does not hold the late warning: %v", err)
	}
	if late := got.StoredAt.Sub(got.Message.Created); late < 21*24*time.Hour {
		t.Errorf("stored at %v, created %v: the arrival is not what is recorded", got.StoredAt, got.Message.Created)
	}
	// The sender holds the recipient's receipt for it.
	if sm, _ := tr.node.Store.Message(ctx, sent.Message.ID); sm.Delivery(agencyFR.Code).Receipt == nil {
		t.Error("the sender holds no receipt for the late warning")
	}
}

// mustSeal returns m sealed and signed by s, and fails the test when it cannot be.
func mustSeal(t *testing.T, m *forewarn.Message, s forewarn.Signer) []byte {
	t.Helper()
	b, err := envelope.Seal(m, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
