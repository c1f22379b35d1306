package sqlstore

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
)

// InitNode records the node's identity and its first administrator, once.
func (db *DB) InitNode(ctx context.Context, actor forewarn.Actor, info *forewarn.NodeInfo, admin *forewarn.User) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if info == nil {
		return required("node")
	}
	if admin == nil {
		return required("admin")
	}
	if err := info.Agency.Validate(); err != nil {
		return err
	}
	if len(info.PublicKey) != ed25519.PublicKeySize {
		return forewarn.Invalid("public_key", "ed25519", "the node key must be an ed25519 public key of %d bytes; it has %d", ed25519.PublicKeySize, len(info.PublicKey))
	}
	if err := admin.Validate(); err != nil {
		return err
	}
	if !admin.HasRole(forewarn.RoleAdmin) {
		return forewarn.Invalid("roles", "admin", "the first user must hold the admin role")
	}
	n, u := *info, *admin
	n.CreatedAt = now
	u.ID, u.CreatedAt = forewarn.NewID(now), now
	err := db.update(ctx, now, "initialise node", func(tx *tx) error {
		var exists int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM node").Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return forewarn.Errorf(forewarn.ECONFLICT, "the node is already initialised")
		}
		if _, err := tx.exec(ctx, "INSERT INTO node (id, agency_code, agency_name, agency_country, public_key, created_at) VALUES (1, ?, ?, ?, ?, ?)",
			n.Agency.Code, n.Agency.Name, n.Agency.Country, hex.EncodeToString(n.PublicKey), FormatTime(n.CreatedAt)); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "the node is already initialised")
			}
			return fmt.Errorf("insert node: %w", err)
		}
		if err := tx.audit(ctx, actor, "node.init", "node", n.Agency.Code, nil, &n, ""); err != nil {
			return err
		}
		return tx.createUser(ctx, actor, &u)
	})
	if err != nil {
		return err
	}
	*info, *admin = n, u
	return nil
}

// Node returns the node's identity.
func (db *DB) Node(ctx context.Context) (*forewarn.NodeInfo, error) {
	var n forewarn.NodeInfo
	var key, created string
	err := db.sql.QueryRowContext(ctx, "SELECT agency_code, agency_name, agency_country, public_key, created_at FROM node WHERE id = 1").
		Scan(&n.Agency.Code, &n.Agency.Name, &n.Agency.Country, &key, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("the node is not initialised yet")
	}
	if err != nil {
		return nil, db.internal("read node", err)
	}
	if n.PublicKey, err = hex.DecodeString(key); err != nil {
		return nil, db.internal("read node", fmt.Errorf("public key: %w", err))
	}
	if n.CreatedAt, err = ParseTime(created); err != nil {
		return nil, db.internal("read node", err)
	}
	return &n, nil
}

// CreateUser adds a user; ECONFLICT when the username is taken.
func (db *DB) CreateUser(ctx context.Context, actor forewarn.Actor, u *forewarn.User) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if u == nil {
		return required("user")
	}
	if err := u.Validate(); err != nil {
		return err
	}
	v := *u
	v.ID, v.CreatedAt = forewarn.NewID(now), now
	if err := db.update(ctx, now, "create user", func(tx *tx) error { return tx.createUser(ctx, actor, &v) }); err != nil {
		return err
	}
	*u = v
	return nil
}

func (tx *tx) createUser(ctx context.Context, actor forewarn.Actor, u *forewarn.User) error {
	_, err := tx.exec(ctx, "INSERT INTO users (id, username, display_name, roles, password_hash, must_change_password, disabled, created_at, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.Username, u.DisplayName, joinRoles(u.Roles), u.PasswordHash, u.MustChangePassword, u.Disabled, FormatTime(u.CreatedAt), u.Language)
	if err != nil {
		if tx.db.dialect.IsUniqueViolation(err) {
			return tx.db.conflict(err, "the username %q is taken", u.Username)
		}
		return fmt.Errorf("insert user: %w", err)
	}
	return tx.audit(ctx, actor, "user.create", "user", u.ID, nil, u, "username "+u.Username)
}

// UpdateUser replaces a user's fields, found by ID, or by username when ID is empty. The
// creation time cannot change.
func (db *DB) UpdateUser(ctx context.Context, actor forewarn.Actor, u *forewarn.User) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if u == nil {
		return required("user")
	}
	if err := u.Validate(); err != nil {
		return err
	}
	v := *u
	err := db.update(ctx, now, "update user", func(tx *tx) error {
		var old *forewarn.User
		var err error
		if v.ID != "" {
			old, err = tx.userBy(ctx, "id", v.ID)
		} else {
			old, err = tx.userBy(ctx, "username", v.Username)
		}
		if err != nil {
			return err
		}
		v.ID, v.CreatedAt = old.ID, old.CreatedAt
		if _, err := tx.exec(ctx, "UPDATE users SET username = ?, display_name = ?, roles = ?, password_hash = ?, must_change_password = ?, disabled = ?, language = ? WHERE id = ?",
			v.Username, v.DisplayName, joinRoles(v.Roles), v.PasswordHash, v.MustChangePassword, v.Disabled, v.Language, v.ID); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "the username %q is taken", v.Username)
			}
			return fmt.Errorf("update user: %w", err)
		}
		// The password hash is not part of the digests (it never leaves the store), so
		// the trail says in words when it changed.
		detail := "username " + v.Username
		if v.PasswordHash != old.PasswordHash {
			detail += "; password changed"
		}
		if err := tx.audit(ctx, actor, "user.update", "user", v.ID, old, &v, detail); err != nil {
			return err
		}
		if v.Disabled && !old.Disabled {
			// Tokens do not outlive the account: enabling the user again must not bring
			// back credentials that may have leaked meanwhile.
			if _, err := tx.revokeTokens(ctx, actor, old.Username); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// UserByUsername returns the user with that username.
func (db *DB) UserByUsername(ctx context.Context, username string) (*forewarn.User, error) {
	var u *forewarn.User
	err := db.viewOne(ctx, "read user", func(tx *tx) error {
		var err error
		u, err = tx.userBy(ctx, "username", username)
		return err
	})
	return u, err
}

const userColumns = "id, username, display_name, roles, password_hash, must_change_password, disabled, created_at, language"

// userBy reads one user by a unique column, "id" or "username".
func (tx *tx) userBy(ctx context.Context, column, value string) (*forewarn.User, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE "+column+" = ?", value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no user with %s %q", column, value)
	}
	return u, err
}

// Users returns every user, by username.
func (db *DB) Users(ctx context.Context) ([]*forewarn.User, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, db.internal("list users", err)
	}
	defer rows.Close()
	us := []*forewarn.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, db.internal("list users", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, db.internal("list users", err)
	}
	return us, nil
}

func scanUser(s scanner) (*forewarn.User, error) {
	var r userRow
	if err := s.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.finish()
}

// userRow is a row of userColumns as scanned, before its roles and time are parsed.
type userRow struct {
	u              forewarn.User
	roles, created string
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Username, &r.u.DisplayName, &r.roles, &r.u.PasswordHash, &r.u.MustChangePassword, &r.u.Disabled, &r.created, &r.u.Language}
}

func (r *userRow) finish() (*forewarn.User, error) {
	u := r.u
	for _, role := range strings.Split(r.roles, ",") {
		u.Roles = append(u.Roles, forewarn.Role(role))
	}
	var err error
	if u.CreatedAt, err = ParseTime(r.created); err != nil {
		return nil, fmt.Errorf("user %s: %w", u.ID, err)
	}
	return &u, nil
}

// joinRoles stores roles as a comma list; Role values are single lower-case words.
func joinRoles(rs []forewarn.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
