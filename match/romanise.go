package match

import (
	"strings"
	"sync"
)

// Romanisation systems that write one language's syllables in different Latin letters.
// A name written in one of them is recognised as a whole (all its parts are syllables of
// the language and one is a common surname of it), and each part then gets a romanisation
// key: its syllables mapped to one canonical spelling, so that McCune–Reischauer "Chŏng-ŭn",
// Revised Romanisation "Jeong-eun" and the North Korean "Jong Un" meet, as do Wade–Giles
// "Tse-tung" and pinyin "Zedong". The tables below are the systems' published
// correspondences; nothing in them is tuned on a list.
type romanSystem uint8

const (
	romanNone romanSystem = iota
	romanKorean
	romanChinese
)

// syllableTable is one language's syllables in every system it is romanised in.
type syllableTable struct {
	// canon maps a romanised syllable (lower case, no diacritics or apostrophes) to its
	// canonical form.
	canon  map[string]string
	maxLen int
	// surnames maps each spelling of a common surname to its canonical form.
	surnames map[string]string
}

// Korean. Aspiration (MR ch' k' t' p'), voicing (RR j g d b) and the breve (MR ŏ ŭ,
// which lists drop) are what the systems disagree on, so the canonical syllable keeps
// only the place of each consonant and merges ŏ/eo/o and ŭ/eu/u.
var koreanInitials = [][2]string{
	{"k", "k"}, {"g", "k"}, {"kk", "k"}, {"gg", "k"},
	{"t", "t"}, {"d", "t"}, {"tt", "t"}, {"dd", "t"},
	{"p", "p"}, {"b", "p"}, {"pp", "p"}, {"bb", "p"},
	{"ch", "c"}, {"j", "c"}, {"jj", "c"}, {"tch", "c"},
	{"s", "s"}, {"ss", "s"}, {"sh", "s"},
	{"r", "r"}, {"l", "r"}, {"n", "n"}, {"m", "m"}, {"h", "h"}, {"", ""},
}

var koreanVowels = [][2]string{
	{"a", "a"}, {"ae", "ae"}, {"ya", "ya"}, {"yae", "yae"},
	{"eo", "o"}, {"o", "o"}, {"yeo", "yo"}, {"yo", "yo"},
	{"u", "u"}, {"oo", "u"}, {"eu", "u"}, {"yu", "yu"},
	{"i", "i"}, {"e", "e"}, {"ye", "ye"},
	{"wa", "wa"}, {"wae", "wae"}, {"oe", "oe"}, {"oi", "oe"},
	{"wo", "wo"}, {"weo", "wo"}, {"we", "we"}, {"wi", "wi"}, {"ui", "ui"}, {"eui", "ui"},
}

var koreanFinals = [][2]string{
	{"", ""}, {"k", "k"}, {"g", "k"}, {"n", "n"}, {"t", "t"}, {"d", "t"},
	{"l", "l"}, {"r", "l"}, {"m", "m"}, {"p", "p"}, {"b", "p"}, {"ng", "ng"},
}

// koreanSurnameForms lists the spellings of common Korean surnames; the first is the
// canonical one. They also tell a Korean name from others.
var koreanSurnameForms = [][]string{
	{"kim", "gim"}, {"ri", "lee", "yi", "rhee", "li", "rhie", "ree"}, {"pak", "park", "bak", "bahk"},
	{"choe", "choi", "chwe", "choy"}, {"jeong", "jung", "chung", "chong", "jong", "cheong"},
	{"no", "noh", "roh", "ro"}, {"o", "oh"}, {"ryu", "yu", "yoo"}, {"rim", "lim", "im"},
	{"yun", "yoon"}, {"sin", "shin"}, {"so", "seo", "suh", "soh"}, {"kang", "gang"},
	{"cho", "jo", "joe"}, {"jang", "chang"}, {"jeon", "chon", "jon", "chun"},
	{"ko", "go", "koh"}, {"kwon", "gwon"}, {"mun", "moon"}, {"pae", "bae"},
	{"paek", "baek", "paik"}, {"ho", "heo", "hur", "huh"}, {"han"}, {"hwang"}, {"an", "ahn"},
	{"song"}, {"hong"}, {"yang"}, {"son", "sohn"}, {"nam"}, {"ha"}, {"kwak", "gwak"},
	{"cha"}, {"ju", "joo", "chu"}, {"min"}, {"jin", "chin"}, {"kil", "gil"},
	{"om", "eom", "um"}, {"won"}, {"hyon", "hyun", "hyeon"}, {"pyon", "byun", "byeon"},
	{"ryom", "ryeom", "yeom", "yom"}, {"tak"}, {"pyo"}, {"kye", "gye"}, {"sung", "seong"},
	{"ji", "chi", "jee"},
}

// Chinese. Wade–Giles marks aspiration with an apostrophe that lists drop, so b/p, d/t,
// g/k, j/q/zh/ch and z/c each become one consonant; the vowels follow the systems' tables
// (WG -ung is pinyin -ong, -ieh -ie, -ien -ian, -ih -i, lo luo, ko ge).
var pinyinInitials = [][2]string{
	{"b", "p"}, {"p", "p"}, {"m", "m"}, {"f", "f"}, {"d", "t"}, {"t", "t"}, {"n", "n"}, {"l", "l"},
	{"g", "k"}, {"k", "k"}, {"h", "h"}, {"j", "c"}, {"q", "c"}, {"x", "x"}, {"zh", "c"}, {"ch", "c"},
	{"sh", "sh"}, {"r", "r"}, {"z", "z"}, {"c", "z"}, {"s", "s"}, {"y", "y"}, {"w", "w"}, {"", ""},
}

var pinyinFinals = []string{
	"a", "o", "e", "i", "u", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "er",
	"ia", "ie", "iao", "iu", "ian", "in", "iang", "ing", "iong", "ua", "uo", "uai", "ui",
	"uan", "un", "uang", "ueng", "ue",
}

var wadeGilesInitials = [][2]string{
	{"p", "p"}, {"m", "m"}, {"f", "f"}, {"t", "t"}, {"n", "n"}, {"l", "l"}, {"k", "k"}, {"h", "h"},
	{"ch", "c"}, {"hs", "x"}, {"sh", "sh"}, {"j", "r"}, {"ts", "z"}, {"tz", "z"}, {"s", "s"},
	{"y", "y"}, {"w", "w"}, {"", ""},
}

// wadeGilesFinals maps Wade–Giles finals to pinyin ones.
var wadeGilesFinals = [][2]string{
	{"a", "a"}, {"o", "o"}, {"e", "e"}, {"eh", "e"}, {"i", "i"}, {"ih", "i"}, {"u", "u"},
	{"ai", "ai"}, {"ei", "ei"}, {"ao", "ao"}, {"ou", "ou"}, {"an", "an"}, {"en", "en"},
	{"ang", "ang"}, {"eng", "eng"}, {"ung", "ong"}, {"erh", "er"}, {"ia", "ia"}, {"ieh", "ie"},
	{"iao", "iao"}, {"iu", "iu"}, {"ien", "ian"}, {"in", "in"}, {"iang", "iang"}, {"ing", "ing"},
	{"iung", "iong"}, {"ua", "ua"}, {"uo", "uo"}, {"uai", "uai"}, {"uei", "ui"}, {"ui", "ui"},
	{"uan", "uan"}, {"un", "un"}, {"uang", "uang"}, {"ueh", "ue"}, {"ue", "ue"},
}

// wadeGilesSyllables are those that do not follow from initial and final alone.
var wadeGilesSyllables = [][2]string{
	{"tzu", "zi"}, {"tsu", "zu"}, {"ssu", "si"}, {"szu", "si"}, {"yu", "you"}, {"yung", "yong"},
	{"yen", "yan"}, {"yeh", "ye"}, {"erh", "er"},
}

// chineseSurnameForms lists common Chinese surnames in pinyin and Wade–Giles (with
// other spellings lists use); the first is pinyin.
var chineseSurnameForms = [][]string{
	{"zhang", "chang", "cheung"}, {"wang", "wong"}, {"li", "lee"}, {"liu", "lau"}, {"chen", "chan"},
	{"yang", "yeung"}, {"huang", "hwang", "wong"}, {"zhao", "chao", "chiu"}, {"wu", "ng"},
	{"zhou", "chou", "chow"}, {"xu", "hsu", "hsü"}, {"sun", "suen"}, {"ma"}, {"zhu", "chu"}, {"hu", "woo"},
	{"guo", "kuo", "kwok"}, {"he", "ho"}, {"lin", "lam"}, {"gao", "kao", "ko"}, {"luo", "lo", "law"},
	{"zheng", "cheng"}, {"liang", "leung"}, {"xie", "hsieh", "tse"}, {"song", "sung"},
	{"tang", "tong"}, {"deng", "teng", "tang"}, {"han", "hon"}, {"feng", "fung"}, {"cao", "tsao"},
	{"peng", "pang"}, {"zeng", "tseng", "tsang"}, {"xiao", "hsiao", "siu"}, {"tian", "tien"},
	{"dong", "tung"}, {"pan", "poon"}, {"yuan", "yüan"}, {"cai", "tsai", "choi"}, {"jiang", "chiang"},
	{"yu", "yue"}, {"du", "tu", "to"}, {"ye", "yeh", "yip"}, {"wei", "ngai"}, {"su", "so"},
	{"lu", "lo"}, {"ding", "ting"}, {"ren", "jen", "yam"}, {"shen", "shum"}, {"yao", "yiu"},
	{"fan"}, {"fang", "fong"}, {"shi", "shih", "sze"}, {"jin", "chin", "kam"}, {"mao"},
	{"bo", "po"}, {"wen", "man"}, {"hou", "hau"}, {"duan", "tuan"}, {"kong", "kung", "hung"},
	{"qiu", "chiu", "yau"}, {"qin", "chin"}, {"jia", "chia"}, {"xue", "hsüeh", "hsueh"},
	{"yan", "yen", "yim"}, {"xi", "hsi"}, {"zhuang", "chuang"}, {"qian", "chien"},
	{"lai"}, {"mo"}, {"wan"}, {"zou", "tsou", "chau"}, {"tan", "tam"}, {"lei", "lui"},
}

var (
	// Built on first use, not at start-up: every forewarn command, --help included, would
	// otherwise pay for tables only matching needs (issue 18).
	koreanTable  = sync.OnceValue(buildKorean)
	chineseTable = sync.OnceValue(buildChinese)
)

func buildKorean() *syllableTable {
	t := &syllableTable{canon: map[string]string{}, surnames: map[string]string{}}
	for _, i := range koreanInitials {
		for _, v := range koreanVowels {
			for _, f := range koreanFinals {
				t.add(i[0]+v[0]+f[0], i[1]+v[1]+f[1], false)
			}
		}
	}
	t.addSurnames(koreanSurnameForms)
	return t
}

func buildChinese() *syllableTable {
	t := &syllableTable{canon: map[string]string{}, surnames: map[string]string{}}
	// Pinyin first: where a spelling is a syllable in both systems, pinyin's reading wins.
	for _, i := range pinyinInitials {
		for _, f := range pinyinFinals {
			if pinyinSyllable(i[0], f) {
				t.add(i[0]+f, chineseCanon(i[1], f), false)
			}
		}
	}
	for _, i := range wadeGilesInitials {
		for _, f := range wadeGilesFinals {
			if wadeGilesSyllable(i[0], f[0]) {
				t.add(i[0]+f[0], chineseCanon(i[1], f[1]), false)
			}
		}
	}
	for _, s := range wadeGilesSyllables {
		// These readings are the tables' own and replace what initial + final gave.
		t.add(s[0], chineseCanon(chineseInitialOf(s[1])), true)
	}
	t.addSurnames(chineseSurnameForms)
	return t
}

// pinyinSyllable reports whether an initial and a final make a pinyin syllable, by the
// system's rules: j, q and x only before i and ü (written u); the retroflex and dental
// sibilants, g, k, h and f never before i, except zhi, chi, shi, ri, zi, ci, si.
func pinyinSyllable(initial, final string) bool {
	iFinal := final[0] == 'i'
	switch initial {
	case "j", "q", "x":
		return iFinal || final == "u" || final == "ue" || final == "uan" || final == "un"
	case "zh", "ch", "sh", "r", "z", "c", "s":
		return !iFinal || final == "i"
	case "g", "k", "h", "f", "w":
		return !iFinal
	case "y":
		return !iFinal || final == "i" || final == "in" || final == "ing"
	case "":
		return !iFinal && final[0] != 'u'
	}
	return true
}

// wadeGilesSyllable reports whether an initial and a final make a Wade–Giles syllable:
// hs only before i and ü, ch before any, -ih only after ch, sh and j, and the other
// sibilants, k, h, f and w never before i.
func wadeGilesSyllable(initial, final string) bool {
	iFinal := final[0] == 'i' && final != "ih"
	switch {
	case final == "ih":
		return initial == "ch" || initial == "sh" || initial == "j"
	case initial == "hs":
		return iFinal || final == "u" || final == "ueh" || final == "un" || final == "uan"
	case initial == "ch":
		return true
	case initial == "y":
		return !iFinal || final == "i" || final == "in" || final == "ing"
	case initial == "":
		return !iFinal && final[0] != 'u' || final == "i"
	case strings.Contains("s ts tz sh j k h f w", initial):
		return !iFinal
	}
	return true
}

// chineseInitialOf splits a pinyin syllable into its canonical initial and its final.
func chineseInitialOf(py string) (string, string) {
	for _, i := range []string{"zh", "ch", "sh"} {
		if strings.HasPrefix(py, i) {
			return canonInitial(i), py[2:]
		}
	}
	if len(py) > 0 && !strings.ContainsRune("aoeiu", rune(py[0])) {
		return canonInitial(py[:1]), py[1:]
	}
	return "", py
}

func canonInitial(py string) string {
	for _, i := range pinyinInitials {
		if i[0] == py {
			return i[1]
		}
	}
	return py
}

// chineseCanon is the canonical syllable for a canonical initial and a pinyin final.
// Wade–Giles writes pinyin's lone e as o after k and h (ko = ge) and pinyin's uo as o
// after the dentals (lo = luo, tso = zuo), so those three meet.
func chineseCanon(initial, final string) string {
	switch final {
	case "o", "e", "uo":
		switch initial {
		case "p", "m", "f", "y", "w", "":
			if final == "uo" {
				return initial + "uo"
			}
			return initial + "o"
		case "k", "h":
			if final == "uo" {
				return initial + "uo"
			}
			return initial + "e"
		}
		if final == "e" {
			return initial + "e"
		}
		return initial + "uo"
	}
	return initial + final
}

// addSurnames maps every spelling of each surname to the key of its first spelling.
func (t *syllableTable) addSurnames(list [][]string) {
	for _, forms := range list {
		k, ok := t.key(forms[0], false)
		if !ok {
			panic("romanise: surname " + forms[0] + " is not a syllable of its table")
		}
		for _, f := range forms {
			t.surnames[f] = k
		}
	}
}

func (t *syllableTable) add(spelling, canon string, replace bool) {
	if spelling == "" {
		return
	}
	if _, ok := t.canon[spelling]; ok && !replace {
		return
	}
	t.canon[spelling] = canon
	t.maxLen = max(t.maxLen, len(spelling))
}

// key splits a folded part into syllables of the table, fewest syllables first, and
// returns their canonical forms joined; ok is false when it does not split.
// A surname spelling ("Lee", "Choi") is read through the surname table when surname is set.
func (t *syllableTable) key(fold string, surname bool) (string, bool) {
	if k, ok := t.surnames[fold]; ok && surname {
		return k, true
	}
	if len(fold) > 4*t.maxLen {
		return "", false
	}
	// best[i] is the fewest syllables that spell fold[:i], -1 when none does.
	var best [4*8 + 1]int8
	var from [4*8 + 1]int8
	n := len(fold)
	if n >= len(best) {
		return "", false
	}
	for i := 1; i <= n; i++ {
		best[i] = -1
		for l := 1; l <= t.maxLen && l <= i; l++ {
			if best[i-l] < 0 {
				continue
			}
			if _, ok := t.canon[fold[i-l:i]]; !ok {
				continue
			}
			if best[i] < 0 || best[i-l]+1 < best[i] || best[i-l]+1 == best[i] && int(from[i]) > i-l {
				best[i], from[i] = best[i-l]+1, int8(i-l)
			}
		}
	}
	if best[n] < 0 || best[n] > 4 {
		return "", false
	}
	var parts [5]string
	np := 0
	for i := n; i > 0; i = int(from[i]) {
		parts[np] = t.canon[fold[from[i]:i]]
		np++
	}
	var b strings.Builder
	for i := np - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String(), true
}

// romanise recognises a name written in one of the syllable systems and gives each of
// its parts its romanisation key in that system. A name is recognised when it has at
// least two parts, every part splits into syllables and one part is a common surname of
// the language; a name may be recognised as both Korean and Chinese ("Chu Te").
func romanise(toks []token) {
	if len(toks) < 2 {
		return
	}
	for _, sys := range [...]romanSystem{romanKorean, romanChinese} {
		t := koreanTable()
		if sys == romanChinese {
			t = chineseTable()
		}
		surname := false
		for i := range toks {
			if _, ok := t.surnames[toks[i].fold]; ok {
				surname = true
				break
			}
		}
		if !surname {
			continue
		}
		var keys [MaxTokens]string
		all := true
		for i := range toks {
			if toks[i].script != scriptLatin && toks[i].script != scriptHangul || !toks[i].ascii {
				all = false
				break
			}
			// A surname's other spellings count only where a surname stands: first or
			// last, or before the comma of "SURNAME, Given".
			k, ok := t.key(toks[i].fold, i == 0 || i == len(toks)-1 || toks[i].surname)
			if !ok {
				all = false
				break
			}
			keys[i] = k
		}
		if !all {
			continue
		}
		for i := range toks {
			toks[i].rkeys[sys-1] = keys[i]
		}
	}
}

// sameRomanisation reports whether two parts have the same key in some system.
func sameRomanisation(a, b *token) bool {
	for s := range a.rkeys {
		if a.rkeys[s] != "" && a.rkeys[s] == b.rkeys[s] {
			return true
		}
	}
	return false
}

// joinedRomanisation reports whether u's syllables are those of t1 and t2 in some system.
func joinedRomanisation(t1, t2, u *token) bool {
	for s := range u.rkeys {
		k1, k2, k := t1.rkeys[s], t2.rkeys[s], u.rkeys[s]
		if k != "" && k1 != "" && k2 != "" && len(k1)+len(k2) == len(k) && strings.HasPrefix(k, k1) && strings.HasSuffix(k, k2) {
			return true
		}
	}
	return false
}

// syllableName reports whether a name of n parts (part(i) gives each folded) is written in
// the syllables of a language in romanise's tables and has one of its surnames.
func syllableName(n int, part func(int) string) bool {
	if n < 2 {
		return false
	}
	for _, t := range [...]*syllableTable{koreanTable(), chineseTable()} {
		surname := false
		for i := 0; i < n && !surname; i++ {
			_, surname = t.surnames[part(i)]
		}
		if !surname {
			continue
		}
		all := true
		for i := 0; i < n && all; i++ {
			_, all = t.key(part(i), true)
		}
		if all {
			return true
		}
	}
	return false
}

// French romanisation of Arabic names (Maghreb civil registries, French-language press)
// writes the same consonants as the English style but other vowels and digraphs: ou for
// u and w, dj for j, ch for sh, é and e for a, a mute final e ("Chérif" / "Sharif",
// "Tebboune" / "Tabbun", "Houari" / "Hawari"). A name that shows these marks is compared
// by consonant skeleton after undoing them, as names written in Arabic script are.

// frenchMarks are spellings only French-style romanisation uses.
var frenchMarks = []string{"ou", "dj"}

// frenchEndings are endings French writes for what English writes -in, -an, -un.
var frenchEndings = []string{"ine", "ane", "ene", "oune", "ouche"}

// frenchStyled reports whether a part looks French-romanised.
func frenchStyled(t *token) bool {
	if t.script != scriptLatin {
		return false
	}
	for _, m := range frenchMarks {
		if strings.Contains(t.fold, m) {
			return true
		}
	}
	for _, e := range frenchEndings {
		if strings.HasSuffix(t.fold, e) && len(t.fold) > len(e)+1 {
			return true
		}
	}
	return strings.ContainsAny(t.raw, "éèêëïîâçÉÈÊËÏÎÂÇ")
}

// frenchFold undoes the French spelling habits of a folded part.
func frenchFold(f string) string {
	b := make([]byte, 0, len(f)+2)
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == 'o' && i+1 < len(f) && f[i+1] == 'u':
			if i+2 < len(f) && strings.IndexByte("aeiy", f[i+2]) >= 0 {
				if i == 0 {
					b = append(b, 'w')
				} else {
					b = append(b, 'a', 'w')
				}
			} else {
				b = append(b, 'u')
			}
			i++
		case c == 'e' && i == len(f)-1 && i > 1 && !isVowel(f[i-1]):
			// A mute final e.
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// frenchSkeletons gives every part of a French-styled name the consonant skeleton of its
// French spelling undone. A name read as Chinese or Korean syllables is not French.
func frenchSkeletons(toks []token) {
	styled := false
	for i := range toks {
		if toks[i].rkeys != [2]string{} {
			return
		}
		if frenchStyled(&toks[i]) {
			styled = true
		}
	}
	if !styled {
		return
	}
	for i := range toks {
		t := &toks[i]
		if t.script == scriptLatin && t.ascii {
			t.frSkel = skeleton(phoneticKey(frenchFold(t.fold)))
			// "Bendjedid" is "bin Jadid" written as one.
			if len(t.fold) > 5 && (strings.HasPrefix(t.fold, "ben") || strings.HasPrefix(t.fold, "bin")) {
				t.frBare = skeleton(phoneticKey(frenchFold(t.fold[3:])))
			}
		}
	}
}

// frenchSim is how alike two Latin parts are once French spelling is undone on the side
// (or sides) that show it: their consonant skeletons equal, at least two letters long.
func frenchSim(a, b *token) float64 {
	if a.frSkel == "" && b.frSkel == "" || a.script != scriptLatin || b.script != scriptLatin {
		return 0
	}
	sa, sb := a.skel, b.skel
	if a.frSkel != "" {
		sa = a.frSkel
	}
	if b.frSkel != "" {
		sb = b.frSkel
	}
	// Names of one root (Muhammad, Mahmud) share their consonants: a part that belongs
	// to a name family meets only its own family this way.
	if a.family != b.family {
		return 0
	}
	// Two consonants say little: the vowels must at least come as often ("Zine" /
	// "Zayn", not "Allane" / "Lin").
	if sa == sb && (len(sa) >= 3 || len(sa) == 2 && vowelGroups(frenchFold(a.fold)) == vowelGroups(frenchFold(b.fold))) {
		return frenchSkeletonSim
	}
	if a.frBare != "" && a.frBare == sb && len(sb) >= 2 || b.frBare != "" && b.frBare == sa && len(sa) >= 2 {
		return frenchSkeletonSim * 0.95
	}
	return 0
}

// frenchSkeletonSim is what equal skeletons are worth, as for a name in Arabic script.
const frenchSkeletonSim = 0.9

// frenchJoined reports whether u, French-styled, has the consonants of t1 and t2 written
// as one ("Saâdeddine" / "Saad al-Din").
func frenchJoined(t1, t2, u *token) bool {
	if len(u.frSkel) < 3 || t1.script != scriptLatin || t2.script != scriptLatin {
		return false
	}
	var buf [2*MaxTokenBytes + 8]byte
	joined := appendSkeleton(buf[:0], phoneticKey(t1.fold+t2.fold))
	return string(joined) == u.frSkel
}

// vowelGroups counts the runs of vowels in a folded part, a leading one aside.
func vowelGroups(f string) int {
	n := 0
	for i := 0; i < len(f); i++ {
		if isVowel(f[i]) && i > 0 && !isVowel(f[i-1]) {
			n++
		}
	}
	return n
}
