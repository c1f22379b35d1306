package sqlstore_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

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
	e, conn := postgresEnv(t, "PostgreSQL query plans", 0)
	e.Init()
	e.AddPeers()
	for range 200 {
		e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
	}

	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
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

// TestReceiptsReadByKeyPostgres checks that a batch of receipts, recorded by one
// statement (migration 0443), finds its deliveries by key on a young table (never
// analysed, a backlog of due deliveries): joined to the receipts, PostgreSQL otherwise
// reads every delivery held to record a few.
func TestReceiptsReadByKeyPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL query plans", 0)
	e.Init()
	e.AddPeers()
	var ids []string
	for range 200 {
		ids = append(ids, e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())).Message.ID)
	}

	ctx := context.Background()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n, seq, idx int64
	if err := tx.QueryRowContext(ctx, "SELECT forewarn_record_receipts($1, $2, $3, $4, $5)",
		ids[:3], []string{storetest.PeerFR, storetest.PeerFR, storetest.PeerFR}, []string{"t", "t", "t"}, [][]byte{{1}, {2}, {3}}, []int32{0, 0, 0}).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relid = 'deliveries'::regclass").Scan(&seq, &idx); err != nil {
		t.Fatal(err)
	}
	if n != 3 || seq != 0 || idx == 0 {
		t.Errorf("recording 3 receipts among 200 due deliveries recorded %d, with %d sequential scans and %d index scans of deliveries; want 3, 0 and some", n, seq, idx)
	}
}
