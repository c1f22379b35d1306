package web_test

import (
	"compress/gzip"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/keyfile"
)

// receiveWarning has Turkey's node send France a second warning about the fixture's man.
func (f *fixture) receiveWarning(t *testing.T, summary string) string {
	t.Helper()
	seed := make([]byte, 32)
	seed[0] = 1
	trKey := keyfile.FromSeed(seed)
	now := f.clock.Now()
	m := &forewarn.Message{ID: forewarn.NewID(now), Version: 1, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: now, Kind: forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
		Notification: &forewarn.Notification{Summary: summary, Priority: forewarn.PriorityPriority, AcknowledgeBy: now.Add(7 * 24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}}}}}
	env, err := envelope.Seal(m, trKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.msgs.Receive(context.Background(), env, "test"); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// TestMessageBanner: the first screen of a warning names the subject it matched (linked),
// with the score, the reasons and the review state, and counts the earlier warnings about
// the same man that still wait for an answer.
func TestMessageBanner(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(24 * time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	b := f.browser(t)
	b.login("liaison")
	st, body := b.get("/messages/" + second)
	if st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	i := strings.Index(body, `id="banner"`)
	if i < 0 {
		t.Fatal("the message page has no banner")
	}
	banner := body[i:]
	banner = banner[:strings.Index(banner, "</section>")]
	for _, want := range []string{`href="/subjects/` + f.subjectID + `"`, "Ismaël Omar Mostefaï", "reordered", "waiting for review",
		"Told before: 1 unanswered warning", "TR-MIT notification of 1 Dec 2014 “Fifth individual identified”"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Index(body, `id="banner"`) > strings.Index(body, `id="status"`) {
		t.Error("the banner is not above the message's details")
	}
	// The first warning was told nothing before it.
	_, body = b.get("/messages/" + f.warningID)
	if strings.Contains(body, "Told before") {
		t.Error("the first warning says it was told before")
	}
	// The handling badge is on every row of the inbox, on the alerts and in the thread.
	_, body = b.get("/inbox")
	if n := strings.Count(body, `class="tlp tlp-amber"`); n != 2 {
		t.Errorf("the inbox shows %d TLP badges for 2 rows", n)
	}
	_, body = b.get("/alerts")
	if !strings.Contains(body, `class="tlp tlp-amber"`) || !strings.Contains(body, "TR-MIT notification of 1 Dec 2014") {
		t.Error("the alerts neither show the TLP badge nor name the message")
	}
}

// valueAttr is a form field's value, where codes belong.
var valueAttr = regexp.MustCompile(`value="[^"]*"`)

// TestWordsNotCodes: pages name messages and users and say codes in words; a grading says
// what it means on hover.
func TestWordsNotCodes(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("analyst")
	pages := map[string][]string{
		"/messages/" + f.warningID: {"agrees as far as known", "birth date"},
		"/subjects/" + f.subjectID: {"entry into", "source usually reliable, information probably true", "recorded, watch-listed", "the person in the TR-MIT notification of 1 Dec 2014"},
	}
	for path, want := range pages {
		_, body := b.get(path)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		body = valueAttr.ReplaceAllString(body, "")
		for _, code := range []string{"agree-partial", "travel_entry", "identified_through", "action_taken", "recorded (none)", ">pending<"} {
			if strings.Contains(body, code) {
				t.Errorf("%s shows the code %q", path, code)
			}
		}
	}
	b = f.browser(t)
	b.login("oversight")
	_, body := b.get("/audit?object_type=message")
	if !strings.Contains(body, "TR-MIT notification of 1 Dec 2014 “Fifth individual identified”") {
		t.Error("the audit page does not name the message")
	}
	if !strings.Contains(body, "Test analyst (analyst)") {
		t.Error("the audit page does not name the user")
	}
}

// TestRepeatedMatchOneClick: once an analyst confirmed the first warning's man, the second
// warning about him proposes "same as the match confirmed on …", and one click confirms it
// with that reason.
func TestRepeatedMatchOneClick(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.login("analyst")
	first, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: f.warningID, SubjectID: f.subjectID})
	if err != nil || len(first) != 1 {
		t.Fatalf("the first warning has %d matches with the subject: %v", len(first), err)
	}
	if st, _, _ := b.post("/matches/"+first[0].ID+"/confirm", url.Values{"reason": {"names, birth year and nationality agree"}}); st != http.StatusSeeOther {
		t.Fatalf("confirm the first match: status %d", st)
	}
	f.clock.Advance(24 * time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	b = f.browser(t) // a day later: a new session
	b.login("analyst")
	_, body := b.get("/messages/" + second)
	for _, want := range []string{"Same as the match confirmed on <strong>9 Dec 2014</strong> by Test analyst (analyst)", "names, birth year and nationality agree", "Confirm: same person", "same as the match confirmed on 9 Dec 2014"} {
		if !strings.Contains(body, want) {
			t.Errorf("the second warning lacks %q", want)
		}
	}
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: second, SubjectID: f.subjectID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("the second warning has %d matches with the subject: %v", len(ms), err)
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<form method="post" class="same-as"[\s\S]*?</form>`).FindAllString(body, -1) {
		for _, in := range regexp.MustCompile(`name="(\w+)" value="([^"]*)"`).FindAllStringSubmatch(m, -1) {
			form.Set(in[1], html.UnescapeString(in[2]))
		}
	}
	st, _, h := b.post("/matches/"+ms[0].ID+"/confirm", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/messages/"+second) {
		t.Fatalf("one-click confirm: status %d to %q", st, h.Get("Location"))
	}
	got, err := f.node.Store.Match(ctx, ms[0].ID)
	if err != nil || got.Status != forewarn.MatchConfirmed || !strings.Contains(got.Reason, "Same person as the match confirmed on 9 Dec 2014") {
		t.Errorf("after one click the match is %+v, %v", got, err)
	}
}

// TestOwnMessageNeverQueued: France's own request about its subject is linked to the
// subject as known, never put to an analyst as a match to review.
func TestOwnMessageNeverQueued(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now()
	req := &forewarn.Message{To: []string{agencyTR.Code}, Kind: forewarn.KindRequest, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
		Request: &forewarn.Request{Subject: "Information request on Mostefaï", Questions: "Travel?", Deadline: now.Add(72 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}}}}}
	sm, err := f.msgs.Send(ctx, forewarn.UserActor("liaison"), req)
	if err != nil {
		t.Fatal(err)
	}
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: sm.Message.ID})
	if err != nil || len(ms) == 0 {
		t.Fatalf("the request is not linked to the subject: %v", err)
	}
	for _, m := range ms {
		if m.Status != forewarn.MatchConfirmed {
			t.Errorf("the request's link to %s is %s, want confirmed", m.SubjectID, m.Status)
		}
	}
	pending, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: f.subjectID, Status: forewarn.MatchPending})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range pending {
		if m.MessageID == sm.Message.ID {
			t.Error("the node's own request waits for review")
		}
	}
	b := f.browser(t)
	b.login("analyst")
	_, body := b.get("/messages/" + sm.Message.ID)
	if strings.Contains(body, `action="/matches/`+ms[0].ID+`/confirm"`) {
		t.Error("the request's page offers to review its own link")
	}
}

// TestSubjectForms: an analyst edits a subject, takes it off the watch-list and back with
// a reason, links it to another subject found by name, and reads all of it in the
// subject's history; creating a subject redirects, so a reload creates nothing.
func TestSubjectForms(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.login("analyst")
	count := func() int {
		_, n, err := f.node.Store.FindSubjects(ctx, forewarn.SystemActor("test"), forewarn.SubjectFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	st, _, h := b.post("/subjects", url.Values{"name": {"Samy Amimour"}, "born": {"1987"}, "nat": {"FR"}})
	if st != http.StatusSeeOther {
		t.Fatalf("create: status %d, want 303", st)
	}
	other := h.Get("Location")
	if st, _ := b.get(other); st != http.StatusOK { // the reload a tired officer does
		t.Fatalf("the page after creating: status %d", st)
	}
	b.get(other)
	if n := count(); n != before+1 {
		t.Errorf("creating and reloading twice made %d subjects, want 1", n-before)
	}
	otherID := strings.TrimPrefix(strings.Split(other, "?")[0], "/subjects/")

	// Edit: the form shows the record, saving changes it and goes back to the page.
	_, body := b.get("/subjects/" + f.subjectID + "/edit")
	if !strings.Contains(body, `value="Ismaël Omar Mostefaï"`) || !strings.Contains(body, `value="1985-11-21"`) {
		t.Error("the edit form does not show the record")
	}
	st, _, h = b.post("/subjects/"+f.subjectID+"/edit", url.Values{"name": {"Ismaël Omar Mostefaï"}, "aliases": {"Abu Rayan"}, "born": {"1985-11-21"}, "nat": {"FR"}, "birthplace": {"Courcouronnes"}})
	if st != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=edited") {
		t.Fatalf("edit: status %d to %q", st, h.Get("Location"))
	}
	sub, err := f.node.Store.Subject(ctx, forewarn.SystemActor("test"), f.subjectID)
	if err != nil || sub.Birthplace != "Courcouronnes" || len(sub.Names) != 2 || sub.Names[1].Value != "Abu Rayan" || sub.Watch != forewarn.WatchListed {
		t.Errorf("after editing the subject is %+v, %v", sub, err)
	}
	if st, body, _ := b.post("/subjects/"+f.subjectID+"/edit", url.Values{"name": {"Ismaël Omar Mostefaï"}, "born": {"21/11/1985"}}); st != http.StatusBadRequest || !strings.Contains(body, "YYYY") {
		t.Errorf("a bad birth date: status %d, want 400 naming the format", st)
	}

	// Watch-list: a reason is required; the change and its reason are in the history.
	if st, body, _ := b.post("/subjects/"+f.subjectID+"/watch", url.Values{"watch": {"0"}}); st != http.StatusBadRequest || !strings.Contains(body, "say why") {
		t.Errorf("un-watch-list without a reason: status %d, want 400", st)
	}
	if st, _, _ := b.post("/subjects/"+f.subjectID+"/watch", url.Values{"watch": {"0"}, "reason": {"case closed by the prosecutor"}}); st != http.StatusSeeOther {
		t.Fatalf("un-watch-list: status %d", st)
	}
	if sub, _ := f.node.Store.Subject(ctx, forewarn.SystemActor("test"), f.subjectID); sub.Watch != forewarn.WatchNone {
		t.Error("the subject is still watch-listed")
	}
	if st, _, _ := b.post("/subjects/"+f.subjectID+"/watch", url.Values{"watch": {"1"}, "reason": {"new warning"}}); st != http.StatusSeeOther {
		t.Fatalf("watch-list again: status %d", st)
	}

	// Link: find the other by a name part, pick it, link.
	_, body = b.get("/subjects/" + f.subjectID + "?link_q=Amimour")
	if !strings.Contains(body, `name="to" value="`+otherID+`"`) {
		t.Fatalf("the picker does not offer Samy Amimour for “Amimour”")
	}
	st, _, _ = b.post("/subjects/"+f.subjectID+"/links", url.Values{"to": {otherID}, "kind": {"associate_of"}, "source_agency": {"FR-DGSI"}, "grading": {"B2"}, "note": {"same cell"}})
	if st != http.StatusSeeOther {
		t.Fatalf("link: status %d", st)
	}
	links, err := f.node.Store.Associations(ctx, f.subjectID)
	if err != nil || len(links) != 1 || links[0].ToID != otherID || links[0].Kind != forewarn.AssocAssociateOf {
		t.Errorf("links = %+v, %v", links, err)
	}
	if st, body, _ := b.post("/subjects/"+f.subjectID+"/links", url.Values{"kind": {"associate_of"}, "grading": {"B2"}}); st != http.StatusBadRequest || !strings.Contains(body, "pick one") {
		t.Errorf("a link to nobody: status %d, want 400", st)
	}

	_, body = b.get("/subjects/" + f.subjectID + "/history")
	for _, want := range []string{"subject.update", "subject.watch", "case closed by the prosecutor", "new warning", "association.create", "claim.create", "Test analyst (analyst)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the history lacks %q", want)
		}
	}
	if strings.Contains(body, "subject.read") {
		t.Error("the history lists reads")
	}
}

// TestSearchSurnameAlone: a surname alone, or part of a name, finds candidates, weaker ones
// below a line; an empty result says what was searched and what to try.
func TestSearchSurnameAlone(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("analyst")
	for _, q := range []string{"Mostefai", "Ismail", "mostef"} {
		st, body := b.get("/search?purpose=investigation&name=" + url.QueryEscape(q))
		if st != http.StatusOK || !strings.Contains(body, `href="/subjects/`+f.subjectID+`"`) {
			t.Errorf("searching %q does not find the subject (status %d)", q, st)
		}
	}
	_, body := b.get("/search?purpose=investigation&name=mostef")
	if i, j := strings.Index(body, `id="weaker"`), strings.Index(body, `href="/subjects/`+f.subjectID+`"`); i < 0 || j < i {
		t.Error("a partial name's weak candidate is not below the line")
	}
	_, body = b.get("/search?name=Zzyzx+Qwerty&born=1970")
	for _, want := range []string{`id="no-results"`, "Nobody like “Zzyzx Qwerty”, born 1970", "without the birth date", "surname alone"} {
		if !strings.Contains(body, want) {
			t.Errorf("the empty result lacks %q", want)
		}
	}
}

// TestTextIsCompressed: pages and CSS go out gzip-compressed to browsers that accept it,
// and plain to those that do not.
func TestTextIsCompressed(t *testing.T) {
	f := newFixture(t)
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, path := range []string{"/login", "/static/style.css"} {
		for _, enc := range []string{"gzip, deflate, br", ""} {
			req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
			if enc != "" {
				req.Header.Set("Accept-Encoding", enc)
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader = res.Body
			if res.Header.Get("Content-Encoding") == "gzip" {
				if enc == "" {
					t.Errorf("%s is compressed for a client that did not ask", path)
				}
				zr, err := gzip.NewReader(res.Body)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				body = zr
			} else if enc != "" {
				t.Errorf("%s is sent uncompressed to a browser that accepts gzip", path)
			}
			data, err := io.ReadAll(body)
			res.Body.Close()
			if err != nil || res.StatusCode != http.StatusOK || len(data) < 500 {
				t.Errorf("%s (%q): status %d, %d bytes, %v", path, enc, res.StatusCode, len(data), err)
			}
		}
	}
}

// TestOutboxAcknowledgementsNotAwaitingAnswers: the acknowledgement France sends back is
// listed in the outbox as delivered or not, never as "not acknowledged" itself.
func TestOutboxAcknowledgementsNotAwaitingAnswers(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("liaison")
	if st, _, _ := b.post("/messages/"+f.warningID+"/ack", url.Values{"outcome": {"action_taken"}, "reason": {"file opened"}, "disclose": {"desk"}}); st != http.StatusSeeOther {
		t.Fatalf("acknowledge: status %d", st)
	}
	_, body := b.get("/outbox")
	if !strings.Contains(body, "Acknowledgement") {
		t.Fatal("the outbox does not list the acknowledgement sent")
	}
	if strings.Contains(body, "not acknowledged") {
		t.Error("the outbox shows an acknowledgement as \"not acknowledged\"")
	}
}

// TestPeersHealth: the peers page shows each peer's last delivery, backlog, since when it
// fails and why and its key's fingerprint (and, to a reader of messages, links to its
// deliveries).
func TestPeersHealth(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.login("liaison")
	if st, _, _ := b.post("/messages/"+f.warningID+"/ack", url.Values{"outcome": {"action_taken"}, "reason": {"file opened"}, "disclose": {"desk"}}); st != http.StatusSeeOther {
		t.Fatalf("acknowledge: status %d", st)
	}
	out, _, err := f.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut, Limit: 1})
	if err != nil || len(out) != 1 {
		t.Fatalf("no acknowledgement sent: %v", err)
	}
	if err := f.node.Store.DeliveryFailed(ctx, out[0].Message.ID, agencyTR.Code, "connection refused", f.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	a := f.browser(t)
	a.login("admin2")
	_, body := a.get("/admin/peers")
	for _, want := range []string{"failing", "connection refused", "last delivery: never", "backlog: <strong>1</strong>", "SHA256:"} {
		if !strings.Contains(body, want) {
			t.Errorf("the peers page lacks %q", want)
		}
	}
	// An administrator does not read messages: no link to an outbox that would refuse them.
	if strings.Contains(body, `href="/outbox?peer=TR-MIT"`) {
		t.Error("the peers page links an administrator to an outbox they may not open")
	}
	// The failing delivery is retried, and the page says when (not just "not delivered").
	_, body = b.get("/outbox")
	if !strings.Contains(body, "not delivered after 1 attempts (connection refused); trying again at") {
		t.Errorf("a failing delivery does not say when it is tried again:\n%s", body)
	}
}
