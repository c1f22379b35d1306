package app

import (
	"sync"
	"time"
)

// SimClock is a clock that moves only when told: the scenario replay runs years of
// casework in seconds on it, and tests reach deadlines without sleeping.
type SimClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewSimClock returns a clock stopped at t.
func NewSimClock(t time.Time) *SimClock { return &SimClock{t: t.UTC()} }

// Now returns the clock's time.
func (c *SimClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t; it never moves backwards.
func (c *SimClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t.UTC()
	}
}

// Advance moves the clock forward by d.
func (c *SimClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
