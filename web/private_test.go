package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestPrivatePageNamesSubjects: the subjects of this node that matched a partner's
// private question are named, and linked, once a purpose is given, each read audited
// with it; before, they are withheld like every list of subjects; never by their IDs.
func TestPrivatePageNamesSubjects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sys := forewarn.SystemActor("test")
	if err := f.node.Store.SetPrivateLimit(ctx, sys, agencyTR.Code, 10); err != nil {
		t.Fatal(err)
	}
	q := &forewarn.PrivateQuery{ID: forewarn.NewID(f.clock.Now()), Direction: forewarn.DirectionIn, Peer: agencyTR.Code, Persons: 1,
		Digest: strings.Repeat("ab", 32), Epoch: "e1"}
	if err := f.node.Store.AcceptPrivateQuery(ctx, sys, q, f.clock.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.node.Store.RecordPrivateReport(ctx, sys, agencyTR.Code, q.ID, []forewarn.PrivateResult{{Person: 0, Band: "strong", SubjectID: f.subjectID}}, nil); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.noPurpose = true
	b.login("liaison")
	link := `href="/subjects/` + f.subjectID + `"`
	st, body := b.get("/private")
	if st != http.StatusOK || strings.Contains(body, "Mostefaï") || !strings.Contains(body, `id="details-withheld"`) || !strings.Contains(body, `name="purpose"`) || !strings.Contains(body, link) {
		t.Fatalf("without a purpose: %d; want the subject withheld but linked, saying so, with the purpose fields:\n%s", st, body)
	}
	st, body = b.get("/private?purpose=liaison-request")
	if st != http.StatusOK || !strings.Contains(body, `<a href="/subjects/`+f.subjectID+`">Ismaël Omar Mostefaï</a>`) {
		t.Fatalf("with a purpose: %d; want the subject named and linked:\n%s", st, body)
	}
	if text := pageText(body); strings.Contains(text, f.subjectID) {
		t.Errorf("the page shows the subject's ID:\n%s", text)
	}
	if !f.auditHas(t, "subject.read", "purpose: liaison-request") {
		t.Error("naming the subject is not an audited read with its purpose")
	}
}
