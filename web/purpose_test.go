package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/httpapi"
)

// TestPurposePrompt: a subject's record opens only once the user says why, on a prompt
// that names no one and pre-selects the role's default; a purpose that needs free text is
// refused without it; the answer is recorded with the read and remembered for the record
// for thirty minutes; search shows who it found only with a purpose.
func TestPurposePrompt(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.noPurpose = true
	b.login("analyst")
	page := "/subjects/" + f.subjectID

	st, body := b.get(page)
	if st != http.StatusOK || !strings.Contains(body, `id="purpose-form"`) || strings.Contains(body, "Mostefa") {
		t.Fatalf("opening the subject: %d; want the prompt, naming no one:\n%s", st, body)
	}
	if !strings.Contains(body, `<option value="investigation" selected>`) {
		t.Error("the prompt does not pre-select the analyst's default purpose")
	}
	st, body = b.get(page + "?purpose=other")
	if st != http.StatusBadRequest || !strings.Contains(body, "needs a few words") || strings.Contains(body, "Mostefa") {
		t.Errorf("other without text: %d; want 400 saying why, naming no one", st)
	}
	st, body = b.get(page + "?purpose=other&purpose_text=tip+from+the+border+police")
	if st != http.StatusOK || !strings.Contains(body, "Ismaël Omar Mostefaï") || !strings.Contains(body, "other — tip from the border police") {
		t.Fatalf("with a purpose: %d; want the record, saying what it was opened for", st)
	}
	if !f.auditHas(t, "subject.read", "purpose: other — tip from the border police") {
		t.Error("the read is not audited with its purpose")
	}

	// Remembered for the record, for a while: no prompt on the next click.
	f.clock.Advance(20 * time.Minute)
	if st, body = b.get(page); st != http.StatusOK || !strings.Contains(body, "Ismaël Omar Mostefaï") {
		t.Errorf("twenty minutes later: %d; want the record without a prompt", st)
	}
	es, err := f.node.Store.AuditEntries(context.Background(), forewarn.AuditFilter{Action: "subject.read", ObjectID: f.subjectID, Limit: 1000})
	if err != nil || len(es) == 0 || !strings.HasSuffix(es[len(es)-1].Detail, "purpose: other — tip from the border police") {
		t.Errorf("the remembered read is not audited with its purpose: %v", err)
	}
	// "Another purpose" asks again.
	if _, body = b.get(page + "?ask=1"); !strings.Contains(body, `id="purpose-form"`) {
		t.Error("asking for another purpose shows no prompt")
	}
	f.clock.Advance(31 * time.Minute)
	if _, body = b.get(page); !strings.Contains(body, `id="purpose-form"`) || strings.Contains(body, "Mostefa") {
		t.Error("after thirty minutes the record opens without asking again")
	}

	// Search: scores without names until a purpose is given.
	_, body = b.get("/search?name=Omar+Ismail+Mostefai")
	if !strings.Contains(body, `id="details-withheld"`) || strings.Contains(body, "Ismaël Omar Mostefaï") || !strings.Contains(body, "withheld until a purpose is given") {
		t.Errorf("search without a purpose shows who it found:\n%s", body)
	}
	_, body = b.get("/search?name=Omar+Ismail+Mostefai&purpose=investigation")
	if strings.Contains(body, `id="details-withheld"`) || !strings.Contains(body, "Ismaël Omar Mostefaï") {
		t.Error("search with a purpose does not show who it found")
	}
}

// TestMessagePurpose: the persons of a received message are opened for a purpose, as a
// subject is. The page asks first (naming no one, the liaison officer's default chosen),
// records the answer with the read and remembers it; the API refuses the message without
// one (400 naming purpose, audited) and lists received messages without their persons;
// the oversight report lists each consultation with its purpose.
func TestMessagePurpose(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.noPurpose = true
	b.login("liaison")
	page := "/messages/" + f.warningID

	st, body := b.get(page)
	if st != http.StatusOK || !strings.Contains(body, `id="purpose-form"`) || strings.Contains(body, "Mostefai") || strings.Contains(body, "Mostefaï") {
		t.Fatalf("opening the warning: %d; want the prompt, naming no one:\n%s", st, body)
	}
	if !strings.Contains(body, `<option value="liaison-request" selected>`) {
		t.Error("the prompt does not pre-select the liaison officer's default purpose")
	}
	st, body = b.get(page + "?purpose=liaison-request")
	if st != http.StatusOK || !strings.Contains(body, "Omar Ismail Mostefai") || !strings.Contains(body, `id="purpose-note"`) {
		t.Fatalf("with a purpose: %d; want the warning and its person, saying what it was opened for", st)
	}
	if !f.auditHas(t, "message.read", "purpose: liaison-request") {
		t.Error("the read of the message is not audited with its purpose")
	}
	f.clock.Advance(20 * time.Minute)
	if _, body = b.get(page); !strings.Contains(body, "Omar Ismail Mostefai") {
		t.Error("twenty minutes later the warning asks again")
	}
	f.clock.Advance(31 * time.Minute)
	if _, body = b.get(page); !strings.Contains(body, `id="purpose-form"`) || strings.Contains(body, "Omar Ismail Mostefai") {
		t.Error("after thirty minutes the warning opens without asking again")
	}

	// The API: the message needs a purpose; lists show received messages without persons.
	api := httpapi.NewServer(f.node, nil)
	api.SetMessages(f.msgs)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	secret, _, err := app.NewToken(ctx, f.node, forewarn.UserActor("liaison"), "liaison", forewarn.RoleLiaison, "reads")
	if err != nil {
		t.Fatal(err)
	}
	call := func(path, purpose string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		if purpose != "" {
			req.Header.Set("Forewarn-Purpose", purpose)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	st, body = call("/api/v1/messages/"+f.warningID, "")
	if st != http.StatusBadRequest || !strings.Contains(body, `"field": "purpose"`) || strings.Contains(body, "Mostefai") {
		t.Errorf("the warning without a purpose: %d %s; want 400 naming purpose", st, body)
	}
	if !f.auditHas(t, "purpose.refused", "give a purpose") {
		t.Error("the refusal is not audited")
	}
	if st, body = call("/api/v1/messages/"+f.warningID, "threat-assessment"); st != http.StatusOK || !strings.Contains(body, "Omar Ismail Mostefai") {
		t.Errorf("the warning with a purpose: %d", st)
	}
	if !f.auditHas(t, "message.read", "purpose: threat-assessment") {
		t.Error("the API read is not audited with its purpose")
	}
	for _, path := range []string{"/api/v1/messages?direction=in", "/api/v1/messages/" + f.warningID + "/thread", "/api/v1/messages/" + f.warningID + "/related"} {
		st, body = call(path, "")
		if st != http.StatusOK || strings.Contains(body, "Mostefai") || strings.Contains(body, "Mostefaï") {
			t.Errorf("%s without a purpose: %d; want the list without names:\n%s", path, st, body)
		}
		if !strings.Contains(path, "related") && !strings.Contains(body, `"persons_withheld"`) {
			t.Errorf("%s without a purpose does not say persons were withheld", path)
		}
		if st, body = call(path, "investigation"); st != http.StatusOK || (!strings.Contains(path, "related") && !strings.Contains(body, "Omar Ismail Mostefai")) {
			t.Errorf("%s with a purpose: %d; want the persons", path, st)
		}
	}

	rep, err := f.node.OversightReport(ctx, forewarn.UserActor("oversight"), f.clock.Now().Add(-24*time.Hour), f.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, ev := range rep.Consultations {
		if ev.Action == "message.read" && ev.User == "user:liaison" {
			found[ev.Purpose] = true
		}
	}
	if !found["liaison-request"] || !found["threat-assessment"] {
		t.Errorf("the oversight report lists the liaison officer's reads of the warning for %v; want liaison-request and threat-assessment", found)
	}
}

// TestListPurpose: the matches list, the subjects list and the inbox name no one until a
// purpose is given (on the page, the purpose fields in the filter form; remembered for
// thirty minutes), and say so; the API lists matches and subjects without what names the
// persons and refuses one match without a purpose; the oversight report lists the list
// reads with their purposes.
func TestListPurpose(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.browser(t)
	b.noPurpose = true
	b.login("analyst")
	names := []string{"Omar Ismail Mostefai", "Mostefaï"}
	named := func(body string) bool {
		for _, n := range names {
			if strings.Contains(body, n) {
				return true
			}
		}
		return false
	}

	st, body := b.get("/matches")
	if st != http.StatusOK || !strings.Contains(body, `id="details-withheld"`) || named(body) || !strings.Contains(body, `name="purpose"`) {
		t.Fatalf("the matches list without a purpose: %d; want it without names, saying so, with the purpose fields:\n%s", st, body)
	}
	if _, body = b.get("/matches?purpose=investigation"); !strings.Contains(body, "Omar Ismail Mostefai") || !strings.Contains(body, "Ismaël Omar Mostefaï") || strings.Contains(body, `id="details-withheld"`) {
		t.Errorf("the matches list with a purpose does not name the persons")
	}
	if !f.auditHas(t, "match.list", "purpose: investigation") {
		t.Error("the list read is not audited with its purpose")
	}
	f.clock.Advance(20 * time.Minute)
	if _, body = b.get("/matches?status=&sort=-score"); !named(body) {
		t.Error("twenty minutes later the list asks again")
	}
	f.clock.Advance(31 * time.Minute)
	if _, body = b.get("/matches"); named(body) {
		t.Error("after thirty minutes the list still names the persons without asking")
	}

	// The subjects list and the inbox: who the subjects are only for a purpose.
	if _, body = b.get("/subjects"); named(body) || !strings.Contains(body, `id="details-withheld"`) || !strings.Contains(body, `href="/subjects/`+f.subjectID+`"`) {
		t.Errorf("the subjects list without a purpose names them, or lists no one:\n%s", body)
	}
	if _, body = b.get("/subjects?purpose=investigation"); !strings.Contains(body, "Ismaël Omar Mostefaï") {
		t.Error("the subjects list with a purpose does not name them")
	}
	if !f.auditHas(t, "subject.list", "purpose: investigation") {
		t.Error("the subjects list read is not audited with its purpose")
	}
	lb := f.browser(t)
	lb.noPurpose = true
	lb.login("liaison")
	if _, body = lb.get("/inbox"); named(body) || !strings.Contains(body, "You hold this person") || !strings.Contains(body, `id="details-withheld"`) {
		t.Errorf("the inbox without a purpose names the subject, or hides that it is held:\n%s", body)
	}
	if _, body = lb.get("/inbox?purpose=liaison-request"); !strings.Contains(body, "Ismaël Omar Mostefaï") {
		t.Error("the inbox with a purpose does not name the subject held")
	}
	// The alerts: a match's alert says who only for a purpose; an escalation's is whole.
	if _, body = lb.get("/alerts?ask=1"); named(body) || !strings.Contains(body, "who is withheld until a purpose is given") || !strings.Contains(body, "is not acknowledged") {
		t.Errorf("the alerts without a purpose name the persons, or hide the escalation:\n%s", body)
	}
	if _, body = lb.get("/alerts?purpose=liaison-request"); !strings.Contains(body, "Omar Ismail Mostefai") {
		t.Error("the alerts with a purpose do not name the persons")
	}
	if !f.auditHas(t, "alert.list", "purpose: liaison-request") {
		t.Error("the alerts read is not audited with its purpose")
	}

	api := httpapi.NewServer(f.node, nil)
	api.SetMessages(f.msgs)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	secret, _, err := app.NewToken(ctx, f.node, forewarn.UserActor("analyst"), "analyst", forewarn.RoleAnalyst, "reads")
	if err != nil {
		t.Fatal(err)
	}
	call := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	if st, body = call("/api/v1/matches"); st != http.StatusOK || named(body) || !strings.Contains(body, `"details_withheld"`) {
		t.Errorf("the matches API without a purpose: %d; want the matches without names:\n%s", st, body)
	}
	if st, body = call("/api/v1/matches?purpose=threat-assessment"); st != http.StatusOK || !strings.Contains(body, "Omar Ismail Mostefai") {
		t.Errorf("the matches API with a purpose: %d; want the names", st)
	}
	if st, body = call("/api/v1/alerts"); st != http.StatusOK || named(body) || !strings.Contains(body, `"details_withheld"`) {
		t.Errorf("the alerts API without a purpose: %d; want the alerts without names:\n%s", st, body)
	}
	if st, body = call("/api/v1/alerts?purpose=investigation"); st != http.StatusOK || !named(body) {
		t.Errorf("the alerts API with a purpose: %d; want the names", st)
	}
	if st, body = call("/api/v1/subjects"); st != http.StatusOK || named(body) || !strings.Contains(body, f.subjectID) || !strings.Contains(body, `"details_withheld"`) {
		t.Errorf("the subjects API without a purpose: %d; want the subjects by ID, without names:\n%s", st, body)
	}
	if st, body = call("/api/v1/subjects?purpose=investigation"); st != http.StatusOK || !strings.Contains(body, "Ismaël Omar Mostefaï") {
		t.Errorf("the subjects API with a purpose: %d; want the names", st)
	}
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{Limit: 1})
	if err != nil || len(ms) == 0 {
		t.Fatalf("the fixture holds no match: %v", err)
	}
	if st, body = call("/api/v1/matches/" + ms[0].ID); st != http.StatusBadRequest || !strings.Contains(body, `"field": "purpose"`) || named(body) {
		t.Errorf("one match without a purpose: %d %s; want 400 naming purpose", st, body)
	}
	if st, body = call("/api/v1/matches/" + ms[0].ID + "?purpose=investigation"); st != http.StatusOK || !named(body) {
		t.Errorf("one match with a purpose: %d", st)
	}

	rep, err := f.node.OversightReport(ctx, forewarn.UserActor("oversight"), f.clock.Now().Add(-24*time.Hour), f.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, ev := range rep.Consultations {
		if ev.User == "user:analyst" {
			found[ev.Action+" "+ev.Purpose] = true
		}
	}
	for _, want := range []string{"match.list investigation", "match.list threat-assessment", "match.read investigation"} {
		if !found[want] {
			t.Errorf("the oversight report lacks the consultation %q: %v", want, found)
		}
	}
}
