package app

import (
	"context"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

func TestBackoff(t *testing.T) {
	base, maxWait := time.Second, time.Minute
	for attempts := 1; attempts <= 40; attempts++ {
		for i := 0; i < 50; i++ {
			d := Backoff(attempts, base, maxWait)
			if d < base/2 {
				t.Fatalf("attempt %d: %v is shorter than half the base", attempts, d)
			}
			ceiling := base << (attempts - 1)
			if attempts > 20 || ceiling > maxWait {
				ceiling = maxWait
			}
			if d > base/2+ceiling {
				t.Fatalf("attempt %d: %v exceeds %v", attempts, d, base/2+ceiling)
			}
		}
	}
	// Jitter: the same attempt does not always wait the same time.
	seen := map[time.Duration]bool{}
	for i := 0; i < 20; i++ {
		seen[Backoff(5, base, maxWait)] = true
	}
	if len(seen) < 5 {
		t.Errorf("backoff shows no jitter: %d distinct delays in 20", len(seen))
	}
}

// A request carries half the deliveries that may be in flight to its peer, so that two or
// more keep the path busy, from 8 when few may be to 32 when many may (a PostgreSQL
// recipient's 128); a BatchSize set is kept, and no request carries more than a batch may.
func TestBatchSizeFollowsInFlight(t *testing.T) {
	for bound, want := range map[int]int{1: minBatchSize, 16: 8, 24: 12, 32: 16, 48: 24, 64: DefaultBatchSize, GroupedTakesInFlight: DefaultBatchSize} {
		if got := batchSizeFor(bound); got != want {
			t.Errorf("batchSizeFor(%d) = %d, want %d", bound, got, want)
		}
	}
	ms := &Messages{Transport: batchOnly{}}
	if got := ms.batchFor("FR-DGSI", GroupedTakesInFlight); got != DefaultBatchSize || GroupedTakesInFlight/got < 2 {
		t.Errorf("batchFor at %d in flight = %d, want %d, and at least two requests", GroupedTakesInFlight, got, DefaultBatchSize)
	}
	ms.BatchSize = 5
	if got := ms.batchFor("FR-DGSI", GroupedTakesInFlight); got != 5 {
		t.Errorf("batchFor with BatchSize 5 = %d", got)
	}
	ms.BatchSize = 1000
	if got := ms.batchFor("FR-DGSI", 16); got != envelope.MaxBatchItems {
		t.Errorf("batchFor with BatchSize 1000 = %d, want the most a batch holds, %d", got, envelope.MaxBatchItems)
	}
}

// batchOnly is a BatchTransport that is never called.
type batchOnly struct{}

func (batchOnly) Deliver(context.Context, *forewarn.Peer, []byte) ([]byte, error) {
	panic("not called")
}
func (batchOnly) DeliverBatch(context.Context, *forewarn.Peer, [][]byte) ([][]byte, []error, int, error) {
	panic("not called")
}
