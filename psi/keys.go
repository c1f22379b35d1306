package psi

import (
	"slices"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn/match"
)

// MaxParts is how many name parts of one name make keys; parts after it are ignored, so a
// name of many parts cannot blow up the number of keys.
const MaxParts = 6

// A key stands for a whole name, never for a piece of one, so that pieces held by
// different subjects can never add up to a hit. A name of n parts gives its full key
// ("F|…", all its parts, sorted) and, when n ≥ 3, the n keys that leave one part out
// ("D|…"): an asker's full key meets a holder's full key (the same parts) or one of its
// leave-one-out keys (the holder knows one part more), and an asker's leave-one-out key
// meets a holder's full key (the asker knows one part more). Each is written in two
// families, so that a typo or a transliteration that breaks one leaves another: the
// matcher's spelling keys (name families, phonetic folding) and consonant skeletons. A two-part name is also keyed joined
// ("VladimirPutin"). The birth year rides on the spelling family only: "…|1985" when the
// holder has it, "…|dated" beside it so that an asker learns of a conflict.
type part struct {
	spell, skel, phon string
	common            bool // a given name shared by very many people
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

func isCommon(word, spell string) bool {
	return commonParts[spell] || spell != match.PhoneticKey(word)
}

// queryKey is one key an asker asks about, with what a hit on it would mean.
type queryKey struct {
	text string
	name int  // which of the person's names
	kind byte // 'n' the name, 'y' the name and the birth year (within one), 'd' the name, dated
}

// nameParts returns the keyed parts of a name: initials dropped, at most MaxParts,
// duplicates once.
func nameParts(name string) []part {
	var out []part
	for _, t := range match.Normalize(name) {
		if len([]rune(t)) < 2 {
			continue
		}
		k := match.SpellingKey(t)
		if k == "" || slices.ContainsFunc(out, func(p part) bool { return p.spell == k }) {
			continue
		}
		ph := match.PhoneticKey(t)
		out = append(out, part{spell: k, skel: match.Skeleton(t), phon: ph, common: isCommon(t, k)})
		if len(out) == MaxParts {
			break
		}
	}
	return out
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
func wholeKeys(parts []part, fn func(key string, family int, leftOut bool)) {
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
		fn("j:"+match.PhoneticKey(parts[0].phon+parts[1].phon), 1, false)
		fn("j:"+match.PhoneticKey(parts[1].phon+parts[0].phon), 1, false)
	}
	if len(parts) < 3 {
		return
	}
	// Written as one word in order, so that a name split or joined differently meets
	// ("Rafat Nejad"/"Rafatnejad", "Su Nam"/"Sunam"): the two-part names' joined key.
	var joined strings.Builder
	for _, p := range parts {
		joined.WriteString(p.phon)
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
	for _, n := range p.Names {
		parts := nameParts(n)
		if len(parts) == 1 {
			add("F|j:" + parts[0].phon)
		}
		coreKeys(parts, false, add)
		initialKey(n, false, add)
		wholeKeys(parts, func(key string, f int, leftOut bool) {
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
	for ni, n := range p.Names {
		parts := nameParts(n)
		if len(parts) == 1 {
			add(queryKey{"F|j:" + parts[0].phon, ni, 'n'})
		}
		wholeKeys(parts, func(key string, f int, leftOut bool) {
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
	// The core and typo keys come last: when a person's names fill MaxElements, the
	// exact keys and the years are asked first.
	for ni, n := range p.Names {
		coreKeys(nameParts(n), true, func(k string) { add(queryKey{k, ni, 'n'}) })
		initialKey(n, true, func(k string) { add(queryKey{k, ni, 'n'}) })
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
//   - "T2|", "T3|" (typo keys): the core with one part fixed and the other written as
//     each of its one-letter deletions, for a holder's name of two parts (T2) or more
//     (T3): the two sides meet when one part is the same and the other within one edit
//     ("Vladimir Pulin", "Vladimir Putin"), which no spelling or skeleton key survives.
//
// Neither is made when both core parts are common given names.
func coreKeys(parts []part, asker bool, fn func(key string)) {
	n := len(parts)
	if n < 2 || parts[0].common && parts[n-1].common {
		return
	}
	core := []part{parts[0], parts[n-1]}
	typo := func(class string) {
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
	if !asker {
		if n == 2 {
			typo("T2|")
			return
		}
		fn(family("K3|e:", core, -1, spell))
		typo("T3|")
		return
	}
	if n >= 3 {
		fn(family("F|e:", core, -1, spell))
	}
	fn(family("K3|e:", core, -1, spell))
	typo("T2|")
	typo("T3|")
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
