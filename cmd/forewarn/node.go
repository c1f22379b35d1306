package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

// The files of a node's data directory.
const (
	keyFileName   = "node.key"
	dbFileName    = "forewarn.db"
	storeFileName = "store.dsn" // the PostgreSQL DSN of a node whose store is not SQLite
)

// storeDSN returns the store a command should open: --db when given, else the DSN the
// data directory recorded at init, else "" for the SQLite file. A directory with a key but
// neither is refused, rather than quietly creating an empty SQLite file beside the key.
func (f *nodeFlags) storeDSN(dir string) (string, error) {
	if f.db != "" {
		return f.db, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, storeFileName))
	if err == nil {
		if dsn := strings.TrimSpace(string(b)); dsn != "" {
			return dsn, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err != nil {
		return "", fmt.Errorf("%s holds a node key but no %s and no %s naming a PostgreSQL store: give --db postgres://… if the node lives in PostgreSQL", dir, dbFileName, storeFileName)
	}
	return "", nil
}

// nodeFlags are the flags every command that opens a node's store shares.
type nodeFlags struct {
	data            string
	db              string
	checkpointEvery int
	logLevel        string
	as              string
}

// addNodeFlags adds the flags of a command that changes the node's data (or reads what
// is audited): where the node is, who acts, and how often the audit chain is signed.
func addNodeFlags(fs *flag.FlagSet) *nodeFlags {
	f := addStoreFlags(fs)
	fs.Func("checkpoint-every", "sign a checkpoint of the audit chain at least every N entries, N 1 or more (default: as the node recorded it, 1000 for a new node)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("sign a checkpoint at least every N entries, with N 1 or more")
		}
		f.checkpointEvery = n
		return nil
	})
	fs.StringVar(&f.as, "as", "", "on whose behalf the CLI acts, recorded as 'cli:OSUSER as NAME' (default: the operating-system user, as cli:OSUSER)")
	return f
}

// addStoreFlags adds only where the node is and how much to log, for commands that read
// and write nothing that is audited (key show, peer list, audit list).
func addStoreFlags(fs *flag.FlagSet) *nodeFlags {
	f := &nodeFlags{} // checkpointEvery 0: as the node recorded it
	fs.StringVar(&f.data, "data", "", "the node's data directory (default: $XDG_DATA_HOME/forewarn or ~/.local/share/forewarn)")
	fs.StringVar(&f.db, "db", "", "PostgreSQL DSN of the node's store (default: the one the data directory records, else its SQLite file)")
	fs.StringVar(&f.logLevel, "log-level", "", "log level: debug, info, warn or error (default: warn for commands, info for serve)")
	return f
}

// check refuses settings no node can run with, naming the flag.
func (f *nodeFlags) check() error {
	if f.checkpointEvery < 0 {
		return forewarn.Invalid("--checkpoint-every", "min", "%d: sign a checkpoint at least every N entries, with N 1 or more (0 or unset: as the node recorded it)", f.checkpointEvery)
	}
	return nil
}

// dataDir returns the data directory, defaulting to the user's data home.
func (f *nodeFlags) dataDir() (string, error) {
	if f.data != "" {
		return f.data, nil
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "forewarn"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no --data given and no home directory to put the default in: %w", err)
	}
	return filepath.Join(home, ".local", "share", "forewarn"), nil
}

// actor is who the command acts as in the audit trail: the CLI, named after the
// operating-system user who ran it. --as NAME is recorded as that CLI acting as NAME, not
// as the node's user NAME: anyone with the data directory can type any name, and the
// trail must not claim that user did it.
func (f *nodeFlags) actor() forewarn.Actor {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if as := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, f.as); as != "" {
		if len(as) > 64 {
			as = as[:64]
		}
		return forewarn.SystemActor("cli:" + name + " as " + strings.ToValidUTF8(as, "?"))
	}
	return forewarn.SystemActor("cli:" + name)
}

// logger logs to standard error at the given level; a command that is not given one logs
// warnings and errors only, so it is quiet when it succeeds.
func (m *Main) logger(level string) (*slog.Logger, error) {
	if level == "" {
		level = "warn"
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// openStore opens the node's store, SQLite in the data directory unless --db names a
// PostgreSQL database.
func openStore(ctx context.Context, f *nodeFlags, dir string, clock forewarn.Clock, signer forewarn.Signer, agency string, logger *slog.Logger) (forewarn.Store, error) {
	opts := sqlstore.Options{Now: clock.Now, Signer: signer, Agency: agency, CheckpointEvery: f.checkpointEvery, Logger: logger}
	if f.db != "" {
		if !strings.HasPrefix(f.db, "postgres://") && !strings.HasPrefix(f.db, "postgresql://") {
			return nil, fmt.Errorf("--db %q: only PostgreSQL DSNs (postgres://…) are supported; SQLite lives in the data directory", f.db)
		}
		db, err := postgres.Open(ctx, f.db, opts)
		if err != nil {
			return nil, storeHint(err, "--db "+redactDSN(f.db))
		}
		return db, nil
	}
	db, err := sqlite.Open(filepath.Join(dir, dbFileName), opts)
	if err != nil {
		return nil, storeHint(err, filepath.Join(dir, dbFileName))
	}
	return db, nil
}

// storeHint adds to a store that cannot be opened what the operator can do about it: a
// PostgreSQL server that does not answer, or a SQLite file that is not a database.
func storeHint(err error, where string) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") || strings.Contains(msg, "i/o timeout"):
		return fmt.Errorf("%w\n(%s: no PostgreSQL server answers there; start it, or check the host and port of the DSN)", err, where)
	case strings.Contains(msg, "password authentication failed") || strings.Contains(msg, "does not exist"):
		return fmt.Errorf("%w\n(%s: check the user, password and database name of the DSN)", err, where)
	case strings.Contains(msg, "file is not a database") || strings.Contains(msg, "database disk image is malformed"):
		return fmt.Errorf("%w\n(%s is damaged or not a Forewarn database; put back the last backup with 'forewarn restore --from BACKUP --data DIR' into an empty directory)", err, where)
	}
	return err
}

// redactDSN hides a DSN's password, so an error never prints it.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// openNode opens an initialised node, its key and its store, on the wall clock.
func (m *Main) openNode(ctx context.Context, f *nodeFlags) (*app.Node, error) {
	if m.Clock != nil {
		return m.openNodeAt(ctx, f, m.Clock)
	}
	return m.openNodeAt(ctx, f, forewarn.SystemClock{})
}

// parseAndOpen parses a command's flags and opens its node; the caller closes its store.
func (m *Main) parseAndOpen(ctx context.Context, fs *flag.FlagSet, f *nodeFlags, args []string) (*app.Node, error) {
	if err := m.parseFlags(fs, args); err != nil {
		return nil, err
	}
	return m.openNode(ctx, f)
}

// openNodeAt opens an initialised node on the given clock.
func (m *Main) openNodeAt(ctx context.Context, f *nodeFlags, clock forewarn.Clock) (*app.Node, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	logger, err := m.logger(f.logLevel)
	if err != nil {
		return nil, err
	}
	dir, err := f.dataDir()
	if err != nil {
		return nil, err
	}
	key, err := keyfile.Load(filepath.Join(dir, keyFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noKeyError(dir)
	}
	if err != nil {
		return nil, err
	}
	dsn, err := f.storeDSN(dir)
	if err != nil {
		return nil, err
	}
	at := *f
	at.db = dsn
	f = &at
	store, err := openStore(ctx, f, dir, clock, key, "", logger)
	if err != nil {
		return nil, err
	}
	info, err := store.Node(ctx)
	if err != nil {
		store.Close()
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, fmt.Errorf("the store for %s holds no node; was 'forewarn init' interrupted?", dir)
		}
		return nil, err
	}
	if !info.PublicKey.Equal(key.PublicKey()) {
		store.Close()
		return nil, fmt.Errorf("the key in %s is not the key this node's store was created with", filepath.Join(dir, keyFileName))
	}
	store.Close()
	// Reopen with the agency code so checkpoints name it.
	store, err = openStore(ctx, f, dir, clock, key, info.Agency.Code, logger)
	if err != nil {
		return nil, err
	}
	node := app.New(store, clock, key, logger)
	return node, nil
}

// noKeyError says why dir has no node: nothing there (create one), or a store whose key is
// missing (put the key back: a new node would not be the one peers know).
func noKeyError(dir string) error {
	if err := storeWithoutKey(dir); err != nil {
		return err
	}
	return fmt.Errorf("no node in %s: create one with 'forewarn init --data %s --agency CODE --name NAME'", dir, dir)
}

// storeWithoutKey is the error for a data directory that holds a node's store, or records
// one, but not its key; nil when it holds no store either.
func storeWithoutKey(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err == nil {
		return fmt.Errorf("%s holds a node's store (%s) but not its key (%s): put back the copy of %s you kept, or restore the node with 'forewarn restore --from BACKUP --data NEWDIR --key-file KEY'", dir, dbFileName, keyFileName, keyFileName)
	}
	if _, err := os.Stat(filepath.Join(dir, storeFileName)); err == nil {
		return fmt.Errorf("%s records a PostgreSQL store (%s) but holds no key (%s): put back the copy of %s you kept", dir, storeFileName, keyFileName, keyFileName)
	}
	return nil
}

// initNode creates a node in dir: the directory, key, store, identity and first admin.
// It refuses when dir already holds a node.
func (m *Main) initNode(ctx context.Context, f *nodeFlags, dir string, agency forewarn.Agency, admin string) (*app.Node, string, error) {
	return m.initNodeAt(ctx, f, dir, agency, admin, forewarn.SystemClock{})
}

// initNodeAt creates a node on the given clock.
func (m *Main) initNodeAt(ctx context.Context, f *nodeFlags, dir string, agency forewarn.Agency, admin string, clock forewarn.Clock) (*app.Node, string, error) {
	if err := agency.Validate(); err != nil {
		return nil, "", err
	}
	if err := f.check(); err != nil {
		return nil, "", err
	}
	logger, err := m.logger(f.logLevel)
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(filepath.Join(dir, keyFileName)); err == nil {
		return nil, "", fmt.Errorf("%s already holds a node; refusing to overwrite it", dir)
	}
	if f.db == "" {
		if _, err := os.Stat(filepath.Join(dir, dbFileName)); err == nil {
			return nil, "", fmt.Errorf("%s already holds a database; refusing to overwrite it", filepath.Join(dir, dbFileName))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	key, err := keyfile.Generate(filepath.Join(dir, keyFileName))
	if err != nil {
		return nil, "", err
	}
	// A node is created whole or not at all: if the store cannot be set up (a PostgreSQL
	// database that already holds a node, say), the key and SQLite files go again.
	undo := func() {
		os.Remove(filepath.Join(dir, keyFileName))
		os.Remove(filepath.Join(dir, storeFileName))
		if f.db == "" {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(filepath.Join(dir, dbFileName+suffix))
			}
		}
	}
	store, err := openStore(ctx, f, dir, clock, key, agency.Code, logger)
	if err != nil {
		undo()
		return nil, "", err
	}
	node := app.New(store, clock, key, logger)
	password, err := node.Initialize(ctx, agency, admin)
	if err != nil {
		store.Close()
		undo()
		return nil, "", err
	}
	if f.db != "" {
		// The directory remembers where its store is, so later commands need no --db. The
		// file is 0600 like the key beside it, since a DSN may hold a password.
		if err := os.WriteFile(filepath.Join(dir, storeFileName), []byte(f.db+"\n"), 0o600); err != nil {
			store.Close()
			undo()
			return nil, "", err
		}
	}
	return node, password, nil
}
