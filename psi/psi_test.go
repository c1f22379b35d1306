package psi

import (
	"crypto/ed25519"
	"testing"

	"github.com/gtank/ristretto255"

	"github.com/forewarn/forewarn/match"
)

func testSecret(t testing.TB, epoch string) Secret {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s, err := DeriveSecret(func(b []byte) ([]byte, error) { return ed25519.Sign(key, b), nil }, epoch)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ask runs the whole protocol in memory.
func ask(t testing.TB, held, asked []match.Person) []Result {
	t.Helper()
	s := testSecret(t, "2015-06-01")
	q, err := NewQuery(asked)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Evaluate(q.Blinded())
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Finish(ev, s.SetOf(held))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestMostefai(t *testing.T) {
	held := []match.Person{
		{Names: []string{"Omar Ismail Mostefai"}, BirthDate: "1985", Nationalities: []string{"FR"}},
		{Names: []string{"Abdelhamid Abaaoud"}, BirthDate: "1987"},
	}
	decoyHeld := []match.Person{{Names: []string{"Omar Ismail Mostefai"}, BirthDate: "1991"}}
	tests := []struct {
		name  string
		held  []match.Person
		asked match.Person
		want  Band
	}{
		{"same man, other spelling", held, match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985-11-21"}, BandStrong},
		{"a year apart", held, match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1986"}, BandStrong},
		{"decoy born 1991", decoyHeld, match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985"}, BandNone},
		{"no year asked", held, match.Person{Names: []string{"Ismaël Omar Mostefaï"}}, BandWeak},
		{"someone else", held, match.Person{Names: []string{"Salah Abdeslam"}, BirthDate: "1989"}, BandNone},
		{"surname only shared", held, match.Person{Names: []string{"Karim Mostefai"}, BirthDate: "1985"}, BandNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ask(t, tt.held, []match.Person{tt.asked})
			if got[0].Band != tt.want {
				t.Errorf("band %s (coverage %.2f), want %s", got[0].Band, got[0].coverage, tt.want)
			}
			if tt.want == BandNone && len(got[0].Hits) != 0 {
				t.Errorf("a miss reports %d hits back", len(got[0].Hits))
			}
		})
	}
}

func TestQueryHidesKeyCount(t *testing.T) {
	q, err := NewQuery([]match.Person{{Names: []string{"Ali"}}, {Names: []string{"Ismaël Omar Mostefaï", "Abu Omar"}, BirthDate: "1985"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Blinded()) != 2*MaxElements*ElementSize {
		t.Fatalf("blinded %d bytes, want %d for two persons", len(q.Blinded()), 2*MaxElements*ElementSize)
	}
	if _, err := NewQuery([]match.Person{{Names: []string{"A. B."}}}); err == nil {
		t.Fatal("a person without a usable name part was accepted")
	}
}

func TestEvaluateRefusesBadElements(t *testing.T) {
	s := testSecret(t, "e")
	if _, err := s.Evaluate(make([]byte, 31)); err == nil {
		t.Error("31 bytes accepted")
	}
	if _, err := s.Evaluate(make([]byte, 32)); err == nil {
		t.Error("the identity element accepted")
	}
	bad := make([]byte, 32)
	for i := range bad {
		bad[i] = 0xff
	}
	if _, err := s.Evaluate(bad); err == nil {
		t.Error("a non-canonical encoding accepted")
	}
}

func TestSetEncoding(t *testing.T) {
	s := NewSet([]uint64{5, 1, 5, 3})
	got, err := DecodeSet(s.Encode())
	if err != nil || len(got) != 3 || !got.Contains(3) || got.Contains(2) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := DecodeSet(NewSet([]uint64{1, 2}).Encode()[8:16:16]); err != nil {
		t.Fatal(err)
	}
	b := append(NewSet([]uint64{2}).Encode(), NewSet([]uint64{1}).Encode()...)
	if _, err := DecodeSet(b); err == nil {
		t.Fatal("an unsorted set accepted")
	}
}

// TestReblindingLearnsNothing: a peer that takes another's blinded elements, re-blinds
// them with a secret of its own and has the holder evaluate them, gets back elements it
// can unblind only to H(k)^(ab): still under the victim's secret, so none meets the
// holder's set, though the victim's own query about the same person hits. The same holds
// for an eavesdropper holding the victim's evaluated elements (H(k)^(ab)).
func TestReblindingLearnsNothing(t *testing.T) {
	s := testSecret(t, "2015-06-01")
	person := match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985"}
	set := s.SetOf([]match.Person{{Names: []string{"Omar Ismail Mostefai"}, BirthDate: "1985"}})
	victim, err := NewQuery([]match.Person{person})
	if err != nil {
		t.Fatal(err)
	}
	evaluated, err := s.Evaluate(victim.Blinded())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := victim.Finish(evaluated, set); res[0].Band != BandStrong {
		t.Fatalf("the victim's own query: %s, want strong", res[0].Band)
	}

	// The attacker re-blinds with r, has the holder evaluate, unblinds with 1/r.
	r := randomScalar()
	rinv := ristretto255.NewScalar().Invert(r)
	n := len(victim.Blinded()) / ElementSize
	reblinded := make([]byte, 0, len(victim.Blinded()))
	for i := range n {
		e := ristretto255.NewElement()
		if err := e.Decode(victim.Blinded()[i*ElementSize : (i+1)*ElementSize]); err != nil {
			t.Fatal(err)
		}
		reblinded = e.ScalarMult(r, e).Encode(reblinded)
	}
	back, err := s.Evaluate(reblinded)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range [][]byte{back, evaluated} {
		hits := 0
		for i := range n {
			e := ristretto255.NewElement()
			if err := e.Decode(src[i*ElementSize : (i+1)*ElementSize]); err != nil {
				t.Fatal(err)
			}
			if bytesEqual(src, back) {
				e.ScalarMult(rinv, e)
			}
			if set.Contains(fingerprint(e)) {
				hits++
			}
		}
		if hits != 0 {
			t.Errorf("the attacker's elements met the holder's set %d times; they must never", hits)
		}
	}
	// Without the victim's secret, its query cannot be finished: another secret finds nothing.
	other, _ := NewQuery([]match.Person{person})
	other.blinded = victim.Blinded()
	if res, _ := other.Finish(evaluated, set); res[0].Band != BandNone {
		t.Errorf("finishing the victim's answer with another secret gave %s, want none", res[0].Band)
	}
}

func bytesEqual(a, b []byte) bool { return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) }

// TestCoreTypoAndInitialKeys: the families beside the whole-name keys find what those
// miss — one typo in the first or last part, an alias that drops middle names, a name
// split or joined differently, a first name given as an initial — and still never stand
// for a piece of a name: a shared surname, or two edits, is no hit.
func TestCoreTypoAndInitialKeys(t *testing.T) {
	tests := []struct {
		held, asked string
		want        Band
	}{
		{"Vladimir Putin", "Vladimir Pulin", BandWeak},
		{"Olaf Scholz", "Olaf Schloz", BandWeak},
		{"Bill Gates", "Bill Cates", BandWeak},
		{"NASRALLAH, Hasan", "NASRALLAH, Hasan Abd-al-Karim", BandWeak},
		{"BIN LADIN, Usama bin Muhammad bin Awad", "BIN LADIN, Usama", BandWeak},
		{"RAFATNEJAD, Gholamreza", "RAFAT NEJAD, Gholamreza", BandWeak},
		{"Vladimir Putin", "V. Putin", BandWeak},
		{"Vladimir Putin", "Vladimir Pushkin", BandNone},
		{"Vladimir Putin", "Igor Putin", BandNone},
		{"Vladimir Putin", "Viktor Putin", BandNone},
		{"V. Putin", "Viktor Putin", BandNone},
	}
	for _, tt := range tests {
		got := ask(t, []match.Person{{Names: []string{tt.held}}}, []match.Person{{Names: []string{tt.asked}}})
		if got[0].Band != tt.want {
			t.Errorf("%q asked of a holder of %q: %s, want %s", tt.asked, tt.held, got[0].Band, tt.want)
		}
	}
}

// TestReadings: the readings the matcher compares names by make keys that meet (a joined
// article taken off, one romanisation, a first surname, an article seam, adjacent parts
// joined, the first part with a middle one, a short form of the given name), and none of them makes names meet that only
// share pieces: a maternal surname with another's paternal one, an article-like start of
// a given name, the halves of "-dóttir".
func TestReadings(t *testing.T) {
	tests := []struct {
		asked, held string
		want        Band
	}{
		{"ALOTAIBI, Badr Lafi", "AL OTAIBI, Badr Lafi", BandWeak},
		{"AL-RAWI, Marwan", "ALRAWI, Marwan", BandWeak},
		{"RI, Che-Son", "RI, Je-Son", BandWeak},
		{"CHO, Yong Chol", "JO, Yong Chol", BandWeak},
		{"RODRIGUEZ, Jorge", "RODRIGUEZ GOMEZ, Jorge Jesus", BandWeak},
		{"DIAZ MADRIZ, Francisco Javier", "DIAZ, Francisco", BandWeak},
		{"SAFI AL-DIN, Hashem", "SAFIEDDINE, Hashem", BandWeak},
		{"BADREDDINE, Mustafa", "BADR AL DIN, Mustafa", BandWeak},
		{"ZADEH, Mohammed Khalil", "KHALILZADEH, Mohammad", BandWeak},
		{"Nikolai Patr ushev", "Nikolai Platonovich Patrushev", BandWeak},
		{"UMAR PATEK ABDULLAH ANSHORI", "UMAR PATEK", BandWeak},
		{"SHUSHANASHVILI, Kakha", "SHUSHANASHVILI, Kakhaber Pavlovich", BandWeak},
		{"ZARGARI, Ghodratollah", "ZARGARI, Ghodrat", BandWeak},
		{"ZEGARRA MARTINEZ, Carlos Antonio", "MARTINEZ CASAS, Carlos Mario", BandNone},
		{"MURATOV, Eliseo", "MURATOV, Aleksey", BandNone},
		{"Halla Jónsdóttir", "Halla Tómasdóttir", BandNone},
		{"MOHAMMAD ALI HAQQANI", "MOHAMMAD ALI", BandNone}, // two common given names
	}
	for _, tt := range tests {
		h := Holdings{}
		h.Add(match.Person{Names: []string{tt.held}})
		if got, _ := Score(match.Person{Names: []string{tt.asked}}, h); got != tt.want {
			t.Errorf("%q asked of a holder of %q: %s, want %s", tt.asked, tt.held, got, tt.want)
		}
	}
	// Dated on both sides, a reading carries the year: a strong hit.
	h := Holdings{}
	h.Add(match.Person{Names: []string{"RODRIGUEZ GOMEZ, Jorge Jesus"}, BirthDate: "1970"})
	if got, _ := Score(match.Person{Names: []string{"RODRIGUEZ, Jorge Jesus"}, BirthDate: "1971"}, h); got != BandStrong {
		t.Errorf("a first surname, the year within one: %s, want strong", got)
	}
}
