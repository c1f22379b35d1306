package app

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
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
