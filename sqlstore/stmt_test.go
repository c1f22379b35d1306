package sqlstore_test

import (
	"context"
	"testing"

	"github.com/forewarn/forewarn/sqlstore"
)

// A statement run in a transaction with a cancelled context fails, and the same statement
// run next in the same transaction with a live context runs: the transaction keeps its
// handles on the statements it ran (stmt), and a handle made while the context was
// cancelled carries that error for good, so it must not be the one kept. Each way of
// running a statement is tried in a transaction of its own, so no other run's handle
// stands in for its own.
func TestStatementRunsAfterACancelledRun(t *testing.T) {
	checkRunsAfterCancelled(t, openSQLite(t, sqlstore.Options{}).(*sqlstore.DB))
}

func TestStatementRunsAfterACancelledRunPostgres(t *testing.T) {
	e, _ := postgresEnv(t, "PostgreSQL statement handles", 1)
	checkRunsAfterCancelled(t, e.Store.(*sqlstore.DB))
}

func checkRunsAfterCancelled(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	for _, run := range []string{"queryRow", "query", "exec"} {
		cancelled, live, err := sqlstore.RunAfterCancelled(context.Background(), db, "SELECT seq FROM audit_head WHERE id = 1", run)
		if err != nil {
			t.Fatal(err)
		}
		if cancelled == nil {
			t.Errorf("%s with a cancelled context ran", run)
		}
		if live != nil {
			t.Errorf("%s with a live context, after a cancelled one: %v", run, live)
		}
	}
}
