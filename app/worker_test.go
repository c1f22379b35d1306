package app

import (
	"testing"
	"time"
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
