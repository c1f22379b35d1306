package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
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
