package main

import (
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Finding 10: a serving node is backed up to one file, which an auditor verifies with the
// public key alone, and from which the node is restored.
func TestBackupWhileServingVerifyAndRestore(t *testing.T) {
	dir, id := newNode(t)
	serveInProcess(t, "--data", dir, "--listen", "127.0.0.1:0")
	// A write while the node serves, then the backup.
	mustCLI(t, "subject", "add", "--data", dir, "--name", "Omar Ismail Mostefai")
	copyDB := filepath.Join(t.TempDir(), "fr-backup.db")
	out := mustCLI(t, "backup", "--data", dir, "--to", copyDB)
	if !strings.Contains(out, "verified") || !strings.Contains(out, "audit verify --file") {
		t.Errorf("backup says neither that it verified the copy nor how an auditor checks it:\n%s", out)
	}
	if st, err := os.Stat(copyDB); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", st, err)
	}
	if _, _, err := runCLI(t, nil, "backup", "--data", dir, "--to", copyDB); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup over the first: %v, want a refusal", err)
	}

	key := strings.TrimSpace(mustCLI(t, "key", "show", "--data", dir))
	out = mustCLI(t, "audit", "verify", "--file", copyDB, "--key", key)
	if !strings.Contains(out, "audit trail OK") {
		t.Errorf("audit verify on the backup: %s", out)
	}
	for _, args := range [][]string{{"audit", "verify", "--file", copyDB}, {"audit", "verify", "--data", copyDB}} {
		_, _, err := runCLI(t, nil, args...)
		if err == nil || !strings.Contains(err.Error(), "--key") || strings.Contains(err.Error(), "not a directory") {
			t.Errorf("forewarn %s without the key: %v, want one asking for --key", strings.Join(args, " "), err)
		}
	}
	other := filepath.Join(t.TempDir(), "tr")
	mustCLI(t, "init", "--data", other, "--agency", "TR-MIT", "--name", "MIT")
	wrongKey := strings.TrimSpace(mustCLI(t, "key", "show", "--data", other))
	if _, _, err := runCLI(t, nil, "audit", "verify", "--file", copyDB, "--key", wrongKey); err == nil {
		t.Error("the backup verified against another node's key")
	}

	// Restore into an empty directory with the saved key.
	restored := filepath.Join(t.TempDir(), "restored")
	out = mustCLI(t, "restore", "--from", copyDB, "--data", restored, "--key-file", filepath.Join(dir, keyFileName))
	if !strings.Contains(out, "Restored FR-DGSI") {
		t.Errorf("restore: %s", out)
	}
	show := mustCLI(t, "subject", "show", "--data", restored, "--purpose", "investigation", id)
	if !strings.Contains(show, "Ismaël Omar Mostefaï") {
		t.Errorf("the restored node lacks the subject:\n%s", show)
	}
	list := mustCLI(t, "subject", "list", "--data", restored)
	if !strings.Contains(list, "Omar Ismail Mostefai") {
		t.Errorf("the restored node lacks the subject added while serving:\n%s", list)
	}
	if out := mustCLI(t, "audit", "verify", "--data", restored); !strings.Contains(out, "audit trail OK") {
		t.Errorf("restored node: %s", out)
	}
	if _, _, err := runCLI(t, nil, "restore", "--from", copyDB, "--data", restored); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("restore over a node: %v, want a refusal", err)
	}
	// A restore refused for a wrong key leaves nothing behind.
	wrong := filepath.Join(t.TempDir(), "wrong")
	if _, _, err := runCLI(t, nil, "restore", "--from", copyDB, "--data", wrong, "--key-file", filepath.Join(other, keyFileName)); err == nil {
		t.Error("restore with another node's key succeeded")
	}
	if _, err := os.Stat(filepath.Join(wrong, dbFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused restore left a database behind")
	}
}

// Finding 10, PostgreSQL: the README's pg_dump and psql steps give back a node that
// verifies, and 'forewarn backup' points there instead of copying nothing.
func TestPostgresDumpAndRestore(t *testing.T) {
	base := testPostgres(t)
	for _, tool := range []string{"pg_dump", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing; .ci/run installs PostgreSQL", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dsn := freshSchema(t, base, "fw_dump")
	schema := dsn[strings.LastIndex(dsn, "search_path=")+len("search_path="):]
	dir := filepath.Join(t.TempDir(), "pg")
	mustCLI(t, "init", "--data", dir, "--db", dsn, "--agency", "FR-DGSI", "--name", "DGSI")
	mustCLI(t, "subject", "add", "--data", dir, "--name", "Ismaël Omar Mostefaï")
	if _, _, err := runCLI(t, nil, "backup", "--data", dir, "--to", filepath.Join(t.TempDir(), "x.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of a PostgreSQL node: %v, want a pointer to pg_dump", err)
	}
	dump := filepath.Join(t.TempDir(), "forewarn.sql")
	if out, err := exec.Command("pg_dump", "--dbname", base, "--schema", schema, "--file", dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("psql", "--dbname", base, "-v", "ON_ERROR_STOP=1", "--quiet", "--file", dump).CombinedOutput(); err != nil {
		t.Fatalf("psql restore: %v\n%s", err, out)
	}
	if out := mustCLI(t, "audit", "verify", "--data", dir); !strings.Contains(out, "audit trail OK") {
		t.Errorf("restored PostgreSQL node: %s", out)
	}
	if out := mustCLI(t, "subject", "list", "--data", dir); !strings.Contains(out, "Ismaël Omar Mostefaï") {
		t.Errorf("restored PostgreSQL node lacks its subject:\n%s", out)
	}
}
