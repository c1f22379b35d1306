package web_test

import (
	"context"
	"net/http"
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
