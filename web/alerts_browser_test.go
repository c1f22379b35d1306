package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/forewarn/forewarn"
)

// openAlerts counts the open alerts of kind on message for role, about the fixture's
// subject ("told before" alerts, about persons in earlier messages, name none).
func openAlerts(t *testing.T, f *fixture, role forewarn.Role, kind, message string) int {
	t.Helper()
	as, err := f.node.Store.Alerts(context.Background(), role, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range as {
		if a.Kind == kind && a.MessageID == message && a.SubjectID == f.subjectID && a.ResolvedAt.IsZero() {
			n++
		}
	}
	return n
}

// TestAlertReviewInBrowser: on a phone, an analyst sees the match alert the warning
// raised, follows "Review the match" (through the purpose prompt, which opens the message
// at that match), confirms with a reason and is back on the alerts, which name the
// decision and no longer list the alert; the liaison desk's alert on the same warning
// still waits for its acknowledgement. A second warning about the same man then offers
// the one-click confirm on the alert itself, which closes it the same way. Screenshots:
// test-output/pages/alert-review-*.png.
func TestAlertReviewInBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ms, _, err := f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: f.warningID, SubjectID: f.subjectID})
	if err != nil || len(ms) != 1 || ms[0].Status != forewarn.MatchPending {
		t.Fatalf("the warning's matches with the subject: %+v, %v", ms, err)
	}
	m := ms[0]
	if openAlerts(t, f, forewarn.RoleAnalyst, "match", f.warningID) != 1 {
		t.Fatal("the fixture's warning raised no analysts' match alert")
	}
	liaisonBefore := openAlerts(t, f, forewarn.RoleLiaison, "match", f.warningID)

	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "analyst")
	row := `li.alert-match:has(a.review-match[href*="review=` + m.ID + `"])`
	b.run("open the alerts", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/alerts?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot(filepath.Join(shots, "alert-review-1-alerts-390.png"))
	if got := b.text(row); !strings.Contains(got, "Ismaël Omar Mostefaï") || !strings.Contains(got, "Review the match") {
		t.Errorf("the match alert says %q", got)
	}
	// Its answer is the review: the alert offers no acknowledgement, which is not the
	// analysts' to give, and keeps "not ours" folded away.
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+row+` a[href*="#ack"]').length`)); err != nil || n != 0 {
		t.Errorf("the analysts' match alert offers %d acknowledgements (%v)", n, err)
	}

	b.run("review the match", chromedp.Click(chromedp.CSS(row+` a.review-match`)), chromedp.WaitVisible(chromedp.CSS(`#purpose-form`)),
		chromedp.Click(chromedp.CSS(`#purpose-form button`)), chromedp.WaitVisible(chromedp.CSS(`article.match.asked form.review`)))
	at, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.hash`))
	if err != nil || at != "#match-"+m.ID {
		t.Errorf("the purpose prompt's answer opened the message at %q, want the match (%v)", at, err)
	}
	if id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('article.match.asked').id`)); err != nil || id != "match-"+m.ID {
		t.Errorf("the match asked for is %q (%v)", id, err)
	}
	b.shot(filepath.Join(shots, "alert-review-2-match-390.png"))

	b.run("confirm", chromedp.SendKeys(chromedp.CSS(`article.match.asked form.review input[name=reason]`), "names, birth year and nationality agree"),
		chromedp.Click(chromedp.CSS(`article.match.asked form.review button.primary`)), chromedp.WaitVisible(chromedp.CSS(`#reviewed`)))
	b.shot(filepath.Join(shots, "alert-review-3-closed-390.png"))
	if got := b.text("#reviewed"); !strings.Contains(got, "Match confirmed in the") || !strings.Contains(got, "Fifth individual identified") || !strings.Contains(got, "its alert is closed") {
		t.Errorf("back on the alerts, the page says %q", got)
	}
	if gone, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('`+row+`') === null`)); err != nil || !gone {
		t.Errorf("the reviewed match's alert is still listed (%v)", err)
	}
	if got, err := f.node.Store.Match(ctx, m.ID); err != nil || got.Status != forewarn.MatchConfirmed || got.DecidedBy != "analyst" || got.Reason != "names, birth year and nationality agree" {
		t.Errorf("the match after the review: %+v, %v", got, err)
	}
	if n := openAlerts(t, f, forewarn.RoleAnalyst, "match", f.warningID); n != 0 {
		t.Errorf("%d analysts' match alerts stay open after the review", n)
	}
	if n := openAlerts(t, f, forewarn.RoleLiaison, "match", f.warningID); n != liaisonBefore {
		t.Errorf("the review closed the liaison desk's alert: %d open, %d before", n, liaisonBefore)
	}
	b.run("see the decision", chromedp.Click(chromedp.CSS(`#reviewed a`)), chromedp.WaitVisible(chromedp.CSS(`#match-`+m.ID)))
	if got := b.text(`#match-` + m.ID); !strings.Contains(got, "confirmed by Test analyst") {
		t.Errorf("the decision on the message page: %q", got)
	}

	// The same man again: the alert itself offers the earlier confirmation, in one click.
	f.clock.Advance(time.Hour)
	second := f.receiveWarning(t, "Second notification on the fifth individual")
	ms, _, err = f.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: second, SubjectID: f.subjectID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("the second warning's matches: %+v, %v", ms, err)
	}
	again := `li.alert-match:has(form.same-as[action="/matches/` + ms[0].ID + `/confirm"])`
	b.run("open the alerts again", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/alerts?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(again)))
	b.shot(filepath.Join(shots, "alert-review-4-same-as-1366.png"))
	if got := b.text(again + ` form.same-as`); !strings.Contains(got, "Same as the match confirmed on") || !strings.Contains(got, "names, birth year and nationality agree") {
		t.Errorf("the one-click confirm on the alert says %q", got)
	}
	b.run("confirm in one click", chromedp.Click(chromedp.CSS(again+` form.same-as button`)), chromedp.WaitVisible(chromedp.CSS(`#reviewed`)))
	b.shot(filepath.Join(shots, "alert-review-5-same-as-closed-1366.png"))
	if got := b.text("#reviewed"); !strings.Contains(got, "Match confirmed in the") || !strings.Contains(got, "Second notification") {
		t.Errorf("after one click the page says %q", got)
	}
	if got, err := f.node.Store.Match(ctx, ms[0].ID); err != nil || got.Status != forewarn.MatchConfirmed || !strings.Contains(got.Reason, "Same person as the match confirmed on") {
		t.Errorf("the repeated match after one click: %+v, %v", got, err)
	}
	if n := openAlerts(t, f, forewarn.RoleAnalyst, "match", second); n != 0 {
		t.Errorf("%d analysts' match alerts on the second warning stay open after one click", n)
	}
}

// TestAlertKindsExplainedInBrowser: the alerts page says, for each kind of alert, what
// answers it — an escalation the acknowledgement (or a reason), a match its review, a
// retention review keeping or erasing — in English and in French, and each alert offers
// that answer: the liaison officer's escalation leads to the acknowledgement form, the
// analyst's match alert to the review, the review alert to the review queue. Screenshots:
// test-output/pages/alert-kinds-*.png.
func TestAlertKindsExplainedInBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	shots := filepath.Join("..", "test-output", "pages")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// A year and more on, the subject and the warning come to their retention review.
	f.clock.Advance(400 * 24 * time.Hour)
	if n, err := f.msgs.Review(ctx); err != nil || n == 0 {
		t.Fatalf("Review raised %d alerts, %v", n, err)
	}
	explained := map[string]map[string][]string{ // language → kind as the page writes it → what its answer says
		"en": {
			"escalation":    {"Acknowledge the message you received", "the reason it is not yours to act on", "closes when the partner acknowledges it"},
			"match":         {"Review the match", "confirming or rejecting it, with your reason, closes the analysts' alert", "closes when the message is acknowledged"},
			"review":        {"Keep it, with a reason and a new review date, or erase it"},
			"private match": {"Record what was done about it"},
		},
		"fr": {
			"relance":                       {"Accusez réception du message reçu", "la raison pour laquelle il n’est pas de votre ressort", "quand le partenaire en accuse réception"},
			"correspondance":                {"Examinez la correspondance", "la confirmer ou la rejeter, motif à l’appui, clôt l’alerte des analystes", "avec l’accusé de réception du message"},
			"réexamen":                      {"Conservez-le, avec un motif et une nouvelle date de réexamen, ou effacez-le"},
			"correspondance confidentielle": {"Enregistrez la suite qui y a été donnée"},
		},
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	for _, lang := range []string{"en", "fr"} {
		for _, name := range []string{"analyst", "liaison"} {
			u, err := f.node.Store.UserByUsername(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			u.Language = lang
			if err := f.node.Store.UpdateUser(ctx, forewarn.UserActor(name), u); err != nil {
				t.Fatal(err)
			}
		}
		b.signIn(base, "analyst")
		// The explanation is folded under the lead, so that on a phone the alerts come first.
		b.run("open the alerts", chromedp.EmulateViewport(1366, 900), chromedp.Navigate(base+"/alerts?purpose=investigation"), chromedp.WaitVisible(chromedp.CSS(`#alert-kinds-more summary`)),
			chromedp.Click(chromedp.CSS(`#alert-kinds-more summary`)), chromedp.WaitVisible(chromedp.CSS(`#alert-kinds`)))
		b.shot(filepath.Join(shots, "alert-kinds-"+lang+"-analyst-1366.png"))
		said, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('#alert-kinds dt')].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\s+/g, ' ')]))`))
		if err != nil {
			t.Fatal(err)
		}
		for kind, want := range explained[lang] {
			for _, w := range want {
				if !strings.Contains(said[kind], w) {
					t.Errorf("%s: the page says of %q alerts %q, which lacks %q", lang, kind, said[kind], w)
				}
			}
		}
		if len(said) != len(explained[lang]) {
			t.Errorf("%s: the page explains %d kinds of alert (%v), want %d", lang, len(said), said, len(explained[lang]))
		}
		// The old rule, true of escalations only, is gone.
		if got := b.text("main"); strings.Contains(got, "An alert closes when its message is acknowledged") || strings.Contains(got, "Une alerte se clôt quand son message") {
			t.Errorf("%s: the page still says every alert closes with its message's acknowledgement", lang)
		}
		// Each alert offers its own answer.
		if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('li.alert-match a.review-match[href*="/messages/`+f.warningID+`?review="]').length`)); err != nil || n != 1 {
			t.Errorf("%s: %d match alerts lead to the review (%v)", lang, n, err)
		}
		review := `li.alert-review a[href="/reviews#review-` + f.subjectID + `"]`
		b.run("keep or erase", chromedp.Click(chromedp.CSS(review)), chromedp.WaitVisible(chromedp.CSS(`#review-`+f.subjectID+` form[action$="/keep"]`)))

		b.signIn(base, "liaison")
		escalation := `li.alert-escalation a[href="/messages/` + f.warningID + `?at=ack#ack"]`
		b.run("open the liaison desk's alerts", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/alerts?purpose=liaison-request"), chromedp.WaitVisible(chromedp.CSS(escalation)))
		b.shot(filepath.Join(shots, "alert-kinds-"+lang+"-liaison-390.png"))
		if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('a.review-match').length`)); err != nil || n != 0 {
			t.Errorf("%s: the liaison officer, who does not review matches, is offered %d reviews (%v)", lang, n, err)
		}
		// Asked why the first time; the purpose is then remembered for the message.
		b.run("acknowledge", chromedp.Click(chromedp.CSS(escalation)), chromedp.WaitVisible(chromedp.CSS(`#purpose-form, #ack`)))
		if asked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('#purpose-form') !== null`)); err != nil {
			t.Fatal(err)
		} else if asked {
			b.run("give the purpose", chromedp.Click(chromedp.CSS(`#purpose-form button`)))
		}
		b.run("wait for the acknowledgement form", chromedp.WaitVisible(chromedp.CSS(`#ack`)))
		if at, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.hash`)); err != nil || at != "#ack" {
			t.Errorf("%s: the escalation's answer opened the message at %q, want the acknowledgement form (%v)", lang, at, err)
		}
	}
}
