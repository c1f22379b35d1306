// Package limits measures what this machine can do at best, for benchmarks to print their
// figures beside: durable single-row commits through the SQLite driver with the product's
// pragmas, INSERT transactions on PostgreSQL, SHA-256 of audit-entry-sized inputs, and a
// plain row scan through the driver. A figure alone says little on a shared machine; the
// same figure as a ratio of a limit measured in the same run says how much is left.
//
// It is used by benchmarks only (go test -bench), never by the product.
package limits

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver the product uses

	"github.com/forewarn/forewarn/sqlite"
)

// RowBytes is the size of the row each commit writes: about a received message with its
// delivery and audit entry.
const RowBytes = 2048

// DefaultDuration is how long each limit is measured for.
const DefaultDuration = time.Second

// SQLiteCommits measures durable commits per second into a fresh SQLite file in dir,
// opened as the product opens its store (sqlite.DSN: WAL, synchronous=FULL, immediate
// write transactions), each transaction inserting rowsPerTxn rows of RowBytes. It
// returns rows per second: with rowsPerTxn 1, the single-row commit rate.
func SQLiteCommits(ctx context.Context, dir string, rowsPerTxn int, d time.Duration) (float64, error) {
	if rowsPerTxn < 1 {
		return 0, fmt.Errorf("limits: rowsPerTxn must be 1 or more")
	}
	path := filepath.Join(dir, fmt.Sprintf("limits-%d-%d.db", rowsPerTxn, time.Now().UnixNano()))
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)"); err != nil {
		return 0, fmt.Errorf("limits: sqlite: %w", err)
	}
	ins, err := db.PrepareContext(ctx, "INSERT INTO t (body) VALUES (?)")
	if err != nil {
		return 0, fmt.Errorf("limits: sqlite: %w", err)
	}
	defer ins.Close()
	body := randomBytes(RowBytes)
	rows := 0
	start := time.Now()
	for time.Since(start) < d {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("limits: sqlite: %w", err)
		}
		st := tx.StmtContext(ctx, ins)
		for range rowsPerTxn {
			if _, err := st.ExecContext(ctx, body); err != nil {
				tx.Rollback()
				return 0, fmt.Errorf("limits: sqlite: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("limits: sqlite: %w", err)
		}
		rows += rowsPerTxn
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// PostgresInserts measures INSERT transactions per second (one RowBytes row each,
// committed on its own) with clients connections inserting at once, into a table in a
// schema of its own that it drops afterwards. durable reports whether the server flushes
// commits to disk (fsync and synchronous_commit on); a server that does not gives a
// figure that is no durable-commit limit.
func PostgresInserts(ctx context.Context, dsn string, clients int, d time.Duration) (tps float64, durable bool, err error) {
	if clients < 1 {
		return 0, false, fmt.Errorf("limits: clients must be 1 or more")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, false, err
	}
	defer db.Close()
	db.SetMaxOpenConns(clients + 1)
	db.SetMaxIdleConns(clients + 1)
	var fsync, syncCommit string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit); err != nil {
		return 0, false, fmt.Errorf("limits: postgres: %w", err)
	}
	durable = fsync == "on" && syncCommit != "off"
	schema := fmt.Sprintf("forewarn_limits_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return 0, false, fmt.Errorf("limits: postgres: %w", err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+schema+".t (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)"); err != nil {
		return 0, false, fmt.Errorf("limits: postgres: %w", err)
	}
	body := randomBytes(RowBytes)
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			for time.Since(start) < d {
				if _, err := conn.ExecContext(ctx, "INSERT INTO "+schema+".t (body) VALUES ($1)", body); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errs:
		return 0, durable, fmt.Errorf("limits: postgres: %w", err)
	default:
	}
	return float64(n.Load()) / elapsed.Seconds(), durable, nil
}

// SHA256 measures SHA-256 hashes per second of 512-byte inputs (about an audit entry's
// hashed bytes) on one goroutine, so on one core.
func SHA256(d time.Duration) float64 {
	in := randomBytes(512)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for range 1000 {
			sum := sha256.Sum256(in)
			in[0] ^= sum[0]
		}
		n += 1000
	}
	return float64(n) / time.Since(start).Seconds()
}

// Scan measures rows per second that query yields through db's driver, every column read
// into reused raw bytes and nothing done with them: the most any reader of those rows can
// do on one goroutine. It returns the rate and how many rows there were.
func Scan(ctx context.Context, db *sql.DB, query string, args ...any) (float64, int, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("limits: scan: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, 0, fmt.Errorf("limits: scan: %w", err)
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return 0, n, fmt.Errorf("limits: scan: %w", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, n, fmt.Errorf("limits: scan: %w", err)
	}
	return float64(n) / time.Since(start).Seconds(), n, nil
}

// SQLiteCommitLimit measures the single-row durable commit rate (SQLiteCommits with one
// row per transaction) in a temporary directory of tb on the disk the tests use, and
// fails tb when it cannot.
func SQLiteCommitLimit(tb testing.TB) float64 {
	tb.Helper()
	r, err := SQLiteCommits(context.Background(), tb.TempDir(), 1, DefaultDuration)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// PostgresInsertLimit measures PostgresInserts with clients connections for
// DefaultDuration, fails tb when it cannot, and logs when the server's commits are not
// durable (fsync or synchronous_commit off), so the figure is read as what it is.
func PostgresInsertLimit(tb testing.TB, dsn string, clients int) float64 {
	tb.Helper()
	r, durable, err := PostgresInserts(context.Background(), dsn, clients, DefaultDuration)
	if err != nil {
		tb.Fatal(err)
	}
	if !durable {
		tb.Logf("limits: this PostgreSQL does not flush commits (fsync or synchronous_commit off): %.0f INSERT/s with %d clients is no durable-commit limit", r, clients)
	}
	return r
}

// Report adds figure to b's results beside the limit it runs against, as the limit itself
// ("limit-NAME") and the ratio figure/limit ("xNAME"): name says which limit, in one
// word ("sqlite-commit", "pg-insert8", "scan").
func Report(b *testing.B, figure, limit float64, name string) {
	b.Helper()
	name = strings.ReplaceAll(name, " ", "-")
	b.ReportMetric(limit, "limit-"+name+"/s")
	if limit > 0 {
		b.ReportMetric(figure/limit, "x"+name)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// DiskWrite measures the disk's sequential write rate in bytes per second: size bytes
// written to a new file in dir in 1 MiB chunks, then flushed to disk (fsync), then
// removed.
func DiskWrite(dir string, size int64) (float64, error) {
	f, err := os.CreateTemp(dir, "limits-disk-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	chunk := randomBytes(1 << 20)
	start := time.Now()
	for n := int64(0); n < size; n += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			return 0, fmt.Errorf("limits: disk: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("limits: disk: %w", err)
	}
	return float64(size) / time.Since(start).Seconds(), nil
}

// PostgresActivity reads the server's counts of committed transactions (every database)
// and of WAL flushes to disk. Taken before and after a run on a server of its own, their
// differences per message say how many commits and disk flushes each cost, which the
// neighbours on a shared machine do not change the way they change a rate.
func PostgresActivity(ctx context.Context, dsn string) (commits, flushes int64, err error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	// Statistics reach the shared counters within a second of a backend going idle.
	err = db.QueryRowContext(ctx, "SELECT (SELECT sum(xact_commit) FROM pg_stat_database)::bigint, (SELECT wal_sync FROM pg_stat_wal)").Scan(&commits, &flushes)
	if err != nil {
		return 0, 0, fmt.Errorf("limits: postgres activity: %w", err)
	}
	return commits, flushes, nil
}

// PostgresCPU returns the CPU time the PostgreSQL server at dsn has spent so far, its
// postmaster and every backend, living or ended, when the server runs on this machine and
// its processes can be read (/proc, as the server's user or root); ok is false otherwise.
// Taken before and after a run, it says what the server's side of each message costs: on
// a shared machine of 2 cores the product's process and the server compete for them.
func PostgresCPU(ctx context.Context, dsn string) (cpu time.Duration, ok bool) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, false
	}
	defer db.Close()
	var dir string
	if err := db.QueryRowContext(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return 0, false
	}
	pidFile, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	postmaster := strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0])
	// utime, stime, cutime, cstime are fields 14 to 17 of /proc/PID/stat, in clock ticks
	// (100 a second on Linux); the children's count those the postmaster has reaped.
	fields := func(pid string) []string {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return nil
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return nil
		}
		return strings.Fields(s[i+1:]) // from field 3 (state)
	}
	ticks := func(f []string, from, to int) (n int64) {
		for i := from; i <= to; i++ {
			var v int64
			fmt.Sscan(f[i-3], &v)
			n += v
		}
		return n
	}
	pm := fields(postmaster)
	if len(pm) < 15 {
		return 0, false
	}
	total := ticks(pm, 14, 17)
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		if f := fields(p.Name()); len(f) >= 15 && f[1] == postmaster {
			total += ticks(f, 14, 15)
		}
	}
	return time.Duration(total) * 10 * time.Millisecond, true
}
