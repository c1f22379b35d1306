package forewarn

import "time"

// Clock tells the time. Workflows take it instead of calling time.Now so tests and the
// scenario replay can run on a simulated calendar.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
