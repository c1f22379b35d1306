package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// validateHash checks a stored secret's hash: lower-case hex SHA-256.
func validateHash(h string) error {
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 || strings.ToLower(h) != h {
		return forewarn.Invalid("hash", "sha256", "must be the lower-case hex SHA-256 of the secret")
	}
	return nil
}

// CreateToken stores an API token for an existing user; ENOTFOUND when there is no such
// user. The audit entry never holds the hash.
func (db *DB) CreateToken(ctx context.Context, actor forewarn.Actor, t *forewarn.APIToken) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if t == nil {
		return required("token")
	}
	if !t.Role.Valid() {
		return forewarn.Invalid("role", "enum", "unknown role %q", t.Role)
	}
	if err := checkText("name", t.Name, 200); err != nil {
		return err
	}
	if err := validateHash(t.Hash); err != nil {
		return err
	}
	expires := t.ExpiresAt
	switch {
	case expires.IsZero():
		expires = now.Add(forewarn.DefaultTokenTTL)
	case !expires.After(now):
		return forewarn.Invalid("expires_at", "future", "a token must expire after it is created")
	case expires.Sub(now) > forewarn.MaxTokenTTL:
		return forewarn.Invalid("expires_at", "max", "a token may last at most %d days", int(forewarn.MaxTokenTTL.Hours()/24))
	}
	v := *t
	v.ID, v.CreatedAt, v.ExpiresAt, v.RevokedAt = forewarn.NewID(now), now, expires.UTC(), time.Time{}
	err := db.update(ctx, now, "create token", func(tx *tx) error {
		if _, err := tx.userBy(ctx, "username", v.Username); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO api_tokens (id, username, role, name, hash, created_at, expires_at, revoked_at, program) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
			v.ID, v.Username, string(v.Role), v.Name, v.Hash, FormatTime(v.CreatedAt), FormatTime(v.ExpiresAt), v.Program); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "this token secret is already in use; generate another")
			}
			return fmt.Errorf("insert token: %w", err)
		}
		return tx.audit(ctx, actor, "token.create", "token", v.ID, nil, &v, fmt.Sprintf("for %s as %s until %s%s: %s", v.Username, v.Role, v.ExpiresAt.Format(time.RFC3339), map[bool]string{true: " (a program)"}[v.Program], v.Name))
	})
	if err != nil {
		return err
	}
	*t = v
	return nil
}

const tokenColumns = "id, username, role, name, hash, created_at, expires_at, revoked_at, program"

func scanToken(s scanner) (*forewarn.APIToken, error) {
	var r tokenRow
	if err := s.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.finish()
}

// tokenRow is a row of tokenColumns as scanned, before its times are parsed.
type tokenRow struct {
	t                forewarn.APIToken
	role, created    string
	expires, revoked sql.NullString
}

func (r *tokenRow) dest() []any {
	return []any{&r.t.ID, &r.t.Username, &r.role, &r.t.Name, &r.t.Hash, &r.created, &r.expires, &r.revoked, &r.t.Program}
}

func (r *tokenRow) finish() (*forewarn.APIToken, error) {
	t := r.t
	t.Role = forewarn.Role(r.role)
	var err error
	if t.CreatedAt, err = ParseTime(r.created); err != nil {
		return nil, fmt.Errorf("token %s: %w", t.ID, err)
	}
	if t.ExpiresAt, err = parseNullTime(r.expires); err != nil {
		return nil, fmt.Errorf("token %s: %w", t.ID, err)
	}
	if t.RevokedAt, err = parseNullTime(r.revoked); err != nil {
		return nil, fmt.Errorf("token %s: %w", t.ID, err)
	}
	return &t, nil
}

// TokenByHash returns the token whose secret has this hash, unless it is revoked.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*forewarn.APIToken, error) {
	var t *forewarn.APIToken
	err := db.viewOne(ctx, "read token", func(tx *tx) error {
		var err error
		t, err = scanToken(tx.queryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE hash = ? AND revoked_at IS NULL", hash))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no such API token, or it was revoked")
		}
		return err
	})
	return t, err
}

// TokenUserByHash returns the token whose secret has this hash, unless it is revoked,
// and its user, in one statement.
func (db *DB) TokenUserByHash(ctx context.Context, hash string) (*forewarn.APIToken, *forewarn.User, error) {
	var t *forewarn.APIToken
	var u *forewarn.User
	err := db.viewOne(ctx, "read token", func(tx *tx) error {
		var err error
		t, u, err = scanTokenUser(tx.queryRow(ctx, tokenUserQuery, hash))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no such API token, or it was revoked")
		}
		return err
	})
	return t, u, err
}

var tokenUserQuery = "SELECT t." + strings.ReplaceAll(tokenColumns, ", ", ", t.") + ", u." + strings.ReplaceAll(userColumns, ", ", ", u.") +
	" FROM api_tokens t JOIN users u ON u.username = t.username WHERE t.hash = ? AND t.revoked_at IS NULL"

// scanTokenUser reads a row of tokenUserQuery.
func scanTokenUser(s scanner) (*forewarn.APIToken, *forewarn.User, error) {
	var t tokenRow
	var u userRow
	if err := s.Scan(append(t.dest(), u.dest()...)...); err != nil {
		return nil, nil, err
	}
	tok, err := t.finish()
	if err != nil {
		return nil, nil, err
	}
	user, err := u.finish()
	if err != nil {
		return nil, nil, err
	}
	return tok, user, nil
}

// AccessVersion returns the version of the API tokens, users, peers and sharing
// agreements: a number every write to them, by any process, changes to a fresh random one
// (migrations 0420 and 0456). On PostgreSQL writes to the notification settings and the
// webhooks change it too (migration 0458: notifiedRows).
func (db *DB) AccessVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.viewOne(ctx, "read access version", func(tx *tx) error {
		return tx.queryRow(ctx, "SELECT n FROM access_version WHERE id = 1").Scan(&n)
	})
	return n, err
}

// RevokeToken revokes a token from now on; ECONFLICT when it is already revoked.
func (db *DB) RevokeToken(ctx context.Context, actor forewarn.Actor, id string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "revoke token", func(tx *tx) error {
		old, err := scanToken(tx.queryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no API token with id %q", id)
		}
		if err != nil {
			return err
		}
		if !old.RevokedAt.IsZero() {
			return forewarn.Errorf(forewarn.ECONFLICT, "API token %s was already revoked on %s", id, old.RevokedAt.Format(time.RFC3339))
		}
		v := *old
		v.RevokedAt = tx.now
		if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", FormatTime(v.RevokedAt), id); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return tx.audit(ctx, actor, "token.revoke", "token", id, old, &v, fmt.Sprintf("for %s as %s: %s", v.Username, v.Role, v.Name))
	})
}

// RevokeTokens revokes every token of a user not yet revoked, each with its audit entry.
func (db *DB) RevokeTokens(ctx context.Context, actor forewarn.Actor, username string) (int, error) {
	if err := actor.Validate(); err != nil {
		return 0, err
	}
	var n int
	err := db.update(ctx, db.now(), "revoke tokens", func(tx *tx) error {
		var err error
		n, err = tx.revokeTokens(ctx, actor, username)
		return err
	})
	return n, err
}

// revokeTokens revokes username's unrevoked tokens, auditing each.
func (tx *tx) revokeTokens(ctx context.Context, actor forewarn.Actor, username string) (int, error) {
	rows, err := tx.query(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE username = ? AND revoked_at IS NULL ORDER BY created_at, id", username)
	if err != nil {
		return 0, fmt.Errorf("list tokens to revoke: %w", err)
	}
	var live []*forewarn.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		live = append(live, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, old := range live {
		v := *old
		v.RevokedAt = tx.now
		if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", FormatTime(v.RevokedAt), v.ID); err != nil {
			return 0, fmt.Errorf("revoke token: %w", err)
		}
		if err := tx.audit(ctx, actor, "token.revoke", "token", v.ID, old, &v, fmt.Sprintf("for %s as %s: %s", v.Username, v.Role, v.Name)); err != nil {
			return 0, err
		}
	}
	return len(live), nil
}

// Tokens returns a user's tokens, revoked ones included, oldest first.
func (db *DB) Tokens(ctx context.Context, username string) ([]*forewarn.APIToken, error) {
	ts := []*forewarn.APIToken{}
	err := db.view(ctx, "list tokens", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE username = ? ORDER BY created_at, id", username)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// CreateSession stores a signed-in user's session: the login. Its creation time is now
// and it must expire later.
func (db *DB) CreateSession(ctx context.Context, actor forewarn.Actor, s *forewarn.Session) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if s == nil {
		return required("session")
	}
	if err := validateHash(s.Hash); err != nil {
		return err
	}
	if strings.TrimSpace(s.CSRF) == "" {
		return forewarn.Invalid("csrf", "required", "a session needs its CSRF token")
	}
	if err := checkText("csrf", s.CSRF, 200); err != nil {
		return err
	}
	if !s.ExpiresAt.After(now) {
		return forewarn.Invalid("expires_at", "future", "a session must expire after it starts")
	}
	v := *s
	v.CreatedAt, v.ExpiresAt = now, s.ExpiresAt.UTC()
	err := db.update(ctx, now, "create session", func(tx *tx) error {
		if _, err := tx.userBy(ctx, "username", v.Username); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO sessions (hash, username, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			v.Hash, v.Username, v.CSRF, FormatTime(v.CreatedAt), FormatTime(v.ExpiresAt)); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "this session secret is already in use; generate another")
			}
			return fmt.Errorf("insert session: %w", err)
		}
		// The session's JSON, and so its digest, holds neither the hash nor the CSRF token.
		return tx.audit(ctx, actor, "session.create", "session", v.Username, nil, &v, "until "+v.ExpiresAt.Format(time.RFC3339))
	})
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SessionByHash returns the session whose cookie has this hash, unless it has expired at now.
func (db *DB) SessionByHash(ctx context.Context, hash string, now time.Time) (*forewarn.Session, error) {
	var s forewarn.Session
	err := db.viewOne(ctx, "read session", func(tx *tx) error {
		var created, expires string
		err := tx.queryRow(ctx, "SELECT hash, username, csrf, created_at, expires_at FROM sessions WHERE hash = ? AND expires_at > ?", hash, FormatTime(now)).
			Scan(&s.Hash, &s.Username, &s.CSRF, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no such session, or it has expired")
		}
		if err != nil {
			return err
		}
		if s.CreatedAt, err = ParseTime(created); err != nil {
			return err
		}
		s.ExpiresAt, err = ParseTime(expires)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteSession ends a session: the logout.
func (db *DB) DeleteSession(ctx context.Context, actor forewarn.Actor, hash string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "delete session", func(tx *tx) error {
		var username string
		err := tx.queryRow(ctx, "SELECT username FROM sessions WHERE hash = ?", hash).Scan(&username)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no such session")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE hash = ?", hash); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return tx.audit(ctx, actor, "session.delete", "session", username, nil, nil, "")
	})
}

// EndSessions ends every session of a user but one, audited.
func (db *DB) EndSessions(ctx context.Context, actor forewarn.Actor, username, keep string) (int, error) {
	if err := actor.Validate(); err != nil {
		return 0, err
	}
	var n int64
	err := db.update(ctx, db.now(), "end sessions", func(tx *tx) error {
		res, err := tx.exec(ctx, "DELETE FROM sessions WHERE username = ? AND hash <> ?", username, keep)
		if err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return tx.audit(ctx, actor, "session.end_all", "user", username, nil, nil, fmt.Sprintf("%d other sessions ended", n))
	})
	return int(n), err
}

// PurgeSessions deletes expired sessions, audited when there were any.
func (db *DB) PurgeSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.update(ctx, db.now(), "purge sessions", func(tx *tx) error {
		res, err := tx.exec(ctx, "DELETE FROM sessions WHERE expires_at <= ?", FormatTime(now))
		if err != nil {
			return fmt.Errorf("purge sessions: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return tx.audit(ctx, forewarn.SystemActor("housekeeping"), "session.purge", "session", "expired", nil, nil, fmt.Sprintf("%d expired sessions deleted", n))
	})
	return int(n), err
}

// ReserveLoginAttempt reads the recent failures under keys, lets decide judge the attempt
// and, when it may go ahead, records it as a failure under every key, all while holding
// the login_guard row: on PostgreSQL a row lock every server of the node queues on, on
// SQLite the write lock. It takes no audit-head lock; the sign-in itself is audited.
func (db *DB) ReserveLoginAttempt(ctx context.Context, keys []string, now time.Time, window time.Duration, decide func(recent [][]time.Time) time.Duration) (string, time.Duration, error) {
	if len(keys) == 0 || window <= 0 || decide == nil {
		return "", 0, forewarn.Invalid("keys", "required", "a sign-in attempt is counted under at least one key, in a window")
	}
	for _, k := range keys {
		if err := checkText("key", k, 512); err != nil {
			return "", 0, err
		}
	}
	now = now.UTC()
	var reservation string
	var wait time.Duration
	err := db.loginGuarded(ctx, "reserve sign-in attempt", func(tx *tx) error {
		since := FormatTime(now.Add(-window))
		if _, err := tx.exec(ctx, "DELETE FROM login_failures WHERE at <= ?", since); err != nil {
			return fmt.Errorf("delete old sign-in failures: %w", err)
		}
		recent := make([][]time.Time, len(keys))
		for i, k := range keys {
			rows, err := tx.query(ctx, "SELECT at FROM login_failures WHERE limit_key = ? AND at > ? ORDER BY at DESC LIMIT ?", k, since, forewarn.LoginFailuresKept)
			if err != nil {
				return err
			}
			var ats []time.Time
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					rows.Close()
					return err
				}
				at, err := ParseTime(s)
				if err != nil {
					rows.Close()
					return err
				}
				ats = append(ats, at)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			slices.Reverse(ats)
			recent[i] = ats
		}
		if wait = decide(recent); wait > 0 {
			return nil
		}
		reservation = forewarn.NewID(now)
		for _, k := range keys {
			if _, err := tx.exec(ctx, "INSERT INTO login_failures (reservation, limit_key, at) VALUES (?, ?, ?)", reservation, k, FormatTime(now)); err != nil {
				return fmt.Errorf("record sign-in attempt: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	return reservation, wait, nil
}

// ReleaseLoginAttempt deletes a reservation's failures and every failure under clear.
func (db *DB) ReleaseLoginAttempt(ctx context.Context, reservation string, clear []string) error {
	return db.loginGuarded(ctx, "release sign-in attempt", func(tx *tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM login_failures WHERE reservation = ?", reservation); err != nil {
			return err
		}
		for _, k := range clear {
			if _, err := tx.exec(ctx, "DELETE FROM login_failures WHERE limit_key = ?", k); err != nil {
				return err
			}
		}
		return nil
	})
}

// loginGuarded runs fn in a writing transaction holding the login_guard row.
func (db *DB) loginGuarded(ctx context.Context, op string, fn func(*tx) error) error {
	if db.dialect.SingleWriter {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	tx, err := db.beginTx(ctx, db.now(), false)
	if err != nil {
		return db.internal(op, err)
	}
	defer tx.tx.Rollback()
	var id int
	if err := tx.queryRow(ctx, "SELECT id FROM login_guard WHERE id = 1"+db.dialect.LockSuffix).Scan(&id); err != nil {
		return db.internal(op, fmt.Errorf("lock login guard: %w", err))
	}
	if err := fn(tx); err != nil {
		return db.internal(op, err)
	}
	if err := tx.tx.Commit(); err != nil {
		return db.internal(op, fmt.Errorf("commit: %w", err))
	}
	return nil
}
