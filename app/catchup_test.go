package app_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// gatedFeed is a store whose change log reads can be held at their start.
type gatedFeed struct {
	forewarn.Store
	reads   atomic.Int64
	hold    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedFeed) Changes(ctx context.Context, after int64, limit int) ([]forewarn.Change, error) {
	g.reads.Add(1)
	if g.hold.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Store.Changes(ctx, after, limit)
}

// TestCatchUpSharedOnlyWhenItCovers: catch-ups waiting for one under way are spared
// their own read of the log only by one that began after they asked. A caller that asks
// while a read is under way, after a subject was written, still finds the subject.
func TestCatchUpSharedOnlyWhenItCovers(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Start)
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Agency: storetest.Agency.Code})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feed := &gatedFeed{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	mt := app.NewMatcher()
	if err := mt.Load(ctx, feed); err != nil {
		t.Fatal(err)
	}
	feed.hold.Store(true)
	first := make(chan error, 1)
	go func() { _, err := mt.CatchUp(ctx); first <- err }()
	<-feed.entered // the first catch-up began before the subject below is written
	if err := db.CreateSubject(ctx, analyst, storetest.NewSubject("Ismaël Omar Mostefaï")); err != nil {
		t.Fatal(err)
	}
	head, err := db.ChangeHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan int64, 1)
	go func() {
		seen, err := mt.CatchUp(ctx)
		if err != nil {
			t.Error(err)
		}
		second <- seen
	}()
	before := feed.reads.Load()
	close(feed.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if seen := <-second; seen < head {
		t.Errorf("a catch-up asked for after the subject was written is at change %d, want %d: it took the earlier read's word", seen, head)
	}
	if feed.reads.Load() == before {
		t.Errorf("the second catch-up did not read the log")
	}
}
