package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// Default retry timing for deliveries: exponential backoff with jitter, so that peers
// coming back after an outage are not hit by every sender at once.
const (
	DefaultRetryBase = time.Second
	DefaultRetryMax  = 5 * time.Minute
)

// Backoff returns how long to wait before the next attempt after attempts failed ones:
// base/2 plus a random duration up to base·2^(attempts-1), the random part capped at max.
func Backoff(attempts int, base, max time.Duration) time.Duration {
	ceiling := max
	if attempts < 30 {
		if c := base << (attempts - 1); attempts >= 1 && c > 0 && c < max {
			ceiling = c
		}
	}
	return base/2 + time.Duration(rand.Int64N(int64(ceiling)+1))
}

// maxReceiptBytes bounds a receipt from a peer.
const maxReceiptBytes = 64 << 10

// Poke wakes the delivery worker, as after a message is queued.
func (ms *Messages) Poke() {
	select {
	case ms.poke <- struct{}{}:
	default:
	}
}

// DefaultDeliveryTimeout bounds one delivery attempt, from connecting to the peer to its
// receipt: a peer that hangs costs its own deliveries a failed attempt, nothing more.
const DefaultDeliveryTimeout = 15 * time.Second

// DefaultPeerParallel is how many deliveries the running worker has in flight to one peer
// at least; it raises that bound, per peer, while more in flight pays (flightLimit).
const DefaultPeerParallel = 16

// flights tracks the deliveries in flight: each peer has its own queue with its own bound,
// so a peer that hangs fills only its own slots, and a delivery already on its way is not
// started again by the next round.
type flights struct {
	mu      sync.Mutex
	running map[flightKey]bool
	perPeer map[string]int
	// requests counts the requests under way to each peer: a batch of deliveries is one.
	// It is bounded by requestBound, perPeer, the deliveries, by bound.
	requests map[string]int
	// ended counts the flights ended; endedAt is when each recent one ended, so a list of
	// due deliveries read before then does not start it again.
	ended   uint64
	endedAt map[flightKey]uint64
	// limits are the running worker's adaptive bounds, by peer (flightLimit).
	limits map[string]*flightLimit

	// Receipts are recorded as they arrive; those that arrive while one is being
	// recorded are recorded together next (a group commit), so a busy round costs few
	// transactions and a quiet one waits for none.
	pending        []forewarn.DeliveryReceipt
	pendingFlights []*forewarn.Delivery // pending's deliveries, in flight until recorded
	recording      bool
	// Receipts come in bursts, a peer's group commit answering several deliveries at
	// once, and each is checked (its signature) before it is recorded. The recorder takes
	// into its batch the receipts in hand when it takes one, waiting for their checks,
	// rather than commit without them and leave them a commit of their own. checking
	// counts the receipts in hand; each belongs to the generation current when it
	// arrived, and waitFor counts those of earlier generations than the recorder's wait
	// (checkGen) still being checked. Those arriving during the wait are for the next
	// batch, so a steady stream never holds one back.
	checking int
	checkGen uint64
	waitFor  int
	checked  *sync.Cond
}

// receiving counts a receipt received, to be checked, and returns its generation.
func (f *flights) receiving() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checked == nil {
		f.checked = sync.NewCond(&f.mu)
	}
	f.checking++
	return f.checkGen
}

// checkedLocked ends the check of a receipt of generation gen, found good or not.
func (f *flights) checkedLocked(gen uint64) {
	f.checking--
	if gen < f.checkGen {
		f.waitFor--
		f.checked.Broadcast()
	}
}

// rejected ends the check of a receipt of generation gen that was not good.
func (f *flights) rejected(gen uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkedLocked(gen)
}

// flightKey names a delivery: a message to an agency. A struct rather than the two
// joined, which cost an allocation each time a flight started or ended.
type flightKey struct{ message, agency string }

func keyOf(d *forewarn.Delivery) flightKey { return flightKey{d.MessageID, d.Agency} }

// read returns the number of flights ended so far, taken before due deliveries are read.
func (f *flights) read() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended
}

// start takes d in flight unless it is already, its peer's slots are full, or its flight
// ended after the due deliveries naming it were read (read): its outcome is recorded,
// and the list is older than that.
func (f *flights) start(d *forewarn.Delivery, perPeer int, read uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		f.running, f.perPeer, f.endedAt = map[flightKey]bool{}, map[string]int{}, map[flightKey]uint64{}
	}
	key := keyOf(d)
	if f.running[key] || f.perPeer[d.Agency] >= perPeer || f.endedAt[key] > read {
		return false
	}
	f.running[key] = true
	f.perPeer[d.Agency]++
	if f.perPeer[d.Agency] >= perPeer {
		f.limitLocked(d.Agency).reached()
	}
	return true
}

// reserve takes up to want of agency's free slots, of perPeer, for deliveries not yet
// known (startReserved), and returns how many it took. Each not used is given back by
// unreserve.
func (f *flights) reserve(agency string, perPeer, want int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		f.running, f.perPeer, f.endedAt = map[flightKey]bool{}, map[string]int{}, map[flightKey]uint64{}
	}
	n := max(0, min(want, perPeer-f.perPeer[agency]))
	f.perPeer[agency] += n
	if n == 0 && want > 0 {
		f.limitLocked(agency).reached()
	}
	return n
}

// startReserved takes d in flight on a slot reserve took for its peer, unless it is in
// flight already, or its flight ended after the round began (read): its outcome is
// recorded, and a claim made past a lapsed one may still have shown it due. The slot is
// then still reserved.
func (f *flights) startReserved(d *forewarn.Delivery, read uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := keyOf(d)
	if f.running[key] || f.endedAt[key] > read {
		return false
	}
	f.running[key] = true
	return true
}

// unreserve gives back n slots reserve took for agency, of perPeer, that no delivery
// used. The limit counts as reached only when the deliveries started filled it: slots
// taken in advance and given back do not say the peer had more to take.
func (f *flights) unreserve(agency string, perPeer, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.perPeer[agency] -= n
	if f.perPeer[agency] >= perPeer {
		f.limitLocked(agency).reached()
	}
}

// bound returns how many deliveries to agency may be in flight, and requests under way:
// parallel when it is set (DeliverDue's callers), else the peer's adaptive limit.
func (f *flights) bound(agency string, parallel int) int {
	if parallel > 0 {
		return parallel
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.limitLocked(agency).bound()
}

func (f *flights) limitLocked(agency string) *flightLimit {
	if f.limits == nil {
		f.limits = map[string]*flightLimit{}
	}
	l := f.limits[agency]
	if l == nil {
		l = &flightLimit{}
		f.limits[agency] = l
	}
	return l
}

// forgetLimits drops the adaptive limits of agencies that are not peers (any longer),
// so the metrics show none for a removed peer; one made a peer again starts afresh.
func (f *flights) forgetLimits(peers map[string]*forewarn.Peer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for agency := range f.limits {
		if peers[agency] == nil {
			delete(f.limits, agency)
		}
	}
}

// answered takes the round trip rtt of a request to agency carrying n deliveries, with
// the deliveries in flight the peer said it gains from (0: nothing; below 0: the answer
// cannot say), and returns the peer's limit before and after it.
func (f *flights) answered(agency string, now time.Time, rtt time.Duration, n, offered int) (was, is int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.limitLocked(agency)
	was = l.bound()
	return was, l.sample(now, rtt, n, offered)
}

// logDue says whether a change of agency's limit may be logged now (once a minute), and
// why it changed, with the mean and least round trips that changed it.
func (f *flights) logDue(agency string, now time.Time) (why string, mean, least time.Duration, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.limitLocked(agency)
	if !l.loggedAt.IsZero() && now.Sub(l.loggedAt) < time.Minute {
		return "", 0, 0, false
	}
	l.loggedAt = now
	return l.why, l.mean, l.least, true
}

// overloaded takes a request to agency that failed for want of an answer, and returns the
// peer's limit before and after it.
func (f *flights) overloaded(agency string) (was, is int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.limitLocked(agency)
	was = l.bound()
	return was, l.failed()
}

// requestBound is how many requests may be under way to a peer whose deliveries in
// flight are bounded by bound: as many under a fixed parallel bound; under the adaptive
// limit no more than DefaultPeerParallel, whatever the limit, since it is batches that
// carry the more deliveries it allows. A peer that takes one delivery per request is sent
// no more requests at once than before the limit adapted: past its admission bound (32
// federation requests at once, for every peer together) it answers 503, which would halve
// the limit and hold it, over and over.
func requestBound(parallel, bound int) int {
	if parallel > 0 {
		return bound
	}
	return min(bound, DefaultPeerParallel)
}

// takeRequests reserves up to want requests to agency, of parallel, and returns how many
// it reserved. Each is given back by endRequests.
func (f *flights) takeRequests(agency string, parallel, want int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests == nil {
		f.requests = map[string]int{}
	}
	n := max(0, min(want, parallel-f.requests[agency]))
	f.requests[agency] += n
	if n == 0 && want > 0 {
		f.limitLocked(agency).reached()
	}
	return n
}

// endRequests gives back n requests to agency.
func (f *flights) endRequests(agency string, n int) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[agency] -= n
}

func (f *flights) done(d *forewarn.Delivery) {
	f.mu.Lock()
	f.perPeer[d.Agency]--
	f.endLocked(d)
	f.mu.Unlock()
}

// recorded ends the flight of d, whose place among its peer's in flight was given back
// when the write of its receipt began (record): its outcome is now written, and a round
// that lists due deliveries from now on sees it.
func (f *flights) recorded(d *forewarn.Delivery) {
	f.mu.Lock()
	f.endLocked(d)
	f.mu.Unlock()
}

func (f *flights) endLocked(d *forewarn.Delivery) {
	key := keyOf(d)
	delete(f.running, key)
	f.ended++
	f.endedAt[key] = f.ended
}

// forgetEnded drops the flights that ended before read: lists read from now on already
// show their outcomes.
func (f *flights) forgetEnded(read uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for key, at := range f.endedAt {
		if at <= read {
			delete(f.endedAt, key)
		}
	}
}

// DeliverDue sends every delivery that is due now, flash first, up to parallel at a time
// to each peer, each attempt bounded by DeliveryTimeout, and records each receipt as it
// arrives and each failure with its next attempt. It returns how many it delivered, once
// every delivery it started has ended. A crash before a receipt is recorded only means the
// message is sent again, and its recipient answers with the same receipt.
func (ms *Messages) DeliverDue(ctx context.Context, parallel int) (int, error) {
	return ms.deliverDue(ctx, parallel, false)
}

// deliverDue is DeliverDue; with sweep it also attempts the deliveries to agencies that
// are no longer peers (see dispatch).
func (ms *Messages) deliverDue(ctx context.Context, parallel int, sweep bool) (int, error) {
	var delivered atomic.Int64
	var wg sync.WaitGroup
	err := ms.dispatch(ctx, parallel, sweep, &wg, &delivered)
	wg.Wait()
	return int(delivered.Load()), err
}

// A peer's deliveries in flight and its requests under way have the same bound (flights.
// bound): a backlog goes in full batches, in fewer requests than the bound, and a peer
// taking no batches gets as many requests as deliveries. Batches carry the same
// deliveries in fewer requests; more of them in flight only wait longer, unless the
// recipient gains from them, which the adaptive limit measures. At a fixed 64 in flight
// (rounds, batches of 8), SQLite made 1,298-1,742 msgs/s at p99 69-94 ms and PostgreSQL
// 710-740 at 140-165 ms; at 16, 1,242-1,376 at 21-23 ms and 532-683 at 41-51 ms.

// maxRound bounds how many deliveries to one peer a round starts: the store claims a
// round's deliveries in one statement, which SQLite refuses beyond a few hundred.
const maxRound = 256

// sweepLimit is how many due deliveries a sweep looks at for ones to agencies that are no
// longer peers.
const sweepLimit = 500

// dispatch starts every due delivery that is not already on its way and whose peer has a
// free slot, and returns without waiting for them; wg ends when they have. Each peer is a
// queue of its own: dispatch reads as many of a peer's due deliveries as it has free
// slots, so a round reads what it starts, however long the backlog. With sweep, it also
// starts the deliveries due to agencies that are no longer peers, which fail, each with
// its reason recorded, and are tried again later; the running worker sweeps once a tick.
// parallel bounds each peer's deliveries in flight; 0 leaves it to the peer's adaptive
// limit, as the running worker does.
func (ms *Messages) dispatch(ctx context.Context, parallel int, sweep bool, wg *sync.WaitGroup, delivered *atomic.Int64) (err error) {
	read := ms.flights.read()
	now := ms.Clock.Now()
	parallel = max(parallel, 0)
	peers, err := ms.Store.Peers(ctx)
	if err != nil {
		return err
	}
	defer ms.flights.forgetEnded(read)
	byCode := make(map[string]*forewarn.Peer, len(peers))
	for _, p := range peers {
		byCode[p.Agency.Code] = p
	}
	ms.flights.forgetLimits(byCode)
	behind := false
	// Each peer's free requests are reserved for this round, and as many due deliveries
	// claimed as they carry; what the round does not use is given back when it ends.
	reserved := map[string]int{}
	sizes := map[string]int{}
	defer func() {
		// Stored before the pumps, which may find the worker behind too (a send dropped
		// whose claim is about to lapse), so that this round's finding does not undo theirs.
		ms.worker.behind.Store(behind)
		for code, n := range reserved {
			ms.flights.endRequests(code, n)
			// A send handed off while this round held the peer's requests or slots waits
			// in its queue: nothing else starts it when the peer is idle, before its
			// claim lapses.
			ms.pump(code)
		}
	}()
	// Another server on the same store may be claiming the same deliveries: each is sent
	// by the one that claims it. The claim outlasts an attempt, so it lapses only when
	// this process dies before recording the outcome. A peer's due deliveries are claimed
	// and read with their envelopes in one call, on slots taken for them beforehand; what
	// was claimed is sent even when a later peer's claim fails, which the round returns.
	var claimed []*forewarn.Delivery
	envs := map[string][]byte{}
	for _, p := range peers {
		code := p.Agency.Code
		bound := ms.flights.bound(code, parallel)
		size := ms.batchFor(code, bound)
		reqs := ms.flights.takeRequests(code, requestBound(parallel, bound), bound)
		reserved[code], sizes[code] = reqs, size
		slots := ms.flights.reserve(code, bound, min(reqs*size, maxRound))
		if slots <= 0 {
			behind = true
			continue
		}
		ds, es, cerr := ms.Store.ClaimDueTo(ctx, ms.Server, code, now, now.Add(ms.claimFor()), slots)
		if cerr != nil {
			ms.flights.unreserve(code, bound, slots)
			behind, err = true, cerr
			break
		}
		behind = behind || len(ds) == slots
		started := 0
		for _, d := range ds {
			// One still in flight here (its claim lapsed meanwhile) stays with its flight,
			// which records its outcome; one whose flight ended since the round began is
			// not sent again.
			if ms.flights.startReserved(d, read) {
				claimed = append(claimed, d)
				started++
			}
		}
		ms.flights.unreserve(code, bound, slots-started)
		for id, env := range es {
			envs[id] = env
		}
	}
	if sweep && err == nil {
		swept, serr := ms.sweep(ctx, parallel, byCode, read, now)
		claimed, err = append(claimed, swept...), serr
	}
	// A peer's deliveries go in as few of the requests reserved for it as its batch size
	// allows, shared out evenly among them.
	toPeer := map[string][]*forewarn.Delivery{}
	for _, d := range claimed {
		if byCode[d.Agency] == nil {
			wg.Add(1)
			ms.requesters.Go(func() {
				defer wg.Done()
				if ms.attempt(ctx, d, nil, envs[d.MessageID]) {
					delivered.Add(1)
				}
			})
			continue
		}
		toPeer[d.Agency] = append(toPeer[d.Agency], d)
	}
	for code, ds := range toPeer {
		size := sizes[code]
		requests := min(reserved[code], (len(ds)+size-1)/size)
		reserved[code] -= requests
		per := (len(ds) + requests - 1) / requests
		for chunk := range slices.Chunk(ds, per) {
			batch := make([]*queuedSend, len(chunk))
			for i, d := range chunk {
				batch[i] = &queuedSend{d: d, peer: byCode[code], env: envs[d.MessageID]}
			}
			wg.Add(1)
			ms.requesters.Go(func() {
				defer wg.Done()
				delivered.Add(int64(ms.request(ctx, batch)))
			})
		}
	}
	return err
}

// sweep claims the deliveries due to agencies that are no longer peers (not in byCode),
// each bounded as a peer's would be by parallel, whose attempts fail, each with its
// reason recorded, to be tried again later. read is when the due deliveries were read
// (flights.read).
func (ms *Messages) sweep(ctx context.Context, parallel int, byCode map[string]*forewarn.Peer, read uint64, now time.Time) ([]*forewarn.Delivery, error) {
	all, err := ms.Store.DueDeliveries(ctx, now, sweepLimit)
	if err != nil {
		return nil, err
	}
	var chosen []*forewarn.Delivery
	for _, d := range all {
		if byCode[d.Agency] == nil && ms.flights.start(d, max(parallel, DefaultPeerParallel), read) {
			chosen = append(chosen, d)
		}
	}
	if len(chosen) == 0 {
		return nil, nil
	}
	claimed, err := ms.Store.ClaimDeliveries(ctx, ms.Server, now, now.Add(ms.claimFor()), chosen)
	if err != nil {
		for _, d := range chosen {
			ms.flights.done(d)
		}
		return nil, err
	}
	taken := make(map[flightKey]bool, len(claimed))
	for _, d := range claimed {
		taken[keyOf(d)] = true
	}
	for _, d := range chosen {
		if !taken[keyOf(d)] {
			ms.flights.done(d)
		}
	}
	return claimed, nil
}

// claimFor is how long a claimed delivery is this process's: twice an attempt's bound.
func (ms *Messages) claimFor() time.Duration {
	timeout := ms.DeliveryTimeout
	if timeout <= 0 {
		timeout = DefaultDeliveryTimeout
	}
	return 2 * timeout
}

// attempt makes one delivery attempt and records its outcome: the receipt, or the failure
// and when to try again. It reports whether the message was delivered. The delivery stays
// in flight until its outcome is recorded, so the next round does not send it again.
// peer is the recipient as read when the delivery was listed; nil when it is no longer
// a peer. env is the message's envelope when it was read with the round's; nil, read now.
func (ms *Messages) attempt(ctx context.Context, d *forewarn.Delivery, peer *forewarn.Peer, env []byte) bool {
	actx, cancel := context.WithTimeout(ctx, ms.deliveryTimeout())
	r, gen, err := ms.deliver(actx, d, peer, env)
	cancel()
	if err != nil {
		ms.failed(ctx, d, err)
		return false
	}
	ms.record(ctx, []forewarn.DeliveryReceipt{r}, []*forewarn.Delivery{d}, []uint64{gen})
	return true
}

func (ms *Messages) deliveryTimeout() time.Duration {
	if ms.DeliveryTimeout <= 0 {
		return DefaultDeliveryTimeout
	}
	return ms.DeliveryTimeout
}

// failed records a failed attempt of d and when to try again, and ends its flight.
func (ms *Messages) failed(ctx context.Context, d *forewarn.Delivery, err error) {
	ms.Stats.DeliveryFailures.Add(1)
	next := ms.Clock.Now().Add(Backoff(d.Attempts+1, ms.RetryBase, ms.RetryMax))
	ms.Logger.Warn("delivery failed", "id", d.MessageID, "to", d.Agency, "attempt", d.Attempts+1, "err", err, "retry_at", next)
	if ferr := ms.Store.DeliveryFailed(ctx, d.MessageID, d.Agency, truncate(printable(forewarn.FailureDetail(err)), 500), next); ferr != nil {
		ms.Logger.Error("could not record a failed delivery", "id", d.MessageID, "err", ferr)
	}
	ms.flights.done(d)
	ms.pump(d.Agency)
}

// request makes one request to a peer for the deliveries of batch, whose flights are
// taken, on one of the peer's requests reserved for it, which it gives back once their
// outcomes are recorded; it returns how many were delivered. One delivery goes alone
// (Transport.Deliver), several together when the Transport and the peer take batches.
func (ms *Messages) request(ctx context.Context, batch []*queuedSend) int {
	agency := batch[0].d.Agency
	defer func() {
		ms.flights.endRequests(agency, 1)
		ms.pump(agency)
		if ms.worker.behind.Load() {
			ms.Poke()
		}
	}()
	bt, ok := ms.Transport.(BatchTransport)
	if len(batch) == 1 || !ok {
		return ms.attemptEach(ctx, batch)
	}
	return ms.attemptBatch(ctx, bt, batch)
}

// attemptEach attempts each delivery of batch alone, all at once.
func (ms *Messages) attemptEach(ctx context.Context, batch []*queuedSend) int {
	if len(batch) == 1 {
		q := batch[0]
		if ms.attempt(ctx, q.d, q.peer, q.env) {
			return 1
		}
		return 0
	}
	var delivered atomic.Int64
	var wg sync.WaitGroup
	for _, q := range batch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ms.attempt(ctx, q.d, q.peer, q.env) {
				delivered.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(delivered.Load())
}

// attemptBatch sends the deliveries of batch, all to one peer, in one request (as many as
// fit in federation's batch size, in order) and records each one's outcome as attempt
// would: the receipts together, each refusal as a failed attempt of its own. A request
// that fails as a whole is a failed attempt of each. A peer that answers it takes no
// batches is sent each alone, and only that for a while.
func (ms *Messages) attemptBatch(ctx context.Context, bt BatchTransport, batch []*queuedSend) int {
	peer := batch[0].peer
	actx, cancel := context.WithTimeout(ctx, ms.deliveryTimeout())
	defer cancel()
	var sending, alone []*queuedSend
	var envs [][]byte
	size := 0
	for _, q := range batch {
		if q.env == nil {
			env, err := ms.Store.Envelope(actx, q.d.MessageID)
			if err != nil {
				ms.failed(ctx, q.d, err)
				continue
			}
			q.env = env
		}
		if len(q.env)+size > MaxBatchBytes && len(sending) > 0 {
			alone = append(alone, q) // too large to go with the others: alone, after them
			continue
		}
		size += len(q.env) + 1
		sending, envs = append(sending, q), append(envs, q.env)
	}
	if len(sending) < 2 {
		return ms.attemptEach(ctx, append(sending, alone...))
	}
	ms.Stats.Requests.Add(1)
	start := time.Now()
	raws, errs, offered, err := bt.DeliverBatch(actx, peer, envs)
	cancel()
	if !batchesRefused(err) {
		ms.answered(ctx, peer.Agency.Code, start, len(envs), offered, err)
	}
	if err != nil {
		if batchesRefused(err) {
			ms.noBatches(peer.Agency.Code, err)
			return ms.attemptEach(ctx, append(sending, alone...))
		}
		for _, q := range sending {
			ms.failed(ctx, q.d, err)
		}
		return ms.attemptEach(ctx, alone)
	}
	// Every receipt is in hand from now: the recorder waits for their checks.
	var rs []forewarn.DeliveryReceipt
	var ds []*forewarn.Delivery
	var gens []uint64
	var refused []int
	for i, q := range sending {
		if errs[i] != nil {
			refused = append(refused, i)
			continue
		}
		gen := ms.flights.receiving()
		r, err := checkReceipt(q.d, peer, q.env, raws[i])
		if err != nil {
			ms.flights.rejected(gen)
			errs[i] = err
			refused = append(refused, i)
			continue
		}
		rs, ds, gens = append(rs, r), append(ds, q.d), append(gens, gen)
	}
	if len(rs) > 0 {
		ms.record(ctx, rs, ds, gens)
	}
	for _, i := range refused {
		ms.failed(ctx, sending[i].d, errs[i])
	}
	return len(rs) + ms.attemptEach(ctx, alone)
}

// DefaultBatchSize is the most envelopes that go to a peer in one request, unless
// Messages.BatchSize says otherwise; minBatchSize the most when few deliveries may be in
// flight to it. A request carries half the deliveries that may be in flight to its peer,
// within those bounds (batchSizeFor): two requests, or more at the top, keep the path busy
// while one is answered, and larger requests cost both nodes less per message: one HTTP
// exchange, one answer, one transaction recording its receipts, and a recipient's group
// commit as large as the requests it is given. Measured on a 2-core machine, 4000x, a
// PostgreSQL recipient (which says it gains from 128 in flight) stored 2,586-2,797 msgs/s
// at 8 per request and 64 in flight, and 2,963-3,273 at 32 per request and 128 (CPU ms
// per message of both processes and the server 0.59-0.66 against 0.51-0.55; p99 29-38
// against 53-69 ms); SQLite, whose limit settles at 24-48, made 0.64-0.72 of its commit
// limit at 8 per request, 0.62-0.71 at 16 and 0.56-0.73 at 32 (at 32, a limit of 16-32 is
// one request at a time).
const (
	DefaultBatchSize = 32
	minBatchSize     = 8
)

// batchSizeFor is how many envelopes go in one request to a peer that may have bound
// deliveries in flight.
func batchSizeFor(bound int) int {
	return min(DefaultBatchSize, max(minBatchSize, bound/2))
}

// noBatchesFor is how long a peer that refused a batch as a whole (batchesRefused: 404 or
// 405 from a node older than batches) is sent each delivery alone before a batch is tried
// again.
const noBatchesFor = time.Hour

// batching remembers when each peer that takes no batches said so.
type batching struct {
	mu        sync.Mutex
	refusedAt map[string]time.Time
}

// batchFor returns how many deliveries to agency, which may have bound in flight, may go
// in one request: BatchSize, else batchSizeFor(bound); 1 when the Transport carries no
// batches or the peer said lately that it takes none.
func (ms *Messages) batchFor(agency string, bound int) int {
	size := ms.BatchSize
	if size <= 0 {
		size = batchSizeFor(bound)
	}
	size = min(size, envelope.MaxBatchItems)
	if _, ok := ms.Transport.(BatchTransport); !ok || size == 1 {
		return 1
	}
	b := &ms.batching
	b.mu.Lock()
	defer b.mu.Unlock()
	if at, ok := b.refusedAt[agency]; ok {
		if ms.Clock.Now().Sub(at) < noBatchesFor {
			return 1
		}
		delete(b.refusedAt, agency)
	}
	return size
}

// batchesRefused says whether err is a peer's answer that it takes no batches, or none
// like this one: it has no batch endpoint (404, 405), or it refused the batch as a whole
// as too large or otherwise invalid (413, 400; a recipient whose body limit is below
// MaxBatchBytes answers so). Each envelope is then sent alone, which it would take: sent
// again as a batch, it would be refused again, and never delivered.
func batchesRefused(err error) bool {
	var hf *forewarn.HTTPFailure
	if !errors.As(err, &hf) {
		return false
	}
	switch hf.Status {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusBadRequest:
		return true
	}
	return false
}

// noBatches remembers that agency takes no batches, logging it when it was not known.
func (ms *Messages) noBatches(agency string, err error) {
	b := &ms.batching
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refusedAt == nil {
		b.refusedAt = map[string]time.Time{}
	}
	if _, known := b.refusedAt[agency]; !known {
		ms.Logger.Warn("peer refused a batched delivery as a whole: each is sent alone for a while", "peer", agency, "for", noBatchesFor, "err", err)
	}
	b.refusedAt[agency] = ms.Clock.Now()
}

// MaxBatchBytes bounds the envelopes of one batch this node sends together: well below
// the 1 MiB a recipient takes by default (docs/envelope.md, "Batches"). An envelope that
// would take a batch over goes alone.
const MaxBatchBytes = 256 << 10

// record stores receipts now, together with any others that arrive meanwhile, and ends
// each one's flight once it is recorded. gens are the receipts' generations (receiving).
// A delivery gives back its place among its peer's in flight once its receipt is being
// written, not once it is written: the next deliveries go during that commit rather than
// each wait for it (BenchmarkDeliveryPostgres: median 3,502 against 3,308 msgs/s, 22 and
// 18 runs alternating; given back as each receipt came in, rather than when the recorder
// takes it, 3,087-3,550, no better than not at all in 5 runs). The receipts being written
// are then at most those answered during one commit.
func (ms *Messages) record(ctx context.Context, rs []forewarn.DeliveryReceipt, ds []*forewarn.Delivery, gens []uint64) {
	f := &ms.flights
	f.mu.Lock()
	f.pending = append(f.pending, rs...)
	f.pendingFlights = append(f.pendingFlights, ds...)
	for _, gen := range gens {
		f.checkedLocked(gen)
	}
	if f.recording {
		f.mu.Unlock()
		return // the recorder at work takes them with its next batch
	}
	f.recording = true
	for len(f.pending) > 0 {
		// The receipts in hand join this batch once checked (see flights.checking).
		f.checkGen++
		f.waitFor = f.checking
		for f.waitFor > 0 {
			f.checked.Wait()
		}
		batch, flown := f.pending, f.pendingFlights
		f.pending, f.pendingFlights = nil, nil
		for _, d := range flown {
			f.perPeer[d.Agency]--
		}
		f.mu.Unlock()
		ms.pumpEach(flown)
		if err := ms.Store.Delivered(ctx, batch...); err != nil {
			// Not recorded: the deliveries stay due, are sent again, and the peer answers
			// with the same receipts.
			ms.Logger.Error("could not record receipts", "count", len(batch), "err", err)
		} else {
			ms.Stats.Delivered.Add(int64(len(batch)))
		}
		for _, d := range flown {
			f.recorded(d)
		}
		f.mu.Lock()
	}
	f.recording = false
	f.mu.Unlock()
	if ms.worker.behind.Load() {
		ms.Poke() // more may be due behind what was just delivered
	}
}

// pumpEach starts what is due next to the peers of ds, once each.
func (ms *Messages) pumpEach(ds []*forewarn.Delivery) {
	for i, d := range ds {
		if !slices.ContainsFunc(ds[:i], func(e *forewarn.Delivery) bool { return e.Agency == d.Agency }) {
			ms.pump(d.Agency)
		}
	}
}

// deliver sends one message to one peer (nil: no longer a peer) and returns its
// verified receipt. env is the message's envelope, or nil to read it.
func (ms *Messages) deliver(ctx context.Context, d *forewarn.Delivery, peer *forewarn.Peer, env []byte) (_ forewarn.DeliveryReceipt, gen uint64, err error) {
	var none forewarn.DeliveryReceipt
	if peer == nil {
		return none, 0, fmt.Errorf("peer %s: %w", d.Agency, forewarn.Errorf(forewarn.ENOTFOUND, "%q is not a peer of this node", d.Agency))
	}
	if env == nil {
		if env, err = ms.Store.Envelope(ctx, d.MessageID); err != nil {
			return none, 0, err
		}
	}
	ms.Stats.Requests.Add(1)
	start := time.Now()
	raw, err := ms.Transport.Deliver(ctx, peer, env)
	ms.answered(ctx, d.Agency, start, 1, -1, err) // a single receipt says nothing of in flight
	if err != nil {
		return none, 0, err
	}
	// In hand from now: record takes it once checked, or it is rejected here.
	gen = ms.flights.receiving()
	defer func() {
		if err != nil {
			ms.flights.rejected(gen)
		}
	}()
	r, err := checkReceipt(d, peer, env, raw)
	return r, gen, err
}

// answered moves agency's adaptive limit after a request to it carrying n deliveries,
// started at start (on the wall clock, whatever ms.Clock says: round trips are real),
// that ended with err: its round trip when answered, a step down when it failed for want
// of an answer. Changes are logged at most once a minute per peer.
func (ms *Messages) answered(ctx context.Context, agency string, start time.Time, n, offered int, err error) {
	now := time.Now()
	var was, is int
	switch {
	case err == nil:
		was, is = ms.flights.answered(agency, now, now.Sub(start), n, offered)
	case congestion(ctx, err):
		was, is = ms.flights.overloaded(agency)
	}
	if was == is {
		return
	}
	if why, mean, least, ok := ms.flights.logDue(agency, now); ok {
		ms.Logger.Debug("deliveries in flight to a peer bounded anew", "peer", agency, "was", was, "now", is,
			"why", why, "mean_rtt", mean, "least_rtt", least)
	}
}

// checkReceipt verifies raw as peer's signed receipt for d's envelope env.
func checkReceipt(d *forewarn.Delivery, peer *forewarn.Peer, env, raw []byte) (forewarn.DeliveryReceipt, error) {
	var none forewarn.DeliveryReceipt
	r, err := envelope.OpenReceipt(raw, func(agency string) (ed25519.PublicKey, error) {
		if agency != peer.Agency.Code {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "receipt signed by %s, not by the recipient %s", agency, peer.Agency.Code)
		}
		return peer.PublicKey, nil
	}, maxReceiptBytes)
	if err != nil {
		return none, fmt.Errorf("receipt from %s: %w", peer.Agency.Code, err)
	}
	if r.MessageID != d.MessageID || !envelope.HasDigest(env, r.Digest) {
		return none, fmt.Errorf("receipt from %s is for another message or other content", peer.Agency.Code)
	}
	return forewarn.DeliveryReceipt{MessageID: d.MessageID, Agency: d.Agency, Receipt: raw, At: r.ReceivedAt, Attempts: d.Attempts}, nil
}

// Escalate fires every escalation step due now, on this node's side of each open
// delivery: for messages it sent, the sender's steps; for messages it received, the
// recipient's. Fired steps and the time of the next are stored, so a restart neither
// repeats nor skips one.
func (ms *Messages) Escalate(ctx context.Context) (int, error) {
	now := ms.Clock.Now()
	open, err := ms.Store.OpenDeliveries(ctx, now, 1000)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, d := range open {
		sm, err := ms.Store.Message(ctx, d.MessageID)
		if err != nil {
			return fired, err
		}
		side := sideOf(d)
		due := ms.Policy.DueSteps(sm.Priority, d.Deadline, now, side, d.Escalated, d.Owner)
		for k, i := range due {
			step := ms.Policy.Steps[i]
			next := time.Time{}
			if k == len(due)-1 {
				next, _ = ms.Policy.NextStepTime(sm.Priority, d.Deadline, side, i+1, d.Owner)
			} else {
				next = now
			}
			user, role := step.Tells(d.Owner)
			e := &forewarn.Escalation{
				MessageID: d.MessageID, Agency: d.Agency, Side: side, Step: i + 1, Notify: role, Username: user,
				Phrase:  forewarn.EscalationPhrase(side, sm.Message.Kind, sm.Message.From, d.Agency, d.Deadline, d.Delivered()),
				FiredAt: now,
			}
			e.Text = e.Phrase.English()
			if err := ms.Store.Escalate(ctx, e, next); err != nil {
				return fired, err
			}
			if e.ID == "" {
				break // another server on the same store fired it first
			}
			ms.Stats.Escalations.Add(1)
			ms.Logger.Warn("escalated", "id", d.MessageID, "agency", d.Agency, "side", side, "step", i+1, "notify", role, "owner", user)
			fired++
		}
	}
	return fired, nil
}

func sideOf(d *forewarn.Delivery) forewarn.EscalationSide {
	if d.Direction == forewarn.DirectionIn {
		return forewarn.SideRecipient
	}
	return forewarn.SideSender
}

// Tick does one round of the node's scheduled work at the clock's current time: deliver
// what is due, then escalate what is overdue. It returns how many messages it delivered.
// Tests and the scenario replay call it after moving a simulated clock; Run calls it on a
// timer.
func (ms *Messages) Tick(ctx context.Context) (int, error) {
	start := time.Now()
	n, err := ms.deliverDue(ctx, 16, true)
	if err != nil {
		return n, err
	}
	fired, err := ms.Escalate(ctx)
	if fired > 0 {
		ms.Notifier.Poke()
	}
	if n > 0 || fired > 0 {
		ms.Logger.Debug("scheduled round", "delivered", n, "escalations", fired, "took", time.Since(start))
	}
	if err != nil {
		return n, err
	}
	if err := ms.ApplyConsentAnswers(ctx); err != nil {
		return n, err
	}
	if _, err := ms.Review(ctx); err != nil {
		return n, err
	}
	if err := ms.SendOverrideNotices(ctx); err != nil {
		return n, err
	}
	if _, err := ms.SendErasureNotices(ctx); err != nil {
		return n, err
	}
	if err := ms.CheckpointIfDue(ctx); err != nil {
		return n, err
	}
	if err := ms.WitnessHeads(ctx); err != nil {
		return n, err
	}
	return n, ms.housekeep(ctx)
}

// housekeep deletes expired sessions, at most once an hour.
func (ms *Messages) housekeep(ctx context.Context) error {
	now := ms.Clock.Now()
	if now.Sub(ms.lastHousekeeping) < time.Hour {
		return nil
	}
	ms.lastHousekeeping = now
	_, err := ms.Store.PurgeSessions(ctx, now)
	return err
}

// witnessInBackground starts a round of witnessing unless one is under way, so a peer
// that is slow to countersign holds up nothing else.
func (ms *Messages) witnessInBackground(ctx context.Context, wg *sync.WaitGroup) {
	w := &ms.witnessing
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return
	}
	w.running = true
	w.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ms.WitnessHeads(ctx); err != nil && ctx.Err() == nil {
			ms.Logger.Error("witnessing failed", "err", err)
		}
		w.mu.Lock()
		w.running = false
		w.mu.Unlock()
	}()
}

// worker is the running delivery worker (Run), to which a send hands the deliveries it
// stores: they start as soon as the message is durable, with the envelope and peer the
// send holds, rather than being read back, claimed and read again by a round. A delivery
// whose peer has no free slot waits in a short queue of its peer's, most urgent first,
// and starts when a flight to that peer ends. It is stored claimed by this server all the
// while, so no round of any server starts it; should this process stop, the claim
// lapses (or the next start of this server releases it) and it is due again.
type worker struct {
	mu     sync.Mutex
	ctx    context.Context // Run's; nil when no worker runs
	wg     *sync.WaitGroup
	queued map[string][]*queuedSend // by agency, most urgent first
	// behind says the last round left deliveries due for want of slots (it filled a
	// peer's, or found them full): a recorded receipt frees one, and pokes the next round.
	// Otherwise every due delivery is on its way, and one that falls due later is poked by
	// its send or started by the tick.
	behind atomic.Bool
}

// maxQueued is how many handed deliveries may wait for a request to a peer whose limit
// is bound: beyond it a send leaves its deliveries to the rounds, which read them from
// the store. When a request ends, those waiting go in the next, together as far as the
// peer's batch size.
func maxQueued(bound int) int { return 4 * bound }

// queuedSend is a handed delivery waiting for a slot.
type queuedSend struct {
	d       *forewarn.Delivery
	peer    *forewarn.Peer
	env     []byte
	urgency int       // the order of priorities, flash first
	until   time.Time // its claim lapses then
}

// handoff is what a send reserved of the running worker for its deliveries: a flight,
// or a place in its peer's queue, for each.
type handoff struct {
	ms     *Messages
	ctx    context.Context
	wg     *sync.WaitGroup
	flying []*queuedSend
	queue  []*queuedSend
	stored bool // its flights are ready (ready); guarded by the Messages' readySends.mu
}

// readySends are the flights of messages just stored, waiting to be started, by peer.
// Messages sent at once are stored by one commit (group commit), which tells each of them
// it is durable before any of their senders is answered (StoredMessage.Durable): each puts
// its flights here then, and the first sender answered starts all of them, several to a
// request as far as the peer's batch size, rather than a request each. Each flight holds
// a request of its peer (handOff), given back when it shares another's.
type readySends struct {
	mu    sync.Mutex
	peers map[string][]readySend
}

type readySend struct {
	q   *queuedSend
	ctx context.Context // the worker's that took it, and its wg
	wg  *sync.WaitGroup
}

// ready puts the flights h reserved among the ready ones, with the envelope: the message
// is durable. Quick, as StoredMessage.Durable must be; a second call does nothing.
func (h *handoff) ready(env []byte) {
	r := &h.ms.readySends
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.stored {
		return
	}
	h.stored = true
	if r.peers == nil {
		r.peers = map[string][]readySend{}
	}
	for _, q := range h.flying {
		q.env = env
		r.peers[q.d.Agency] = append(r.peers[q.d.Agency], readySend{q, h.ctx, h.wg})
	}
}

// isReady says whether ready was called.
func (h *handoff) isReady() bool {
	r := &h.ms.readySends
	r.mu.Lock()
	defer r.mu.Unlock()
	return h.stored
}

// flyReady starts the ready flights to agency, in the order they were stored, as many to
// a request as the peer's batch size, each request on the worker that took its flights.
func (ms *Messages) flyReady(agency string) {
	r := &ms.readySends
	r.mu.Lock()
	list := r.peers[agency]
	delete(r.peers, agency)
	r.mu.Unlock()
	size := ms.batchFor(agency, ms.flights.bound(agency, 0))
	for len(list) > 0 {
		n := 1
		for n < len(list) && n < size && list[n].ctx == list[0].ctx {
			n++
		}
		batch := make([]*queuedSend, n)
		for i, rs := range list[:n] {
			batch[i] = rs.q
		}
		ms.flights.endRequests(agency, n-1) // they share one
		ms.fly(list[0].ctx, list[0].wg, batch)
		list = list[n:]
	}
}

// handOff reserves, for each delivery of sm to the peers read for it (in the order of
// sm.Deliveries), a flight of the running worker or a place in its peer's queue, and
// marks them claimed by this server until the claim lapses, as a round would. It returns
// nil, reserving nothing, when no worker runs or a peer has neither: the next round
// sends them. The caller stores sm, then starts or releases what was reserved.
func (ms *Messages) handOff(sm *forewarn.StoredMessage, peers []*forewarn.Peer, now time.Time) *handoff {
	if ms.Server == "" {
		return nil
	}
	w := &ms.worker
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || w.ctx.Err() != nil {
		return nil
	}
	read := ms.flights.read()
	h := &handoff{ms: ms, ctx: w.ctx, wg: w.wg}
	// A queued delivery waits at most for one attempt to its peer to end before it
	// starts, and its own attempt is bounded likewise: its claim outlasts both.
	until := now.Add(ms.claimFor())
	for i, d := range sm.Deliveries {
		q := &queuedSend{d: d, peer: peers[i], urgency: sm.Priority.Rank()}
		bound := ms.flights.bound(d.Agency, 0)
		if ms.flights.takeRequests(d.Agency, requestBound(0, bound), 1) == 1 {
			if ms.flights.start(d, bound, read) {
				h.flying = append(h.flying, q)
				continue
			}
			ms.flights.endRequests(d.Agency, 1)
		}
		if len(w.queued[d.Agency])+h.queuedTo(d.Agency) >= maxQueued(bound) {
			for _, q := range h.flying {
				ms.flights.done(q.d)
				ms.flights.endRequests(q.d.Agency, 1)
			}
			return nil
		}
		h.queue = append(h.queue, q)
		until = now.Add(2 * ms.claimFor())
	}
	for _, q := range append(h.flying, h.queue...) {
		q.d.NextAttempt, q.until = until, until
	}
	sm.ClaimedBy = ms.Server
	w.wg.Add(len(h.flying) + len(h.queue))
	return h
}

func (h *handoff) queuedTo(agency string) int {
	n := 0
	for _, q := range h.queue {
		if q.d.Agency == agency {
			n++
		}
	}
	return n
}

// start sends each delivery reserved, now that its message is stored: at once, with the
// flights of the messages stored with it that are not on their way yet (ready), or when a
// flight to its peer ends.
func (h *handoff) start(env []byte) {
	h.ready(env)
	for i, q := range h.flying {
		if !slices.ContainsFunc(h.flying[:i], func(o *queuedSend) bool { return o.d.Agency == q.d.Agency }) {
			h.ms.flyReady(q.d.Agency)
		}
	}
	if len(h.queue) == 0 {
		return
	}
	w := &h.ms.worker
	w.mu.Lock()
	if w.ctx != h.ctx {
		// The worker stopped meanwhile: the claims lapse, and a round sends them.
		w.mu.Unlock()
		for range h.queue {
			h.wg.Done()
		}
		return
	}
	if w.queued == nil {
		w.queued = map[string][]*queuedSend{}
	}
	for _, q := range h.queue {
		q.env = env
		list := w.queued[q.d.Agency]
		at := len(list)
		for at > 0 && list[at-1].urgency > q.urgency {
			at--
		}
		w.queued[q.d.Agency] = slices.Insert(list, at, q)
	}
	w.mu.Unlock()
	for _, q := range h.queue {
		h.ms.pump(q.d.Agency)
	}
}

// release gives back what was reserved: the message was not stored.
func (h *handoff) release() {
	for _, q := range h.flying {
		h.ms.flights.done(q.d)
		h.ms.flights.endRequests(q.d.Agency, 1)
		h.wg.Done()
	}
	for range h.queue {
		h.wg.Done()
	}
}

// fly makes the request for a batch of deliveries to one peer, whose flights and request
// are taken, on the worker's wg (one count each).
func (ms *Messages) fly(ctx context.Context, wg *sync.WaitGroup, batch []*queuedSend) {
	go func() {
		defer func() {
			for range batch {
				wg.Done()
			}
		}()
		ms.request(ctx, batch)
	}()
}

// pump starts the queued deliveries to agency while it has a free request, each request
// taking as many as its batch size. One whose claim is about to lapse is left to the
// rounds instead, which find it due once it has.
func (ms *Messages) pump(agency string) {
	w := &ms.worker
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || len(w.queued[agency]) == 0 {
		return
	}
	read := ms.flights.read()
	bound := ms.flights.bound(agency, 0)
	size := ms.batchFor(agency, bound)
	for len(w.queued[agency]) > 0 {
		if ms.flights.takeRequests(agency, requestBound(0, bound), 1) == 0 {
			return
		}
		var batch []*queuedSend
		for len(w.queued[agency]) > 0 && len(batch) < size {
			q := w.queued[agency][0]
			if ms.Clock.Now().Add(ms.claimFor() / 2).After(q.until) {
				w.queued[agency] = w.queued[agency][1:]
				w.wg.Done()
				w.behind.Store(true)
				continue
			}
			if !ms.flights.start(q.d, bound, read) {
				break
			}
			w.queued[agency] = w.queued[agency][1:]
			batch = append(batch, q)
		}
		if len(batch) == 0 {
			ms.flights.endRequests(agency, 1)
			return
		}
		ms.fly(w.ctx, w.wg, batch)
	}
}

// stopWorker ends the hand-offs to the worker Run was: what waits in its queues is
// dropped (each stays claimed until its claim lapses, or this server starts again).
func (ms *Messages) stopWorker() {
	w := &ms.worker
	w.mu.Lock()
	defer w.mu.Unlock()
	for agency, list := range w.queued {
		for range list {
			w.wg.Done()
		}
		delete(w.queued, agency)
	}
	w.ctx, w.wg = nil, nil
}

// Run starts due deliveries at once when a message is queued or a receipt recorded, and
// every interval also escalates, housekeeps, checkpoints and witnesses, until ctx ends.
// Unlike Tick it does not wait for the deliveries it starts: each peer's run at their own
// pace, up to each one's adaptive limit at a time, and a new warning starts at once, whatever
// another peer is doing. Run returns once the deliveries in flight have ended.
func (ms *Messages) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var wg sync.WaitGroup
	var delivered atomic.Int64
	defer wg.Wait()
	var down outage
	ms.worker.mu.Lock()
	ms.worker.ctx, ms.worker.wg = ctx, &wg
	ms.worker.mu.Unlock()
	// No send hands this worker anything more once it stops, before the flights under
	// way are waited for.
	defer ms.stopWorker()
	scheduled := true // escalations, housekeeping, checkpoints and witnessing: once a tick
	for {
		err := ms.dispatch(ctx, 0, scheduled, &wg, &delivered)
		if err == nil && scheduled {
			if _, err = ms.Escalate(ctx); err == nil {
				_, err = ms.Review(ctx)
			}
			if err == nil {
				if err = ms.housekeep(ctx); err == nil {
					if err = ms.CheckpointIfDue(ctx); err == nil {
						ms.witnessInBackground(ctx, &wg)
						ms.privateInBackground(ctx, &wg)
					}
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// The store is unreachable, say: back off, and log sparingly.
			select {
			case <-ctx.Done():
				return
			case <-time.After(down.failed(ms.Logger, "scheduled work", err, interval)):
			}
			scheduled = true
			continue
		}
		down.succeeded(ms.Logger, "scheduled work")
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			scheduled = true
		case <-ms.poke: // a message queued or a receipt recorded: deliveries only
			scheduled = false
		}
	}
}
