package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/storetest"
)

// Messages sent at once and stored by one commit go to their peer in one request: the
// store tells each it is durable before it answers any of their senders, and the first
// sender answered starts the deliveries of all of them, as one batch, rather than each
// sender a request of its own.
func TestSendsStoredTogetherGoTogether(t *testing.T) {
	const n = 3
	n0 := newNode(t)
	initPeer(t, n0)
	store := &jointCommit{Store: n0.Store, n: n, all: make(chan struct{})}
	n0.Store = store
	tr := &recordingTransport{}
	ms := app.NewMessages(n0, tr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer ms.TakeHandOffs(ctx)()

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ms.Send(context.Background(), forewarn.UserActor("desk"), &forewarn.Message{Kind: forewarn.KindNotification, To: []string{storetest.PeerFR}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
				Notification: &forewarn.Notification{Summary: "A fifth man.", Priority: forewarn.PriorityRoutine,
					Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}}}}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); tr.envelopes() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages went to the peer", tr.envelopes(), n)
		}
	}
	if got := tr.requests(); len(got) != 1 || got[0] != n {
		t.Errorf("the %d messages stored together went in requests of %v envelopes, want one of %d", n, got, n)
	}
}

// initPeer adds FR as a peer of n.
func initPeer(t *testing.T, n *app.Node) {
	t.Helper()
	if err := n.Store.AddPeer(context.Background(), forewarn.SystemActor("init"), storetest.NewPeer(storetest.PeerFR)); err != nil {
		t.Fatal(err)
	}
}

// jointCommit is a store whose first n sends are answered together, as one commit of
// group commit answers them: each is stored, then each is told it is durable
// (StoredMessage.Durable), in order, and only then is any of their senders answered.
type jointCommit struct {
	forewarn.Store
	n   int
	all chan struct{}

	mu   sync.Mutex
	told []func(int64)
}

func (s *jointCommit) CreateMessage(ctx context.Context, actor forewarn.Actor, sm *forewarn.StoredMessage) error {
	durable := sm.Durable
	sm.Durable = nil
	err := s.Store.CreateMessage(ctx, actor, sm)
	s.mu.Lock()
	s.told = append(s.told, durable)
	if len(s.told) == s.n {
		for _, d := range s.told {
			if d != nil {
				d(0)
			}
		}
		close(s.all)
	}
	s.mu.Unlock()
	<-s.all
	return err
}

// recordingTransport takes batches, records how many envelopes each request carried, and
// fails every request (the deliveries are retried later, on a clock that does not move).
type recordingTransport struct {
	mu   sync.Mutex
	reqs []int
}

var errRecorded = errors.New("recorded, not delivered")

func (r *recordingTransport) Deliver(ctx context.Context, peer *forewarn.Peer, env []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, 1)
	return nil, errRecorded
}

func (r *recordingTransport) DeliverBatch(ctx context.Context, peer *forewarn.Peer, envs [][]byte) ([][]byte, []error, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, len(envs))
	return nil, nil, 0, errRecorded
}

func (r *recordingTransport) requests() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.reqs...)
}

func (r *recordingTransport) envelopes() int {
	n := 0
	for _, k := range r.requests() {
		n += k
	}
	return n
}
