package app

import "time"

// outage paces a background loop through a run of failures (the store is down, say): the
// first failure is logged at once, the loop then waits longer after each further failure,
// up to maxOutagePause, and logs again only when the pause has doubled; recovery is
// logged once. A PostgreSQL outage so writes a handful of lines, not one a second.
type outage struct {
	failures int
	pause    time.Duration
	logged   time.Duration // the pause when the outage was last logged
}

const maxOutagePause = time.Minute

// outageLogger is what outage logs through: a *slog.Logger, or any logger with Error and
// Info (Debug is used when it has one).
type outageLogger interface {
	Error(msg string, args ...any)
	Info(msg string, args ...any)
}

// failed records one more failure and returns how long the loop should wait before it
// tries again.
func (o *outage) failed(logger outageLogger, what string, err error, interval time.Duration) time.Duration {
	o.failures++
	if o.pause == 0 {
		o.pause = interval
	} else {
		o.pause = min(2*o.pause, max(maxOutagePause, interval))
	}
	switch {
	case o.failures == 1:
		logger.Error(what+" failed", "err", err, "retry_in", o.pause)
		o.logged = o.pause
	case o.pause >= 2*o.logged:
		logger.Error(what+" still failing", "err", err, "failures", o.failures, "retry_in", o.pause)
		o.logged = o.pause
	default:
		if d, ok := logger.(interface{ Debug(string, ...any) }); ok {
			d.Debug(what+" failed again", "err", err, "failures", o.failures, "retry_in", o.pause)
		}
	}
	return o.pause
}

// succeeded ends an outage, logging that it is over when there was one.
func (o *outage) succeeded(logger outageLogger, what string) {
	if o.failures > 0 {
		logger.Info(what+" recovered", "failures", o.failures)
	}
	*o = outage{}
}
