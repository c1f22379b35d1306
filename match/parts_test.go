package match

import "testing"

// TestParts: the readings Parts exposes are the ones the comparison uses: a romanisation
// key shared by two systems' spellings, a joined article taken off a surname, a part read
// as two with the article assimilated, the surname flag of "SURNAME, Given".
func TestParts(t *testing.T) {
	one := func(name string, i int) Part {
		t.Helper()
		ps := Parts(name)
		if i >= len(ps) {
			t.Fatalf("Parts(%q) = %+v, want a part %d", name, ps, i)
		}
		return ps[i]
	}
	if a, b := one("RI, Che-Son", 0), one("RI, Je-Son", 0); a.Roman == "" || a.Roman != b.Roman || a.Spelling == b.Spelling {
		t.Errorf("Che/Je: romanisation %q and %q, spellings %q and %q; want one romanisation, two spellings", a.Roman, b.Roman, a.Spelling, b.Spelling)
	}
	if p := one("ALOTAIBI, Badr", 1); p.Bare != PhoneticKey("Otaibi") || !p.Surname {
		t.Errorf("Alotaibi: %+v, want bare %q and the surname flag", p, PhoneticKey("Otaibi"))
	}
	if p := one("Omar Ismail", 0); p.Bare != "" || p.Surname || p.Roman != "" {
		t.Errorf("Omar: %+v, want no other reading", p)
	}
	if p := one("SAFIEDDINE, Hashem", 1); p.Seam != [2]string{"safi", "din"} {
		t.Errorf("Safieddine: seam %q, want safi + din", p.Seam)
	}
}
