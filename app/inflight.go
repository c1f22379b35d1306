package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/forewarn/forewarn"
)

// The running worker bounds the deliveries in flight to each peer by a limit that adapts
// to the peer's round trips (flightLimit), in the manner of TCP Vegas. More in flight
// helps where the recipient gains from it, committing bigger groups (PostgreSQL), or
// where the path is long; where the recipient is busy already it only adds waiting, and
// the round trip grows. Measured on a loaded 2-core machine, 2000x, at fixed bounds:
// PostgreSQL made 944/781 msgs/s at 16, 1,161/937 at 32 and 1,454 at 64 (p99 27-37,
// 58-105 and 81 ms); SQLite 1,732/1,801 at 16 (p99 15-16 ms), 2,092/2,115 at 24 (17-37
// ms) and 2,034/2,274 at 32 (26-126 ms). The mean round trip over the least was then
// about 2.5-3 at 16 and 4-5 beyond 32: a PostgreSQL recipient's batches wait for each
// other's group commit, which is what makes more in flight pay there. SQLite's p99 in
// that benchmark is one stall times the deliveries it holds, hence the brake on a stall.
const (
	// minPeerFlights is the least a peer's limit falls to: the fixed bound it had before
	// it adapted, which holds both stores' latency targets.
	minPeerFlights = DefaultPeerParallel
	// maxPeerFlights is the most it rises to.
	maxPeerFlights = 64
	// flightStep is how much the limit moves at a time: a batch (DefaultBatchSize).
	flightStep = DefaultBatchSize
	// A peer's round trip, averaged over a measure, may grow to shrinkAbove times its
	// own minimum before the limit steps down, and must be within growBelow times it for
	// the limit to rise: the time deliveries queue relative to the path, not an absolute
	// figure, which would starve a distant peer.
	growBelow   = 6
	shrinkAbove = 8
	// spikeAbove is how many times the smoothed round trip one request's may take before
	// the limit halves at once, as for a failed request: a stall (a busy disk or CPU)
	// holds every delivery in flight, and the fewer there are, the fewer wait for the
	// next. On a quiet machine p99 is 2-3 times the smoothed round trip, at 16 in flight
	// on SQLite as at 64 on PostgreSQL; a stall is 5-15 times.
	spikeAbove = 5
	// raiseGain is how much more deliveries per second a raise must carry to be kept:
	// where the recipient is busy, more in flight only makes each wait longer. Counted,
	// not estimated as the limit over the round trip: a delivery is in flight from its
	// round to its receipt's commit, and the round trip is only part of that.
	raiseGain = 0.1
	// minMeasureRequests is the fewest requests a measure averages.
	minMeasureRequests = 4
	// holdMeasures is how many measures the limit holds after it stepped down before it
	// may rise again.
	holdMeasures = 4
	// stallHold is how many measures it holds after a failed or stalled request: on a
	// machine or path that stalls now and then, the limit stays near its floor, where a
	// stall holds fewest deliveries.
	stallHold = 16
	// minRTTWindow is how long a minimum round trip counts: the minimum is the lowest of
	// this window's and the previous one's, so it follows a path that became slower.
	minRTTWindow = 30 * time.Second
)

// flightLimit is one peer's adaptive bound on deliveries in flight. A measure averages
// the round trips of the requests answered while twice the limit in deliveries are (at
// least minMeasureRequests requests), after those started before the limit last
// changed. At the end of a measure:
//   - the mean round trip above shrinkAbove × the least seen: step down, and hold;
//   - after a raise, the deliveries answered per second not raiseGain above the
//     measure's before: step back, and hold;
//   - otherwise, the limit reached during the measure (the peer has more waiting for
//     it), the mean within growBelow × the least, and no hold: step up.
//
// A failed request (no answer, a timeout, a 5xx or 429), or one whose round trip passed
// spikeAbove × the smoothed round trip, halves the limit at once, and holds it. The limit stays within
// [minPeerFlights, maxPeerFlights]. Times are passed in, so tests drive it on a clock of
// their own.
type flightLimit struct {
	limit int
	// minRTT is the lowest round trip in the current window, started at windowAt;
	// lastMinRTT the lowest in the window before (0: none).
	minRTT, lastMinRTT time.Duration
	// srtt is the round trip smoothed over the last few requests (1/8 each).
	srtt     time.Duration
	windowAt time.Time
	// settling counts down the deliveries to be answered before a measure starts. The
	// measure under way has counted answered deliveries, its requests' round trips
	// (rttSum over requests), and whether the limit was reached (full).
	settling int
	answered int
	rttSum   time.Duration
	requests int
	full     bool
	// hold counts the measures left before the limit may rise again. raised says the
	// limit was raised after the measure before, which carried lastRate deliveries per
	// second. The measure under way started at measureAt, its first answer.
	hold      int
	raised    bool
	lastRate  float64
	measureAt time.Time
	// why the limit last changed, and the mean and least round trips that changed it: for
	// the log.
	why         string
	mean, least time.Duration
	// loggedAt is when a change was last logged.
	loggedAt time.Time
}

// bound returns the current limit.
func (l *flightLimit) bound() int {
	if l.limit == 0 {
		l.limit = minPeerFlights
	}
	return l.limit
}

// reached notes that the limit was reached: the peer has more to take.
func (l *flightLimit) reached() { l.full = true }

// sample takes the round trip rtt of a request carrying n deliveries, answered at now,
// and returns the limit, changed or not.
func (l *flightLimit) sample(now time.Time, rtt time.Duration, n int) int {
	limit := l.bound()
	if l.windowAt.IsZero() || now.Sub(l.windowAt) >= minRTTWindow {
		l.lastMinRTT, l.minRTT, l.windowAt = l.minRTT, 0, now
	}
	if l.minRTT == 0 || rtt < l.minRTT {
		l.minRTT = rtt
	}
	srtt := l.srtt
	if l.srtt == 0 {
		l.srtt = rtt
	} else {
		l.srtt += (rtt - l.srtt) / 8
	}
	if srtt > 0 && rtt > spikeAbove*srtt && l.settling <= 0 && limit > minPeerFlights {
		l.failed()
		l.why, l.mean, l.least = "one round trip stalled", rtt, srtt
		return l.limit
	}
	if l.settling > 0 {
		// Deliveries started under the last limit still return: they do not measure this one.
		l.settling -= n
		return limit
	}
	if l.requests == 0 {
		l.measureAt = now // the deliveries answered after it, over the time since, are the rate
	} else {
		l.answered += n
	}
	l.rttSum += rtt
	l.requests++
	if l.answered < 2*limit || l.requests < minMeasureRequests {
		return limit
	}
	mean := l.rttSum / time.Duration(l.requests)
	rate := float64(l.answered) / max(now.Sub(l.measureAt).Seconds(), 1e-9)
	least := l.leastRTT()
	switch {
	case mean > shrinkAbove*least:
		limit -= flightStep
		l.hold, l.why = holdMeasures, "round trip grew past its minimum"
	case l.raised && rate < l.lastRate*(1+raiseGain):
		limit -= flightStep
		l.hold, l.why = holdMeasures, "the last raise carried no more deliveries per second"
	case l.hold > 0:
		l.hold--
	case l.full && mean <= growBelow*least:
		limit += flightStep
		l.why = "the peer took all it was given, in about its least round trip"
	}
	l.mean, l.least = mean, least
	l.lastRate = rate
	l.set(limit)
	return l.limit
}

// leastRTT is the least round trip of this window and the one before.
func (l *flightLimit) leastRTT() time.Duration {
	if l.lastMinRTT > 0 {
		return min(l.minRTT, l.lastMinRTT)
	}
	return l.minRTT
}

// failed halves the limit (to a whole number of steps) after a request that failed for
// want of an answer.
func (l *flightLimit) failed() int {
	l.set(l.bound() / 2 / flightStep * flightStep)
	l.hold, l.why = stallHold, "a request failed"
	return l.limit
}

// set moves the limit to limit, within its bounds, and starts a new measure: of a new
// limit, once the deliveries started before it have been answered.
func (l *flightLimit) set(limit int) {
	limit = min(max(limit, minPeerFlights), maxPeerFlights)
	l.raised = limit > l.limit
	l.settling, l.answered, l.rttSum, l.requests, l.full = 0, 0, 0, 0, false
	if limit != l.limit {
		l.settling = limit
	}
	l.limit = limit
}

// InFlightLimits returns each peer's current bound on the running worker's deliveries
// in flight to it, for the metrics: the peers it has made requests to since it started.
func (ms *Messages) InFlightLimits() map[string]int {
	f := &ms.flights
	f.mu.Lock()
	defer f.mu.Unlock()
	limits := make(map[string]int, len(f.limits))
	for agency, l := range f.limits {
		limits[agency] = l.bound()
	}
	return limits
}

// congestion says whether err, a request's failure, says the peer or the path is
// overloaded (no answer in time, a 5xx, a 429), rather than that it refused the request.
func congestion(ctx context.Context, err error) bool {
	if err == nil || errors.Is(ctx.Err(), context.Canceled) {
		return false // none, or this node is stopping (a timeout is congestion)
	}
	var hf *forewarn.HTTPFailure
	if errors.As(err, &hf) {
		return hf.Status >= 500 || hf.Status == http.StatusTooManyRequests
	}
	return true
}
