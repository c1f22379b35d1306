package match

import (
	"math/bits"
	"slices"
	"strings"
)

// Reason codes say why two name parts were aligned.
const (
	ReasonExact           = "exact"
	ReasonDiacritics      = "diacritics"
	ReasonTransliteration = "transliteration"
	ReasonVariant         = "variant"
	ReasonFamily          = "name-family"
	ReasonSkeleton        = "consonant-skeleton"
	ReasonPhonetic        = "phonetic"
	ReasonEdit            = "edit-distance"
	ReasonInitial         = "initial"
	ReasonJoined          = "joined"
	ReasonReordered       = "reordered"
	ReasonArticle         = "article"
	// ReasonRomanisation: the same syllables in two romanisation systems (McCune–Reischauer
	// and Revised Romanisation for Korean, Wade–Giles and pinyin for Chinese).
	ReasonRomanisation = "romanisation"
)

// Scoring constants, tuned on the shared labelled data as a whole, never per pair.
const (
	// alignMin is the similarity below which two parts are not the same part.
	alignMin = 0.6
	// extraWeight is what an unmatched part costs when the other name has no part left
	// for it (a middle name, patronymic or kunya the other source did not record).
	extraWeight = 0.3
	// conflictWeight is what an unmatched part costs when the other name has a different
	// part in its place: a different given name or surname.
	conflictWeight = 2.0
	// weakKnee is the similarity below which an aligned pair costs part of a conflict,
	// rising to a whole one at alignMin: two parts that are barely alike are nearly as
	// much evidence against as two different parts, so aligning them must not be an
	// easy way out of a conflict.
	weakKnee = 0.77
	// singlePartFactor discounts a one-part name found inside a longer one.
	singlePartFactor = 0.85
	// reorderFactor discounts parts aligned out of order when both names say (or neither
	// says) which part is the surname: order carries some evidence.
	reorderFactor = 0.94
	// joinMin is the similarity a joined pair of parts needs to replace separate ones.
	joinMin = 0.8
	// joinSkeleton is the similarity of a part whose consonant skeleton is that of two
	// adjacent parts written as one, vowels and a dropped article aside ("Badreddine" vs
	// "Badr al-Din", "Tajideen" vs "Taj al-Din"); minJoinSkeleton is the shortest
	// skeleton that counts, shorter ones being too common to say anything.
	joinSkeleton    = 0.85
	minJoinSkeleton = 4
	// surnameWeight is what it costs when a name says which part is its surname
	// ("SURNAME, Given") and no part of that surname is found in the other name: the
	// family name is the part a different person is least likely to share, so leaving
	// it out is evidence against, beyond an ordinary missing part.
	surnameWeight = 0.5
	// surnameOnlyFactor discounts a match that rests only on the surname of a name that
	// says which part is its surname ("SURNAME, Given") while its given names found
	// nothing: relatives share a surname. surnameOnlyCap keeps such a match below the
	// default threshold whatever the name says; agreeing attributes (birth date,
	// nationality, document) lift both (see comparePrepared).
	surnameOnlyFactor = 0.8
	// patronymicWeight is what a patronymic weighs when left unaligned because the other
	// name has none (see patronymicAt): about an initial's weight.
	patronymicWeight = 0.4
	// shortenedSim is the similarity of a compound with al-Din or Allah and the noun it
	// is shortened to (Nasiruddin, Nasir): the same name as used, less certain than a
	// spelling variant.
	shortenedSim   = 0.8
	surnameOnlyCap = DefaultThreshold - 0.02
)

type sim struct {
	score  float64
	reason string
}

// tokenSim compares two name parts and says why they are alike.
func tokenSim(a, b *token) sim {
	// Romanised Hangul merges vowels (ㅓ and ㅗ are both "o", as lists write them), so
	// two names both in Hangul are compared syllable by syllable as written.
	if a.script == scriptHangul && b.script == scriptHangul && a.raw != b.raw {
		if s := runeEditSim([]rune(a.raw), []rune(b.raw)); s >= alignMin {
			return sim{s, ReasonEdit}
		}
		return sim{}
	}
	if a.fold == b.fold {
		switch {
		case a.script != b.script:
			return sim{1, ReasonTransliteration}
		case (a.diacritics || b.diacritics) && !strings.EqualFold(a.raw, b.raw):
			return sim{1, ReasonDiacritics}
		}
		return sim{1, ReasonExact}
	}
	if a.initial() || b.initial() {
		if a.fold[0] == b.fold[0] {
			return sim{0.9, ReasonInitial}
		}
		return sim{0, ReasonInitial}
	}
	translit := a.script != b.script
	if a.key == b.key {
		if translit {
			return sim{0.95, ReasonTransliteration}
		}
		return sim{0.95, ReasonVariant}
	}
	if sameRomanisation(a, b) {
		return sim{0.9, ReasonRomanisation}
	}
	if a.script == scriptLatin && b.script == scriptLatin && sameDiphthongReading(a, b) {
		return sim{0.9, ReasonVariant}
	}
	if a.altKey != "" && (a.altKey == b.key || a.altKey == b.altKey) || b.altKey != "" && b.altKey == a.key {
		return sim{0.9, ReasonRomanisation}
	}
	if a.bare == b.key || b.bare == a.key {
		return sim{0.9, ReasonArticle}
	}
	if a.family != "" && a.family == b.family {
		return sim{0.9, ReasonFamily}
	}
	// "Nasir" for Nasir al-Din, written as one part (Nasiruddin), is the compound
	// shortened as people shorten it; "Alex" for Alexander, a given name cut short.
	if shortenedCompound(a, b) || shortenedCompound(b, a) || truncatedGiven(a, b) || truncatedGiven(b, a) {
		return sim{shortenedSim, ReasonVariant}
	}
	abjad := a.script.abjad() || b.script.abjad()
	if abjad && a.skel == b.skel && len(a.skel) >= 2 {
		return sim{0.9, ReasonSkeleton}
	}
	var best sim
	ascii := a.ascii && b.ascii
	if setsClose(a.foldSet, b.foldSet, a.fold, b.fold) {
		best = sim{editSim(a.fold, b.fold, ascii), ReasonEdit}
	}
	if setsClose(a.keySet, b.keySet, a.key, b.key) {
		if s := 0.95 * editSim(a.key, b.key, ascii); s > best.score {
			best = sim{s, ReasonPhonetic}
		}
		// The diphthong written one way, the rest within edit distance: Ghubaysh, Ghabish.
		if ascii && (a.diph || b.diph) && len(a.key) <= maxEditBytes && len(b.key) <= maxEditBytes {
			if s := 0.95 * editSim(a.diphKey(), b.diphKey(), true); s > best.score {
				best = sim{s, ReasonPhonetic}
			}
		}
	}
	if abjad {
		if s := 0.85 * editSim(a.skel, b.skel, ascii); s > best.score {
			best = sim{s, ReasonSkeleton}
		}
	}
	if s := frenchSim(a, b); s > best.score {
		best = sim{s, ReasonRomanisation}
	}
	return best
}

// simMemo remembers part similarities during one search, keyed by query part and
// vocabulary part: the candidates of a query share most of their parts. A nil memo
// remembers nothing.
type simMemo struct {
	epoch uint32
	slots [simMemoSlots]simSlot
	joins [simMemoSlots]joinSlot
	// cands is align's buffer of candidate pairs, reused.
	cands []alignCand
}

const simMemoSlots = 1024

type simSlot struct {
	epoch uint32
	key   uint64
	sim   sim
}

// joinSlot remembers joinedSim for three parts, by their ids.
type joinSlot struct {
	epoch      uint32
	t1, t2, u  int32
	similarity float64
}

func (m *simMemo) reset() { m.epoch++ }

// joinedSim is joinedSim remembered: a query's candidates share most of their parts,
// and a hit is aligned again to be explained.
func (m *simMemo) joinedSim(t1, t2, u *token) float64 {
	if m == nil || t1.id == 0 || t2.id == 0 || u.id == 0 {
		return joinedSim(t1, t2, u)
	}
	h := (uint64(uint32(t1.id))*0x9e3779b97f4a7c15 ^ uint64(uint32(t2.id))*0xc2b2ae3d27d4eb4f ^ uint64(uint32(u.id))*0x165667b19e3779f9) >> (64 - 10)
	slot := &m.joins[h%simMemoSlots]
	if slot.epoch == m.epoch && slot.t1 == t1.id && slot.t2 == t2.id && slot.u == u.id {
		return slot.similarity
	}
	s := joinedSim(t1, t2, u)
	*slot = joinSlot{m.epoch, t1.id, t2.id, u.id, s}
	return s
}

func (m *simMemo) tokenSim(a, b *token) sim {
	// Equal parts and keys are quicker to compare than to look up.
	if m == nil || a.id >= 0 || b.id <= 0 || a.fold == b.fold || a.key == b.key {
		return tokenSim(a, b)
	}
	// Whether each is a known given name is part of the key: a vocabulary part is a
	// given name in one entry and a surname in another (see truncatedGiven).
	key := uint64(uint32(-a.id))<<34 | uint64(b.id)
	if a.given {
		key |= 1 << 33
	}
	if b.given {
		key |= 1 << 32
	}
	h := (key * 0x9e3779b97f4a7c15) >> (64 - 10)
	slot := &m.slots[h%simMemoSlots]
	if slot.epoch == m.epoch && slot.key == key {
		return slot.sim
	}
	s := tokenSim(a, b)
	*slot = simSlot{m.epoch, key, s}
	return s
}

// truncatedGiven reports whether a is b's given name cut short, as given names are
// shortened to their first syllables (Alex, Alexander; Chris, Christopher; Fred,
// Frederick): at least four letters, and at least three fewer than the full name, so
// that endings which make another name (Karimi, Karimov) are not read as shortening.
// Both must be given names of "SURNAME, Given": surnames and patronymics are made from
// given names (Lindemann, Oleksandrovych), so elsewhere a longer part is no shortening.
func truncatedGiven(a, b *token) bool {
	return a.script == scriptLatin && b.script == scriptLatin && a.given && b.given &&
		len(a.fold) >= 4 && len(b.fold) >= len(a.fold)+3 && strings.HasPrefix(b.fold, a.fold)
}

// withoutArticle returns the key of a part that starts with the Arabic article written
// joined ("Alrawi", "Elbishy"), or with bin/ben/ibn and the article ("Binalshibh"),
// without them, or "" when the part has neither.
func withoutArticle(t *token) string {
	if t.script != scriptLatin {
		return ""
	}
	for _, p := range [...]string{"binal", "benal", "ibnal"} {
		if strings.HasPrefix(t.fold, p) && (strings.HasPrefix(t.key, "binal") || strings.HasPrefix(t.key, "ibnal")) && len(t.key) >= len(p)+3 {
			return t.key[len(p):]
		}
	}
	if len(t.key) >= 5 && (strings.HasPrefix(t.fold, "al") || strings.HasPrefix(t.fold, "el")) {
		return t.key[2:]
	}
	return ""
}

// editSim is 1 minus the optimal-string-alignment distance over the longer length, or 0
// when that falls below alignMin: parts that far apart are not aligned at all, which
// lets the distance stop early.
// ascii says both are plain ASCII, as the parts they come from record.
func editSim(a, b string, ascii bool) float64 {
	if !ascii {
		return runeEditSim([]rune(a), []rune(b))
	}
	l := max(len(a), len(b))
	if l == 0 {
		return 0
	}
	maxD := int((1 - alignMin) * float64(l))
	if abs(len(a)-len(b)) > maxD {
		return 0
	}
	var d int
	if len(a) <= 64 {
		d = osaBits(a, b)
	} else {
		d = osaDistance(a, b, maxD)
	}
	if d > maxD {
		return 0
	}
	return 1 - float64(d)/float64(l)
}

// setsClose reports whether two parts with these letter sets may be similar enough to
// align: each edit changes at most two letters of the set difference, so a difference
// larger than twice the allowed distance rules the pair out without computing it.
func setsClose(x, y uint64, a, b string) bool {
	maxD := int((1 - alignMin) * float64(max(len(a), len(b))))
	return bits.OnesCount64(x^y) <= 2*maxD+1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// runeEditSim is editSim for scripts without a romanisation, where one letter is one rune.
func runeEditSim(a, b []rune) float64 {
	l := max(len(a), len(b))
	if l == 0 {
		return 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(b)])/float64(l)
}

// osaBits is osaDistance for a of at most 64 bytes, computed a column at a time with
// bit-parallel arithmetic (Hyyrö 2003, as in RapidFuzz's OSA): a few dozen word
// operations where the table would take len(a)·len(b) cells.
func osaBits(a, b string) int {
	if len(a) == 0 {
		return len(b)
	}
	var peq [37]uint64
	for i := 0; i < len(a); i++ {
		peq[letterIndex(a[i])] |= 1 << i
	}
	vp, vn, d0, pmOld := ^uint64(0), uint64(0), uint64(0), uint64(0)
	dist := len(a)
	mask := uint64(1) << (len(a) - 1)
	for j := 0; j < len(b); j++ {
		pm := peq[letterIndex(b[j])]
		tr := ((^d0 & pm) << 1) & pmOld
		d0 = (((pm & vp) + vp) ^ vp) | pm | vn | tr
		hp := vn | ^(d0 | vp)
		hn := d0 & vp
		if hp&mask != 0 {
			dist++
		} else if hn&mask != 0 {
			dist--
		}
		hp = hp<<1 | 1
		hn <<= 1
		vp = hn | ^(d0 | hp)
		vn = hp & d0
		pmOld = pm
	}
	return dist
}

// letterIndex numbers the bytes of a folded part (a–z, 0–9) densely; anything else,
// which folding does not produce, shares one number.
func letterIndex(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return c - 'a'
	case c >= '0' && c <= '9':
		return 26 + c - '0'
	}
	return 36
}

// maxEditBytes bounds the parts osaDistance compares: joined parts are at most two
// MaxTokenBytes parts.
const maxEditBytes = 2 * MaxTokenBytes

// osaDistance is the Damerau-Levenshtein distance restricted to adjacent transpositions;
// once every alignment costs more than maxD it returns maxD+1.
func osaDistance(a, b string, maxD int) int {
	a, b = a[:min(len(a), maxEditBytes)], b[:min(len(b), maxEditBytes)]
	var buf [3][maxEditBytes + 1]uint8
	prev2, prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	for j := range prev {
		prev[j] = uint8(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = uint8(i)
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := uint8(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if int(rowMin) > maxD {
			return maxD + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return int(prev[len(b)])
}

// pair is one alignment between parts of the two names: a holds one to three indexes
// into the first name, b into the second (more than one when a part was written joined
// on the other side).
type pair struct {
	a, b   [3]int8
	na, nb int8
	sim    sim
}

// alignment is the result of comparing two prepared names.
// It holds its parts in arrays, not slices, so that comparing allocates nothing.
type alignment struct {
	pairBuf   [2 * MaxTokens]pair
	npairs    int8
	unA, unB  [MaxTokens]int8
	nUA, nUB  int8
	conflict  float64
	extra     float64
	matchedW  float64
	single    bool
	reordered bool
	// surnameA and surnameB are the weights of a name's surname when none of it aligned.
	surnameA, surnameB float64
	// weak is what weakly similar pairs cost.
	weak  float64
	score float64
	// surnameOnly is 1 or 2 when only the surname of the first or second name aligned
	// (see surnameOnlyFactor); beforeSurnameOnly is the score before that discount.
	surnameOnly       int8
	beforeSurnameOnly float64
}

func (al *alignment) pairs() []pair      { return al.pairBuf[:al.npairs] }
func (al *alignment) unmatchedA() []int8 { return al.unA[:al.nUA] }
func (al *alignment) unmatchedB() []int8 { return al.unB[:al.nUB] }

// align matches the parts of two names greedily, best pairs first, then lets a part on
// one side match two adjacent parts on the other ("RamiMakhlouf" vs "Rami Makhlouf").
func align(x, y *Name, memo *simMemo) alignment {
	var al alignment
	alignInto(&al, x, y, memo)
	return al
}

// alignCand is a pair of parts similar enough to be aligned.
type alignCand struct {
	i, j int8
	s    sim
}

// alignInto is align writing into *al, which it clears first: a search aligns each
// candidate's names in turn, and an alignment is too large to copy for each.
func alignInto(al *alignment, x, y *Name, memo *simMemo) {
	*al = alignment{}
	na, nb := len(x.tokens), len(y.tokens)
	if na == 0 || nb == 0 {
		return
	}
	// A search keeps the candidates' buffer in its memo rather than clearing a
	// MaxTokens² array on the stack for every pair of names.
	var cands []alignCand
	if memo != nil {
		cands = memo.cands[:0]
	} else {
		cands = make([]alignCand, 0, na*nb)
	}
	for i := range x.tokens {
		for j := range y.tokens {
			s := memo.tokenSim(&x.tokens[i], &y.tokens[j])
			if s.score >= alignMin {
				cands = append(cands, alignCand{int8(i), int8(j), s})
			}
		}
	}
	if memo != nil {
		memo.cands = cands
	}
	// Insertion sort: few candidates, and ties keep the same positions first.
	for i := 1; i < len(cands); i++ {
		for k := i; k > 0 && better(cands[k].s.score, cands[k].i, cands[k].j, cands[k-1].s.score, cands[k-1].i, cands[k-1].j); k-- {
			cands[k], cands[k-1] = cands[k-1], cands[k]
		}
	}
	var pa, pb [MaxTokens]int8 // partner index + 1, 0 when unmatched
	pairs := al.pairBuf[:0]
	for _, c := range cands {
		if pa[c.i] != 0 || pb[c.j] != 0 {
			continue
		}
		pa[c.i], pb[c.j] = int8(len(pairs))+1, int8(len(pairs))+1
		pairs = append(pairs, pair{a: [3]int8{c.i}, b: [3]int8{c.j}, na: 1, nb: 1, sim: c.s})
	}
	if len(pairs) < max(na, nb) {
		pairs = joinParts(x, y, pairs, pa[:na], pb[:nb], false, memo)
		pairs = joinParts(y, x, pairs, pb[:nb], pa[:na], true, memo)
	}
	if na >= 3 || nb >= 3 {
		pairs = joinThree(x, y, pairs, pa[:na], pb[:nb], false)
		pairs = joinThree(y, x, pairs, pb[:nb], pa[:na], true)
	}
	al.npairs = int8(len(pairs))
	var num, den, ua, ub float64
	for _, p := range pairs {
		if p.na == 0 {
			continue
		}
		w := pairWeight(x, y, &p)
		num += p.sim.score * p.sim.score * w
		den += w
		if p.sim.score < weakKnee {
			cost := conflictWeight * w * (weakKnee - p.sim.score) / (weakKnee - alignMin)
			al.weak += cost
			den += cost
		}
	}
	// A patronymic one source wrote and the other left out is a missing part that says
	// little: lists often leave patronymics out.
	xPat, yPat := hasPatronymic(x), hasPatronymic(y)
	for i := range int8(na) {
		if pa[i] == 0 {
			al.unA[al.nUA] = i
			al.nUA++
			if !yPat && patronymicAt(x, int(i)) || repeatedAligned(x, int(i), pa[:na]) {
				ua += patronymicWeight
			} else {
				ua += missingWeight(&x.tokens[i])
			}
		}
	}
	for j := range int8(nb) {
		if pb[j] == 0 {
			al.unB[al.nUB] = j
			al.nUB++
			if !xPat && patronymicAt(y, int(j)) || repeatedAligned(y, int(j), pb[:nb]) {
				ub += patronymicWeight
			} else {
				ub += missingWeight(&y.tokens[j])
			}
		}
	}
	al.matchedW = den
	al.conflict = min(ua, ub)
	al.extra = max(ua, ub) - al.conflict
	al.surnameA, al.surnameB = missingSurname(x, pa[:na]), missingSurname(y, pb[:nb])
	al.matchedW -= al.weak
	den += conflictWeight*al.conflict + extraWeight*al.extra + surnameWeight*(al.surnameA+al.surnameB)
	if den > 0 {
		al.score = num / den
	}
	// One meaningful part found inside a longer name is weak evidence; not when it is
	// the whole of the other name written as one ("Gholamhosseinpour").
	if (strongParts(x) == 1) != (strongParts(y) == 1) && al.nUA+al.nUB > 0 {
		al.single = true
		al.score *= singlePartFactor
	}
	al.reordered = reordered(pairs)
	if al.reordered && !x.commaOrder && !y.commaOrder || al.reordered && x.commaOrder && y.commaOrder {
		al.score *= reorderFactor
	}
	al.score = min(max(al.score, 0), 1)
	switch {
	case surnameOnly(x, pa[:na]):
		al.surnameOnly = 1
	case surnameOnly(y, pb[:nb]):
		al.surnameOnly = 2
	}
	if al.surnameOnly != 0 {
		al.beforeSurnameOnly = al.score
		al.score = min(al.score*surnameOnlyFactor, surnameOnlyCap)
	}
}

// repeatedAligned reports whether part i of n repeats a part of n that aligned (partner
// not 0): "SALMAN, Salman Raouf" or "Houka Houka" names the part twice, and the other
// source writing it once leaves out no name, only the repetition.
func repeatedAligned(n *Name, i int, partner []int8) bool {
	for k := range n.tokens {
		if k != i && partner[k] != 0 && n.tokens[k].fold == n.tokens[i].fold {
			return true
		}
	}
	return false
}

// surnameOnly reports whether only the surname of n, a name that says which part is its
// surname, aligned (partner not 0), while a given name of n found nothing.
func surnameOnly(n *Name, partner []int8) bool {
	if !n.commaOrder {
		return false
	}
	aligned, givenLeft := false, false
	for i := range n.tokens {
		switch {
		case partner[i] != 0 && !n.tokens[i].surname:
			return false
		case partner[i] != 0:
			aligned = true
		case !n.tokens[i].surname:
			givenLeft = true
		}
	}
	return aligned && givenLeft
}

// patronymicSuffixes end the East Slavic patronymics as the romanisation systems write
// them (Russian -ovich/-evich/-ovna/-evna, Ukrainian -ovych/-ivna, French -ovitch).
var patronymicSuffixes = []string{"ovich", "evich", "ovitch", "evitch", "ovych", "evych", "ovna", "evna", "ivna", "ichna"}

// patronymicAt reports whether part i of n is a patronymic: a given-name part with a
// patronymic ending, after the comma of "SURNAME, Given Patronymic" or between the
// first and last parts of "Given Patronymic Surname", where a surname cannot stand.
func patronymicAt(n *Name, i int) bool {
	t := &n.tokens[i]
	if t.surname || len(t.fold) < 7 || !n.commaOrder && (i == 0 || i == len(n.tokens)-1) {
		return false
	}
	for _, suf := range patronymicSuffixes {
		if strings.HasSuffix(t.fold, suf) {
			return true
		}
	}
	return false
}

func hasPatronymic(n *Name) bool {
	for i := range n.tokens {
		if patronymicAt(n, i) {
			return true
		}
	}
	return false
}

// missingWeight is what a part left unaligned weighs. Rarity never makes a missing
// part cheaper than its base weight (a missing "Mohammed" is still a missing name), and a
// rare part weighs more than its rarity alone: a name that rare, left out, is strong
// evidence of a different person. Without an index every part weighs its base weight.
func missingWeight(t *token) float64 {
	return max(t.weight, t.baseWeight()) * max(t.weight, 1)
}

// missingSurname returns the weight of a name's explicit surname when none of its parts
// aligned (partner 0), and 0 when any did or the name did not say which is the surname.
func missingSurname(n *Name, partner []int8) float64 {
	w := 0.0
	for i := range n.tokens {
		if !n.tokens[i].surname {
			continue
		}
		if partner[i] != 0 {
			return 0
		}
		w = max(w, n.tokens[i].weight)
	}
	return w
}

// pairWeight is how much an aligned pair counts: the mean weight of its two sides, where
// a part written as two on the other side weighs what one part does.
func pairWeight(x, y *Name, p *pair) float64 {
	wa, wb := 0.0, 0.0
	for k := int8(0); k < p.na; k++ {
		wa += x.tokens[p.a[k]].weight
	}
	for k := int8(0); k < p.nb; k++ {
		wb += y.tokens[p.b[k]].weight
	}
	return (wa/float64(p.na) + wb/float64(p.nb)) / 2
}

func strongParts(n *Name) int {
	c := 0
	for _, t := range n.tokens {
		if !t.weak {
			c++
		}
	}
	return c
}

func better(s1 float64, i1, j1 int8, s2 float64, i2, j2 int8) bool {
	if s1 != s2 {
		return s1 > s2
	}
	return abs8(i1-j1) < abs8(i2-j2)
}

func abs8(v int8) int8 {
	if v < 0 {
		return -v
	}
	return v
}

// joinParts tries each part of y against two adjacent parts of x written as one.
// flipped says that x is the second name, so pairs are stored the other way round.
func joinParts(x, y *Name, pairs []pair, px, py []int8, flipped bool, memo *simMemo) []pair {
	for i := 0; i+1 < len(x.tokens); i++ {
		t1, t2 := &x.tokens[i], &x.tokens[i+1]
		for j := range y.tokens {
			u := &y.tokens[j]
			// Each of the two parts must be free or already aligned with u itself.
			free := func(p int8) bool { return p == 0 || p == py[j] }
			if !free(px[i]) || !free(px[i+1]) {
				continue
			}
			if joinedRomanisation(t1, t2, u) {
				// "Jong-un" and "Jongun": the same syllables, split or not.
				s := sim{0.9, ReasonRomanisation}
				if u.fold == t1.fold+t2.fold {
					s = sim{1, ReasonJoined}
				}
				if py[j] != 0 && pairs[py[j]-1].sim.score >= s.score {
					continue
				}
				if py[j] != 0 {
					pairs[py[j]-1].na = 0
				}
				p := pair{a: [3]int8{int8(i), int8(i + 1)}, b: [3]int8{int8(j)}, na: 2, nb: 1, sim: s}
				if flipped {
					p = pair{a: p.b, b: p.a, na: 1, nb: 2, sim: s}
				}
				pairs = append(pairs, p)
				px[i], px[i+1], py[j] = int8(len(pairs)), int8(len(pairs)), int8(len(pairs))
				break
			}
			if len(u.fold) < len(t1.fold)+len(t2.fold)-2 || len(u.fold) > len(t1.fold)+len(t2.fold)+4 {
				continue
			}
			// Letters alone usually rule the join out before building it; a digraph
			// across the seam may change the key's letters, hence the slack of two.
			maxD := int((1 - joinMin) * float64(len(u.fold)+2))
			french := frenchJoined(t1, t2, u)
			if !french && bits.OnesCount64((t1.foldSet|t2.foldSet)^u.foldSet) > 2*maxD+1 &&
				bits.OnesCount64((t1.keySet|t2.keySet)^u.keySet) > 2*maxD+3 &&
				(len(u.skel) < minJoinSkeleton || letterSet(u.skel) != letterSet(t1.skel)|letterSet(t2.skel)) {
				continue
			}
			cur := 0.0
			if py[j] != 0 {
				cur = pairs[py[j]-1].sim.score
			}
			s := sim{memo.joinedSim(t1, t2, u), ReasonJoined}
			if french && s.score < frenchSkeletonSim*0.95 {
				s = sim{frenchSkeletonSim * 0.95, ReasonRomanisation}
			}
			if s.score < joinMin || s.score <= cur {
				continue
			}
			if py[j] != 0 {
				pairs[py[j]-1].na = 0 // superseded
			}
			p := pair{a: [3]int8{int8(i), int8(i + 1)}, b: [3]int8{int8(j)}, na: 2, nb: 1, sim: s}
			if flipped {
				p = pair{a: p.b, b: p.a, na: 1, nb: 2, sim: s}
			}
			pairs = append(pairs, p)
			px[i], px[i+1], py[j] = int8(len(pairs)), int8(len(pairs)), int8(len(pairs))
			break
		}
	}
	return pairs
}

// joinThree tries each part of y against three adjacent parts of x written as one: a
// Persian compound surname or given name in three words ("Pour Naghsh Band" and
// "Pournaghshband", "Bordbar Shir Amin" and "Bordbarsheramin"). It stands only where it
// beats what the parts aligned to before; the pairs it replaces free their parts.
func joinThree(x, y *Name, pairs []pair, px, py []int8, flipped bool) []pair {
	for i := 0; i+2 < len(x.tokens) && len(pairs) < cap(pairs); i++ {
		t := [3]*token{&x.tokens[i], &x.tokens[i+1], &x.tokens[i+2]}
		if t[0].initial() || t[1].initial() || t[2].initial() {
			continue
		}
		n := len(t[0].fold) + len(t[1].fold) + len(t[2].fold)
		if n > maxEditBytes {
			continue
		}
		for j := range y.tokens {
			u := &y.tokens[j]
			if len(u.fold) < n-2 || len(u.fold) > n+2 {
				continue
			}
			var fb [maxEditBytes]byte
			fold := string(append(append(append(fb[:0], t[0].fold...), t[1].fold...), t[2].fold...))
			s := sim{1, ReasonJoined}
			if fold != u.fold {
				s.score = 0.95 * editSim(phoneticKey(fold), u.key, t[0].ascii && t[1].ascii && t[2].ascii && u.ascii)
			}
			if s.score < joinMin {
				continue
			}
			// What the four parts are aligned to now, each pair counted once.
			cur, seen := 0.0, [4]int8{}
			for k, p := range [4]int8{px[i], px[i+1], px[i+2], py[j]} {
				if p != 0 && !slices.Contains(seen[:k], p) {
					cur += pairs[p-1].sim.score
				}
				seen[k] = p
			}
			if s.score <= cur {
				continue
			}
			for _, p := range seen {
				if p == 0 || pairs[p-1].na == 0 {
					continue
				}
				old := &pairs[p-1]
				ox, oy, nx, ny := old.a, old.b, old.na, old.nb
				if flipped {
					ox, oy, nx, ny = old.b, old.a, old.nb, old.na
				}
				for k := range nx {
					px[ox[k]] = 0
				}
				for k := range ny {
					py[oy[k]] = 0
				}
				old.na = 0
			}
			p := pair{a: [3]int8{int8(i), int8(i + 1), int8(i + 2)}, b: [3]int8{int8(j)}, na: 3, nb: 1, sim: s}
			if flipped {
				p = pair{a: p.b, b: p.a, na: 1, nb: 3, sim: s}
			}
			pairs = append(pairs, p)
			px[i], px[i+1], px[i+2], py[j] = int8(len(pairs)), int8(len(pairs)), int8(len(pairs)), int8(len(pairs))
			break
		}
	}
	return pairs
}

// joinedSim is how alike u is to t1 and t2 written as one part: the spelling or the
// phonetic key equal, or within edit distance, built in stack buffers without allocating.
func joinedSim(t1, t2, u *token) float64 {
	var fb, kb [maxEditBytes + 8]byte
	fold := append(append(fb[:0], t1.fold...), t2.fold...)
	if string(fold) == u.fold {
		return 1
	}
	key := appendPhoneticKey(kb[:0], string(fold))
	if string(key) == u.key || articleSeam(t1, t2, u) {
		return 0.95
	}
	ascii := t1.ascii && t2.ascii && u.ascii
	s := max(editSim(string(fold), u.fold, ascii), 0.95*editSim(string(key), u.key, ascii))
	if s < joinSkeleton && len(u.skel) >= minJoinSkeleton && string(appendSkeleton(fb[:0], string(key))) == u.skel {
		s = joinSkeleton
	}
	return s
}

// seamVowels are the vowels the Arabic article leaves between two parts written as one
// (keys write e as i and o as u): Nur al-Din is Noureddine or Nuruddin, Salah al-Din
// Salaheddine, Nur al-Huda Nurulhuda.
var seamVowels = [...]byte{'a', 'i', 'u'}

// articleSeam reports whether u is t1 and t2 written as one with the article between
// them: its vowel and l ("Nurulhuda"), or its vowel and the next part's first consonant
// doubled, the article assimilated to it ("Noureddine", "Nuruddin"). The doubled letter
// must be there as written: keys write it once, and "Soliman" is not "Chol Man".
func articleSeam(t1, t2, u *token) bool {
	if len(t1.fold) < 2 || len(t2.fold) < 2 || len(t1.fold)+len(t2.fold)+2 > maxEditBytes || isVowel(t2.fold[0]) {
		return false
	}
	c := t2.fold[0]
	doubled := strings.Contains(u.fold, string([]byte{c, c}))
	// A French-styled part is compared with its French spelling undone too: the final
	// e of "Noureddine" is mute.
	fr := u.key
	if u.frSkel != "" {
		fr = u.frKey
	}
	var fb, kb [maxEditBytes + 8]byte
	for _, v := range seamVowels {
		fold := append(append(append(fb[:0], t1.fold...), v, 'l'), t2.fold...)
		if k := string(appendPhoneticKey(kb[:0], string(fold))); k == u.key || k == fr {
			return true
		}
		if !doubled {
			continue
		}
		fold = append(append(append(fb[:0], t1.fold...), v), t2.fold...)
		if k := string(appendPhoneticKey(kb[:0], string(fold))); k == u.key || k == fr {
			return true
		}
	}
	return false
}

// reordered reports whether the aligned parts appear in a different order in each name.
func reordered(pairs []pair) bool {
	var order [MaxTokens]int8
	n := 0
	for _, p := range pairs {
		if p.na == 0 {
			continue
		}
		order[n] = p.a[0]
		n++
	}
	for i := 1; i < n; i++ {
		for k := i; k > 0 && order[k] < order[k-1]; k-- {
			order[k], order[k-1] = order[k-1], order[k]
		}
	}
	// Walk the pairs in the first name's order and check the second name's order.
	prevB := int8(-1)
	for i := 0; i < n; i++ {
		for _, p := range pairs {
			if p.na != 0 && p.a[0] == order[i] {
				if p.b[0] < prevB {
					return true
				}
				prevB = p.b[0]
			}
		}
	}
	return false
}
