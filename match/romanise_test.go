package match

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

// romanisationPairs reads match/testdata/romanisation-pairs.csv: one person's name written
// in two romanisation systems, taken from the published tables of each system (not from a
// sanctions list).
func romanisationPairs(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "romanisation-pairs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// Every pair scores at or above the default threshold, and every system has at least 20.
func TestRomanisationSystemsMeet(t *testing.T) {
	per := map[string]int{}
	for _, r := range romanisationPairs(t) {
		system, a, b, note := r[0], r[1], r[2], r[3]
		per[system]++
		if m := CompareNames(a, b); m.Score < DefaultThreshold {
			t.Errorf("%s (%s): %q ~ %q = %.3f, want >= %.2f\n%s", system, note, a, b, m.Score, DefaultThreshold, m.Explanation)
		}
	}
	for _, system := range []string{"korean", "chinese", "arabic", "cyrillic", "turkish"} {
		if per[system] < 20 {
			t.Errorf("%s: %d pairs, want at least 20", system, per[system])
		}
	}
}
