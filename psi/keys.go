package psi

import (
	"slices"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn/match"
)

// MaxParts is how many name parts of one name make keys: the first and the last, so a
// name of many parts cannot blow up the number of keys and keeps its surname.
const MaxParts = 6

// A key stands for a whole name, never for a piece of one, so that pieces held by
// different subjects can never add up to a hit. A name of n parts gives its full key
// ("F|…", all its parts, sorted) and, when n ≥ 3, the n keys that leave one part out
// ("D|…"): an asker's full key meets a holder's full key (the same parts) or one of its
// leave-one-out keys (the holder knows one part more), and an asker's leave-one-out key
// meets a holder's full key (the asker knows one part more). Each is written in two
// families, so that a typo or a transliteration that breaks one leaves another: the
// matcher's spelling keys (name families, phonetic folding) and consonant skeletons. A
// two-part name is also keyed joined ("VladimirPutin"). The birth year rides on the
// spelling family only: "…|1985" when the holder has it, "…|dated" beside it so that an
// asker learns of a conflict. A name is keyed again in the other readings the matcher
// compares it by (readings, paternal), and an asker asks a few shorter or rejoined forms
// of its names (joinedPairs, leadingPairs); each still stands for a whole name.
type part struct {
	fold, spell, skel, phon string
	common                  bool // a given name shared by very many people
	surname                 bool // written before the comma of "SURNAME, Given"
	// roman and bare are the part's other readings (match.Part): its syllables in one
	// romanisation, and its spelling without a joined Arabic article; "" when none.
	roman, bare string
	seam        [2]string // the part read as two, the article between (match.Part)
}

// commonParts are name parts so frequent that a name of them alone says little: beside
// the matcher's given-name families, the commonest parts of Arabic, Persian and Korean
// names in the lists.
var commonParts = map[string]bool{}

func init() {
	for _, w := range []string{"ali", "abd", "abu", "bin", "ibn", "al", "said", "hasan", "husayn", "ahmad", "umar", "isa", "musa",
		"kim", "li", "lee", "park", "reza", "hadi", "amin", "aziz", "rahman", "karim", "salim", "mahmud", "hamid", "abdul"} {
		commonParts[match.SpellingKey(w)] = true
	}
}

// queryKey is one key an asker asks about, with what a hit on it would mean.
type queryKey struct {
	text string
	name int  // which of the person's names
	kind byte // 'n' the name, 'y' the name and the birth year (within one), 'd' the name, dated
}

// nameParts returns the keyed parts of a name: initials dropped, duplicates once, at
// most MaxParts (the first ones and the last, so that a long name keeps its surname).
func nameParts(name string) []part {
	var out []part
	for _, t := range match.Parts(name) {
		if len([]rune(t.Fold)) < 2 || t.Spelling == "" || slices.ContainsFunc(out, func(p part) bool { return p.spell == t.Spelling }) {
			continue
		}
		out = append(out, part{fold: t.Fold, spell: t.Spelling, skel: match.Skeleton(t.Fold), phon: t.Phonetic,
			common: commonParts[t.Spelling] || t.Spelling != t.Phonetic, surname: t.Surname, roman: t.Roman, bare: t.Bare, seam: t.Seam})
	}
	if len(out) > MaxParts {
		out = append(out[:MaxParts-1], out[len(out)-1])
	}
	return out
}

// readings returns the other readings of a name the matcher also compares by, each a
// whole name of the same person made of the same parts: with every joined Arabic
// article taken off ("ALOTAIBI, Badr" is "AL OTAIBI, Badr"), and, for a name recognised
// as written in a syllable system, its syllables in that system's canonical spelling
// ("RI, Che-Son" is "RI, Je-Son", "Mao Tse-tung" "Mao Zedong"). Keys of a reading meet
// keys of the other side's spelling or of its readings.
//
// The article is taken off a surname only (a part before the comma of "SURNAME, Given",
// else the last part), as lists write it; a given name that merely starts with "al" or
// "el" (Aleksey, Elena) is not read without it. A reading without articles makes no typo
// keys, and a romanised one is joined in its order only: their parts are short, and a
// key that meets within one letter of a short part meets strangers.
func readings(parts []part) []reading {
	var out []reading
	surnamed := slices.ContainsFunc(parts, func(p part) bool { return p.surname })
	bare := func(i int) bool { return parts[i].bare != "" && (parts[i].surname || !surnamed && i == len(parts)-1) }
	if slices.ContainsFunc(parts, func(p part) bool { return p.bare != "" }) {
		r := slices.Clone(parts)
		changed := false
		for i := range r {
			if bare(i) {
				r[i].spell, r[i].phon, r[i].fold, r[i].skel = r[i].bare, r[i].bare, r[i].bare, match.Skeleton(r[i].bare)
				changed = true
			}
		}
		if changed {
			out = append(out, reading{parts: r, noTypos: true})
		}
	}
	for i, p := range parts {
		if p.seam[0] == "" || !(p.surname || !surnamed && i == len(parts)-1) {
			continue
		}
		// "SAFIEDDINE, Hashem" read as "SAFI AL-DIN, Hashem" (the article is no part).
		r := append(slices.Clone(parts[:i]), foldPart(p.seam[0], p.surname), foldPart(p.seam[1], p.surname))
		out = append(out, reading{parts: append(r, parts[i+1:]...), noTypos: true, shortened: true})
		break
	}
	if !slices.ContainsFunc(parts, func(p part) bool { return p.roman == "" }) {
		r := slices.Clone(parts)
		for i := range r {
			// The system's tag keeps the spelling apart from any other name's; the
			// phonetic form (joined and typo keys) is the syllables themselves.
			r[i].spell, r[i].phon, r[i].fold = r[i].roman, r[i].roman[1:], r[i].roman[1:]
		}
		out = append(out, reading{parts: r, inOrder: true})
	}
	return out
}

// reading is one reading of a name, with the keys it does not make.
type reading struct {
	parts     []part
	noTypos   bool // no typo keys
	inOrder   bool // a two-part name joined in its order only
	shortened bool // whole-name spelling keys only, no core
}

// foldPart is a part made of a fold that is not a name part as written (a half of one,
// or two joined).
func foldPart(fold string, surname bool) part {
	return part{fold: fold, spell: match.SpellingKey(fold), phon: match.PhoneticKey(fold), skel: match.Skeleton(fold), surname: surname}
}

// paternal returns the name with its surname cut to its first part, when it was written
// "SURNAME1 SURNAME2, Given" (a Spanish double surname, "EL AISSAMI MADDAH"), else nil:
// the same person is listed, and known, by the first surname alone ("RODRIGUEZ GOMEZ,
// Jorge Jesus" is "RODRIGUEZ, Jorge").
func paternal(parts []part) []part {
	last := coreSurname(parts)
	if last == len(parts)-1 {
		return nil
	}
	return slices.Clone(parts[:last+1])
}

// family writes a set of parts in one family: the parts' forms, sorted, joined.
func family(tag string, parts []part, skip int, form func(part) string) string {
	var fs []string
	for i, p := range parts {
		if i != skip {
			fs = append(fs, form(p))
		}
	}
	slices.Sort(fs)
	return tag + strings.Join(fs, "|")
}

type formDef struct {
	tag  string
	form func(part) string
}

// forms are the families a name is keyed in. A third family of four-letter prefixes was
// measured and left out: it found 5 points more OFAC aliases at nearly twice the false
// alarms (docs/private-match.md).
var forms = []formDef{
	{"e:", func(p part) string { return p.spell }},
	{"c:", func(p part) string { return p.skel }},
}

// minSkeleton is the shortest consonant skeleton worth a key: "bd" or "s" meet far too
// many names.
const minSkeleton = 3

// shortSkeleton says whether the skeleton family must be skipped for parts.
func shortSkeleton(parts []part) bool {
	return slices.ContainsFunc(parts, func(p part) bool { return len(p.skel) < minSkeleton })
}

// wholeKeys calls fn with the name keys of parts (without scope or year), each with
// whether it leaves a part out: the full set first, then the leave-one-out sets; family
// 0 (spelling) is the one years ride on.
func wholeKeys(parts []part, inOrder bool, fn func(key string, family int, leftOut bool)) {
	if len(parts) == 0 {
		return
	}
	for f, fm := range forms {
		if fm.tag == "c:" && shortSkeleton(parts) {
			continue
		}
		fn(family(fm.tag, parts, -1, fm.form), f, false)
	}
	if len(parts) == 2 {
		fn("j:"+match.PhoneticKey(parts[0].fold+parts[1].fold), 1, false)
		if !inOrder {
			fn("j:"+match.PhoneticKey(parts[1].fold+parts[0].fold), 1, false)
		}
	}
	if len(parts) < 3 {
		return
	}
	// Written as one word in order, so that a name split or joined differently meets
	// ("Rafat Nejad"/"Rafatnejad", "Su Nam"/"Sunam"): the two-part names' joined key.
	var joined strings.Builder
	for _, p := range parts {
		joined.WriteString(p.fold)
	}
	fn("j:"+match.PhoneticKey(joined.String()), 1, false)
	for skip := range parts {
		// A name left with common given names only ("Muhammad Ali") says too little.
		if !slices.ContainsFunc(parts, func(p part) bool { return p != parts[skip] && !p.common }) {
			continue
		}
		for f, fm := range forms {
			if fm.tag == "c:" && shortSkeleton(parts) {
				continue
			}
			fn(family(fm.tag, parts, skip, fm.form), f, true)
		}
	}
}

func birthYear(p match.Person) int {
	d, err := match.ParseBirthDate(p.BirthDate)
	if err != nil {
		return 0
	}
	return d.Year
}

// HolderKeys returns the keys a node holding p publishes (blinded).
func HolderKeys(p match.Person) []string {
	year := birthYear(p)
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	// whole adds the whole-name keys of parts; a shortened name (by its first surname)
	// makes neither the names without a part, which would leave given names alone, nor
	// skeleton and joined keys, which meet strangers once the name is short.
	whole := func(parts []part, inOrder, shortened bool) {
		wholeKeys(parts, inOrder, func(key string, f int, leftOut bool) {
			if shortened && (leftOut || f != 0) {
				return
			}
			scope := "F|"
			if leftOut {
				scope = "D|"
			}
			add(scope + key)
			if year != 0 && f == 0 {
				add(scope + key + "|" + strconv.Itoa(year))
				add(scope + key + "|dated")
			}
		})
	}
	for _, n := range p.Names {
		parts := nameParts(n)
		if len(parts) == 1 {
			add("F|j:" + parts[0].phon)
		}
		coreKeys(parts, false, true, add)
		initialKey(n, false, add)
		whole(parts, false, false)
		for _, r := range readings(parts) {
			whole(r.parts, r.inOrder, r.shortened)
			if !r.shortened {
				coreKeys(r.parts, false, !r.noTypos, add)
			}
		}
		// The name by its first surname (its core is the name's own).
		if pat := paternal(parts); pat != nil {
			whole(pat, false, true)
		}
	}
	return out
}

// queryKeys returns the keys an asker asks about for p, at most MaxElements, the first
// name's first.
func queryKeys(p match.Person) []queryKey {
	year := birthYear(p)
	seen := map[string]bool{}
	var out []queryKey
	add := func(k queryKey) {
		if !seen[k.text] && len(out) < MaxElements {
			seen[k.text] = true
			out = append(out, k)
		}
	}
	// whole asks the whole-name keys of parts; a shortened or rejoined name asks its
	// spelling keys of the whole name only (see HolderKeys).
	whole := func(ni int, parts []part, inOrder, shortened bool) {
		wholeKeys(parts, inOrder, func(key string, f int, leftOut bool) {
			if shortened && (leftOut || f != 0) {
				return
			}
			// Mine without a part meets the holder's full name; my full name meets the
			// holder's full name and its names without a part.
			scopes := []string{"F|"}
			if !leftOut && len(parts) >= 2 {
				scopes = append(scopes, "D|")
			}
			for _, scope := range scopes {
				add(queryKey{scope + key, ni, 'n'})
				if year == 0 || f != 0 {
					continue
				}
				for _, y := range []int{year, year - 1, year + 1} {
					add(queryKey{scope + key + "|" + strconv.Itoa(y), ni, 'y'})
				}
				add(queryKey{scope + key + "|dated", ni, 'd'})
			}
		})
	}
	names := make([][]part, len(p.Names))
	for ni, n := range p.Names {
		names[ni] = nameParts(n)
		if len(names[ni]) == 1 {
			add(queryKey{"F|j:" + names[ni][0].phon, ni, 'n'})
		}
		whole(ni, names[ni], false, false)
	}
	// The other readings next, then the core and typo keys: when a person's names fill
	// MaxElements, the exact keys and the years are asked first.
	for ni, parts := range names {
		for _, r := range readings(parts) {
			whole(ni, r.parts, r.inOrder, r.shortened)
		}
		if pat := paternal(parts); pat != nil {
			whole(ni, pat, false, true)
		}
		for _, j := range joinedPairs(parts) {
			whole(ni, j, false, true)
		}
		// The leading pair meets a holder's whole name only: asked of the holder's names
		// without a part, it would meet every namesake's father.
		for _, lead := range leadingPairs(parts) {
			k := family("F|e:", lead, -1, func(p part) string { return p.spell })
			add(queryKey{k, ni, 'n'})
			if year != 0 {
				for _, y := range []int{year, year - 1, year + 1} {
					add(queryKey{k + "|" + strconv.Itoa(y), ni, 'y'})
				}
				add(queryKey{k + "|dated", ni, 'd'})
			}
		}
	}
	for ni, n := range p.Names {
		parts := names[ni]
		ask := func(k string) { add(queryKey{k, ni, 'n'}) }
		coreKeys(parts, true, true, ask)
		initialKey(n, true, ask)
		for _, r := range readings(parts) {
			if !r.shortened {
				coreKeys(r.parts, true, !r.noTypos, ask)
			}
		}
	}
	return out
}

// initialKey calls fn with the initial key of a name: the first letter of its first part
// and the spelling of its surname ("I|v|putin"). A holder writes it for every name of two
// parts or more; an asker asks it only for a name that gives its first part as an initial
// ("V. Putin", "J.-C. Juncker"), which no other key can meet: asked for a whole first
// name, it would meet every namesake's brother.
func initialKey(name string, asker bool, fn func(key string)) {
	tokens := match.Normalize(name)
	parts := nameParts(name)
	if len(tokens) < 2 || len(parts) == 0 {
		return
	}
	initial := len([]rune(tokens[0])) == 1
	if asker != initial || !asker && len(parts) < 2 {
		return
	}
	last := parts[len(parts)-1]
	if last.common {
		return
	}
	first := match.PhoneticKey(tokens[0])
	if first == "" {
		return
	}
	fn("I|" + string([]rune(first)[:1]) + "|" + last.spell)
}

// minTypoPart is the shortest part (phonetic key) whose one-letter deletions make typo
// keys: the deletions of "ali" or "kim" meet far too many names.
const minTypoPart = 4

// deletions returns s and every string with one letter of s deleted: two words within
// one edit (a letter changed, added, dropped, or two swapped) share one of them.
func deletions(s string) []string {
	out := []string{s}
	for i := range len(s) {
		if d := s[:i] + s[i+1:]; d != out[len(out)-1] {
			out = append(out, d)
		}
	}
	return out
}

// coreKeys calls fn with the keys of a name's core, its first and last parts (the given
// name and the surname, as match.Normalize orders a listed "SURNAME, Given"), each
// still standing for a whole name of one subject:
//
//   - "K3|": a holder's name of three parts or more, by its core alone. An asker asks
//     its core: a hit says the holder has a name with the same first and last parts and
//     other parts between (an alias that drops or changes a middle name). An asker's
//     name of three parts or more also asks "F|" with its core, for a holder whose whole
//     name is that core.
//   - "T|" (typo keys): the core with one part fixed and the other written as each of
//     its one-letter deletions: the two sides meet when one part is the same and the
//     other within one edit ("Vladimir Pulin", "Vladimir Putin"), which no spelling or
//     skeleton key survives. (They were written T2 and T3 by the holder's number of
//     parts, which the asker asked both of: one class asks half the elements and meets
//     the same keys.)
//
// Neither is made when both core parts are common given names.
func coreKeys(parts []part, asker, typos bool, fn func(key string)) {
	n := len(parts)
	last := coreSurname(parts)
	if n < 2 || parts[0].common && parts[last].common {
		return
	}
	core := []part{parts[0], parts[last]}
	typo := func(class string) {
		if !typos {
			return
		}
		for _, pr := range [][2]part{{core[0], core[1]}, {core[1], core[0]}} {
			fixed, varied := pr[0], pr[1]
			if len(varied.phon) < minTypoPart {
				continue
			}
			for _, v := range deletions(varied.phon) {
				fn(class + fixed.spell + "#" + v)
			}
		}
	}
	spell := func(p part) string { return p.spell }
	// The given name by its first letters, the surname as it is: a short form of the
	// given name ("Kakha"/"Kakhaber", "Ghodrat"/"Ghodratollah", "Alex"/"Alexander").
	if len(core[0].phon) >= givenPrefix && !core[1].common {
		fn("P|" + core[1].spell + "#" + core[0].phon[:givenPrefix])
	}
	if !asker {
		if n >= 3 {
			fn(family("K3|e:", core, -1, spell))
		}
		typo("T|")
		return
	}
	if n >= 3 {
		fn(family("F|e:", core, -1, spell))
	}
	fn(family("K3|e:", core, -1, spell))
	typo("T|")
}

// givenPrefix is how many letters of a given name's phonetic key its short-form key
// keeps.
const givenPrefix = 4

// joinedPairs returns the name with two adjacent parts written as one, for each pair:
// the matcher reads "ZADEH, Mohammed Khalil" as "KHALILZADEH, Mohammad" and "Patr ushev"
// as "Patrushev". Only the asker makes them, so a holder's set does not grow; a holder's
// name split where the asker's is joined is not found this way.
func joinedPairs(parts []part) [][]part {
	var out [][]part
	if len(parts) < 3 {
		return nil // a two-part name has its joined keys already
	}
	for i := 0; i+1 < len(parts); i++ {
		j := foldPart(parts[i].fold+parts[i+1].fold, parts[i].surname || parts[i+1].surname)
		r := append(append(slices.Clone(parts[:i]), j), parts[i+2:]...)
		out = append(out, r)
	}
	return out
}

// leadingPairs returns, for a name of three parts or more written without a comma, its
// first part with each part between the first and the last (the first and the last are
// its core), leaving out pairs of two common given names. An asker asks each as a whole
// name: a name written in order whose further parts are a nisba, a tribe or a second
// surname is held under fewer ("UMAR PATEK ABDULLAH ANSHORI" is listed as "UMAR PATEK",
// "ANJEM IFTIKHAR CHOUDARY MAHMOOD" as "ANJEM CHOUDARY"). Only the asker makes them, so
// a holder's set does not grow; a name written "SURNAME, Given" says which part is the
// surname, and makes none.
func leadingPairs(parts []part) [][]part {
	if len(parts) < 3 || slices.ContainsFunc(parts, func(p part) bool { return p.surname }) {
		return nil
	}
	var out [][]part
	for _, p := range parts[1 : len(parts)-1] {
		if !parts[0].common || !p.common {
			out = append(out, []part{parts[0], p})
		}
	}
	return out
}

// coreSurname is the index of the part a name's core takes as its surname: the last,
// but for a name written "SURNAME1 SURNAME2, Given" the first surname that is not a
// common name part ("RODRIGUEZ GOMEZ, Jorge" is Jorge Rodriguez; the second surname is
// the one a shorter form drops).
func coreSurname(parts []part) int {
	first := slices.IndexFunc(parts, func(p part) bool { return p.surname })
	if first < 1 || first == len(parts)-1 {
		return len(parts) - 1
	}
	for i := first; i < len(parts)-1; i++ {
		if !parts[i].common {
			return i
		}
	}
	return len(parts) - 1
}

// nameSizes returns how many keyed parts each of p's names has.
func nameSizes(p match.Person) []int {
	out := make([]int, len(p.Names))
	for i, n := range p.Names {
		out[i] = len(nameParts(n))
	}
	return out
}

// Holdings is a holder's keys in the clear, for measuring accuracy without the group
// arithmetic: Score on it decides as the protocol does (TestPlainAgreesWithProtocol).
type Holdings map[string]struct{}

// Add adds the keys of p.
func (h Holdings) Add(p match.Person) {
	for _, k := range HolderKeys(p) {
		h[k] = struct{}{}
	}
}

// Score is the band the protocol would give asking about p of a holder of h, and the
// coverage behind it (for measuring only).
func Score(p match.Person, h Holdings) (Band, float64) {
	keys := queryKeys(p)
	qp := queryPerson{keys: keys, sizes: nameSizes(p)}
	hit := make([]uint64, len(keys))
	for i, k := range keys {
		if _, ok := h[k.text]; ok {
			hit[i] = uint64(i + 1)
		}
	}
	r := qp.score(hit)
	return r.Band, r.coverage
}
