package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// ReceiveSetup initialises store as Agency's node with PeerFR its peer, and returns what
// a BenchmarkReceive stores: n warnings from PeerFR, each with a 590-byte envelope, and
// the 380-byte receipt they are stored with.
func ReceiveSetup(tb testing.TB, store forewarn.Store, n int) ([]*forewarn.StoredMessage, []byte) {
	tb.Helper()
	ctx, system := context.Background(), forewarn.SystemActor("bench")
	if err := store.InitNode(ctx, system, &forewarn.NodeInfo{Agency: Agency, PublicKey: NewSigner().PublicKey()},
		&forewarn.User{Username: "admin", DisplayName: "Node admin", Roles: []forewarn.Role{forewarn.RoleAdmin}}); err != nil {
		tb.Fatal(err)
	}
	if err := store.AddPeer(ctx, system, NewPeer(PeerFR)); err != nil {
		tb.Fatal(err)
	}
	envelope, receipt := make([]byte, 590), make([]byte, 380)
	for i := range envelope {
		envelope[i] = 'a' + byte(i%26)
	}
	copy(receipt, envelope)
	sms := make([]*forewarn.StoredMessage, n)
	for i := range sms {
		now := time.Now()
		m := NewNotification(PeerFR, []string{Agency.Code}, now)
		dl := now.Add(30 * 24 * time.Hour)
		sms[i] = &forewarn.StoredMessage{Message: m, Envelope: envelope, Direction: forewarn.DirectionIn, Priority: forewarn.PriorityRoutine,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: Agency.Code, Direction: forewarn.DirectionIn, Deadline: dl, NextEscalation: dl}}}
	}
	return sms, receipt
}

// ReceiveAll stores sms from PeerFR with writers goroutines at once, as peers delivering
// together do, and fails tb on an error or a message found stored already.
func ReceiveAll(tb testing.TB, store forewarn.Store, sms []*forewarn.StoredMessage, receipt []byte, writers int) {
	ctx := context.Background()
	actor := forewarn.Actor{Kind: forewarn.ActorPeer, ID: PeerFR}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(sms); i += writers {
				if _, dup, err := store.ReceiveMessage(ctx, actor, sms[i], receipt); err != nil || dup {
					tb.Errorf("ReceiveMessage: duplicate %v, %v", dup, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
