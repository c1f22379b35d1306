package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestFeedsPageShowsUnhealthy: the feeds page marks a feed whose last poll failed
// unhealthy, with why; the peers page leads there; others than administrators of peers
// are refused.
func TestFeedsPageShowsUnhealthy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	feed := &forewarn.Feed{Agency: agencyTR.Code, URL: "http://127.0.0.1:9/taxii2/api/", Collection: "c1", Secret: "s", Interval: time.Hour}
	if err := f.node.Store.AddFeed(ctx, forewarn.SystemActor("test"), feed); err != nil {
		t.Fatal(err)
	}
	feed.Failures, feed.LastError = 3, "http://127.0.0.1:9/taxii2/api/collections/c1/objects/ timed out"
	if err := f.node.Store.RecordFeedPoll(ctx, forewarn.SystemActor("test"), feed, nil); err != nil {
		t.Fatal(err)
	}
	a := f.browser(t)
	a.login("admin2")
	st, body := a.get("/admin/feeds")
	if st != http.StatusOK || !strings.Contains(body, "unhealthy") || !strings.Contains(body, "3 failed poll(s) in a row") || !strings.Contains(body, "timed out") {
		t.Fatalf("feeds page: status %d\n%s", st, body)
	}
	if _, body := a.get("/admin/peers"); !strings.Contains(body, `href="/admin/feeds"`) {
		t.Fatal("the peers page does not lead to the feeds")
	}
	b := f.browser(t)
	b.login("analyst")
	if st, _ := b.get("/admin/feeds"); st != http.StatusForbidden {
		t.Fatalf("an analyst opened the feeds page: %d", st)
	}
}
