package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// otherIndex finds the index of deliveries or messages a step of a plan reads through.
var otherIndex = regexp.MustCompile(`(?:using|Bitmap Index Scan on) ((?:deliveries|messages)_[a-z_]+)`)

// TestHotQueriesReadByKeyPostgres checks that the delivery worker's per-batch queries
// look their deliveries up by primary key on PostgreSQL too, and the change log's
// catch-up its messages, in the plan it keeps for a prepared statement (generic), with a
// backlog of due deliveries to one peer and before any statistics are gathered, which is
// how a burst of sends finds a new node: recording a receipt through the index of a
// peer's due deliveries read every one of them, for each receipt, with the audit head
// held, and the catch-up read every message received. (A sequential scan of a table the planner
// thinks small is its choice to make.)
func TestHotQueriesReadByKeyPostgres(t *testing.T) {
	dsn := os.Getenv("FOREWARN_TEST_POSTGRES")
	if dsn == "" {
		testdata.Skip(t, "PostgreSQL query plans", "set FOREWARN_TEST_POSTGRES=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run them")
	}
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
	t.Cleanup(func() { admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	e := storetest.NewEnv(t, func(t *testing.T, opts sqlstore.Options) forewarn.Store {
		db, err := postgres.Open(ctx, dsn+sep+"search_path="+schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, 0)
	e.Init()
	e.AddPeers()
	for range 200 {
		e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
	}

	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET search_path = " + schema, "SET plan_cache_mode = force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []int{1, 16} {
		for name, q := range sqlstore.HotQueries(n) {
			q = sqlstore.Rebind(q)
			if _, err := conn.ExecContext(ctx, "PREPARE hot AS "+q); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			nulls := strings.TrimSuffix(strings.Repeat("NULL, ", strings.Count(q, "$")), ", ")
			rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE hot("+nulls+")")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, strings.TrimSpace(line))
			}
			rows.Close()
			if _, err := conn.ExecContext(ctx, "DEALLOCATE hot"); err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				// A sequential scan is the planner's choice for a table it thinks small; an
				// index other than the key is the trap.
				if m := otherIndex.FindStringSubmatch(step); m != nil && m[1] != "deliveries_pkey" && m[1] != "messages_pkey" {
					t.Errorf("%s with %d keys reads %s other than by key: %q\n%s", name, n, strings.SplitN(m[1], "_", 2)[0], step, strings.Join(plan, "\n"))
				}
			}
		}
	}
}
