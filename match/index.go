package match

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Entry is one person on a list: an ID and the person's names (aliases) and attributes.
type Entry struct {
	ID     string `json:"id"`
	Person Person `json:"person"`
}

// Hit is one entry found for a query, with its score and why.
type Hit struct {
	ID          string      `json:"id"`
	Score       float64     `json:"score"`
	MatchedName string      `json:"matched_name"`
	Explanation Explanation `json:"explanation"`
}

// Index finds the entries most like a query without scanning the whole list.
//
// Name parts are interned once into a vocabulary, and entries are posted only under the
// phonetic keys of their parts. Fuzzy routes (name families, consonant skeletons,
// one-letter deletions, parts written joined or split) are resolved against the
// vocabulary, which stays small however long the list grows, so an entry costs a few
// words of memory. The index also knows how common each key is, and weighs name parts
// by rarity: sharing a rare surname says more than sharing "Mohammed".
// It is safe for concurrent use; Add, Update and Remove may run while Search does.
type Index struct {
	mu      sync.RWMutex
	entries []entry
	// lens holds each entry's arena length, capped, for the retrieval score.
	lens []uint8
	byID map[string]uint32
	live int
	// arena holds every entry's names as runs of vocabulary ids, each run preceded by a
	// header word (see nameHeader).
	arena []uint32
	// vocab holds the interned parts in chunks of vocabChunk, so that growing it never
	// copies what it holds (see token).
	vocab   [][]vtoken
	nvocab  uint32
	vocabID map[vocabKey]uint32
	keys    []keyInfo
	keyID   map[string]uint32
	// weights caches each key's rarity weight for the index generation it was computed
	// in (generation in the high 32 bits, float32 weight in the low), read and written
	// atomically by concurrent searches.
	weights []uint64
	gen     uint32
	// Routes from a spelling to the keys it may stand for.
	dels    map[string][]uint32 // key with one letter deleted
	fams    map[string][]uint32 // given-name family
	skels   map[string][]uint32 // consonant skeleton
	arts    map[string][]uint32 // key without a joined article
	alts    map[string][]uint32 // a part's other reading (token.altKey)
	stems   map[string][]uint32 // the noun of a compound with al-Din or Allah (token.stem)
	scratch sync.Pool
}

// entry is one indexed person: its names are arena[off:off+words]; a removed entry is
// zero and appears in no posting list.
type entry struct {
	id     string
	person Person
	off    uint32
	words  uint32
	birth  BirthDate
}

// vocabKey tells interned parts apart. The spelling as written is part of it, so that an
// entry rebuilt from the vocabulary explains itself in its own spelling; case and accent
// variants of one part cost a vocabulary slot each, not a slot per entry.
type vocabKey struct {
	raw        string
	fold       string
	script     script
	diacritics bool
	// What a part is compared by also depends on the name it stands in.
	rkeys          [2]string
	frSkel, frBare string
}

// vtoken is an interned name part: the token as prepared and its key id.
type vtoken struct {
	tok token
	key uint32
}

type keyInfo struct {
	key      string
	postings []uint32 // entry numbers, ascending
	fam      string
}

// A name header packs the number of parts (at most MaxTokens), whether the name may
// hold a title (Name.titled), whether it was written "SURNAME, Given", and which of the
// person's names it is.
func nameHeader(parts int, titled, comma bool, orig int) uint32 {
	h := uint32(parts) | uint32(orig)<<9
	if titled {
		h |= 1 << 7
	}
	if comma {
		h |= 1 << 8
	}
	return h
}

// surnameBit marks, in the arena, a part written before the comma of "SURNAME, Given".
const surnameBit = 1 << 31

func splitHeader(h uint32) (parts int, titled, comma bool, orig int) {
	return int(h & 0x7f), h&(1<<7) != 0, h&(1<<8) != 0, int(h >> 9)
}

// Retrieval tuning.
const (
	// minCandidates is how many entries, at least, are scored exactly per query; the
	// cheap retrieval score orders them well enough that the right one is rarely further.
	minCandidates    = 16
	candidatesPerHit = 4
	// Fuzzy routes to keys held by more than commonPostingFrac of the list (and at least
	// commonPostingMin entries) are not followed: such keys are found by their exact form.
	commonPostingFrac = 0.02
	commonPostingMin  = 2000
	// minDeletionKey is the shortest key whose one-letter deletions are routes: shorter
	// keys would reach half the vocabulary.
	minDeletionKey = 4
	// lengthCost is what each word of an entry's names costs in the retrieval score.
	lengthCost = 0.1
)

// Route qualities: how much retrieval trusts a key reached each way.
const (
	routeExact    = 1.0
	routeJoined   = 0.95
	routeFamily   = 0.9
	routeDeletion = 0.7
	routeSkeleton = 0.6
)

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		byID: map[string]uint32{}, vocabID: map[vocabKey]uint32{}, keyID: map[string]uint32{},
		dels: map[string][]uint32{}, fams: map[string][]uint32{}, skels: map[string][]uint32{},
		arts: map[string][]uint32{}, alts: map[string][]uint32{}, stems: map[string][]uint32{},
	}
}

// ErrDuplicateID is returned by Add when the ID is already in the index.
var ErrDuplicateID = errors.New("match: duplicate entry id")

// ErrNotFound is returned by Remove for an ID that is not in the index.
var ErrNotFound = errors.New("match: entry not found")

// Len returns the number of entries in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Add indexes a new entry.
func (ix *Index) Add(e Entry) error {
	pp := PreparePerson(e.Person)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.byID[e.ID]; ok {
		return ErrDuplicateID
	}
	ix.insert(e.ID, &pp, nil)
	return nil
}

// AddAll indexes new entries in their order, preparing them on every core: loading a
// list is then no longer the serial part of screening it. The fuzzy routes to the new
// keys are recorded on a goroutine of their own while the entries are inserted. An entry
// whose ID is already indexed (or repeated in es) stops it with ErrDuplicateID, the
// entries before it added.
func (ix *Index) AddAll(es []Entry) error {
	pps := make([]PreparedPerson, len(es))
	workers := min(runtime.GOMAXPROCS(0), max(len(es)/256, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(256)) - 256
				if start >= len(es) {
					return
				}
				for i := start; i < min(start+256, len(es)); i++ {
					pps[i] = PreparePerson(es[i].Person)
				}
			}
		}()
	}
	wg.Wait()
	words := 0
	for i := range pps {
		for j := range pps[i].names {
			words += 1 + len(pps[i].names[j].tokens)
		}
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.arena = slices.Grow(ix.arena, words)
	ix.entries = slices.Grow(ix.entries, len(es))
	ix.lens = slices.Grow(ix.lens, len(es))
	if len(ix.byID) == 0 {
		ix.byID = make(map[string]uint32, len(es))
	}
	// Only the route goroutine touches the route maps until it is done, and the index
	// is locked until then.
	routes := make(chan []newKey, 4)
	var routed sync.WaitGroup
	routed.Add(1)
	go func() {
		defer routed.Done()
		for b := range routes {
			for _, nk := range b {
				ix.addRoutes(nk.t, nk.k)
			}
		}
	}()
	var batch []newKey
	defer func() {
		routes <- batch
		close(routes)
		routed.Wait()
	}()
	for i := range es {
		if _, ok := ix.byID[es[i].ID]; ok {
			return fmt.Errorf("%w: %q", ErrDuplicateID, es[i].ID)
		}
		ix.insert(es[i].ID, &pps[i], &batch)
		if len(batch) >= 256 {
			routes <- batch
			batch = nil
		}
	}
	return nil
}

// newKey is a key new to the index and the part that brought it, whose routes are yet
// to be recorded.
type newKey struct {
	t *token
	k uint32
}

// Update replaces the entry with e.ID, adding it when absent.
func (ix *Index) Update(e Entry) {
	pp := PreparePerson(e.Person)
	ix.UpdatePrepared(e.ID, &pp)
}

// UpdatePrepared is Update for a person prepared once with PreparePerson, say to be
// searched for before it is indexed: the index keeps its Person, which must not change.
func (ix *Index) UpdatePrepared(id string, pp *PreparedPerson) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if n, ok := ix.byID[id]; ok {
		ix.delete(n)
	}
	ix.insert(id, pp, nil)
}

// Remove deletes the entry with the given ID.
func (ix *Index) Remove(id string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	n, ok := ix.byID[id]
	if !ok {
		return ErrNotFound
	}
	ix.delete(n)
	return nil
}

// intern returns the vocabulary id of a token, adding it (and its key) when new; a new
// key's routes are recorded at once when later is nil, else appended to it.
func (ix *Index) intern(t *token, later *[]newKey) uint32 {
	vk := vocabKey{t.raw, t.fold, t.script, t.diacritics, t.rkeys, t.frSkel, t.frBare}
	if id, ok := ix.vocabID[vk]; ok {
		return id
	}
	k, ok := ix.keyID[t.key]
	if !ok {
		k = uint32(len(ix.keys))
		ix.keys = append(ix.keys, keyInfo{key: t.key, fam: t.family})
		ix.weights = append(ix.weights, 0)
		ix.keyID[t.key] = k
		if later != nil {
			*later = append(*later, newKey{t, k})
		} else {
			ix.addRoutes(t, k)
		}
	}
	id := ix.nvocab
	if id%vocabChunk == 0 {
		ix.vocab = append(ix.vocab, make([]vtoken, 0, vocabChunk))
	}
	c := &ix.vocab[len(ix.vocab)-1]
	*c = append(*c, vtoken{tok: *t, key: k})
	(*c)[len(*c)-1].tok.weight = baseWeight(t.fold)
	ix.nvocab++
	ix.vocabID[vk] = id
	return id
}

// vocabChunk is how many interned parts each chunk of the vocabulary holds.
const vocabChunk = 1024

// vtok is the interned part with vocabulary id v.
func (ix *Index) vtok(v uint32) *vtoken {
	return &ix.vocab[v/vocabChunk][v%vocabChunk]
}

// addRoutes records the routes to key id k, new to the index, brought by part t.
func (ix *Index) addRoutes(t *token, k uint32) {
	if t.family != "" {
		ix.fams[t.family] = append(ix.fams[t.family], k)
	}
	if len(t.skel) >= 2 {
		ix.skels[t.skel] = append(ix.skels[t.skel], k)
	}
	if a := withoutArticle(t); a != "" {
		ix.arts[a] = append(ix.arts[a], k)
	}
	if t.altKey != "" {
		ix.alts[t.altKey] = append(ix.alts[t.altKey], k)
	}
	if t.stem != "" {
		ix.stems[t.stem] = append(ix.stems[t.stem], k)
	}
	if len(t.key) >= minDeletionKey {
		for _, dk := range [...]string{t.key, diphthongKey(t.key)} {
			for i := 0; i < len(dk) && dk != ""; i++ {
				d := dk[:i] + dk[i+1:]
				if l := ix.dels[d]; len(l) == 0 || l[len(l)-1] != k {
					ix.dels[d] = append(l, k)
				}
			}
		}
	}
}

func (ix *Index) insert(id string, pp *PreparedPerson, later *[]newKey) {
	ix.gen++
	n := uint32(len(ix.entries))
	off := uint32(len(ix.arena))
	for i := range pp.names {
		nm := &pp.names[i]
		ix.arena = append(ix.arena, nameHeader(len(nm.tokens), nm.titled, nm.commaOrder, nm.orig))
		for j := range nm.tokens {
			v := ix.intern(&nm.tokens[j], later)
			if nm.tokens[j].surname {
				v |= surnameBit
			}
			ix.arena = append(ix.arena, v)
		}
	}
	e := entry{id: id, person: pp.Person, off: off, words: uint32(len(ix.arena)) - off, birth: pp.birth}
	ix.entries = append(ix.entries, e)
	ix.lens = append(ix.lens, uint8(min(e.words, 255)))
	ix.byID[id] = n
	ix.live++
	for _, k := range ix.entryKeys(&ix.entries[n]) {
		ix.keys[k].postings = append(ix.keys[k].postings, n)
	}
}

func (ix *Index) delete(n uint32) {
	ix.gen++
	e := &ix.entries[n]
	for _, k := range ix.entryKeys(e) {
		post := ix.keys[k].postings
		i := sort.Search(len(post), func(i int) bool { return post[i] >= n })
		if i < len(post) && post[i] == n {
			ix.keys[k].postings = append(post[:i], post[i+1:]...)
		}
	}
	delete(ix.byID, e.id)
	// The vocabulary keeps the entry's parts: they are few, and other entries share them.
	*e = entry{}
	ix.live--
}

// entryKeys lists the distinct key ids of an entry's parts. A person with many aliases
// is deduplicated through a set, so that merging tens of thousands of list rows into one
// entry stays linear.
func (ix *Index) entryKeys(e *entry) []uint32 {
	var buf [2 * MaxTokens]uint32
	keys := buf[:0]
	var set map[uint32]bool
	words := ix.arena[e.off : e.off+e.words]
	for i := 0; i < len(words); {
		parts, _, _, _ := splitHeader(words[i])
		for _, v := range words[i+1 : i+1+parts] {
			k := ix.vtok(v &^ surnameBit).key
			if set != nil {
				if !set[k] {
					set[k] = true
					keys = append(keys, k)
				}
				continue
			}
			dup := false
			for _, have := range keys {
				if have == k {
					dup = true
					break
				}
			}
			if !dup {
				keys = append(keys, k)
			}
			if len(keys) > 4*MaxTokens {
				set = make(map[uint32]bool, 2*len(keys))
				for _, have := range keys {
					set[have] = true
				}
			}
		}
		i += 1 + parts
	}
	return keys
}

// Rarity weighting: a part's weight is log(1/p)/log(1/rarityPrior), where p is the share
// of entries holding the part, smoothed as if rarityPseudo further entries held parts at
// the prior rate. A small list thus weighs every part about 1, as CompareNames does;
// on a real list common given names fall towards rarityMin and rare surnames rise
// towards rarityMax.
const (
	rarityPrior  = 0.002
	rarityPseudo = 1000
	rarityMin    = 0.2
	rarityMax    = 1.5
)

func rarity(df, total int) float64 {
	p := (float64(df) + rarityPseudo*rarityPrior) / (float64(total) + rarityPseudo)
	return min(max(math.Log(p)/math.Log(rarityPrior), rarityMin), rarityMax)
}

// df is how many entries hold a key, or any key of its name family.
func (ix *Index) df(key string, family string) int {
	n := 0
	if k, ok := ix.keyID[key]; ok {
		n = len(ix.keys[k].postings)
	}
	if family != "" {
		f := 0
		for _, k := range ix.fams[family] {
			f += len(ix.keys[k].postings)
		}
		n = max(n, f)
	}
	return n
}

// keyWeight is the rarity weight of key id k, computed once per index generation.
func (ix *Index) keyWeight(k uint32) float64 {
	c := atomic.LoadUint64(&ix.weights[k])
	if uint32(c>>32) == ix.gen {
		return float64(math.Float32frombits(uint32(c)))
	}
	ki := &ix.keys[k]
	w := float32(rarity(ix.df(ki.key, ki.fam), ix.live))
	atomic.StoreUint64(&ix.weights[k], uint64(ix.gen)<<32|uint64(math.Float32bits(w)))
	return float64(w)
}

// weigh sets the weight of each part of a name to its base weight times its rarity.
func (ix *Index) weigh(n *Name) {
	for i := range n.tokens {
		t := &n.tokens[i]
		t.weight = t.baseWeight() * rarity(ix.df(t.key, t.family), ix.live)
	}
}

// scratch holds per-search state reused across searches, so that a query costs what its
// posting lists cost, not what the list costs, and allocates little.
type scratch struct {
	epoch    uint32
	seen     []uint32
	tokSeen  []uint32
	tokEpoch uint32
	acc      []float32
	touched  []uint32
	routes   []route
	spans    []span
	heap     []uint32
	// keyMark holds, per key id, the epoch of the last search that reached it.
	keyMark []uint32
	toks    []token
	names   []Name
	qtoks   []token
	qnames  []Name
	cand    PreparedPerson
	results []scored
	memo    simMemo
}

// span is one query part's routes in scratch.routes and the part's weight.
type span struct {
	start, end int
	weight     float32
}

type route struct {
	key     uint32
	quality float32
}

type scored struct {
	n      uint32
	score  float64
	acc    float32
	common int
}

func (ix *Index) getScratch() *scratch {
	s, _ := ix.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	if n := len(ix.entries); len(s.seen) < n {
		grow := n + n/4 + 64
		s.seen = make([]uint32, grow)
		s.tokSeen = make([]uint32, grow)
		s.acc = make([]float32, grow)
		s.epoch, s.tokEpoch = 0, 0
	}
	if n := len(ix.keys); len(s.keyMark) < n {
		// A mark left from an earlier epoch numbering only makes a name count as
		// reached, which is never wrong, only slower.
		s.keyMark = make([]uint32, n+n/4+64)
	}
	s.epoch++
	s.touched = s.touched[:0]
	return s
}

// SearchName finds the k entries most like a name.
func (ix *Index) SearchName(name string, k int) []Hit {
	return ix.Search(Person{Names: []string{name}}, k)
}

// Search returns up to k entries most like q, best first, each scored and explained.
func (ix *Index) Search(q Person, k int) []Hit {
	pq := PreparePerson(q)
	return ix.SearchPrepared(&pq, k)
}

// addRoute records a route unless the key is already reached at least as well by the
// routes from base on (those of the same query part).
func addRoute(rs []route, base int, k uint32, q float32) []route {
	for i := base; i < len(rs); i++ {
		if rs[i].key == k {
			rs[i].quality = max(rs[i].quality, q)
			return rs
		}
	}
	return append(rs, route{k, q})
}

// routes lists the keys a query part may stand for, each with how much that is trusted.
func (ix *Index) routes(t, next, next2 *token, rs []route) []route {
	base := len(rs)
	if t.initial() {
		return rs
	}
	if k, ok := ix.keyID[t.key]; ok {
		rs = addRoute(rs, base, k, routeExact)
	}
	if next != nil && !next.initial() {
		// "Abdul Aziz" against "Abdulaziz": the two parts written as one.
		jk := phoneticKey(t.fold + next.fold)
		if k, ok := ix.keyID[jk]; ok {
			rs = addRoute(rs, base, k, routeJoined)
		}
		// "Nur al-Din" against "Noureddine" or "Nurulhuda": the article at the seam.
		if len(t.fold) >= 2 && len(next.fold) >= 2 && !t.weak && !isVowel(next.fold[0]) {
			var fb, kb [2*MaxTokenBytes + 8]byte
			for _, v := range seamVowels {
				for _, l := range [...]bool{false, true} {
					f := append(append(fb[:0], t.fold...), v)
					if l {
						f = append(f, 'l')
					}
					f = append(f, next.fold...)
					if k, ok := ix.keyID[string(appendPhoneticKey(kb[:0], string(f)))]; ok {
						rs = addRoute(rs, base, k, routeJoined)
					}
				}
			}
		}
		// "Pour Naghsh Band" against "Pournaghshband": three parts written as one.
		if next2 != nil && !next2.initial() {
			if k, ok := ix.keyID[phoneticKey(t.fold+next.fold+next2.fold)]; ok {
				rs = addRoute(rs, base, k, routeJoined)
			}
		}
		// "Taj al-Din" against "Tajideen": the skeleton of the two as one.
		if sk := skeleton(jk); len(sk) >= minJoinSkeleton {
			for _, k := range ix.skels[sk] {
				rs = addRoute(rs, base, k, routeSkeleton)
			}
		}
	}
	if len(t.skel) >= minJoinSkeleton {
		// "Badreddine" against "Badr al-Din": the longer half of the skeleton, when
		// both halves are skeletons of parts on the list.
		for i := 2; i <= len(t.skel)-2; i++ {
			a, b := ix.skels[t.skel[:i]], ix.skels[t.skel[i:]]
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			if i < len(t.skel)-i {
				a = b
			}
			for _, k := range a {
				rs = addRoute(rs, base, k, routeSkeleton)
			}
		}
	}
	if len(t.key) >= 6 {
		// "RamiMakhlouf" against "Rami Makhlouf": one part written as two.
		for i := 2; i <= len(t.key)-2; i++ {
			k1, ok1 := ix.keyID[t.key[:i]]
			k2, ok2 := ix.keyID[t.key[i:]]
			if ok1 && ok2 {
				rs = addRoute(rs, base, k1, routeJoined)
				rs = addRoute(rs, base, k2, routeJoined)
			}
			// "Bordbarsheramin" against "Bordbar Shir Amin": one part written as three.
			for j := i + 3; ok1 && !ok2 && i >= 3 && j <= len(t.key)-3; j++ {
				k2, ok2 := ix.keyID[t.key[i:j]]
				k3, ok3 := ix.keyID[t.key[j:]]
				if ok2 && ok3 {
					rs = addRoute(rs, base, k1, routeJoined)
					rs = addRoute(rs, base, k2, routeJoined)
					rs = addRoute(rs, base, k3, routeJoined)
				}
			}
			// "Noureddine" against "Nur al-Din": the article's vowel at the seam.
			if isVowel(t.key[i]) && i >= 3 && i+4 <= len(t.key) && !weakParts[t.key[:i]] {
				k1, ok1 := ix.keyID[t.key[:i]]
				k2, ok2 := ix.keyID[t.key[i+1:]]
				if ok1 && ok2 {
					rs = addRoute(rs, base, k1, routeJoined)
					rs = addRoute(rs, base, k2, routeJoined)
				}
			}
		}
	}
	if t.family != "" {
		for _, k := range ix.fams[t.family] {
			rs = addRoute(rs, base, k, routeFamily)
		}
	}
	// "Alrawi" against "al-Rawi", either way round.
	if a := t.bare; a != "" {
		if k, ok := ix.keyID[a]; ok {
			rs = addRoute(rs, base, k, routeFamily)
		}
	}
	for _, k := range ix.arts[t.key] {
		rs = addRoute(rs, base, k, routeFamily)
	}
	// "Xodorkovskij" against "Khodorkovskiy", either way round.
	if t.altKey != "" {
		if k, ok := ix.keyID[t.altKey]; ok {
			rs = addRoute(rs, base, k, routeFamily)
		}
	}
	for _, k := range ix.alts[t.key] {
		rs = addRoute(rs, base, k, routeFamily)
	}
	// "Nasir" against "Nasiruddin", "Fazal" against "Fazlullah", either way round.
	if t.stem != "" {
		if k, ok := ix.keyID[t.stem]; ok {
			rs = addRoute(rs, base, k, routeDeletion)
		}
		for _, k := range ix.dels[t.stem] {
			rs = addRoute(rs, base, k, routeDeletion)
		}
	}
	if t.script == scriptLatin && len(ix.stems) > 0 {
		for _, k := range ix.stems[t.key] {
			rs = addRoute(rs, base, k, routeDeletion)
		}
		var buf [MaxTokenBytes * 2]byte
		for i := 1; i+1 < len(t.key) && len(t.key) <= len(buf); i++ {
			if isVowel(t.key[i]) && !isVowel(t.key[i-1]) && !isVowel(t.key[i+1]) {
				for _, k := range ix.stems[string(append(append(buf[:0], t.key[:i]...), t.key[i+1:]...))] {
					rs = addRoute(rs, base, k, routeDeletion)
				}
			}
		}
	}
	if len(t.key) >= minDeletionKey {
		for _, k := range ix.dels[t.key] {
			rs = addRoute(rs, base, k, routeDeletion)
		}
		// The diphthong written one way is a deletion of its own ("Kubaysi" is
		// "Kubisi"), so from it a further deletion reaches "Kabisi" and "Kweider"
		// reaches "Quwaydir": symmetric on both sides, as at indexing.
		var buf [MaxTokenBytes * 2]byte
		for _, dk := range [...]string{t.key, diphthongKey(t.key)} {
			for i := 0; i < len(dk) && len(dk) <= len(buf); i++ {
				d := append(append(buf[:0], dk[:i]...), dk[i+1:]...)
				if k, ok := ix.keyID[string(d)]; ok {
					rs = addRoute(rs, base, k, routeDeletion)
				}
				for _, k := range ix.dels[string(d)] {
					rs = addRoute(rs, base, k, routeDeletion)
				}
			}
		}
	}
	// Vowels are unknown in an abjad, so the skeleton is the main route from Arabic or
	// Hebrew script; in Latin script only long skeletons are distinctive enough.
	if len(t.skel) >= 4 || t.script.abjad() && len(t.skel) >= 2 {
		for _, k := range ix.skels[t.skel] {
			rs = addRoute(rs, base, k, routeSkeleton)
		}
	}
	return rs
}

// SearchPrepared is Search for a person prepared once with PreparePerson.
func (ix *Index) SearchPrepared(pq *PreparedPerson, k int) []Hit {
	return ix.searchPrepared(pq, k, math.Inf(-1))
}

// SearchAbove is Search keeping only hits scoring at least minScore: those below are
// never explained, which is most of the cost of a search that finds nothing.
func (ix *Index) SearchAbove(q Person, k int, minScore float64) []Hit {
	pq := PreparePerson(q)
	return ix.searchPrepared(&pq, k, minScore)
}

// SearchPreparedAbove is SearchAbove for a person prepared once with PreparePerson.
func (ix *Index) SearchPreparedAbove(pq *PreparedPerson, k int, minScore float64) []Hit {
	return ix.searchPrepared(pq, k, minScore)
}

func (ix *Index) searchPrepared(pq *PreparedPerson, k int, minScore float64) []Hit {
	if k <= 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.getScratch()
	defer ix.scratch.Put(s)
	q := ix.weighQuery(pq, s)
	s.memo.reset()
	common, selective := ix.queryRoutes(q, s)
	for _, sp := range s.spans {
		s.tokEpoch++
		for _, r := range s.routes[sp.start:sp.end] {
			post := ix.keys[r.key].postings
			s.keyMark[r.key] = s.epoch
			if skipRoute(len(post), r, common, selective) {
				continue
			}
			add := sp.weight * r.quality
			for _, e := range post {
				if s.tokSeen[e] == s.tokEpoch {
					continue
				}
				s.tokSeen[e] = s.tokEpoch
				if s.seen[e] != s.epoch {
					s.seen[e] = s.epoch
					// Unmatched parts cost in exact scoring, so longer entries start
					// a little behind.
					s.acc[e] = -lengthCost * float32(ix.lens[e])
					s.touched = append(s.touched, e)
				}
				s.acc[e] += add
			}
		}
	}
	cands := topByAcc(s, max(minCandidates, candidatesPerHit*k))
	results := s.results[:0]
	for _, n := range cands {
		c := ix.view(n, s)
		r := comparePrepared(q, c, false, &s.memo)
		results = append(results, scored{n, r.Score, s.acc[n], r.common})
	}
	s.results = results
	// Hits below minScore are dropped before ranking, so that none displaces one above.
	results = slices.DeleteFunc(results, func(r scored) bool { return r.score < minScore })
	slices.SortFunc(results, rankOrder)
	if len(results) > k {
		results = results[:k]
	}
	if len(results) == 0 {
		return nil
	}
	hits := make([]Hit, len(results))
	for i, r := range results {
		e := &ix.entries[r.n]
		res := comparePrepared(q, ix.view(r.n, s), true, &s.memo)
		hits[i] = Hit{ID: e.id, Score: res.Score, MatchedName: res.MatchedName, Explanation: res.Explanation}
	}
	return hits
}

// queryRoutes gathers every part's routes of the weighted query q into s.routes, one
// span per part, each span best route first. It returns how many postings make a key
// common, and whether any part reaches a selective key exactly: both decide which
// routes are followed (skipRoute).
func (ix *Index) queryRoutes(q *PreparedPerson, s *scratch) (common int, selective bool) {
	common = max(commonPostingMin, int(commonPostingFrac*float64(ix.live)))
	s.routes, s.spans = s.routes[:0], s.spans[:0]
	for ni := range q.names {
		toks := q.names[ni].tokens
		for i := range toks {
			var next, next2 *token
			if i+1 < len(toks) {
				next = &toks[i+1]
			}
			if i+2 < len(toks) {
				next2 = &toks[i+2]
			}
			start := len(s.routes)
			s.routes = ix.routes(&toks[i], next, next2, s.routes)
			rs := s.routes[start:]
			slices.SortStableFunc(rs, func(a, b route) int { return cmp.Compare(b.quality, a.quality) })
			for _, r := range rs {
				if n := len(ix.keys[r.key].postings); r.quality == routeExact && n > 0 && n <= common {
					selective = true
				}
			}
			s.spans = append(s.spans, span{start, len(s.routes), float32(toks[i].weight)})
		}
	}
	return common, selective
}

// skipRoute reports whether retrieval leaves a route to a key with n postings
// unfollowed. A key held by a large share of a big list (a "Mohammed") is followed only
// when nothing rarer in the query is: the entries that hold the rarer part are found
// through it, and those holding only the common part could not outscore them.
func skipRoute(n int, r route, common int, selective bool) bool {
	return n > common && (r.quality < routeExact || selective)
}

// SearchAmong is SearchPreparedAbove confined to the entries with the given IDs: each
// is scored and explained as a search of the whole index scores it now, those below
// minScore are dropped and the rest returned best first, in the order a search ranks
// them. Unlike a search, it compares every one of them, not only those retrieval would
// pick among the whole index. An ID not in the index is skipped, a repeated one
// counted once. It costs what comparing those entries costs, whatever the index holds.
func (ix *Index) SearchAmong(pq *PreparedPerson, ids []string, minScore float64) []Hit {
	if len(ids) == 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.getScratch()
	defer ix.scratch.Put(s)
	q := ix.weighQuery(pq, s)
	s.memo.reset()
	// The keys the query reaches decide which of a candidate's names are compared
	// (view), as in a search, and rank equal scores (retrievalScore). They are gathered
	// only once a candidate needs them: one with a single name is compared whichever
	// keys are reached, and most arrivals' windows hold nobody above minScore.
	routed := false
	var common int
	var selective bool
	route := func() {
		if routed {
			return
		}
		routed = true
		common, selective = ix.queryRoutes(q, s)
		for _, r := range s.routes {
			s.keyMark[r.key] = s.epoch
		}
	}
	results := s.results[:0]
	for _, id := range ids {
		n, ok := ix.byID[id]
		if !ok || s.seen[n] == s.epoch {
			continue
		}
		s.seen[n] = s.epoch
		if ix.names(n) > 1 {
			route()
		}
		r := comparePrepared(q, ix.view(n, s), false, &s.memo)
		if r.Score < minScore {
			continue
		}
		route()
		results = append(results, scored{n, r.Score, ix.retrievalScore(n, s, common, selective), r.common})
	}
	s.results = results
	slices.SortFunc(results, rankOrder)
	if len(results) == 0 {
		return nil
	}
	hits := make([]Hit, len(results))
	for i, r := range results {
		res := comparePrepared(q, ix.view(r.n, s), true, &s.memo)
		hits[i] = Hit{ID: ix.entries[r.n].id, Score: res.Score, MatchedName: res.MatchedName, Explanation: res.Explanation}
	}
	return hits
}

// retrievalScore is the weight a search accumulates for entry n (s.acc), which ranks
// equal scores: each query part adds its weight times the quality of its best route
// followed to a key the entry holds, in the same order and precision as a search.
func (ix *Index) retrievalScore(n uint32, s *scratch, common int, selective bool) float32 {
	keys := ix.entryKeys(&ix.entries[n])
	acc := -lengthCost * float32(ix.lens[n])
	for _, sp := range s.spans {
		for _, r := range s.routes[sp.start:sp.end] {
			if skipRoute(len(ix.keys[r.key].postings), r, common, selective) || !slices.Contains(keys, r.key) {
				continue
			}
			acc += sp.weight * r.quality
			break
		}
	}
	return acc
}

// rankOrder orders scored candidates best first. Candidates at or above the default
// threshold rank above all others, by score. Below it, scores that round to the same
// hundredth are ties, whatever the third decimal: among them the candidate sharing more
// parts of the query name ranks first ("KHALIF, Idris Ali Awad" finds "AL-FAY, Idris Ali
// Awwad", three parts in common, before "ASWAD, Ali", two), then the one sharing the
// rarer parts (the retrieval weight: rarity on this list times how each part was
// reached), then the higher score. Equal scores above the threshold are ordered by the
// rarer parts too; list order decides the rest.
func rankOrder(a, b scored) int {
	above, bAbove := a.score >= DefaultThreshold, b.score >= DefaultThreshold
	switch {
	case above != bAbove && above:
		return -1
	case above != bAbove:
		return 1
	case !above:
		if c := cmp.Compare(math.Round(b.score*100), math.Round(a.score*100)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.common, a.common); c != 0 {
			return c
		}
		if c := cmp.Compare(b.acc, a.acc); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	if c := cmp.Compare(b.acc, a.acc); c != 0 {
		return c
	}
	return cmp.Compare(a.n, b.n)
}

// weighQuery copies the query's names into scratch with rarity weights.
func (ix *Index) weighQuery(pq *PreparedPerson, s *scratch) *PreparedPerson {
	total := 0
	for i := range pq.names {
		total += len(pq.names[i].tokens)
	}
	if cap(s.qtoks) < total {
		s.qtoks = make([]token, 0, total)
	}
	toks := s.qtoks[:0]
	names := s.qnames[:0]
	for i := range pq.names {
		nm := pq.names[i]
		start := len(toks)
		toks = append(toks, nm.tokens...)
		nm.tokens = toks[start:len(toks):len(toks)]
		ix.weigh(&nm)
		for j := range nm.tokens {
			nm.tokens[j].id = -int32(start+j) - 1
		}
		names = append(names, nm)
	}
	s.qtoks, s.qnames = toks, names
	q := *pq
	q.names = names
	return &q
}

// names returns how many names entry n holds.
func (ix *Index) names(n uint32) int {
	e := &ix.entries[n]
	words := ix.arena[e.off : e.off+e.words]
	c := 0
	for i := 0; i < len(words); c++ {
		parts, _, _, _ := splitHeader(words[i])
		i += 1 + parts
	}
	return c
}

// view builds entry n as a prepared person from the vocabulary, in scratch memory.
func (ix *Index) view(n uint32, s *scratch) *PreparedPerson {
	e := &ix.entries[n]
	words := ix.arena[e.off : e.off+e.words]
	if cap(s.toks) < len(words) {
		s.toks = make([]token, 0, len(words))
	}
	toks := s.toks[:0]
	names := s.names[:0]
	anyReached := false
	for i := 0; i < len(words); {
		parts, titled, comma, orig := splitHeader(words[i])
		start := len(toks)
		reached := false
		for _, v := range words[i+1 : i+1+parts] {
			vt := ix.vtok(v &^ surnameBit)
			toks = append(toks, vt.tok)
			t := &toks[len(toks)-1]
			t.weight *= ix.keyWeight(vt.key)
			t.surname = v&surnameBit != 0
			t.given = comma && !t.surname
			t.id = int32(v&^surnameBit) + 1
			reached = reached || s.keyMark[vt.key] == s.epoch
		}
		anyReached = anyReached || reached
		names = append(names, Name{Original: e.person.Names[orig], tokens: toks[start:len(toks):len(toks)], commaOrder: comma, orig: orig, unreached: !reached, titled: titled})
		i += 1 + parts
	}
	if !anyReached {
		for i := range names {
			names[i].unreached = false
		}
	}
	s.toks, s.names = toks, names
	s.cand = PreparedPerson{Person: e.person, names: names, birth: e.birth}
	return &s.cand
}

// topByAcc returns the m touched entries with the highest accumulated weight, using a
// min-heap kept in scratch.
func topByAcc(s *scratch, m int) []uint32 {
	if len(s.touched) <= m {
		return s.touched
	}
	acc := s.acc
	h := s.heap[:0]
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && acc[h[r]] < acc[h[l]] {
				l = r
			}
			if acc[h[i]] <= acc[h[l]] {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for _, e := range s.touched {
		if len(h) < m {
			h = append(h, e)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if acc[h[p]] <= acc[h[i]] {
					break
				}
				h[p], h[i] = h[i], h[p]
				i = p
			}
		} else if acc[e] > acc[h[0]] {
			h[0] = e
			down(0)
		}
	}
	s.heap = h
	return h
}
