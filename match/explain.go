package match

import (
	"fmt"
	"math"
	"strings"
)

// Explanation says why two names or persons scored as they did: which parts aligned with
// which and why, every penalty, and every attribute checked.
type Explanation struct {
	Score      float64          `json:"score"`
	Query      string           `json:"query"`
	Candidate  string           `json:"candidate"`
	NameScore  float64          `json:"name_score"`
	Reasons    []string         `json:"reasons"`
	Pairs      []AlignedPair    `json:"pairs"`
	Penalties  []Penalty        `json:"penalties,omitempty"`
	Attributes []AttributeCheck `json:"attributes,omitempty"`
	// Notes say in words what a reader must know before acting on the score: that the
	// match rests only on a surname, or that a title was set aside.
	Notes []string `json:"notes,omitempty"`
}

// AlignedPair is one part of the query name aligned with one part of the candidate.
// Weight is how much the pair counts: 1 for an ordinary name part, less for an initial,
// a prefix such as "Abd" or a name common on the list searched, more for a rare one.
type AlignedPair struct {
	Query      string  `json:"query"`
	Candidate  string  `json:"candidate"`
	Similarity float64 `json:"similarity"`
	Reason     string  `json:"reason"`
	Weight     float64 `json:"weight"`
}

// Penalty is a reason the score is lower than the aligned parts alone would give.
type Penalty struct {
	Code   string   `json:"code"`
	Parts  []string `json:"parts,omitempty"`
	Effect float64  `json:"effect"`
}

// Penalty codes.
const (
	PenaltyConflict   = "unmatched-conflict"
	PenaltyExtra      = "unmatched-extra"
	PenaltySinglePart = "single-part-name"
	PenaltySurname    = "surname-unmatched"
	PenaltyWeak       = "weak-alignment"
	PenaltyReordered  = "reordered"
	// PenaltySurnameOnly: only the surname of a "SURNAME, Given" name was found.
	PenaltySurnameOnly = "surname-only"
)

// AttributeCheck is the comparison of one person attribute (birth date, nationality,
// gender, document) and what it did to the score.
type AttributeCheck struct {
	Attribute string  `json:"attribute"`
	Query     string  `json:"query"`
	Candidate string  `json:"candidate"`
	Outcome   string  `json:"outcome"`
	Effect    float64 `json:"effect"`
}

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

// reasonOrder is the order in which an explanation lists its reasons.
var reasonOrder = [...]string{ReasonReordered, ReasonExact, ReasonDiacritics, ReasonTransliteration, ReasonVariant, ReasonFamily,
	ReasonSkeleton, ReasonArticle, ReasonRomanisation, ReasonPhonetic, ReasonEdit, ReasonInitial, ReasonJoined}

// explain turns an alignment into an Explanation.
func explain(x, y *Name, al *alignment) Explanation {
	e := Explanation{Score: round(al.score), NameScore: round(al.score), Query: x.Original, Candidate: y.Original}
	// Reasons are listed in reasonOrder; a small set of flags collects them.
	var reasons uint32
	mark := func(r string) {
		for i, o := range reasonOrder {
			if o == r {
				reasons |= 1 << i
			}
		}
	}
	raws := func(n *Name, idx [3]int8, cnt int8) string {
		s := n.tokens[idx[0]].raw
		for _, i := range idx[1:cnt] {
			s += " " + n.tokens[i].raw
		}
		return s
	}
	e.Pairs = make([]AlignedPair, 0, al.npairs)
	for _, p := range al.pairs() {
		if p.na == 0 {
			continue
		}
		e.Pairs = append(e.Pairs, AlignedPair{raws(x, p.a, p.na), raws(y, p.b, p.nb), round(p.sim.score), p.sim.reason, round(pairWeight(x, y, &p))})
		mark(p.sim.reason)
		// A diacritic difference can hide behind a stronger reason; name it anyway.
		if p.na == 1 && p.nb == 1 && p.sim.reason != ReasonDiacritics && (x.tokens[p.a[0]].diacritics || y.tokens[p.b[0]].diacritics) {
			mark(ReasonDiacritics)
		}
	}
	if al.reordered {
		mark(ReasonReordered)
	}
	for i, r := range reasonOrder {
		if reasons&(1<<i) != 0 {
			e.Reasons = append(e.Reasons, r)
		}
	}
	var ua, ub []string
	for _, i := range al.unmatchedA() {
		ua = append(ua, x.tokens[i].raw)
	}
	for _, j := range al.unmatchedB() {
		ub = append(ub, y.tokens[j].raw)
	}
	num := al.score
	if al.reordered && x.commaOrder == y.commaOrder {
		num /= reorderFactor
	}
	if al.single {
		num /= singlePartFactor
	}
	num *= al.matchedW + al.weak + conflictWeight*al.conflict + extraWeight*al.extra + surnameWeight*(al.surnameA+al.surnameB)
	// Each penalty's effect is the score it takes away after the ones listed before it,
	// so that the effects add up to the whole difference.
	den := al.matchedW
	effect := func(drop float64) float64 {
		if den <= 0 || den+drop <= 0 {
			den += drop
			return 0
		}
		e := round(num/den - num/(den+drop))
		den += drop
		return e
	}
	if al.weak > 0 {
		var weak []string
		for _, p := range e.Pairs {
			if p.Similarity < weakKnee {
				weak = append(weak, p.Query+" ~ "+p.Candidate)
			}
		}
		e.Penalties = append(e.Penalties, Penalty{PenaltyWeak, weak, effect(al.weak)})
	}
	larger := ua
	if al.extra > 0 && len(ub) > 0 && (len(ua) == 0 || sumWeights(y, al.unmatchedB()) > sumWeights(x, al.unmatchedA())) {
		larger = ub
	}
	if al.conflict > 0 {
		e.Penalties = append(e.Penalties, Penalty{PenaltyConflict, append(append([]string(nil), ua...), ub...), effect(conflictWeight * al.conflict)})
		if al.extra > 0 {
			e.Penalties = append(e.Penalties, Penalty{PenaltyExtra, larger, effect(extraWeight * al.extra)})
		}
	} else if al.extra > 0 {
		e.Penalties = append(e.Penalties, Penalty{PenaltyExtra, append(ua, ub...), effect(extraWeight * al.extra)})
	}
	if al.surnameA > 0 {
		e.Penalties = append(e.Penalties, Penalty{PenaltySurname, surnameParts(x), effect(surnameWeight * al.surnameA)})
	}
	if al.surnameB > 0 {
		e.Penalties = append(e.Penalties, Penalty{PenaltySurname, surnameParts(y), effect(surnameWeight * al.surnameB)})
	}
	// The two factors apply last, single part before order; undo them in reverse.
	if al.single {
		before := al.score
		if al.reordered && x.commaOrder == y.commaOrder {
			before /= reorderFactor
		}
		e.Penalties = append(e.Penalties, Penalty{PenaltySinglePart, nil, round(before/singlePartFactor - before)})
	}
	if al.reordered && x.commaOrder == y.commaOrder {
		e.Penalties = append(e.Penalties, Penalty{PenaltyReordered, nil, round(al.score/reorderFactor - al.score)})
	}
	if al.surnameOnly != 0 {
		n := x
		if al.surnameOnly == 2 {
			n = y
		}
		parts := surnameParts(n)
		e.Penalties = append(e.Penalties, Penalty{PenaltySurnameOnly, parts, round(al.beforeSurnameOnly - al.score)})
		e.Notes = append(e.Notes, fmt.Sprintf("shares only the surname %s%s", strings.Join(parts, " "), surnameOnlyRule))
	}
	for _, side := range [...]struct {
		who string
		n   *Name
	}{{"query", x}, {"candidate", y}} {
		if !side.n.titled {
			continue
		}
		for _, t := range nameTitles(side.n.Original) {
			e.Notes = append(e.Notes, fmt.Sprintf("%s title %q set aside: a title is not a name part", side.who, t))
		}
	}
	if len(e.Pairs) == 0 {
		e.Reasons = []string{}
	}
	return e
}

const surnameOnlyRule = ": below the threshold unless birth date, nationality or document agree"

// liftSurnameOnly records that agreeing attributes lifted the surname-only discount.
func (e *Explanation) liftSurnameOnly() {
	for i, p := range e.Penalties {
		if p.Code == PenaltySurnameOnly {
			e.Penalties = append(e.Penalties[:i], e.Penalties[i+1:]...)
			e.NameScore = round(e.NameScore + p.Effect)
			break
		}
	}
	for i, n := range e.Notes {
		if strings.HasSuffix(n, surnameOnlyRule) {
			e.Notes[i] = strings.TrimSuffix(n, surnameOnlyRule) + ", and other attributes agree"
		}
	}
}

func sumWeights(n *Name, idx []int8) float64 {
	w := 0.0
	for _, i := range idx {
		w += n.tokens[i].weight
	}
	return w
}

func surnameParts(n *Name) []string {
	var parts []string
	for _, t := range n.tokens {
		if t.surname {
			parts = append(parts, t.raw)
		}
	}
	return parts
}

// String renders the explanation for a person reading it.
func (e Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.3f %q ~ %q", e.Score, e.Query, e.Candidate)
	if len(e.Reasons) > 0 {
		fmt.Fprintf(&b, " [%s]", strings.Join(e.Reasons, ", "))
	}
	b.WriteByte('\n')
	for _, p := range e.Pairs {
		fmt.Fprintf(&b, "  %s ~ %s: %s %.2f", p.Query, p.Candidate, p.Reason, p.Similarity)
		if p.Weight != 1 {
			fmt.Fprintf(&b, " (weight %.2f)", p.Weight)
		}
		b.WriteByte('\n')
	}
	for _, p := range e.Penalties {
		fmt.Fprintf(&b, "  penalty %s", p.Code)
		if len(p.Parts) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(p.Parts, ", "))
		}
		fmt.Fprintf(&b, ": -%.3f\n", p.Effect)
	}
	for _, a := range e.Attributes {
		fmt.Fprintf(&b, "  %s %s vs %s: %s %+.3f\n", a.Attribute, a.Query, a.Candidate, a.Outcome, a.Effect)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// NameMatch is the result of comparing two names.
type NameMatch struct {
	Score       float64
	Explanation Explanation
}

// CompareNames scores how likely two names denote the same person, from 0 to 1,
// independent of name order, and explains the score.
func CompareNames(a, b string) NameMatch {
	x, y := Prepare(a), Prepare(b)
	return ComparePrepared(&x, &y)
}

// ComparePrepared is CompareNames for names prepared once with Prepare.
func ComparePrepared(x, y *Name) NameMatch {
	al := align(x, y, nil)
	return NameMatch{Score: al.score, Explanation: explain(x, y, &al)}
}
