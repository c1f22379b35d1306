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

// TestBrowserReview: in a real browser, on a phone's width, an analyst opens the review
// queue a year and more after two subjects were recorded, keeps one with a reason (its
// next review moves half a year ahead) and erases the other (it is gone, and a tombstone
// remains); then moves the kept one's date again, with a reason.
func TestBrowserReview(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	ctx := context.Background()
	other := &forewarn.Subject{Names: []forewarn.Name{{Value: "Samy Amimour", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1987}, Watch: forewarn.WatchNone}
	if _, err := f.msgs.CreateSubject(ctx, forewarn.UserActor("analyst"), other); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(400 * 24 * time.Hour)
	if n, err := f.msgs.Review(ctx); err != nil || n < 2 {
		t.Fatalf("Review raised %d alerts, %v; want both subjects'", n, err)
	}
	if err := os.MkdirAll(filepath.Join("..", "test-output", "pages"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := newChrome(t, exe)
	base := f.srv.URL
	b.signIn(base, "analyst")
	keep := "#review-" + other.ID
	erase := "#review-" + f.subjectID
	b.run("open the queue", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/reviews"), chromedp.WaitVisible(chromedp.CSS(keep)))
	if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || wide > 390 {
		t.Errorf("the review queue is %d px wide on a 390 px phone (%v)", wide, err)
	}
	b.shot(filepath.Join("..", "test-output", "pages", "reviews-due-390.png"))
	if got := b.text(erase); !strings.Contains(got, "Mostef") {
		t.Errorf("the queue's row for the subject says %q", got)
	}

	b.run("keep Amimour", chromedp.SendKeys(chromedp.CSS(keep+` form[action$="/keep"] input[name=reason]`), "investigation still open"),
		chromedp.Click(chromedp.CSS(keep+` form[action$="/keep"] button`)), chromedp.WaitVisible(chromedp.CSS(`#done-kept`)))
	r, err := f.node.Store.Review(ctx, forewarn.RetainSubject, other.ID)
	if err != nil || r.Reason != "investigation still open" || !r.ReviewAt.After(f.clock.Now().AddDate(0, 5, 0)) {
		t.Errorf("after keeping, the review is %+v, %v", r, err)
	}

	b.run("erase Mostefaï", chromedp.SendKeys(chromedp.CSS(erase+` form[action$="/erase"] input[name=reason]`), "no longer necessary"),
		chromedp.Click(chromedp.CSS(erase+` form[action$="/erase"] button`)), chromedp.WaitVisible(chromedp.CSS(`#done-erased`)))
	if got := b.text("main"); !strings.Contains(got, "Erased") || strings.Contains(got, "Mostef") {
		t.Errorf("after erasing, the page says %q", got)
	}
	if _, err := f.node.Store.Subject(ctx, forewarn.UserActor("analyst"), f.subjectID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the erased subject reads as %v", err)
	}

	// A date not yet due is changed, with a reason (the subject page links here).
	b.run("open Amimour's review", chromedp.Navigate(base+"/reviews?subject="+other.ID), chromedp.WaitVisible(chromedp.CSS(keep)))
	b.run("move it", chromedp.SetValue(chromedp.CSS(keep+` input[name=until]`), "2017-01-31"),
		chromedp.SendKeys(chromedp.CSS(keep+` form[action$="/keep"] input[name=reason]`), "trial set for January"),
		chromedp.Click(chromedp.CSS(keep+` form[action$="/keep"] button`)), chromedp.WaitVisible(chromedp.CSS(`#done-kept`)))
	if r, err := f.node.Store.Review(ctx, forewarn.RetainSubject, other.ID); err != nil || r.Reason != "trial set for January" || r.ReviewAt.Format("2006-01-02") != "2017-01-31" {
		t.Errorf("after moving it, the review is %+v, %v", r, err)
	}
	if ts, err := f.node.Store.Tombstones(ctx, time.Time{}, time.Time{}); err != nil || len(ts) != 1 || ts[0].ObjectID != f.subjectID || ts[0].ErasedBy != "analyst" {
		t.Errorf("tombstones = %+v, %v", ts, err)
	}
}
