package app_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// TestMatcherFollowsStore: the match index is a cache of the store. Whatever another
// handle on the same database writes (subjects created, updated, deleted; messages
// received and removed) is in the index at the next search, and nothing else is.
func TestMatcherFollowsStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "forewarn.db")
	clock := storetest.NewClock(storetest.Start)
	signer := storetest.NewSigner()
	open := func() *sqlstore.DB {
		db, err := sqlite.Open(path, sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	n := app.New(open(), clock, signer, nil)
	if _, err := n.Initialize(ctx, storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := n.LoadMatcher(ctx); err != nil {
		t.Fatal(err)
	}
	other := open() // as another process would: the node's matcher is not told
	find := func(name string) []app.SearchResult {
		t.Helper()
		rs, err := n.Search(ctx, analyst, match.Person{Names: []string{name}}, 5, 0.8)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	wantFound := func(name, kind string, found bool) {
		t.Helper()
		rs := find(name)
		got := false
		for _, r := range rs {
			got = got || r.Kind == kind
		}
		if got != found {
			t.Errorf("search for %q finds a %s: %v, want %v (%+v)", name, kind, got, found, rs)
		}
	}

	s := storetest.NewSubject("Ismaël Omar Mostefaï")
	if err := other.CreateSubject(ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	wantFound("Ismael Omar Mostefai", "subject", true)

	s.Names = []forewarn.Name{{Value: "Abdelhamid Abaaoud", Kind: forewarn.NamePrimary}}
	if err := other.UpdateSubject(ctx, analyst, s); err != nil {
		t.Fatal(err)
	}
	wantFound("Abdelhamid Abaaoud", "subject", true)
	wantFound("Ismael Omar Mostefai", "subject", false)

	e := &storetest.Env{T: t, Ctx: ctx, Store: other, Clock: clock, Signer: signer}
	e.AddPeers()
	in := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, clock.Now()))
	wantFound("Omar Ismail Mostefai", "person", true)

	raw, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{"DELETE FROM subjects WHERE id = ?", "DELETE FROM deliveries WHERE message_id = ?",
		"DELETE FROM message_recipients WHERE message_id = ?", "DELETE FROM messages WHERE id = ?"} {
		id := in.Message.ID
		if q == "DELETE FROM subjects WHERE id = ?" {
			id = s.ID
		}
		if _, err := raw.Exec(q, id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	wantFound("Abdelhamid Abaaoud", "subject", false)
	wantFound("Omar Ismail Mostefai", "person", false)
	if got := n.Matcher.Index.Len(); got != 0 {
		t.Errorf("the index holds %d entries after everything was deleted, want 0", got)
	}
}
