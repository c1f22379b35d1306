package sqlstore_test

import (
	"context"
	"testing"

	"github.com/forewarn/forewarn/sqlstore"
)

// A statement run in a transaction with a cancelled context fails, and the same statement
// run again in the same transaction with a live context runs: the transaction keeps its
// handles on the statements it ran (stmt), and a handle made while the context was
// cancelled carries that error for good, so it must not be the one kept.
func TestStatementRunsAfterACancelledRun(t *testing.T) {
	db := openSQLite(t, sqlstore.Options{}).(*sqlstore.DB)
	errs, err := sqlstore.RunAfterCancelled(context.Background(), db, "SELECT seq FROM audit_head WHERE id = 1", true)
	if err != nil {
		t.Fatal(err)
	}
	runs := []string{"queryRow", "query", "exec"}
	for i, err := range errs {
		run, pass := runs[i%3], i/3
		if cancelled := pass%2 == 0; cancelled != (err != nil) {
			t.Errorf("%s, run %d (cancelled %v): error %v", run, pass+1, cancelled, err)
		}
	}
}
