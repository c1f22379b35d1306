// Package postgres opens Forewarn's store on PostgreSQL, for agencies that outgrow the
// embedded SQLite file, through pgx's database/sql driver. The store itself is sqlstore's;
// this package owns the connection, the PostgreSQL dialect and the PostgreSQL migrations.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/forewarn/forewarn/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the PostgreSQL schema migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Dialect is PostgreSQL's dialect for sqlstore. Writers lock the audit head row, so they
// append to the chain one at a time; claims of work skip rows another server is claiming;
// migrations take a transaction-scoped advisory lock
// so that nodes starting together do not migrate twice.
var Dialect = sqlstore.Dialect{
	Name:              "postgres",
	NumberedParams:    true,
	LockSuffix:        " FOR UPDATE",
	SkipLocked:        " FOR UPDATE SKIP LOCKED",
	RelaxedCommit:     "SET LOCAL synchronous_commit = off",
	Pipeline:          Pipeline,
	PlainReads:        true,
	WritableCTE:       true,
	WaitDurable:       waitDurable,
	MigrationLock:     "SELECT pg_advisory_xact_lock(7208541337)",
	IsUniqueViolation: IsUniqueViolation,
	Compact:           Compact,
	// Lists of every direction or status merge the per-value index ranges (migration 0457).
	PartitionedLists: true,
	LimitedParts:     true,
}

// waitDurable is Dialect.WaitDurable: a transaction that writes a record to the log (a
// logical decoding message, which nothing reads unless a decoding slot asks for it) and so
// commits synchronously, flushing the log up to its commit and every relaxed commit before
// it. One that writes nothing, as "SELECT txid_current()" (which only takes a transaction
// ID), PostgreSQL commits asynchronously whatever synchronous_commit says, and it flushed
// nothing (TestWaitDurableFlushes).
const waitDurable = "SELECT pg_catalog.pg_logical_emit_message(true, 'forewarn', '')"

// erasedTables are the tables erasure deletes from or rewrites.
const erasedTables = "subjects, claims, associations, subject_sources, import_raw_objects, taxii_objects, matches, rejected_pairs, alerts, notifications, messages, deliveries, escalations, reviews, audit_notes"

// Compact runs VACUUM on the tables erasure writes to, so the dead row versions that
// still hold erased data are marked free at once rather than when autovacuum comes. It is
// no guarantee that the bytes are gone: VACUUM frees space without overwriting it, and the
// write-ahead log, its archive, replicas and backups keep what they had (see
// docs/retention.md; VACUUM FULL rewrites the tables, under an exclusive lock).
func Compact(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "VACUUM "+erasedTables)
	return err
}

// MaxOpenConns is the most connections one server opens to PostgreSQL, idle or not: more
// than it uses at once under a full load of deliveries (16 in flight to each peer) and
// arrivals (whose reads take one each for a statement, and whose batch's leader holds one
// until the batch is durable; sqlstore's late transactions), and few enough that two
// servers of a node (80) fit in PostgreSQL's default max_connections of 100, with room
// left for its superuser slots and an operator's psql. A server that needs more at once
// waits for one to be free. They are kept open while idle, up to a minute.
const MaxOpenConns = 40

// Open connects to the database at dsn (a postgres:// URL or key=value string), checks the
// connection and applies pending migrations.
func Open(ctx context.Context, dsn string, opts sqlstore.Options) (*sqlstore.DB, error) {
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	// Connections stay open between bursts: each one closed is a PostgreSQL backend that
	// the next burst forks again, warms its catalog caches and prepares its statements
	// anew. With 32 deliveries in flight a node needs more than 16 at once, and with 16
	// kept idle the surplus was closed and reopened all the time (365 backends started
	// in one 2,000-message DeliveryPostgres run, against 21 at 16 in flight), which took
	// PostgreSQL's CPU per message from 0.9 ms to 4-5 ms. Those left idle a minute close.
	sqldb.SetMaxOpenConns(MaxOpenConns)
	sqldb.SetMaxIdleConns(MaxOpenConns)
	sqldb.SetConnMaxIdleTime(time.Minute)
	db := sqlstore.New(sqldb, Dialect, opts)
	if err := db.Migrate(ctx, Migrations()); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation (SQLSTATE 23505).
func IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// Pipeline sends stmts on conn's pgx connection as one batch: one round trip for all of
// them, inside the transaction conn has open. It returns the rows each statement changed
// (1 for a read, whose row it scans into the statement's Scan; for a statement with Each,
// the rows it returned, each passed to Each), and calls a write's Done once it has run,
// before reading the results of the rest; the first error stops it
// (and the transaction must then be rolled back).
func Pipeline(ctx context.Context, conn *sql.Conn, stmts []sqlstore.Statement) ([]int64, error) {
	affected := make([]int64, 0, len(stmts))
	err := conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: pipeline: the connection is a %T, not pgx's", driverConn)
		}
		b := &pgx.Batch{}
		for _, s := range stmts {
			b.Queue(s.SQL, s.Args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		for _, s := range stmts {
			if s.Each != nil {
				rows, err := br.Query()
				if err != nil {
					br.Close()
					return err
				}
				for rows.Next() {
					if err := s.Each(rows.Scan); err != nil {
						rows.Close()
						br.Close()
						return err
					}
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					br.Close()
					return err
				}
				affected = append(affected, rows.CommandTag().RowsAffected())
				continue
			}
			if s.Scan != nil {
				if err := br.QueryRow().Scan(s.Scan...); err != nil {
					br.Close()
					return err
				}
				affected = append(affected, 1)
				continue
			}
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			affected = append(affected, tag.RowsAffected())
			if s.Done != nil {
				s.Done()
			}
		}
		return br.Close()
	})
	return affected, err
}
