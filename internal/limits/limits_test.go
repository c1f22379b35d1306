package limits_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/limits"
	"github.com/forewarn/forewarn/sqlite"
)

// scanTable makes a SQLite file with n rows of 512 bytes and returns it open.
func scanTable(tb testing.TB, n int) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(tb.TempDir(), "scan.db")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b BLOB)"); err != nil {
		tb.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	body := make([]byte, 512)
	for i := range n {
		if _, err := tx.Exec("INSERT INTO t (a, b) VALUES (?, ?)", "row", append(body[:0:0], body...)); err != nil {
			tb.Fatal(err, i)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return db
}

func TestLimitsMeasure(t *testing.T) {
	ctx := context.Background()
	for _, rows := range []int{1, 16} {
		r, err := limits.SQLiteCommits(ctx, t.TempDir(), rows, 50*time.Millisecond)
		if err != nil || r <= 0 {
			t.Fatalf("SQLiteCommits(%d rows) = %v, %v; want a positive rate", rows, r, err)
		}
	}
	if _, err := limits.SQLiteCommits(ctx, t.TempDir(), 0, time.Millisecond); err == nil {
		t.Error("SQLiteCommits with 0 rows per transaction: no error")
	}
	if r, err := limits.DiskWrite(t.TempDir(), 4<<20); err != nil || r <= 0 {
		t.Errorf("DiskWrite = %v, %v", r, err)
	}
	if r := limits.SHA256(10 * time.Millisecond); r <= 0 {
		t.Errorf("SHA256 = %v", r)
	}
	db := scanTable(t, 1234)
	r, n, err := limits.Scan(ctx, db, "SELECT id, a, b FROM t ORDER BY id")
	if err != nil || n != 1234 || r <= 0 {
		t.Errorf("Scan = %v rows/s, %d rows, %v; want 1234 rows", r, n, err)
	}
	if dsn := os.Getenv("FOREWARN_TEST_POSTGRES"); dsn != "" {
		r, _, err := limits.PostgresInserts(ctx, dsn, 2, 50*time.Millisecond)
		if err != nil || r <= 0 {
			t.Errorf("PostgresInserts = %v, %v", r, err)
		}
	}
}

// BenchmarkLimits prints this machine's limits, measured in one run: durable SQLite
// commits (one and 16 rows of 2 KB per transaction), PostgreSQL 2 KB INSERTs with 1 and 8
// clients (when FOREWARN_TEST_POSTGRES is set; it says when that server does not flush
// commits), SHA-256 of 512-byte inputs on one core and a plain row scan through the
// SQLite driver.
func BenchmarkLimits(b *testing.B) {
	ctx := context.Background()
	db := scanTable(b, 200_000)
	for b.Loop() {
		for _, rows := range []int{1, 16} {
			r, err := limits.SQLiteCommits(ctx, b.TempDir(), rows, limits.DefaultDuration)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r, map[int]string{1: "sqlite-commit1-rows/s", 16: "sqlite-commit16-rows/s"}[rows])
		}
		if dsn := os.Getenv("FOREWARN_TEST_POSTGRES"); dsn != "" {
			b.ReportMetric(limits.PostgresInsertLimit(b, dsn, 1), "pg-insert1-tps")
			b.ReportMetric(limits.PostgresInsertLimit(b, dsn, 8), "pg-insert8-tps")
		}
		b.ReportMetric(limits.SHA256(limits.DefaultDuration), "sha256-512B/s")
		r, _, err := limits.Scan(ctx, db, "SELECT id, a, b FROM t ORDER BY id")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r, "scan-rows/s")
		w, err := limits.DiskWrite(b.TempDir(), 256<<20)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(w/1e6, "disk-write-MB/s")
	}
}
