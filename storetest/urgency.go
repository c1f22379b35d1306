package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// urgencyOrder sorts messages as the inbox's "most urgent first" must, computed from
// their deliveries: overdue and not actioned first, then the earliest deadline not yet
// actioned (none last), then the effective priority, then the newest.
func urgencyOrder(sms []*forewarn.StoredMessage) []string {
	type key struct {
		overdue  bool
		deadline time.Time
		rank     int
		created  time.Time
		id       string
	}
	rank := map[forewarn.Priority]int{forewarn.PriorityFlash: 0, forewarn.PriorityUrgent: 1, forewarn.PriorityPriority: 2}
	keys := make([]key, len(sms))
	for i, sm := range sms {
		k := key{rank: 3, created: sm.Message.Created, id: sm.Message.ID}
		if r, ok := rank[sm.Priority]; ok {
			k.rank = r
		}
		for _, d := range sm.Deliveries {
			if !d.ActionAt.IsZero() {
				continue
			}
			k.overdue = k.overdue || !d.Overdue.IsZero()
			if !d.Deadline.IsZero() && (k.deadline.IsZero() || d.Deadline.Before(k.deadline)) {
				k.deadline = d.Deadline
			}
		}
		keys[i] = k
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.overdue != b.overdue {
			if a.overdue {
				return -1
			}
			return 1
		}
		if a.deadline.IsZero() != b.deadline.IsZero() {
			if b.deadline.IsZero() {
				return -1
			}
			return 1
		}
		if c := a.deadline.Compare(b.deadline); c != 0 {
			return c
		}
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.id
	}
	return ids
}

// testUrgencyKey: the urgency order the store keeps on each message (migration 0230) stays
// the order computed from the deliveries through every change of state: arrival with
// different deadlines and priorities, escalation, reading, acknowledgement, in both
// directions; the reverse order is its exact reverse, and the overdue filter agrees.
func testUrgencyKey(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	tick := func() time.Time { e.Clock.Advance(time.Minute); return e.Clock.Now() }

	check := func(step string, dir forewarn.Direction) {
		t.Helper()
		all, _, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: dir, Limit: 100})
		if err != nil {
			t.Fatalf("%s: Messages: %v", step, err)
		}
		want := urgencyOrder(all)
		ids := func(f forewarn.MessageFilter) []string {
			t.Helper()
			f.Direction, f.Limit = dir, 100
			list, _, err := e.Store.Messages(e.Ctx, f)
			if err != nil {
				t.Fatalf("%s: Messages(%+v): %v", step, f, err)
			}
			var out []string
			for _, sm := range list {
				out = append(out, sm.Message.ID)
			}
			return out
		}
		if got := ids(forewarn.MessageFilter{Sort: forewarn.SortUrgent}); !slices.Equal(got, want) {
			t.Errorf("%s: most urgent first (%s) = %v\nwant %v", step, dir, got, want)
		}
		if got := ids(forewarn.MessageFilter{Urgent: true}); !slices.Equal(got, want) {
			t.Errorf("%s: Urgent (%s) = %v\nwant %v", step, dir, got, want)
		}
		reverse := slices.Clone(want)
		slices.Reverse(reverse)
		if got := ids(forewarn.MessageFilter{Sort: forewarn.SortLeastUrgent}); !slices.Equal(got, reverse) {
			t.Errorf("%s: least urgent first (%s) = %v\nwant %v", step, dir, got, reverse)
		}
		var overdue []string
		for _, sm := range all {
			for _, d := range sm.Deliveries {
				if !d.Overdue.IsZero() && d.ActionAt.IsZero() {
					overdue = append(overdue, sm.Message.ID)
					break
				}
			}
		}
		if got := ids(forewarn.MessageFilter{Overdue: true}); !slices.Equal(got, overdue) {
			t.Errorf("%s: overdue (%s) = %v, want %v", step, dir, got, overdue)
		}
	}

	receive := func(deadline time.Duration, p forewarn.Priority) *forewarn.Message {
		t.Helper()
		m := NewNotification(PeerFR, []string{Agency.Code}, tick())
		m.Notification.AcknowledgeBy = m.Created.Add(deadline)
		sm, receipt := e.Incoming(m)
		sm.Priority = p
		if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		return m
	}
	later := receive(48*time.Hour, forewarn.PriorityRoutine)
	sooner := receive(24*time.Hour, forewarn.PriorityRoutine)
	flash := receive(24*time.Hour+time.Minute, forewarn.PriorityFlash) // same deadline as sooner, more urgent
	same := receive(24*time.Hour+2*time.Minute, forewarn.PriorityRoutine)
	answer := NewReply(forewarn.KindResponse, PeerFR, Agency.Code, later.ID, "", tick()) // no deadline
	e.Receive(answer)
	check("arrivals", forewarn.DirectionIn)
	if list, _, _ := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Sort: forewarn.SortUrgent}); len(list) != 5 ||
		list[0].Message.ID != sooner.ID || list[1].Message.ID != flash.ID || list[2].Message.ID != same.ID || list[4].Message.ID != answer.ID {
		t.Errorf("the earliest deadline does not come first, or the answer without one last")
	}

	// The latest deadline passes unanswered: it comes first.
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: later.ID, Agency: Agency.Code, Side: forewarn.SideRecipient, Step: 1,
		Notify: forewarn.RoleLiaison, Text: "overdue", FiredAt: tick()}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check("escalated", forewarn.DirectionIn)
	if list, _, _ := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Sort: forewarn.SortUrgent, Limit: 1}); len(list) != 1 || list[0].Message.ID != later.ID {
		t.Errorf("the overdue warning is not first")
	}

	// Reading changes nothing; acting closes it: it goes where messages without an open
	// deadline go.
	e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, later.ID, forewarn.AckRead, tick()))
	check("read", forewarn.DirectionIn)
	e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, later.ID, forewarn.AckActioned, tick()))
	e.Send(NewReply(forewarn.KindAcknowledgement, Agency.Code, PeerFR, sooner.ID, forewarn.AckActioned, tick()))
	check("acknowledged", forewarn.DirectionIn)

	// Outgoing: two recipients; one acts, the other is overdue.
	out := e.Send(NewNotification(Agency.Code, []string{PeerFR, PeerDE}, tick())).Message
	e.Send(NewNotification(Agency.Code, []string{PeerDE}, tick()))
	check("sent", forewarn.DirectionOut)
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, out.ID, forewarn.AckActioned, tick()))
	if err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: out.ID, Agency: PeerDE, Side: forewarn.SideSender, Step: 1,
		Notify: forewarn.RoleLiaison, Text: "overdue", FiredAt: tick()}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	check("one of two recipients overdue", forewarn.DirectionOut)
	check("both directions", "")
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerDE, Agency.Code, out.ID, forewarn.AckActioned, tick()))
	check("both recipients acted", forewarn.DirectionOut)
	check("both directions at the end", "")

	_, _, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Sort: "alphabetical"})
	WantCode(t, err, forewarn.EINVALID)
	e.MustVerify()
}
