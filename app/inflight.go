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
	// maxPeerFlights is the most it rises to by measure.
	maxPeerFlights = 64
	// maxOfferedFlights is the most a peer that says it gains from more in flight
	// (Messages.TakesInFlight) is given: twice what measures find, since the peer knows.
	maxOfferedFlights = 128
	// flightStep is how much the limit moves at a time.
	flightStep = 8
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
	// A raise is kept while the deliveries answered per second at the new limit, over
	// every measure taken there, stay raiseGainShare of the relative raise above those at
	// the limit below (12.5% from 16 to 24, 3.6% from 56 to 64): where the recipient is
	// busy, more in flight only makes each wait longer. A fixed 10% held PostgreSQL at
	// 32-56 where 64 carried more (about 1,800 msgs/s at a fixed 64 against 1,100-1,600).
	// Counted, not estimated as the limit over the round trip: a delivery is in flight
	// from its round to its receipt's commit, and the round trip is only part of that.
	raiseGainShare = 0.25
	// trialMeasures is how many measures at a limit judge it again, over all of them,
	// after the first one after its raise did (flightLimit.onTrial).
	trialMeasures = 3
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

// GroupedTakesInFlight is what a node whose store commits arrivals in groups of pipelined
// writes (PostgreSQL) says it takes in flight (Messages.TakesInFlight): the most a sender
// keeps. Measured on a quiet 2-core machine, 4000x, a PostgreSQL recipient stored
// 2,558-2,610 msgs/s at a fixed 64 (p99 34-38 ms) where the adaptive limit settled at 24-48
// and stored 1,831-1,959: each step up gained about 5%, within one measure's noise, so the
// rule that keeps only raises that pay stepped back down. With 32 envelopes per request
// (batchSizeFor), 128 stored 3,110-3,432 msgs/s (p99 48-55 ms) where 64 stored
// 2,782-2,821 (p99 31-32 ms), at about the same CPU per message (0.49-0.52 against
// 0.51-0.53 ms, both processes and PostgreSQL), and 192 no more (p99 70-97 ms).
const GroupedTakesInFlight = maxOfferedFlights

// flightLimit is one peer's adaptive bound on deliveries in flight. A measure averages
// the round trips of the requests answered while twice the limit in deliveries are (at
// least minMeasureRequests requests), after those started before the limit last
// changed. Each round trip counts against the least seen of its kind (a single delivery,
// or a batch, which takes longer for the same path). At the end of a measure:
//   - the mean round trip above shrinkAbove × its least: step down, and hold;
//   - the limit reached (the peer has more waiting for it) and the deliveries answered
//     per second at this limit, at the first measure after a raise and over every
//     measure since it was set once there are trialMeasures, not raiseGainShare of the
//     raise above those at the limit below: step down, and hold;
//   - otherwise, the limit reached, the mean within growBelow × the least, and no
//     hold: step up.
//
// Not only the measure after a raise counts: a raise kept on one lucky measure is undone
// when the measures after it show no gain.
//
// A peer that says it gains from a number in flight (offered: Messages.TakesInFlight) is
// given that many as soon as no hold forbids a raise, and no measure steps the limit below
// it for carrying no more than the limit below: the peer knows where it gains, and that
// rule, on measures as noisy as one step's gain, cannot. A round trip grown past its
// minimum, a failed request or a stall still bring it down, as for any peer.
//
// A failed request (no answer, a timeout, a 5xx or 429), or one whose round trip passed
// spikeAbove × the smoothed round trip of its kind, halves the limit at once, and holds
// it. The limit stays within [minPeerFlights, maxPeerFlights], or up to the peer's offer
// (at most maxOfferedFlights). Times are passed in, so
// tests drive it on a clock of their own.
type flightLimit struct {
	limit int
	// paths are the round trips of single deliveries [0] and of batches [1].
	paths [2]rttPath
	// settling counts down the deliveries to be answered before a measure starts. The
	// measure under way has counted answered deliveries, its requests' round trips
	// (rttSum, and the sum of each over its kind's least, overLeast), and whether the
	// limit was reached (full).
	settling  int
	answered  int
	rttSum    time.Duration
	overLeast float64
	requests  int
	full      bool
	// hold counts the measures left before the limit may rise again. raised says the
	// limit was last set by a raise (onTrial). The measure under way started at
	// measureAt, its first answer.
	hold      int
	raised    bool
	measureAt time.Time
	// rates are the deliveries answered per second at each limit, by step above the
	// floor, over the measures with the limit reached since it was last set to it.
	rates [(maxOfferedFlights-minPeerFlights)/flightStep + 1]levelRate
	// offered is the limit the peer said it gains from, rounded down to a step within
	// the bounds (0: it said nothing).
	offered int
	// why the limit last changed, and the mean and least round trips that changed it: for
	// the log.
	why         string
	mean, least time.Duration
	// loggedAt is when a change was last logged.
	loggedAt time.Time
}

// rttPath follows the round trips of one kind of request to a peer.
type rttPath struct {
	// minRTT is the lowest round trip in the current window, started at windowAt;
	// lastMinRTT the lowest in the window before (0: none).
	minRTT, lastMinRTT time.Duration
	// srtt is the round trip smoothed over the last few requests (1/8 each).
	srtt     time.Duration
	windowAt time.Time
}

// take counts rtt, answered at now, and returns the smoothed round trip before it (0:
// none yet).
func (p *rttPath) take(now time.Time, rtt time.Duration) time.Duration {
	if p.windowAt.IsZero() || now.Sub(p.windowAt) >= minRTTWindow {
		p.lastMinRTT, p.minRTT, p.windowAt = p.minRTT, 0, now
	}
	if p.minRTT == 0 || rtt < p.minRTT {
		p.minRTT = rtt
	}
	srtt := p.srtt
	if p.srtt == 0 {
		p.srtt = rtt
	} else {
		p.srtt += (rtt - p.srtt) / 8
	}
	return srtt
}

// least is the least round trip of this window and the one before.
func (p *rttPath) least() time.Duration {
	if p.lastMinRTT > 0 {
		return min(p.minRTT, p.lastMinRTT)
	}
	return p.minRTT
}

// levelRate is the mean of the rates measured at one limit.
type levelRate struct {
	sum      float64
	measures int
}

func (r levelRate) mean() float64 { return r.sum / float64(r.measures) }

// pathOf is the kind of a request carrying n deliveries: 0 alone, 1 a batch.
func pathOf(n int) int { return min(n, 2) - 1 }

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
// with the deliveries in flight the peer said in its answer it gains from (0: nothing;
// below 0: the answer cannot say, as a single delivery's), and returns the limit, changed
// or not.
func (l *flightLimit) sample(now time.Time, rtt time.Duration, n, offered int) int {
	limit := l.bound()
	path := &l.paths[pathOf(max(n, 1))]
	srtt := path.take(now, rtt)
	was := l.offered
	switch {
	case offered > 0:
		l.offered = minPeerFlights + (min(max(offered, minPeerFlights), maxOfferedFlights)-minPeerFlights)/flightStep*flightStep
	case offered == 0:
		l.offered = 0
	} // below 0: an answer that cannot say (a single delivery's), which changes nothing
	if l.offered < was && limit > max(l.offered, minPeerFlights) {
		// The peer says less than before (a restart on another store): from what it says
		// now, or the floor, the limit adapts again.
		l.why, l.mean, l.least = "the peer says it gains from fewer in flight", rtt, path.least()
		l.set(l.offered)
		return l.limit
	}
	if srtt > 0 && rtt > spikeAbove*srtt && l.settling <= 0 && limit > minPeerFlights {
		l.failed()
		l.why, l.mean, l.least = "one round trip stalled", rtt, srtt
		return l.limit
	}
	if l.offered > limit && l.hold == 0 {
		l.why, l.mean, l.least = "the peer said it gains from more in flight", rtt, path.least()
		l.set(l.offered)
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
	l.overLeast += float64(rtt) / float64(max(path.least(), 1))
	l.requests++
	if l.answered < 2*limit || l.requests < minMeasureRequests {
		return limit
	}
	over := l.overLeast / float64(l.requests)
	if l.full {
		r := &l.rates[(limit-minPeerFlights)/flightStep]
		r.sum += float64(l.answered) / max(now.Sub(l.measureAt).Seconds(), 1e-9)
		r.measures++
	}
	switch {
	case over > shrinkAbove:
		limit -= flightStep
		l.hold, l.why = holdMeasures, "round trip grew past its minimum"
	case l.full && limit > l.offered && l.onTrial(limit) && !l.gains(limit):
		limit -= flightStep
		l.hold, l.why = holdMeasures, "this limit carried no more deliveries per second than the one below"
	case l.hold > 0:
		l.hold--
	case l.full && over <= growBelow:
		limit += flightStep
		l.why = "the peer took all it was given, in about its least round trip"
	}
	l.mean, l.least = l.rttSum/time.Duration(l.requests), path.least()
	l.set(limit)
	return l.limit
}

// onTrial says whether limit is judged against the limit below (gains): at its first
// measure when a raise set it, and from its trialMeasures-th on, over all of them. A
// measure's rate is noisy (one of 2-4 times the limit in deliveries, answered in bursts
// as the recipient's commits end): judged at every measure, one slow measure after a
// lucky one stepped the limit down, and the limit below's at once again.
func (l *flightLimit) onTrial(limit int) bool {
	n := l.rates[(limit-minPeerFlights)/flightStep].measures
	return l.raised && n == 1 || n >= trialMeasures
}

// gains says whether limit, above the floor, carries raiseGainShare of its raise more
// deliveries per second than the limit below, as measured at each since it was last set
// (true when either has no measure).
func (l *flightLimit) gains(limit int) bool {
	if limit <= minPeerFlights {
		return true
	}
	below, here := l.rates[(limit-minPeerFlights)/flightStep-1], l.rates[(limit-minPeerFlights)/flightStep]
	if below.measures == 0 || here.measures == 0 {
		return true
	}
	raise := float64(flightStep) / float64(limit-flightStep)
	return here.mean() >= below.mean()*(1+raiseGainShare*raise)
}

// failed halves the limit (to a whole number of steps) after a request that failed for
// want of an answer.
func (l *flightLimit) failed() int {
	l.set(l.bound() / 2 / flightStep * flightStep)
	l.hold, l.why = stallHold, "a request failed"
	return l.limit
}

// set moves the limit to limit, within its bounds (up to what the peer offered, where it
// offered more than measures raise it to), and starts a new measure: of a new limit, once
// the deliveries started before it have been answered, whose rate starts afresh.
func (l *flightLimit) set(limit int) {
	limit = min(max(limit, minPeerFlights), max(maxPeerFlights, l.offered))
	l.settling, l.answered, l.rttSum, l.overLeast, l.requests, l.full = 0, 0, 0, 0, 0, false
	if limit != l.limit {
		l.raised = limit > l.limit
		l.settling = limit
		l.rates[(limit-minPeerFlights)/flightStep] = levelRate{}
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
