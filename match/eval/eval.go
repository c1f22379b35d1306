// Package eval owns measuring the matcher on labelled name data: it reads the OFAC and
// nomenklatura files from readers the caller opens, generates names that belong to nobody
// and synthetic lists of any size, and computes accuracy figures. It keeps this out of
// package match so that the engine stays free of file formats.
package eval

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/forewarn/forewarn/match"
)

// Alias is another name of a list entry: ground truth for person matching.
type Alias struct {
	EntryID string
	Name    string
}

func readAll(r io.Reader, name string) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rows, nil
}

// LoadOFACDir is LoadOFAC over the sdn.csv and alt.csv files in dir.
func LoadOFACDir(dir string) ([]match.Entry, []Alias, error) {
	sdn, err := os.Open(filepath.Join(dir, "sdn.csv"))
	if err != nil {
		return nil, nil, err
	}
	defer sdn.Close()
	alt, err := os.Open(filepath.Join(dir, "alt.csv"))
	if err != nil {
		return nil, nil, err
	}
	defer alt.Close()
	return LoadOFAC(sdn, alt)
}

// LoadOFAC reads the OFAC sdn.csv and alt.csv files (no header) and returns the primary
// names of individuals as entries and the aliases that belong to individuals.
func LoadOFAC(sdn, alt io.Reader) ([]match.Entry, []Alias, error) {
	rows, err := readAll(sdn, "sdn.csv")
	if err != nil {
		return nil, nil, err
	}
	var entries []match.Entry
	ids := map[string]bool{}
	for _, r := range rows {
		if len(r) < 3 || strings.TrimSpace(r[2]) != "individual" {
			continue
		}
		entries = append(entries, match.Entry{ID: r[0], Person: match.Person{Names: []string{strings.TrimSpace(r[1])}}})
		ids[r[0]] = true
	}
	rows, err = readAll(alt, "alt.csv")
	if err != nil {
		return nil, nil, err
	}
	var aliases []Alias
	for _, r := range rows {
		if len(r) < 4 || !ids[r[0]] {
			continue
		}
		aliases = append(aliases, Alias{r[0], strings.TrimSpace(r[3])})
	}
	return entries, aliases, nil
}

// partForms lists the forms under which a name part may meet another: its spelling, its
// phonetic key, its spelling key (family) and its consonant skeleton.
func partForms(p string) []string {
	k := match.PhoneticKey(p)
	return []string{"f:" + p, "k:" + k, "s:" + match.SpellingKey(p), "c:" + match.Skeleton(p)}
}

// Reach says how an alias shares a name part with its entry's name: "exact/variant",
// "skeleton" or "joined", or "" when it shares none under any spelling (a cover name, or
// a relative's name), so that no matcher could find it from the name alone.
func Reach(alias, name string) string { return reach(match.Normalize(alias), match.Normalize(name)) }

func reach(q, e []string) string {
	set := map[string]bool{}
	add := func(parts []string) {
		for _, p := range parts {
			if len(p) < 2 || p == "abu" || p == "abd" {
				continue
			}
			for _, f := range partForms(p) {
				if f[2:] != "" && (f[0] != 'c' || len(f) >= 4) {
					set[f] = true
				}
			}
		}
	}
	joined := func(parts []string) []string {
		var out []string
		for i := 0; i+1 < len(parts); i++ {
			out = append(out, parts[i]+parts[i+1])
		}
		return out
	}
	hit := func(parts []string) string {
		best := ""
		for _, p := range parts {
			if len(p) < 2 || p == "abu" || p == "abd" {
				continue
			}
			for _, f := range partForms(p) {
				if set[f] {
					if f[0] == 'f' || f[0] == 'k' || f[0] == 's' {
						return "exact/variant"
					}
					best = "skeleton"
				}
			}
		}
		return best
	}
	add(e)
	if r := hit(q); r != "" {
		return r
	}
	r := hit(joined(q))
	set = map[string]bool{}
	add(joined(e))
	if r2 := hit(q); r2 != "" || r != "" {
		return "joined"
	}
	return ""
}

// FirstAliases keeps the first alias of each entry, in list order: the selection the
// reference matchers were measured on (2,171 OFAC individuals).
func FirstAliases(aliases []Alias) []Alias {
	seen := map[string]bool{}
	var out []Alias
	for _, a := range aliases {
		if !seen[a.EntryID] {
			seen[a.EntryID] = true
			out = append(out, a)
		}
	}
	return out
}

// Ranking is how often the right entry came first and within the top ten.
type Ranking struct {
	Queries int
	Top1    int
	Top10   int
}

// Top1Rate is the share of queries whose right entry came first.
func (r Ranking) Top1Rate() float64 { return float64(r.Top1) / float64(max(r.Queries, 1)) }

// Top10Rate is the share of queries whose right entry was in the top ten.
func (r Ranking) Top10Rate() float64 { return float64(r.Top10) / float64(max(r.Queries, 1)) }

// RankAliases searches ix with every alias and counts where its own entry ranked.
func RankAliases(ix *match.Index, aliases []Alias) Ranking {
	var r Ranking
	for _, a := range aliases {
		r.Queries++
		for i, h := range ix.SearchName(a.Name, 10) {
			if h.ID == a.EntryID {
				if i == 0 {
					r.Top1++
				}
				r.Top10++
				break
			}
		}
	}
	return r
}

// RankSplit ranks aliases as RankAliases does and also counts, apart, those that share
// some name part with their entry's primary name (Reach): the ones a matcher can find.
func RankSplit(ix *match.Index, entries []match.Entry, aliases []Alias) (all, reachable Ranking) {
	primary := map[string]string{}
	for _, e := range entries {
		primary[e.ID] = e.Person.Names[0]
	}
	for _, a := range aliases {
		r := RankAliases(ix, []Alias{a})
		all.Queries++
		all.Top1 += r.Top1
		all.Top10 += r.Top10
		if Reach(a.Name, primary[a.EntryID]) != "" {
			reachable.Queries++
			reachable.Top1 += r.Top1
			reachable.Top10 += r.Top10
		}
	}
	return all, reachable
}

// Pair is one labelled name pair with the reference matcher's decision.
type Pair struct {
	Name1, Name2 string
	Match        bool
	LogicV2      bool
}

// LoadNomenklatura reads cases.csv and logicv2-frozen.csv and returns the Person pairs
// that logic-v2 scored (541 of cases.csv's 548), with its predicted_match beside the label.
func LoadNomenklatura(cases, frozen io.Reader) ([]Pair, error) {
	cr, err := readAll(cases, "nomenklatura-cases.csv")
	if err != nil {
		return nil, err
	}
	fr, err := readAll(frozen, "nomenklatura-logicv2-frozen.csv")
	if err != nil {
		return nil, err
	}
	col := func(rows [][]string, name string) (int, error) {
		if len(rows) > 0 {
			for i, h := range rows[0] {
				if h == name {
					return i, nil
				}
			}
		}
		return 0, fmt.Errorf("column %q missing", name)
	}
	type key struct{ group, schema, n1, n2, match string }
	cols := func(rows [][]string, names ...string) ([]int, error) {
		var out []int
		for _, n := range names {
			c, err := col(rows, n)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	fc, err := cols(fr, "case_group", "schema", "name1", "name2", "predicted_match")
	if err != nil {
		return nil, fmt.Errorf("nomenklatura-logicv2-frozen.csv: %w", err)
	}
	cc, err := cols(cr, "case_group", "schema", "name1", "name2", "is_match")
	if err != nil {
		return nil, fmt.Errorf("nomenklatura-cases.csv: %w", err)
	}
	// The label comes from cases.csv, which corrects one label of the frozen run.
	label := map[key]string{}
	for _, r := range cr[1:] {
		label[key{r[cc[0]], r[cc[1]], r[cc[2]], r[cc[3]], ""}] = r[cc[4]]
	}
	var pairs []Pair
	for _, r := range fr[1:] {
		k := key{r[fc[0]], r[fc[1]], r[fc[2]], r[fc[3]], ""}
		m, ok := label[k]
		if k.schema != "Person" || !ok {
			continue
		}
		pairs = append(pairs, Pair{k.n1, k.n2, m == "true", r[fc[4]] == "true"})
	}
	return pairs, nil
}

// Confusion counts decisions against labels.
type Confusion struct{ TP, FP, FN, TN int }

// Add records one decision.
func (c *Confusion) Add(truth, predicted bool) {
	switch {
	case truth && predicted:
		c.TP++
	case predicted:
		c.FP++
	case truth:
		c.FN++
	default:
		c.TN++
	}
}

// F1 is the harmonic mean of precision and recall.
func (c Confusion) F1() float64 { return 2 * float64(c.TP) / float64(max(2*c.TP+c.FP+c.FN, 1)) }

// Precision is the share of predicted matches that are matches.
func (c Confusion) Precision() float64 { return float64(c.TP) / float64(max(c.TP+c.FP, 1)) }

// Recall is the share of matches predicted.
func (c Confusion) Recall() float64 { return float64(c.TP) / float64(max(c.TP+c.FN, 1)) }

// ScorePairs decides every pair with CompareNames at threshold and, beside it, tallies
// logic-v2's frozen decisions on the same pairs.
func ScorePairs(pairs []Pair, threshold float64) (ours, logicV2 Confusion) {
	for _, p := range pairs {
		ours.Add(p.Match, match.CompareNames(p.Name1, p.Name2).Score >= threshold)
		logicV2.Add(p.Match, p.LogicV2)
	}
	return ours, logicV2
}

// splitListName cuts an OFAC "SURNAME, Given" name into its surname and given names.
func splitListName(name string) (surname, given string, ok bool) {
	i := strings.IndexByte(name, ',')
	if i < 0 {
		return "", "", false
	}
	surname, given = strings.TrimSpace(name[:i]), strings.TrimSpace(name[i+1:])
	return surname, given, surname != "" && given != ""
}

// nameParts returns the surnames and given names used on a list, in list order.
func nameParts(entries []match.Entry) (surnames, givens []string) {
	for _, e := range entries {
		for _, n := range e.Person.Names {
			if s, g, ok := splitListName(n); ok {
				surnames = append(surnames, s)
				givens = append(givens, g)
			}
		}
	}
	return surnames, givens
}

// Unlisted builds n names, reproducibly from seed, by putting a surname of one entry with
// the given names of another, keeping only names whose parts no single entry holds all
// of: names that belong to nobody on the list. Parts are compared by spelling key, so
// that "TUFAIL, Mohammed" does not count as unlisted beside "TUFAIL, Muhammad".
func Unlisted(entries []match.Entry, n int, seed uint64) []string {
	surnames, givens := nameParts(entries)
	if len(surnames) == 0 {
		return nil
	}
	var sets []map[string]bool
	for _, e := range entries {
		set := map[string]bool{}
		for _, name := range e.Person.Names {
			for _, t := range match.Normalize(name) {
				set[match.SpellingKey(t)] = true
			}
		}
		sets = append(sets, set)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []string
	seen := map[string]bool{}
	for attempts := 0; len(out) < n && attempts < 50*n; attempts++ {
		name := surnames[rng.IntN(len(surnames))] + ", " + givens[rng.IntN(len(givens))]
		if seen[name] {
			continue
		}
		var keys []string
		for _, t := range match.Normalize(name) {
			keys = append(keys, match.SpellingKey(t))
		}
		listed := false
		for _, set := range sets {
			all := true
			for _, k := range keys {
				if !set[k] {
					all = false
					break
				}
			}
			if all {
				listed = true
				break
			}
		}
		if !listed {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// FalseAlarms counts how many of names reach threshold against anything in ix.
func FalseAlarms(ix *match.Index, names []string, threshold float64) int {
	n := 0
	for _, name := range names {
		if hits := ix.SearchName(name, 1); len(hits) > 0 && hits[0].Score >= threshold {
			n++
		}
	}
	return n
}

// Synthetic builds a list of n entries, reproducibly from seed, by recombining the
// surnames and given names of entries, with birth years spread over 1940–2005.
func Synthetic(entries []match.Entry, n int, seed uint64) []match.Entry {
	surnames, givens := nameParts(entries)
	sort.Strings(surnames)
	sort.Strings(givens)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]match.Entry, n)
	for i := range out {
		name := surnames[rng.IntN(len(surnames))] + ", " + givens[rng.IntN(len(givens))]
		out[i] = match.Entry{ID: fmt.Sprintf("S%07d", i), Person: match.Person{
			Names:     []string{name},
			BirthDate: fmt.Sprint(1940 + rng.IntN(66)),
		}}
	}
	return out
}

// Queries builds n search names from a list, reproducibly: each an entry's name, half of
// them with one letter changed, so that retrieval must tolerate typos.
func Queries(entries []match.Entry, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, seed+2))
	out := make([]string, n)
	for i := range out {
		name := entries[rng.IntN(len(entries))].Person.Names[0]
		if i%2 == 1 && len(name) > 4 {
			b := []byte(name)
			p := 1 + rng.IntN(len(b)-2)
			if b[p] >= 'A' && b[p] <= 'Z' {
				b[p] = 'A' + byte(rng.IntN(26))
			}
			name = string(b)
		}
		out[i] = name
	}
	return out
}
