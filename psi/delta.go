package psi

import "fmt"

// Delta is how a holder's set changed between two versions of one epoch: the
// fingerprints that came and those that went, each a Set (sorted, unique). It lets an
// asker that keeps one version reach the next for bytes in proportion to the change
// (docs/private-match.md, "The asker keeps the set").
type Delta struct {
	Added, Removed Set
}

// Len is how many fingerprints the delta carries.
func (d Delta) Len() int { return len(d.Added) + len(d.Removed) }

// Diff returns the delta that takes from to to.
func Diff(from, to Set) Delta {
	return Delta{Added: minus(to, from), Removed: minus(from, to)}
}

// Then returns the one delta that does d and then e.
func (d Delta) Then(e Delta) Delta {
	return Delta{
		Added:   union(minus(d.Added, e.Removed), minus(e.Added, d.Removed)),
		Removed: union(minus(d.Removed, e.Added), minus(e.Removed, d.Added)),
	}
}

// Apply returns the set s becomes under d. It refuses a delta that was not made from s:
// one that removes a fingerprint s lacks, or adds one s has.
func (s Set) Apply(d Delta) (Set, error) {
	if len(d.Removed) > len(s) {
		return nil, fmt.Errorf("psi: the delta removes %d fingerprints from a set of %d", len(d.Removed), len(s))
	}
	out := make(Set, 0, len(s)+len(d.Added)-len(d.Removed))
	i, a, r := 0, 0, 0
	for i < len(s) || a < len(d.Added) {
		switch {
		case r < len(d.Removed) && (i == len(s) || d.Removed[r] < s[i]):
			return nil, fmt.Errorf("psi: the delta removes fingerprint %016x, which the set lacks", d.Removed[r])
		case i < len(s) && r < len(d.Removed) && s[i] == d.Removed[r]:
			i, r = i+1, r+1
		case a < len(d.Added) && i < len(s) && d.Added[a] == s[i]:
			return nil, fmt.Errorf("psi: the delta adds fingerprint %016x, which the set has", d.Added[a])
		case a < len(d.Added) && (i == len(s) || d.Added[a] < s[i]):
			out = append(out, d.Added[a])
			a++
		default:
			out = append(out, s[i])
			i++
		}
	}
	if r < len(d.Removed) {
		return nil, fmt.Errorf("psi: the delta removes fingerprint %016x, which the set lacks", d.Removed[r])
	}
	return out, nil
}

// minus returns the fingerprints of a not in b.
func minus(a, b Set) Set {
	out := Set{}
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j < len(b) && b[j] == x {
			continue
		}
		out = append(out, x)
	}
	return out
}

// union returns the fingerprints of a or b.
func union(a, b Set) Set {
	out := make(Set, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}
