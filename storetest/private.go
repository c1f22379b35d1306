package storetest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testPrivateMatch: a peer's private query is recorded once (the same ID or the same
// blinded elements again are a replay, ECONFLICT), counted against the peer's daily
// persons limit (EFORBIDDEN over it, nothing written), the asker's report is taken once,
// and the asking side keeps its bands with alerts; every write is audited.
func testPrivateMatch(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1000)
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: PeerFR}
	digest := func(c string) string { return strings.Repeat(c, 64) }
	day := Start.Truncate(24 * time.Hour)
	q := func(id, d string, persons int) *forewarn.PrivateQuery {
		return &forewarn.PrivateQuery{ID: id, Direction: forewarn.DirectionIn, Peer: PeerFR, Persons: persons, Digest: d, Epoch: "2015-06-01"}
	}
	id1, id2, id3 := forewarn.NewID(Start), forewarn.NewID(Start.Add(time.Second)), forewarn.NewID(Start.Add(2*time.Second))
	if err := e.Store.SetPrivateLimit(e.Ctx, forewarn.UserActor("admin"), PeerFR, 150); err != nil {
		t.Fatal(err)
	}
	mark := e.AuditCount()
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id1, digest("a"), 100), day); err != nil {
		t.Fatalf("first query: %v", err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id1, digest("b"), 1), day); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("the same query ID again = %v, want ECONFLICT", err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id2, digest("a"), 1), day); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("the same elements under another ID = %v, want ECONFLICT", err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id2, digest("c"), 51), day); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Fatalf("a query over the daily limit = %v, want EFORBIDDEN", err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id2, digest("c"), 50), day); err != nil {
		t.Fatalf("a query up to the limit: %v", err)
	}
	wantActions(t, e, mark, "private_match.answer", "private_match.answer")
	e.Clock.Advance(24 * time.Hour)
	if err := e.Store.AcceptPrivateQuery(e.Ctx, peer, q(id3, digest("d"), 150), day.Add(24*time.Hour)); err != nil {
		t.Fatalf("the next day's query: %v", err)
	}
	use, err := e.Store.PrivateUse(e.Ctx, day)
	if err != nil || len(use) != 1 || use[0].Peer != PeerFR || use[0].Queries != 3 || use[0].Persons != 300 || use[0].PersonsPerDay != 150 {
		t.Fatalf("PrivateUse = %+v, %v", use, err)
	}

	mark = e.AuditCount()
	report := []forewarn.PrivateResult{{Person: 3, Band: forewarn.PrivateBandStrong, SubjectID: "S1"}}
	alert := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "private_match", SubjectID: "S1", Text: "FR-DGSI asked privately about a person matching your subject S1"}
	if err := e.Store.RecordPrivateReport(e.Ctx, peer, PeerFR, id1, report, []*forewarn.Alert{alert}); err != nil {
		t.Fatalf("report: %v", err)
	}
	if err := e.Store.RecordPrivateReport(e.Ctx, peer, PeerFR, id1, report, nil); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("a second report = %v, want ECONFLICT", err)
	}
	if err := e.Store.RecordPrivateReport(e.Ctx, peer, PeerDE, id1, report, nil); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("a report from another peer = %v, want ENOTFOUND", err)
	}
	wantActions(t, e, mark, "private_match.report")
	got, err := e.Store.PrivateQuery(e.Ctx, forewarn.DirectionIn, PeerFR, id1)
	if err != nil || len(got.Results) != 1 || got.Results[0].SubjectID != "S1" || got.ReportedAt.IsZero() || got.Persons != 100 {
		t.Fatalf("PrivateQuery = %+v, %v", got, err)
	}
	alerts, err := e.Store.Alerts(e.Ctx, forewarn.RoleAnalyst, 0)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != "private_match" {
		t.Fatalf("alerts = %+v, %v", alerts, err)
	}

	out := &forewarn.PrivateQuery{ID: forewarn.NewID(e.Clock.Now()), Direction: forewarn.DirectionOut, Peer: PeerDE, Persons: 2, Digest: digest("a"), Epoch: "e", AskedBy: "liaison1",
		Results: []forewarn.PrivateResult{{Person: 0, Band: forewarn.PrivateBandStrong, Label: "Ismaël Omar Mostefaï"}, {Person: 1, Band: forewarn.PrivateBandNone}}}
	mark = e.AuditCount()
	if err := e.Store.RecordPrivateAsk(e.Ctx, forewarn.UserActor("liaison1"), out, []*forewarn.Alert{{Role: forewarn.RoleLiaison, Username: "liaison1", Kind: "private_match", Text: "DE-BKA: likely holds (strong)"}}); err != nil {
		t.Fatalf("RecordPrivateAsk: %v", err)
	}
	wantActions(t, e, mark, "private_match.ask")
	outs, err := e.Store.PrivateQueries(e.Ctx, forewarn.DirectionOut, 0)
	if err != nil || len(outs) != 1 || outs[0].Results[0].Band != forewarn.PrivateBandStrong || outs[0].Results[0].Label != "Ismaël Omar Mostefaï" {
		t.Fatalf("PrivateQueries(out) = %+v, %v", outs, err)
	}
	if ins, err := e.Store.PrivateQueries(e.Ctx, forewarn.DirectionIn, 0); err != nil || len(ins) != 3 {
		t.Fatalf("PrivateQueries(in) = %d, %v", len(ins), err)
	}
	if _, err := e.Store.PrivateQuery(e.Ctx, forewarn.DirectionOut, PeerDE, id1); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("an unknown query = %v, want ENOTFOUND", err)
	}

	// A peer with a sharing agreement gets the agreement's limit, 0 when it names none.
	if err := e.Store.AddPeer(e.Ctx, system, NewPeer(PeerDE)); err != nil {
		t.Fatal(err)
	}
	deActor := forewarn.Actor{Kind: forewarn.ActorPeer, ID: PeerDE}
	de := func(d string, persons int) *forewarn.PrivateQuery {
		return &forewarn.PrivateQuery{ID: forewarn.NewID(e.Clock.Now()), Direction: forewarn.DirectionIn, Peer: PeerDE, Persons: persons, Digest: digest(d), Epoch: "e"}
	}
	agreement := &forewarn.SharingAgreement{Agency: PeerDE, Kinds: []forewarn.MessageKind{forewarn.KindRequest}, MaxTLP: forewarn.TLPAmber}
	if err := e.Store.SetAgreement(e.Ctx, system, agreement); err != nil {
		t.Fatal(err)
	}
	today := e.Clock.Now().Truncate(24 * time.Hour)
	if err := e.Store.AcceptPrivateQuery(e.Ctx, deActor, de("e", 1), today); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Fatalf("a query under an agreement without private queries = %v, want EFORBIDDEN", err)
	}
	agreement.PrivatePersonsPerDay = 5
	if err := e.Store.SetAgreement(e.Ctx, system, agreement); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, deActor, de("e", 6), today); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Fatalf("a query over the agreement's limit = %v, want EFORBIDDEN", err)
	}
	if err := e.Store.AcceptPrivateQuery(e.Ctx, deActor, de("e", 5), today); err != nil {
		t.Fatalf("a query within the agreement's limit: %v", err)
	}
	use, err = e.Store.PrivateUse(e.Ctx, today)
	if err != nil || len(use) != 2 || use[0].Peer != PeerDE || use[0].PersonsPerDay != 5 || use[0].Persons != 5 {
		t.Fatalf("PrivateUse with an agreement = %+v, %v", use, err)
	}
	if n, err := e.Verify(); err != nil || n == 0 {
		t.Fatalf("audit chain: %d, %v", n, err)
	}
}

// testPrivatePeerSet: the set of a peer this node asked privately is kept (audited), read
// back whole, its version read without it, and replaced by the next one; a peer with none
// kept is ENOTFOUND, and bad input is refused with nothing written.
func testPrivatePeerSet(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1000)
	if _, _, err := e.Store.PrivatePeerSetVersion(e.Ctx, PeerDE); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("the version of a set never kept = %v, want ENOTFOUND", err)
	}
	if _, err := e.Store.PrivatePeerSet(e.Ctx, PeerDE); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("a set never kept = %v, want ENOTFOUND", err)
	}
	digest := func(c string) string { return strings.Repeat(c, 64) }
	set := make([]byte, 8*70_000) // larger than one page of either store
	for i := range set {
		set[i] = byte(i * 7)
	}
	mark := e.AuditCount()
	if err := e.Store.KeepPrivatePeerSet(e.Ctx, system, &forewarn.PrivatePeerSet{Peer: PeerDE, Epoch: "2015-06-05", Digest: digest("a"), Set: set[:7]}); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Fatalf("a set of 7 bytes = %v, want EINVALID", err)
	}
	if err := e.Store.KeepPrivatePeerSet(e.Ctx, system, &forewarn.PrivatePeerSet{Peer: PeerDE, Epoch: "2015-06-05", Digest: digest("a"), Set: set}); err != nil {
		t.Fatalf("KeepPrivatePeerSet: %v", err)
	}
	wantActions(t, e, mark, "private_match.set")
	if ep, d, err := e.Store.PrivatePeerSetVersion(e.Ctx, PeerDE); err != nil || ep != "2015-06-05" || d != digest("a") {
		t.Fatalf("PrivatePeerSetVersion = %q, %q, %v", ep, d, err)
	}
	got, err := e.Store.PrivatePeerSet(e.Ctx, PeerDE)
	if err != nil || got.Epoch != "2015-06-05" || got.Digest != digest("a") || !bytes.Equal(got.Set, set) || !got.FetchedAt.Equal(Start) {
		t.Fatalf("PrivatePeerSet = %+v (%d bytes), %v", got, len(got.Set), err)
	}
	e.Clock.Advance(24 * time.Hour)
	if err := e.Store.KeepPrivatePeerSet(e.Ctx, system, &forewarn.PrivatePeerSet{Peer: PeerDE, Epoch: "2015-06-06", Digest: digest("b"), Set: []byte{}}); err != nil {
		t.Fatalf("the next day's (empty) set: %v", err)
	}
	got, err = e.Store.PrivatePeerSet(e.Ctx, PeerDE)
	if err != nil || got.Epoch != "2015-06-06" || got.Digest != digest("b") || len(got.Set) != 0 {
		t.Fatalf("the replaced set = %+v, %v", got, err)
	}
	if _, err := e.Store.PrivatePeerSet(e.Ctx, PeerFR); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("another peer's set = %v, want ENOTFOUND", err)
	}
}
