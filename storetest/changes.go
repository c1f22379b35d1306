package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// changesAfter reads every change after seq, in the store's batches.
func changesAfter(t *testing.T, e *Env, seq int64, batch int) []forewarn.Change {
	t.Helper()
	var all []forewarn.Change
	for {
		cs, err := e.Store.Changes(e.Ctx, seq, batch)
		if err != nil {
			t.Fatalf("Changes(%d, %d): %v", seq, batch, err)
		}
		all = append(all, cs...)
		if len(cs) < batch {
			return all
		}
		seq = cs[len(cs)-1].Seq
	}
}

func head(t *testing.T, e *Env) int64 {
	t.Helper()
	h, err := e.Store.ChangeHead(e.Ctx)
	if err != nil {
		t.Fatalf("ChangeHead: %v", err)
	}
	return h
}

// testChangeLog: every write to a subject and every received message is in the change
// log, in order, with the object as it is now; sent messages, reads and writes that fail
// are not.
func testChangeLog(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	if h := head(t, e); h != 0 {
		t.Fatalf("ChangeHead of an empty store = %d, want 0", h)
	}
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	afterCreate := head(t, e)
	if afterCreate <= 0 {
		t.Fatalf("ChangeHead after a subject was created = %d, want > 0", afterCreate)
	}
	// Reads, sent messages and a failed write change nothing the index holds.
	if _, err := e.Store.Subject(e.Ctx, analyst, s.ID); err != nil {
		t.Fatal(err)
	}
	e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now()))
	ghost := NewSubject("Nobody")
	ghost.ID = forewarn.NewID(e.Clock.Now())
	WantCode(t, e.Store.UpdateSubject(e.Ctx, analyst, ghost), forewarn.ENOTFOUND)
	if h := head(t, e); h != afterCreate {
		t.Fatalf("ChangeHead moved from %d to %d on a read, a sent message and a failed update", afterCreate, h)
	}

	e.Clock.Advance(time.Minute)
	s.Watch = forewarn.WatchListed
	s.Names = append(s.Names, forewarn.Name{Value: "Abu Omar", Kind: forewarn.NameAlias})
	if err := e.Store.UpdateSubject(e.Ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	in := e.Receive(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
	// The same message again is not stored again, and is not a change.
	sm, receipt := e.Incoming(in.Message)
	if _, dup, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil || !dup {
		t.Fatalf("ReceiveMessage again = dup %v, %v; want a duplicate", dup, err)
	}

	all := changesAfter(t, e, 0, 1000)
	if len(all) != 3 {
		t.Fatalf("%d changes, want 3 (create, update, receive): %+v", len(all), all)
	}
	for i, want := range []struct {
		kind forewarn.ChangeKind
		id   string
	}{{forewarn.ChangeSubject, s.ID}, {forewarn.ChangeSubject, s.ID}, {forewarn.ChangeMessage, in.Message.ID}} {
		c := all[i]
		if c.Kind != want.kind || c.ID != want.id {
			t.Errorf("change %d = %s %s, want %s %s", i, c.Kind, c.ID, want.kind, want.id)
		}
		if i > 0 && c.Seq <= all[i-1].Seq {
			t.Errorf("change %d has seq %d after %d: not increasing", i, c.Seq, all[i-1].Seq)
		}
	}
	// The store says which change an arrival wrote.
	if in.ChangeSeq != all[2].Seq {
		t.Errorf("ReceiveMessage reported change %d for its arrival, want %d", in.ChangeSeq, all[2].Seq)
	}
	// Each change carries its object as it is now, so the create shows the update too.
	for _, c := range all[:2] {
		if c.Subject == nil || c.Subject.ID != s.ID || c.Subject.Watch != forewarn.WatchListed || len(c.Subject.Names) != 3 || c.Message != nil {
			t.Errorf("subject change %d carries %+v, want the updated subject", c.Seq, c.Subject)
		}
	}
	if m := all[2].Message; m == nil || m.ID != in.Message.ID || len(m.Persons()) != 1 || m.Persons()[0].Names[0].Value != "Omar Ismail Mostefai" || all[2].Subject != nil {
		t.Errorf("message change carries %+v, want the received message", m)
	}
	if h := head(t, e); h != all[2].Seq {
		t.Errorf("ChangeHead = %d, want the last change's seq %d", h, all[2].Seq)
	}
	// Reading after a seq returns only what came later; a batch is a prefix.
	if rest := changesAfter(t, e, all[0].Seq, 1000); len(rest) != 2 || rest[0].Seq != all[1].Seq {
		t.Errorf("Changes after %d = %+v, want the last two", all[0].Seq, rest)
	}
	if one, err := e.Store.Changes(e.Ctx, 0, 1); err != nil || len(one) != 1 || one[0].Seq != all[0].Seq {
		t.Errorf("Changes(0, 1) = %+v, %v; want the first change only", one, err)
	}
	if none, err := e.Store.Changes(e.Ctx, all[2].Seq, 10); err != nil || len(none) != 0 {
		t.Errorf("Changes after the head = %+v, %v; want none", none, err)
	}
	_, err := e.Store.Changes(e.Ctx, -1, 10)
	WantCode(t, err, forewarn.EINVALID)

	var received []string
	if err := e.Store.ScanReceived(e.Ctx, func(m *forewarn.Message) error { received = append(received, m.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(received) != 1 || received[0] != in.Message.ID {
		t.Errorf("ScanReceived = %v, want only the received message %s", received, in.Message.ID)
	}
}

// testChangeLogFollowedConcurrently: a reader that follows the log while many writers
// write, reading "after the last seq I saw" each time, sees every change exactly once.
// This is what commit-ordered seqs guarantee; with seqs taken in one order and committed
// in another, the reader would skip some.
func testChangeLogFollowedConcurrently(t *testing.T, open Opener) {
	const writers, writes = 6, 20
	e := NewEnv(t, open, 0)
	e.Init()
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	created := make(chan string, writers*writes)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				s := NewSubject(fmt.Sprintf("Writer %d subject %d", w, i))
				if err := e.Store.CreateSubject(e.Ctx, analyst, s); err != nil {
					errs <- err
					return
				}
				created <- s.ID
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	var seq int64
	follow := func() {
		cs, err := e.Store.Changes(e.Ctx, seq, 7)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		for _, c := range cs {
			if c.Seq <= seq {
				t.Fatalf("change %d came after %d", c.Seq, seq)
			}
			seq = c.Seq
			seen[c.ID]++
		}
	}
	for following := true; following; {
		select {
		case <-done:
			following = false
		default:
			follow()
		}
	}
	for before := int64(-1); before != seq; {
		before = seq
		follow()
	}
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	close(created)
	n := 0
	for id := range created {
		n++
		if seen[id] != 1 {
			t.Errorf("subject %s was seen %d times by the follower, want once", id, seen[id])
		}
	}
	if n != writers*writes || len(seen) != n {
		t.Errorf("follower saw %d subjects, writers created %d", len(seen), n)
	}
}

// testChangeSeqOfArrivals: messages arriving at once, stored together (group commit),
// each learn the change their own arrival wrote.
func testChangeSeqOfArrivals(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	var wg sync.WaitGroup
	got := make([]*forewarn.StoredMessage, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
			sm, receipt := e.Incoming(m)
			if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt); err != nil {
				t.Error(err)
				return
			}
			got[i] = sm
		}()
	}
	wg.Wait()
	bySeq := map[int64]string{}
	for _, c := range changesAfter(t, e, 0, 1000) {
		bySeq[c.Seq] = c.ID
	}
	for _, sm := range got {
		if sm != nil && bySeq[sm.ChangeSeq] != sm.Message.ID {
			t.Errorf("ReceiveMessage of %s at once with others reported change %d, which is %q", sm.Message.ID, sm.ChangeSeq, bySeq[sm.ChangeSeq])
		}
	}
}

// testMatchedThrough: a store that checks what an arrival was matched through
// (forewarn.MatchChecker) stores it when every change since was an arrival stored for the
// matcher (told through Durable), also ones stored at the same time, and refuses it with
// ErrIndexBehind, storing nothing, when anything else was committed since: a subject, or
// a message stored by a writer that tells no matcher. A store that does not check refuses
// to be asked.
func testMatchedThrough(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	e.AddPeers()
	receive := func(through int64, told bool) (*forewarn.StoredMessage, error) {
		sm, receipt := e.Incoming(NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now()))
		sm.CheckMatched, sm.MatchedThrough = true, through
		if told {
			sm.Durable = func(int64) {}
		}
		_, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm, receipt)
		return sm, err
	}
	c, ok := e.Store.(forewarn.MatchChecker)
	if !ok || !c.ChecksMatchedThrough() {
		if _, err := receive(head(t, e), true); err == nil {
			t.Error("a store that does not check what an arrival was matched through stored one asked to")
		}
		return
	}
	matched := head(t, e)
	if _, err := receive(matched, true); err != nil {
		t.Fatalf("an arrival matched through the head: %v", err)
	}
	// Arrivals stored for the matcher meanwhile, at once, each matched through the same Seq.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := receive(matched, true); err != nil {
				t.Errorf("an arrival matched while others were stored for the matcher: %v", err)
			}
		}()
	}
	wg.Wait()
	refused := func(what string) {
		t.Helper()
		audit := e.AuditCount()
		sm, err := receive(matched, true)
		if !errors.Is(err, forewarn.ErrIndexBehind) {
			t.Fatalf("an arrival matched before %s: %v, want ErrIndexBehind", what, err)
		}
		if _, err := e.Store.MessageFrom(e.Ctx, PeerFR, sm.Message.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
			t.Errorf("the arrival refused after %s is stored: %v", what, err)
		}
		if e.AuditCount() != audit {
			t.Errorf("the arrival refused after %s is audited", what)
		}
	}
	// A message stored by a writer that tells no matcher.
	if _, err := receive(head(t, e), false); err != nil {
		t.Fatal(err)
	}
	refused("a message no matcher was told of")
	matched = head(t, e)
	e.CreateSubject("Ismaël Omar Mostefaï")
	refused("a subject was written")
	if _, err := receive(head(t, e), true); err != nil {
		t.Fatalf("the arrival matched again after the subject: %v", err)
	}

	// A sent message is stored whatever changed, with the store's word on subjects.
	send := func(through int64) *forewarn.StoredMessage {
		t.Helper()
		m := NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionOut, StoredAt: e.Clock.Now(),
			Priority: forewarn.PriorityUrgent, CheckMatched: true, MatchedThrough: through,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: PeerFR, Direction: forewarn.DirectionOut, NextAttempt: e.Clock.Now()}}}
		if err := e.Store.CreateMessage(e.Ctx, system, sm); err != nil {
			t.Fatalf("CreateMessage matched through %d: %v", through, err)
		}
		return sm
	}
	matched = head(t, e)
	if sm := send(matched); sm.SubjectsChanged {
		t.Error("a message sent with no change since says SubjectsChanged")
	}
	if _, err := receive(head(t, e), false); err != nil {
		t.Fatal(err)
	}
	if sm := send(matched); sm.SubjectsChanged {
		t.Error("a message sent after only an arrival says SubjectsChanged")
	}
	e.CreateSubject("Abdelhamid Abaaoud")
	if sm := send(matched); !sm.SubjectsChanged {
		t.Error("a message sent after a subject was written does not say SubjectsChanged")
	}
	if sm := send(head(t, e)); sm.SubjectsChanged {
		t.Error("a message sent matched through the head says SubjectsChanged")
	}
}
