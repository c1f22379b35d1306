package storetest

import (
	"crypto/ed25519"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// The partner agencies the suite's messages go to and come from.
const (
	PeerFR = "FR-DGSI"
	PeerDE = "DE-BND"
)

var liaison = forewarn.UserActor("liaison1")

func peerActor(code string) forewarn.Actor { return forewarn.Actor{Kind: forewarn.ActorPeer, ID: code} }

// NewPeer returns a valid peer for the agency code.
func NewPeer(code string) *forewarn.Peer {
	return &forewarn.Peer{
		Agency:    forewarn.Agency{Code: code, Name: "Agency " + code},
		BaseURL:   "https://forewarn." + code + ".example:8443",
		PublicKey: NewSigner().PublicKey(),
	}
}

// NewNotification returns a valid urgent notification about one person, created now.
func NewNotification(from string, to []string, now time.Time) *forewarn.Message {
	m := &forewarn.Message{
		ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: from, To: to, Created: now,
		Kind:  forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: to},
		Notification: &forewarn.Notification{
			Summary: "A fifth man identified while investigating the four.", Priority: forewarn.PriorityUrgent,
			AcknowledgeBy: now.Add(24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{
				Ref:       "p1",
				Names:     []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "tr"}},
				BirthDate: forewarn.PartialDate{Year: 1985, Month: 11}, Nationalities: []string{"FR"}, Gender: forewarn.GenderMale,
			}},
		},
	}
	return m
}

// NewReply returns a valid message of kind in reply to inReplyTo: a response, or an
// acknowledgement at stage with, once actioned, an outcome and reason.
func NewReply(kind forewarn.MessageKind, from, to, inReplyTo string, stage forewarn.AckStage, now time.Time) *forewarn.Message {
	m := &forewarn.Message{
		ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: from, To: []string{to}, Created: now,
		Kind: kind, InReplyTo: inReplyTo,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{to}},
	}
	switch kind {
	case forewarn.KindResponse:
		m.Response = &forewarn.Response{Answer: "Known to us since 2010."}
	case forewarn.KindAcknowledgement:
		m.Ack = &forewarn.Acknowledgement{Stage: stage}
		if stage == forewarn.AckActioned {
			m.Ack.Outcome, m.Ack.Reason = forewarn.OutcomeActionTaken, "Surveillance opened."
		}
	}
	return m
}

// AddPeers registers the suite's partner agencies.
func (e *Env) AddPeers() {
	e.T.Helper()
	for _, code := range []string{PeerFR, PeerDE} {
		if err := e.Store.AddPeer(e.Ctx, system, NewPeer(code)); err != nil {
			e.T.Fatalf("AddPeer(%s): %v", code, err)
		}
	}
}

// deadlineOf is when the recipients of m must act on it; zero when they need not.
func deadlineOf(m *forewarn.Message) time.Time {
	switch {
	case m.Notification != nil:
		return m.Notification.AcknowledgeBy
	case m.Request != nil:
		return m.Request.Deadline
	}
	return time.Time{}
}

// Send stores m as an outgoing message, as the application does: one delivery per
// recipient, due now, escalating at the deadline.
func (e *Env) Send(m *forewarn.Message) *forewarn.StoredMessage {
	e.T.Helper()
	sm, err := e.send(m)
	if err != nil {
		e.T.Fatalf("CreateMessage(%s %s): %v", m.Kind, m.ID, err)
	}
	return sm
}

// send stores m as sent; closes is the alert a read-stage acknowledgement answers.
func (e *Env) send(m *forewarn.Message, closes ...string) (*forewarn.StoredMessage, error) {
	now := e.Clock.Now()
	if err := m.Validate(now); err != nil {
		e.T.Fatalf("the suite built an invalid message: %v", err)
	}
	sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityUrgent}
	if len(closes) > 0 {
		sm.ClosesAlert = closes[0]
	}
	for _, to := range m.To {
		dl := deadlineOf(m)
		sm.Deliveries = append(sm.Deliveries, &forewarn.Delivery{MessageID: m.ID, Agency: to, Direction: forewarn.DirectionOut, NextAttempt: now, Deadline: dl, NextEscalation: dl})
	}
	return sm, e.Store.CreateMessage(e.Ctx, liaison, sm)
}

// Incoming returns m as the application would store it on arrival, with its receipt.
func (e *Env) Incoming(m *forewarn.Message) (*forewarn.StoredMessage, []byte) {
	e.T.Helper()
	now := e.Clock.Now()
	if err := m.Validate(now); err != nil {
		e.T.Fatalf("the suite built an invalid message: %v", err)
	}
	receipt := []byte("receipt for " + m.ID + " at " + now.Format(time.RFC3339Nano))
	dl := deadlineOf(m)
	sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionIn, StoredAt: now, Priority: forewarn.PriorityRoutine,
		Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: Agency.Code, Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: receipt, Deadline: dl, NextEscalation: dl}}}
	return sm, receipt
}

// Receive stores m as a message delivered by its sender and returns it as stored.
func (e *Env) Receive(m *forewarn.Message) *forewarn.StoredMessage {
	e.T.Helper()
	sm, receipt := e.Incoming(m)
	got, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(m.From), sm, receipt)
	if err != nil || dup || !reflect.DeepEqual(got, receipt) {
		e.T.Fatalf("ReceiveMessage(%s) = %q, %v, %v; want its receipt, first time", m.ID, got, dup, err)
	}
	return sm
}

// MustMessage reads a stored message.
func (e *Env) MustMessage(id string) *forewarn.StoredMessage {
	e.T.Helper()
	sm, err := e.Store.Message(e.Ctx, id)
	if err != nil {
		e.T.Fatalf("Message(%s): %v", id, err)
	}
	return sm
}

// actionsSince returns the actions of the audit entries after the first n.
func actionsSince(t *testing.T, e *Env, n int) []string {
	t.Helper()
	as := auditActions(t, e)
	if len(as) < n {
		t.Fatalf("the audit trail shrank from %d to %d entries", n, len(as))
	}
	return as[n:]
}

// wantActions fails the test unless the entries after the first n have these actions.
func wantActions(t *testing.T, e *Env, n int, want ...string) {
	t.Helper()
	got := actionsSince(t, e, n)
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("audit actions = %v, want %v", got, want)
	}
}

func testPeers(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	fr := NewPeer(PeerFR)
	if err := e.Store.AddPeer(e.Ctx, system, fr); err != nil {
		t.Fatalf("AddPeer: %v", err)
	}
	if !fr.AddedAt.Equal(Start) {
		t.Errorf("AddedAt = %v, want %v", fr.AddedAt, Start)
	}
	e.Clock.Advance(time.Minute)
	de := NewPeer(PeerDE)
	if err := e.Store.AddPeer(e.Ctx, system, de); err != nil {
		t.Fatalf("AddPeer: %v", err)
	}
	WantCode(t, e.Store.AddPeer(e.Ctx, system, NewPeer(PeerFR)), forewarn.ECONFLICT)

	invalid := []struct {
		name string
		edit func(*forewarn.Peer)
	}{
		{"bad code", func(p *forewarn.Peer) { p.Agency.Code = "dgsi" }},
		{"no name", func(p *forewarn.Peer) { p.Agency.Name = " " }},
		{"no URL", func(p *forewarn.Peer) { p.BaseURL = "" }},
		{"short key", func(p *forewarn.Peer) { p.PublicKey = p.PublicKey[:31] }},
		{"no key", func(p *forewarn.Peer) { p.PublicKey = nil }},
	}
	before := e.AuditCount()
	for _, tt := range invalid {
		p := NewPeer("IT-AISE")
		tt.edit(p)
		if err := e.Store.AddPeer(e.Ctx, system, p); forewarn.ErrorCode(err) != forewarn.EINVALID {
			t.Errorf("AddPeer with %s = %v, want EINVALID", tt.name, err)
		}
	}
	WantCode(t, e.Store.AddPeer(e.Ctx, system, nil), forewarn.EINVALID)
	if n := e.AuditCount(); n != before {
		t.Errorf("refused peers wrote %d audit entries", n-before)
	}

	got, err := e.Store.Peer(e.Ctx, PeerFR)
	if err != nil || !reflect.DeepEqual(got, fr) {
		t.Errorf("Peer = %+v, %v; want %+v", got, err, fr)
	}
	if !ed25519.PublicKey(got.PublicKey).Equal(fr.PublicKey) {
		t.Error("the pinned key changed on the way through the store")
	}
	_, err = e.Store.Peer(e.Ctx, "IT-AISE")
	WantCode(t, err, forewarn.ENOTFOUND)
	ps, err := e.Store.Peers(e.Ctx)
	if err != nil || len(ps) != 2 || ps[0].Agency.Code != PeerDE || ps[1].Agency.Code != PeerFR {
		t.Errorf("Peers = %+v, %v; want DE-BND then FR-DGSI", ps, err)
	}

	if err := e.Store.RemovePeer(e.Ctx, system, PeerDE); err != nil {
		t.Fatalf("RemovePeer: %v", err)
	}
	WantCode(t, e.Store.RemovePeer(e.Ctx, system, PeerDE), forewarn.ENOTFOUND)
	_, err = e.Store.Peer(e.Ctx, PeerDE)
	WantCode(t, err, forewarn.ENOTFOUND)
	if ps, err := e.Store.Peers(e.Ctx); err != nil || len(ps) != 1 {
		t.Errorf("Peers after removal = %+v, %v", ps, err)
	}
	wantActions(t, e, 0, "peer.add", "peer.add", "peer.remove")
	e.MustVerify()
}

// testEnvelopes: the delivery worker reads a round's envelopes together; an ID not
// stored is left out, one named twice is read once.
func testEnvelopes(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	a := e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now()))
	b := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, e.Clock.Now()))
	envs, err := e.Store.Envelopes(e.Ctx, []string{a.Message.ID, "no-such-message", b.Message.ID, a.Message.ID})
	if err != nil || len(envs) != 2 || string(envs[a.Message.ID]) != string(a.Envelope) || string(envs[b.Message.ID]) != string(b.Envelope) {
		t.Errorf("Envelopes = %q, %v; want the two sent messages' envelopes", envs, err)
	}
	if envs, err := e.Store.Envelopes(e.Ctx, nil); err != nil || len(envs) != 0 {
		t.Errorf("Envelopes(none) = %q, %v; want none", envs, err)
	}
}

func testSendAndDeliver(t *testing.T, open Opener) {
	e := NewEnv(t, open, 3)
	e.AddPeers()
	start := e.AuditCount()
	m := NewNotification(Agency.Code, []string{PeerFR, PeerDE}, e.Clock.Now())
	sm := e.Send(m)
	wantActions(t, e, start, "message.send")
	last := e.LastAudit()
	if last.ObjectType != "message" || last.ObjectID != m.ID || last.Actor != liaison || last.After != forewarn.Digest(m) {
		t.Errorf("send audited as %+v", last)
	}

	got := e.MustMessage(m.ID)
	if !reflect.DeepEqual(got.Message, m) || string(got.Envelope) != string(sm.Envelope) || got.Direction != forewarn.DirectionOut || !got.StoredAt.Equal(Start) || got.Priority != forewarn.PriorityUrgent {
		t.Errorf("Message = %+v\nwant %+v", got, sm)
	}
	if len(got.Deliveries) != 2 || got.Deliveries[0].Agency != PeerFR || got.Deliveries[1].Agency != PeerDE {
		t.Fatalf("deliveries = %+v, want FR-DGSI then DE-BND", got.Deliveries)
	}
	if d := got.Deliveries[0]; d.Delivered() || d.Attempts != 0 || !d.NextAttempt.Equal(Start) || !d.Deadline.Equal(m.Notification.AcknowledgeBy) || d.Direction != forewarn.DirectionOut {
		t.Errorf("new delivery = %+v", d)
	}
	_, err := e.Store.Message(e.Ctx, forewarn.NewID(Start))
	WantCode(t, err, forewarn.ENOTFOUND)

	due := func(at time.Time) []string {
		t.Helper()
		ds, err := e.Store.DueDeliveries(e.Ctx, at, 10)
		if err != nil {
			t.Fatalf("DueDeliveries: %v", err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%s#%d", d.Agency, d.Attempts))
		}
		return out
	}
	if got := due(Start.Add(-time.Second)); got != nil {
		t.Errorf("due before the message was queued: %v", got)
	}
	if got := due(Start); len(got) != 2 {
		t.Errorf("due at once = %v, want both recipients", got)
	}

	// FR-DGSI is unreachable twice; only the first failure is audited.
	mark := e.AuditCount()
	e.Clock.Advance(time.Second)
	if err := e.Store.DeliveryFailed(e.Ctx, m.ID, PeerFR, "connection refused", Start.Add(time.Minute)); err != nil {
		t.Fatalf("DeliveryFailed: %v", err)
	}
	if err := e.Store.DeliveryFailed(e.Ctx, m.ID, PeerFR, "i/o timeout", Start.Add(2*time.Minute)); err != nil {
		t.Fatalf("DeliveryFailed: %v", err)
	}
	wantActions(t, e, mark, "message.delivery_failed")
	WantCode(t, e.Store.DeliveryFailed(e.Ctx, m.ID, "IT-AISE", "no route", Start.Add(time.Minute)), forewarn.ENOTFOUND)
	WantCode(t, e.Store.DeliveryFailed(e.Ctx, m.ID, PeerFR, "no time", time.Time{}), forewarn.EINVALID)
	if got, want := due(Start.Add(time.Minute)), []string{PeerDE + "#0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("due while FR-DGSI waits = %v, want %v", got, want)
	}
	d := e.MustMessage(m.ID).Delivery(PeerFR)
	if d.Attempts != 2 || d.LastError != "i/o timeout" || !d.NextAttempt.Equal(Start.Add(2*time.Minute)) {
		t.Errorf("failed delivery = %+v", d)
	}

	// The peers page's health: FR-DGSI failing since the message was stored, DE-BND waiting.
	health := func() map[string]*forewarn.PeerHealth {
		t.Helper()
		h, err := e.Store.PeerHealth(e.Ctx)
		if err != nil {
			t.Fatalf("PeerHealth: %v", err)
		}
		return h
	}
	h := health()
	if fr := h[PeerFR]; fr == nil || fr.Backlog != 1 || fr.FailingSince.IsZero() || fr.LastError != "i/o timeout" || !fr.LastDelivered.IsZero() {
		t.Errorf("FR-DGSI's health while failing = %+v", fr)
	}
	if de := h[PeerDE]; de == nil || de.Backlog != 1 || !de.FailingSince.IsZero() {
		t.Errorf("DE-BND's health while queued = %+v", de)
	}
	receiptDE := []byte("receipt from DE-BND")
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: m.ID, Agency: PeerDE, Receipt: receiptDE, At: Start.Add(30 * time.Second)}); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	if de := health()[PeerDE]; de == nil || de.Backlog != 0 || !de.LastDelivered.Equal(Start.Add(30*time.Second)) {
		t.Errorf("DE-BND's health once delivered = %+v", de)
	}
	if got, want := due(Start.Add(2*time.Minute)), []string{PeerFR + "#2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("due after the retry time = %v, want %v", got, want)
	}
	receiptFR := []byte("receipt from FR-DGSI")
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: m.ID, Agency: PeerFR, Receipt: receiptFR, At: Start.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	mark = e.AuditCount()
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: m.ID, Agency: PeerFR, Receipt: []byte("a second receipt"), At: Start.Add(3 * time.Minute)}); err != nil {
		t.Errorf("Delivered again = %v, want nil (idempotent)", err)
	}
	if err := e.Store.DeliveryFailed(e.Ctx, m.ID, PeerFR, "late failure", Start.Add(4*time.Minute)); err != nil {
		t.Errorf("DeliveryFailed after delivery = %v", err)
	}
	wantActions(t, e, mark)
	WantCode(t, e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: m.ID, Agency: PeerFR, Receipt: nil, At: Start}), forewarn.EINVALID)
	WantCode(t, e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: forewarn.NewID(Start), Agency: PeerFR, Receipt: receiptFR, At: Start}), forewarn.ENOTFOUND)
	if got := due(Start.Add(time.Hour)); got != nil {
		t.Errorf("due after delivery = %v", got)
	}
	got = e.MustMessage(m.ID)
	fr, de := got.Delivery(PeerFR), got.Delivery(PeerDE)
	if string(fr.Receipt) != string(receiptFR) || !fr.DeliveredAt.Equal(Start.Add(2*time.Minute)) || !fr.NextAttempt.IsZero() || fr.Attempts != 2 {
		t.Errorf("FR-DGSI delivery = %+v", fr)
	}
	if string(de.Receipt) != string(receiptDE) || !de.DeliveredAt.Equal(Start.Add(30*time.Second)) || !de.NextAttempt.IsZero() {
		t.Errorf("DE-BND delivery = %+v", de)
	}
	wantActions(t, e, start, "message.send", "message.delivery_failed", "message.delivered", "message.delivered")

	// Refusals write nothing.
	mark = e.AuditCount()
	WantCode(t, e.Store.CreateMessage(e.Ctx, liaison, sm), forewarn.ECONFLICT) // the same ID again
	refused := []struct {
		name string
		edit func(*forewarn.StoredMessage)
	}{
		{"nil message", func(sm *forewarn.StoredMessage) { sm.Message = nil }},
		{"incoming", func(sm *forewarn.StoredMessage) { sm.Direction = forewarn.DirectionIn }},
		{"no envelope", func(sm *forewarn.StoredMessage) { sm.Envelope = nil }},
		{"no deliveries", func(sm *forewarn.StoredMessage) { sm.Deliveries = nil }},
		{"delivery to a stranger", func(sm *forewarn.StoredMessage) { sm.Deliveries[0].Agency = "IT-AISE" }},
		{"bad ID", func(sm *forewarn.StoredMessage) { sm.Message.ID = "42" }},
		{"bad priority", func(sm *forewarn.StoredMessage) { sm.Priority = "whenever" }},
	}
	for _, tt := range refused {
		m := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("x"), Direction: forewarn.DirectionOut, Priority: forewarn.PriorityRoutine,
			Deliveries: []*forewarn.Delivery{{Agency: PeerFR}}}
		tt.edit(sm)
		if err := e.Store.CreateMessage(e.Ctx, liaison, sm); forewarn.ErrorCode(err) != forewarn.EINVALID {
			t.Errorf("CreateMessage with %s = %v, want EINVALID", tt.name, err)
		}
	}
	WantCode(t, e.Store.CreateMessage(e.Ctx, liaison, nil), forewarn.EINVALID)
	_, err = e.Store.DueDeliveries(e.Ctx, Start, -1)
	WantCode(t, err, forewarn.EINVALID)
	wantActions(t, e, mark)
	if _, total, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{}); err != nil || total != 1 {
		t.Errorf("messages stored = %d, %v; want 1", total, err)
	}
	e.MustVerify()
}

func testReceiveOnce(t *testing.T, open Opener) {
	e := NewEnv(t, open, 4)
	e.AddPeers()
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	start := e.AuditCount()

	m := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	sm, receipt := e.Incoming(m)
	sm.HoldsPerson, sm.Priority = true, forewarn.PriorityFlash
	sm.Matches = []*forewarn.Match{{PersonRef: "p1", Fingerprint: "fp-mostefai", SubjectID: s.ID, Score: 0.93, Summary: "0.93: same name and birth month", Explanation: []byte(`{"score":0.93}`)}}
	sm.Alerts = []*forewarn.Alert{{Role: forewarn.RoleLiaison, Kind: "match", SubjectID: s.ID, Text: "You hold this person."}}
	got, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt)
	if err != nil || dup || string(got) != string(receipt) {
		t.Fatalf("ReceiveMessage = %q, %v, %v; want the receipt, not a duplicate", got, dup, err)
	}
	wantActions(t, e, start, "message.receive", "match.create")
	if last := e.LastAudit(); last.Actor != peerActor(PeerFR) || last.ObjectType != "match" || last.ObjectID != sm.Matches[0].ID {
		t.Errorf("match audited as %+v", last)
	}
	if sm.Matches[0].ID == "" || sm.Matches[0].MessageID != m.ID || sm.Matches[0].Status != forewarn.MatchPending || sm.Alerts[0].ID == "" || sm.Alerts[0].MessageID != m.ID {
		t.Errorf("stored match %+v and alert %+v lack their IDs", sm.Matches[0], sm.Alerts[0])
	}

	// The sender retries with a fresh receipt: it gets the first one, and nothing is written.
	e.Clock.Advance(time.Hour)
	again, receipt2 := e.Incoming(m)
	got, dup, err = e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), again, receipt2)
	if err != nil || !dup || string(got) != string(receipt) {
		t.Errorf("second ReceiveMessage = %q, %v, %v; want the first receipt, duplicate", got, dup, err)
	}
	wantActions(t, e, start, "message.receive", "match.create")

	stored := e.MustMessage(m.ID)
	d := stored.Delivery(Agency.Code)
	if stored.Direction != forewarn.DirectionIn || !stored.HoldsPerson || stored.Priority != forewarn.PriorityFlash || !reflect.DeepEqual(stored.Message, m) {
		t.Errorf("stored message = %+v", stored)
	}
	if d == nil || d.Direction != forewarn.DirectionIn || string(d.Receipt) != string(receipt) || !d.DeliveredAt.Equal(Start) || !d.NextEscalation.Equal(m.Notification.AcknowledgeBy) {
		t.Errorf("incoming delivery = %+v", d)
	}
	if len(stored.Matches) != 1 || !reflect.DeepEqual(stored.Matches[0], sm.Matches[0]) {
		t.Errorf("stored matches = %+v, want %+v", stored.Matches, sm.Matches)
	}
	alerts, err := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 0)
	if err != nil || len(alerts) != 1 || !reflect.DeepEqual(alerts[0], sm.Alerts[0]) {
		t.Errorf("Alerts = %+v, %v; want %+v", alerts, err, sm.Alerts)
	}

	// IDs are unique per sender: a peer using the ID of a message this node sent, or of
	// one another peer sent, takes nothing from either. Its message is stored beside them
	// under a local ID, with the sender's ID kept for replies and receipts.
	mine := e.Send(NewNotification(Agency.Code, []string{PeerDE}, e.Clock.Now()))
	for _, taken := range []*forewarn.Message{mine.Message, m} {
		forged := *taken
		forged.From, forged.To, forged.Marks.ReleasableTo = PeerDE, []string{Agency.Code}, []string{Agency.Code}
		fsm, freceipt := e.Incoming(&forged)
		got, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerDE), fsm, freceipt)
		if err != nil || dup || string(got) != string(freceipt) {
			t.Fatalf("%s's message under %s's ID %s: %q, %v, %v; want it stored beside", PeerDE, taken.From, taken.ID, got, dup, err)
		}
		if forged.ID == taken.ID || fsm.WireID != taken.ID || fsm.Deliveries[0].MessageID != forged.ID {
			t.Fatalf("stored under %s (wire %s), delivery %s; want a local ID and the sender's ID kept", forged.ID, fsm.WireID, fsm.Deliveries[0].MessageID)
		}
		byDE, err := e.Store.MessageFrom(e.Ctx, PeerDE, taken.ID)
		if err != nil || byDE.Message.ID != forged.ID || byDE.SenderID() != taken.ID || byDE.Message.From != PeerDE {
			t.Fatalf("MessageFrom(%s, %s) = %+v, %v", PeerDE, taken.ID, byDE, err)
		}
		if first, err := e.Store.MessageFrom(e.Ctx, taken.From, taken.ID); err != nil || first.Message.ID != taken.ID || first.WireID != "" {
			t.Fatalf("MessageFrom(%s, %s) = %+v, %v; want the first message, untouched", taken.From, taken.ID, first, err)
		}
		// Its retry finds it by (sender, ID).
		again := forged
		again.ID = taken.ID
		asm, areceipt := e.Incoming(&again)
		if got, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerDE), asm, areceipt); err != nil || !dup || string(got) != string(freceipt) {
			t.Fatalf("retry of %s's message: %q, %v, %v; want its first receipt", PeerDE, got, dup, err)
		}
	}
	if _, err := e.Store.MessageFrom(e.Ctx, PeerDE, mine.Message.ID+"x"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("MessageFrom of an unknown ID = %v, want ENOTFOUND", err)
	}

	refused := []struct {
		name string
		edit func(*forewarn.StoredMessage, *[]byte)
	}{
		{"outgoing", func(sm *forewarn.StoredMessage, _ *[]byte) { sm.Direction = forewarn.DirectionOut }},
		{"no receipt", func(_ *forewarn.StoredMessage, r *[]byte) { *r = nil }},
		{"no envelope", func(sm *forewarn.StoredMessage, _ *[]byte) { sm.Envelope = nil }},
		{"two deliveries", func(sm *forewarn.StoredMessage, _ *[]byte) { sm.Deliveries = append(sm.Deliveries, sm.Deliveries[0]) }},
		{"match without fingerprint", func(sm *forewarn.StoredMessage, _ *[]byte) {
			sm.Matches = []*forewarn.Match{{PersonRef: "p1", SubjectID: s.ID, Score: 0.9}}
		}},
		{"match about another message", func(sm *forewarn.StoredMessage, _ *[]byte) {
			sm.Matches = []*forewarn.Match{{MessageID: mine.Message.ID, PersonRef: "p1", Fingerprint: "x", SubjectID: s.ID, Score: 0.9}}
		}},
		{"alert for no role", func(sm *forewarn.StoredMessage, _ *[]byte) {
			sm.Alerts = []*forewarn.Alert{{Role: "everyone", Kind: "match", Text: "x"}}
		}},
	}
	mark := e.AuditCount()
	for _, tt := range refused {
		sm, r := e.Incoming(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
		tt.edit(sm, &r)
		if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, r); forewarn.ErrorCode(err) != forewarn.EINVALID {
			t.Errorf("ReceiveMessage with %s = %v, want EINVALID", tt.name, err)
		}
	}
	wantActions(t, e, mark)
	if _, total, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn}); err != nil || total != 3 {
		t.Errorf("incoming messages = %d, %v; want 3", total, err)
	}
	e.MustVerify()
}

func testReceiveConcurrently(t *testing.T, open Opener) {
	const deliveries = 8
	e := NewEnv(t, open, 0)
	e.AddPeers()
	start := e.AuditCount()
	m := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	type result struct {
		receipt []byte
		dup     bool
		err     error
	}
	results := make([]result, deliveries)
	var wg sync.WaitGroup
	for i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each delivery decodes its own copy and signs its own receipt, as the
			// handlers of concurrent requests would.
			mine := *m
			sm := &forewarn.StoredMessage{Message: &mine, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionIn, StoredAt: Start, Priority: forewarn.PriorityUrgent,
				Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: Agency.Code, Direction: forewarn.DirectionIn, DeliveredAt: Start}}}
			receipt := fmt.Appendf(nil, "receipt %d", i)
			r, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt)
			results[i] = result{r, dup, err}
		}()
	}
	wg.Wait()
	firsts := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("delivery %d: %v", i, r.err)
		}
		if !r.dup {
			firsts++
		}
		if string(r.receipt) != string(results[0].receipt) {
			t.Errorf("delivery %d got receipt %q, delivery 0 got %q", i, r.receipt, results[0].receipt)
		}
	}
	if firsts != 1 {
		t.Errorf("%d deliveries stored the message, want exactly 1", firsts)
	}
	if _, total, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{}); err != nil || total != 1 {
		t.Errorf("messages stored = %d, %v; want 1", total, err)
	}
	if d := e.MustMessage(m.ID).Delivery(Agency.Code); d == nil || string(d.Receipt) != string(results[0].receipt) {
		t.Errorf("stored delivery %+v does not hold the receipt every delivery got", d)
	}
	wantActions(t, e, start, "message.receive")
	e.MustVerify()
}

func testAcknowledgements(t *testing.T, open Opener) {
	e := NewEnv(t, open, 5)
	e.AddPeers()

	// This node warns FR-DGSI and DE-BND; FR-DGSI reads, then acts.
	warning := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, e.Clock.Now())).Message
	deadline := warning.Notification.AcknowledgeBy
	e.Clock.Advance(time.Hour)
	readAt := e.Clock.Now()
	start := e.AuditCount()
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, warning.ID, forewarn.AckRead, readAt))
	wantActions(t, e, start, "message.receive", "message.read")
	if last := e.LastAudit(); last.ObjectID != warning.ID || last.Actor != peerActor(PeerFR) {
		t.Errorf("read audited as %+v", last)
	}
	fr := e.MustMessage(warning.ID).Delivery(PeerFR)
	if !fr.ReadAt.Equal(readAt) || fr.ReadBy != PeerFR || fr.Actioned() || !fr.NextEscalation.Equal(deadline) {
		t.Errorf("FR-DGSI delivery after it read = %+v", fr)
	}
	e.Clock.Advance(time.Hour)
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, warning.ID, forewarn.AckRead, e.Clock.Now())) // read again: first read stands
	actedAt := e.Clock.Now()
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, warning.ID, forewarn.AckActioned, actedAt))
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, warning.ID, forewarn.AckReceived, e.Clock.Now()))
	wantActions(t, e, start, "message.receive", "message.read", "message.receive", "message.receive", "message.acknowledge", "message.receive")
	got := e.MustMessage(warning.ID)
	fr, de := got.Delivery(PeerFR), got.Delivery(PeerDE)
	if !fr.ReadAt.Equal(readAt) || !fr.ActionAt.Equal(actedAt) || fr.ActionBy != PeerFR || fr.Outcome != forewarn.OutcomeActionTaken || fr.Reason != "Surveillance opened." || !fr.NextEscalation.IsZero() {
		t.Errorf("FR-DGSI delivery after it acted = %+v", fr)
	}
	if !de.ReadAt.IsZero() || de.Actioned() || !de.NextEscalation.Equal(deadline) {
		t.Errorf("DE-BND delivery changed by FR-DGSI's acknowledgement: %+v", de)
	}
	open1, err := e.Store.OpenDeliveries(e.Ctx, deadline.Add(time.Hour), 0)
	if err != nil || len(open1) != 1 || open1[0].Agency != PeerDE {
		t.Errorf("OpenDeliveries = %+v, %v; want only DE-BND's (FR-DGSI acted)", open1, err)
	}

	// FR-DGSI warns this node; a liaison officer reads it, then acts on it.
	e.Clock.Advance(time.Hour)
	theirs := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())).Message
	e.Clock.Advance(time.Hour)
	start = e.AuditCount()
	readAt = e.Clock.Now()
	ack := e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, theirs.ID, forewarn.AckRead, readAt))
	wantActions(t, e, start, "message.send", "message.read")
	own := e.MustMessage(theirs.ID).Delivery(Agency.Code)
	if !own.ReadAt.Equal(readAt) || own.ReadBy != liaison.ID || own.Actioned() {
		t.Errorf("own delivery after reading = %+v", own)
	}
	if ack.Deliveries[0].Agency != PeerFR || !ack.Deliveries[0].NextAttempt.Equal(readAt) {
		t.Errorf("the acknowledgement is not queued to FR-DGSI: %+v", ack.Deliveries[0])
	}
	e.Clock.Advance(time.Hour)
	actedAt = e.Clock.Now()
	e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, theirs.ID, forewarn.AckActioned, actedAt))
	own = e.MustMessage(theirs.ID).Delivery(Agency.Code)
	if !own.ReadAt.Equal(readAt) || !own.ActionAt.Equal(actedAt) || own.ActionBy != liaison.ID || own.Outcome != forewarn.OutcomeActionTaken || !own.NextEscalation.IsZero() {
		t.Errorf("own delivery after acting = %+v", own)
	}
	wantActions(t, e, start, "message.send", "message.read", "message.send", "message.acknowledge")
	// Acting twice is refused, and the second acknowledgement is not queued.
	e.Clock.Advance(time.Hour)
	second := NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, theirs.ID, forewarn.AckActioned, e.Clock.Now())
	_, err = e.send(second)
	WantCode(t, err, forewarn.ECONFLICT)
	_, err = e.Store.Message(e.Ctx, second.ID)
	WantCode(t, err, forewarn.ENOTFOUND)
	wantActions(t, e, start, "message.send", "message.read", "message.send", "message.acknowledge")

	ds, err := e.Store.OpenDeliveries(e.Ctx, theirs.Notification.AcknowledgeBy.Add(30*24*time.Hour), 0)
	if err != nil || len(ds) != 1 || ds[0].MessageID != warning.ID {
		t.Errorf("OpenDeliveries = %+v, %v; want only DE-BND's delivery of the warning", ds, err)
	}
	e.MustVerify()
}

func testEscalation(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	m := e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())).Message
	deadline := m.Notification.AcknowledgeBy
	open1 := func(at time.Time) int {
		t.Helper()
		ds, err := e.Store.OpenDeliveries(e.Ctx, at, 0)
		if err != nil {
			t.Fatalf("OpenDeliveries: %v", err)
		}
		return len(ds)
	}
	if n := open1(deadline.Add(-time.Nanosecond)); n != 0 {
		t.Errorf("%d deliveries open before the deadline", n)
	}
	if n := open1(deadline); n != 1 {
		t.Errorf("%d deliveries open at the deadline, want 1", n)
	}
	start := e.AuditCount()
	e.Clock.Advance(24 * time.Hour)
	first := &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 2, Notify: forewarn.RoleLiaison, Text: "notification to FR-DGSI was delivered but not acknowledged", FiredAt: deadline}
	next := deadline.Add(24 * time.Hour)
	if err := e.Store.Escalate(e.Ctx, first, next); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	d := e.MustMessage(m.ID).Delivery(PeerFR)
	if first.ID == "" || d.Escalated != 2 || !d.Overdue.Equal(deadline) || !d.NextEscalation.Equal(next) {
		t.Errorf("after the first step: escalation %+v, delivery %+v", first, d)
	}
	if n := open1(next.Add(-time.Second)); n != 0 {
		t.Errorf("%d deliveries open before the next step", n)
	}
	e.Clock.Advance(24 * time.Hour)
	second := &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 4, Notify: forewarn.RoleSupervisor, Text: "still not acknowledged", FiredAt: next}
	if err := e.Store.Escalate(e.Ctx, second, time.Time{}); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	d = e.MustMessage(m.ID).Delivery(PeerFR)
	if d.Escalated != 4 || !d.Overdue.Equal(deadline) || !d.NextEscalation.IsZero() {
		t.Errorf("after the last step: %+v", d)
	}
	if n := open1(next.Add(365 * 24 * time.Hour)); n != 0 {
		t.Errorf("%d deliveries open with no step left", n)
	}
	// A step already fired, by another scheduler, records nothing.
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 2, Notify: forewarn.RoleLiaison, Text: "again", FiredAt: next}, time.Time{}); err != nil {
		t.Errorf("Escalate of a fired step = %v", err)
	}
	wantActions(t, e, start, "message.escalate", "message.escalate")

	es, err := e.Store.Escalations(e.Ctx, m.ID)
	if err != nil || !reflect.DeepEqual(es, []*forewarn.Escalation{first, second}) {
		t.Errorf("Escalations = %+v, %v\nwant %+v", es, err, []*forewarn.Escalation{first, second})
	}
	_, err = e.Store.Escalations(e.Ctx, forewarn.NewID(Start))
	WantCode(t, err, forewarn.ENOTFOUND)
	for _, tt := range []struct {
		role forewarn.Role
		want []string
	}{{forewarn.RoleLiaison, []string{first.Text}}, {forewarn.RoleSupervisor, []string{second.Text}}, {forewarn.RoleAnalyst, nil}} {
		as, err := e.Store.Alerts(e.Ctx, tt.role, 10)
		if err != nil {
			t.Fatalf("Alerts: %v", err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.Text)
			if a.Kind != "escalation" || a.MessageID != m.ID || a.Role != tt.role {
				t.Errorf("alert %+v", a)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Alerts(%s) = %v, want %v", tt.role, got, tt.want)
		}
	}
	_, err = e.Store.Alerts(e.Ctx, "everyone", 10)
	WantCode(t, err, forewarn.EINVALID)

	mark := e.AuditCount()
	for _, bad := range []*forewarn.Escalation{
		nil,
		{MessageID: m.ID, Agency: PeerFR, Side: "both", Step: 1, Notify: forewarn.RoleLiaison, Text: "x", FiredAt: next},
		{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 0, Notify: forewarn.RoleLiaison, Text: "x", FiredAt: next},
		{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 5, Notify: "everyone", Text: "x", FiredAt: next},
		{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 5, Notify: forewarn.RoleLiaison, Text: " ", FiredAt: next},
	} {
		WantCode(t, e.Store.Escalate(e.Ctx, bad, time.Time{}), forewarn.EINVALID)
	}
	WantCode(t, e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: m.ID, Agency: PeerDE, Side: forewarn.SideSender, Step: 1, Notify: forewarn.RoleLiaison, Text: "x", FiredAt: next}, time.Time{}), forewarn.ENOTFOUND)
	wantActions(t, e, mark)

	// An escalation for a delivery acted on meanwhile records nothing either.
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, m.ID, forewarn.AckActioned, e.Clock.Now()))
	mark = e.AuditCount()
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 5, Notify: forewarn.RoleAdmin, Text: "late", FiredAt: e.Clock.Now()}, time.Time{}); err != nil {
		t.Errorf("Escalate after the acknowledgement = %v", err)
	}
	wantActions(t, e, mark)
	if as, _ := e.Store.Alerts(e.Ctx, forewarn.RoleAdmin, 10); len(as) != 0 {
		t.Errorf("an actioned delivery escalated: %+v", as)
	}
	e.MustVerify()
}

func testMessageFilters(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	tick := func() time.Time { e.Clock.Advance(time.Minute); return e.Clock.Now() }

	n1 := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, tick())).Message
	q1 := NewNotification(PeerDE, []string{Agency.Code, PeerFR}, tick())
	e.Receive(q1)
	r1 := NewReply(forewarn.KindResponse, PeerFR, Agency.Code, n1.ID, "", tick())
	e.Receive(r1)
	a1 := e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, r1.ID, forewarn.AckReceived, tick())).Message
	// c1 answers b1, which arrives after it: once b1 is stored, both belong to n1's thread.
	b1 := NewReply(forewarn.KindResponse, PeerFR, Agency.Code, n1.ID, "", tick())
	c1 := NewReply(forewarn.KindResponse, PeerFR, Agency.Code, b1.ID, "", tick())
	e.Receive(c1)
	e.Receive(b1)
	other := e.Send(NewNotification(Agency.Code, []string{PeerDE}, tick())).Message

	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: n1.ID, Agency: PeerDE, Side: forewarn.SideSender, Step: 2, Notify: forewarn.RoleLiaison, Text: "overdue", FiredAt: tick()}, time.Time{}); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	ackQ1 := e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerDE, q1.ID, forewarn.AckActioned, tick())).Message

	ids := func(ms ...*forewarn.Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name    string
		filter  forewarn.MessageFilter
		want    []string // newest first
		total   int
		wantErr string
	}{
		{name: "thread, with a reply that arrived before its parent", filter: forewarn.MessageFilter{Thread: n1.ID}, want: ids(c1, b1, a1, r1, n1)},
		{name: "incoming", filter: forewarn.MessageFilter{Direction: forewarn.DirectionIn}, want: ids(c1, b1, r1, q1)},
		{name: "kind", filter: forewarn.MessageFilter{Kind: forewarn.KindNotification}, want: ids(other, q1, n1)},
		{name: "peer DE-BND: sent to or received from", filter: forewarn.MessageFilter{Peer: PeerDE}, want: ids(ackQ1, other, q1, n1)},
		{name: "peer FR-DGSI, outgoing", filter: forewarn.MessageFilter{Peer: PeerFR, Direction: forewarn.DirectionOut}, want: ids(a1, n1)},
		// Each was addressed to this node, alone or with others.
		{name: "this node as the peer, incoming", filter: forewarn.MessageFilter{Peer: Agency.Code, Direction: forewarn.DirectionIn}, want: ids(c1, b1, r1, q1)},
		{name: "overdue", filter: forewarn.MessageFilter{Overdue: true}, want: ids(n1)},
		{name: "unactioned", filter: forewarn.MessageFilter{Unactioned: true}, want: ids(other, n1)},
		{name: "page", filter: forewarn.MessageFilter{Direction: forewarn.DirectionIn, Offset: 1, Limit: 2}, want: ids(b1, r1), total: 4},
		{name: "past the end", filter: forewarn.MessageFilter{Offset: 100}, want: nil, total: 8},
		{name: "bad direction", filter: forewarn.MessageFilter{Direction: "sideways"}, wantErr: forewarn.EINVALID},
		{name: "bad kind", filter: forewarn.MessageFilter{Kind: "memo"}, wantErr: forewarn.EINVALID},
		{name: "negative offset", filter: forewarn.MessageFilter{Offset: -1}, wantErr: forewarn.EINVALID},
		{name: "negative limit", filter: forewarn.MessageFilter{Limit: -1}, wantErr: forewarn.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, total, err := e.Store.Messages(e.Ctx, tt.filter)
			if tt.wantErr != "" {
				WantCode(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Messages: %v", err)
			}
			var got []string
			for _, sm := range ms {
				got = append(got, sm.Message.ID)
				if len(sm.Deliveries) == 0 {
					t.Errorf("message %s listed without its deliveries", sm.Message.ID)
				}
			}
			want := tt.total
			if want == 0 {
				want = len(tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) || total != want {
				t.Errorf("Messages(%+v) = %v (total %d), want %v (total %d)", tt.filter, got, total, tt.want, want)
			}
		})
	}
	// Both directions at once, in every order (a store may read each direction apart and
	// merge them): a page is that page of the whole list, each order the reverse of its
	// opposite, and the total every message's.
	listIDs := func(f forewarn.MessageFilter) ([]string, int) {
		t.Helper()
		ms, total, err := e.Store.Messages(e.Ctx, f)
		if err != nil {
			t.Fatalf("Messages(%+v): %v", f, err)
		}
		var got []string
		for _, sm := range ms {
			got = append(got, sm.Message.ID)
		}
		return got, total
	}
	for _, pair := range [][2]forewarn.MessageSort{{forewarn.SortNewest, forewarn.SortOldest}, {forewarn.SortUrgent, forewarn.SortLeastUrgent}} {
		all, total := listIDs(forewarn.MessageFilter{Sort: pair[0]})
		in, _ := listIDs(forewarn.MessageFilter{Sort: pair[0], Direction: forewarn.DirectionIn})
		if len(all) != 8 || total != 8 || len(in) == 0 || len(in) == len(all) {
			t.Fatalf("Messages by %s = %v (total %d), want 8 of both directions (%d in)", pair[0], all, total, len(in))
		}
		if page, total := listIDs(forewarn.MessageFilter{Sort: pair[0], Offset: 2, Limit: 3}); !slices.Equal(page, all[2:5]) || total != 8 {
			t.Errorf("Messages by %s, 3 from the 3rd = %v (total %d), want %v of %v", pair[0], page, total, all[2:5], all)
		}
		back, _ := listIDs(forewarn.MessageFilter{Sort: pair[1]})
		slices.Reverse(back)
		if !slices.Equal(back, all) {
			t.Errorf("Messages by %s, reversed = %v, want %v (by %s)", pair[1], back, all, pair[0])
		}
	}
	e.MustVerify()
}

func testResolveAlert(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	m := e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())).Message
	e.Clock.Advance(time.Hour)
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 1,
		Notify: forewarn.RoleLiaison, Text: "overdue", FiredAt: e.Clock.Now()}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	as, err := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10)
	if err != nil || len(as) != 1 {
		t.Fatalf("Alerts = %v, %v", as, err)
	}
	id := as[0].ID
	start := e.AuditCount()
	e.Clock.Advance(time.Minute)
	// Closing an alert without acknowledging needs a reason; without one nothing changes.
	WantCode(t, e.Store.ResolveAlert(e.Ctx, forewarn.UserActor("liaison"), id, "  "), forewarn.EINVALID)
	wantActions(t, e, start)
	if err := e.Store.ResolveAlert(e.Ctx, forewarn.UserActor("liaison"), id, "chased by telephone"); err != nil {
		t.Fatal(err)
	}
	wantActions(t, e, start, "alert.resolve")
	if as, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10); len(as) != 0 {
		t.Errorf("a resolved alert is still listed: %+v", as)
	}
	a, err := e.Store.Alert(e.Ctx, id)
	if err != nil || a.ResolvedBy != "liaison" || !a.ResolvedAt.Equal(e.Clock.Now()) || a.Resolution != "chased by telephone" || a.Agency != PeerFR {
		t.Errorf("Alert = %+v, %v", a, err)
	}
	WantCode(t, e.Store.ResolveAlert(e.Ctx, forewarn.UserActor("liaison"), id, "again"), forewarn.ECONFLICT)
	WantCode(t, e.Store.ResolveAlert(e.Ctx, forewarn.UserActor("liaison"), forewarn.NewID(e.Clock.Now()), "why"), forewarn.ENOTFOUND)
	_, err = e.Store.Alert(e.Ctx, "nope")
	WantCode(t, err, forewarn.ENOTFOUND)
	wantActions(t, e, start, "alert.resolve")
	e.MustVerify()
}

// testDueFlashFirst: due deliveries come flash first, whatever waited longer.
func testDueFlashFirst(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	var ids []string
	for _, p := range []forewarn.Priority{forewarn.PriorityRoutine, forewarn.PriorityUrgent, forewarn.PriorityFlash} {
		m := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
		m.Notification.Priority = p
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionOut, StoredAt: e.Clock.Now(), Priority: p,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: PeerFR, Direction: forewarn.DirectionOut, NextAttempt: e.Clock.Now()}}}
		if err := e.Store.CreateMessage(e.Ctx, liaison, sm); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
		e.Clock.Advance(time.Minute)
	}
	due, err := e.Store.DueDeliveries(e.Ctx, e.Clock.Now(), 10)
	if err != nil || len(due) != 3 {
		t.Fatalf("DueDeliveries = %d, %v; want 3", len(due), err)
	}
	if due[0].MessageID != ids[2] || due[1].MessageID != ids[1] || due[2].MessageID != ids[0] {
		t.Errorf("due order %s %s %s, want flash %s, urgent %s, routine %s", due[0].MessageID, due[1].MessageID, due[2].MessageID, ids[2], ids[1], ids[0])
	}
	// Each peer's queue on its own: another peer's due delivery and a later retry are
	// left out, the limit counts within the peer, and the order holds.
	m := NewNotification(Agency.Code, []string{PeerDE}, e.Clock.Now())
	e.Send(m)
	later := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
	sm := &forewarn.StoredMessage{Message: later, Envelope: []byte("signed envelope of " + later.ID), Direction: forewarn.DirectionOut, StoredAt: e.Clock.Now(),
		Priority: forewarn.PriorityFlash, Deliveries: []*forewarn.Delivery{{MessageID: later.ID, Agency: PeerFR, Direction: forewarn.DirectionOut, NextAttempt: e.Clock.Now().Add(time.Hour)}}}
	if err := e.Store.CreateMessage(e.Ctx, liaison, sm); err != nil {
		t.Fatal(err)
	}
	fr, err := e.Store.DueDeliveriesTo(e.Ctx, PeerFR, e.Clock.Now(), 2)
	if err != nil || len(fr) != 2 || fr[0].MessageID != ids[2] || fr[1].MessageID != ids[1] {
		t.Errorf("DueDeliveriesTo(%s, 2) = %d, %v; want the flash and the urgent warning", PeerFR, len(fr), err)
	}
	if de, err := e.Store.DueDeliveriesTo(e.Ctx, PeerDE, e.Clock.Now(), 10); err != nil || len(de) != 1 || de[0].MessageID != m.ID || de[0].Agency != PeerDE {
		t.Errorf("DueDeliveriesTo(%s) = %d, %v; want its one delivery", PeerDE, len(de), err)
	}
	_, err = e.Store.DueDeliveriesTo(e.Ctx, "", e.Clock.Now(), 10)
	WantCode(t, err, forewarn.EINVALID)
}

// testPeerIsAnother: a node does not add itself as a peer, by code or by key, and one key
// is pinned for one agency only; the refusals write nothing.
func testPeerIsAnother(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	fr := NewPeer(PeerFR)
	if err := e.Store.AddPeer(e.Ctx, system, fr); err != nil {
		t.Fatalf("AddPeer: %v", err)
	}
	before := e.AuditCount()
	self := NewPeer(Agency.Code)
	WantCode(t, e.Store.AddPeer(e.Ctx, system, self), forewarn.EINVALID)
	ownKey := NewPeer(PeerDE)
	ownKey.PublicKey = e.Signer.PublicKey()
	WantCode(t, e.Store.AddPeer(e.Ctx, system, ownKey), forewarn.EINVALID)
	twice := NewPeer(PeerDE)
	twice.PublicKey = fr.PublicKey
	err := e.Store.AddPeer(e.Ctx, system, twice)
	WantCode(t, err, forewarn.EINVALID)
	if err == nil || !strings.Contains(err.Error(), PeerFR) {
		t.Errorf("a key pinned twice: %v, want an error naming %s, which holds it", err, PeerFR)
	}
	if n := e.AuditCount(); n != before {
		t.Errorf("refused peers wrote %d audit entries", n-before)
	}
	if ps, err := e.Store.Peers(e.Ctx); err != nil || len(ps) != 1 {
		t.Errorf("Peers = %+v, %v; want FR only", ps, err)
	}
}

// testAckClosesAlerts: acknowledging a message as actioned closes every open alert on it,
// recording the acknowledgement that closed it; on the sender's side, only the alerts
// about the recipient that acknowledged. A read-stage answer closes the alert it answers
// with its reason. The node records when an acknowledgement arrived beside the time it claims.
func testAckClosesAlerts(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()

	// Received: a warning with a match alert, then an escalation at each desk.
	in := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	sm, receipt := e.Incoming(in)
	sm.Alerts = []*forewarn.Alert{{Role: forewarn.RoleLiaison, Kind: "match", Text: "You hold this person"}}
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Hour)
	for i, role := range []forewarn.Role{forewarn.RoleLiaison, forewarn.RoleSupervisor} {
		if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: in.ID, Agency: Agency.Code, Side: forewarn.SideRecipient, Step: i + 1,
			Notify: role, Text: "overdue", FiredAt: e.Clock.Now()}, e.Clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	liaisonAlerts, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10)
	if len(liaisonAlerts) != 2 {
		t.Fatalf("liaison alerts = %+v", liaisonAlerts)
	}
	var escalation string
	for _, a := range liaisonAlerts {
		if a.Kind == "escalation" {
			escalation = a.ID
		}
	}
	// The liaison desk records why not: a read-stage answer closes its escalation alert,
	// not the match alert, and not the supervisors'.
	read := NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, in.ID, forewarn.AckRead, e.Clock.Now())
	read.Ack.Outcome, read.Ack.Reason = forewarn.OutcomeForwarded, "forwarded to the competent service"
	rs, err := e.send(read, escalation)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Store.Alert(e.Ctx, escalation)
	if a.ResolvedAt.IsZero() || a.ClosedBy != rs.Message.ID || !strings.Contains(a.Resolution, "competent service") || a.ResolvedBy != liaison.ID {
		t.Errorf("answered escalation alert = %+v", a)
	}
	if as, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10); len(as) != 1 || as[0].Kind != "match" {
		t.Errorf("open liaison alerts after answering the escalation = %+v", as)
	}
	// Answering an alert twice is refused, and the second answer is not stored.
	again := NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, in.ID, forewarn.AckRead, e.Clock.Now())
	again.Ack.Reason = "again"
	_, err = e.send(again, escalation)
	WantCode(t, err, forewarn.ECONFLICT)
	_, err = e.Store.Message(e.Ctx, again.ID)
	WantCode(t, err, forewarn.ENOTFOUND)

	// Acknowledging as actioned closes every alert on the message, at every desk.
	e.Clock.Advance(time.Minute)
	start := e.AuditCount()
	ack := e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, in.ID, forewarn.AckActioned, e.Clock.Now()))
	wantActions(t, e, start, "message.send", "message.acknowledge", "alert.resolve", "alert.resolve")
	for _, role := range []forewarn.Role{forewarn.RoleLiaison, forewarn.RoleSupervisor} {
		if as, _ := e.Store.Alerts(e.Ctx, role, 10); len(as) != 0 {
			t.Errorf("%s alerts open after acknowledging: %+v", role, as)
		}
	}
	for _, x := range liaisonAlerts {
		if a, _ := e.Store.Alert(e.Ctx, x.ID); x.ID != escalation && a.ClosedBy != ack.Message.ID {
			t.Errorf("alert %s closed by %q, want the acknowledgement %s", x.ID, a.ClosedBy, ack.Message.ID)
		}
	}

	// Sent to two: FR-DGSI's acknowledgement closes the sender's alerts about FR-DGSI only,
	// recorded when it arrived here, by whom FR-DGSI disclosed.
	out := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, e.Clock.Now())).Message
	e.Clock.Advance(time.Hour)
	for i, to := range []string{PeerFR, PeerDE} {
		if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: out.ID, Agency: to, Side: forewarn.SideSender, Step: i + 1,
			Notify: forewarn.RoleLiaison, Text: "overdue at " + to, FiredAt: e.Clock.Now()}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	claimed := e.Clock.Now().Add(-30 * time.Minute)
	e.Clock.Advance(time.Minute)
	frAck := NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, out.ID, forewarn.AckActioned, claimed)
	frAck.Ack.By = &forewarn.AckAuthor{Kind: forewarn.AuthorUser, Name: "dupont"}
	e.Receive(frAck)
	d := e.MustMessage(out.ID).Delivery(PeerFR)
	if !d.ActionAt.Equal(claimed) || !d.AckArrivedAt.Equal(e.Clock.Now()) || d.ActionBy != "dupont at "+PeerFR || d.Reason == "" {
		t.Errorf("FR-DGSI's acknowledgement recorded as %+v; want dated %s, arrived %s, by dupont at %s", d, claimed, e.Clock.Now(), PeerFR)
	}
	as, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10)
	if len(as) != 1 || as[0].Agency != PeerDE {
		t.Errorf("sender's open alerts after FR-DGSI acknowledged = %+v; want DE-BND's only", as)
	}
	e.MustVerify()
}

// testOwners: a received message gets an owner (audited), to whom escalations and their
// alerts can be addressed, apart from the desk's; the urgency order puts overdue first,
// then the earliest deadline, then the most urgent priority.
func testOwners(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	if err := e.Store.CreateUser(e.Ctx, forewarn.SystemActor("test"), &forewarn.User{Username: "dupont", DisplayName: "Dupont", Roles: []forewarn.Role{forewarn.RoleLiaison}}); err != nil {
		t.Fatal(err)
	}
	late := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())).Message
	e.Clock.Advance(time.Hour)
	soon := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())).Message
	e.Clock.Advance(time.Hour)
	none := e.Receive(NewReply(forewarn.KindResponse, PeerFR, Agency.Code, late.ID, "", e.Clock.Now())).Message

	start := e.AuditCount()
	WantCode(t, e.Store.AssignMessage(e.Ctx, liaison, late.ID, "nobody-here"), forewarn.ENOTFOUND)
	WantCode(t, e.Store.AssignMessage(e.Ctx, liaison, forewarn.NewID(e.Clock.Now()), "dupont"), forewarn.ENOTFOUND)
	wantActions(t, e, start)
	if err := e.Store.AssignMessage(e.Ctx, liaison, late.ID, "dupont"); err != nil {
		t.Fatal(err)
	}
	wantActions(t, e, start, "message.assign")
	d := e.MustMessage(late.ID).Delivery(Agency.Code)
	if d.Owner != "dupont" || d.AssignedBy != liaison.ID || !d.AssignedAt.Equal(e.Clock.Now()) {
		t.Errorf("owned delivery = %+v", d)
	}
	mine, _, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Owner: "dupont"})
	if err != nil || len(mine) != 1 || mine[0].Message.ID != late.ID {
		t.Errorf("messages owned by dupont = %d, %v", len(mine), err)
	}

	// The owner is told first, apart from the desk.
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: late.ID, Agency: Agency.Code, Side: forewarn.SideRecipient, Step: 1,
		Notify: forewarn.RoleLiaison, Username: "dupont", Text: "overdue", FiredAt: e.Clock.Now()}, e.Clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if as, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10); len(as) != 0 {
		t.Errorf("the owner's reminder is on the desk's list: %+v", as)
	}
	as, err := e.Store.UserAlerts(e.Ctx, "dupont", 10)
	if err != nil || len(as) != 1 || as[0].Username != "dupont" || as[0].MessageID != late.ID {
		t.Errorf("dupont's alerts = %+v, %v", as, err)
	}
	es, _ := e.Store.Escalations(e.Ctx, late.ID)
	if len(es) != 1 || es[0].Username != "dupont" {
		t.Errorf("escalations = %+v", es)
	}

	// Most urgent first: the overdue one, then the earliest deadline, then the one
	// without a deadline.
	list, _, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Urgent: true})
	if err != nil || len(list) != 3 {
		t.Fatalf("urgent list = %d, %v", len(list), err)
	}
	if got := []string{list[0].Message.ID, list[1].Message.ID, list[2].Message.ID}; !reflect.DeepEqual(got, []string{late.ID, soon.ID, none.ID}) {
		t.Errorf("urgency order = %v, want overdue %s, then %s, then %s", got, late.ID, soon.ID, none.ID)
	}

	// Releasing clears the owner.
	if err := e.Store.AssignMessage(e.Ctx, liaison, late.ID, ""); err != nil {
		t.Fatal(err)
	}
	if d := e.MustMessage(late.ID).Delivery(Agency.Code); d.Owner != "" || !d.AssignedAt.IsZero() {
		t.Errorf("released delivery = %+v", d)
	}
	e.MustVerify()
}
