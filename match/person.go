package match

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// DefaultThreshold is the score at or above which the engine recommends treating two
// persons as a match.
const DefaultThreshold = 0.76

// Person is what the engine knows about a person: any of the fields may be empty.
type Person struct {
	Names []string `json:"names"`
	// BirthDate is YYYY, YYYY-MM or YYYY-MM-DD.
	BirthDate     string   `json:"birth_date,omitempty"`
	Nationalities []string `json:"nationalities,omitempty"`
	Gender        string   `json:"gender,omitempty"`
	Documents     []string `json:"documents,omitempty"`
}

// Effects of person attributes on the name score.
const (
	birthFullAgree    = 0.05
	birthPartialAgree = 0.03
	birthNearYear     = -0.10
	birthYearConflict = -0.35
	birthMonthDiffers = -0.12
	birthDayDiffers   = -0.08
	nationalityAgree  = 0.02
	nationalityDiffer = -0.08
	genderDiffers     = -0.20
	documentFloor     = 0.95
)

// BirthDate is a possibly partial date of birth.
type BirthDate struct {
	Year, Month, Day int
}

// ParseBirthDate parses YYYY, YYYY-MM or YYYY-MM-DD; the empty string is no date.
func ParseBirthDate(s string) (BirthDate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return BirthDate{}, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return BirthDate{}, fmt.Errorf("birth date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	var d BirthDate
	limits := []struct{ lo, hi int }{{1800, 2200}, {1, 12}, {1, 31}}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < limits[i].lo || v > limits[i].hi || (i > 0 && len(p) != 2) {
			return BirthDate{}, fmt.Errorf("birth date %q: want YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
		switch i {
		case 0:
			d.Year = v
		case 1:
			d.Month = v
		case 2:
			d.Day = v
		}
	}
	return d, nil
}

// PreparedPerson is a person with names prepared once for many comparisons.
type PreparedPerson struct {
	Person
	names []Name
	birth BirthDate
	docs  []string
}

// PreparePerson normalises a person's names and attributes; a malformed birth date is
// ignored here (callers that read input validate it with ParseBirthDate).
func PreparePerson(p Person) PreparedPerson {
	pp := PreparedPerson{Person: p}
	for i, n := range p.Names {
		if name := Prepare(n); len(name.tokens) > 0 {
			name.orig = i
			pp.names = append(pp.names, name)
		}
	}
	pp.birth, _ = ParseBirthDate(p.BirthDate)
	for _, d := range p.Documents {
		if nd := normalizeDocument(d); nd != "" {
			pp.docs = append(pp.docs, nd)
		}
	}
	return pp
}

// normalizeDocument keeps only the letters and digits of a document number, upper-cased.
func normalizeDocument(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// Result is a scored, explained comparison of two persons.
type Result struct {
	Score       float64     `json:"score"`
	MatchedName string      `json:"matched_name"`
	Explanation Explanation `json:"explanation"`
	// common is how many parts of the query name aligned, for ranking equal scores.
	common int
}

// ComparePersons scores how likely q and c are the same person: the best pair of their
// names, adjusted by birth date, nationality, gender and identity documents.
func ComparePersons(q, c Person) Result {
	pq, pc := PreparePerson(q), PreparePerson(c)
	return comparePrepared(&pq, &pc, true, nil)
}

// bestNames returns the best-aligned pair of names of two persons and their alignment,
// which is one of the two in buf: each pair is aligned into the one not holding the best
// so far, so that no alignment is copied.
func bestNames(q, c *PreparedPerson, memo *simMemo, buf *[2]alignment) (int, int, *alignment) {
	bi, bj := -1, -1
	best, al := &buf[0], &buf[1]
	for i := range q.names {
		for j := range c.names {
			if c.names[j].unreached {
				continue
			}
			alignInto(al, &q.names[i], &c.names[j], memo)
			if bi < 0 || al.score > best.score {
				bi, bj = i, j
				best, al = al, best
			}
		}
	}
	return bi, bj, best
}

func comparePrepared(q, c *PreparedPerson, withExplanation bool, memo *simMemo) Result {
	var buf [2]alignment
	i, j, al := bestNames(q, c, memo, &buf)
	var r Result
	var checks []AttributeCheck
	score := 0.0
	if i >= 0 {
		score = al.score
		r.MatchedName = c.names[j].Original
		for _, p := range al.pairs() {
			r.common += int(p.na)
		}
	}
	lift := i >= 0 && al.surnameOnly != 0 && attributesAgree(q, c)
	if lift {
		// The surname alone is weak evidence; with a birth date, nationality or
		// document that agree it is evidence enough to be shown.
		score = al.beforeSurnameOnly
	}
	score, checks = adjustForAttributes(score, q, c, withExplanation)
	r.Score = round(min(max(score, 0), 1))
	if withExplanation {
		if i >= 0 {
			r.Explanation = explain(&q.names[i], &c.names[j], al)
			if lift {
				r.Explanation.liftSurnameOnly()
			}
		} else {
			r.Explanation = Explanation{Reasons: []string{}}
		}
		r.Explanation.Score = r.Score
		r.Explanation.Attributes = checks
	}
	return r
}

// attributesAgree reports whether a birth date, a nationality or a document of q and c
// agree (any one is enough).
func attributesAgree(q, c *PreparedPerson) bool {
	if qb, cb := q.birth, c.birth; qb.Year != 0 && qb.Year == cb.Year &&
		(qb.Month == 0 || cb.Month == 0 || qb.Month == cb.Month) && (qb.Day == 0 || cb.Day == 0 || qb.Day == cb.Day) {
		return true
	}
	if len(q.Nationalities) > 0 && len(c.Nationalities) > 0 && overlap(q.Nationalities, c.Nationalities) {
		return true
	}
	for _, d := range q.docs {
		for _, e := range c.docs {
			if d == e {
				return true
			}
		}
	}
	return false
}

func adjustForAttributes(score float64, q, c *PreparedPerson, explain bool) (float64, []AttributeCheck) {
	var checks []AttributeCheck
	add := func(attr, qv, cv, outcome string, effect float64) {
		score += effect
		if explain {
			checks = append(checks, AttributeCheck{attr, qv, cv, outcome, effect})
		}
	}
	if qb, cb := q.birth, c.birth; qb.Year != 0 && cb.Year != 0 {
		switch {
		case qb.Year != cb.Year && abs(qb.Year-cb.Year) == 1:
			add("birth_date", q.BirthDate, c.BirthDate, "year-differs-by-one", birthNearYear)
		case qb.Year != cb.Year:
			add("birth_date", q.BirthDate, c.BirthDate, "year-conflict", birthYearConflict)
		case qb.Month != 0 && cb.Month != 0 && qb.Month != cb.Month:
			add("birth_date", q.BirthDate, c.BirthDate, "month-conflict", birthMonthDiffers)
		case qb.Day != 0 && cb.Day != 0 && qb.Day != cb.Day:
			add("birth_date", q.BirthDate, c.BirthDate, "day-conflict", birthDayDiffers)
		case qb.Day != 0 && cb.Day != 0:
			add("birth_date", q.BirthDate, c.BirthDate, "agree", birthFullAgree)
		default:
			add("birth_date", q.BirthDate, c.BirthDate, "agree-partial", birthPartialAgree)
		}
	}
	if len(q.Nationalities) > 0 && len(c.Nationalities) > 0 {
		if overlap(q.Nationalities, c.Nationalities) {
			add("nationality", strings.Join(q.Nationalities, " "), strings.Join(c.Nationalities, " "), "agree", nationalityAgree)
		} else {
			add("nationality", strings.Join(q.Nationalities, " "), strings.Join(c.Nationalities, " "), "conflict", nationalityDiffer)
		}
	}
	if qg, cg := genderCode(q.Gender), genderCode(c.Gender); qg != "" && cg != "" && qg != cg {
		add("gender", q.Gender, c.Gender, "conflict", genderDiffers)
	}
	for _, d := range q.docs {
		for _, e := range c.docs {
			if d == e {
				// The same document number is strong evidence whatever the names say.
				add("document", d, e, "agree", max(documentFloor-score, 0.05))
				return score, checks
			}
		}
	}
	return score, checks
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y)) {
				return true
			}
		}
	}
	return false
}

func genderCode(g string) string {
	switch strings.ToLower(strings.TrimSpace(g)) {
	case "m", "male", "man":
		return "m"
	case "f", "female", "woman":
		return "f"
	}
	return ""
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
