package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/storetest"
)

// A send handed to the worker while a round holds all of its peer's requests waits in the
// peer's queue; when the round gives them back unused (the peer had nothing else due), the
// send goes then, not when its claim lapses and a later round finds it due (30-60 s on an
// idle peer). The round is held inside its claim while the send is handed off; nothing
// is timed: once the round has ended and the worker's requests are waited for, the
// envelope must have gone.
func TestSendQueuedBehindARoundGoesWhenTheRoundEnds(t *testing.T) {
	n0 := newNode(t)
	initPeer(t, n0)
	store := &heldClaim{Store: n0.Store, in: make(chan struct{}), release: make(chan struct{})}
	n0.Store = store
	tr := &recordingTransport{}
	ms := app.NewMessages(n0, tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := ms.TakeHandOffs(ctx)

	round := make(chan error, 1)
	go func() {
		_, err := ms.DeliverDue(ctx, 0) // as the running worker's round: the peer's adaptive bound
		round <- err
	}()
	<-store.in // the round holds every request to the peer, claiming its due deliveries
	if _, err := ms.Send(context.Background(), forewarn.UserActor("desk"), &forewarn.Message{Kind: forewarn.KindNotification, To: []string{storetest.PeerFR}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
		Notification: &forewarn.Notification{Summary: "A fifth man.", Priority: forewarn.PriorityRoutine,
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}}}}}); err != nil {
		t.Fatal(err)
	}
	if got := tr.envelopes(); got != 0 {
		t.Fatalf("%d envelopes went while the round held every request to the peer", got)
	}
	close(store.release)
	if err := <-round; err != nil {
		t.Fatal(err)
	}
	stop() // waits for the requests the worker started; what is still queued is dropped
	if got := tr.envelopes(); got != 1 {
		t.Errorf("%d envelopes went once the round gave its requests back, want the queued send's 1", got)
	}
}

// heldClaim is a store whose first ClaimDueTo says so on in and waits for release.
type heldClaim struct {
	forewarn.Store
	in, release chan struct{}
	held        bool
}

func (s *heldClaim) ClaimDueTo(ctx context.Context, owner, agency string, now, until time.Time, limit int) ([]*forewarn.Delivery, map[string][]byte, error) {
	if !s.held {
		s.held = true
		close(s.in)
		<-s.release
	}
	return s.Store.ClaimDueTo(ctx, owner, agency, now, until, limit)
}
