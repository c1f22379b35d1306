package eval

import (
	"github.com/forewarn/forewarn/match"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDiagRetrieval(t *testing.T) {
	if os.Getenv("FW_DIAG") == "" {
		t.Skip()
	}
	entries, aliases, ix := loadOFAC(t)
	prim := map[string]string{}
	for _, e := range entries {
		prim[e.ID] = e.Person.Names[0]
	}
	first := FirstAliases(aliases)
	var out strings.Builder
	lostRetrieval, top1k, top1big := 0, 0, 0
	for _, a := range first {
		small := ix.SearchName(a.Name, 10)
		big := ix.SearchName(a.Name, 2000)
		rs, rb := -1, -1
		for i, h := range small {
			if h.ID == a.EntryID {
				rs = i
				break
			}
		}
		own := -1.0
		for i, h := range big {
			if h.ID == a.EntryID {
				rb = i
				own = h.Score
				break
			}
		}
		if rs == 0 {
			top1k++
		}
		if rb == 0 {
			top1big++
		}
		if rs != 0 && rb == 0 {
			lostRetrieval++
		}
		if rs != 0 && rb >= 0 {
			fmt.Fprintf(&out, "%d\t%d\t%s\t%s (%.3f)\t%s (%.3f)\n", rs, rb, a.Name, prim[a.EntryID], own, big[0].MatchedName, big[0].Score)
		}
	}
	t.Logf("top1 k=10 %d, k=2000 %d, lost by retrieval %d", top1k, top1big, lostRetrieval)
	os.WriteFile("/tmp/diag-match.txt", []byte(out.String()), 0o644)
}

func TestDiagExplain(t *testing.T) {
	qs := os.Getenv("FW_Q")
	if qs == "" {
		t.Skip()
	}
	_, _, ix := loadOFAC(t)
	for _, q := range strings.Split(qs, ";") {
		for i, h := range ix.SearchName(q, 10) {
			if i > 2 {
				break
			}
			t.Logf("%s #%d %s\n%s", q, i, h.MatchedName, h.Explanation.String())
		}
	}
}

func TestDiagFigures(t *testing.T) {
	if os.Getenv("FW_FIG") == "" {
		t.Skip()
	}
	entries, aliases, ix := loadOFAC(t)
	all, reach := RankSplit(ix, entries, FirstAliases(aliases))
	n := FalseAlarms(ix, Unlisted(entries, 2000, 1), 0.76)
	pairs, _ := LoadNomenklatura(open(t, "names", "nomenklatura-cases.csv"), open(t, "names", "nomenklatura-logicv2-frozen.csv"))
	ours, _ := ScorePairs(pairs, 0.76)
	line := fmt.Sprintf("first top1 %d top10 %d | reach %d/%d top1 %d top10 %d | F1 %.4f | FA %d", all.Top1, all.Top10, reach.Queries, all.Queries, reach.Top1, reach.Top10, ours.F1(), n)
	if os.Getenv("FW_FIG") == "all" {
		r := RankAliases(ix, aliases)
		line += fmt.Sprintf(" | all %d top1 %d top10 %d", r.Queries, r.Top1, r.Top10)
	}
	fmt.Println("FIG", line)
	var b strings.Builder
	for _, a := range FirstAliases(aliases) {
		hits := ix.SearchName(a.Name, 10)
		if len(hits) == 0 || hits[0].ID != a.EntryID {
			top, rank := "", -1
			if len(hits) > 0 {
				top = hits[0].MatchedName
			}
			for i, h := range hits {
				if h.ID == a.EntryID {
					rank = i
				}
			}
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", a.EntryID, a.Name, rank, top)
		}
	}
	os.WriteFile("/tmp/fig-"+os.Getenv("FW_LABEL")+".txt", []byte(b.String()), 0o644)
}

func TestDiagNomen(t *testing.T) {
	if os.Getenv("FW_NOM") == "" {
		t.Skip()
	}
	pairs, _ := LoadNomenklatura(open(t, "names", "nomenklatura-cases.csv"), open(t, "names", "nomenklatura-logicv2-frozen.csv"))
	for _, p := range pairs {
		m := match.CompareNames(p.Name1, p.Name2)
		pred := m.Score >= match.DefaultThreshold
		for _, ap := range m.Explanation.Pairs {
			if ap.Similarity == 0.8 && ap.Reason == "variant" {
				t.Logf("truth %v pred %v %.3f %q ~ %q", p.Match, pred, m.Score, p.Name1, p.Name2)
			}
		}
	}
}
