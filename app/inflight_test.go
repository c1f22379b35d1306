package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// peerSim drives a flightLimit on a clock of its own: each request carries a batch of 8,
// as many at once as the limit lets, each answered after its round trip, so one is
// answered every rtt × 8 / limit; the peer takes all it is given unless idle.
type peerSim struct {
	l    flightLimit
	now  time.Time
	idle bool
	// offers is what the peer says in each answer it gains from in flight (0: nothing).
	offers int
}

func newPeerSim() *peerSim {
	return &peerSim{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// answer runs n requests of round trip rtt and returns the limit after each.
func (p *peerSim) answer(n int, rtt time.Duration) []int {
	return p.answerBy(n, func(int) time.Duration { return rtt })
}

// answerBy runs n requests whose round trip is rtt(the limit), and returns the limit
// after each.
func (p *peerSim) answerBy(n int, rtt func(limit int) time.Duration) []int {
	return p.answerEach(n, 8, rtt)
}

// answerEach runs n requests of size deliveries each whose round trip is rtt(the
// limit), and returns the limit after each.
func (p *peerSim) answerEach(n, size int, rtt func(limit int) time.Duration) []int {
	var limits []int
	for range n {
		if !p.idle {
			p.l.reached()
		}
		limit := p.l.bound()
		took := rtt(limit)
		p.now = p.now.Add(took * time.Duration(size) / time.Duration(limit))
		limits = append(limits, p.l.sample(p.now, took, size, p.offers))
	}
	return limits
}

func last(limits []int) int { return limits[len(limits)-1] }

func TestFlightLimitGrowsWhileRoundTripStaysFlat(t *testing.T) {
	p := newPeerSim()
	if got := p.l.bound(); got != minPeerFlights {
		t.Fatalf("a new peer starts at %d in flight, want %d", got, minPeerFlights)
	}
	limits := p.answer(500, 10*time.Millisecond)
	for i := 1; i < len(limits); i++ {
		if limits[i] < limits[i-1] {
			t.Fatalf("the limit fell from %d to %d at request %d with a flat round trip", limits[i-1], limits[i], i)
		}
	}
	if got := last(limits); got != maxPeerFlights {
		t.Fatalf("after 500 requests at a flat round trip the limit is %d, want %d", got, maxPeerFlights)
	}
}

func TestFlightLimitDoesNotGrowForAnIdlePeer(t *testing.T) {
	p := newPeerSim()
	p.idle = true // never reaches its limit: more would not be used
	if got := last(p.answer(500, 10*time.Millisecond)); got != minPeerFlights {
		t.Fatalf("a peer that never used its limit has it raised to %d, want %d", got, minPeerFlights)
	}
}

func TestFlightLimitShrinksWhenRoundTripGrows(t *testing.T) {
	p := newPeerSim()
	p.answer(500, 10*time.Millisecond)
	if got := p.l.bound(); got != maxPeerFlights {
		t.Fatalf("setup: limit %d, want %d", got, maxPeerFlights)
	}
	// Queueing: ten times the least round trip.
	limits := p.answer(200, 100*time.Millisecond)
	for i := 1; i < len(limits); i++ {
		if limits[i] > limits[i-1] {
			t.Fatalf("the limit rose from %d to %d at request %d while the round trip was 10× its least", limits[i-1], limits[i], i)
		}
	}
	if got := last(limits); got != minPeerFlights {
		t.Fatalf("after 200 requests at 10× the least round trip the limit is %d, want %d", got, minPeerFlights)
	}
	// Between growBelow and shrinkAbove times the least, it holds.
	p = newPeerSim()
	p.idle = true // a measure at the least round trip, with nothing waiting
	p.answer(minMeasureRequests, 10*time.Millisecond)
	p.idle = false
	held := p.answer(300, 70*time.Millisecond)
	if got := last(held); got != minPeerFlights {
		t.Fatalf("at 7× the least round trip the limit went to %d, want it held at %d", got, minPeerFlights)
	}
}

func TestFlightLimitKeepsNoRaiseThatOnlyQueues(t *testing.T) {
	// A busy recipient: each delivery in flight adds its share to the round trip, so more
	// in flight carries no more per second. A raise is tried, undone, and tried again
	// only after a hold.
	p := newPeerSim()
	limits := p.answerBy(1000, func(limit int) time.Duration { return time.Duration(limit) * 500 * time.Microsecond })
	atFloor := 0
	for i, l := range limits {
		if l > minPeerFlights+flightStep {
			t.Fatalf("request %d: limit %d, where a raise to %d already carried nothing more", i, l, minPeerFlights+flightStep)
		}
		if l == minPeerFlights {
			atFloor++
		}
	}
	if atFloor < len(limits)*2/3 {
		t.Fatalf("the limit was at its floor for %d requests of %d, want two thirds: raises that do not pay are held off", atFloor, len(limits))
	}
	// A recipient that gains from more (a bigger group commit: 8 more in flight add
	// 0.32 ms to a round trip of 8 ms at 16) is given more.
	p = newPeerSim()
	gains := p.answerBy(1000, func(limit int) time.Duration {
		return 8*time.Millisecond + time.Duration(limit-minPeerFlights)*40*time.Microsecond
	})
	if got := last(gains); got != maxPeerFlights {
		t.Fatalf("a recipient that gains from more in flight has limit %d, want %d", got, maxPeerFlights)
	}
}

func TestFlightLimitClimbsWhileEachRaiseGainsItsShare(t *testing.T) {
	// Deliveries per second grow as the square root of the limit: each raise gains less
	// than the one before (22% from 16 to 24, 7% from 56 to 64), yet more than a quarter
	// of its relative raise. A fixed 10% stopped at 48 here, as PostgreSQL's recipient
	// stopped at 32-56 where a fixed 64 carried more.
	p := newPeerSim()
	limits := p.answerBy(1000, func(limit int) time.Duration {
		return time.Duration(2000*math.Sqrt(float64(limit))) * time.Microsecond
	})
	if got := last(limits); got != maxPeerFlights {
		t.Fatalf("a recipient whose every raise gains more than its share has limit %d, want %d", got, maxPeerFlights)
	}
}

func TestFlightLimitUndoesARaiseKeptOnALuckyMeasure(t *testing.T) {
	// The recipient carries 4,000 a second at 32 in flight and no more beyond; the first
	// answers at 40 happen to come fast, as if it carried 25% more. The raise is kept on
	// them, then undone as the measures after them show no gain, and later raises are
	// undone at once.
	p := newPeerSim()
	lucky := 20
	limits := p.answerBy(3000, func(limit int) time.Duration {
		if limit <= 32 {
			return 8 * time.Millisecond
		}
		if limit == 40 && lucky > 0 {
			lucky--
			return 8 * time.Millisecond
		}
		return time.Duration(limit) * 250 * time.Microsecond
	})
	if lucky > 0 {
		t.Fatalf("setup: the limit never reached 40 (%d)", last(limits))
	}
	tail := limits[len(limits)-1000:]
	at32 := 0
	for i, l := range tail {
		if l > 40 {
			t.Fatalf("request %d of the last 1,000: limit %d, where nothing beyond 32 carried more", i, l)
		}
		if l == 32 {
			at32++
		}
	}
	if at32 < len(tail)/2 {
		t.Fatalf("the limit was at 32 for %d of the last %d requests, want at least half: a raise that carried nothing is undone", at32, len(tail))
	}
}

func TestFlightLimitTellsSinglesFromBatches(t *testing.T) {
	// A batch takes longer than a single delivery on the same path: after a run of
	// singles (hand-offs), a batch at its usual round trip is neither a stall nor queueing.
	p := newPeerSim()
	p.answer(500, 12*time.Millisecond)
	if got := p.l.bound(); got != maxPeerFlights {
		t.Fatalf("setup: limit %d, want %d", got, maxPeerFlights)
	}
	p.answerEach(100, 1, func(int) time.Duration { return 2 * time.Millisecond })
	limits := p.answer(100, 12*time.Millisecond)
	for i, l := range limits {
		if l != maxPeerFlights {
			t.Fatalf("batch %d after a run of singles at 2 ms: limit %d, want %d: a batch at 12 ms is its usual round trip", i, l, maxPeerFlights)
		}
	}
}

func TestFlightLimitDoesNotStarveADistantPeer(t *testing.T) {
	// A peer far away, steady at 400 ms, grows as a near one does: the signal is the
	// round trip over its own least, not the round trip.
	near, far := newPeerSim(), newPeerSim()
	nearLimits := near.answer(300, 5*time.Millisecond)
	farLimits := far.answer(300, 400*time.Millisecond)
	for i := range nearLimits {
		if nearLimits[i] != farLimits[i] {
			t.Fatalf("request %d: a peer at 400 ms has limit %d, one at 5 ms %d", i, farLimits[i], nearLimits[i])
		}
	}
	if got := last(farLimits); got != maxPeerFlights {
		t.Fatalf("a steady peer at 400 ms reaches %d in flight, want %d", got, maxPeerFlights)
	}
}

func TestFlightLimitStaysWithinBounds(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 1))
		p := newPeerSim()
		for i := range 2000 {
			p.idle = r.IntN(4) == 0
			var limit int
			switch r.IntN(100) {
			case 0:
				limit = p.l.failed()
			case 1, 2:
				limit = last(p.answer(1, time.Duration(1+r.IntN(100))*time.Millisecond))
			default: // mostly steady, so that it climbs and falls from every height
				limit = last(p.answer(1, time.Duration(10+r.IntN(3))*time.Millisecond))
			}
			if limit < minPeerFlights || limit > maxPeerFlights {
				t.Fatalf("seed %d, step %d: limit %d outside [%d, %d]", seed, i, limit, minPeerFlights, maxPeerFlights)
			}
			if limit%flightStep != 0 {
				t.Fatalf("seed %d, step %d: limit %d is not a whole number of steps of %d", seed, i, limit, flightStep)
			}
		}
	}
}

func TestFlightLimitHalvesOnFailureAndHolds(t *testing.T) {
	p := newPeerSim()
	p.answer(500, 10*time.Millisecond)
	for _, want := range []int{maxPeerFlights / 2, minPeerFlights, minPeerFlights} {
		if got := p.l.failed(); got != want {
			t.Fatalf("after a failed request the limit is %d, want %d", got, want)
		}
	}
	// It holds a while before it rises again, then grows back.
	limits := p.answer(400, 10*time.Millisecond)
	rose := -1
	for i, l := range limits {
		if l > minPeerFlights {
			rose = i
			break
		}
	}
	// Settling (16 deliveries: 2 requests), then stallHold measures of 4 requests each,
	// then one more measure that raises it.
	if minHold := 2 + stallHold*minMeasureRequests; rose < minHold {
		t.Fatalf("after failures the limit rose again at request %d, want it held for %d", rose, minHold)
	}
	if got := last(limits); got != maxPeerFlights {
		t.Fatalf("a peer answering again at its usual round trip gets back to %d, want %d", got, maxPeerFlights)
	}
}

// A peer that says it gains from 128 in flight (a PostgreSQL recipient) gets 128 from its
// first answer, above what measures raise a limit to, and keeps them though more in
// flight makes each round trip longer: the rule that undoes raises that carry no more per
// second does not take it below what it said.
func TestFlightLimitTakesWhatThePeerSays(t *testing.T) {
	p := newPeerSim()
	p.offers = GroupedTakesInFlight
	queueing := func(limit int) time.Duration { return time.Duration(limit) * 500 * time.Microsecond }
	limits := p.answerBy(1000, queueing)
	for i, l := range limits {
		if l != GroupedTakesInFlight || l <= maxPeerFlights {
			t.Fatalf("request %d: limit %d, where the peer said it gains from %d", i, l, GroupedTakesInFlight)
		}
	}
	// Without the peer's word, the same peer is held near the floor (as in
	// TestFlightLimitKeepsNoRaiseThatOnlyQueues).
	p = newPeerSim()
	if got := last(p.answerBy(1000, queueing)); got > minPeerFlights+flightStep {
		t.Fatalf("a peer that says nothing went to %d", got)
	}
	// What a peer says is taken within the bounds, to a whole step.
	for offer, want := range map[int]int{1: minPeerFlights, 41: 40, 48: 48, 100: 96, 1000: maxOfferedFlights} {
		p := newPeerSim()
		p.offers = offer
		if got := last(p.answerBy(200, queueing)); got != want {
			t.Errorf("a peer saying %d gets %d in flight, want %d", offer, got, want)
		}
	}
	// A single delivery's answer cannot say: between batches, singles keep what the peer
	// said.
	p = newPeerSim()
	p.offers = 64
	p.answerBy(10, queueing)
	p.offers = -1
	for i, l := range p.answerEach(20, 1, queueing) {
		if l != maxPeerFlights {
			t.Fatalf("single %d: limit %d, where the peer said %d in its last answer to a batch", i, l, maxPeerFlights)
		}
	}
	// A peer that stops saying it is adapted to again.
	p = newPeerSim()
	p.offers = 64
	p.answerBy(100, queueing)
	p.offers = 0
	if got := last(p.answerBy(1000, queueing)); got >= maxPeerFlights {
		t.Fatalf("a peer that no longer says it gains from 64 keeps %d", got)
	}
}

// What a peer says it gains from yields to a stall and to a round trip grown past its
// minimum, and is given again once the hold is over.
func TestFlightLimitOfferedYieldsToTrouble(t *testing.T) {
	p := newPeerSim()
	p.offers = 64
	p.answer(100, 10*time.Millisecond)
	stalled := p.answer(4, 150*time.Millisecond)
	if got := last(stalled); got != maxPeerFlights/2 {
		t.Fatalf("after a stall the limit is %d, want it halved to %d", got, maxPeerFlights/2)
	}
	limits := p.answer(400, 10*time.Millisecond)
	back := -1
	for i, l := range limits {
		if l == maxPeerFlights {
			back = i
			break
		}
	}
	if minHold := stallHold * minMeasureRequests; back < minHold {
		t.Fatalf("after a stall the limit went back to %d at request %d, want it held for at least %d", maxPeerFlights, back, minHold)
	}
	if got := last(limits); got != maxPeerFlights {
		t.Fatalf("once the stall is over the limit is %d, want the %d the peer said", got, maxPeerFlights)
	}
	// Queueing past shrinkAbove × the least round trip brings it down all the same.
	if got := last(p.answer(200, 100*time.Millisecond)); got >= maxPeerFlights {
		t.Fatalf("at 10× the least round trip the limit stays at %d", got)
	}
}

func TestFlightLimitHalvesOnAStall(t *testing.T) {
	p := newPeerSim()
	p.answer(500, 10*time.Millisecond)
	// A stall: the requests in flight come back together, long after.
	stalled := p.answer(4, 150*time.Millisecond)
	if stalled[0] != maxPeerFlights/2 {
		t.Fatalf("after a round trip of 15× the usual the limit is %d, want %d", stalled[0], maxPeerFlights/2)
	}
	if got := last(stalled); got != maxPeerFlights/2 {
		t.Fatalf("the other requests of the same stall took the limit on to %d, want it halved once, to %d", got, maxPeerFlights/2)
	}
	// Below spikeAbove, one slow request alone moves nothing.
	p = newPeerSim()
	p.answer(500, 10*time.Millisecond)
	if got := last(p.answer(1, 45*time.Millisecond)); got != maxPeerFlights {
		t.Fatalf("one round trip of 4.5× the usual moved the limit to %d", got)
	}
}

func TestFlightLimitFollowsASlowerPath(t *testing.T) {
	// The path becomes ten times slower for good: the limit falls, then the least
	// round trip forgets the faster path within two windows, and the limit grows again.
	p := newPeerSim()
	p.answer(500, 10*time.Millisecond)
	p.answer(200, 100*time.Millisecond)
	if got := p.l.bound(); got != minPeerFlights {
		t.Fatalf("on a path 10× slower the limit is %d, want %d", got, minPeerFlights)
	}
	requests := int(2*minRTTWindow/(50*time.Millisecond)) + 1 // at 16 in flight, one answered each 50 ms
	if got := last(p.answer(requests+300, 100*time.Millisecond)); got != maxPeerFlights {
		t.Fatalf("two windows after the path became slower for good the limit is %d, want %d", got, maxPeerFlights)
	}
}

func TestCongestion(t *testing.T) {
	live := context.Background()
	stopped, cancel := context.WithCancel(live)
	cancel()
	timedOut, cancel2 := context.WithTimeout(live, -time.Second)
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"none", live, nil, false},
		{"unreachable", live, errors.New("dial tcp: connection refused"), true},
		{"timeout", timedOut, context.DeadlineExceeded, true},
		{"this node stopping", stopped, context.Canceled, false},
		{"503", live, &forewarn.HTTPFailure{Status: http.StatusServiceUnavailable}, true},
		{"429", live, &forewarn.HTTPFailure{Status: http.StatusTooManyRequests}, true},
		{"refused", live, fmt.Errorf("peer: %w", &forewarn.HTTPFailure{Status: http.StatusBadRequest}), false},
		{"forbidden", live, &forewarn.HTTPFailure{Status: http.StatusForbidden}, false},
	} {
		if got := congestion(c.ctx, c.err); got != c.want {
			t.Errorf("%s: congestion = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFlightsBoundIsTheAdaptiveLimit(t *testing.T) {
	var f flights
	if got := f.bound("FR", 16); got != 16 {
		t.Fatalf("a fixed bound of 16 gives %d", got)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// fly starts n deliveries to FR, as many as its bound lets start, and ends them.
	fly := func(n int) int {
		var ds []*forewarn.Delivery
		for i := range n {
			d := &forewarn.Delivery{MessageID: fmt.Sprint("m", i), Agency: "FR"}
			if f.start(d, f.bound("FR", 0), f.read()) {
				ds = append(ds, d)
			}
		}
		for _, d := range ds {
			f.done(d)
		}
		now = now.Add(10 * time.Millisecond)
		f.answered("FR", now, 10*time.Millisecond, len(ds), 0)
		return len(ds)
	}
	for range 500 {
		fly(8) // fewer than the bound: it is never reached
	}
	if got := f.bound("FR", 0); got != minPeerFlights {
		t.Fatalf("a peer that never filled its limit has %d, want %d", got, minPeerFlights)
	}
	for range 500 {
		if bound, started := f.bound("FR", 0), fly(100); started > bound {
			t.Fatalf("%d deliveries started, bound %d", started, bound)
		}
	}
	if got := f.bound("FR", 0); got != maxPeerFlights {
		t.Fatalf("a peer whose slots were full at a flat round trip has %d, want %d", got, maxPeerFlights)
	}
	if got := fly(100); got != maxPeerFlights {
		t.Fatalf("%d deliveries started at once, want the limit %d", got, maxPeerFlights)
	}
	if got := f.bound("TR", 0); got != minPeerFlights {
		t.Fatalf("another peer has %d, want %d: each has its own", got, minPeerFlights)
	}
	if was, is := f.overloaded("FR"); was != maxPeerFlights || is != maxPeerFlights/2 {
		t.Fatalf("a failed request moved the limit %d -> %d, want %d -> %d", was, is, maxPeerFlights, maxPeerFlights/2)
	}
}

// TestSlotsReservedAndGivenBackAreNotReached: a round takes a peer's free slots before
// it claims (reserve); a peer given fewer deliveries than its free slots has not used
// its limit, and must not have it raised for that.
func TestSlotsReservedAndGivenBackAreNotReached(t *testing.T) {
	var f flights
	bound := f.bound("FR", 0)
	if got := f.reserve("FR", bound, 128); got != bound {
		t.Fatalf("reserved %d of %d free slots", got, bound)
	}
	if !f.startReserved(&forewarn.Delivery{MessageID: "m0", Agency: "FR"}, f.read()) {
		t.Fatal("a reserved slot did not start its delivery")
	}
	f.unreserve("FR", bound, bound-1)
	if f.limits["FR"].full {
		t.Fatalf("one delivery started on %d free slots counts as the limit reached", bound)
	}
	// The other slots, all used: now it is reached.
	if got := f.reserve("FR", bound, 128); got != bound-1 {
		t.Fatalf("reserved %d, want the %d left", got, bound-1)
	}
	for i := range bound - 1 {
		f.startReserved(&forewarn.Delivery{MessageID: fmt.Sprint("m", i+1), Agency: "FR"}, f.read())
	}
	f.unreserve("FR", bound, 0)
	if !f.limits["FR"].full {
		t.Fatal("every slot used, yet the limit does not count as reached")
	}
	if got := f.reserve("FR", bound, 8); got != 0 {
		t.Fatalf("reserved %d past the limit", got)
	}
}

func TestFlightsForgetRemovedPeers(t *testing.T) {
	var f flights
	f.bound("FR", 0)
	f.bound("TR", 0)
	f.forgetLimits(map[string]*forewarn.Peer{"TR": {}})
	if _, kept := f.limits["FR"]; kept {
		t.Fatalf("a peer no longer among the peers keeps its limit: %v", f.limits)
	}
	if _, kept := f.limits["TR"]; !kept {
		t.Fatalf("a peer still among the peers lost its limit: %v", f.limits)
	}
}

// TestRequestsStayWithinDefaultPeerParallel: under the adaptive limit a peer is sent no
// more requests at once than DefaultPeerParallel, whatever its limit on deliveries: the
// batches carry the more deliveries. A peer that takes one delivery per request was sent
// as many requests as its limit, up to 64, past the 32 its federation admits at once,
// and its 503s halved the limit over and over (found by the session 12 review). A fixed
// parallel bound (DeliverDue) still bounds both.
func TestRequestsStayWithinDefaultPeerParallel(t *testing.T) {
	for _, c := range []struct{ parallel, bound, want int }{
		{0, maxPeerFlights, DefaultPeerParallel},
		{0, minPeerFlights, minPeerFlights},
		{32, 32, 32},
	} {
		if got := requestBound(c.parallel, c.bound); got != c.want {
			t.Errorf("requestBound(%d, %d) = %d, want %d", c.parallel, c.bound, got, c.want)
		}
	}
	var f flights
	if got := f.takeRequests("FR", requestBound(0, maxPeerFlights), maxPeerFlights); got != DefaultPeerParallel {
		t.Errorf("a peer at the highest limit was given %d requests at once, want %d", got, DefaultPeerParallel)
	}
}

// TestReservedFlightEndedSinceTheRoundBeganIsNotSentAgain: a round claims past a lapsed
// claim while the delivery's flight is still running; that flight records its outcome
// and ends before the round starts what it claimed. The round must not send it again.
func TestReservedFlightEndedSinceTheRoundBeganIsNotSentAgain(t *testing.T) {
	var f flights
	d := &forewarn.Delivery{MessageID: "m0", Agency: "FR"}
	bound := f.bound("FR", 0)
	if !f.start(d, bound, f.read()) {
		t.Fatal("the first flight did not start")
	}
	read := f.read() // the round begins while that flight runs
	if got := f.reserve("FR", bound, 1); got != 1 {
		t.Fatalf("reserved %d slots, want 1", got)
	}
	f.done(d) // the flight ends, its outcome recorded
	if f.startReserved(d, read) {
		t.Fatal("a delivery whose flight ended after the round began was started again")
	}
	other := &forewarn.Delivery{MessageID: "m1", Agency: "FR"}
	if !f.startReserved(other, read) {
		t.Fatal("a delivery never in flight did not start on its reserved slot")
	}
}

// storeWritingReceipts holds each Delivered until release is closed, saying on entered
// that one is being written.
type storeWritingReceipts struct {
	forewarn.Store
	entered chan struct{}
	release chan struct{}
}

func (s storeWritingReceipts) Delivered(ctx context.Context, receipts ...forewarn.DeliveryReceipt) error {
	s.entered <- struct{}{}
	<-s.release
	return nil
}

// TestPlaceGivenBackWhileReceiptIsWritten: a delivery answered gives back its place among
// its peer's in flight once its receipt is being written, so the next delivery to that
// peer goes during the commit; the delivery itself stays in flight, not started again,
// until its receipt is written.
func TestPlaceGivenBackWhileReceiptIsWritten(t *testing.T) {
	store := storeWritingReceipts{entered: make(chan struct{}, 1), release: make(chan struct{})}
	ms := &Messages{Node: &Node{Store: store}}
	f := &ms.flights
	first := &forewarn.Delivery{MessageID: "m0", Agency: "FR"}
	next := &forewarn.Delivery{MessageID: "m1", Agency: "FR"}
	if !f.start(first, 1, f.read()) {
		t.Fatal("the first delivery did not start")
	}
	if f.start(next, 1, f.read()) {
		t.Fatal("a second delivery started past a bound of 1")
	}
	gen := f.receiving()
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		ms.record(context.Background(), []forewarn.DeliveryReceipt{{MessageID: first.MessageID, Agency: "FR"}}, []*forewarn.Delivery{first}, []uint64{gen})
	}()
	<-store.entered
	if !f.start(next, 1, f.read()) {
		t.Error("the next delivery did not start while the first one's receipt was being written")
	}
	if f.start(first, 2, f.read()) {
		t.Error("a delivery whose receipt is being written was started again")
	}
	read := f.read() // a round lists due deliveries while the receipt is written
	close(store.release)
	<-recorded
	if got := ms.Stats.Delivered.Load(); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}
	if f.start(first, 2, read) {
		t.Error("a delivery recorded after a list of due deliveries was read started again from it")
	}
}
