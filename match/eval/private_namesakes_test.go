package eval

import (
	"os"
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/psi"
)

// TestPrivateNamesakes asks, in the clear (psi.Score decides as the protocol does), the
// 100 persons of BenchmarkPrivateQuery of its holder of 100,000 synthetic subjects built
// from OFAC name parts: the 50 held must all be strong; of the 50 nobody holds, it prints
// how many come back weak or strong (namesakes the core and typo keys meet) and the keys
// the holder holds a subject. FW_ANALYZE=namesakes runs it (about a minute).
func TestPrivateNamesakes(t *testing.T) {
	if os.Getenv("FW_ANALYZE") != "namesakes" {
		testdata.Skip(t, "private namesakes against 100,000 subjects (a report)", "set FW_ANALYZE=namesakes to print it")
	}
	entries, _, _ := loadOFAC(t)
	names := Synthetic(entries, 100_000, 21)
	h := psi.Holdings{}
	for _, e := range names {
		h.Add(e.Person)
	}
	held, unheld := map[psi.Band]int{}, map[psi.Band]int{}
	for i := range 100 {
		e := names[(i*997)%len(names)]
		name, bands := e.Person.Names[0], held
		if i%2 == 1 {
			name, bands = Unlisted(names[:2000], 1, uint64(i))[0], unheld
		}
		b, _ := psi.Score(match.Person{Names: []string{name}, BirthDate: e.Person.BirthDate}, h)
		bands[b]++
	}
	t.Logf("holder keys %d (%.1f a subject); held %v; nobody's %v", len(h), float64(len(h))/float64(len(names)), held, unheld)
	if held[psi.BandStrong] != 50 {
		t.Errorf("held persons: %v, want 50 strong", held)
	}
}
