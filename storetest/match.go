package storetest

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

func testMatches(t *testing.T, open Opener) {
	e := NewEnv(t, open, 3)
	e.AddPeers()
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	s2 := e.CreateSubject("Samy Amimour")

	e.Clock.Advance(time.Hour)
	m1 := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	sm1, receipt := e.Incoming(m1)
	sm1.Matches = []*forewarn.Match{
		{PersonRef: "p1", Fingerprint: "fp-a", SubjectID: s.ID, Score: 0.93, Summary: "same passport", Explanation: json.RawMessage(`{"score":0.93,"reasons":["passport"]}`)},
		{PersonRef: "p1", Fingerprint: "fp-a", SubjectID: s2.ID, Score: 0.71, Summary: "similar name"},
	}
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm1, receipt); err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	toS, toS2 := sm1.Matches[0], sm1.Matches[1]

	e.Clock.Advance(time.Hour)
	m2 := NewNotification(PeerDE, []string{Agency.Code}, e.Clock.Now())
	e.Receive(m2)
	start := e.AuditCount()
	later := []*forewarn.Match{
		{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "fp-b", SubjectID: s.ID, Score: 0.8, Summary: "retro-match"},
		{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "fp-b", EarlierMessageID: m1.ID, EarlierPersonRef: "p1", Score: 0.9, Summary: "told before"},
	}
	alert := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: m2.ID, SubjectID: s.ID, Text: "You were told about this person before."}
	if err := e.Store.CreateMatches(e.Ctx, analyst, later, []*forewarn.Alert{alert}); err != nil {
		t.Fatalf("CreateMatches: %v", err)
	}
	wantActions(t, e, start, "match.create", "match.create")
	if later[0].ID == "" || later[0].Status != forewarn.MatchPending || !later[0].CreatedAt.Equal(e.Clock.Now()) || alert.ID == "" {
		t.Errorf("CreateMatches filled %+v and %+v", later[0], alert)
	}
	if as, err := e.Store.Alerts(e.Ctx, forewarn.RoleAnalyst, 0); err != nil || len(as) != 1 || !reflect.DeepEqual(as[0], alert) {
		t.Errorf("Alerts = %+v, %v; want %+v", as, err, alert)
	}
	// A link known when it is made (a message this node sent about its subject) is stored
	// confirmed by whoever made it, with its reason; without one it is refused.
	own := &forewarn.Match{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "fp-own", SubjectID: s2.ID, Score: 1, Summary: "own message", Status: forewarn.MatchConfirmed}
	err := e.Store.CreateMatches(e.Ctx, analyst, []*forewarn.Match{own}, nil)
	WantCode(t, err, forewarn.EINVALID)
	own.Reason = "this node's own message about the subject"
	if err := e.Store.CreateMatches(e.Ctx, analyst, []*forewarn.Match{own}, nil); err != nil {
		t.Fatalf("CreateMatches confirmed: %v", err)
	}
	if got, err := e.Store.Match(e.Ctx, own.ID); err != nil || got.Status != forewarn.MatchConfirmed || got.DecidedBy != analyst.ID || !got.DecidedAt.Equal(e.Clock.Now()) || got.Reason != own.Reason {
		t.Errorf("the confirmed link was stored as %+v, %v", got, err)
	}

	got, err := e.Store.Match(e.Ctx, toS.ID)
	if err != nil || !reflect.DeepEqual(got, toS) {
		t.Errorf("Match = %+v, %v\nwant %+v", got, err, toS)
	}
	_, err = e.Store.Match(e.Ctx, forewarn.NewID(Start))
	WantCode(t, err, forewarn.ENOTFOUND)

	list := func(f forewarn.MatchFilter) ([]string, int) {
		t.Helper()
		ms, total, err := e.Store.Matches(e.Ctx, f)
		if err != nil {
			t.Fatalf("Matches(%+v): %v", f, err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return ids, total
	}
	for _, tt := range []struct {
		filter forewarn.MatchFilter
		want   []string // newest first
		total  int
	}{
		{forewarn.MatchFilter{SubjectID: s.ID}, []string{later[0].ID, toS.ID}, 2},
		{forewarn.MatchFilter{SubjectID: s.ID, Offset: 1, Limit: 1}, []string{toS.ID}, 2},
		{forewarn.MatchFilter{MessageID: m2.ID, Status: forewarn.MatchPending}, sorted(later[0].ID, later[1].ID), 2}, // created together: any order
		{forewarn.MatchFilter{Status: forewarn.MatchPending}, sorted(later[0].ID, later[1].ID, toS.ID, toS2.ID), 4},
	} {
		ids, total := list(tt.filter)
		if tt.filter.MessageID != "" || tt.filter.SubjectID == "" {
			slices.Sort(ids)
		}
		if !reflect.DeepEqual(ids, tt.want) || total != tt.total {
			t.Errorf("Matches(%+v) = %v (total %d), want %v (total %d)", tt.filter, ids, total, tt.want, tt.total)
		}
	}
	_, _, err = e.Store.Matches(e.Ctx, forewarn.MatchFilter{Status: "maybe"})
	WantCode(t, err, forewarn.EINVALID)
	// By score, either way, and by date, oldest first.
	if ids, total := list(forewarn.MatchFilter{Status: forewarn.MatchPending, Sort: forewarn.SortMatchStrongest}); !reflect.DeepEqual(ids, []string{toS.ID, later[1].ID, later[0].ID, toS2.ID}) || total != 4 {
		t.Errorf("pending matches, strongest first = %v (total %d)", ids, total)
	}
	if ids, _ := list(forewarn.MatchFilter{Status: forewarn.MatchPending, Sort: forewarn.SortMatchWeakest, Limit: 2}); !reflect.DeepEqual(ids, []string{toS2.ID, later[0].ID}) {
		t.Errorf("pending matches, weakest first = %v", ids)
	}
	if ids, _ := list(forewarn.MatchFilter{SubjectID: s.ID, Sort: forewarn.SortMatchOldest}); !reflect.DeepEqual(ids, []string{toS.ID, later[0].ID}) {
		t.Errorf("the subject's matches, oldest first = %v", ids)
	}
	_, _, err = e.Store.Matches(e.Ctx, forewarn.MatchFilter{Sort: "alphabetical"})
	WantCode(t, err, forewarn.EINVALID)
	// Every status at once, in every order (a store may read each status apart and merge
	// them): a page is that page of the whole list, each order the reverse of its
	// opposite, and the total the sum of each status's.
	statuses := 0
	for _, st := range []forewarn.MatchStatus{forewarn.MatchPending, forewarn.MatchConfirmed, forewarn.MatchRejected} {
		_, n := list(forewarn.MatchFilter{Status: st})
		statuses += n
	}
	for _, pair := range [][2]forewarn.MatchSort{{forewarn.SortMatchNewest, forewarn.SortMatchOldest}, {forewarn.SortMatchStrongest, forewarn.SortMatchWeakest}} {
		all, total := list(forewarn.MatchFilter{Sort: pair[0]})
		if len(all) != total || total != statuses || total < 5 {
			t.Fatalf("Matches by %s = %v (total %d), want all %d, of more than one status", pair[0], all, total, statuses)
		}
		if page, n := list(forewarn.MatchFilter{Sort: pair[0], Offset: 1, Limit: 3}); !slices.Equal(page, all[1:4]) || n != total {
			t.Errorf("Matches by %s, 3 from the 2nd = %v (total %d), want %v of %v", pair[0], page, n, all[1:4], all)
		}
		back, _ := list(forewarn.MatchFilter{Sort: pair[1]})
		slices.Reverse(back)
		if !slices.Equal(back, all) {
			t.Errorf("Matches by %s, reversed = %v, want %v (by %s)", pair[1], back, all, pair[0])
		}
	}

	mark := e.AuditCount()
	for _, tt := range []struct {
		name string
		m    forewarn.Match
		code string
	}{
		{"unknown message", forewarn.Match{MessageID: forewarn.NewID(Start), PersonRef: "p1", Fingerprint: "x", SubjectID: s.ID}, forewarn.ENOTFOUND},
		{"unknown subject", forewarn.Match{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "x", SubjectID: forewarn.NewID(Start)}, forewarn.ENOTFOUND},
		{"two targets", forewarn.Match{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "x", SubjectID: s.ID, EarlierMessageID: m1.ID, EarlierPersonRef: "p1"}, forewarn.EINVALID},
		{"no target", forewarn.Match{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "x"}, forewarn.EINVALID},
		{"no person", forewarn.Match{MessageID: m2.ID, Fingerprint: "x", SubjectID: s.ID}, forewarn.EINVALID},
		{"explanation not JSON", forewarn.Match{MessageID: m2.ID, PersonRef: "p1", Fingerprint: "x", SubjectID: s.ID, Explanation: json.RawMessage("{")}, forewarn.EINVALID},
	} {
		m := tt.m
		if err := e.Store.CreateMatches(e.Ctx, analyst, []*forewarn.Match{&m}, nil); forewarn.ErrorCode(err) != tt.code {
			t.Errorf("CreateMatches with %s = %v, want %s", tt.name, err, tt.code)
		}
	}
	WantCode(t, e.Store.RejectMatch(e.Ctx, analyst, toS2.ID, " "), forewarn.EINVALID)
	WantCode(t, e.Store.RejectMatch(e.Ctx, analyst, forewarn.NewID(Start), "no such match"), forewarn.ENOTFOUND)
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, later[1].ID, "", nil, nil), forewarn.EINVALID) // with a message, not a subject
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, toS.ID, "", []forewarn.Name{{Value: " "}}, nil), forewarn.EINVALID)
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, toS.ID, "", nil, []*forewarn.Claim{NewClaim(s2.ID)}), forewarn.EINVALID)
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, forewarn.NewID(Start), "", nil, nil), forewarn.ENOTFOUND)
	wantActions(t, e, mark)

	// Reject: the pair is remembered, and deciding it again is a conflict.
	e.Clock.Advance(time.Hour)
	mark = e.AuditCount()
	if err := e.Store.RejectMatch(e.Ctx, analyst, toS2.ID, "born in another town"); err != nil {
		t.Fatalf("RejectMatch: %v", err)
	}
	wantActions(t, e, mark, "match.reject")
	got, err = e.Store.Match(e.Ctx, toS2.ID)
	if err != nil || got.Status != forewarn.MatchRejected || got.DecidedBy != analyst.ID || !got.DecidedAt.Equal(e.Clock.Now()) || got.Reason != "born in another town" {
		t.Errorf("rejected match = %+v, %v", got, err)
	}
	for _, tt := range []struct {
		subject, fingerprint string
		want                 bool
	}{{s2.ID, "fp-a", true}, {s.ID, "fp-a", false}, {s2.ID, "fp-b", false}} {
		if got, err := e.Store.RejectedPair(e.Ctx, tt.subject, tt.fingerprint); err != nil || got != tt.want {
			t.Errorf("RejectedPair(%s, %s) = %v, %v; want %v", tt.subject, tt.fingerprint, got, err, tt.want)
		}
	}
	WantCode(t, e.Store.RejectMatch(e.Ctx, analyst, toS2.ID, "again"), forewarn.ECONFLICT)
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, toS2.ID, "changed my mind", nil, nil), forewarn.ECONFLICT)

	// Confirm: names the subject lacks become sourced aliases, facts become claims.
	e.Clock.Advance(time.Hour)
	mark = e.AuditCount()
	aliases := []forewarn.Name{
		{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary, Source: "FR-DGSI"}, // already held (as an alias from TR-MIT)
		{Value: "Abu Rayyan", Script: "Latn"},
		{Value: "Abou Rayan", Source: "FR-DGSI / informant 17"},
		{Value: " Abu Rayyan "},
	}
	residence := &forewarn.Claim{Kind: forewarn.ClaimResidence, Value: "Chartres", ValidFrom: forewarn.PartialDate{Year: 2012},
		Source: forewarn.Source{Agency: PeerFR}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}
	if err := e.Store.ConfirmMatch(e.Ctx, analyst, toS.ID, "same passport number", aliases, []*forewarn.Claim{residence}); err != nil {
		t.Fatalf("ConfirmMatch: %v", err)
	}
	wantActions(t, e, mark, "match.confirm", "subject.update", "claim.create")
	got, err = e.Store.Match(e.Ctx, toS.ID)
	if err != nil || got.Status != forewarn.MatchConfirmed || got.Reason != "same passport number" || got.DecidedBy != analyst.ID {
		t.Errorf("confirmed match = %+v, %v", got, err)
	}
	merged, err := e.Store.Subject(e.Ctx, analyst, s.ID)
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	wantNames := append(append([]forewarn.Name(nil), s.Names...),
		forewarn.Name{Value: "Abu Rayyan", Kind: forewarn.NameAlias, Script: "Latn", Source: PeerFR},
		forewarn.Name{Value: "Abou Rayan", Kind: forewarn.NameAlias, Source: "FR-DGSI / informant 17"})
	if !reflect.DeepEqual(merged.Names, wantNames) {
		t.Errorf("names after the merge = %+v\nwant %+v", merged.Names, wantNames)
	}
	if !merged.UpdatedAt.Equal(e.Clock.Now()) || !merged.CreatedAt.Equal(s.CreatedAt) || merged.Notes != s.Notes || !reflect.DeepEqual(merged.Documents, s.Documents) {
		t.Errorf("merged subject = %+v", merged)
	}
	claims, err := e.Store.Claims(e.Ctx, s.ID)
	if err != nil || len(claims) != 1 || !reflect.DeepEqual(claims[0], residence) {
		t.Errorf("Claims = %+v, %v; want %+v", claims, err, residence)
	}
	if residence.ID == "" || residence.SubjectID != s.ID || residence.MessageID != m1.ID || !residence.RecordedAt.Equal(e.Clock.Now()) {
		t.Errorf("merged claim = %+v", residence)
	}
	mark = e.AuditCount()
	WantCode(t, e.Store.ConfirmMatch(e.Ctx, analyst, toS.ID, "twice", nil, nil), forewarn.ECONFLICT)
	// A confirmed match may still be rejected; what it merged stays.
	if err := e.Store.RejectMatch(e.Ctx, analyst, toS.ID, "the passport was forged"); err != nil {
		t.Fatalf("RejectMatch of a confirmed match: %v", err)
	}
	wantActions(t, e, mark, "match.reject")
	if ok, err := e.Store.RejectedPair(e.Ctx, s.ID, "fp-a"); err != nil || !ok {
		t.Errorf("RejectedPair after rejecting the confirmed match = %v, %v", ok, err)
	}
	if claims, err := e.Store.Claims(e.Ctx, s.ID); err != nil || len(claims) != 1 {
		t.Errorf("claims after the rejection = %+v, %v; want the merged one kept", claims, err)
	}
	e.MustVerify()
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func testPreferClaim(t *testing.T, open Opener) {
	e := NewEnv(t, open, 2)
	s := e.CreateSubject("Ismaël Omar Mostefaï")
	from := forewarn.NewID(Start)
	c1 := NewClaim(s.ID)
	c1.MessageID = from
	c1.Preferred, c1.PreferredReason = true, "set by hand" // not how a claim becomes preferred
	c2 := NewClaim(s.ID)
	c2.Source, c2.Note = forewarn.Source{Agency: PeerFR}, "also 2013, says FR-DGSI"
	c3 := NewClaim(s.ID)
	c3.Kind, c3.Value = forewarn.ClaimResidence, "Chartres"
	for _, c := range []*forewarn.Claim{c1, c2, c3} {
		if err := e.Store.CreateClaim(e.Ctx, analyst, c); err != nil {
			t.Fatalf("CreateClaim: %v", err)
		}
		e.Clock.Advance(time.Second)
	}
	bad := NewClaim(s.ID)
	bad.MessageID = "not-a-message"
	WantCode(t, e.Store.CreateClaim(e.Ctx, analyst, bad), forewarn.EINVALID)
	start := e.AuditCount()
	WantCode(t, e.Store.PreferClaim(e.Ctx, analyst, c1.ID, ""), forewarn.EINVALID)
	WantCode(t, e.Store.PreferClaim(e.Ctx, analyst, forewarn.NewID(Start), "why not"), forewarn.ENOTFOUND)
	wantActions(t, e, start)

	preferred := func() map[string]string {
		t.Helper()
		cs, err := e.Store.Claims(e.Ctx, s.ID)
		if err != nil {
			t.Fatalf("Claims: %v", err)
		}
		out := map[string]string{}
		for _, c := range cs {
			if c.Preferred {
				out[c.ID] = c.PreferredReason
			}
		}
		return out
	}
	cs, err := e.Store.Claims(e.Ctx, s.ID)
	if err != nil || len(cs) != 3 || cs[0].MessageID != from || cs[0].Preferred || !reflect.DeepEqual(cs[0], c1) {
		t.Fatalf("Claims = %+v, %v; want the first with its message and not preferred", cs, err)
	}

	if err := e.Store.PreferClaim(e.Ctx, analyst, c1.ID, "border record"); err != nil {
		t.Fatalf("PreferClaim: %v", err)
	}
	if err := e.Store.PreferClaim(e.Ctx, analyst, c3.ID, "lease on file"); err != nil {
		t.Fatalf("PreferClaim: %v", err)
	}
	if got, want := preferred(), map[string]string{c1.ID: "border record", c3.ID: "lease on file"}; !reflect.DeepEqual(got, want) {
		t.Errorf("preferred = %v, want %v", got, want)
	}
	old := *c2
	if err := e.Store.PreferClaim(e.Ctx, analyst, c2.ID, "passport stamp seen"); err != nil {
		t.Fatalf("PreferClaim: %v", err)
	}
	if got, want := preferred(), map[string]string{c2.ID: "passport stamp seen", c3.ID: "lease on file"}; !reflect.DeepEqual(got, want) {
		t.Errorf("preferred after preferring its rival = %v, want %v", got, want)
	}
	now := *c2
	now.Preferred, now.PreferredReason = true, "passport stamp seen"
	last := e.LastAudit()
	if last.Action != "claim.prefer" || last.ObjectID != c2.ID || last.Before != forewarn.Digest(&old) || last.After != forewarn.Digest(&now) {
		t.Errorf("preference audited as %+v", last)
	}
	wantActions(t, e, start, "claim.prefer", "claim.prefer", "claim.prefer")
	if cs, _ := e.Store.Claims(e.Ctx, s.ID); len(cs) != 3 {
		t.Errorf("%d claims after preferring; none may be deleted", len(cs))
	}
	e.MustVerify()
}
