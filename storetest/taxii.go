package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

func stixObject(coll, id, version string, added time.Time) *forewarn.STIXObject {
	raw, _ := json.Marshal(map[string]string{"type": "indicator", "id": id, "spec_version": "2.1", "created": version, "modified": version})
	return &forewarn.STIXObject{Collection: coll, ID: id, Type: "indicator", Version: version, SpecVersion: "2.1", DateAdded: added,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen}, Object: raw}
}

// testTAXII: collections, object versions kept once each and read back in date_added
// order with their bytes, filters, statuses, and tokens scoped to collections.
func testTAXII(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	bad := &forewarn.TAXIICollection{Title: "FR", Audience: "fr-dgsi"}
	WantCode(t, e.Store.CreateCollection(e.Ctx, analyst, bad), forewarn.EINVALID)
	c := &forewarn.TAXIICollection{Title: "Releasable to FR-DGSI", Audience: "FR-DGSI", CanWrite: true}
	if err := e.Store.CreateCollection(e.Ctx, analyst, c); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	if len(c.ID) != 36 {
		t.Fatalf("collection ID %q is not a UUID", c.ID)
	}
	got, err := e.Store.Collection(e.Ctx, c.ID)
	if err != nil || got.Audience != "FR-DGSI" || !got.CanWrite {
		t.Fatalf("Collection = %+v, %v", got, err)
	}
	_, err = e.Store.Collection(e.Ctx, "00000000-0000-4000-8000-000000000000")
	WantCode(t, err, forewarn.ENOTFOUND)

	t0 := Start.Add(time.Hour)
	a1 := stixObject(c.ID, "indicator--a", "2016-01-01T00:00:00.000Z", t0.Add(2*time.Second))
	a2 := stixObject(c.ID, "indicator--a", "2016-02-01T00:00:00.000Z", t0.Add(3*time.Second))
	b := stixObject(c.ID, "indicator--b", "2016-01-01T00:00:00.000Z", t0.Add(time.Second))
	b.Object = json.RawMessage(`{"type":"indicator", "id":"indicator--b","spec_version":"2.1"}`) // spacing kept
	b.Originator = "FR-DGSI"
	st := &forewarn.TAXIIStatus{ID: "2d086da7-4bdc-4f91-900e-d77486753710", Collection: c.ID, Status: "complete", TotalCount: 3, SuccessCount: 3}
	n, err := e.Store.AddSTIXObjects(e.Ctx, analyst, []*forewarn.STIXObject{a1, a2, b}, st)
	if err != nil || n != 3 {
		t.Fatalf("AddSTIXObjects = %d, %v; want 3", n, err)
	}
	if last := e.LastAudit(); last.Action != "taxii.objects.add" || last.ObjectID != c.ID {
		t.Fatalf("last audit = %s %s", last.Action, last.ObjectID)
	}
	// The same versions again add nothing.
	if n, err := e.Store.AddSTIXObjects(e.Ctx, analyst, []*forewarn.STIXObject{a1}, nil); err != nil || n != 0 {
		t.Fatalf("AddSTIXObjects again = %d, %v; want 0", n, err)
	}
	// Into a collection that does not exist: nothing written.
	before := e.AuditCount()
	_, err = e.Store.AddSTIXObjects(e.Ctx, analyst, []*forewarn.STIXObject{stixObject("nope", "indicator--c", "2016-01-01T00:00:00.000Z", t0)}, nil)
	WantCode(t, err, forewarn.ENOTFOUND)
	if e.AuditCount() != before {
		t.Fatal("a refused add wrote an audit entry")
	}
	all, err := e.Store.STIXObjects(e.Ctx, forewarn.STIXObjectFilter{Collection: c.ID})
	if err != nil || len(all) != 3 {
		t.Fatalf("STIXObjects = %d, %v", len(all), err)
	}
	if all[0].ID != "indicator--b" || all[1].Version != a1.Version || all[2].Version != a2.Version {
		t.Fatalf("order = %s %s %s", all[0].ID, all[1].Version, all[2].Version)
	}
	if string(all[0].Object) != string(b.Object) || !all[0].DateAdded.Equal(b.DateAdded) || all[0].Marks.TLP != forewarn.TLPGreen || all[0].Originator != "FR-DGSI" || all[1].Originator != "" {
		t.Fatalf("object read back = %s at %s", all[0].Object, all[0].DateAdded)
	}
	after, err := e.Store.STIXObjects(e.Ctx, forewarn.STIXObjectFilter{Collection: c.ID, AddedAfter: t0.Add(2 * time.Second), IDs: []string{"indicator--a"}})
	if err != nil || len(after) != 1 || after[0].Version != a2.Version {
		t.Fatalf("added_after and id filter = %d, %v", len(after), err)
	}
	gotSt, err := e.Store.TAXIIStatus(e.Ctx, st.ID)
	if err != nil || gotSt.SuccessCount != 3 || gotSt.Collection != c.ID {
		t.Fatalf("TAXIIStatus = %+v, %v", gotSt, err)
	}

	hash := strings.Repeat("ab", 32)
	WantCode(t, e.Store.CreateTAXIIToken(e.Ctx, analyst, &forewarn.TAXIIToken{Name: "dgsi", Agency: "FR-DGSI", Collections: []string{"nope"}, Hash: hash}), forewarn.EINVALID)
	tok := &forewarn.TAXIIToken{Name: "dgsi", Agency: "FR-DGSI", Collections: []string{c.ID}, Hash: hash, ExpiresAt: e.Clock.Now().Add(24 * time.Hour)}
	if err := e.Store.CreateTAXIIToken(e.Ctx, analyst, tok); err != nil {
		t.Fatalf("CreateTAXIIToken: %v", err)
	}
	found, err := e.Store.TAXIITokenByHash(e.Ctx, hash, e.Clock.Now())
	if err != nil || !found.Reads(c.ID) || found.Reads("other") || found.Agency != "FR-DGSI" {
		t.Fatalf("TAXIITokenByHash = %+v, %v", found, err)
	}
	_, err = e.Store.TAXIITokenByHash(e.Ctx, hash, e.Clock.Now().Add(25*time.Hour))
	WantCode(t, err, forewarn.ENOTFOUND)
	e.MustVerify()
}

// testFeeds: a feed is added once per collection, its polls saved with their raw objects
// (each kept once), and removing it keeps what it brought.
func testFeeds(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	WantCode(t, e.Store.AddFeed(e.Ctx, analyst, &forewarn.Feed{Agency: "FR-DGSI", URL: "http://127.0.0.1:1/taxii2/api/", Collection: "c", Interval: time.Minute}), forewarn.EINVALID)
	f := &forewarn.Feed{Agency: "FR-DGSI", URL: "http://127.0.0.1:1/taxii2/api/", Collection: "c", Username: "tr", Secret: "s3cret", Interval: time.Minute}
	if err := e.Store.AddFeed(e.Ctx, analyst, f); err != nil {
		t.Fatalf("AddFeed: %v", err)
	}
	if last := e.LastAudit(); last.Action != "feed.add" || strings.Contains(last.Detail, "s3cret") {
		t.Fatalf("audit = %s %q", last.Action, last.Detail)
	}
	dup := *f
	WantCode(t, e.Store.AddFeed(e.Ctx, analyst, &dup), forewarn.ECONFLICT)
	got, err := e.Store.Feed(e.Ctx, f.ID)
	if err != nil || got.Secret != "s3cret" || !got.NextPoll.Equal(Start) {
		t.Fatalf("Feed = %+v, %v", got, err)
	}
	raw := &forewarn.FeedObject{ID: "indicator--x", Type: "indicator", Version: "2016-01-01T00:00:00.000Z", Reason: "not a person", Object: json.RawMessage(`{"type":"indicator"}`)}
	got.Cursor, got.Objects, got.Raw, got.LastSuccess, got.NextPoll = "2016-11-01T03:04:05.000000Z", 1, 1, e.Clock.Now(), e.Clock.Now().Add(time.Minute)
	if err := e.Store.RecordFeedPoll(e.Ctx, analyst, got, []*forewarn.FeedObject{raw}); err != nil {
		t.Fatalf("RecordFeedPoll: %v", err)
	}
	if err := e.Store.RecordFeedPoll(e.Ctx, analyst, got, []*forewarn.FeedObject{raw}); err != nil {
		t.Fatalf("RecordFeedPoll again: %v", err)
	}
	objs, err := e.Store.FeedObjects(e.Ctx, f.ID)
	if err != nil || len(objs) != 1 || objs[0].Reason != "not a person" {
		t.Fatalf("FeedObjects = %d, %v", len(objs), err)
	}
	got.Failures, got.LastError = 1, "the feed answered 502"
	if err := e.Store.RecordFeedPoll(e.Ctx, analyst, got, nil); err != nil {
		t.Fatalf("RecordFeedPoll failed: %v", err)
	}
	fs, err := e.Store.Feeds(e.Ctx)
	if err != nil || len(fs) != 1 || fs[0].Healthy() || fs[0].Cursor != got.Cursor || fs[0].LastError == "" {
		t.Fatalf("Feeds = %+v, %v", fs, err)
	}
	if last := e.LastAudit(); last.Action != "feed.poll_failed" {
		t.Fatalf("a failed poll was audited as %s", last.Action)
	}
	if err := e.Store.RemoveFeed(e.Ctx, analyst, f.ID); err != nil {
		t.Fatalf("RemoveFeed: %v", err)
	}
	WantCode(t, e.Store.RemoveFeed(e.Ctx, analyst, f.ID), forewarn.ENOTFOUND)
	if fs, _ := e.Store.Feeds(e.Ctx); len(fs) != 0 {
		t.Fatalf("a removed feed is still listed")
	}
	if objs, _ := e.Store.FeedObjects(e.Ctx, f.ID); len(objs) != 1 {
		t.Fatal("removing a feed dropped what it brought")
	}
	e.MustVerify()
}

// testAcknowledgeLocally: an acknowledgement of feed intelligence is recorded on its
// delivery and closes the alert it answers, audited, and stores no message to send.
func testAcknowledgeLocally(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	in := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	sm, receipt := e.Incoming(in)
	sm.Alerts = []*forewarn.Alert{{Role: forewarn.RoleLiaison, Kind: "match", MessageID: in.ID, Text: "You hold this person", CreatedAt: e.Clock.Now()}}
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, forewarn.SystemActor("feed f1"), sm, receipt); err != nil {
		t.Fatal(err)
	}
	as, err := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10)
	if err != nil || len(as) != 1 {
		t.Fatalf("Alerts = %d, %v", len(as), err)
	}
	e.Clock.Advance(time.Minute)
	ack := func(stage forewarn.AckStage, reason string) *forewarn.Message {
		return &forewarn.Message{ID: forewarn.NewID(e.Clock.Now()), Version: forewarn.MessageVersion, From: Agency.Code, To: []string{PeerFR}, Created: e.Clock.Now(),
			Kind: forewarn.KindAcknowledgement, InReplyTo: in.ID, Marks: in.Marks, Ack: &forewarn.Acknowledgement{Stage: stage, Outcome: "no_action", Reason: reason}}
	}
	WantCode(t, e.Store.AcknowledgeLocally(e.Ctx, analyst, &forewarn.Message{Kind: forewarn.KindAcknowledgement}, ""), forewarn.EINVALID)
	if err := e.Store.AcknowledgeLocally(e.Ctx, analyst, ack(forewarn.AckRead, "known to us"), as[0].ID); err != nil {
		t.Fatalf("AcknowledgeLocally read: %v", err)
	}
	if left, _ := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10); len(left) != 0 {
		t.Fatal("the answered alert is still open")
	}
	if err := e.Store.AcknowledgeLocally(e.Ctx, analyst, ack(forewarn.AckActioned, "file updated"), ""); err != nil {
		t.Fatalf("AcknowledgeLocally actioned: %v", err)
	}
	got := e.MustMessage(in.ID)
	if d := got.Deliveries[0]; d.ReadAt.IsZero() || !d.Actioned() {
		t.Fatalf("delivery after local acknowledgements: %+v", d)
	}
	if out, _, err := e.Store.Messages(e.Ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut}); err != nil || len(out) != 0 {
		t.Fatalf("a local acknowledgement stored %d messages to send (%v)", len(out), err)
	}
	e.MustVerify()
}
