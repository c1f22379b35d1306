package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

const dsnEnv = "FOREWARN_TEST_POSTGRES"

// testDSN returns the test server's DSN, or skips the test saying how to enable it.
func testDSN(tb testing.TB) string {
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		testdata.Skip(tb, "PostgreSQL suite", "set "+dsnEnv+"=postgres://user:pass@127.0.0.1:5432/db?sslmode=disable to run it")
	}
	return dsn
}

// openFresh opens a store in a new, uniquely named schema that is dropped when the test ends.
func openFresh(tb testing.TB, opts sqlstore.Options) *sqlstore.DB {
	tb.Helper()
	dsn := testDSN(tb)
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", dsnEnv, err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "forewarn_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	db, err := postgres.Open(ctx, withSearchPath(dsn, schema), opts)
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// withSearchPath adds search_path, which pgx sends as a run-time parameter, to a URL or
// key=value DSN.
func withSearchPath(dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	if strings.Contains(dsn, "?") {
		return dsn + "&search_path=" + schema
	}
	return dsn + "?search_path=" + schema
}

func TestConformance(t *testing.T) {
	testDSN(t)
	t.Log("running the storage conformance suite on PostgreSQL")
	storetest.Run(t, func(t *testing.T, opts sqlstore.Options) forewarn.Store { return openFresh(t, opts) })
}

func TestMigrateTwiceAppliesOnce(t *testing.T) {
	db := openFresh(t, sqlstore.Options{})
	ctx := context.Background()
	if err := db.Migrate(ctx, postgres.Migrations()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	got, err := db.AppliedMigrations(ctx)
	if err != nil {
		t.Fatalf("AppliedMigrations: %v", err)
	}
	ms, err := sqlstore.Migrations(postgres.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	if len(want) < 4 || !slices.Equal(got, want) {
		t.Errorf("applied migrations = %v, want %v", got, want)
	}
}
