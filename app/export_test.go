package app

import "context"

// WaitingToCatchUp is how many CatchUp calls wait for the one under way.
func (mt *Matcher) WaitingToCatchUp() int { return int(mt.waiting.Load()) }

// Settle is settle: what an arrival does before it is matched without reading the log.
func (mt *Matcher) Settle(ctx context.Context) error { return mt.settle(ctx) }
