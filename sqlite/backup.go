package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"modernc.org/sqlite"

	"github.com/forewarn/forewarn/sqlstore"
)

// Backup writes a consistent copy of the SQLite store at path to dest with SQLite's online
// backup API, while nodes keep serving from it: the copy is taken in one read transaction,
// which in WAL mode does not hold up writers, so it is the store as of one commit. dest
// must not exist yet; it is created readable by its owner only, like the store.
func Backup(ctx context.Context, path, dest string) (err error) {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists; refusing to overwrite it", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(dest)
		}
	}()
	src, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return fmt.Errorf("sqlite: backup: open %s: %w", path, err)
	}
	defer src.Close()
	conn, err := src.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: backup: open %s: %w", path, err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		bc, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("sqlite: backup: the driver has no backup API")
		}
		b, err := bc.NewBackup(dest)
		if err != nil {
			return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
		}
		// All pages in one step: one read transaction, so one consistent snapshot.
		if _, err := b.Step(-1); err != nil {
			b.Finish()
			return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
		}
		if err := b.Finish(); err != nil {
			return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
		}
		return nil
	})
}

// OpenExisting opens the SQLite store at path like Open, but refuses to create it: for a
// copy to verify or restore, where a missing file is a mistake, not a new node.
func OpenExisting(path string, opts sqlstore.Options) (*sqlstore.DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("sqlite: %s is a directory, not a database file", path)
	}
	return Open(path, opts)
}
