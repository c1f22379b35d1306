package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestReviewingAMatchAnswersTheAnalystsAlert: an analyst's match alert asks for a review;
// confirming (or rejecting) the match answers it, so the analyst need not also "record why
// not" (which, on a received warning, sends the reason to its sender). The liaison desk's
// alert on the same message stays until the message is acknowledged.
func TestReviewingAMatchAnswersTheAnalystsAlert(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	open := func(role forewarn.Role) int {
		as, err := f.node.Store.Alerts(ctx, role, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range as {
			if a.Kind == "match" && a.MessageID == f.warningID && a.SubjectID == f.subjectID && a.ResolvedAt.IsZero() {
				n++
			}
		}
		return n
	}
	if open(forewarn.RoleAnalyst) == 0 {
		t.Fatal("the fixture's warning raised no match alert for the analysts")
	}
	liaisonBefore := open(forewarn.RoleLiaison)
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: f.warningID, SubjectID: f.subjectID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("the warning has %d matches with the subject: %v", len(ms), err)
	}
	b := f.browser(t)
	b.login("analyst")
	if st, _, _ := b.post("/matches/"+ms[0].ID+"/confirm", url.Values{"reason": {"names, birth year and nationality agree"}}); st != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", st)
	}
	if n := open(forewarn.RoleAnalyst); n != 0 {
		t.Errorf("%d analyst match alerts stay open after the match was confirmed", n)
	}
	if n := open(forewarn.RoleLiaison); n != liaisonBefore {
		t.Errorf("confirming the match closed the liaison desk's alert (%d open, %d before)", n, liaisonBefore)
	}
	entries, err := f.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "alert.resolve"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || strings.Contains(e.Detail, "the match was confirmed")
		// The reviewer's words may name the person; they stay in the decision's
		// erasable note, never in the chain (retention could not erase them there).
		if strings.Contains(e.Detail, "names, birth year") {
			t.Errorf("the alert's closure copies the reviewer's words into the chain: %q", e.Detail)
		}
	}
	if !found {
		t.Error("the closed alert is not audited with the review")
	}
}
