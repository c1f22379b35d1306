package eval

import (
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"strings"
	"testing"
)

// missCause groups a reachable miss by why a competitor ranked above the alias's entry,
// from the scores and the surnames ("SURNAME, Given") of the three names:
//   - not-in-top-10: the entry scored below ten others;
//   - tie: the competitor scored the same (to 0.005), often the same name twice;
//   - competitor-has-surname: the alias's surname is the competitor's, not the entry's
//     (a cover name, or the entry written in another order);
//   - same-surname: entry and competitor share the alias's surname (relatives), and the
//     given names decide;
//   - one-shared-part: the entry scored under 0.45: the alias shares about one part with
//     it (a relative's name, a partial name);
//   - close-competitor: the rest, where spelling variants of the entry's parts score below
//     a competitor with fewer but exact parts: the ones a general fix can reach.
func missCause(rank int, own, top float64, alias, entry, competitor string) string {
	surname := func(n string) string {
		s, _, _ := strings.Cut(n, ",")
		return strings.ToUpper(strings.TrimSpace(s))
	}
	qs, es, cs := surname(alias), surname(entry), surname(competitor)
	switch {
	case rank < 0:
		return "not-in-top-10"
	case top-own < 0.005:
		return "tie"
	case qs == cs && qs != es:
		return "competitor-has-surname"
	case qs == es && es == cs:
		return "same-surname"
	case own < 0.45:
		return "one-shared-part"
	}
	return "close-competitor"
}

// TestAnalyzeOFAC splits the OFAC alias queries by whether they share any name part with
// their entry (exactly, by phonetic key or name family, by consonant skeleton, or with two
// adjacent parts written as one) and ranks each group. FW_ANALYZE=1 runs it;
// FW_ANALYZE_OUT=file writes the reachable misses there.
func TestAnalyzeOFAC(t *testing.T) {
	if os.Getenv("FW_ANALYZE") == "" {
		testdata.Skip(t, "OFAC alias analysis (a report, not a check)", "set FW_ANALYZE=1 to print it, FW_ANALYZE_OUT=FILE to write the misses")
	}
	entries, aliases, ix := loadOFAC(t)
	if os.Getenv("FW_ANALYZE") == "first" {
		aliases = FirstAliases(aliases)
	}
	prim := map[string]string{}
	for _, e := range entries {
		prim[e.ID] = e.Person.Names[0]
	}
	type tally struct{ n, top1, top10 int }
	causes := map[string]int{}
	by := map[string]*tally{}
	var out strings.Builder
	for _, a := range aliases {
		r := Reach(a.Name, prim[a.EntryID])
		if r == "" {
			r = "unreachable"
		}
		tl := by[r]
		if tl == nil {
			tl = &tally{}
			by[r] = tl
		}
		tl.n++
		hits := ix.SearchName(a.Name, 10)
		rank := -1
		for i, h := range hits {
			if h.ID == a.EntryID {
				rank = i
				break
			}
		}
		if rank == 0 {
			tl.top1++
		}
		if rank >= 0 {
			tl.top10++
		}
		if rank != 0 && r != "unreachable" {
			top := ""
			if len(hits) > 0 {
				top = fmt.Sprintf("%s (%.3f)", hits[0].MatchedName, hits[0].Score)
			}
			own := -1.0
			if rank >= 0 {
				own = hits[rank].Score
			}
			cause := "unranked"
			if len(hits) > 0 {
				cause = missCause(rank, own, hits[0].Score, a.Name, prim[a.EntryID], hits[0].MatchedName)
			}
			causes[cause]++
			fmt.Fprintf(&out, "%d\t%s\t%s\t%s (%.3f)\t%s\t%s\n", rank, r, a.Name, prim[a.EntryID], own, top, cause)
		}
	}
	for c, n := range causes {
		t.Logf("reachable misses, %-24s %4d", c, n)
	}
	all := tally{}
	for r, tl := range by {
		t.Logf("%-14s %5d  top1 %5d (%.1f%%)  top10 %5d (%.1f%%)", r, tl.n, tl.top1, 100*float64(tl.top1)/float64(tl.n), tl.top10, 100*float64(tl.top10)/float64(tl.n))
		if r != "unreachable" {
			all.n += tl.n
			all.top1 += tl.top1
			all.top10 += tl.top10
		}
	}
	t.Logf("reachable      %5d  top1 %5d (%.1f%%)  top10 %5d (%.1f%%); of all %d: %.1f%% reachable", all.n, all.top1, 100*float64(all.top1)/float64(all.n), all.top10, 100*float64(all.top10)/float64(all.n), len(aliases), 100*float64(all.n)/float64(len(aliases)))
	if p := os.Getenv("FW_ANALYZE_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
