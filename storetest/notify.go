package storetest

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// notifyUsers creates a liaison, a supervisor and an analyst, each with an address.
func (e *Env) notifyUsers() {
	e.T.Helper()
	for _, u := range []struct {
		name string
		role forewarn.Role
	}{{"desk", forewarn.RoleLiaison}, {"boss", forewarn.RoleSupervisor}, {"ana", forewarn.RoleAnalyst}} {
		if err := e.Store.CreateUser(e.Ctx, system, &forewarn.User{Username: u.name, DisplayName: u.name, Roles: []forewarn.Role{u.role}, PasswordHash: "x"}); err != nil {
			e.T.Fatalf("CreateUser(%s): %v", u.name, err)
		}
		if err := e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: u.name, Email: u.name + "@fr-dgsi.example"}); err != nil {
			e.T.Fatalf("SetNotificationSettings(%s): %v", u.name, err)
		}
	}
}

func pending(t *testing.T, e *Env) []*forewarn.Notice {
	t.Helper()
	ns, err := e.Store.DueNotifications(e.Ctx, e.Clock.Now(), 0)
	if err != nil {
		t.Fatalf("DueNotifications: %v", err)
	}
	return ns
}

func noticeKeys(ns []*forewarn.Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, string(n.Type)+" "+string(n.Channel)+" "+n.Address)
	}
	sort.Strings(out)
	return out
}

// testNotificationOutbox: an urgent arrival and each escalation step queue their
// notifications in the transaction that stores them, to the right people and webhooks,
// once; the worker's outcomes (sent, failed, dead, retried) are recorded.
func testNotificationOutbox(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	e.notifyUsers()
	hook := &forewarn.Webhook{Name: "on-call", URL: "http://127.0.0.1:9/hook", Secret: "0123456789abcdef0123"}
	if err := e.Store.CreateWebhook(e.Ctx, system, hook); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	WantCode(t, e.Store.CreateWebhook(e.Ctx, system, &forewarn.Webhook{Name: "x", URL: "ftp://x", Secret: "0123456789abcdef"}), forewarn.EINVALID)
	// A disabled webhook hears of nothing.
	if err := e.Store.CreateWebhook(e.Ctx, system, &forewarn.Webhook{Name: "off", URL: "http://127.0.0.1:9/off", Secret: "0123456789abcdef0123", Disabled: true}); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}

	// A routine message queues nothing; an urgent one tells the desk and the webhook.
	routine := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	routine.Notification.Priority = forewarn.PriorityRoutine
	sm, receipt := e.Incoming(routine)
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if ns := pending(t, e); len(ns) != 0 {
		t.Fatalf("a routine arrival queued %v", noticeKeys(ns))
	}
	// The store says whether it queued any, so the worker is woken only then.
	if sm.Notified {
		t.Errorf("a routine arrival that queued nothing says Notified")
	}
	urgent := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	sm, receipt = e.Incoming(urgent)
	sm.Priority = forewarn.PriorityUrgent
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if !sm.Notified {
		t.Errorf("an urgent arrival that queued notifications does not say Notified")
	}
	// The same message again is a duplicate and queues nothing more.
	if _, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil || !dup {
		t.Fatalf("second ReceiveMessage = %v, %v", dup, err)
	}
	got := pending(t, e)
	want := []string{"message.arrived email desk@fr-dgsi.example", "message.arrived webhook http://127.0.0.1:9/hook"}
	if !slices.Equal(noticeKeys(got), want) {
		t.Fatalf("queued on arrival %v, want %v", noticeKeys(got), want)
	}
	for _, n := range got {
		m := n.Event.Message
		if n.MessageID != urgent.ID || m == nil || m.ID != urgent.ID || m.Priority != forewarn.PriorityUrgent || m.From != PeerFR ||
			!m.Deadline.Equal(urgent.Notification.AcknowledgeBy) || n.Event.Node != Agency.Code || n.Event.ID != n.ID {
			t.Errorf("arrival notification %+v, event %+v", n, n.Event)
		}
	}

	// An escalation to the supervisors tells the supervisor (not the desk) and the webhook.
	e.Clock.Advance(36 * time.Hour)
	esc := &forewarn.Escalation{MessageID: urgent.ID, Agency: Agency.Code, Side: forewarn.SideRecipient, Step: 3, Notify: forewarn.RoleSupervisor, Text: "notification from FR-DGSI is not acknowledged", FiredAt: e.Clock.Now()}
	if err := e.Store.Escalate(e.Ctx, esc, time.Time{}); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	got = pending(t, e)
	want = append(want, "message.escalated email boss@fr-dgsi.example", "message.escalated webhook http://127.0.0.1:9/hook")
	sort.Strings(want)
	if !slices.Equal(noticeKeys(got), want) {
		t.Fatalf("queued after the escalation %v, want %v", noticeKeys(got), want)
	}
	// A sent message overdue at its recipient is "your warning is overdue" at the desk.
	out := e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())).Message
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: out.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 2, Notify: forewarn.RoleLiaison, Text: "overdue", FiredAt: e.Clock.Now()}, time.Time{}); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	got = pending(t, e)
	if n := len(got); n != 6 {
		t.Fatalf("%d pending, want 6: %v", n, noticeKeys(got))
	}

	// The digest goes to supervisors once a day.
	n, err := e.Store.QueueOverdueDigest(e.Ctx, e.Clock.Now())
	if err != nil || n != 2 {
		t.Fatalf("QueueOverdueDigest = %d, %v; want 2 (supervisor, webhook)", n, err)
	}
	if n, err := e.Store.QueueOverdueDigest(e.Ctx, e.Clock.Now()); err != nil || n != 0 {
		t.Fatalf("second QueueOverdueDigest the same day = %d, %v; want 0", n, err)
	}
	got = pending(t, e)
	var digest *forewarn.Notice
	for _, x := range got {
		if x.Type == forewarn.NotifyDigest && x.Channel == forewarn.ChannelEmail {
			digest = x
		}
	}
	if digest == nil || digest.Address != "boss@fr-dgsi.example" || len(digest.Event.Overdue) != 1 || digest.Event.Overdue[0].ID != urgent.ID {
		t.Fatalf("digest %+v", digest)
	}

	// Outcomes: sent, failed and retried later, dead, retried by an administrator.
	a, b, c := got[0], got[1], got[2]
	if err := e.Store.NotificationsSent(e.Ctx, e.Clock.Now(), a.ID); err != nil {
		t.Fatalf("NotificationsSent: %v", err)
	}
	if err := e.Store.NotificationFailed(e.Ctx, b.ID, "connection refused", e.Clock.Now().Add(time.Minute)); err != nil {
		t.Fatalf("NotificationFailed: %v", err)
	}
	mark := e.AuditCount()
	if err := e.Store.NotificationFailed(e.Ctx, c.ID, "550 mailbox unavailable", time.Time{}); err != nil {
		t.Fatalf("NotificationFailed: %v", err)
	}
	wantActions(t, e, mark, "notification.dead")
	if left := pending(t, e); len(left) != len(got)-3 {
		t.Errorf("%d due after the outcomes, want %d", len(left), len(got)-3)
	}
	counts, err := e.Store.NotificationCounts(e.Ctx)
	if err != nil || counts != (forewarn.NotificationCounts{Pending: len(got) - 2, Sent: 1, Dead: 1}) {
		t.Errorf("NotificationCounts = %+v, %v", counts, err)
	}
	dead, total, err := e.Store.Notifications(e.Ctx, forewarn.NotificationFilter{State: "dead"})
	if err != nil || total != 1 || dead[0].ID != c.ID || dead[0].LastError != "550 mailbox unavailable" || dead[0].Attempts != 1 || dead[0].State() != "dead" {
		t.Fatalf("dead letters %+v (%d), %v", dead, total, err)
	}
	WantCode(t, e.Store.RetryNotification(e.Ctx, system, a.ID), forewarn.ECONFLICT)
	if err := e.Store.RetryNotification(e.Ctx, system, c.ID); err != nil {
		t.Fatalf("RetryNotification: %v", err)
	}
	if left := pending(t, e); !slices.ContainsFunc(left, func(x *forewarn.Notice) bool { return x.ID == c.ID }) {
		t.Error("a retried dead letter is not due again")
	}
	e.Clock.Advance(time.Minute)
	if left := pending(t, e); !slices.ContainsFunc(left, func(x *forewarn.Notice) bool { return x.ID == b.ID }) {
		t.Error("a failed notification is not due at its next attempt")
	}
	_, _, err = e.Store.Notifications(e.Ctx, forewarn.NotificationFilter{State: "lost"})
	WantCode(t, err, forewarn.EINVALID)

	// A test notification to one user; deleting the webhook dead-letters what it still had.
	tn, err := e.Store.QueueTestNotification(e.Ctx, system, forewarn.ChannelEmail, "desk")
	if err != nil || tn.Address != "desk@fr-dgsi.example" || tn.Type != forewarn.NotifyTest {
		t.Fatalf("QueueTestNotification = %+v, %v", tn, err)
	}
	_, err = e.Store.QueueTestNotification(e.Ctx, system, forewarn.ChannelWebhook, "no-such-hook")
	WantCode(t, err, forewarn.ENOTFOUND)
	if err := e.Store.DeleteWebhook(e.Ctx, system, hook.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	for _, x := range pending(t, e) {
		if x.Channel == forewarn.ChannelWebhook {
			t.Errorf("still due to a deleted webhook: %+v", x)
		}
	}
	e.MustVerify()
}

// testNotificationSettings: addresses are checked, and nobody opts out of what their
// role must receive; disabled users and users without an address are not e-mailed.
func testNotificationSettings(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	e.notifyUsers()
	s, err := e.Store.NotificationSettings(e.Ctx, "desk")
	if err != nil || s.Email != "desk@fr-dgsi.example" || len(s.Off) != 0 {
		t.Fatalf("NotificationSettings = %+v, %v", s, err)
	}
	mark := e.AuditCount()
	for _, bad := range []*forewarn.NotificationSettings{
		{Username: "desk", Email: "not an address"},
		{Username: "desk", Email: "Desk <desk@fr-dgsi.example>"},
		{Username: "boss", Email: "boss@fr-dgsi.example", Off: []forewarn.NotificationType{forewarn.NotifyEscalation}},
		{Username: "desk", Email: "desk@fr-dgsi.example", Off: []forewarn.NotificationType{"everything"}},
	} {
		err := e.Store.SetNotificationSettings(e.Ctx, system, bad)
		WantCode(t, err, forewarn.EINVALID)
	}
	if err := e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: "desk", Email: "bad"}); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("an invalid address is refused without naming it: %v", err)
	}
	WantCode(t, e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: "nobody", Email: "a@b.example"}), forewarn.ENOTFOUND)
	wantActions(t, e, mark)
	// The desk turns arrivals off: an urgent arrival then reaches nobody by e-mail.
	if err := e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: "desk", Email: "desk@fr-dgsi.example", Off: []forewarn.NotificationType{forewarn.NotifyArrival}}); err != nil {
		t.Fatalf("SetNotificationSettings: %v", err)
	}
	wantActions(t, e, mark, "user.notifications")
	e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
	sm, receipt := e.Incoming(NewNotification(PeerDE, []string{Agency.Code}, e.Clock.Now()))
	sm.Priority = forewarn.PriorityFlash
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerDE), sm, receipt); err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if ns := pending(t, e); len(ns) != 0 {
		t.Errorf("arrivals reached a user who turned them off: %v", noticeKeys(ns))
	}
	// An escalation step that tells the message's owner e-mails that person, not the desk.
	if err := e.Store.CreateUser(e.Ctx, system, &forewarn.User{Username: "owner", DisplayName: "owner", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetNotificationSettings(e.Ctx, system, &forewarn.NotificationSettings{Username: "owner", Email: "owner@fr-dgsi.example"}); err != nil {
		t.Fatal(err)
	}
	m := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())).Message
	esc := &forewarn.Escalation{MessageID: m.ID, Agency: Agency.Code, Side: forewarn.SideRecipient, Step: 1, Notify: forewarn.RoleLiaison, Username: "owner", Text: "not acknowledged", FiredAt: e.Clock.Now()}
	if err := e.Store.Escalate(e.Ctx, esc, time.Time{}); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	if got, want := noticeKeys(pending(t, e)), []string{"message.escalated email owner@fr-dgsi.example"}; !slices.Equal(got, want) {
		t.Errorf("an escalation to the owner queued %v, want %v", got, want)
	}
}
