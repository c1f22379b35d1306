package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

func runBackup(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("backup",
		"Writes a consistent copy of the node's SQLite database to a new file, while the node keeps\n"+
			"serving (SQLite's online backup API), then verifies the copy's audit trail. The copy holds\n"+
			"all the node's data but not its private key: keep node.key apart, as safely as the node.\n"+
			"A node on PostgreSQL is backed up with pg_dump (see the README).",
		"forewarn backup --data /var/lib/forewarn --to /backup/forewarn-2026-12-02.db")
	nf := addStoreFlags(fs)
	to := fs.String("to", "", "the backup `FILE` to write; it must not exist yet (required)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := nf.dataDir()
	if err != nil {
		return err
	}
	key, err := loadNodeKey(dir)
	if err != nil {
		return err
	}
	dsn, err := nf.storeDSN(dir)
	if err != nil {
		return err
	}
	if dsn != "" {
		return fmt.Errorf("the node in %s keeps its data in PostgreSQL: back it up with pg_dump (the README's 'Backups' says how); back up %s apart", dir, filepath.Join(dir, keyFileName))
	}
	if _, err := os.Lstat(*to); err == nil {
		return forewarn.Invalid("--to", "exists", "%s already exists; a backup never overwrites a file: name a new one", *to)
	}
	if err := sqlite.Backup(ctx, filepath.Join(dir, dbFileName), *to); err != nil {
		return err
	}
	rep, agency, err := m.verifyCopy(ctx, nf, *to, key.PublicKey())
	if err != nil {
		return fmt.Errorf("the backup %s was written but does not open: %w", *to, err)
	}
	if rep.Problem != nil {
		return exitError{code: 2, msg: fmt.Sprintf("the backup %s was written, but its audit trail is BROKEN at entry %d: %s", *to, rep.Problem.Seq, rep.Problem.Reason)}
	}
	fmt.Fprintf(m.Stdout, "Backed up %s to %s: %d audit entries and %d signed checkpoints verified.\n", agency, *to, rep.Entries, rep.Checkpoints)
	fmt.Fprintf(m.Stdout, "The private key is not in it: keep a copy of %s apart. An auditor verifies the backup with\n  forewarn audit verify --file %s --key '%s %s'\n", filepath.Join(dir, keyFileName), *to, agency, forewarn.EncodePublicKey(key.PublicKey()))
	return nil
}

func runRestore(ctx context.Context, m *Main, args []string) error {
	flags := m.newFlagSet("restore",
		"Restores a node from a backup file written by 'forewarn backup': checks that the backup's\n"+
			"node key matches the key file and that its audit trail verifies, then puts it in place as the\n"+
			"data directory's database. The data directory must hold no database yet; its node.key is\n"+
			"used, or --key-file is copied in.",
		"forewarn restore --from /backup/forewarn-2026-12-02.db --data /var/lib/forewarn --key-file /secure/node.key")
	nf := addStoreFlags(flags)
	from := flags.String("from", "", "the backup `FILE` (required)")
	keyFile := flags.String("key-file", "", "the node's saved node.key, when the data directory has none")
	every := flags.Int("checkpoint-every", 0, "not needed: the node's checkpoint policy is read from the backup")
	if err := m.parseFlags(flags, args); err != nil {
		return err
	}
	nf.checkpointEvery = *every
	if err := nf.check(); err != nil {
		return err
	}
	dir, err := nf.dataDir()
	if err != nil {
		return err
	}
	if nf.db != "" {
		return fmt.Errorf("--db: restore puts a SQLite backup in place; a PostgreSQL node is restored with pg_restore or psql (see the README)")
	}
	for _, name := range []string{dbFileName, storeFileName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s already holds %s; restore into an empty data directory, or move it away first", dir, name)
		}
	}
	keyPath := filepath.Join(dir, keyFileName)
	haveKey := true
	if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
		haveKey = false
		if *keyFile == "" {
			return fmt.Errorf("%s has no %s: give the node's saved key with --key-file", dir, keyFileName)
		}
		keyPath = *keyFile
	} else if *keyFile != "" {
		return fmt.Errorf("%s already has a %s; drop --key-file, or restore into an empty directory", dir, keyFileName)
	}
	key, err := keyfile.Load(keyPath)
	if err != nil {
		return fmt.Errorf("--key-file %s: %w", keyPath, err)
	}
	rep, agency, err := m.verifyCopy(ctx, nf, *from, key.PublicKey())
	if err != nil {
		return err
	}
	if rep.Problem != nil {
		return exitError{code: 2, msg: fmt.Sprintf("not restored: the backup's audit trail is BROKEN at entry %d: %s", rep.Problem.Seq, rep.Problem.Reason)}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// Copy through the backup API into a temporary name and rename it into place, so a
	// restore cut short leaves no half-written database behind.
	tmp := filepath.Join(dir, dbFileName+".restoring")
	os.Remove(tmp)
	if err := sqlite.Backup(ctx, *from, tmp); err != nil {
		return err
	}
	if !haveKey {
		b, err := os.ReadFile(keyPath)
		if err != nil {
			os.Remove(tmp)
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, keyFileName), b, 0o600); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, dbFileName)); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(m.Stdout, "Restored %s into %s: %d audit entries and %d signed checkpoints verified.\nStart it with: forewarn serve --data %s\n", agency, dir, rep.Entries, rep.Checkpoints, dir)
	return nil
}

// verifyCopy opens a copy of a node's SQLite database and verifies its audit trail against
// pub, the node's public key as its owner or an auditor holds it; it refuses a copy whose
// node has another key.
func (m *Main) verifyCopy(ctx context.Context, nf *nodeFlags, path string, pub ed25519.PublicKey) (*app.AuditReport, string, error) {
	logger, err := m.logger(nf.logLevel)
	if err != nil {
		return nil, "", err
	}
	store, err := sqlite.OpenExisting(path, sqlstore.Options{Logger: logger})
	if err != nil {
		return nil, "", err
	}
	defer store.Close()
	info, err := store.Node(ctx)
	if err != nil {
		if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
			return nil, "", fmt.Errorf("%s holds no node", path)
		}
		return nil, "", err
	}
	if !info.PublicKey.Equal(pub) {
		return nil, "", fmt.Errorf("%s is %s's database, whose key is %s, not the key given (%s)", path, info.Agency.Code, forewarn.EncodePublicKey(info.PublicKey), forewarn.EncodePublicKey(pub))
	}
	node := app.New(store, forewarn.SystemClock{}, publicKeyOnly(pub), logger)
	node.CheckpointEvery = nf.checkpointEvery
	rep, err := node.VerifyAudit(ctx)
	return rep, info.Agency.Code, err
}

// loadNodeKey loads the node's key from its data directory, saying how to make one when
// there is none.
func loadNodeKey(dir string) (*keyfile.Key, error) {
	key, err := keyfile.Load(filepath.Join(dir, keyFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noKeyError(dir)
	}
	return key, err
}

// publicKeyOnly is a node's public key standing in for its signer where only signatures
// are checked: an auditor verifying a backup has no private key.
type publicKeyOnly ed25519.PublicKey

func (k publicKeyOnly) PublicKey() ed25519.PublicKey { return ed25519.PublicKey(k) }

func (k publicKeyOnly) Sign([]byte) ([]byte, error) {
	return nil, errors.New("verifying with a public key only: nothing may be signed")
}
