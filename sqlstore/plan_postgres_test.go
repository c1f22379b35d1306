package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
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
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	// Planned when the tables are empty, as a new node plans them and then keeps the plan
	// (a change's received message was read through the (direction, urgency) index, every
	// received message for each), and when a backlog has come.
	checkPlans(t, conn, "empty")
	for range 200 {
		e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
		e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	}
	checkPlans(t, conn, "backlog")
}

// checkPlans fails unless each of the hot queries, in the generic plan conn makes of it
// now, reads deliveries and messages by key or by a scan of the table.
func checkPlans(t *testing.T, conn *sql.Conn, when string) {
	t.Helper()
	ctx := context.Background()
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
					t.Errorf("%s with %d keys, planned with tables %s, reads %s other than by key: %q\n%s", name, n, when, strings.SplitN(m[1], "_", 2)[0], step, strings.Join(plan, "\n"))
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

// TestMatchedChangesReadByKeyPostgres checks that the change log's check of late arrivals
// (migration 0444) reads the changes after a Seq by key in a young log (never analysed),
// where PostgreSQL otherwise scans and sorts the whole log for the few changes after it.
func TestMatchedChangesReadByKeyPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL query plans", 0)
	e.Init()
	e.AddPeers()
	ctx := context.Background()
	// A log of 2,000 changes, as subjects imported would leave, then an arrival.
	if _, err := conn.ExecContext(ctx, "INSERT INTO changes (kind, object_id) SELECT 'subject', 'imported-' || g FROM generate_series(1, 2000) AS g"); err != nil {
		t.Fatal(err)
	}
	last := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())).Message.ID

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var top, seq, scans, idx int64
	if err := tx.QueryRowContext(ctx, "SELECT MAX(seq) FROM changes").Scan(&top); err != nil {
		t.Fatal(err)
	}
	// Matched through the change before the last arrival's, which is its own and so passes.
	if err := tx.QueryRowContext(ctx, "SELECT * FROM forewarn_matched_changes($1, $2, $3, $4, 256)", top-1, []int64{}, []string{last}, []string{last}).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRowContext(ctx, "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relid = 'changes'::regclass").Scan(&scans, &idx); err != nil {
		t.Fatal(err)
	}
	if seq != top || scans != 0 || idx == 0 {
		t.Errorf("the check of an arrival after 2,000 changes read Seq %d (want %d), with %d sequential scans and %d index scans of the change log; want none and some", seq, top, scans, idx)
	}
}

// TestRecipientsWrittenOncePostgres checks that PostgreSQL, as SQLite, writes no
// message_recipients rows for a message whose deliveries name its recipients (a sent
// message; a received one addressed to this node alone), and writes them for a received
// message addressed to others too, which the peer filter reads them for.
func TestRecipientsWrittenOncePostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL recipients", 0)
	e.Init()
	e.AddPeers()
	sent := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
	alone := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	others := e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code, storetest.PeerDE}, e.Clock.Now()))
	for id, want := range map[string]int{sent.Message.ID: 0, alone.Message.ID: 0, others.Message.ID: 2} {
		var n int
		if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM message_recipients WHERE message_id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("message %s: %d recipient rows, want %d", id, n, want)
		}
	}
}

// TestListsMergeIndexRangesPostgres checks that a page of the message list of both
// directions, in each order, can read one range of the per-direction index for each
// direction and merge them (migration 0457 dropped the indexes over every message that
// answered it before), rather than read and sort every message. On a table this small
// the planner prefers reading it whole and sorting it; told not to, it must still find
// the order in the indexes.
func TestListsMergeIndexRangesPostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL query plans", 0)
	e.Init()
	e.AddPeers()
	ctx := context.Background()
	for range 300 {
		e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now()))
		e.Receive(storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now()))
	}
	for _, q := range []string{"ANALYZE messages", "SET enable_seqscan = off", "SET enable_sort = off"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for name, q := range sqlstore.ListPages(e.Store.(*sqlstore.DB)) {
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+sqlstore.Rebind(q.SQL), q.Args...)
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
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "Merge Append") || strings.Count(all, "messages_direction_") != 2 || strings.Contains(all, "Seq Scan on messages") {
			t.Errorf("%s: want a merge of one range of a per-direction index for each direction, planned:\n%s", name, all)
		}
	}
}

// TestMatchedChangesDecidesAsBeforePostgres checks the change log's check of late arrivals
// as migration 0459 joins it by hash, with as many arrivals told of and being stored as a
// recipient has in flight: each arrival's own change is found, changes told of or being
// stored once pass, and it fails for a change neither told nor being stored, for a message
// changed twice since (being stored or not), and for more changes than the bound.
func TestMatchedChangesDecidesAsBeforePostgres(t *testing.T) {
	e, conn := postgresEnv(t, "PostgreSQL query plans", 0)
	e.Init()
	ctx := context.Background()
	var from int64
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM changes").Scan(&from); err != nil {
		t.Fatal(err)
	}
	// 300 arrivals' changes after from: the first 150 told of, the rest being stored.
	if _, err := conn.ExecContext(ctx, "INSERT INTO changes (kind, object_id) SELECT 'message', 'm-' || g FROM generate_series(1, 300) AS g"); err != nil {
		t.Fatal(err)
	}
	var told []int64
	var storing []string
	for i := int64(1); i <= 300; i++ {
		if i <= 150 {
			told = append(told, from+i)
		} else {
			storing = append(storing, fmt.Sprintf("m-%d", i))
		}
	}
	check := func(told []int64, storing, ids []string, bound int) ([]int64, error) {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		rows, err := tx.QueryContext(ctx, "SELECT * FROM forewarn_matched_changes($1, $2, $3, $4, $5)", from, told, storing, ids, bound)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var seqs []int64
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			seqs = append(seqs, s)
		}
		return seqs, rows.Err()
	}
	ids := []string{"m-300", "m-151", "m-299"}
	if got, err := check(told, storing, ids, 512); err != nil || !slices.Equal(got, []int64{from + 300, from + 151, from + 299}) {
		t.Fatalf("every change told of or being stored: %v, %v; want the arrivals' own Seqs in their order", got, err)
	}
	if _, err := check(told[1:], storing, ids, 512); err == nil {
		t.Error("a change neither told of nor being stored passed")
	}
	if _, err := check(told, storing, ids, 256); err == nil {
		t.Error("300 changes passed a bound of 256")
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO changes (kind, object_id) VALUES ('message', 'm-200')"); err != nil {
		t.Fatal(err)
	}
	if _, err := check(told, storing, ids, 512); err == nil {
		t.Error("a message being stored and changed twice since passed")
	}
}
