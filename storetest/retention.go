package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testRetention: review dates come from the policy for every subject and received message
// (whoever wrote it), the alert fires at the date and once, keeping needs a reason and a
// later date and closes the alert, and erasure leaves a tombstone, no personal data in the
// tables it touches, and an audit chain that still verifies.
func testRetention(t *testing.T, open Opener) {
	e := NewEnv(t, open, 3)
	e.AddPeers()
	admin := forewarn.UserActor("admin")

	rules, err := e.Store.RetentionRules(e.Ctx)
	if err != nil || len(rules) != len(forewarn.DefaultRetentionRules()) {
		t.Fatalf("RetentionRules = %+v, %v; want the defaults", rules, err)
	}
	start := e.AuditCount()
	WantCode(t, e.Store.SetRetentionRule(e.Ctx, admin, &forewarn.RetentionRule{Kind: forewarn.RetainSubject, Class: "urgent", Days: 10}), forewarn.EINVALID)
	WantCode(t, e.Store.SetRetentionRule(e.Ctx, admin, &forewarn.RetentionRule{Kind: forewarn.RetainMessage, Class: "routine", Days: 0}), forewarn.EINVALID)
	wantActions(t, e, start)
	if err := e.Store.SetRetentionRule(e.Ctx, admin, &forewarn.RetentionRule{Kind: forewarn.RetainSubject, Class: "none", Days: 30}); err != nil {
		t.Fatal(err)
	}
	wantActions(t, e, start, "retention.rule")

	s := e.CreateSubject("Ismaël Omar Mostefaï")
	if err := e.Store.SetWatch(e.Ctx, analyst, s.ID, forewarn.WatchListed, "Mostefaï named by a source"); err != nil {
		t.Fatal(err)
	}
	other := e.CreateSubject("Samy Amimour")
	e.Clock.Advance(time.Hour)
	m1 := NewNotification(PeerFR, []string{Agency.Code}, e.Clock.Now())
	m1.Notification.Summary = "Omar Ismail Mostefai seen crossing"
	sm1, receipt := e.Incoming(m1)
	sm1.Matches = []*forewarn.Match{{PersonRef: "p1", Fingerprint: "fp-a", SubjectID: s.ID, Score: 0.93, Summary: "Omar Ismail Mostefai ~ Ismaël Omar Mostefaï"}}
	if _, _, err := e.Store.ReceiveMessage(e.Ctx, peerActor(PeerFR), sm1, receipt); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.ConfirmMatch(e.Ctx, analyst, sm1.Matches[0].ID, "same man as Mostefaï, passport", nil, nil); err != nil {
		t.Fatal(err)
	}
	e.Receive(NewReply(forewarn.KindAcknowledgement, PeerFR, Agency.Code, m1.ID, forewarn.AckReceived, e.Clock.Now()))
	m2 := NewNotification(PeerDE, []string{Agency.Code}, e.Clock.Now())
	m2.Notification.Priority = forewarn.PriorityRoutine
	e.Receive(m2)

	// Review dates: a subject by its watch status when it is given one (watch-listed:
	// 365 days; none: 30), the messages by their priority (routine: 180), the
	// acknowledgement none.
	n, err := e.Store.AssignReviews(e.Ctx)
	if err != nil || n != 4 {
		t.Fatalf("AssignReviews = %d, %v; want 4 (two subjects, two messages)", n, err)
	}
	if n, err := e.Store.AssignReviews(e.Ctx); err != nil || n != 0 {
		t.Errorf("AssignReviews again = %d, %v; want 0", n, err)
	}
	r, err := e.Store.Review(e.Ctx, forewarn.RetainSubject, s.ID)
	if err != nil || !r.ReviewAt.Equal(s.CreatedAt.AddDate(0, 0, 365)) || r.Label != "Ismaël Omar Mostefaï" || r.Reason != "" {
		t.Fatalf("Review(subject) = %+v, %v; want 365 days after creation", r, err)
	}
	if r, err := e.Store.Review(e.Ctx, forewarn.RetainSubject, other.ID); err != nil || !r.ReviewAt.Equal(other.CreatedAt.AddDate(0, 0, 30)) {
		t.Errorf("Review(other) = %+v, %v; want 30 days after creation", r, err)
	}
	if r, err := e.Store.Review(e.Ctx, forewarn.RetainMessage, m2.ID); err != nil || !r.ReviewAt.Equal(e.Clock.Now().AddDate(0, 0, 180)) {
		t.Errorf("Review(message) = %+v, %v; want 180 days after arrival", r, err)
	}
	_, total, err := e.Store.Reviews(e.Ctx, forewarn.ReviewFilter{})
	if err != nil || total != 4 {
		t.Errorf("Reviews total = %d, %v; want 4", total, err)
	}

	// The alert fires at the review date, once.
	if as, err := e.Store.AlertDueReviews(e.Ctx, 0); err != nil || len(as) != 0 {
		t.Errorf("AlertDueReviews before the date = %+v, %v", as, err)
	}
	e.Clock.Advance(30 * 24 * time.Hour)
	as, err := e.Store.AlertDueReviews(e.Ctx, 0)
	if err != nil || len(as) != 1 || as[0].Kind != "review" || as[0].Role != forewarn.RoleAnalyst || as[0].SubjectID != other.ID {
		t.Fatalf("AlertDueReviews at the date = %+v, %v; want the other subject's", as, err)
	}
	if strings.Contains(as[0].Text, "Amimour") {
		t.Errorf("the review alert names the person: %q", as[0].Text)
	}
	if again, err := e.Store.AlertDueReviews(e.Ctx, 0); err != nil || len(again) != 0 {
		t.Errorf("AlertDueReviews again = %+v, %v; want none", again, err)
	}
	if due, _, err := e.Store.Reviews(e.Ctx, forewarn.ReviewFilter{DueBy: e.Clock.Now()}); err != nil || len(due) != 1 {
		t.Errorf("Reviews due = %d, %v; want 1", len(due), err)
	}

	// Keep: a reason and a later date are required, nothing is written without them.
	start = e.AuditCount()
	later := e.Clock.Now().AddDate(2, 0, 0)
	_, err = e.Store.SetReview(e.Ctx, analyst, forewarn.RetainSubject, other.ID, later, " ")
	WantCode(t, err, forewarn.EINVALID)
	_, err = e.Store.SetReview(e.Ctx, analyst, forewarn.RetainSubject, other.ID, e.Clock.Now().Add(-time.Hour), "still relevant")
	WantCode(t, err, forewarn.EINVALID)
	_, err = e.Store.SetReview(e.Ctx, analyst, forewarn.RetainSubject, "nobody", later, "still relevant")
	WantCode(t, err, forewarn.ENOTFOUND)
	wantActions(t, e, start)
	kept, err := e.Store.SetReview(e.Ctx, analyst, forewarn.RetainSubject, other.ID, later, "Amimour case still open")
	if err != nil || !kept.ReviewAt.Equal(later) || kept.Reason != "Amimour case still open" || kept.SetBy != analyst.ID || !kept.AlertedAt.IsZero() {
		t.Fatalf("SetReview = %+v, %v", kept, err)
	}
	last := e.LastAudit()
	if last.Action != "subject.keep" || strings.Contains(last.Detail, "Amimour") || !strings.Contains(last.Detail, "note sha256:") {
		t.Errorf("the keep is audited as %+v; want the reason's digest, not the reason", last)
	}
	if es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Action: "subject.keep"}); err != nil || len(es) != 1 || es[0].Note != "Amimour case still open" {
		t.Errorf("AuditEntries gives the keep as %+v, %v; want its note", es, err)
	}
	if open, err := e.Store.Alerts(e.Ctx, forewarn.RoleAnalyst, 0); err != nil || len(open) != 0 {
		t.Errorf("open alerts after the keep = %+v, %v; want none", open, err)
	}

	// A year on: Mostefaï and both messages are due.
	e.Clock.Advance(335 * 24 * time.Hour)
	if as, err := e.Store.AlertDueReviews(e.Ctx, 0); err != nil || len(as) != 3 {
		t.Fatalf("AlertDueReviews a year on = %+v, %v; want three", as, err)
	}

	// Erase the subject: gone, with his person in the message confirmed to be him.
	start = e.AuditCount()
	_, err = e.Store.Erase(e.Ctx, admin, forewarn.RetainSubject, s.ID, "")
	WantCode(t, err, forewarn.EINVALID)
	wantActions(t, e, start)
	ts, err := e.Store.Erase(e.Ctx, admin, forewarn.RetainSubject, s.ID, "review: no longer needed")
	if err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if ts.Persons != 1 || len(ts.Messages) != 1 || ts.Messages[0].From != PeerFR || ts.Digest == "" {
		t.Errorf("tombstone = %+v; want one person erased from FR's message", ts)
	}
	wantActions(t, e, start, "subject.erase")
	_, err = e.Store.Subject(e.Ctx, analyst, s.ID)
	WantCode(t, err, forewarn.ENOTFOUND)
	_, err = e.Store.Erase(e.Ctx, admin, forewarn.RetainSubject, s.ID, "again")
	WantCode(t, err, forewarn.ECONFLICT)
	got := e.MustMessage(m1.ID)
	b, _ := json.Marshal(got.Message)
	if strings.Contains(strings.ToLower(string(b)), "mostef") || len(got.Message.Persons()) != 0 || len(got.Envelope) != 0 {
		t.Errorf("after erasure the message holds %s (envelope %d bytes)", b, len(got.Envelope))
	}
	if ms, _, err := e.Store.Matches(e.Ctx, forewarn.MatchFilter{SubjectID: s.ID}); err != nil || len(ms) != 0 {
		t.Errorf("matches of the erased subject = %d, %v", len(ms), err)
	}
	if open, err := e.Store.Alerts(e.Ctx, forewarn.RoleAnalyst, 0); err != nil || len(open) != 1 || open[0].MessageID != m2.ID {
		t.Errorf("open alerts after erasure = %+v, %v; want only the other message's review", open, err)
	}
	if _, err := e.Store.Review(e.Ctx, forewarn.RetainSubject, s.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the erased subject's review: %v", err)
	}
	es, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range es {
		if strings.Contains(strings.ToLower(a.Detail+a.Note), "mostef") {
			t.Errorf("audit entry %d still names him: %q / %q", a.Seq, a.Detail, a.Note)
		}
	}
	e.MustVerify()

	// Erase a received message: persons, free text and envelope go; the sender is kept.
	e.Clock.Advance(time.Minute)
	ts, err = e.Store.Erase(e.Ctx, admin, forewarn.RetainMessage, m2.ID, "review: expired")
	if err != nil || ts.Originator != PeerDE || ts.MessageKind != forewarn.KindNotification || ts.Persons != 1 {
		t.Fatalf("Erase(message) = %+v, %v", ts, err)
	}
	if open, err := e.Store.Alerts(e.Ctx, forewarn.RoleAnalyst, 0); err != nil || len(open) != 0 {
		t.Errorf("open alerts after erasing the message = %+v, %v", open, err)
	}
	got = e.MustMessage(m2.ID)
	if got.Message.Notification.Summary != forewarn.ErasedText || len(got.Message.Persons()) != 0 || got.Message.From != PeerDE {
		t.Errorf("the erased message is %+v", got.Message.Notification)
	}
	if err := e.Store.Compact(e.Ctx); err != nil {
		t.Errorf("Compact: %v", err)
	}
	all, err := e.Store.Tombstones(e.Ctx, Start, e.Clock.Now().Add(time.Second))
	if err != nil || len(all) != 2 || all[0].Kind != forewarn.RetainSubject || all[1].Kind != forewarn.RetainMessage {
		t.Errorf("Tombstones = %+v, %v", all, err)
	}
	e.MustVerify()
}
