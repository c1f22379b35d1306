package app_test

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// TestMatcherFollowsStore: the match index is a cache of the store. Whatever another
// handle on the same database writes (subjects created, updated, deleted; messages
// received and removed) is in the index at the next search, and nothing else is.
func TestMatcherFollowsStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forewarn.db")
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	open := func() *sqlstore.DB {
		db, err := sqlite.Open(path, sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	n := app.New(open(), clock, signer, nil)
	if _, err := n.Initialize(ctx, storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := n.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
	other := open() // as another process would: the node's matcher is not told
	find := func(name string) []app.SearchResult {
		t.Helper()
		rs, err := n.Search(ctx, analyst, match.Person{Names: []string{name}}, 5, 0.8)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	wantFound := func(name, kind string, found bool) {
		t.Helper()
		rs := find(name)
		got := false
		for _, r := range rs {
			got = got || r.Kind == kind
		}
		if got != found {
			t.Errorf("search for %q finds a %s: %v, want %v (%+v)", name, kind, got, found, rs)
		}
	}

	s := storetest.NewSubject("Ismaël Omar Mostefaï")
	if err := other.CreateSubject(ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	wantFound("Ismael Omar Mostefai", "subject", true)

	s.Names = []forewarn.Name{{Value: "Abdelhamid Abaaoud", Kind: forewarn.NamePrimary}}
	if err := other.UpdateSubject(ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	wantFound("Abdelhamid Abaaoud", "subject", true)
	wantFound("Ismael Omar Mostefai", "subject", false)

	e := &storetest.Env{T: t, Ctx: ctx, Store: other, Clock: clock, Signer: signer}
	e.AddPeers()
	in := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	wantFound("Omar Ismail Mostefai", "person", true)

	raw, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{"DELETE FROM subjects WHERE id = ?", "DELETE FROM deliveries WHERE message_id = ?",
		"DELETE FROM message_recipients WHERE message_id = ?", "DELETE FROM messages WHERE id = ?"} {
		id := in.Message.ID
		if q == "DELETE FROM subjects WHERE id = ?" {
			id = s.ID
		}
		if _, err := raw.Exec(q, id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wantFound("Abdelhamid Abaaoud", "subject", false)
	wantFound("Omar Ismail Mostefai", "person", false)
	if got := n.Matcher.Index.Len(); got != 0 {
		t.Errorf("the index holds %d entries after everything was deleted, want 0", got)
	}
}

// sqliteFile returns a clock, a signer, and open, which opens a store on one new SQLite
// file each time it is called, as another process would; each is closed at cleanup.
func sqliteFile(t *testing.T) (*storetest.Clock, *storetest.Signer, func() *sqlstore.DB) {
	path := filepath.Join(t.TempDir(), "forewarn.db")
	clock, signer := storetest.NewClock(storetest.Start), storetest.NewSigner()
	return clock, signer, func() *sqlstore.DB {
		db, err := sqlite.Open(path, sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

// initWithPeer initialises n, adds FR as its peer, with peerKey's key when there is one,
// and loads its match index.
func initWithPeer(t *testing.T, n *app.Node, peerKey *storetest.Signer) {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Initialize(ctx, storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	peer := storetest.NewPeer(storetest.PeerFR)
	if peerKey != nil {
		peer.PublicKey = peerKey.PublicKey()
	}
	if err := n.Store.AddPeer(ctx, forewarn.SystemActor("init"), peer); err != nil {
		t.Fatal(err)
	}
	if err := n.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
}

// arrivalsNode opens a node on a SQLite file, initialised with its match index loaded and
// the store's test peers added, and returns it with the store's test environment and the
// file's store. wrap, when set, gives the store the node uses over the file's.
func arrivalsNode(t *testing.T, wrap func(*sqlstore.DB) forewarn.Store) (*app.Node, *storetest.Env, *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	db := open()
	var store forewarn.Store = db
	if wrap != nil {
		store = wrap(db)
	}
	n := app.New(store, clock, signer, nil)
	if _, err := n.Initialize(ctx, storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := n.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
	e := &storetest.Env{T: t, Ctx: ctx, Store: db, Clock: clock, Signer: signer}
	e.AddPeers()
	return n, e, db
}

// storeWithMeanwhile runs meanwhile just before a message is stored: a write by another
// process landing between the matching of an arriving message and its storing; and
// after, when set, just after it is stored, before the late match.
type storeWithMeanwhile struct {
	forewarn.Store
	meanwhile func()
	after     func()
}

func (s storeWithMeanwhile) ReceiveMessage(ctx context.Context, actor forewarn.Actor, sm *forewarn.StoredMessage, receipt []byte) ([]byte, bool, error) {
	s.meanwhile()
	out, dup, err := s.Store.ReceiveMessage(ctx, actor, sm, receipt)
	if s.after != nil {
		s.after()
	}
	return out, dup, err
}

// subjectWrittenMeanwhile returns a node with a peer, its store wrapped to write subject
// from another process just before the first arrival is stored (the node's Store is
// left unwrapped, for the caller to set), and a warning from the peer sealed.
func subjectWrittenMeanwhile(t *testing.T, subject *forewarn.Subject) (*app.Node, *sqlstore.DB, storeWithMeanwhile, *forewarn.Message, []byte) {
	t.Helper()
	clock, signer, open := sqliteFile(t)
	db := open()
	n := app.New(db, clock, signer, nil)
	peerKey := storetest.NewSigner()
	initWithPeer(t, n, peerKey)
	other := open()
	wrapped := storeWithMeanwhile{Store: db, meanwhile: func() {
		if subject.ID == "" {
			if err := other.CreateSubject(context.Background(), analyst, subject); err != nil {
				t.Error(err)
			}
		}
	}}
	m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now())
	data, err := envelope.Seal(m, peerKey)
	if err != nil {
		t.Fatal(err)
	}
	return n, db, wrapped, m, data
}

// TestArrivalMatchesSubjectWrittenMeanwhile: a subject committed by another process after
// an arriving warning was matched, but before it was stored, is matched with it all the
// same. Neither side would see the pair otherwise: the warning was matched before the
// subject existed, and the subject's writer looked back at messages stored before it.
func TestArrivalMatchesSubjectWrittenMeanwhile(t *testing.T) {
	ctx := context.Background()
	subject := storetest.NewSubject("Ismaël Omar Mostefaï")
	subject.Watch = forewarn.WatchListed
	n, db, wrapped, m, data := subjectWrittenMeanwhile(t, subject)
	n.Store = wrapped
	ms := app.NewMessages(n, nil)
	if _, err := ms.Receive(ctx, data, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ms.WaitLate() // the late match runs once the warning is answered
	if subject.ID == "" {
		t.Fatal("the subject was not written while the message arrived")
	}
	matches, _, err := db.Matches(ctx, forewarn.MatchFilter{SubjectID: subject.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].MessageID != m.ID {
		t.Fatalf("matches of the subject written meanwhile = %+v, want one, with the warning %s", matches, m.ID)
	}
	alerts, err := db.Alerts(ctx, forewarn.RoleLiaison, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].SubjectID != subject.ID || alerts[0].MessageID != m.ID {
		t.Fatalf("liaison alerts = %+v, want one about the warning and the subject", alerts)
	}
}

// storeHoldingLateMatches holds each CreateMatches until release is closed, saying on
// entered that one is waiting.
type storeHoldingLateMatches struct {
	storeWithMeanwhile
	entered chan struct{}
	release chan struct{}
}

func (s storeHoldingLateMatches) CreateMatches(ctx context.Context, actor forewarn.Actor, ms []*forewarn.Match, alerts []*forewarn.Alert) error {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.CreateMatches(ctx, actor, ms, alerts)
}

// TestLateMatchAfterTheAnswer: an arrival is answered (its receipt given) once it is
// stored, without waiting for its late match to be written, which only concerns this node;
// the late match is written all the same, and WaitLate, as a stopping node calls it,
// returns only once it is.
func TestLateMatchAfterTheAnswer(t *testing.T) {
	ctx := context.Background()
	subject := storetest.NewSubject("Ismaël Omar Mostefaï")
	n, db, wrapped, m, data := subjectWrittenMeanwhile(t, subject)
	held := storeHoldingLateMatches{storeWithMeanwhile: wrapped, entered: make(chan struct{}, 1), release: make(chan struct{})}
	n.Store = held
	ms := app.NewMessages(n, nil)
	received := make(chan error, 1)
	go func() {
		_, err := ms.Receive(ctx, data, "127.0.0.1")
		received <- err
	}()
	<-held.entered
	// A guard against a receipt that waits for the late match, which never comes here
	// until released: not a measure of time.
	select {
	case err := <-received:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		close(held.release)
		t.Fatal("the warning was not answered while its late match was being written")
	}
	waited := make(chan struct{})
	go func() { ms.WaitLate(); close(waited) }()
	matches, _, err := db.Matches(ctx, forewarn.MatchFilter{SubjectID: subject.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-waited:
		t.Error("WaitLate returned while a late match was still being written")
	default:
	}
	if len(matches) != 0 {
		t.Errorf("matches before the late match is written = %+v, want none", matches)
	}
	close(held.release)
	<-waited
	if matches, _, err = db.Matches(ctx, forewarn.MatchFilter{SubjectID: subject.ID, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].MessageID != m.ID {
		t.Fatalf("matches of the subject written meanwhile, once WaitLate returned = %+v, want one, with the warning %s", matches, m.ID)
	}
}

// TestArrivalMatchesMessageStoredMeanwhile: a warning about the same man, arriving in
// this process and stored after another warning was matched but before that one was
// stored, is linked to it all the same ("told before"). The store's check lets the
// first pass (an arrival told to the index), the second was matched before the first
// existed, and without the late match neither side would find the pair.
func TestArrivalMatchesMessageStoredMeanwhile(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	db := open()
	n := app.New(db, clock, signer, nil)
	peerKey := storetest.NewSigner()
	initWithPeer(t, n, peerKey)
	seal := func() (*forewarn.Message, []byte) {
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now())
		data, err := envelope.Seal(m, peerKey)
		if err != nil {
			t.Fatal(err)
		}
		return m, data
	}
	first, firstData := seal()
	clock.Advance(time.Minute)
	second, secondData := seal()
	other := app.NewMessages(n, nil)
	stored := false
	n.Store = storeWithMeanwhile{Store: db, meanwhile: func() {
		if !stored {
			stored = true
			if _, err := other.Receive(ctx, secondData, "127.0.0.1"); err != nil {
				t.Error(err)
			}
		}
	}}
	ms := app.NewMessages(n, nil)
	if _, err := ms.Receive(ctx, firstData, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ms.WaitLate()
	other.WaitLate()
	if !stored {
		t.Fatal("the second warning was not received while the first was stored")
	}
	var links []*forewarn.Match
	for _, id := range []string{first.ID, second.ID} {
		ms, _, err := db.Matches(ctx, forewarn.MatchFilter{MessageID: id, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ms {
			if x.EarlierMessageID != "" {
				links = append(links, x)
			}
		}
	}
	if len(links) != 1 || links[0].MessageID != first.ID || links[0].EarlierMessageID != second.ID {
		t.Fatalf("links between the two warnings = %+v, want one, from the first (stored last) to the second", links)
	}
	alerts, err := db.Alerts(ctx, forewarn.RoleAnalyst, 10)
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, a := range alerts {
		if a.MessageID == first.ID && a.Phrase.Code == forewarn.PhraseAlertToldBefore {
			told++
		}
	}
	if told != 1 {
		t.Errorf("analyst alerts = %+v, want one 'told before' about the first warning", alerts)
	}
}

// TestLateMatchFindsEachWindowItemOnce: an arrival is linked once to every subject and
// every person of a received message whose latest change falls between its match and
// its own change, and to nothing else: not to one changed twice in the window twice, not
// again to one its match found and that changed since, not to one whose latest change
// no longer describes the man, and not to one written or changed again after it (its
// writer's to find).
// The late match finds the same whether it compares the arrival with the window alone
// or, when the changes since its match are no longer kept, searches the whole index.
func TestLateMatchFindsEachWindowItemOnce(t *testing.T) {
	for _, forget := range []bool{false, true} {
		name := "window"
		if forget {
			name = "search"
		}
		t.Run(name, func(t *testing.T) { testLateMatchWindow(t, forget) })
	}
}

func testLateMatchWindow(t *testing.T, forget bool) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	db := open()
	n := app.New(db, clock, signer, nil)
	peerKey := storetest.NewSigner()
	initWithPeer(t, n, peerKey)
	other := open()
	seal := func(persons ...forewarn.PersonDescriptor) (*forewarn.Message, []byte) {
		clock.Advance(time.Second)
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now())
		m.Notification.Persons = append(m.Notification.Persons, persons...)
		data, err := envelope.Seal(m, peerKey)
		if err != nil {
			t.Fatal(err)
		}
		return m, data
	}
	named := func(s *forewarn.Subject, names ...string) *forewarn.Subject {
		s.Names = nil
		for _, v := range names {
			s.Names = append(s.Names, forewarn.Name{Value: v, Script: "Latn", Lang: "fr", Source: "FR-DGSI"})
		}
		return s
	}
	create := func(name string) *forewarn.Subject {
		s := named(storetest.NewSubject(name), name)
		if err := other.CreateSubject(ctx, analyst, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	rename := func(s *forewarn.Subject, names ...string) {
		if err := other.UpdateSubject(ctx, analyst, named(s, names...)); err != nil {
			t.Fatal(err)
		}
	}
	// Known before the arrival is matched: found by its match, then changed meanwhile.
	known := create("Ismaël Omar Mostefaï")
	if _, err := n.Matcher.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	m, data := seal()
	w1, w1Data := seal(forewarn.PersonDescriptor{Ref: "p2", Names: []forewarn.Name{{Value: "Ismael Mostefai", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}},
		forewarn.PersonDescriptor{Ref: "p3", Names: []forewarn.Name{{Value: "Anna Petrova", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1962}})
	w2, w2Data := seal()
	ms := app.NewMessages(n, nil)
	var twice, gone, moved, later *forewarn.Subject
	// arriving is set while the arrival is received, meanwhile while the warnings
	// received meanwhile are.
	arriving, meanwhile := false, false
	n.Store = storeWithMeanwhile{Store: db, meanwhile: func() {
		if !arriving || meanwhile || twice != nil {
			return
		}
		meanwhile = true
		defer func() { meanwhile = false }()
		twice = create("Ismaël Omar Mostefaï")
		rename(twice, "Omar Ismaël Mostefaï")
		gone = create("Ismaël Omar Mostefaï")
		rename(gone, "Anna Petrova")
		create("Anna Petrova")
		moved = create("Ismaël Omar Mostefaï")
		rename(known, "Ismaël Omar Mostefaï", "O. I. Mostefai")
		for _, data := range [][]byte{w1Data, w2Data} {
			if _, err := ms.Receive(ctx, data, "127.0.0.1"); err != nil {
				t.Error(err)
			}
		}
	}, after: func() {
		if !arriving || meanwhile || later != nil {
			return
		}
		// Committed after the arrival, and applied before its late match.
		later = create("Ismaël Omar Mostefaï")
		rename(moved, "Omar Mostefai")
		if _, err := n.Matcher.CatchUp(ctx); err != nil {
			t.Error(err)
		}
		if forget {
			n.Matcher.ForgetRecent()
		}
	}}
	arriving = true
	if _, err := ms.Receive(ctx, data, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ms.WaitLate()
	if twice == nil || later == nil {
		t.Fatal("the meanwhile writes did not happen around the arrival")
	}
	matches, _, err := db.Matches(ctx, forewarn.MatchFilter{MessageID: m.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, x := range matches {
		got[x.SubjectID+x.EarlierMessageID+"/"+x.EarlierPersonRef]++
	}
	want := map[string]int{known.ID + "/": 1, twice.ID + "/": 1, w1.ID + "/p1": 1, w1.ID + "/p2": 1, w2.ID + "/p1": 1}
	if !maps.Equal(got, want) {
		t.Errorf("links of the arrival = %v, want each of %v once (gone %s, moved %s, later %s)", got, want, gone.ID, moved.ID, later.ID)
	}
	alerts, err := db.Alerts(ctx, forewarn.RoleAnalyst, 100)
	if err != nil {
		t.Fatal(err)
	}
	told, holds := 0, map[string]int{}
	for _, a := range alerts {
		switch {
		case a.MessageID != m.ID:
		case a.Phrase.Code == forewarn.PhraseAlertToldBefore:
			told++
			if earlier := strings.Count(a.Text, "FR-DGSI") + strings.Count(a.Text, storetest.PeerFR); earlier < 3 {
				t.Errorf("'told before' alert %q names %d earlier messages, want 3", a.Text, earlier)
			}
		case a.SubjectID != "":
			holds[a.SubjectID]++
		}
	}
	if told != 1 || !maps.Equal(holds, map[string]int{known.ID: 1, twice.ID: 1}) {
		t.Errorf("analyst alerts about the arrival: %d 'told before', %v about subjects; want 1 and one about each of %s and %s", told, holds, known.ID, twice.ID)
	}
}

// TestMatcherTakesArrivalsInOrder: an arrival this process committed is applied from
// memory once every change before it is, in Seq order whatever order they are told in; a
// change another process wrote in between is read from the log, never skipped.
func TestMatcherTakesArrivalsInOrder(t *testing.T) {
	ctx := context.Background()
	n, e, db := arrivalsNode(t, nil)
	clock, mt := e.Clock, n.Matcher
	// Stored without telling the index, as the group commit's waiters might be told late.
	first := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	second := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	if first.ChangeSeq == 0 || second.ChangeSeq != first.ChangeSeq+1 {
		t.Fatalf("ChangeSeq %d then %d, want two consecutive changes", first.ChangeSeq, second.ChangeSeq)
	}
	before := mt.Seen()
	if mt.Arrived(second.ChangeSeq, second.Message) || mt.Seen() != before {
		t.Fatalf("the second arrival was applied before the first (seen %d)", mt.Seen())
	}
	if !mt.Arrived(first.ChangeSeq, first.Message) || mt.Seen() != second.ChangeSeq || mt.Index.Len() != 2 {
		t.Fatalf("after both arrivals: seen %d, %d entries; want %d and both persons", mt.Seen(), mt.Index.Len(), second.ChangeSeq)
	}
	// A subject written in between by another writer leaves a gap only the log fills.
	if err := db.CreateSubject(ctx, analyst, storetest.NewSubject("Abdelhamid Abaaoud")); err != nil {
		t.Fatal(err)
	}
	third := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	if mt.Arrived(third.ChangeSeq, third.Message) {
		t.Fatal("an arrival after a change the index has not seen was taken as current")
	}
	if seq, err := mt.CatchUp(ctx); err != nil || seq != third.ChangeSeq || mt.Index.Len() != 4 {
		t.Errorf("CatchUp = %d, %v with %d entries; want %d with the subject and three persons", seq, err, mt.Index.Len(), third.ChangeSeq)
	}
}

// TestCatchUpToTakesToldArrivals: when arrivals were told while another held the index
// (so Arrived could not apply them), catching up to one of them applies them from memory
// without reading the change log; when a change no one told is missing before it, the
// log is read.
func TestCatchUpToTakesToldArrivals(t *testing.T) {
	ctx := context.Background()
	var feed *countedFeed
	n, e, db := arrivalsNode(t, func(db *sqlstore.DB) forewarn.Store { feed = &countedFeed{DB: db}; return feed })
	clock, mt := e.Clock, n.Matcher
	first := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	second := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	before := mt.Seen()
	release := mt.HoldFollow()
	if mt.Arrived(first.ChangeSeq, first.Message) || mt.Arrived(second.ChangeSeq, second.Message) {
		t.Fatal("arrivals were applied while another held the index")
	}
	release()
	if mt.Seen() != before {
		t.Fatalf("seen moved from %d to %d with nothing applied", before, mt.Seen())
	}
	reads := feed.reads.Load()
	if err := mt.CatchUpTo(ctx, second.ChangeSeq); err != nil {
		t.Fatal(err)
	}
	if got := feed.reads.Load() - reads; got != 0 || mt.Seen() != second.ChangeSeq || mt.Index.Len() != 2 {
		t.Errorf("catching up to told arrivals: %d log reads, seen %d, %d entries; want none, %d and both persons", got, mt.Seen(), mt.Index.Len(), second.ChangeSeq)
	}
	// A subject written by another writer leaves a gap only the log fills.
	if err := db.CreateSubject(ctx, analyst, storetest.NewSubject("Abdelhamid Abaaoud")); err != nil {
		t.Fatal(err)
	}
	third := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	if mt.Arrived(third.ChangeSeq, third.Message) {
		t.Fatal("an arrival after a change the index has not seen was taken as current")
	}
	reads = feed.reads.Load()
	if err := mt.CatchUpTo(ctx, third.ChangeSeq); err != nil {
		t.Fatal(err)
	}
	if feed.reads.Load() == reads || mt.Seen() != third.ChangeSeq || mt.Index.Len() != 4 {
		t.Errorf("catching up past another writer's change: seen %d, %d entries, log read %v; want %d, the subject and three persons, read", mt.Seen(), mt.Index.Len(), feed.reads.Load() != reads, third.ChangeSeq)
	}
}

// gatedFeed is a store whose reads of the change log are counted and, once armed, the
// first is held after it has read, until hold is closed.
type gatedFeed struct {
	forewarn.Store
	armed   atomic.Bool
	reads   atomic.Int32
	entered chan struct{}
	hold    chan struct{}
}

func (g *gatedFeed) Changes(ctx context.Context, after int64, limit int) ([]forewarn.Change, error) {
	g.reads.Add(1)
	cs, err := g.Store.Changes(ctx, after, limit)
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.hold
	}
	return cs, err
}

// TestCatchUpsShareARead: arrivals that catch the index up while another catch-up reads
// the log wait for it and then share one read, which begins after all of them did, so
// each still sees every change committed before it asked.
func TestCatchUpsShareARead(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := app.New(db, clock, signer, nil).Initialize(ctx, storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	feed := &gatedFeed{Store: db, entered: make(chan struct{}), hold: make(chan struct{})}
	mt := app.NewMatcher()
	if err := mt.Load(ctx, feed); err != nil {
		t.Fatal(err)
	}
	feed.reads.Store(0)
	feed.armed.Store(true)
	first := make(chan error, 1)
	go func() { _, err := mt.CatchUp(ctx); first <- err }()
	<-feed.entered // the first catch-up has read the log, and holds
	// Committed after that read: the calls made from now on must see them.
	for _, name := range []string{"Abdelhamid Abaaoud", "Salah Abdeslam"} {
		if err := db.CreateSubject(ctx, analyst, storetest.NewSubject(name)); err != nil {
			t.Fatal(err)
		}
	}
	const calls = 8
	errs := make(chan error, calls)
	for range calls {
		go func() { _, err := mt.CatchUp(ctx); errs <- err }()
	}
	for start := time.Now(); mt.WaitingToCatchUp() < calls; time.Sleep(time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("%d of %d catch-ups waiting", mt.WaitingToCatchUp(), calls)
		}
	}
	close(feed.hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := feed.reads.Load(); got != 2 {
		t.Errorf("%d catch-ups read the log %d times, want 2: the first, and one shared by those that waited for it", calls+1, got)
	}
	if mt.Index.Len() != 2 {
		t.Errorf("the index holds %d entries after catching up, want the 2 subjects written before the calls", mt.Index.Len())
	}
}

// countedFeed is a SQLite store whose reads of the change log are counted; it checks
// what arrivals were matched through, as the store it wraps does.
type countedFeed struct {
	*sqlstore.DB
	reads atomic.Int32
}

func (c *countedFeed) Changes(ctx context.Context, after int64, limit int) ([]forewarn.Change, error) {
	c.reads.Add(1)
	return c.DB.Changes(ctx, after, limit)
}

// TestArrivalSeesOtherWriterWithoutReadingLog: an arrival is matched without reading the
// change log when nothing but this process's own arrivals was committed since the index
// last looked; when another process wrote a subject meanwhile, unseen by the index, the
// store refuses to store the arrival as matched, and it is matched again after the index
// catches up: it holds the watch-listed person, as it would had the log been read first.
func TestArrivalSeesOtherWriterWithoutReadingLog(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	db := &countedFeed{DB: open()}
	n := app.New(db, clock, signer, nil)
	peerKey := storetest.NewSigner()
	initWithPeer(t, n, peerKey)
	ms := app.NewMessages(n, nil)
	receive := func() *forewarn.StoredMessage {
		t.Helper()
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now())
		data, err := envelope.Seal(m, peerKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ms.Receive(ctx, data, "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		sm, err := db.MessageFrom(ctx, storetest.PeerFR, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	reads := db.reads.Load()
	first := receive()
	if got := db.reads.Load() - reads; got != 0 {
		t.Errorf("an arrival with nothing new in the log read it %d times", got)
	}
	if first.HoldsPerson {
		t.Fatal("the first arrival holds a person before any subject exists")
	}

	subject := storetest.NewSubject("Ismaël Omar Mostefaï")
	subject.Watch = forewarn.WatchListed
	if err := open().CreateSubject(ctx, analyst, subject); err != nil {
		t.Fatal(err)
	}
	reads = db.reads.Load()
	second := receive()
	if db.reads.Load() == reads {
		t.Error("an arrival after another process wrote a subject never read the change log")
	}
	if !second.HoldsPerson || second.Priority == second.Message.DeclaredPriority() {
		t.Errorf("the arrival after the subject was written holds the person %v at priority %s, want held and raised", second.HoldsPerson, second.Priority)
	}
	matches, _, err := db.Matches(ctx, forewarn.MatchFilter{SubjectID: subject.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 || matches[0].MessageID != second.Message.ID {
		t.Fatalf("matches of the subject = %+v, want one, with %s", matches, second.Message.ID)
	}
}

// TestSentMessageLinksOtherWritersSubject: a message this node sends about one of its
// subjects is linked to it, also when another process wrote the subject and the index has
// not read the change log since; when nothing but arrivals changed, linking reads no log.
func TestSentMessageLinksOtherWritersSubject(t *testing.T) {
	ctx := context.Background()
	clock, signer, open := sqliteFile(t)
	db := &countedFeed{DB: open()}
	n := app.New(db, clock, signer, nil)
	initWithPeer(t, n, nil)
	ms := app.NewMessages(n, nil)
	send := func() *forewarn.StoredMessage {
		t.Helper()
		m := storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, clock.Now())
		m.ID, m.From, m.Created = "", "", time.Time{}
		sm, err := ms.Send(ctx, forewarn.UserActor("desk"), m)
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	reads := db.reads.Load()
	first := send()
	if len(first.Matches) != 0 {
		t.Fatalf("a message sent before any subject exists is linked to %+v", first.Matches)
	}
	// Stored as encoded for its envelope: the audit names the digest of its encoding.
	var sent *forewarn.AuditEntry
	if err := db.ScanAudit(ctx, func(a *forewarn.AuditEntry) error {
		if a.Action == "message.send" && a.ObjectID == first.Message.ID {
			sent = a
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sent == nil || sent.After != forewarn.Digest(first.Message) {
		t.Errorf("the send's audit entry %+v, want the digest %s", sent, forewarn.Digest(first.Message))
	}
	if got := db.reads.Load() - reads; got != 0 {
		t.Errorf("a send with nothing new in the log read it %d times", got)
	}
	subject := storetest.NewSubject("Ismaël Omar Mostefaï")
	if err := open().CreateSubject(ctx, analyst, subject); err != nil {
		t.Fatal(err)
	}
	sm := send()
	if len(sm.Matches) != 1 || sm.Matches[0].SubjectID != subject.ID || sm.Matches[0].Status != forewarn.MatchConfirmed {
		t.Fatalf("the message sent after another process wrote the subject is linked to %+v, want the subject %s, confirmed", sm.Matches, subject.ID)
	}
}

// TestSettleReadsWhatToldArrivalsWaitFor: an arrival told (Arrived) but waiting for an
// earlier change the index has not applied is read from the log before a match that does
// not read it: the store's check lets a told arrival pass as one the index holds, so a
// match made without it would never find the pair. On PostgreSQL an arrival waits so
// behind an arrival of this process told later (each is told by its own caller after
// commit) or behind a Seq a rolled-back transaction left unused; here the earlier change
// is an arrival stored without telling the index.
func TestSettleReadsWhatToldArrivalsWaitFor(t *testing.T) {
	ctx := context.Background()
	n, e, _ := arrivalsNode(t, nil)
	clock, mt := e.Clock, n.Matcher
	first := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	second := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	if mt.Arrived(second.ChangeSeq, second.Message) {
		t.Fatal("the second arrival was applied before the first")
	}
	if err := mt.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if mt.Seen() != second.ChangeSeq || mt.Index.Len() != 2 {
		t.Errorf("after settling: seen %d with %d entries; want %d with both arrivals' persons (%d was waiting for %d)",
			mt.Seen(), mt.Index.Len(), second.ChangeSeq, second.ChangeSeq, first.ChangeSeq)
	}
}
