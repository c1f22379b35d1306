package match

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Ismaël Omar Mostefaï", []string{"ismael", "omar", "mostefai"}},
		{"MOSTEFAI, Ismail Omar", []string{"ismail", "omar", "mostefai"}},
		{"İSMAİL ışık", []string{"ismail", "isik"}},
		{"Recep Tayyip Erdoğan", []string{"recep", "tayyip", "erdogan"}},
		{"Dr. Rami Makhlouf", []string{"rami", "makhlouf"}},
		{"Shaikh Isa Bin Tarif Al Bin Ali", []string{"isa", "tarif", "ali"}},
		{"Abdel Aziz", []string{"abd", "aziz"}},
		{"Abd al-Aziz", []string{"abd", "aziz"}},
		{"Abdulaziz", []string{"abd", "aziz"}},
		{"Abdurrahman", []string{"abd", "rahman"}},
		{"Abdullah", []string{"abdullah"}},
		{"Abd Allah", []string{"abdullah"}},
		{"Jean-Claude Juncker", []string{"jean", "claude", "juncker"}},
		{"Mu'tassim O’Brien", []string{"mutassim", "obrien"}},
		{"Søren Łukasz Straße", []string{"soren", "lukasz", "strasse"}},
		{"Ig0r Sech1n", []string{"igor", "sechin"}},
		{"Boris de Pfeffel Johnson", []string{"boris", "pfeffel", "johnson"}},
		{"Ｍｏｈａｍｍｅｄ", []string{"mohammed"}},
		{"Mr.", []string{"mr"}},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTransliterate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"إسماعيل عمر مصطفى", "ismail mr mstfa"},
		{"محمد بن سلمان", "mhmd bn slman"},
		{"عبد الفتاح السيسي", "bd ftah sisi"},
		{"Сергей Лавров", "sergey lavrov"},
		{"Володимир Зеленський", "volodimir zelenskiy"},
		{"Олексій Гончаренко", "oleksii honcharenko"},
		{"Κυριάκος Μητσοτάκης", "kyriakos mitsotakis"},
		{"مسعود پزشکیان", "msud pzshkian"},
		{"Barack Obama", "barack obama"},
		{"김정은", "kimjongun"},
		{"박봉주", "pakbongju"},
	}
	for _, tt := range tests {
		if got := Transliterate(tt.in); got != tt.want {
			t.Errorf("Transliterate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPhoneticKeyAndSkeleton(t *testing.T) {
	same := [][2]string{
		{"Ismail", "Ismael"}, {"Omar", "Umar"}, {"Youssouf", "Yusuf"}, {"Friedrich", "Fridrich"},
		{"Khaled", "Khalid"}, {"Chaker", "Shaker"}, {"Şahin", "Shahin"}, {"Djamel", "Jamel"},
		{"Abdullah", "Abdulla"}, {"Hussain", "Husain"}, {"Wladimir", "Vladimir"},
	}
	for _, p := range same {
		if a, b := PhoneticKey(p[0]), PhoneticKey(p[1]); a != b {
			t.Errorf("PhoneticKey(%q) = %q, PhoneticKey(%q) = %q, want equal", p[0], a, p[1], b)
		}
	}
	if a, b := Skeleton("Mostefai"), Skeleton("مصطفى"); a != b {
		t.Errorf("skeletons differ: %q vs %q", a, b)
	}
	if a, b := PhoneticKey("Olaf"), PhoneticKey("Octavian"); a == b {
		t.Errorf("Olaf and Octavian share key %q", a)
	}
}

func TestCompareNames(t *testing.T) {
	tests := []struct {
		a, b   string
		match  bool
		reason string // a reason code the explanation must contain
	}{
		{"Omar Ismail Mostefai", "Ismaël Omar Mostefaï", true, ReasonReordered},
		{"Omar Ismail Mostefai", "Ismail Omar MOSTEFAI", true, ReasonReordered},
		{"Omar Ismail Mostefai", "Omar Ismaïl Mostefaï", true, ReasonDiacritics},
		{"Omar Ismail Mostefai", "إسماعيل عمر مصطفى", true, ReasonSkeleton},
		{"Abdel Aziz Nuristani", "Abdulaziz Nooristani", true, ReasonExact},
		{"Abd al-Aziz", "Abdulaziz", true, ReasonExact},
		{"Mohamed bin Salman", "Muhammad bin Salman", true, ReasonFamily},
		{"Sergey Lavrov", "Сергей Лавров", true, ReasonTransliteration},
		{"RamiMakhlouf", "Rami Makhlouf", true, ReasonJoined},
		{"V. Putin", "Vladimir Putin", true, ReasonInitial},
		{"Vladimir Pudin", "Vladimir Putin", true, ReasonEdit},
		{"Smith, John", "John Smith", true, ReasonExact},
		{"김정은", "Kim Jong Un", true, ReasonTransliteration},
		{"أسامة بن لادن", "Usama bin Ladin", true, ReasonSkeleton},
		{"Усама бен Ладен", "Usama bin Laden", true, ReasonTransliteration},
		{"ALRAWI, Adnan", "Adnan al-Rawi", true, ReasonArticle},
		{"LAVILLA, Ruben, Jr.", "Ruben Lavilla", true, ReasonExact},
		{"Sergey Viktorovich Lavrov", "Sergey Lavrov", true, ReasonExact},
		{"Sergey Ivanovich Lavrov", "Sergey Viktorovich Lavrov", false, ""},
		{"Boris Abramovich", "Roman Abramovich", false, ""},
		{"Walijan", "Walijan Abdul Ghafoor Haqqani", false, ""},
		{"Frank Richter", "Frederik Richter", false, ""},
		{"Angela Merkel", "Donald Duck", false, ""},
	}
	for _, tt := range tests {
		m := CompareNames(tt.a, tt.b)
		if got := m.Score >= DefaultThreshold; got != tt.match {
			t.Errorf("CompareNames(%q, %q) = %.3f, match %v, want %v\n%s", tt.a, tt.b, m.Score, got, tt.match, m.Explanation)
		}
		if tt.reason != "" && !slices.Contains(m.Explanation.Reasons, tt.reason) {
			t.Errorf("CompareNames(%q, %q) reasons %v, want %q", tt.a, tt.b, m.Explanation.Reasons, tt.reason)
		}
		if back := CompareNames(tt.b, tt.a).Score; back < m.Score-0.05 || back > m.Score+0.05 {
			t.Errorf("CompareNames not symmetric for %q, %q: %.3f vs %.3f", tt.a, tt.b, m.Score, back)
		}
	}
}

func TestMostefaiExplanationNamesVariant(t *testing.T) {
	m := CompareNames("Omar Ismail Mostefai", "Ismaël Omar Mostefaï")
	var found bool
	for _, p := range m.Explanation.Pairs {
		if p.Query == "Ismail" && p.Candidate == "Ismaël" && p.Reason == ReasonVariant {
			found = true
		}
	}
	if !found {
		t.Errorf("Ismail/Ismaël not explained as a variant:\n%s", m.Explanation)
	}
	for _, r := range []string{ReasonReordered, ReasonDiacritics, ReasonVariant} {
		if !slices.Contains(m.Explanation.Reasons, r) {
			t.Errorf("reasons %v lack %q", m.Explanation.Reasons, r)
		}
	}
}

func TestBirthYearSeparatesNamesakes(t *testing.T) {
	ix := NewIndex()
	entries := []Entry{
		{ID: "right", Person: Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985-11-21", Nationalities: []string{"FR"}, Gender: "m"}},
		{ID: "namesake", Person: Person{Names: []string{"Omar Mostefai"}, BirthDate: "1991"}},
		{ID: "other", Person: Person{Names: []string{"Samy Amimour"}, BirthDate: "1987"}},
	}
	for _, e := range entries {
		if err := ix.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	hits := ix.Search(Person{Names: []string{"Omar Ismail Mostefai"}, BirthDate: "1985"}, 3)
	if len(hits) < 2 || hits[0].ID != "right" {
		t.Fatalf("hits = %+v, want right first", hits)
	}
	if hits[0].Score < DefaultThreshold {
		t.Errorf("right man scored %.3f, below threshold", hits[0].Score)
	}
	for _, h := range hits[1:] {
		if h.ID == "namesake" && h.Score >= hits[0].Score {
			t.Errorf("namesake %.3f outscored the right man %.3f", h.Score, hits[0].Score)
		}
	}
	if a := hits[0].Explanation.Attributes; len(a) == 0 || a[0].Outcome != "agree-partial" {
		t.Errorf("birth date check = %+v, want agree-partial", a)
	}
}

func TestComparePersonsAttributes(t *testing.T) {
	other := []string{"Ali Hasan Rahimy"}
	base := Person{Names: []string{"Ali Hassan Rahimi"}, BirthDate: "1970-05-02", Nationalities: []string{"IR"}, Gender: "m"}
	tests := []struct {
		name  string
		other Person
		cmp   func(float64, float64) bool
	}{
		{"full date agrees", Person{Names: other, BirthDate: "1970-05-02"}, func(s, n float64) bool { return s > n }},
		{"year conflicts", Person{Names: other, BirthDate: "1980"}, func(s, n float64) bool { return s < n-0.3 }},
		{"gender conflicts", Person{Names: other, Gender: "female"}, func(s, n float64) bool { return s < n }},
		{"document agrees", Person{Names: []string{"Jon Smith"}, Documents: []string{"X-123 456"}}, func(s, n float64) bool { return s >= 0.95 }},
	}
	withDoc := base
	withDoc.Documents = []string{"x123456"}
	nameOnly := ComparePersons(Person{Names: base.Names}, Person{Names: other}).Score
	if nameOnly >= 1 || nameOnly < DefaultThreshold {
		t.Fatalf("names alone score %.3f, want a match below 1", nameOnly)
	}
	for _, tt := range tests {
		s := ComparePersons(withDoc, tt.other).Score
		if !tt.cmp(s, nameOnly) || s < 0 || s > 1 {
			t.Errorf("%s: score %.3f (names alone %.3f)", tt.name, s, nameOnly)
		}
	}
}

func TestParseBirthDate(t *testing.T) {
	for _, ok := range []string{"", "1985", "1985-11", "1985-11-21"} {
		if _, err := ParseBirthDate(ok); err != nil {
			t.Errorf("ParseBirthDate(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"85", "1985-13", "1985-1-2", "21/11/1985", "1985-11-21-1", "abcd"} {
		if _, err := ParseBirthDate(bad); err == nil {
			t.Errorf("ParseBirthDate(%q) succeeded, want error", bad)
		}
	}
}

func TestLongInputIsCapped(t *testing.T) {
	long := strings.Repeat("Muhammad-Abdulrahman ", 5000) // about 100,000 bytes
	n := Prepare(long)
	if len(n.tokens) > MaxTokens {
		t.Errorf("%d tokens, want at most %d", len(n.tokens), MaxTokens)
	}
	for _, tok := range n.tokens {
		if len(tok.fold) > MaxTokenBytes {
			t.Errorf("token of %d bytes, want at most %d", len(tok.fold), MaxTokenBytes)
		}
	}
	if got := capName(long); len(got) > MaxNameBytes {
		t.Errorf("capName kept %d bytes, want at most %d", len(got), MaxNameBytes)
	}
	oneWord := strings.Repeat("é", 50000)
	if got := Normalize(oneWord); len(got) != 1 || len(got[0]) > MaxTokenBytes {
		t.Errorf("one long word normalised to %d parts of %d bytes", len(got), len(got[0]))
	}
	if s := CompareNames(long, oneWord).Score; s < 0 || s > 1 {
		t.Errorf("score %v out of range", s)
	}
}

func TestIndexAddUpdateRemoveConcurrently(t *testing.T) {
	ix := NewIndex()
	names := []string{"Omar Mostefai", "Samy Amimour", "Foued Mohamed-Aggad", "Salah Abdeslam", "Abdelhamid Abaaoud"}
	for i, n := range names {
		if err := ix.Add(Entry{ID: string(rune('a' + i)), Person: Person{Names: []string{n}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Add(Entry{ID: "a", Person: Person{Names: []string{"x"}}}); err != ErrDuplicateID {
		t.Errorf("duplicate Add = %v, want ErrDuplicateID", err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if w == 0 {
					ix.Update(Entry{ID: "z", Person: Person{Names: []string{names[i%len(names)] + " Junior"}}})
					continue
				}
				if hits := ix.SearchName("Salah Abdeslam", 2); len(hits) == 0 || hits[0].ID != "d" {
					t.Errorf("search during updates = %+v", hits)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ix.Remove("d"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Remove("d"); err != ErrNotFound {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	for _, h := range ix.SearchName("Salah Abdeslam", 5) {
		if h.ID == "d" {
			t.Errorf("removed entry still found")
		}
	}
	if ix.Len() != 5 {
		t.Errorf("Len = %d, want 5", ix.Len())
	}
	ix.Update(Entry{ID: "a", Person: Person{Names: []string{"Ismaël Omar Mostefaï"}}})
	if hits := ix.SearchName("Omar Ismail Mostefai", 1); len(hits) != 1 || hits[0].ID != "a" || hits[0].MatchedName != "Ismaël Omar Mostefaï" {
		t.Errorf("after Update hits = %+v", hits)
	}
}

func TestExplanationGolden(t *testing.T) {
	tests := []struct{ file, a, b string }{
		{"mostefai_latin", "Omar Ismail Mostefai", "Ismaël Omar Mostefaï"},
		{"mostefai_arabic", "إسماعيل عمر مصطفى", "Ismaël Omar Mostefaï"},
		{"lavrov_conflict", "Sergey Ivanovich Lavrov", "Sergey Viktorovich LAVROV"},
		{"joined_initial", "J. RamiMakhlouf", "Jamal Rami Makhlouf"},
	}
	for _, tt := range tests {
		m := CompareNames(tt.a, tt.b)
		js, err := json.MarshalIndent(m.Explanation, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got := m.Explanation.String() + "\n\n" + string(js) + "\n"
		path := filepath.Join("testdata", tt.file+".golden")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./match -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: explanation changed:\n%s\nwant:\n%s", path, got, want)
		}
		var back Explanation
		if err := json.Unmarshal(js, &back); err != nil || !reflect.DeepEqual(back.Reasons, m.Explanation.Reasons) {
			t.Errorf("%s: explanation does not round-trip through JSON: %v", tt.file, err)
		}
	}
}

func FuzzCompare(f *testing.F) {
	for _, s := range [][2]string{
		{"Omar Ismail Mostefai", "Ismaël Omar Mostefaï"}, {"إسماعيل عمر مصطفى", "Ismail"},
		{"", "x"}, {"A. B.", "ab"}, {"Сергей, Лавров", "Lavrov, Sergei"}, {"abdulabdulabdul", "abd al"},
		{"\xff\xfe", "ｍｒ"}, {"İIıi", "ıIİi"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := CompareNames(a, b), CompareNames(b, a)
		for _, s := range []float64{ab.Score, ba.Score} {
			if s < 0 || s > 1 || s != s {
				t.Fatalf("score %v out of [0,1] for %q, %q", s, a, b)
			}
		}
		if (ab.Score == 1) != (ba.Score == 1) && (ab.Score < 0.9 || ba.Score < 0.9) {
			t.Fatalf("asymmetric certainty: %v vs %v for %q, %q", ab.Score, ba.Score, a, b)
		}
		if len(Normalize(a)) > MaxTokens {
			t.Fatalf("more than MaxTokens parts for %q", a)
		}
		_ = ab.Explanation.String()
	})
}

func TestOSABitsAgreesWithTable(t *testing.T) {
	words := []string{"", "a", "ab", "ba", "abc", "acb", "mostefai", "mustafa", "ismael", "ismail",
		"abdulrahman", "abdurrahman", "ca", "abc", "kitten", "sitting", "xuekang", "hsuehkang"}
	for _, a := range words {
		for _, b := range words {
			want := osaDistance(a, b, maxEditBytes)
			if got := osaBits(a, b); got != want {
				t.Errorf("osaBits(%q, %q) = %d, table says %d", a, b, got, want)
			}
		}
	}
}

func TestIndexFindsMostefaiSpellings(t *testing.T) {
	ix := NewIndex()
	list := []string{"Ismaël Omar Mostefaï", "Omar Mostefai", "Samy Amimour", "Foued Mohamed-Aggad",
		"Omar Ismail", "Mustafa Ismail Omar", "Ismail Mostafa", "Bilal Hadfi", "Salah Abdeslam"}
	for i, n := range list {
		if err := ix.Add(Entry{ID: list[i], Person: Person{Names: []string{n}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"Omar Ismail Mostefai", "Ismail Omar MOSTEFAI", "Omar Ismaïl Mostefaï", "إسماعيل عمر مصطفى", "MOSTEFAI, Ismail Omar"} {
		hits := ix.SearchName(q, 3)
		if len(hits) == 0 || hits[0].ID != "Ismaël Omar Mostefaï" || hits[0].Score < DefaultThreshold {
			t.Errorf("SearchName(%q) = %+v, want Ismaël Omar Mostefaï first above threshold", q, hits)
		}
	}
}

func TestRareSharedPartOutranksCommonOne(t *testing.T) {
	ix := NewIndex()
	syll := []string{"ba", "ko", "ri", "te", "lu", "mi", "so", "ne"}
	n := 0
	for _, a := range syll {
		for _, b := range syll {
			for _, c := range syll[:3] {
				id := "m" + a + b + c
				if err := ix.Add(Entry{ID: id, Person: Person{Names: []string{"Muhammad " + a + b + c + "ski"}}}); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	if err := ix.Add(Entry{ID: "rare", Person: Person{Names: []string{"Yusuf Qaradawi"}}}); err != nil {
		t.Fatal(err)
	}
	hits := ix.SearchName("Muhammad Qaradawi", 3)
	if len(hits) == 0 || hits[0].ID != "rare" {
		t.Fatalf("hits = %+v, want the entry sharing the rare surname first", hits)
	}
	if hits[0].Score >= DefaultThreshold {
		t.Errorf("one shared surname scored %.3f, want below threshold", hits[0].Score)
	}
	for _, h := range hits[1:] {
		for _, p := range h.Explanation.Pairs {
			if p.Query == "Muhammad" && p.Weight >= 1 {
				t.Errorf("Muhammad, on %d of %d entries, weighs %.2f, want less than 1", n, n+1, p.Weight)
			}
		}
	}
}

// AddAll prepares on every core but indexes in the given order, so that it finds what
// Add one at a time finds, ties broken the same way.
func TestIndexAddAllMatchesAdd(t *testing.T) {
	var es []Entry
	for i := range 1000 {
		es = append(es, Entry{ID: fmt.Sprint(i), Person: Person{Names: []string{
			[]string{"Omar", "Samy", "Foued", "Salah", "Ismail"}[i%5] + " " + []string{"Mostefai", "Amimour", "Aggad", "Abdeslam", "Abaaoud", "Hadfi"}[i%6] + fmt.Sprint(i%7)}}})
	}
	one, all := NewIndex(), NewIndex()
	for _, e := range es {
		if err := one.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := all.AddAll(es); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"Omar Mostefai", "Salah Abdeslam3", "Ismael Hadfi"} {
		a, b := one.SearchName(q, 10), all.SearchName(q, 10)
		if len(a) != 10 || len(a) != len(b) {
			t.Fatalf("%q: %d hits by Add, %d by AddAll", q, len(a), len(b))
		}
		for i := range a {
			if a[i].ID != b[i].ID || a[i].Score != b[i].Score {
				t.Errorf("%q #%d: %s %.3f by Add, %s %.3f by AddAll", q, i, a[i].ID, a[i].Score, b[i].ID, b[i].Score)
			}
		}
	}
	if err := all.AddAll([]Entry{{ID: "new"}, {ID: "7"}}); !errors.Is(err, ErrDuplicateID) || !strings.Contains(err.Error(), `"7"`) {
		t.Errorf("AddAll with a known id = %v, want ErrDuplicateID naming it", err)
	}
}
