// Package workers runs short functions on goroutines that outlive them.
//
// A goroutine starts with a small stack and grows it by copying as its calls go deeper.
// Receiving an envelope (verifying, matching, storing) goes deep: a goroutine started for
// each one spent about 6% of a PostgreSQL delivery's CPU in runtime.copystack. A worker
// kept for the next function keeps its grown stack (until the collector shrinks an idle
// one), and one idle for a while ends.
package workers

import (
	"sync"
	"time"
)

// DefaultIdle is how long a worker waits for another function before it ends.
const DefaultIdle = 10 * time.Second

// Pool runs functions on workers, starting one whenever none is idle: it bounds nothing,
// its callers do. The zero Pool is ready; its workers end after DefaultIdle.
type Pool struct {
	// Idle is how long a worker waits for another function (DefaultIdle when zero).
	Idle time.Duration

	once sync.Once
	jobs chan func()
}

// Go runs fn on an idle worker, or on a new one when none is idle, and returns at once.
func (p *Pool) Go(fn func()) {
	p.once.Do(func() { p.jobs = make(chan func()) })
	select {
	case p.jobs <- fn: // an idle worker took it
	default:
		go p.work(fn)
	}
}

// work runs fn, then whatever it is given next, until it waits Idle for nothing.
func (p *Pool) work(fn func()) {
	idle := p.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		fn()
		fn = nil // nothing it held is kept alive while the worker waits
		t.Reset(idle)
		select {
		case fn = <-p.jobs:
		case <-t.C:
			return
		}
	}
}
