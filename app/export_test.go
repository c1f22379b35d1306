package app

// WaitingToCatchUp is how many CatchUp calls wait for the one under way.
func (mt *Matcher) WaitingToCatchUp() int { return int(mt.waiting.Load()) }
