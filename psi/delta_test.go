package psi

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestDelta: a delta made by Diff, alone or chained with Then, takes one version of a set
// to the other; one not made from the set it is applied to is refused.
func TestDelta(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) Set {
		fps := make([]uint64, n)
		for i := range fps {
			fps[i] = r.Uint64() % 5000
		}
		return NewSet(fps)
	}
	v1, v2, v3 := random(2000), random(2000), random(1500)
	d12, d23 := Diff(v1, v2), Diff(v2, v3)
	for _, c := range []struct {
		name     string
		from, to Set
		d        Delta
	}{{"one step", v1, v2, d12}, {"two steps", v1, v3, d12.Then(d23)}, {"nothing", v2, v2, Diff(v2, v2)}, {"to empty", v3, Set{}, Diff(v3, Set{})}} {
		got, err := c.from.Apply(c.d)
		if err != nil || !slices.Equal(got, c.to) {
			t.Errorf("%s: %d fingerprints, %v; want %d", c.name, len(got), err, len(c.to))
		}
	}
	if d := Diff(v2, v2); d.Len() != 0 {
		t.Errorf("a set's delta to itself carries %d fingerprints", d.Len())
	}
	for _, c := range []struct {
		name, want string
		d          Delta
	}{
		{"removes what the set lacks", "lacks", Delta{Removed: Set{v1[0] + 1}}},
		{"removes past the end", "lacks", Delta{Removed: Set{^uint64(0)}}},
		{"adds what the set has", "has", Delta{Added: Set{v1[3]}}},
		{"made from another version", "", d23},
		{"removes more than the set holds", "removes", Delta{Removed: random(3000)}},
	} {
		if v1[0]+1 == v1[1] && c.want == "lacks" {
			continue
		}
		if _, err := v1.Apply(c.d); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want it refused (%q)", c.name, err, c.want)
		}
	}
}
