package eval

import (
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"strings"
	"testing"
)

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
			fmt.Fprintf(&out, "%d\t%s\t%s\t%s (%.3f)\t%s\n", rank, r, a.Name, prim[a.EntryID], own, top)
		}
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
