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
		// The diphthong aw as o, and one letter apart.
		{"Golani", "Jawlani"},
		{"Nofal", "Nawfal"},
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

// Persian compound names are written in one word or in their parts: "Gholamhosseinpour"
// is "Gholam Hossein Pour", "Aliakbarzadeh" "Ali Akbar Zadeh". Three parts written as
// one align as joined and are reached from either side.
func TestThreePartsWrittenAsOne(t *testing.T) {
	for _, c := range [][2]string{
		{"Gholam Hossein Pour", "Gholamhosseinpour"},
		{"Ali Akbar Zadeh", "Aliakbarzadeh"},
		{"Mohammad Ali Pour", "Mohammadalipour"},
		{"Pour Naghsh Band", "Pournaghshband"},
		{"Hossein Ali Zadeh", "Hosseinalizadeh"},
		{"Gholam Reza Pour", "Gholamrezapour"},
	} {
		m := CompareNames(c[0], c[1])
		if len(m.Explanation.Pairs) != 1 || m.Explanation.Pairs[0].Reason != ReasonJoined || m.Explanation.Pairs[0].Similarity < 0.95 {
			t.Errorf("%q ~ %q: want one joined pair\n%s", c[0], c[1], m.Explanation)
		}
		for _, q := range c {
			want := c[0]
			if q == c[0] {
				want = c[1]
			}
			ix := NewIndex()
			for _, n := range []string{want, "Reza Zadeh", "Hossein Pour", "Ali Akbar", "Mohammad Ali", "Gholam Pour"} {
				if err := ix.Add(Entry{ID: n, Person: Person{Names: []string{n}}}); err != nil {
					t.Fatal(err)
				}
			}
			hits := ix.SearchName(q, 1)
			if len(hits) == 0 || hits[0].ID != want || hits[0].Score < DefaultThreshold {
				t.Errorf("SearchName(%q) = %+v, want %s first above the threshold", q, hits, want)
			}
		}
	}
	// Three parts of a longer name do not join across a given name and a surname.
	if m := CompareNames("Ali Akbar Zadeh Hossein", "Aliakbarzadeh"); m.Score >= 1 {
		t.Errorf("a fourth part left over scored %.3f", m.Score)
	}
}

// Compounds of a noun with al-Din or Allah written as one part are shortened to the noun
// (Nasiruddin is called Nasir, Fazlullah Fazal): they align as a variant at 0.8 and are
// reached either way round; "Abdullah" is one name, not a shortened "Abd".
func TestShortenedCompound(t *testing.T) {
	for _, c := range [][2]string{
		{"Nasiruddin", "Nasir"},
		{"Noureddine", "Nour"},
		{"Shamsuddin", "Shams"},
		{"Jalaluddin", "Jalal"},
		{"Salaheddine", "Salah"},
		{"Khairuddin", "Khair"},
		{"Fazlullah", "Fazal"},
		{"Fazlullah", "Fazl"},
		{"Habibollah", "Habib"},
		{"Saifullah", "Saif"},
		{"Amanullah", "Aman"},
		{"Asadullah", "Asad"},
	} {
		m := CompareNames(c[0]+" Karimi", c[1]+" Karimi")
		if len(m.Explanation.Pairs) != 2 || m.Explanation.Pairs[1].Similarity != shortenedSim || m.Score < DefaultThreshold {
			t.Errorf("%q ~ %q: want the compound and its noun aligned at %.2f\n%s", c[0], c[1], shortenedSim, m.Explanation)
		}
		for _, q := range c {
			want := c[0]
			if q == c[0] {
				want = c[1]
			}
			ix := NewIndex()
			for _, n := range []string{want, "Karim", "Salim", "Rahim", "Hamid"} {
				if err := ix.Add(Entry{ID: n, Person: Person{Names: []string{n}}}); err != nil {
					t.Fatal(err)
				}
			}
			if hits := ix.SearchName(q, 1); len(hits) == 0 || hits[0].ID != want {
				t.Errorf("SearchName(%q) = %+v, want %s first", q, hits, want)
			}
		}
	}
	for _, c := range [][2]string{{"Abdullah", "Abd"}, {"Fazlullah", "Faisal"}, {"Nasiruddin", "Nasiri"}} {
		if m := CompareNames(c[0]+" Karimi", c[1]+" Karimi"); len(m.Explanation.Pairs) > 1 && m.Explanation.Pairs[1].Similarity >= shortenedSim {
			t.Errorf("%q ~ %q aligned as a shortened compound\n%s", c[0], c[1], m.Explanation)
		}
	}
}

// "ag" (Tamasheq) and "ould" (Hassaniya) are "son of", connectors as bin is: a name
// written with or without them is the same name.
func TestSonOfConnectors(t *testing.T) {
	for _, c := range [][2]string{
		{"Iyad Ag Ghaly", "Iyad Ghaly"},
		{"Alghabass Ag Intalla", "Alghabass Intalla"},
		{"Mohamed Ould Abdelaziz", "Mohamed Abdelaziz"},
	} {
		if m := CompareNames(c[0], c[1]); m.Score < 0.95 {
			t.Errorf("%q ~ %q = %.3f, want >= 0.95\n%s", c[0], c[1], m.Score, m.Explanation)
		}
	}
}

// A given name cut short (Alex, Alexander) aligns as a variant at 0.8 when both names say
// which parts are given names; surnames and patronymics made from a given name do not.
func TestTruncatedGivenName(t *testing.T) {
	for _, c := range [][2]string{
		{"KOWALSKI, Alex", "KOWALSKI, Alexander"},
		{"SMITH, Chris", "SMITH, Christopher"},
		{"BROWN, Fred", "BROWN, Frederick"},
		{"MEYER, Matt", "MEYER, Matthew"},
	} {
		m := CompareNames(c[0], c[1])
		if len(m.Explanation.Pairs) != 2 || m.Score < DefaultThreshold {
			t.Errorf("%q ~ %q: want both parts aligned above the threshold\n%s", c[0], c[1], m.Explanation)
		}
	}
	for _, c := range [][2]string{
		{"Thomas Lind", "Thomas Lindemann"},
		{"Oleksandr Zelenskyy", "Volodymyr Oleksandrovych Zelenskyy"},
		{"KARIM, Ali", "KARIMOVSKI, Ali"},
	} {
		if m := CompareNames(c[0], c[1]); m.Score >= DefaultThreshold {
			t.Errorf("%q ~ %q = %.3f, want below %.2f\n%s", c[0], c[1], m.Score, DefaultThreshold, m.Explanation)
		}
	}
}

// A part written twice in one name ("Houka Houka", "SALMAN, Salman Raouf") and once in
// the other leaves out only the repetition: it weighs as a patronymic left out, not as a
// missing name. Different syllables with one key (Korean "Chung Chong") are not a repetition.
func TestRepeatedPartLeftOut(t *testing.T) {
	rep := CompareNames("Houka Houka Alhousseini", "Houka Alhousseini")
	if rep.Score < 0.9 {
		t.Errorf("repetition left out = %.3f, want >= 0.9\n%s", rep.Score, rep.Explanation)
	}
	if m := CompareNames("Houka Hamma Alhousseini", "Houka Alhousseini"); m.Score >= rep.Score {
		t.Errorf("a different part left out = %.3f, want below the repetition's %.3f\n%s", m.Score, rep.Score, m.Explanation)
	}
	if m := CompareNames("KIM, Chung Chong", "KIM, Chung"); m.Score >= rep.Score {
		t.Errorf("Chong left out = %.3f, want below the repetition's %.3f\n%s", m.Score, rep.Score, m.Explanation)
	}
}

// Below the threshold, scores that round to the same hundredth are ties, broken by how
// many parts of the query each candidate shares, then by how rare they are; at or above
// it, the score alone ranks, and no candidate below the threshold outranks one above.
func TestRankOrder(t *testing.T) {
	for _, c := range []struct {
		first, second scored
	}{
		{scored{n: 1, score: 0.389, common: 3}, scored{n: 2, score: 0.394, common: 2}},
		{scored{n: 2, score: 0.394, common: 2}, scored{n: 1, score: 0.384, common: 3}},
		{scored{n: 2, score: 0.762, common: 2}, scored{n: 1, score: 0.757, common: 3}},
		{scored{n: 2, score: 0.801, common: 2}, scored{n: 1, score: 0.799, common: 3}},
		{scored{n: 2, score: 0.5, common: 2, acc: 2}, scored{n: 1, score: 0.5, common: 2, acc: 1}},
		{scored{n: 2, score: 0.391, common: 2, acc: 2}, scored{n: 1, score: 0.394, common: 2, acc: 1}},
		{scored{n: 1, score: 0.83, common: 2, acc: 1}, scored{n: 2, score: 0.82, common: 3, acc: 2}},
		{scored{n: 1, score: 0.5, common: 2}, scored{n: 2, score: 0.5, common: 2}},
	} {
		if rankOrder(c.first, c.second) >= 0 || rankOrder(c.second, c.first) <= 0 {
			t.Errorf("%+v should rank before %+v", c.first, c.second)
		}
	}
}
