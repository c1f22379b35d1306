package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testClaimDeliveries: servers claiming the same due deliveries at once take each one
// exactly once; a claimed delivery is not due again until its claim lapses, a receipted
// one is never claimed, and a lapsed claim is taken again, as after a server died.
func testClaimDeliveries(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	const n = 24
	for i := 0; i < n; i++ {
		e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now()))
	}
	now := e.Clock.Now()
	until := now.Add(30 * time.Second)
	due, err := e.Store.DueDeliveries(e.Ctx, now, 100)
	if err != nil || len(due) != n {
		t.Fatalf("DueDeliveries = %d, %v; want %d", len(due), err, n)
	}
	// Four claimers list the same deliveries and claim them all, at the same moment.
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.Store.ClaimDeliveries(e.Ctx, "server 1", now, until, due)
			if err != nil {
				t.Errorf("ClaimDeliveries: %v", err)
				return
			}
			mu.Lock()
			for _, d := range got {
				taken[d.MessageID]++
				if !d.NextAttempt.Equal(until) {
					t.Errorf("claimed delivery's next attempt %v, want the claim's end %v", d.NextAttempt, until)
				}
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(taken) != n {
		t.Errorf("%d of %d deliveries claimed", len(taken), n)
	}
	for id, k := range taken {
		if k != 1 {
			t.Errorf("delivery of %s claimed %d times", id, k)
		}
	}
	if again, err := e.Store.ClaimDeliveries(e.Ctx, "server 1", now, until, due); err != nil || len(again) != 0 {
		t.Errorf("claiming claimed deliveries again = %d, %v; want none", len(again), err)
	}
	if d, err := e.Store.DueDeliveries(e.Ctx, now, 100); err != nil || len(d) != 0 {
		t.Errorf("DueDeliveries while claimed = %d, %v; want none", len(d), err)
	}
	// One is receipted; the claims on the others lapse, and they are claimed again.
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: due[0].MessageID, Agency: PeerFR, Receipt: []byte("receipt"), At: now}); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	e.Clock.Advance(31 * time.Second)
	later := e.Clock.Now()
	again, err := e.Store.ClaimDeliveries(e.Ctx, "server 1", later, later.Add(30*time.Second), due)
	if err != nil || len(again) != n-1 {
		t.Errorf("claims after they lapsed = %d, %v; want %d (all but the receipted one)", len(again), err, n-1)
	}
	for _, d := range again {
		if d.MessageID == due[0].MessageID {
			t.Errorf("a receipted delivery was claimed")
		}
	}
	WantCode(t, func() error { _, err := e.Store.ClaimDeliveries(e.Ctx, "server 1", later, later, due); return err }(), forewarn.EINVALID)
	// A server that restarts takes back what its previous run claimed, and only that.
	if n, err := e.Store.ReleaseClaims(e.Ctx, "server 2", later); err != nil || n != 0 {
		t.Errorf("ReleaseClaims(server 2) = %d, %v; want 0 (it claimed nothing)", n, err)
	}
	if n, err := e.Store.ReleaseClaims(e.Ctx, "server 1", later); err != nil || n != len(again) {
		t.Errorf("ReleaseClaims(server 1) = %d, %v; want %d", n, err, len(again))
	}
	if d, err := e.Store.DueDeliveries(e.Ctx, later, 100); err != nil || len(d) != n-1 {
		t.Errorf("DueDeliveries after the release = %d, %v; want %d", len(d), err, n-1)
	}
}

// testClaimNotifications: servers claiming due notifications at once send each once; a
// claim lapses by itself.
func testClaimNotifications(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.notifyUsers()
	const n = 20
	for i := 0; i < n; i++ {
		if _, err := e.Store.QueueTestNotification(e.Ctx, system, forewarn.ChannelEmail, "desk"); err != nil {
			t.Fatalf("QueueTestNotification: %v", err)
		}
	}
	now := e.Clock.Now()
	until := now.Add(5 * time.Minute)
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := e.Store.ClaimNotifications(e.Ctx, "server 1", now, until, 3)
				if err != nil {
					t.Errorf("ClaimNotifications: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, x := range got {
					taken[x.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(taken) != n {
		t.Errorf("%d of %d notifications claimed", len(taken), n)
	}
	for id, k := range taken {
		if k != 1 {
			t.Errorf("notification %s claimed %d times", id, k)
		}
	}
	if due := pending(t, e); len(due) != 0 {
		t.Errorf("%d notifications due while claimed", len(due))
	}
	if k, err := e.Store.ReleaseClaims(e.Ctx, "server 1", now); err != nil || k != n {
		t.Errorf("ReleaseClaims = %d, %v; want %d", k, err, n)
	}
	if due := pending(t, e); len(due) != n {
		t.Errorf("%d notifications due after their server released them, want %d", len(due), n)
	}
	if _, err := e.Store.ClaimNotifications(e.Ctx, "server 2", now, until, 100); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(5*time.Minute + time.Second)
	if due := pending(t, e); len(due) != n {
		t.Errorf("%d notifications due after the claims lapsed, want %d", len(due), n)
	}
}

// testClaimDueTo: one peer's due deliveries are claimed and read in one call, the most
// urgent first, within the limit, with their envelopes; claimers at the same moment each
// take different ones; what is claimed, receipted, another peer's or a later retry is
// not taken, and a claim that lapsed is taken again.
func testClaimDueTo(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
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
	de := e.Send(NewNotification(Agency.Code, []string{PeerDE}, e.Clock.Now()))
	retry := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
	if err := e.Store.CreateMessage(e.Ctx, liaison, &forewarn.StoredMessage{Message: retry, Envelope: []byte("signed envelope of " + retry.ID), Direction: forewarn.DirectionOut,
		StoredAt: e.Clock.Now(), Priority: forewarn.PriorityFlash,
		Deliveries: []*forewarn.Delivery{{MessageID: retry.ID, Agency: PeerFR, Direction: forewarn.DirectionOut, NextAttempt: e.Clock.Now().Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	until := now.Add(30 * time.Second)
	got, envs, err := e.Store.ClaimDueTo(e.Ctx, "server 1", PeerFR, now, until, 2)
	if err != nil || len(got) != 2 || got[0].MessageID != ids[2] || got[1].MessageID != ids[1] {
		t.Fatalf("ClaimDueTo(%s, 2) = %v, %v; want the flash %s and the urgent %s warnings", PeerFR, got, err, ids[2], ids[1])
	}
	for _, d := range got {
		if d.Agency != PeerFR || d.Direction != forewarn.DirectionOut || !d.NextAttempt.Equal(until) {
			t.Errorf("claimed delivery %+v: want to %s, out, next attempt at the claim's end %v", d, PeerFR, until)
		}
		if string(envs[d.MessageID]) != "signed envelope of "+d.MessageID {
			t.Errorf("envelope of %s = %q", d.MessageID, envs[d.MessageID])
		}
	}
	if due, err := e.Store.DueDeliveriesTo(e.Ctx, PeerFR, now, 10); err != nil || len(due) != 1 || due[0].MessageID != ids[0] {
		t.Errorf("DueDeliveriesTo after the claim = %d, %v; want only the routine warning", len(due), err)
	}
	rest, _, err := e.Store.ClaimDueTo(e.Ctx, "server 2", PeerFR, now, until, 10)
	if err != nil || len(rest) != 1 || rest[0].MessageID != ids[0] {
		t.Errorf("ClaimDueTo by a second server = %v, %v; want only the routine warning", rest, err)
	}
	if none, _, err := e.Store.ClaimDueTo(e.Ctx, "server 1", PeerFR, now, until, 10); err != nil || len(none) != 0 {
		t.Errorf("ClaimDueTo with every due delivery claimed = %v, %v; want none", none, err)
	}
	if other, envs, err := e.Store.ClaimDueTo(e.Ctx, "server 1", PeerDE, now, until, 10); err != nil || len(other) != 1 || other[0].MessageID != de.Message.ID || string(envs[de.Message.ID]) != string(de.Envelope) {
		t.Errorf("ClaimDueTo(%s) = %v, %v; want its one delivery with its envelope", PeerDE, other, err)
	}
	// Claimers at the same moment take each due delivery once.
	if err := e.Store.Delivered(e.Ctx, forewarn.DeliveryReceipt{MessageID: ids[2], Agency: PeerFR, Receipt: []byte("receipt"), At: now}); err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	const n = 24
	for range n {
		e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now()))
	}
	e.Clock.Advance(31 * time.Second) // the claims lapse
	later := e.Clock.Now()
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, _, err := e.Store.ClaimDueTo(e.Ctx, fmt.Sprint("server ", w), PeerFR, later, later.Add(30*time.Second), 5)
				if err != nil {
					t.Errorf("ClaimDueTo: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					taken[d.MessageID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(taken) != n+2 {
		t.Errorf("%d deliveries claimed, want %d: the %d new and the 2 whose claims lapsed, not the receipted one nor the later retry", len(taken), n+2, n)
	}
	for id, k := range taken {
		if k != 1 {
			t.Errorf("delivery of %s claimed %d times", id, k)
		}
		if id == ids[2] || id == retry.ID {
			t.Errorf("%s claimed: it is receipted or not due", id)
		}
	}
	_, _, err = e.Store.ClaimDueTo(e.Ctx, "server 1", "", later, later.Add(time.Second), 10)
	WantCode(t, err, forewarn.EINVALID)
	_, _, err = e.Store.ClaimDueTo(e.Ctx, "server 1", PeerFR, later, later, 10)
	WantCode(t, err, forewarn.EINVALID)
}
