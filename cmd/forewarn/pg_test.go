package main

import (
	"database/sql"
	"fmt"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// testPostgres returns the PostgreSQL DSN the tests may use; without one the test is
// skipped, saying how to enable it, except under CI=true, where it fails.
func testPostgres(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("FOREWARN_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("FOREWARN_TEST_POSTGRES is not set; .ci/run sets it")
		}
		testdata.Skip(tb, "PostgreSQL tests", "set FOREWARN_TEST_POSTGRES to a PostgreSQL DSN to run them")
	}
	return dsn
}

var schemaSeq atomic.Int64

// freshSchema creates an empty schema in dsn's database, dropped when the test ends, and
// returns a DSN whose search_path points at it.
func freshSchema(tb testing.TB, dsn, prefix string) string {
	tb.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	schema := fmt.Sprintf("%s_%d_%d", strings.ToLower(strings.ReplaceAll(prefix, "-", "_")), time.Now().UnixNano(), schemaSeq.Add(1))
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE"); db.Close() })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
