package app

import "context"

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
