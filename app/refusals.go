package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

// Bounds of the refusal log, per source address and interval of wall-clock time.
const (
	DefaultRefusalInterval  = time.Minute
	DefaultRefusalsAudited  = 20   // refusals audited one by one before they are counted
	DefaultRefusalsAnswered = 600  // refusals answered before the source is told to wait
	maxRefusalSources       = 4096 // sources tracked at once; beyond, they share one count
)

// Refusals audits refused requests from anonymous sources without letting one client
// flood the audit trail: in each interval the first few refusals from a source are
// audited one by one, the rest are counted, and the count is audited as one entry
// ("access.denied_repeated") when the interval is over, so the fact that they happened is
// kept. Past a larger number the source is rate-limited. It runs on the wall clock, like
// sign-in limits, whatever the node's clock says.
type Refusals struct {
	Store    forewarn.Store
	Logger   *slog.Logger
	Now      func() time.Time // wall clock; tests replace it
	Interval time.Duration
	Audited  int // per source and interval, audited one by one
	Answered int // per source and interval, answered before Record says to rate-limit

	mu      sync.Mutex
	sources map[string]*refusalCount
}

type refusalCount struct {
	start, last time.Time
	n           int    // refusals in this interval
	counted     int    // of them, counted rather than audited
	lastWhat    string // the last counted refusal's route and reason
}

// NewRefusals returns a refusal log over store with the default bounds.
func NewRefusals(store forewarn.Store, logger *slog.Logger) *Refusals {
	return &Refusals{Store: store, Logger: logger, Now: time.Now, Interval: DefaultRefusalInterval,
		Audited: DefaultRefusalsAudited, Answered: DefaultRefusalsAnswered, sources: map[string]*refusalCount{}}
}

// Record audits e, a refusal of an anonymous request from source, or counts it when the
// source has had its share of audit entries this interval. It reports whether the source
// has been refused so often this interval that it should be told to wait (429).
func (rl *Refusals) Record(ctx context.Context, source string, e *forewarn.AuditEntry) (limited bool) {
	now := rl.Now()
	rl.mu.Lock()
	due := rl.takeDue(now, false)
	key := source
	if _, ok := rl.sources[key]; !ok && len(rl.sources) >= maxRefusalSources {
		key = "*" // too many sources at once: count the rest together
	}
	c := rl.sources[key]
	if c == nil {
		c = &refusalCount{start: now}
		rl.sources[key] = c
	}
	c.n++
	c.last = now
	audit := c.n <= rl.Audited
	if !audit {
		c.counted++
		c.lastWhat = e.ObjectID + ": " + e.Detail
	}
	limited = c.n > rl.Answered
	rl.mu.Unlock()
	rl.write(ctx, due)
	if audit {
		if err := rl.Store.RecordAudit(ctx, e); err != nil {
			rl.log().Error("could not audit a refused request", "source", source, "err", err)
		}
	}
	return limited
}

// Flush audits every count not yet audited, ended intervals or not: at shutdown, and on
// a timer so a count is never held for long.
func (rl *Refusals) Flush(ctx context.Context) {
	rl.mu.Lock()
	due := rl.takeDue(rl.Now(), true)
	rl.mu.Unlock()
	rl.write(ctx, due)
}

// Run flushes ended intervals every interval until ctx ends, then flushes everything.
func (rl *Refusals) Run(ctx context.Context) {
	t := time.NewTicker(rl.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rl.Flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			rl.mu.Lock()
			due := rl.takeDue(rl.Now(), false)
			rl.mu.Unlock()
			rl.write(ctx, due)
		}
	}
}

// takeDue removes the sources whose interval has ended (all, with everything) and
// returns the summary entries owed for them; the caller holds mu.
func (rl *Refusals) takeDue(now time.Time, everything bool) []*forewarn.AuditEntry {
	var due []*forewarn.AuditEntry
	for src, c := range rl.sources {
		if !everything && now.Sub(c.start) < rl.Interval {
			continue
		}
		delete(rl.sources, src)
		if c.counted == 0 {
			continue
		}
		due = append(due, &forewarn.AuditEntry{Actor: forewarn.SystemActor(forewarn.AuditText("anonymous@"+src, 200)), Action: "access.denied_repeated",
			ObjectType: "source", ObjectID: forewarn.AuditText(src, 200),
			Detail: forewarn.AuditText(fmt.Sprintf("%d more refused requests from %s between %s and %s, counted rather than audited one by one; the last: %s",
				c.counted, src, c.start.UTC().Format(time.RFC3339), c.last.UTC().Format(time.RFC3339), c.lastWhat), 1000)})
	}
	return due
}

func (rl *Refusals) write(ctx context.Context, due []*forewarn.AuditEntry) {
	for _, e := range due {
		if err := rl.Store.RecordAudit(ctx, e); err != nil {
			rl.log().Error("could not audit a count of refused requests", "source", e.ObjectID, "err", err)
		}
	}
}

func (rl *Refusals) log() *slog.Logger {
	if rl.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rl.Logger
}
