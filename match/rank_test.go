package match

import "testing"

// The diminutive pattern CuCayC (Quwaydir, Zubaydi, Shuwaykh, Husayni) is written in
// Levantine and French usage without its first short vowel and with the diphthong as ei
// (Kweider, Zbeidi, Shweikh, Hseini): the diphthong written one way and one letter
// deleted. Retrieval must reach such a part on its own, with nothing else shared.
func TestDiphthongAndDeletionReach(t *testing.T) {
	for _, c := range [][2]string{
		{"Kweider", "Quwaydir"},
		{"Zbeidi", "Zubaydi"},
		{"Shweikh", "Shuwaykh"},
		{"Hseini", "Husayni"},
		{"Kbeisi", "Kubaysi"},
		{"Kabisi", "Kubaysi"},
		{"Dreid", "Durayd"},
		{"Hneidi", "Hunaydi"},
	} {
		for _, q := range []string{c[0], c[1]} {
			want := c[0]
			if q == c[0] {
				want = c[1]
			}
			ix := NewIndex()
			for _, n := range []string{want, "Karim", "Salah", "Hussein", "Zubair"} {
				if err := ix.Add(Entry{ID: n, Person: Person{Names: []string{n}}}); err != nil {
					t.Fatal(err)
				}
			}
			hits := ix.SearchName(q, 1)
			if len(hits) == 0 || hits[0].ID != want {
				t.Errorf("SearchName(%q) = %+v, want %s first", q, hits, want)
			}
		}
	}
}
