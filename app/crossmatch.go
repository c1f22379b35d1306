package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// Matcher keeps the node's holdings in a match index, the agency's subjects and every
// person described in a message it received, so that each new description is compared
// with all of them at once, and each new subject with everything it was told before.
type Matcher struct {
	Index     *match.Index
	Threshold float64
	// Candidates is how many of the best hits to consider per person.
	Candidates int

	mu       sync.RWMutex
	subjects map[string]subjectInfo
	messages map[string]messageInfo // received messages whose persons are indexed
	// recent lists the subjects and messages applied from the change log since the
	// change recentFrom, by Seq, ascending: the late match compares an arrival with
	// those whose change falls in its window (see window) instead of searching the
	// whole index again. Under mu.
	recent     []recentChange
	recentFrom int64

	// The index is a cache of the store: it follows the store's change log, and seen is
	// the Seq of the last change applied. follow is held while catching up, so changes
	// are applied in order, once.
	feed   forewarn.ChangeFeed
	follow sync.Mutex
	seen   atomic.Int64
	// reads counts the catch-ups that began reading the log; caughtUp is the number of
	// the last one that read it to its end (under follow). A catch-up that began reading
	// after another call began has seen everything committed before that call, so
	// arrivals catching up together share one read (see CatchUp). waiting counts the
	// calls waiting for follow, for tests.
	reads    atomic.Int64
	caughtUp int64
	waiting  atomic.Int32
	// subjectSeq is the Seq of the last subject change applied, so that a message
	// matched before it can tell whether any subject changed since.
	subjectSeq atomic.Int64
	// arrived holds messages this process stored, by the Seq of the change their arrival
	// wrote, until every change before theirs is applied: each is then applied from
	// memory rather than read back from the log. Applied under follow.
	arrivedMu sync.Mutex
	arrived   map[int64]arrival
}

// arrival is a message this process stored, and its persons as the engine compares
// them when they were prepared to match it (nil otherwise).
type arrival struct {
	m        *forewarn.Message
	prepared []match.PreparedPerson
}

// preparePersons prepares the persons a message describes once, for the searches that
// match it and for indexing it.
func preparePersons(m *forewarn.Message) []match.PreparedPerson {
	ps := m.Persons()
	pqs := make([]match.PreparedPerson, len(ps))
	for i := range ps {
		pqs[i] = match.PreparePerson(descriptorPerson(&ps[i]))
	}
	return pqs
}

// preparedPerson is the i-th person of a message, d, as the engine compares it: from
// pqs when the caller prepared them, else prepared now.
func preparedPerson(pqs []match.PreparedPerson, i int, d *forewarn.PersonDescriptor) *match.PreparedPerson {
	if i < len(pqs) {
		return &pqs[i]
	}
	pq := match.PreparePerson(descriptorPerson(d))
	return &pq
}

// messageInfo is what the matcher keeps of a received message, to word an alert about an
// earlier mention without reading the message back.
type messageInfo struct {
	kind    forewarn.MessageKind
	from    string
	created time.Time
	// keys are the index entry IDs of the persons indexed (personKey), to remove them
	// again and to name them in a late match's window without building them anew.
	keys []string
	seq  int64 // the change that indexed it; 0 when loaded at start
}

// subjectInfo is what the matcher must know of a subject to raise the right alert without
// reading (and so auditing a read of) the subject itself.
type subjectInfo struct {
	name        string
	watchlisted bool
	seq         int64 // the change that indexed it; 0 when loaded at start
}

// recentChange is a subject or received message applied from the change log.
type recentChange struct {
	seq     int64
	subject bool
	id      string
}

// maxRecent bounds the changes kept in recent; past it the older half is forgotten, and
// a late match whose window begins before what is kept searches the whole index.
const maxRecent = 4096

// noteRecent records that the subject or message id was applied as change seq. The
// caller holds mu.
func (mt *Matcher) noteRecent(seq int64, subject bool, id string) {
	if seq <= 0 {
		return // loaded at start, before any window
	}
	c := recentChange{seq, subject, id}
	if n := len(mt.recent); n == 0 || mt.recent[n-1].seq <= seq {
		mt.recent = append(mt.recent, c)
	} else {
		// Changes are applied in order; should one not be, it still goes in its place.
		i, _ := slices.BinarySearchFunc(mt.recent, seq, func(r recentChange, seq int64) int { return cmp.Compare(r.seq, seq) })
		mt.recent = slices.Insert(mt.recent, i, c)
	}
	if len(mt.recent) > maxRecent {
		drop := len(mt.recent) / 2
		mt.recentFrom = max(mt.recentFrom, mt.recent[drop-1].seq)
		mt.recent = slices.Delete(mt.recent, 0, drop)
	}
}

// window returns the index entry IDs of the subjects and received messages whose latest
// change falls after change after and before change until, each once; ok is false when
// the changes since after are no longer all kept, and then the caller must search.
func (mt *Matcher) window(after, until int64) (ids []string, ok bool) {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	if after < mt.recentFrom {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(mt.recent, after+1, func(r recentChange, seq int64) int { return cmp.Compare(r.seq, seq) })
	for _, c := range mt.recent[i:] {
		if c.seq >= until {
			break
		}
		// A change is counted only when it is still the object's latest, as the
		// window is defined: an object changed again later appears once, or not at all.
		if c.subject {
			if si, ok := mt.subjects[c.id]; ok && si.seq == c.seq {
				ids = append(ids, subjectKey(c.id))
			}
		} else if mi, ok := mt.messages[c.id]; ok && mi.seq == c.seq {
			ids = append(ids, mi.keys...)
		}
	}
	return ids, true
}

// NewMatcher returns an empty matcher at the engine's recommended threshold.
func NewMatcher() *Matcher {
	return &Matcher{Index: match.NewIndex(), Threshold: match.DefaultThreshold, Candidates: 10,
		subjects: map[string]subjectInfo{}, messages: map[string]messageInfo{}}
}

func (mt *Matcher) message(id string) (messageInfo, bool) {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	mi, ok := mt.messages[id]
	return mi, ok
}

func (mt *Matcher) subject(id string) (subjectInfo, bool) {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	si, ok := mt.subjects[id]
	return si, ok
}

// holdsSubjects reports whether the index holds any of the agency's subjects.
func (mt *Matcher) holdsSubjects() bool {
	mt.mu.RLock()
	defer mt.mu.RUnlock()
	return len(mt.subjects) > 0
}

// Index entry IDs say what an entry is: a subject, or a person in a received message.
const (
	subjectPrefix = "subject:"
	personPrefix  = "person:"
)

func subjectKey(id string) string { return subjectPrefix + id }

func personKey(messageID, ref string) string { return personPrefix + messageID + "/" + ref }

func parsePersonKey(k string) (messageID, ref string, ok bool) {
	rest, ok := strings.CutPrefix(k, personPrefix)
	if !ok {
		return "", "", false
	}
	messageID, ref, ok = strings.Cut(rest, "/")
	return messageID, ref, ok
}

// subjectPerson turns a subject into what the match engine compares.
func subjectPerson(s *forewarn.Subject) match.Person {
	p := match.Person{BirthDate: s.BirthDate.String(), Nationalities: s.Nationalities, Gender: string(s.Gender)}
	for _, n := range s.Names {
		p.Names = append(p.Names, n.Value)
	}
	for _, d := range s.Documents {
		p.Documents = append(p.Documents, d.Number)
	}
	return p
}

// descriptorPerson turns a person described in a message into what the engine compares.
func descriptorPerson(d *forewarn.PersonDescriptor) match.Person {
	p := match.Person{BirthDate: d.BirthDate.String(), Nationalities: d.Nationalities, Gender: string(d.Gender)}
	for _, n := range d.Names {
		p.Names = append(p.Names, n.Value)
	}
	for _, doc := range d.Documents {
		p.Documents = append(p.Documents, doc.Number)
	}
	return p
}

// Fingerprint identifies a description by its names and birth date, normalised, so that a
// pair an analyst rejected is recognised when the same description arrives again.
func Fingerprint(d *forewarn.PersonDescriptor) string {
	names := make([]string, 0, len(d.Names))
	for _, n := range d.Names {
		names = append(names, strings.ToLower(strings.Join(strings.Fields(n.Value), " ")))
	}
	sort.Strings(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "|") + "#" + d.BirthDate.String()))
	return hex.EncodeToString(sum[:16])
}

// Summary is the one line an analyst reads first: the score, the reasons and what the
// reader must know before acting on it (a match on a surname only, a title set aside).
func Summary(e match.Explanation) string { return SummaryPhrase(e).English() }

// SummaryPhrase is Summary as a phrase, for each reader's language: the score, the two
// names, the reasons and the matcher's notes.
func SummaryPhrase(e match.Explanation) forewarn.Phrase {
	args := []forewarn.PhraseArg{forewarn.ScoreArg(e.Score), forewarn.TextArg(e.Query), forewarn.TextArg(e.Candidate)}
	reasons, notes := len(e.Reasons) > 0, len(e.Notes) > 0
	if reasons {
		args = append(args, forewarn.LabelsArg(e.Reasons))
	}
	if notes {
		ps := make([]forewarn.Phrase, len(e.Notes))
		for i, n := range e.Notes {
			ps[i] = NotePhrase(n)
		}
		args = append(args, forewarn.PhrasesArg(ps...))
	}
	code := forewarn.PhraseMatchSummary
	switch {
	case reasons && notes:
		code = forewarn.PhraseMatchSummaryReasonsNotes
	case reasons:
		code = forewarn.PhraseMatchSummaryReasons
	case notes:
		code = forewarn.PhraseMatchSummaryNotes
	}
	return forewarn.Say(code, args...)
}

// The shapes of the matcher's notes (match/explain.go), read back into phrases.
var (
	noteSurnameOnly       = regexp.MustCompile(`^shares only the surname (.+): below the threshold unless birth date, nationality or document agree$`)
	noteSurnameOnlyLifted = regexp.MustCompile(`^shares only the surname (.+), and other attributes agree$`)
	noteTitle             = regexp.MustCompile(`^(query|candidate) title ("(?:[^"\\]|\\.)*") set aside: a title is not a name part$`)
)

// NotePhrase reads one of the matcher's notes as a phrase; a note of another shape stays
// as it is written (PhraseNoteOther).
func NotePhrase(n string) forewarn.Phrase {
	if m := noteSurnameOnly.FindStringSubmatch(n); m != nil {
		return forewarn.Say(forewarn.PhraseNoteSurnameOnly, forewarn.TextArg(m[1]))
	}
	if m := noteSurnameOnlyLifted.FindStringSubmatch(n); m != nil {
		return forewarn.Say(forewarn.PhraseNoteSurnameOnlyLifted, forewarn.TextArg(m[1]))
	}
	if m := noteTitle.FindStringSubmatch(n); m != nil {
		if title, err := strconv.Unquote(m[2]); err == nil {
			if m[1] == "query" {
				return forewarn.Say(forewarn.PhraseNoteQueryTitle, forewarn.TextArg(title))
			}
			return forewarn.Say(forewarn.PhraseNoteCandidateTitle, forewarn.TextArg(title))
		}
	}
	return forewarn.Say(forewarn.PhraseNoteOther, forewarn.TextArg(n))
}

// Load fills the index from the store, every subject and every person in every message
// received, and from then on follows the store's change log (see CatchUp). It reads
// without auditing: the matcher is the node itself, not a person.
func (mt *Matcher) Load(ctx context.Context, store forewarn.Store) error {
	// The head is read first: every change up to it is committed, so the scans below see
	// it, and a change after it is applied again by CatchUp, which is harmless.
	head, err := store.ChangeHead(ctx)
	if err != nil {
		return err
	}
	if err := mt.loadAll(ctx, store); err != nil {
		return err
	}
	mt.feed = store
	mt.seen.Store(head)
	_, err = mt.CatchUp(ctx)
	return err
}

// loadAll indexes every subject and every received message. A node cannot match until
// this is done, so the work is spread over every core: subjects and messages are read
// (and decoded) side by side, while workers prepare the names and insert them.
func (mt *Matcher) loadAll(ctx context.Context, store forewarn.Store) error {
	defer collectLessWhileLoading()()
	type item struct {
		s *forewarn.Subject
		m *forewarn.Message
	}
	items := make(chan item, 1024)
	var workers sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 2) {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for it := range items {
				if it.s != nil {
					mt.addSubject(it.s, 0)
				} else {
					mt.addMessage(it.m, 0)
				}
			}
		}()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	send := func(it item) error {
		select {
		case items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	errs := make(chan error, 2)
	go func() {
		errs <- store.ScanSubjects(ctx, func(s *forewarn.Subject) error { return send(item{s: s}) })
	}()
	go func() {
		errs <- store.ScanReceived(ctx, func(m *forewarn.Message) error { return send(item{m: m}) })
	}()
	var err error
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
			cancel()
		}
	}
	close(items)
	workers.Wait()
	return err
}

// Loading allocates several times what the index keeps (decoded rows, prepared names),
// so while any matcher loads, the garbage collector runs less often: that saves about a
// quarter of the CPU a load takes, for a higher transient peak. The first load to start
// raises the setting (unless GOGC is set higher already) and the last to end restores it.
const loadGCPercent = 400

var loading struct {
	sync.Mutex
	n   int
	old int
}

func collectLessWhileLoading() (restore func()) {
	loading.Lock()
	defer loading.Unlock()
	if loading.n == 0 {
		loading.old = debug.SetGCPercent(loadGCPercent)
		if loading.old < 0 || loading.old > loadGCPercent {
			debug.SetGCPercent(loading.old)
		}
	}
	loading.n++
	return func() {
		loading.Lock()
		defer loading.Unlock()
		if loading.n--; loading.n == 0 {
			debug.SetGCPercent(loading.old)
		}
	}
}

// Seen returns the Seq of the last change the index has applied; 0 for a nil matcher.
func (mt *Matcher) Seen() int64 {
	if mt == nil {
		return 0
	}
	return mt.seen.Load()
}

// changeBatch is how many changes CatchUp reads at a time (the store's most).
const changeBatch = 1000

// CatchUp applies every change committed to the store since the index last looked,
// whoever wrote it: this process, the CLI, an import, or another server on the same
// database. It reads only the changes, never whole tables, so it runs before every match.
// It returns the Seq the index is now current to. Calls made while another catch-up is
// under way wait for it and then share one read of the log: every message arriving
// together would otherwise read it in turn, one query each, to find the same changes.
func (mt *Matcher) CatchUp(ctx context.Context) (int64, error) {
	if mt.feed == nil {
		return 0, nil
	}
	began := mt.reads.Load()
	mt.waiting.Add(1)
	mt.follow.Lock()
	mt.waiting.Add(-1)
	defer mt.follow.Unlock()
	if mt.caughtUp > began {
		// A read that began after this call did has ended: it saw every change committed
		// before this call, and the index has applied them.
		mt.applyArrived()
		return mt.seen.Load(), nil
	}
	read := mt.reads.Add(1)
	for {
		mt.applyArrived()
		cs, err := mt.feed.Changes(ctx, mt.seen.Load(), changeBatch)
		if err != nil {
			return mt.seen.Load(), fmt.Errorf("catch the match index up with the store: %w", err)
		}
		mt.apply(cs)
		if len(cs) > 0 {
			mt.seen.Store(cs[len(cs)-1].Seq)
		}
		if len(cs) < changeBatch {
			mt.applyArrived()
			mt.caughtUp = read
			return mt.seen.Load(), nil
		}
	}
}

// catchUpTo makes the index current at least to change seq. When the arrivals told
// fill every gap before it, as they nearly always do when Arrived could not apply them
// at once (another arrival was applying its own), they are applied without reading the
// log; otherwise it catches up from the log.
func (mt *Matcher) catchUpTo(ctx context.Context, seq int64) error {
	mt.follow.Lock()
	mt.applyArrived()
	current := mt.seen.Load() >= seq
	mt.follow.Unlock()
	if current {
		return nil
	}
	_, err := mt.CatchUp(ctx)
	return err
}

// checksInStore reports whether an arrival may be matched without catching up first,
// because store checks in the transaction that stores it that nothing the index has not
// applied was committed before it (forewarn.MatchChecker). Only an index that follows
// the store can be checked so.
func (mt *Matcher) checksInStore(store forewarn.Store) bool {
	if mt == nil || mt.feed == nil {
		return false
	}
	c, ok := store.(forewarn.MatchChecker)
	return ok && c.ChecksMatchedThrough()
}

// settle applies the arrivals told (Arrived) that wait only for a catch-up under way to
// end, so that a match that does not read the log sees every arrival this process was
// told of before it began. Those that still wait, for an earlier change (another
// writer's, an arrival of this process told later, or on PostgreSQL a Seq a rolled-back
// transaction left unused), are read from the log: the store's check lets an arrival
// told pass as one the index has (arrivalChange), so it must be in the index before
// the match.
func (mt *Matcher) settle(ctx context.Context) error {
	mt.arrivedMu.Lock()
	waiting := len(mt.arrived)
	mt.arrivedMu.Unlock()
	if waiting == 0 {
		return nil
	}
	mt.follow.Lock()
	mt.applyArrived()
	mt.arrivedMu.Lock()
	waiting = len(mt.arrived)
	mt.arrivedMu.Unlock()
	mt.follow.Unlock()
	if waiting == 0 {
		return nil
	}
	_, err := mt.CatchUp(ctx)
	return err
}

// maxArrived bounds the arrivals held waiting for an earlier change; past it they are
// dropped, and the log gives them to the next CatchUp.
const maxArrived = 4096

// Arrived tells the index that this process committed m, received, as change seq. When
// every change before it is applied, m is applied from memory, without reading the log;
// otherwise it waits for the changes before it (another writer's), which the next CatchUp
// reads. Arrived never waits for a CatchUp under way (that one applies m when it ends).
// It reports whether the index is now current to seq, and so whether any subject changed
// before m can be told from subjectSeq without reading the log.
func (mt *Matcher) Arrived(seq int64, m *forewarn.Message) bool {
	return mt.arrivedPrepared(seq, m, nil)
}

// arrivedPrepared is Arrived for a message whose persons were prepared to match it
// (preparePersons), so that indexing it does not prepare them again.
func (mt *Matcher) arrivedPrepared(seq int64, m *forewarn.Message, pqs []match.PreparedPerson) bool {
	if mt == nil || mt.feed == nil || seq <= 0 {
		return false
	}
	if seq > mt.seen.Load() {
		mt.arrivedMu.Lock()
		if mt.arrived == nil {
			mt.arrived = map[int64]arrival{}
		}
		if len(mt.arrived) < maxArrived {
			mt.arrived[seq] = arrival{m, pqs}
		}
		mt.arrivedMu.Unlock()
		if mt.follow.TryLock() {
			mt.applyArrived()
			mt.follow.Unlock()
		}
	}
	return mt.seen.Load() >= seq
}

// applyArrived applies the arrivals that follow the last change applied without a gap,
// and forgets those the log gave already. The caller holds follow.
func (mt *Matcher) applyArrived() {
	mt.arrivedMu.Lock()
	defer mt.arrivedMu.Unlock()
	if len(mt.arrived) == 0 {
		return
	}
	seen := mt.seen.Load()
	for seq := range mt.arrived {
		if seq <= seen {
			delete(mt.arrived, seq)
		}
	}
	for {
		a, ok := mt.arrived[seen+1]
		if !ok {
			break
		}
		seen++
		delete(mt.arrived, seen)
		mt.addMessagePrepared(a.m, seen, a.prepared)
		mt.seen.Store(seen)
	}
}

// apply brings the index up to a batch of changes. Each change carries its object as it
// is now, so only the last change to an object in the batch matters.
func (mt *Matcher) apply(cs []forewarn.Change) {
	last := make(map[string]int, len(cs))
	for i, c := range cs {
		last[string(c.Kind)+":"+c.ID] = i
	}
	for i, c := range cs {
		if last[string(c.Kind)+":"+c.ID] != i {
			continue
		}
		switch c.Kind {
		case forewarn.ChangeSubject:
			mt.subjectSeq.Store(c.Seq)
			if c.Subject != nil {
				mt.addSubject(c.Subject, c.Seq)
			} else {
				mt.removeSubject(c.ID)
			}
		case forewarn.ChangeMessage:
			if c.Message != nil {
				mt.addMessage(c.Message, c.Seq)
			} else {
				mt.removeMessage(c.ID)
			}
		}
	}
}

// Follow catches the index up every interval until ctx ends, so that it stays current
// between matches too. A failure is logged once, and its end once.
func (mt *Matcher) Follow(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := mt.CatchUp(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			log.Error("the match index cannot follow the store; every match will retry", "err", err)
		case err == nil && failing:
			log.Info("the match index follows the store again", "seq", mt.seen.Load())
		}
		failing = err != nil
	}
}

// AddMessage indexes the persons a received message describes.
func (mt *Matcher) AddMessage(m *forewarn.Message) { mt.addMessage(m, 0) }

func (mt *Matcher) addMessage(m *forewarn.Message, seq int64) {
	mt.addMessagePrepared(m, seq, nil)
}

// addMessagePrepared indexes m's persons, taking those pqs holds prepared already.
func (mt *Matcher) addMessagePrepared(m *forewarn.Message, seq int64, pqs []match.PreparedPerson) {
	ps := m.Persons()
	keys := make([]string, len(ps))
	for i := range ps {
		keys[i] = personKey(m.ID, ps[i].Ref)
	}
	mt.mu.Lock()
	old := mt.messages[m.ID]
	mt.messages[m.ID] = messageInfo{kind: m.Kind, from: m.From, created: m.Created, keys: keys, seq: seq}
	mt.noteRecent(seq, false, m.ID)
	mt.mu.Unlock()
	for _, k := range old.keys {
		if !slices.Contains(keys, k) {
			_ = mt.Index.Remove(k)
		}
	}
	for i := range ps {
		mt.Index.UpdatePrepared(keys[i], preparedPerson(pqs, i, &ps[i]))
	}
}

func (mt *Matcher) removeMessage(id string) {
	mt.mu.Lock()
	old, ok := mt.messages[id]
	delete(mt.messages, id)
	mt.mu.Unlock()
	if ok {
		for _, k := range old.keys {
			_ = mt.Index.Remove(k)
		}
	}
}

// AddSubject indexes (or re-indexes) a subject.
func (mt *Matcher) AddSubject(s *forewarn.Subject) { mt.addSubject(s, 0) }

func (mt *Matcher) addSubject(s *forewarn.Subject, seq int64) {
	mt.mu.Lock()
	mt.subjects[s.ID] = subjectInfo{name: s.PrimaryName(), watchlisted: s.Watch == forewarn.WatchListed, seq: seq}
	mt.noteRecent(seq, true, s.ID)
	mt.mu.Unlock()
	mt.Index.Update(match.Entry{ID: subjectKey(s.ID), Person: subjectPerson(s)})
}

func (mt *Matcher) removeSubject(id string) {
	mt.mu.Lock()
	delete(mt.subjects, id)
	mt.mu.Unlock()
	_ = mt.Index.Remove(subjectKey(id))
}

// hit is one candidate above the threshold, resolved to what it is.
type hit struct {
	subjectID        string
	earlierMessageID string
	earlierRef       string
	score            float64
	explanation      match.Explanation
}

// search returns the hits at or above the threshold for one person.
func (mt *Matcher) search(p match.Person, k int) []hit {
	pq := match.PreparePerson(p)
	return mt.searchPrepared(&pq, k)
}

// searchPrepared is search for a person prepared with match.PreparePerson.
func (mt *Matcher) searchPrepared(pq *match.PreparedPerson, k int) []hit {
	if mt.Threshold >= match.DefaultThreshold {
		// The same hits as the k best filtered, since candidates above the default
		// threshold rank first, by score; those below are never explained, and an
		// arrival about no one known is most of what a node matches.
		return mt.hits(mt.Index.SearchPreparedAbove(pq, k, mt.Threshold))
	}
	return mt.hits(mt.Index.SearchPrepared(pq, k))
}

// searchAmong returns the hits at or above the threshold for one person among the
// index entries ids, at most k of them, the best, scored as search scores them.
func (mt *Matcher) searchAmong(pq *match.PreparedPerson, ids []string, k int) []hit {
	hs := mt.Index.SearchAmong(pq, ids, mt.Threshold)
	return mt.hits(hs[:min(len(hs), k)])
}

// hits resolves the index's hits at or above the threshold to what each is.
func (mt *Matcher) hits(hs []match.Hit) []hit {
	var out []hit
	for _, h := range hs {
		if h.Score < mt.Threshold {
			continue
		}
		x := hit{score: h.Score, explanation: h.Explanation}
		if id, ok := strings.CutPrefix(h.ID, subjectPrefix); ok {
			x.subjectID = id
		} else if mid, ref, ok := parsePersonKey(h.ID); ok {
			x.earlierMessageID, x.earlierRef = mid, ref
		} else {
			continue
		}
		out = append(out, x)
	}
	return out
}

func (h hit) toMatch(messageID string, d *forewarn.PersonDescriptor) *forewarn.Match {
	raw, _ := json.Marshal(h.explanation)
	return &forewarn.Match{
		MessageID: messageID, PersonRef: d.Ref, Fingerprint: Fingerprint(d),
		SubjectID: h.subjectID, EarlierMessageID: h.earlierMessageID, EarlierPersonRef: h.earlierRef,
		Score: h.score, Summary: Summary(h.explanation), Explanation: raw, Status: forewarn.MatchPending,
	}
}
