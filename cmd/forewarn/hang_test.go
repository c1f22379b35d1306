package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/keyfile"
)

// hangingPeer makes agency a peer of rt that accepts connections and never answers until
// the returned release is called.
func hangingPeer(t testing.TB, rt *liveNode, agency forewarn.Agency) (release func()) {
	t.Helper()
	ctx := context.Background()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	old, err := rt.node.Store.Peer(ctx, agency.Code)
	if err == nil {
		if err := rt.node.Store.RemovePeer(ctx, forewarn.SystemActor("test"), agency.Code); err != nil {
			t.Fatal(err)
		}
	}
	key := keyfile.FromSeed(bytes.Repeat([]byte{9}, 32)).PublicKey() // a stranger's, never this node's own
	if old != nil {
		key = old.PublicKey
	}
	if err := rt.node.Store.AddPeer(ctx, forewarn.SystemActor("test"), &forewarn.Peer{Agency: agency, BaseURL: srv.URL, PublicKey: key}); err != nil {
		t.Fatal(err)
	}
	once := false
	release = func() {
		if !once {
			once = true
			close(stop)
			srv.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// queueTo sends n routine warnings from rt to agency.
func queueTo(t testing.TB, rt *liveNode, agency string, n int, priority forewarn.Priority) []string {
	t.Helper()
	var ids []string
	for i := range n {
		sm, err := rt.msgs.Send(context.Background(), actor(forewarn.RoleLiaison), &forewarn.Message{
			Kind: forewarn.KindNotification, To: []string{agency}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
			Notification: &forewarn.Notification{Summary: "queued", Priority: priority,
				Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sm.Message.ID)
	}
	return ids
}

// TestHangingPeerHoldsNoOneUp: with 32 warnings stuck on a peer that never answers, in as
// many requests as it may have at once, a flash warning to another peer is delivered, and
// its receipt recorded, while those are still hanging.
func TestHangingPeerHoldsNoOneUp(t *testing.T) {
	ctx := context.Background()
	_, c := threeNodes(t, day("2015-01-05 09:00"))
	tr := c.node(agencyTR.Code)
	tr.msgs.DeliveryTimeout = time.Hour // the hang ends when the test says, not before
	release := hangingPeer(t, tr, agencyDE)
	stuck := queueTo(t, tr, agencyDE.Code, 32, forewarn.PriorityRoutine)
	flash := queueTo(t, tr, agencyFR.Code, 1, forewarn.PriorityFlash)[0]

	done := make(chan int, 1)
	go func() {
		n, _ := tr.msgs.DeliverDue(ctx, 16)
		done <- n
	}()
	delivered := false
	for i := 0; i < 1000 && !delivered; i++ {
		sm, err := tr.node.Store.Message(ctx, flash)
		if err != nil {
			t.Fatal(err)
		}
		delivered = sm.Delivery(agencyFR.Code).Delivered()
		if !delivered {
			time.Sleep(10 * time.Millisecond) // polling for an event, bounded: 10 s at most
		}
	}
	select {
	case <-done:
		t.Fatal("the round ended before the hanging peer was released")
	default:
	}
	release()
	if n := <-done; n != 1 {
		t.Errorf("the round delivered %d, want the flash warning only", n)
	}
	if !delivered {
		t.Fatal("the flash warning was not delivered while another peer hung")
	}
	attempted := 0
	for _, id := range stuck {
		sm, _ := tr.node.Store.Message(ctx, id)
		d := sm.Delivery(agencyDE.Code)
		if d.Delivered() || d.Attempts > 1 {
			t.Errorf("a delivery to the hanging peer: %s after %d attempts", d.Status(), d.Attempts)
		}
		attempted += d.Attempts
	}
	// Its bounds are 16 requests and 16 deliveries at once, in batches of up to 8: 16 of
	// the 32 went, in 2 requests, and the flash warning in one more.
	if requests := tr.msgs.Stats.Requests.Load(); attempted != 16 || requests != 3 {
		t.Errorf("%d deliveries to the hanging peer were attempted at once, in %d requests with the flash warning's; want 16 in 2, and 1", attempted, requests)
	}
}

// BenchmarkFlashPastHangingPeer measures how long a flash warning takes from Send until
// its receipt is recorded, with the running worker (Run) and 32 warnings hanging on
// another peer that never answers. Issue 13's limit is 100 ms.
func BenchmarkFlashPastHangingPeer(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	tr, _ := benchPair(b, "")
	release := hangingPeer(b, tr, agencyDE)
	tr.msgs.DeliveryTimeout = time.Hour
	queueTo(b, tr, agencyDE.Code, 32, forewarn.PriorityRoutine)
	done := make(chan struct{})
	go func() { tr.msgs.Run(ctx, time.Second); close(done) }()
	defer func() { cancel(); release(); <-done }()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		id := queueTo(b, tr, agencyFR.Code, 1, forewarn.PriorityFlash)[0]
		for i := 0; ; i++ {
			sm, err := tr.node.Store.Message(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			if sm.Delivery(agencyFR.Code).Delivered() {
				break
			}
			if i > 10000 {
				b.Fatal("the flash warning was not delivered within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	ms := func(p float64) float64 { return float64(took[int(float64(len(took)-1)*p)]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
