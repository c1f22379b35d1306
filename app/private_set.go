package app

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/psi"
)

// The holder's set for private matching: this node's keys, a cache of the store's subjects
// that follows the change log, fingerprinted under the day's secret. A change of holdings
// makes a new version of the set and remembers the step, so an asker that keeps an older
// version of the day is sent the changes rather than the set; the next day's fingerprints
// are built ahead of the turn (PrivatePrepare), so no query waits for them
// (docs/private-match.md, "The asker keeps the set").

// DefaultPrivatePrepareLead is how long before midnight UTC the holder starts building
// the next day's set: on a large node it takes minutes.
const DefaultPrivatePrepareLead = time.Hour

// maxSetSteps bounds the versions of a day the holder remembers the steps between.
const maxSetSteps = 4096

type privateHoldings struct {
	mu      sync.Mutex
	loaded  bool
	seen    int64
	epoch   string
	secret  psi.Secret
	keys    map[string][]string // subject → its keys
	fps     map[string][]uint64 // subject → its distinct fingerprints under secret
	names   map[string]string   // subject → its primary name, for alerts
	owners  map[uint64][]string // fingerprint → the subjects holding it, for reports
	set     psi.Set
	encoded []byte
	digest  string // the set's version: SHA-256 of encoded
	// steps are the day's changes of version, oldest first; stepped counts their
	// fingerprints.
	steps   []setStep
	stepped int
	// next is the next day's fingerprints, built ahead of the turn; changed names the
	// subjects changed since that build began (fingerprinted again at the turn), nil
	// while none is under way or waiting.
	next     *nextHoldings
	building bool
	changed  map[string]bool
}

type setStep struct {
	from, to string
	delta    psi.Delta
}

type nextHoldings struct {
	epoch  string
	secret psi.Secret
	fps    map[string][]uint64
}

// privateView is the holder's set as one answer names it: its epoch and secret, the set
// encoded and its version, and, when the asker keeps an older version of the day that
// the holder remembers, the changes since (nil otherwise).
type privateView struct {
	epoch   string
	secret  psi.Secret
	encoded []byte
	digest  string
	delta   *psi.Delta
}

// privateCurrent brings the holdings up to the store and the day and returns the set,
// with the changes since version have when the holder can send them instead.
func (ms *Messages) privateCurrent(ctx context.Context, have string) (privateView, error) {
	h := &ms.holdings
	h.mu.Lock()
	defer h.mu.Unlock()
	epoch := privateEpoch(ms.Clock.Now())
	self, err := ms.Agency(ctx)
	if err != nil {
		return privateView{}, err
	}
	if !h.loaded {
		head, err := ms.Store.ChangeHead(ctx)
		if err != nil {
			return privateView{}, err
		}
		h.keys, h.fps, h.names = map[string][]string{}, map[string][]uint64{}, map[string]string{}
		if err := ms.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
			h.keys[s.ID] = psi.HolderKeys(holderPerson(s, self))
			h.names[s.ID] = s.PrimaryName()
			return nil
		}); err != nil {
			return privateView{}, err
		}
		h.seen, h.loaded, h.epoch = head, true, ""
	}
	var changed []string
	for {
		cs, err := ms.Store.Changes(ctx, h.seen, changeBatch)
		if err != nil {
			return privateView{}, err
		}
		for _, c := range cs {
			h.seen = c.Seq
			if c.Kind != forewarn.ChangeSubject {
				continue
			}
			changed = append(changed, c.ID)
			if h.changed != nil {
				h.changed[c.ID] = true
			}
			if c.Subject == nil {
				delete(h.keys, c.ID)
				delete(h.names, c.ID)
				continue
			}
			h.keys[c.ID] = psi.HolderKeys(holderPerson(c.Subject, self))
			h.names[c.ID] = c.Subject.PrimaryName()
		}
		if len(cs) < changeBatch {
			break
		}
	}
	if h.epoch != epoch {
		if err := h.turn(ms, epoch); err != nil {
			return privateView{}, err
		}
	} else if len(changed) > 0 {
		h.apply(changed)
	}
	v := privateView{epoch: h.epoch, secret: h.secret, encoded: h.encoded, digest: h.digest}
	if have != "" && have != h.digest {
		v.delta = h.deltaFrom(have)
	}
	return v, nil
}

// turn makes epoch's set: from the fingerprints built ahead when there are, else all
// of them now.
func (h *privateHoldings) turn(ms *Messages, epoch string) error {
	var secret psi.Secret
	var fps map[string][]uint64
	var again []string
	if h.next != nil && h.next.epoch == epoch {
		secret, fps = h.next.secret, h.next.fps
		for id := range h.changed {
			delete(fps, id)
			if _, ok := h.keys[id]; ok {
				again = append(again, id)
			}
		}
	} else {
		var err error
		if secret, err = psi.DeriveSecret(ms.Signer.Sign, epoch); err != nil {
			return err
		}
		fps = map[string][]uint64{}
		again = slices.Collect(maps.Keys(h.keys))
	}
	maps.Copy(fps, fingerprintAll(secret, h.keys, again))
	h.next, h.changed = nil, nil
	h.secret, h.epoch, h.fps = secret, epoch, fps
	var all []uint64
	h.owners = make(map[uint64][]string, len(fps)*24)
	for id, f := range fps {
		all = append(all, f...)
		for _, x := range f {
			h.owners[x] = append(h.owners[x], id)
		}
	}
	h.set = psi.NewSet(all)
	h.encoded = h.set.Encode()
	h.digest = psi.Digest(h.encoded)
	h.steps, h.stepped = nil, 0
	return nil
}

// fingerprintAll returns the distinct fingerprints of each of ids' keys under secret, all
// computed in one batch (on every core).
func fingerprintAll(secret psi.Secret, keys map[string][]string, ids []string) map[string][]uint64 {
	var all []string
	for _, id := range ids {
		all = append(all, keys[id]...)
	}
	fps := secret.Fingerprints(all)
	out := make(map[string][]uint64, len(ids))
	for _, id := range ids {
		n := len(keys[id])
		f := fps[:n:n]
		fps = fps[n:]
		slices.Sort(f)
		out[id] = slices.Compact(f)
	}
	return out
}

// apply fingerprints the changed subjects again and, when that adds or removes
// fingerprints of the set, makes a new version and remembers the step.
func (h *privateHoldings) apply(changed []string) {
	slices.Sort(changed)
	changed = slices.Compact(changed)
	var live []string
	for _, id := range changed {
		if _, ok := h.keys[id]; ok {
			live = append(live, id)
		}
	}
	fresh := fingerprintAll(h.secret, h.keys, live)
	before := map[uint64]bool{} // whether each fingerprint touched was in the set before
	touch := func(f uint64) {
		if _, ok := before[f]; !ok {
			before[f] = len(h.owners[f]) > 0
		}
	}
	for _, id := range changed {
		for _, f := range h.fps[id] {
			touch(f)
			owners := slices.DeleteFunc(h.owners[f], func(o string) bool { return o == id })
			if len(owners) == 0 {
				delete(h.owners, f)
			} else {
				h.owners[f] = owners
			}
		}
		delete(h.fps, id)
		if f, ok := fresh[id]; ok {
			h.fps[id] = f
			for _, x := range f {
				touch(x)
				h.owners[x] = append(h.owners[x], id)
			}
		}
	}
	var added, removed []uint64
	for f, was := range before {
		switch now := len(h.owners[f]) > 0; {
		case now && !was:
			added = append(added, f)
		case was && !now:
			removed = append(removed, f)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return // the keys did not change: the version stays
	}
	d := psi.Delta{Added: psi.NewSet(added), Removed: psi.NewSet(removed)}
	set, err := h.set.Apply(d)
	if err != nil {
		// The owners say otherwise than the set: trust the owners, and start the day's
		// steps again (an asker of an older version is sent the set).
		set = psi.NewSet(slices.Collect(maps.Keys(h.owners)))
		h.steps, h.stepped = nil, 0
	}
	from := h.digest
	h.set = set
	h.encoded = set.Encode()
	h.digest = psi.Digest(h.encoded)
	if err == nil {
		h.steps = append(h.steps, setStep{from: from, to: h.digest, delta: d})
		h.stepped += d.Len()
		for len(h.steps) > maxSetSteps || h.stepped > envelope.MaxPrivateDeltaFingerprints {
			h.stepped -= h.steps[0].delta.Len()
			h.steps = h.steps[1:]
		}
	}
}

// deltaFrom returns the changes from version have to the current one, nil when have is
// not a version of the day the holder remembers, or the changes would be no smaller than
// half the set.
func (h *privateHoldings) deltaFrom(have string) *psi.Delta {
	i := slices.IndexFunc(h.steps, func(s setStep) bool { return s.from == have })
	if i < 0 {
		return nil
	}
	d := h.steps[i].delta
	for _, s := range h.steps[i+1:] {
		d = d.Then(s.delta)
	}
	if d.Len() > envelope.MaxPrivateDeltaFingerprints || d.Len()*16 > len(h.encoded) {
		return nil
	}
	return &d
}

// PrivateWarm computes the day's holdings ahead of the first query: on a large node the
// fingerprints of every subject take a while.
func (ms *Messages) PrivateWarm(ctx context.Context) error {
	_, err := ms.privateCurrent(ctx, "")
	return err
}

// PrivatePrepare builds, and returns the epoch of, the next day's fingerprints of the holdings when midnight UTC is
// less than PrivatePrepareLead away and they are not built yet, so that the day's turn
// costs the first query nothing. It runs without holding up queries, which are answered
// with the day's set meanwhile; subjects that change during the build are fingerprinted
// again at the turn. It does nothing before the holdings were first loaded (a node never
// asked privately builds nothing).
func (ms *Messages) PrivatePrepare(ctx context.Context) (string, error) {
	now := ms.Clock.Now().UTC()
	lead := ms.PrivatePrepareLead
	if lead == 0 {
		lead = DefaultPrivatePrepareLead
	}
	midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	if midnight.Sub(now) > lead {
		return "", nil
	}
	epoch := privateEpoch(midnight)
	h := &ms.holdings
	h.mu.Lock()
	if !h.loaded || h.building || h.epoch == epoch || h.next != nil && h.next.epoch == epoch {
		h.mu.Unlock()
		return "", nil
	}
	keys := maps.Clone(h.keys)
	h.building, h.changed = true, map[string]bool{}
	h.mu.Unlock()
	secret, err := psi.DeriveSecret(ms.Signer.Sign, epoch)
	var fps map[string][]uint64
	if err == nil {
		start := time.Now()
		fps = fingerprintAll(secret, keys, slices.Collect(maps.Keys(keys)))
		ms.Logger.Info("built the next day's private-match set ahead of the turn", "epoch", epoch, "subjects", len(keys), "took", time.Since(start))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.building = false
	if err != nil || h.epoch == epoch {
		h.changed = nil
		return "", err
	}
	h.next = &nextHoldings{epoch: epoch, secret: secret, fps: fps}
	return epoch, nil
}

// privateSubjects returns the subjects that hold the most of a person's reported
// fingerprints (through the reverse index, so a report costs its own size, not the
// holdings').
func (ms *Messages) privateSubjects(fps []uint64) (ids []string, names []string) {
	h := &ms.holdings
	h.mu.Lock()
	defer h.mu.Unlock()
	count := map[string]int{}
	for _, f := range fps {
		for _, id := range h.owners[f] {
			count[id]++
		}
	}
	best := 0
	for id, n := range count {
		switch {
		case n < best:
		case n > best:
			best, ids = n, []string{id}
		default:
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		names = append(names, h.names[id])
	}
	return ids, names
}
