package eval

import (
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/psi"
)

// PrivateFigures compares private matching (package psi) with the plaintext matcher on
// one data set, at a fixed false-alarm rate: the private matcher's, which its keys fix.
// The plaintext threshold is the lowest on a 0.01 grid whose false alarms do not exceed
// the private matcher's.
type PrivateFigures struct {
	Positives, Negatives int
	PrivateRecall        float64
	FalseAlarmRate       float64 // the private matcher's
	PlainThreshold       float64
	PlainRecall          float64 // at PlainThreshold
	PlainFalseAlarmRate  float64 // at PlainThreshold
	DefaultRecall        float64 // the plaintext matcher at match.DefaultThreshold
	DefaultFalseAlarm    float64
}

// privateHit says whether asking privately about name, of a holder of h, is a hit.
func privateHit(name string, h psi.Holdings) bool {
	b, _ := psi.Score(match.Person{Names: []string{name}}, h)
	return b != psi.BandNone
}

// compare fills the plaintext side from the scores of the positives and the negatives.
func compare(f PrivateFigures, pos, neg []float64) PrivateFigures {
	rate := func(xs []float64, t float64) float64 {
		n := 0
		for _, x := range xs {
			if x >= t {
				n++
			}
		}
		return float64(n) / float64(max(len(xs), 1))
	}
	f.DefaultRecall, f.DefaultFalseAlarm = rate(pos, match.DefaultThreshold), rate(neg, match.DefaultThreshold)
	for t := 0.30; t <= 1.0001; t += 0.01 {
		if fa := rate(neg, t); fa <= f.FalseAlarmRate {
			f.PlainThreshold, f.PlainRecall, f.PlainFalseAlarmRate = t, rate(pos, t), fa
			break
		}
	}
	return f
}

// PrivateOFAC measures on the OFAC selection: each alias asked of a holder of its
// entry's primary name (recall), and each name on nobody's list asked of a holder of
// every primary name (false alarms; for the plaintext matcher, the best hit of ix).
func PrivateOFAC(entries []match.Entry, aliases []Alias, unlisted []string, ix *match.Index) PrivateFigures {
	primary := map[string]string{}
	all := psi.Holdings{}
	for _, e := range entries {
		primary[e.ID] = e.Person.Names[0]
		all.Add(e.Person)
	}
	var f PrivateFigures
	var pos, neg []float64
	hits := 0
	for _, a := range aliases {
		f.Positives++
		pos = append(pos, match.CompareNames(a.Name, primary[a.EntryID]).Score)
		h := psi.Holdings{}
		h.Add(match.Person{Names: []string{primary[a.EntryID]}})
		if privateHit(a.Name, h) {
			hits++
		}
	}
	alarms := 0
	for _, n := range unlisted {
		f.Negatives++
		s := 0.0
		if hs := ix.SearchName(n, 1); len(hs) > 0 {
			s = hs[0].Score
		}
		neg = append(neg, s)
		if privateHit(n, all) {
			alarms++
		}
	}
	f.PrivateRecall = float64(hits) / float64(max(f.Positives, 1))
	f.FalseAlarmRate = float64(alarms) / float64(max(f.Negatives, 1))
	return compare(f, pos, neg)
}

// PrivateNomenklatura measures on the labelled pairs: Name1 asked of a holder of Name2.
func PrivateNomenklatura(pairs []Pair) PrivateFigures {
	var f PrivateFigures
	var pos, neg []float64
	hits, alarms := 0, 0
	for _, p := range pairs {
		h := psi.Holdings{}
		h.Add(match.Person{Names: []string{p.Name2}})
		hit := privateHit(p.Name1, h)
		s := match.CompareNames(p.Name1, p.Name2).Score
		if p.Match {
			f.Positives++
			pos = append(pos, s)
			if hit {
				hits++
			}
		} else {
			f.Negatives++
			neg = append(neg, s)
			if hit {
				alarms++
			}
		}
	}
	f.PrivateRecall = float64(hits) / float64(max(f.Positives, 1))
	f.FalseAlarmRate = float64(alarms) / float64(max(f.Negatives, 1))
	return compare(f, pos, neg)
}
