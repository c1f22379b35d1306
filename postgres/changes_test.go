package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlstore"
)

// TestChangesCommitInSeqOrder: two transactions writing subjects with plain SQL (no audit
// head, as a careless importer might) still commit their changes in seq order: the
// second waits at its first write until the first ends, so a reader that has read past
// the second's seq can never later find the first's.
func TestChangesCommitInSeqOrder(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "forewarn_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
	store, err := postgres.Open(ctx, withSearchPath(dsn, schema), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := sql.Open("pgx", withSearchPath(dsn, schema))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	insert := func(tx *sql.Tx, id string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO subjects (id, primary_name, watch, data, created_at, updated_at)
			VALUES ($1, $1, 'none', '{"names":[{"value":"X"}]}', '2014-12-03T09:00:00.000000000Z', '2014-12-03T09:00:00.000000000Z')`, id)
		return err
	}
	first, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if err := insert(first, "first"); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	pid := make(chan int, 1)
	go func() {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil {
			var p int
			if err = tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&p); err == nil {
				pid <- p
				if err = insert(tx, "second"); err == nil {
					err = tx.Commit()
				}
			}
			if err != nil {
				tx.Rollback()
			}
		}
		close(pid)
		second <- err
	}()
	p, ok := <-pid
	if !ok {
		t.Fatalf("second writer: %v", <-second)
	}
	// The second writer must be waiting on a lock (the change head), not done.
	waiting := false
	for i := 0; i < 200 && !waiting; i++ {
		var event sql.NullString
		if err := admin.QueryRowContext(ctx, "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", p).Scan(&event); err != nil {
			t.Fatal(err)
		}
		if waiting = event.String == "Lock"; !waiting {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !waiting {
		t.Fatal("the second writer never waited for the first")
	}
	select {
	case err := <-second:
		t.Fatalf("the second writer finished (%v) while the first was still open", err)
	default:
	}
	if cs, err := store.Changes(ctx, 0, 10); err != nil || len(cs) != 0 {
		t.Fatalf("with nothing committed, Changes = %+v, %v; want none", cs, err)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	cs, err := store.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != "first" || cs[1].ID != "second" || cs[0].Seq >= cs[1].Seq {
		t.Fatalf("changes = %+v, want first then second, in seq order", cs)
	}
}
