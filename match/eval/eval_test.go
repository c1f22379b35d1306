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

// Issue 3 asked for 85% first and 89% in the top ten over all 6,272 aliases; 12.9% of
// them share no name part with their entry under any spelling (TestAnalyzeOFAC), so that
// target was above the ceiling. Issue 16 replaced it with the selection the reference
// matchers were measured on, the first alias of each of the 2,171 individuals: 84% first
// and 89% in the top ten. These floors hold what the engine reaches, so that a change
// cannot slip back unnoticed; the figures measured through forewarn screen are in
// cmd/forewarn (TestScreenRanksOFACFirstAliases).
const (
	ofacTop1Floor  = 0.761
	ofacTop10Floor = 0.839
	watchmanTop1   = 0.726
	watchmanTop10  = 0.811

	firstTop1Floor   = 0.840
	firstTop10Floor  = 0.893
	firstTop1Target  = 0.84
	firstTop10Target = 0.89
)

func TestOFACAliasesFindTheirEntry(t *testing.T) {
	entries, aliases, ix := loadOFAC(t)
	if len(entries) != 4620 {
		t.Fatalf("individuals = %d, want 4620", len(entries))
	}
	r := RankAliases(ix, aliases)
	t.Logf("%d alias queries: top-1 %.1f%%, top-10 %.1f%% (watchman %.1f%%, %.1f%%)",
		r.Queries, 100*r.Top1Rate(), 100*r.Top10Rate(), 100*watchmanTop1, 100*watchmanTop10)
	if r.Top1Rate() < ofacTop1Floor || r.Top1Rate() <= watchmanTop1 {
		t.Errorf("top-1 = %.3f, want >= %.3f (and above watchman's %.3f)", r.Top1Rate(), ofacTop1Floor, watchmanTop1)
	}
	if r.Top10Rate() < ofacTop10Floor || r.Top10Rate() <= watchmanTop10 {
		t.Errorf("top-10 = %.3f, want >= %.3f (and above watchman's %.3f)", r.Top10Rate(), ofacTop10Floor, watchmanTop10)
	}
}

func TestOFACFirstAliasesFindTheirEntry(t *testing.T) {
	entries, aliases, ix := loadOFAC(t)
	first := FirstAliases(aliases)
	if len(first) != 2171 {
		t.Fatalf("first aliases = %d, want 2171", len(first))
	}
	all, reach := RankSplit(ix, entries, first)
	t.Logf("first alias of %d individuals: top-1 %.1f%%, top-10 %.1f%% (target %.0f%%, %.0f%%); the %d reachable: %.1f%%, %.1f%%",
		all.Queries, 100*all.Top1Rate(), 100*all.Top10Rate(), 100*firstTop1Target, 100*firstTop10Target, reach.Queries, 100*reach.Top1Rate(), 100*reach.Top10Rate())
	if all.Top1Rate() < firstTop1Floor {
		t.Errorf("top-1 = %.3f, want >= %.3f", all.Top1Rate(), firstTop1Floor)
	}
	if all.Top10Rate() < firstTop10Floor {
		t.Errorf("top-10 = %.3f, want >= %.3f", all.Top10Rate(), firstTop10Floor)
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
	if ours.F1() < 0.86 {
		t.Errorf("F1 = %.3f, want >= 0.86 (%+v)", ours.F1(), ours)
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

// TestPrivateAccuracy holds the private matcher's figures (docs/private-match.md): the
// floors are what it reaches, so that a change that loses recall or adds false alarms
// fails here; the gap to the plaintext matcher at the same false-alarm rate is printed.
func TestPrivateAccuracy(t *testing.T) {
	entries, aliases, ix := loadOFAC(t)
	of := PrivateOFAC(entries, FirstAliases(aliases), Unlisted(entries, 2000, 1), ix)
	t.Logf("OFAC first aliases: private recall %.3f at false alarms %.4f; plaintext %.3f at %.4f (threshold %.2f), %.3f at its default", of.PrivateRecall, of.FalseAlarmRate, of.PlainRecall, of.PlainFalseAlarmRate, of.PlainThreshold, of.DefaultRecall)
	pairs, err := LoadNomenklatura(open(t, "names", "nomenklatura-cases.csv"), open(t, "names", "nomenklatura-logicv2-frozen.csv"))
	if err != nil {
		t.Fatal(err)
	}
	nk := PrivateNomenklatura(pairs)
	t.Logf("nomenklatura: private recall %.3f at false alarms %.4f; plaintext %.3f at %.4f (threshold %.2f), %.3f at its default", nk.PrivateRecall, nk.FalseAlarmRate, nk.PlainRecall, nk.PlainFalseAlarmRate, nk.PlainThreshold, nk.DefaultRecall)
	// Floors and ceilings at what the keys reach (the matcher's readings, issue 17's third
	// step). The target is a gap of 5 points at most, which both meet; the
	// ceiling is 6 so that a gain of the plaintext matcher (issue 16, landing beside)
	// shows in the log before it fails here.
	for _, c := range []struct {
		name              string
		f                 PrivateFigures
		floor, fa, maxGap float64
	}{
		{"OFAC", of, 0.72, 0.05, 0.06}, // plaintext gained with issue 16's third-session rules (0.765 → 0.770)
		{"nomenklatura", nk, 0.82, 0.195, 0.06},
	} {
		gap := c.f.PlainRecall - c.f.PrivateRecall
		t.Logf("%s: gap %.1f points (target 5)", c.name, 100*gap)
		if c.f.PrivateRecall < c.floor || c.f.FalseAlarmRate > c.fa || gap > c.maxGap {
			t.Errorf("%s: private recall %.3f (floor %.2f), false alarms %.4f (ceiling %.2f), gap to plaintext %.3f (ceiling %.2f)",
				c.name, c.f.PrivateRecall, c.floor, c.f.FalseAlarmRate, c.fa, gap, c.maxGap)
		}
	}
}
