package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestOutageBacksOffAndLogsSparingly: through a long store outage the scheduler waits
// longer and longer, up to a minute, and logs a handful of lines instead of one a tick; at
// debug level every failure is there; recovery is logged once and resets the pace.
func TestOutageBacksOffAndLogsSparingly(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var o outage
	storeDown := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	var waited time.Duration
	var pauses []time.Duration
	for i := 0; i < 30; i++ {
		p := o.failed(logger, "scheduled work", storeDown, time.Second)
		pauses = append(pauses, p)
		waited += p
	}
	if pauses[0] != time.Second || pauses[1] != 2*time.Second || pauses[29] != maxOutagePause {
		t.Errorf("pauses = %v, want 1s, 2s, … doubling up to %v", pauses, maxOutagePause)
	}
	errorsLogged := strings.Count(buf.String(), "level=ERROR")
	// One line a second would be ~1,600 lines over the ~27 minutes this outage lasted.
	if errorsLogged < 2 || errorsLogged > 8 {
		t.Errorf("%d ERROR lines over %v of outage (%d failures), want a handful:\n%s", errorsLogged, waited, len(pauses), buf.String())
	}
	if !strings.Contains(buf.String(), "connection refused") || !strings.Contains(buf.String(), "failures=") {
		t.Errorf("the log does not say what failed and how often:\n%s", buf.String())
	}
	buf.Reset()
	o.succeeded(logger, "scheduled work")
	o.succeeded(logger, "scheduled work")
	if n := strings.Count(buf.String(), "recovered"); n != 1 || !strings.Contains(buf.String(), "failures=30") {
		t.Errorf("recovery logged %d times: %s", n, buf.String())
	}
	if p := o.failed(logger, "scheduled work", storeDown, time.Second); p != time.Second {
		t.Errorf("after recovery the first pause is %v, want the interval again", p)
	}

	var debug bytes.Buffer
	dl := slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var d outage
	for i := 0; i < 10; i++ {
		d.failed(dl, "scheduled work", storeDown, time.Second)
	}
	if n := strings.Count(debug.String(), "\n"); n != 10 {
		t.Errorf("at debug level %d lines for 10 failures, want every one:\n%s", n, debug.String())
	}
}

// failingFeedStore is a store whose reads of the feeds fail, as PostgreSQL's do while it
// is down, for its first failures tries; it cancels the poller after stopAfter tries.
type failingFeedStore struct {
	forewarn.Store
	tries, failures, stopAfter int
	cancel                     context.CancelFunc
}

func (s *failingFeedStore) Feeds(context.Context) ([]*forewarn.Feed, error) {
	s.tries++
	if s.tries >= s.stopAfter {
		s.cancel()
	}
	if s.tries <= s.failures {
		return nil, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return nil, nil
}

// TestFeedPollerBacksOffThroughAnOutage: the feed poller, like the scheduler and the
// notifier, waits longer after each failure of its store (pacing it with outage, whose
// sparing logging TestOutageBacksOffAndLogsSparingly checks) instead of failing and
// logging once a tick, as a newcomer saw "feed poll failed" every second for the whole
// of a PostgreSQL outage; it logs the recovery once.
func TestFeedPollerBacksOffThroughAnOutage(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &failingFeedStore{failures: 6, stopAfter: 9, cancel: cancel}
	fs := &Feeds{Messages: &Messages{Node: &Node{Store: store, Clock: NewSimClock(time.Date(2015, 11, 13, 21, 0, 0, 0, time.UTC))}}}
	fs.Run(ctx, time.Millisecond, logger) // pauses 1, 2, 4, … 32 ms, then 1 ms: bounded
	if store.tries != 9 {
		t.Fatalf("the poller tried %d times, want 9", store.tries)
	}
	log := buf.String()
	if !strings.Contains(log, "feed poll failed") || !strings.Contains(log, "connection refused") {
		t.Errorf("the log does not say what failed:\n%s", log)
	}
	if !strings.Contains(log, "failures=6 retry_in=32ms") {
		t.Errorf("the poller did not back off (want the sixth failure to wait 32 ms, not a tick):\n%s", log)
	}
	if n := strings.Count(log, "feed poll recovered"); n != 1 || !strings.Contains(log, "recovered\" failures=6") {
		t.Errorf("recovery logged %d times, want once with the count of failures:\n%s", n, log)
	}
}
