package match

import (
	"cmp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Structural caps keep every comparison bounded whatever the input: a name longer than
// MaxNameBytes is cut, and only the first MaxTokens parts of MaxTokenBytes each count.
const (
	// MaxNameBytes is how much of a name is read; the rest is ignored.
	MaxNameBytes = 512
	// MaxTokens is how many name parts are kept.
	MaxTokens = 12
	// MaxTokenBytes is the longest a normalised name part may be.
	MaxTokenBytes = 40
)

// Titles and honorifics say nothing about who a person is.
var honorifics = setOf(
	"mr", "mrs", "ms", "miss", "mister", "dr", "doctor", "prof", "professor", "sir", "dame",
	"lord", "lady", "sheikh", "shaikh", "shaykh", "sheik", "shekh", "cheikh", "haji", "hajji",
	"hadji", "hadj", "hajj", "alhaj", "alhaji", "alhajji", "mullah", "mulla", "molla", "maulana",
	"mawlana", "maulvi", "mawlawi", "moulavi", "mawlavi", "qari", "ayatollah", "hojatoleslam",
	"president", "prasident", "presidente", "general", "gen", "colonel", "col", "major", "capt",
	"captain", "lt", "sgt", "governor", "minister", "senator", "judge", "monsieur", "madame",
	"mme", "mlle", "mademoiselle", "herr", "frau", "senor", "senora", "sra", "prince",
	"princess", "king", "queen", "emir", "hon", "rev", "fr", "engr", "eng",
	// Generational suffixes.
	"jr", "sr", "ii", "iii", "iv",
)

// generational are the honorifics that stay set aside when written as a surname:
// "SHEIKH, Qari Muhammad" and "AL-HAJJ, Yahya" name a family, "GARCIA JR., Luis" does not.
var generational = setOf("jr", "sr", "ii", "iii", "iv")

// leadingTitles are honorifics that are also family names (AL-SAYYID): set aside only
// when they open the given names and a name follows.
var leadingTitles = setOf("sayyid", "sayyed", "sayed", "seyed", "seyyed", "seyyid", "syed")

// Connectors join name parts (al-, bin, van, de …) and never identify anyone on their own;
// "ould" (Hassaniya) and "ag" (Tamasheq) are "son of", as bin is.
var connectors = setOf(
	"al", "el", "ul", "ud", "ad", "ur", "ar", "ash", "as", "bin", "ibn", "bint", "binti", "bte",
	"ibnu", "ould", "wuld", "walad", "ag", "van", "von", "de", "da", "di", "del", "della", "der", "den",
	"du", "dos", "das", "do", "la", "le", "ter", "ten", "zu", "des", "af", "av",
)

// abjadConnectors are the connectors as Arabic script romanises them: بن, ابن, إبن, بنت
// and a detached ال.
var abjadConnectors = setOf("bn", "abn", "ibn", "bnt", "al")

// Connectors that are also given names count as connectors only after the first part.
var connectorsNotFirst = setOf("ben")

// kunya and theophoric prefixes are real name parts but weak evidence.
var weakParts = setOf("abd", "abu")

// abdForms are "Abd" as written alone, with the article ("Abdul") or with the article
// assimilated to a sun letter ("Abdur Rahman", "Abdus Salam").
var abdForms = setOf("abd", "abdu", "abdul", "abdel", "abdal", "abdoul", "abdol", "abdil", "abdou", "abdo",
	"abdur", "abdus", "abdush", "abduz", "abdut", "abdud", "abdun", "abdar", "abdas", "abdan", "abdaz", "abder", "abdes", "abden")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// token is one normalised name part with everything comparison needs precomputed.
type token struct {
	raw        string // as written
	fold       string // lower-case Latin, no diacritics
	key        string // phonetic key: spelling habits folded
	skel       string // consonant skeleton of key
	family     string // given-name family, "" when none
	script     script
	diacritics bool
	// surname is set for the parts before the comma of "SURNAME, Given".
	surname bool
	// given is set for the parts after the comma of "SURNAME, Given": known given names.
	given  bool
	weight float64
	// foldSet and keySet are the letters of fold and key as bit sets: two parts whose
	// letters differ too much cannot be within edit distance, whatever their order.
	foldSet, keySet uint64
	// ascii is set when fold (and so key and skel) is plain ASCII.
	ascii bool
	// rkeys are the part's romanisation keys, one per syllable system (romanise.go),
	// each "" unless its name was recognised as written in that system.
	rkeys [2]string
	// frSkel is the consonant skeleton of the part with French spelling undone, when its
	// name looks French-romanised (romanise.go), "" otherwise.
	frSkel string
	// frBare is frSkel without a joined "ben"/"bin" ("Bendjedid").
	frBare string
	// altKey is the key of the part read as the Cyrillic standards that write letters
	// other systems do not read so (see altReading), "" when it reads no other way.
	altKey string
	// stem is the key of the first noun of a compound with al-Din or Allah written as
	// one part (Nasiruddin, Fazlullah), "" for any other part (see compoundStem).
	stem string
	// id identifies the part during a search: negative for a query part (minus its
	// position, less one), positive for a vocabulary part (its id plus one), 0 otherwise.
	id int32
	// Readings derived from the fields above, computed once in Prepare (see readings)
	// because comparison asks for them for every pair of parts.
	// bare is withoutArticle's result; weak is set for a kunya or theophoric prefix
	// (weakParts); diph is set when key may hold a diphthong (hasDiphthong), and dkey
	// is then key with it written one way (appendDiphthongKey), when key is short
	// enough to compare; frKey is the phonetic key of the French spelling undone, for a
	// French-styled part (frSkel set).
	bare, dkey, frKey string
	weak, diph        bool
}

// readings fills in the readings of toks derived from their other fields.
func readings(toks []token) {
	for i := range toks {
		t := &toks[i]
		t.bare = withoutArticle(t)
		t.weak = weakParts[t.fold]
		t.diph = hasDiphthong(t.key)
		if t.diph && len(t.key) <= maxEditBytes {
			t.dkey = string(appendDiphthongKey(make([]byte, 0, len(t.key)), t.key))
		}
		if t.frSkel != "" {
			t.frKey = phoneticKey(frenchFold(t.fold))
		}
	}
}

// diphKey is the part's key with its diphthongs written one way (appendDiphthongKey).
func (t *token) diphKey() string {
	if t.diph {
		return t.dkey
	}
	return t.key
}

// letterSet maps each byte of s onto one of 64 bits.
func letterSet(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

func (t token) initial() bool { return len(t.fold) == 1 }

// Name is a prepared name: normalised, transliterated and split into parts.
type Name struct {
	Original string
	tokens   []token
	// commaOrder is set when "SURNAME, Given" was turned round.
	commaOrder bool
	// orig is which of a person's names this is.
	orig int
	// unreached is set, during an index search, on a name of a candidate none of whose
	// parts the query reached by any route, when another of its names was reached: such
	// a name cannot be the candidate's best, and is not aligned.
	unreached bool
	// titled is set when nameTitles may find a title in Original (see Prepare): only
	// then does an explanation split and fold the name again to name its titles.
	titled bool
}

// Tokens returns the normalised parts of the name.
func (n Name) Tokens() []string {
	out := make([]string, len(n.tokens))
	for i, t := range n.tokens {
		out[i] = t.fold
	}
	return out
}

// capName cuts s to at most MaxNameBytes without splitting a character.
func capName(s string) string {
	if len(s) <= MaxNameBytes {
		return s
	}
	i := MaxNameBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', 'ʻ', 'ʿ', 'ʾ', '`', '´':
		return true
	}
	return false
}

// splitWords cuts s into words at spaces, hyphens and punctuation; apostrophes inside a
// word are dropped so that "Mu'tassim" and "Mutassim" meet.
func splitWords(s string) []string {
	s = norm.NFKC.String(s)
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case isApostrophe(r):
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
			b.WriteRune(r)
		default:
			flush()
		}
		if len(words) > 4*MaxTokens {
			break
		}
	}
	flush()
	return words
}

var leet = map[rune]rune{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '9': 'g', '8': 'b'}

// foldWord lower-cases a word, romanises it and strips diacritics. Turkish İ and ı become i,
// like I: the dot distinction is a spelling habit, not part of the name.
func foldWord(w string, ukrainian bool) (fold string, sc script, diacritics bool) {
	if f, ok := foldASCII(w); ok {
		return f, scriptLatin, false
	}
	sc = scriptLatin
	letters, digits := 0, 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
			if s := scriptOf(r); s != scriptLatin && sc == scriptLatin {
				sc = s
			}
		} else if unicode.IsDigit(r) {
			digits++
		}
	}
	lower := make([]rune, 0, len(w))
	for _, r := range w {
		switch r {
		case 'İ', 'I', 'ı':
			r = 'i'
		default:
			r = unicode.ToLower(r)
		}
		if letters > 0 && digits > 0 {
			if l, ok := leet[r]; ok {
				r = l
			}
		}
		lower = append(lower, r)
	}
	switch sc {
	case scriptOther:
		var b strings.Builder
		for _, r := range norm.NFC.String(string(lower)) {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
				b.WriteRune(r)
			}
		}
		fold = b.String()
	case scriptLatin, scriptGreek:
		var b strings.Builder
		for i, r := range lower {
			// Carons are how GOST 7.79 A (ISO 9) and the Czech-style alphabets write
			// the sounds other romanisations write sh, ch and zh.
			if d, ok := caronDigraphs[r]; ok {
				lower[i] = d
				diacritics = true
			}
		}
		for _, r := range norm.NFD.String(string(lower)) {
			if unicode.Is(unicode.Mn, r) {
				diacritics = true
				continue
			}
			if r >= 0xE000 && r < 0xE010 {
				b.WriteString(caronSpellings[r-0xE000])
				continue
			}
			if s, ok := latinSpecial[r]; ok {
				if r != 'ı' {
					diacritics = true
				}
				b.WriteString(s)
				continue
			}
			if r < 0x80 {
				if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
					b.WriteRune(r)
				}
				continue
			}
			if scriptOf(r) == scriptGreek {
				b.WriteString(greekLatin[r])
				continue
			}
			if unicode.IsLetter(r) {
				b.WriteRune(r)
			}
		}
		fold = b.String()
	default:
		fold = transliterate(string(lower), sc, ukrainian)
	}
	if sc == scriptGreek {
		diacritics = false
	}
	return fold, sc, diacritics
}

// foldASCII is foldWord for a plain ASCII word of letters (the common case), without
// Unicode tables or allocation beyond the result; ok is false for anything else.
func foldASCII(w string) (string, bool) {
	upper := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z':
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if !upper {
		return w, true
	}
	b := make([]byte, len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b), true
}

// Normalize returns the normalised parts of a name: NFKC, case folding, transliteration,
// diacritics, punctuation, honorifics and connectors handled, "SURNAME, Given" turned round.
func Normalize(s string) []string { return Prepare(s).Tokens() }

// Prepare normalises a name once so that it can be compared many times.
func Prepare(s string) Name {
	n := Name{Original: s}
	s = capName(s)
	if t := trimSuffix(s); t != s {
		s, n.titled = t, true
	}
	var surname string
	if strings.Count(s, ",") == 1 {
		i := strings.IndexByte(s, ',')
		before, after := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		if before != "" && after != "" {
			s, surname = after, before
			n.commaOrder = true
		}
	}
	type part struct {
		raw, fold  string
		sc         script
		diacritics bool
		surname    bool
	}
	var parts, kept []part
	ukr := isUkrainian(strings.ToLower(s + surname))
	words := splitWords(s)
	n.titled = n.titled || ukr
	if split := splitKorean(words); len(split) != len(words) {
		words, n.titled = split, true
	}
	for _, w := range words {
		if f, sc, d := foldWord(w, ukr); f != "" {
			parts = append(parts, part{w, f, sc, d, false})
		}
	}
	for _, w := range splitWords(surname) {
		if f, sc, d := foldWord(w, ukr); f != "" {
			parts = append(parts, part{w, f, sc, d, true})
		}
	}
	// nameTitles reports the words of the name, split and folded as here, that are
	// titles, honorifics or "Abu": unless the name is written with one (or was split or
	// folded otherwise: a suffix trimmed, a Korean name split, Ukrainian spelling),
	// explaining a match need not look for them again.
	for _, p := range parts {
		n.titled = n.titled || honorifics[p.fold] || leadingTitles[p.fold] || p.fold == "abu"
	}
	// A Chinese or Korean name keeps every part: "De" in "Zhu De" is a syllable, not a
	// connector.
	syllabic := syllableName(len(parts), func(i int) string { return parts[i].fold })
	for i, p := range parts {
		if syllabic {
			kept = append(kept, p)
			continue
		}
		// Titles and connectors are recognised by their romanisation in alphabets, but
		// in an abjad only by their own letters: Arabic عمر romanises as "mr", which is
		// not "Mr".
		if p.sc.abjad() {
			if !abjadConnectors[p.fold] {
				kept = append(kept, p)
			}
			continue
		}
		if p.sc != scriptLatin && p.sc != scriptCyrillic && p.sc != scriptGreek {
			kept = append(kept, p)
			continue
		}
		switch {
		case honorifics[p.fold] && (!p.surname || generational[p.fold]),
			connectors[p.fold], connectorsNotFirst[p.fold] && len(kept) > 0 && i < len(parts)-1,
			leadingTitles[p.fold] && i == 0 && !p.surname && i+1 < len(parts) && !parts[i+1].surname:
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		kept = parts
	}
	n.tokens = make([]token, 0, min(len(kept)+1, MaxTokens))
	for i := 0; i < len(kept) && len(n.tokens) < MaxTokens; i++ {
		p := kept[i]
		folds := splitAbd(p.fold)
		// "Abd" followed by "Allah" is one name, Abdullah.
		if len(folds) == 1 && abdForms[p.fold] && i+1 < len(kept) && (kept[i+1].fold == "allah" || kept[i+1].fold == "ullah" || kept[i+1].fold == "alla") {
			folds = []string{"abdullah"}
			p.raw += " " + kept[i+1].raw
			i++
		}
		for _, f := range folds {
			if len(f) > MaxTokenBytes {
				f = f[:MaxTokenBytes]
			}
			t := newToken(p.raw, f, p.sc, p.diacritics)
			t.surname = p.surname
			t.given = n.commaOrder && !p.surname
			n.tokens = append(n.tokens, t)
			if len(n.tokens) == MaxTokens {
				break
			}
		}
	}
	romanise(n.tokens)
	frenchSkeletons(n.tokens)
	readings(n.tokens)
	return n
}

// splitKorean separates the surname from a Korean name written as one word in Hangul
// ("김정은" is Kim Jong Un): almost every Korean surname is one syllable, and given
// names one or two.
func splitKorean(words []string) []string {
	for i, w := range words {
		n := utf8.RuneCountInString(w)
		if n < 3 || n > 4 {
			continue
		}
		r, size := utf8.DecodeRuneInString(w)
		if scriptOf(r) != scriptHangul {
			continue
		}
		words = append(words[:i+1], words[i:]...)
		words[i], words[i+1] = w[:size], w[size:]
		return words
	}
	return words
}

// nameTitles returns the titles and honorifics written in a name ("Haji", "Sheikh",
// "Dr"), which Prepare sets aside, and a kunya prefix "Abu" followed by a name, which
// counts only as a weak part; only explanations need them.
func nameTitles(s string) []string {
	words := splitWords(capName(s))
	given := capName(s)
	surnames := 0 // words before the comma of "SURNAME, Given": family names, not titles
	if strings.Count(given, ",") == 1 {
		var before string
		before, given, _ = strings.Cut(given, ",")
		if strings.TrimSpace(given) != "" {
			surnames = len(splitWords(before))
		}
	}
	var titles []string
	for i, w := range words {
		f, sc, _ := foldWord(w, false)
		if sc != scriptLatin {
			continue
		}
		if honorifics[f] && len(words) > 1 && (i >= surnames || generational[f]) || f == "abu" && i+1 < len(words) {
			titles = append(titles, w)
		}
	}
	if gw := splitWords(given); len(gw) > 1 {
		if f, _, _ := foldWord(gw[0], false); leadingTitles[f] {
			titles = append(titles, gw[0])
		}
	}
	return titles
}

// trimSuffix drops a generational suffix written after a comma ("LAVILLA, Ruben, Jr."),
// which would otherwise hide the "SURNAME, Given" order.
func trimSuffix(s string) string {
	i := strings.LastIndexByte(s, ',')
	if i < 0 || strings.Count(s, ",") != 2 {
		return s
	}
	if f, ok := foldASCII(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[i+1:]), "."))); ok && honorifics[f] {
		return s[:i]
	}
	return s
}

// splitAbd separates the theophoric "Abd" so that "Abdulaziz", "Abdel Aziz" and
// "Abd al-Aziz" all become "abd aziz"; "Abdullah" stays whole.
func splitAbd(f string) []string {
	if abdForms[f] {
		return []string{"abd"}
	}
	if !strings.HasPrefix(f, "abd") || len(f) < 7 {
		return []string{f}
	}
	rest := f[3:]
	for _, v := range []string{"oul", "ul", "el", "al", "ol", "il", "ou", "u", "e", "a", "o"} {
		if !strings.HasPrefix(rest, v) {
			continue
		}
		r := rest[len(v):]
		// Sun letters assimilate the article: abdur-rahman, abdus-salam.
		if len(v) <= 2 && !strings.HasSuffix(v, "l") && len(r) >= 4 && r[0] == r[1] {
			r = r[1:]
		} else if !strings.HasSuffix(v, "l") {
			continue
		}
		if len(r) < 3 || strings.HasPrefix(r, "lah") || strings.HasPrefix(r, "la") && len(r) <= 4 {
			return []string{f}
		}
		return []string{"abd", r}
	}
	return []string{f}
}

func newToken(raw, fold string, sc script, diacritics bool) token {
	k := phoneticKey(fold)
	t := token{raw: raw, fold: fold, key: k, skel: skeleton(k), family: families[k], script: sc, diacritics: diacritics,
		weight: baseWeight(fold), foldSet: letterSet(fold), keySet: letterSet(k), ascii: isASCII(fold)}
	if sc == scriptLatin {
		t.stem = compoundStem(k)
		if alt := altReading(raw); alt != "" {
			if f, _, _ := foldWord(alt, false); f != "" && f != fold {
				if ak := phoneticKey(f); ak != k {
					t.altKey = ak
				}
			}
		}
	}
	return t
}

// compoundSuffixes end, as keys write them, the Arabic compound names of a noun with
// al-Din, "of the faith" (Nasir al-Din: Nasiruddin, Nasreddine, Nasraddin), or with Allah
// (Fazl Allah: Fazlullah, Fazlallah; Persian Habibollah), which people and lists shorten
// to the noun alone (Nasir, Fazal, Habib).
var compoundSuffixes = [...]string{"udin", "idini", "idin", "adin", "ula", "ala"}

// compoundStem returns the key of the noun of such a compound written as one part, or ""
// when key ends in none of the suffixes or leaves less than three letters or only "Abd"
// before it (Abdullah is one name, not a shortened Abd).
func compoundStem(key string) string {
	for _, suf := range compoundSuffixes {
		if stem, ok := strings.CutSuffix(key, suf); ok && len(stem) >= 3 && !weakParts[stem] && !abdForms[stem] {
			// Keyed again, as the noun alone is: its last h is then final (Salah).
			return phoneticKey(stem)
		}
	}
	return ""
}

// shortenedCompound reports whether b is the noun a, a compound with al-Din or Allah,
// was shortened to: the same key, or with one vowel more between two consonants, as
// Urdu and Persian write Fazl as Fazal.
func shortenedCompound(a, b *token) bool {
	if a.stem == "" || b.script != scriptLatin || b.stem != "" {
		return false
	}
	return a.stem == b.key || epenthesis(a.stem, b.key)
}

// epenthesis reports whether long is short with one vowel added between two consonants.
func epenthesis(short, long string) bool {
	if len(long) != len(short)+1 {
		return false
	}
	for i := 1; i+1 < len(long); i++ {
		if isVowel(long[i]) && !isVowel(long[i-1]) && !isVowel(long[i+1]) && long[:i] == short[:i] && long[i+1:] == short[i:] {
			return true
		}
	}
	return false
}

// Two Cyrillic standards write letters as no other system reads them: GOST 7.79 system
// B writes х as x (Xodorkovskij, Khodorkovskiy); ISO 9 (GOST 7.79 system A) writes ю
// and я as û and â, and ц as c (Ûliâ, Yuliya; Pliseckaâ, Plisetskaya). Elsewhere the
// same letters read otherwise (Alexander; the â of Romanian or French), so a part
// written with them gets this reading as a second key, never in place of its own.
var (
	gostReading = strings.NewReplacer("x", "kh", "X", "Kh")
	iso9Reading = strings.NewReplacer("jû", "iu", "jâ", "ia", "û", "iu", "Û", "Iu", "â", "ia", "Â", "Ia", "c", "ts", "C", "Ts")
)

// altReading returns raw read as those standards write, or "" when it has none of
// their letters.
func altReading(raw string) string {
	alt := ""
	if strings.ContainsAny(raw, "ûÛâÂ") {
		alt = iso9Reading.Replace(raw)
	}
	if strings.ContainsAny(raw, "xX") {
		alt = gostReading.Replace(cmp.Or(alt, raw))
	}
	return alt
}

// baseWeight is how much a part says about identity before its rarity is known: an
// initial or a kunya/theophoric prefix says less than a name.
func baseWeight(fold string) float64 {
	return baseWeightOf(fold, weakParts[fold])
}

// baseWeight is baseWeight(t.fold), from the part's readings.
func (t *token) baseWeight() float64 { return baseWeightOf(t.fold, t.weak) }

func baseWeightOf(fold string, weak bool) float64 {
	switch {
	case len(fold) == 1:
		return 0.4
	case weak:
		return 0.5
	}
	return 1
}

// PhoneticKey folds the spelling habits of French, English, German and Turkish
// romanisation (ou/u, ch/sh/ş, dj/j, kh/h, ph/f, w/v, e/i and o/u vowel shifts, doubled
// letters) so that variants of one name share a key.
func PhoneticKey(word string) string {
	f, _, _ := foldWord(word, false)
	return phoneticKey(f)
}

// SpellingKey is the key under which the spellings of one name part meet: its given-name
// family when it belongs to one (Muhammad, Mohamed and Mehmet share one), otherwise its
// phonetic key.
func SpellingKey(word string) string {
	k := PhoneticKey(word)
	if f := families[k]; f != "" {
		return f
	}
	return k
}

// digraphs maps the first letter of kh, gh, ph, th, dh to the sound it stands for.
var digraphs = [256]byte{'k': 'h', 'g': 'g', 'p': 'f', 't': 't', 'd': 'd'}

func phoneticKey(s string) string {
	return string(appendPhoneticKey(make([]byte, 0, len(s)+2), s))
}

// appendPhoneticKey appends the phonetic key of s to dst.
func appendPhoneticKey(dst []byte, s string) []byte {
	start := len(dst)
	b := dst
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "tsch"):
			b = append(b, 's')
			i += 3
		case strings.HasPrefix(rest, "sch"), strings.HasPrefix(rest, "tch"), strings.HasPrefix(rest, "dzh"):
			if c == 'd' {
				b = append(b, 'j')
			} else {
				b = append(b, 's')
			}
			i += 2
		case c == 'd' && next == 'j', c == 'z' && next == 'h':
			b = append(b, 'j')
			i++
		case (c == 's' || c == 'c') && next == 'h':
			b = append(b, 's')
			i++
		case c == 'k' && next == 'h', c == 'g' && next == 'h', c == 'p' && next == 'h', c == 't' && next == 'h', c == 'd' && next == 'h':
			b = append(b, digraphs[c])
			i++
		case c == 't' && (next == 's' || next == 'z') && i+2 < len(s) && !isVowel(s[i+2]) && s[i+2] != 'h',
			c == 't' && (next == 's' || next == 'z') && i == 0,
			c == 'c' && next == 'z':
			// ts, tz and GOST's cz are the one sound c stands for before a consonant:
			// Tsvetkov, Cvetkov, Czvetkov.
			b = append(b, 'c')
			i++
		case c == 'c' && next != 0 && !isVowel(next) && next != 'y' && next != 'h' && next != 'k' && next != 'c' && next != 'r' && next != 'l':
			b = append(b, 'c')
		case c == 'j' && i > 0 && isVowel(s[i-1]) && (next == 0 || !isVowel(next) && next != 'j' && next != 'h'):
			// A j closing a syllable is the iotation other systems write i or y: Sergej,
			// Šojgu, Nikolaj.
			b = append(b, 'i')
		case c == 'c' && next == 'k':
			b = append(b, 'k')
			i++
		case c == 'q' && next == 'u' && i+2 < len(s) && isVowel(s[i+2]):
			// Spanish, French and Portuguese qu before a vowel is k (Enrique, Joaquin);
			// before a consonant, as Arabic names write it, the u is a vowel (Qubaysi,
			// Qurashi).
			b = append(b, 'k')
			i++
		case c == 'q':
			b = append(b, 'k')
		case c == 'c':
			if next == 'e' || next == 'i' || next == 'y' {
				b = append(b, 's')
			} else {
				b = append(b, 'k')
			}
		case c == 'x':
			if i == 0 {
				b = append(b, 's')
			} else {
				b = append(b, 'k', 's')
			}
		case c == 'w':
			b = append(b, 'v')
		case c == 'z':
			b = append(b, 's')
		case c == 'y', c == 'e':
			b = append(b, 'i')
		case c == 'o':
			b = append(b, 'u')
		case c == 'h' && i == len(s)-1 && i > 0:
			// A final h after a vowel is silent: Abdullah, Abdulla.
		default:
			b = append(b, c)
		}
	}
	out := b[:start]
	for i := start; i < len(b); i++ {
		if i > start && b[i] == b[i-1] {
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// appendDiphthongKey appends key with each Arabic diphthong inside a name written one
// way. The diphthong ay is written ay, ai, ei or e (Husayn, Husain, Hussein; Zubaydi,
// Zubaidi; Shaykh, Sheikh; Sulayman, Suleiman), and keys write ay as ai and ei as i, so
// "ai" between consonants becomes "i". The diphthong aw is written aw, au, o or ou
// (Jawlani, Golani; Mawlana, Molana; Nawfal, Nofal), and keys write aw as av and o as u,
// so "av" between consonants becomes "u". A final "ai" (Lai, Cai) is left alone.
func appendDiphthongKey(dst []byte, key string) []byte {
	for i := 0; i < len(key); i++ {
		if key[i] == 'a' && i > 0 && i+2 < len(key) && (key[i+1] == 'i' || key[i+1] == 'v') && !isVowel(key[i-1]) && !isVowel(key[i+2]) {
			if key[i+1] == 'v' {
				dst = append(dst, 'u')
				i++
			}
			continue
		}
		dst = append(dst, key[i])
	}
	return dst
}

// hasDiphthong reports whether a key may hold a diphthong appendDiphthongKey writes
// one way.
func hasDiphthong(key string) bool { return strings.Contains(key, "ai") || strings.Contains(key, "av") }

// diphthongKey is key with its diphthongs written one way (appendDiphthongKey), or ""
// when it has none to write so.
func diphthongKey(key string) string {
	if len(key) > maxEditBytes || !hasDiphthong(key) {
		return ""
	}
	var b [maxEditBytes]byte
	if d := appendDiphthongKey(b[:0], key); string(d) != key {
		return string(d)
	}
	return ""
}

// sameDiphthongReading reports whether the different keys of two parts meet once every
// diphthong is written one way (see appendDiphthongKey).
func sameDiphthongReading(a, b *token) bool {
	if abs(len(a.key)-len(b.key)) > 2 || len(a.key) > maxEditBytes || len(b.key) > maxEditBytes || !a.diph && !b.diph {
		return false
	}
	return a.diphKey() == b.diphKey()
}

func isVowel(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}

// Skeleton returns the consonant skeleton of a name part: what survives when vowels are
// unknown, as in Arabic or Hebrew script.
func Skeleton(word string) string { return skeleton(PhoneticKey(word)) }

func skeleton(key string) string {
	return string(appendSkeleton(make([]byte, 0, len(key)), key))
}

// appendSkeleton appends the consonant skeleton of key to dst.
func appendSkeleton(dst []byte, key string) []byte {
	b := dst
	start := len(dst)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isVowel(c) || c == 'v' && i > 0 && isVowel(key[i-1]) {
			continue
		}
		if len(b) > start && b[len(b)-1] == c {
			continue
		}
		b = append(b, c)
	}
	return b
}
