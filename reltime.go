package forewarn

import (
	"strconv"
	"time"
)

// Ago says a duration the way a person weighs it, in its largest whole unit: "40 min",
// "3 h", "5 days", "11 months", "2 years". Negative durations are said as positive.
func Ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	const day = 24 * time.Hour
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + many
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "min", "min")
	case d < 2*day:
		return unit(int64(d/time.Hour), "h", "h")
	case d < 60*day:
		return unit(int64(d/day), "day", "days")
	case d < 730*day:
		return unit(int64(d/(30*day)), "month", "months")
	}
	return unit(int64(d/(365*day)), "year", "years")
}

// Relative says when t is as seen at now: "in 40 min", "3 h ago".
func Relative(t, now time.Time) string {
	if t.After(now) {
		return "in " + Ago(t.Sub(now))
	}
	return Ago(now.Sub(t)) + " ago"
}
