// Package psi owns private fuzzy matching between two nodes: "do you hold this person?"
// asked without naming the person. Each person becomes a set of fuzzy keys that survive
// spelling variation (pairs of the matcher's spelling keys of name parts, with the birth
// year); the keys are compared by an elliptic-curve Diffie–Hellman private set
// intersection over ristretto255 (github.com/gtank/ristretto255): the asker blinds its
// keys with a fresh secret for every query, the holder raises them to its epoch secret,
// and the asker compares the unblinded results with the holder's published fingerprints.
// It is pure computation: no I/O, no store. docs/private-match.md is its design and
// security argument.
package psi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/gtank/ristretto255"

	"github.com/forewarn/forewarn/match"
)

// ElementSize is the size of one encoded group element.
const ElementSize = 32

// MaxElements is how many blinded elements every person of a query carries: its keys and
// random elements to fill, so the holder learns nothing from the count.
const MaxElements = 64

// Band is how likely the holder holds the person, the only result an asker sees.
type Band string

// The bands.
const (
	BandNone   Band = "none"
	BandWeak   Band = "weak"
	BandStrong Band = "strong"
)

// Domain-separation prefixes: a key hashed for this protocol, an epoch secret and a
// fingerprint can never be mistaken for anything else.
const (
	keyDomain         = "forewarn-psi-key-v1\x00"
	epochDomain       = "forewarn-psi-epoch-v1\n"
	fingerprintDomain = "forewarn-psi-fingerprint-v1\x00"
)

// hashToGroup maps a key onto the group (hash to 64 uniform bytes, then the ristretto255
// one-way map).
func hashToGroup(key string) *ristretto255.Element {
	h := sha512.Sum512([]byte(keyDomain + key))
	return ristretto255.NewElement().FromUniformBytes(h[:])
}

func randomScalar() *ristretto255.Scalar {
	var b [64]byte
	rand.Read(b[:])
	return ristretto255.NewScalar().FromUniformBytes(b[:])
}

func randomElement() *ristretto255.Element {
	var b [64]byte
	rand.Read(b[:])
	return ristretto255.NewElement().FromUniformBytes(b[:])
}

// fingerprint is what the holder publishes of one evaluated key: 64 bits of a hash of
// the element, enough that a false collision among millions of keys is improbable.
func fingerprint(e *ristretto255.Element) uint64 {
	h := sha256.New()
	h.Write([]byte(fingerprintDomain))
	h.Write(e.Encode(make([]byte, 0, ElementSize)))
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// parallel runs fn(i) for i in [0, n) on every core.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(n/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Digest is the hex SHA-256 of a query's blinded elements: what binds an answer to the
// query it answers.
func Digest(blinded []byte) string {
	s := sha256.Sum256(blinded)
	return hex.EncodeToString(s[:])
}

// Secret is a holder's epoch secret: the exponent it raises every key to, its own and
// the askers'. It is derived from the node's signing key and the epoch, so it is never
// stored and changes with the epoch.
type Secret struct{ s *ristretto255.Scalar }

// DeriveSecret derives the epoch secret from a signature over the epoch's name: ed25519
// signatures are deterministic, and only the key's holder can make one.
func DeriveSecret(sign func([]byte) ([]byte, error), epoch string) (Secret, error) {
	sig, err := sign([]byte(epochDomain + epoch))
	if err != nil {
		return Secret{}, fmt.Errorf("psi: deriving the epoch secret: %w", err)
	}
	h := sha512.Sum512(sig)
	return Secret{ristretto255.NewScalar().FromUniformBytes(h[:])}, nil
}

// Fingerprints returns the fingerprints of keys under the secret, in order.
func (s Secret) Fingerprints(keys []string) []uint64 {
	out := make([]uint64, len(keys))
	parallel(len(keys), func(i int) {
		e := hashToGroup(keys[i])
		out[i] = fingerprint(e.ScalarMult(s.s, e))
	})
	return out
}

// ErrElement says a blinded element is not one a query may carry.
var ErrElement = errors.New("not a valid ristretto255 element, or the identity")

// Evaluate raises each blinded element of a query to the secret. It refuses input that
// is not whole elements, and any element that does not decode or is the identity.
func (s Secret) Evaluate(blinded []byte) ([]byte, error) {
	if len(blinded)%ElementSize != 0 {
		return nil, fmt.Errorf("psi: %d bytes are not whole %d-byte elements", len(blinded), ElementSize)
	}
	n := len(blinded) / ElementSize
	out := make([]byte, len(blinded))
	errs := make([]error, n)
	identity := ristretto255.NewElement().Zero()
	parallel(n, func(i int) {
		e := ristretto255.NewElement()
		if err := e.Decode(blinded[i*ElementSize : (i+1)*ElementSize]); err != nil || e.Equal(identity) == 1 {
			errs[i] = fmt.Errorf("psi: element %d: %w", i, ErrElement)
			return
		}
		e.ScalarMult(s.s, e)
		e.Encode(out[i*ElementSize : i*ElementSize : (i+1)*ElementSize])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// SetOf returns the set a holder of persons publishes under the secret.
func (s Secret) SetOf(persons []match.Person) Set {
	var keys []string
	for _, p := range persons {
		keys = append(keys, HolderKeys(p)...)
	}
	return NewSet(s.Fingerprints(keys))
}

// Set is what a holder publishes of its holdings for an epoch: the fingerprints of every
// key of every subject, sorted (which hides which subject each came from) and unique.
type Set []uint64

// NewSet sorts and de-duplicates fingerprints into a Set.
func NewSet(fps []uint64) Set {
	s := slices.Clone(fps)
	slices.Sort(s)
	return Set(slices.Compact(s))
}

// Contains says whether fp is in the set.
func (s Set) Contains(fp uint64) bool {
	_, ok := slices.BinarySearch(s, fp)
	return ok
}

// Encode writes the set as 8 big-endian bytes per fingerprint.
func (s Set) Encode() []byte {
	out := make([]byte, 8*len(s))
	for i, fp := range s {
		binary.BigEndian.PutUint64(out[8*i:], fp)
	}
	return out
}

// DecodeSet reads an encoded set; fingerprints must be strictly ascending, so a set has
// one encoding.
func DecodeSet(b []byte) (Set, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("psi: a set of %d bytes is not whole 8-byte fingerprints", len(b))
	}
	s := make(Set, len(b)/8)
	for i := range s {
		s[i] = binary.BigEndian.Uint64(b[8*i:])
		if i > 0 && s[i] <= s[i-1] {
			return nil, fmt.Errorf("psi: set fingerprint %d is not above the one before", i)
		}
	}
	return s, nil
}

// Query is the asker's side of one private query: its fresh secret and, per person, which
// slot of the blinded elements carries which key. It is used once.
type Query struct {
	secret  *ristretto255.Scalar
	persons []queryPerson
	blinded []byte
}

type queryPerson struct {
	keys  []queryKey
	slots []int // slot of keys[i] among the person's MaxElements
	sizes []int // parts of each name
}

// ErrNoKeys says a person has no name part a private query can use.
var ErrNoKeys = errors.New("no name with a part of two letters or more")

// NewQuery prepares a query about persons with a fresh secret: each person's keys are
// hashed onto the group, blinded, placed in random slots and the rest of its
// MaxElements filled with random elements.
func NewQuery(persons []match.Person) (*Query, error) {
	q := &Query{secret: randomScalar(), blinded: make([]byte, len(persons)*MaxElements*ElementSize)}
	type job struct {
		key  string
		slot int
	}
	var jobs []job
	for pi, p := range persons {
		keys := queryKeys(p)
		if len(keys) == 0 {
			return nil, fmt.Errorf("person %d: %w", pi+1, ErrNoKeys)
		}
		perm := mrand.Perm(MaxElements)
		qp := queryPerson{keys: keys, slots: perm[:len(keys)], sizes: nameSizes(p)}
		for i, k := range keys {
			jobs = append(jobs, job{k.text, pi*MaxElements + qp.slots[i]})
		}
		for _, slot := range perm[len(keys):] {
			jobs = append(jobs, job{"", pi*MaxElements + slot})
		}
		q.persons = append(q.persons, qp)
	}
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		var e *ristretto255.Element
		if j.key == "" {
			e = randomElement()
		} else {
			e = hashToGroup(j.key)
			e.ScalarMult(q.secret, e)
		}
		e.Encode(q.blinded[j.slot*ElementSize : j.slot*ElementSize : (j.slot+1)*ElementSize])
	})
	return q, nil
}

// Blinded returns the query's blinded elements: MaxElements per person, in person order.
func (q *Query) Blinded() []byte { return q.blinded }

// Persons returns how many persons the query asks about.
func (q *Query) Persons() int { return len(q.persons) }

// Result is what an asker learns about one person it asked about.
type Result struct {
	Band Band `json:"band"`
	// Hits are the fingerprints of the person's keys the holder holds, reported back to
	// the holder on a hit so that it knows which of its subjects matched.
	Hits []uint64 `json:"-"`
	// coverage is kept for measuring only; it is never shown or sent.
	coverage float64
}

// Finish unblinds the holder's evaluation of the query and compares it with the
// holder's set. It refuses an evaluation that is not one element for each it sent.
func (q *Query) Finish(evaluated []byte, set Set) ([]Result, error) {
	if len(evaluated) != len(q.blinded) {
		return nil, fmt.Errorf("psi: the answer carries %d bytes of elements; the query sent %d", len(evaluated), len(q.blinded))
	}
	inv := ristretto255.NewScalar().Invert(q.secret)
	out := make([]Result, len(q.persons))
	errs := make([]error, len(q.persons))
	parallel(len(q.persons), func(pi int) {
		qp := q.persons[pi]
		hit := make([]uint64, len(qp.keys))
		for i := range qp.keys {
			at := (pi*MaxElements + qp.slots[i]) * ElementSize
			e := ristretto255.NewElement()
			if err := e.Decode(evaluated[at : at+ElementSize]); err != nil {
				errs[pi] = fmt.Errorf("psi: person %d: %w", pi+1, ErrElement)
				return
			}
			e.ScalarMult(inv, e)
			if fp := fingerprint(e); set.Contains(fp) {
				hit[i] = fp
			}
		}
		out[pi] = qp.score(hit)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// score turns the keys that hit (non-zero fingerprints) into a band: the best name's
// coverage, and whether a hit agreed on the birth year.
func (qp queryPerson) score(hit []uint64) Result {
	named := make([]bool, len(qp.sizes))
	yearAgrees := make([]bool, len(qp.sizes))
	dated := make([]bool, len(qp.sizes))
	var r Result
	for i, k := range qp.keys {
		if hit[i] == 0 {
			continue
		}
		switch k.kind {
		case 'n':
			named[k.name] = true
		case 'y':
			yearAgrees[k.name] = true
		case 'd':
			dated[k.name] = true
		}
		r.Hits = append(r.Hits, hit[i])
	}
	// The best name: one the holder holds, with the birth year agreeing if one does.
	found, year, conflict := false, false, false
	for n := range qp.sizes {
		if !named[n] {
			continue
		}
		switch {
		case yearAgrees[n]:
			found, year, conflict = true, true, false
		case !year && !(found && !conflict):
			found, conflict = true, dated[n]
		}
	}
	if found {
		r.coverage = 1
	}
	switch {
	case found && year:
		r.Band = BandStrong
	case found && !conflict:
		r.Band = BandWeak
	default:
		r.Band = BandNone
		r.Hits = nil
	}
	slices.Sort(r.Hits)
	r.Hits = slices.Compact(r.Hits)
	return r
}
