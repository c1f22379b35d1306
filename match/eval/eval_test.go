package eval

import (
	"os"
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
)

func open(t *testing.T, elem ...string) *os.File {
	t.Helper()
	f, err := os.Open(testdata.Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func loadOFAC(t *testing.T) ([]match.Entry, []Alias, *match.Index) {
	t.Helper()
	entries, aliases, err := LoadOFAC(open(t, "names", "ofac", "sdn.csv"), open(t, "names", "ofac", "alt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ix := match.NewIndex()
	for _, e := range entries {
		if err := ix.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	return entries, aliases, ix
}

func TestOFACAliasesFindTheirEntry(t *testing.T) {
	entries, aliases, ix := loadOFAC(t)
	if len(entries) != 4620 {
		t.Fatalf("individuals = %d, want 4620", len(entries))
	}
	r := RankAliases(ix, aliases)
	t.Logf("%d alias queries: top-1 %.1f%%, top-10 %.1f%%", r.Queries, 100*r.Top1Rate(), 100*r.Top10Rate())
	if r.Top1Rate() < 0.85 {
		t.Errorf("top-1 = %.3f, want >= 0.85", r.Top1Rate())
	}
	if r.Top10Rate() < 0.89 {
		t.Errorf("top-10 = %.3f, want >= 0.89", r.Top10Rate())
	}
}

func TestNomenklaturaF1(t *testing.T) {
	pairs, err := LoadNomenklatura(open(t, "names", "nomenklatura-cases.csv"), open(t, "names", "nomenklatura-logicv2-frozen.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 541 {
		t.Fatalf("person pairs = %d, want 541", len(pairs))
	}
	ours, ref := ScorePairs(pairs, match.DefaultThreshold)
	t.Logf("F1 %.3f (logic-v2 %.3f)", ours.F1(), ref.F1())
	if ours.F1() < 0.85 {
		t.Errorf("F1 = %.3f, want >= 0.85 (%+v)", ours.F1(), ours)
	}
}

func TestUnlistedNamesRarelyAlarm(t *testing.T) {
	entries, _, ix := loadOFAC(t)
	names := Unlisted(entries, 2000, 1)
	if len(names) != 2000 {
		t.Fatalf("generated %d names, want 2000", len(names))
	}
	n := FalseAlarms(ix, names, match.DefaultThreshold)
	rate := float64(n) / float64(len(names))
	t.Logf("false alarms: %d of %d (%.2f%%)", n, len(names), 100*rate)
	if rate >= 0.005 {
		t.Errorf("false alarm rate %.4f, want < 0.005", rate)
	}
}
