// Package sqlite opens Forewarn's embedded store: a single SQLite file, through the pure-Go
// modernc.org/sqlite driver, so a node runs on one machine with no setup. The store itself
// is sqlstore's; this package owns the connection settings, the SQLite dialect and the
// SQLite migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/forewarn/forewarn/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the SQLite schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Dialect is SQLite's dialect for sqlstore. Write transactions begin IMMEDIATE (see DSN),
// so they already exclude each other and the audit head needs no row lock.
var Dialect = sqlstore.Dialect{
	SingleWriter: true,
	Name:         "sqlite",
	// A claim need not wait for the disk: lost, its work only falls due again.
	RelaxSession:      "PRAGMA synchronous = NORMAL",
	RestoreSession:    "PRAGMA synchronous = FULL",
	IsUniqueViolation: IsUniqueViolation,
	IsNotNullViolation: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_NOTNULL
	},
	Compact:          Compact,
	PartitionedLists: true,
	Checkpoint:       "PRAGMA wal_checkpoint(PASSIVE)",
	ParamExpressions: true,
}

// walBackstopPages is the log's size in pages at which a commit checkpoints it itself,
// where the store's background checkpoint (every few dozen commits) has not kept it below.
const walBackstopPages = 2000

// Compact makes erased bytes leave the files. Every connection deletes with secure_delete
// on (DSN), so a deleted row's bytes are zeroed in the pages that held it; those pages are
// written to the WAL, and the old versions of them stay in the WAL file until it is
// checkpointed and truncated, which this does. A reader holding an older snapshot keeps
// the checkpoint from completing: it tries again for up to 30 seconds.
func Compact(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var busy, logFrames, done int
		if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("checkpoint: readers kept the WAL busy for 30s; erased bytes may remain in it until the next checkpoint")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN returns the data source name Open uses for the file at path: WAL, so readers do not
// block the writer; a busy timeout, so writers queue instead of failing; foreign keys on;
// full sync, so a committed audit entry survives a power cut; and write transactions that
// take the write lock when they begin (_txlock=immediate), so two writers never both read
// the audit head and then collide. secure_delete zeroes what is deleted, so an erased
// person's bytes do not linger in free space (see Compact). Temporary files stay in
// memory (temp_store): a statement's journal of the pages it changes (each statement
// that may fail part-way keeps one, to undo only itself) otherwise spills to a temporary
// file past 64 KiB, written a page and a page number at a time; it would cost messages
// arriving together more CPU than their commit, and put copies of personal data in files
// on disk.
func DSN(path string) string {
	return path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)&_txlock=immediate"
}

// Open opens (creating it when needed) the SQLite store at path and applies its pending
// migrations.
func Open(path string, opts sqlstore.Options) (*sqlstore.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: %q is not a usable database file path", path)
	}
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	// The store checkpoints its log in the background (Dialect.Checkpoint), not in the
	// commit that fills it, which is the serial writer's. SQLite's own checkpoint stays as
	// a backstop, at twice its default: under steady writes a background checkpoint never
	// copies every frame, since writers keep committing beside it, and the log starts over
	// only once one has; the backstop's, in a commit, copies what the last background one
	// left, and the log starts over (TestLogBoundedUnderSteadyWrites).
	sqldb, err := sql.Open("sqlite", DSN(path)+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walBackstopPages))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Keep connections open: each new one re-runs the DSN's pragmas.
	sqldb.SetMaxIdleConns(16)
	db := sqlstore.New(sqldb, Dialect, opts)
	if err := db.Migrate(context.Background(), Migrations()); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	// Migrating wrote through the WAL, so both files exist now; SQLite gives them the
	// database's mode, and this makes sure of it.
	if err := restrictFiles(path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// restrictFiles makes the database file, creating it when needed, and its -wal and -shm
// readable by the node's user only, whatever the umask: they hold personal data and
// password hashes. SQLite creates the -wal and -shm files with the database's mode.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		// Another user's copy (a backup an inspector verifies) is theirs to protect.
		if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil && !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("sqlite: restrict %s to its owner: %w", p, err)
		}
	}
	return nil
}

// IsUniqueViolation reports whether err is SQLite's UNIQUE or PRIMARY KEY constraint
// failure, by its extended result code.
func IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
