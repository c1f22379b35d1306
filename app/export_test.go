package app

import (
	"context"
	"sync"
)

// WaitingToCatchUp is how many CatchUp calls wait for the one under way.
func (mt *Matcher) WaitingToCatchUp() int { return int(mt.waiting.Load()) }

// Settle is settle: what an arrival does before it is matched without reading the log.
func (mt *Matcher) Settle(ctx context.Context) error { return mt.settle(ctx) }

// ForgetRecent forgets the changes kept for late matches, as if more than maxRecent had
// been applied since: a late match then searches the whole index.
func (mt *Matcher) ForgetRecent() {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.recentFrom, mt.recent = mt.seen.Load(), nil
}

// HoldFollow holds the lock a catch-up holds, as an arrival applying its own does, until
// the returned function is called.
func (mt *Matcher) HoldFollow() (release func()) {
	mt.follow.Lock()
	return mt.follow.Unlock
}

// CatchUpTo is catchUpTo: what a late match does when Arrived could not apply its arrival.
func (mt *Matcher) CatchUpTo(ctx context.Context, seq int64) error { return mt.catchUpTo(ctx, seq) }

// TakeHandOffs makes sends hand their deliveries to a worker, as to Run's, but one that
// runs no rounds, until stop, which waits for the requests it started.
func (ms *Messages) TakeHandOffs(ctx context.Context) (stop func()) {
	var wg sync.WaitGroup
	ms.worker.mu.Lock()
	ms.worker.ctx, ms.worker.wg = ctx, &wg
	ms.worker.mu.Unlock()
	return func() {
		ms.stopWorker()
		wg.Wait()
	}
}
