package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts sqlstore.Options) forewarn.Store {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), opts)
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestFilesOwnerOnly: the database, its -wal and its -shm hold personal data and password
// hashes; they are readable by the node's user only, even under a permissive umask, and an
// existing database left readable by others is restricted when opened.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "forewarn.db")
	db, err := sqlite.Open(path, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSubject(context.Background(), forewarn.UserActor("analyst1"), storetest.NewSubject("Omar Ismail Mostefai")); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, filepath.Base(p), m)
			}
		}
	}
	check("created")
	db.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o644)
	}
	db, err = sqlite.Open(path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path + "-wal"); err == nil {
		check("reopened")
	}
}

// TestClosedMeansClosed: once Close returns, no file of the database is open, so another
// program (the sqlite3 tool, a backup, the next CLI command) finds it unlocked. A statement
// prepared in the background for the next transactions once outlived Close and, releasing
// its connection last, checkpointed the WAL under an exclusive lock after the CLI command
// had returned: "database is locked" for whoever opened the file next.
func TestClosedMeansClosed(t *testing.T) {
	for i := range 30 {
		path := filepath.Join(t.TempDir(), "forewarn.db")
		db, err := sqlite.Open(path, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateSubject(context.Background(), forewarn.UserActor("analyst1"), storetest.NewSubject("Omar Ismail Mostefai")); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatalf("listing the open files: %v", err)
		}
		for _, fd := range fds {
			if l, _ := os.Readlink("/proc/self/fd/" + fd.Name()); strings.HasPrefix(l, path) {
				t.Fatalf("round %d: %s still open after Close", i, l)
			}
		}
	}
}

// TestAccessVersionAfterRestore: a store restored from a backup and written again does not
// come back to the access version a server last read from the original. When the version
// was a count, the backup (at n) and the original (at n+1 after a token was revoked) met
// again at n+1 once the restored store was written once: a server that had read n+1 from
// the original kept answering from memory for a token that the restored store did not
// hold as revoked, or the other way round.
func TestAccessVersionAfterRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, copyPath := filepath.Join(dir, "forewarn.db"), filepath.Join(dir, "backup.db")
	db, err := sqlite.Open(path, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin := forewarn.UserActor("admin")
	if err := db.CreateUser(ctx, admin, &forewarn.User{Username: "desk", Roles: []forewarn.Role{forewarn.RoleLiaison}}); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Backup(ctx, path, copyPath); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, admin, &forewarn.User{Username: "night", Roles: []forewarn.Role{forewarn.RoleLiaison}}); err != nil {
		t.Fatal(err)
	}
	seen, err := db.AccessVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	restored, err := sqlite.Open(copyPath, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.CreateUser(ctx, admin, &forewarn.User{Username: "other", Roles: []forewarn.Role{forewarn.RoleAnalyst}}); err != nil {
		t.Fatal(err)
	}
	if v, err := restored.AccessVersion(ctx); err != nil || v == seen {
		t.Errorf("the restored store, written once, is at access version %d, the original's after its own write: %v", v, err)
	}
}
