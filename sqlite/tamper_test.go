package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// newTrail writes a 12-entry audit trail, with checkpoints at entries 5 and 10, to a new
// database file and returns its path and the node's key.
func newTrail(t *testing.T) (string, *storetest.Signer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forewarn.db")
	clock, signer := storetest.NewClock(storetest.Start), storetest.NewSigner()
	db, err := sqlite.Open(path, sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code, CheckpointEvery: 5})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	defer db.Close()
	ctx, analyst := context.Background(), forewarn.UserActor("analyst1")
	for i := range 4 {
		clock.Advance(1234567891) // odd nanoseconds, so every digit of the time counts
		s := storetest.NewSubject(fmt.Sprintf("Subject %d", i))
		if err := db.CreateSubject(ctx, analyst, s); err != nil {
			t.Fatalf("CreateSubject: %v", err)
		}
		s.Notes = "updated"
		if err := db.UpdateSubject(ctx, analyst, s); err != nil { // entries 2, 4, 6, 8: before and after set
			t.Fatalf("UpdateSubject: %v", err)
		}
		if _, err := db.Subject(ctx, analyst, s.ID); err != nil {
			t.Fatalf("Subject: %v", err)
		}
	}
	if n := countEntries(t, path); n != 12 {
		t.Fatalf("built a trail of %d entries, want 12", n)
	}
	return path, signer
}

// rawSQL runs statements on the database file directly, as someone with file access could.
func rawSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func countEntries(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM audit_entries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// verifyFile opens the store at path and verifies its audit trail against key.
func verifyFile(t *testing.T, path string, signer *storetest.Signer) error {
	t.Helper()
	db, err := sqlite.Open(path, sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	cps, err := db.AuditCheckpoints(ctx)
	if err != nil {
		t.Fatalf("AuditCheckpoints: %v", err)
	}
	v := forewarn.NewAuditVerifier(signer.PublicKey(), cps)
	if err := db.ScanAudit(ctx, func(e *forewarn.AuditEntry) error { v.Add(e); return nil }); err != nil {
		t.Fatalf("ScanAudit: %v", err)
	}
	_, err = v.Finish()
	return err
}

// changeOneByte returns v with one byte changed: the last digit of a stored time (so it
// still parses), or else the last byte, or a byte added to an empty value.
func changeOneByte(column, v string) string {
	switch {
	case v == "":
		return "0"
	case column == "time":
		i := len(v) - 2
		return v[:i] + string('0'+(v[i]-'0'+1)%10) + v[i+1:]
	case v[len(v)-1] == '0':
		return v[:len(v)-1] + "1"
	}
	return v[:len(v)-1] + "0"
}

func TestTamperedTrailFailsVerification(t *testing.T) {
	path, signer := newTrail(t)
	if err := verifyFile(t, path, signer); err != nil {
		t.Fatalf("the untouched trail does not verify: %v", err)
	}

	type tamper struct {
		name    string
		edit    func(t *testing.T, path string)
		wantSeq int64
	}
	var tests []tamper
	for _, col := range []string{"time", "actor_kind", "actor_id", "action", "object_type", "object_id", "before_digest", "after_digest", "detail", "prev_hash", "hash"} {
		tests = append(tests, tamper{"change one byte of " + col, func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var v string
			if err := db.QueryRow("SELECT " + col + " FROM audit_entries WHERE seq = 6").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("UPDATE audit_entries SET "+col+" = ? WHERE seq = 6", changeOneByte(col, v)); err != nil {
				t.Fatal(err)
			}
		}, 6})
	}
	tests = append(tests,
		tamper{"change seq", func(t *testing.T, path string) {
			rawSQL(t, path, "UPDATE audit_entries SET seq = 106 WHERE seq = 6")
		}, 6},
		tamper{"delete a middle entry", func(t *testing.T, path string) {
			rawSQL(t, path, "DELETE FROM audit_entries WHERE seq = 6")
		}, 6},
		tamper{"delete the last entries behind a checkpoint", func(t *testing.T, path string) {
			rawSQL(t, path, "DELETE FROM audit_entries WHERE seq >= 8", "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_entries WHERE seq = 7)")
		}, 8},
		tamper{"swap two entries", func(t *testing.T, path string) {
			rawSQL(t, path, "UPDATE audit_entries SET seq = -1 WHERE seq = 6", "UPDATE audit_entries SET seq = 6 WHERE seq = 7", "UPDATE audit_entries SET seq = 7 WHERE seq = -1")
		}, 6},
		tamper{"rewrite an entry and re-hash the chain after it", func(t *testing.T, path string) {
			rehashFrom(t, path, 6, func(e *forewarn.AuditEntry) { e.Detail = "nothing to see" })
		}, 10},
		tamper{"forge a checkpoint signature", func(t *testing.T, path string) {
			rawSQL(t, path, "UPDATE audit_checkpoints SET signature = CASE WHEN signature LIKE '0%' THEN '1' ELSE '0' END || substr(signature, 2) WHERE seq = 5")
		}, 5},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, signer := newTrail(t)
			tt.edit(t, path)
			err := verifyFile(t, path, signer)
			var ae *forewarn.AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("tampered trail verifies (err = %v)", err)
			}
			t.Logf("verification: %v", err)
			if ae.Seq != tt.wantSeq {
				t.Errorf("verification blames entry %d (%v), want entry %d", ae.Seq, err, tt.wantSeq)
			}
		})
	}
}

// rehashFrom edits entry seq and rewrites every hash after it so the chain links again,
// as a forger without the node's key would.
func rehashFrom(t *testing.T, path string, seq int64, edit func(*forewarn.AuditEntry)) {
	t.Helper()
	db, err := sqlite.Open(path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var es []*forewarn.AuditEntry
	if err := db.ScanAudit(context.Background(), func(e *forewarn.AuditEntry) error { es = append(es, e); return nil }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	prev := es[seq-2].Hash
	for _, e := range es[seq-1:] {
		if e.Seq == seq {
			edit(e)
		}
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
		if _, err := raw.Exec("UPDATE audit_entries SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", e.Detail, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
}
