package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/forewarn/forewarn"
)

// TokenPrefix starts every API token secret, so a leaked one is easy to recognise.
const TokenPrefix = "fw_"

// NewToken creates an API token for username in one of its roles, lasting
// forewarn.DefaultTokenTTL, and returns its secret, which is shown once: only its hash is
// stored.
func NewToken(ctx context.Context, n *Node, actor forewarn.Actor, username string, role forewarn.Role, name string) (string, *forewarn.APIToken, error) {
	return NewTokenFor(ctx, n, actor, username, role, name, 0)
}

// TokenDays is how many days a new token may last: a whole number from 1 to
// forewarn.MaxTokenTTL's; 0 means the default.
func TokenDays(days int) (time.Duration, error) {
	if days < 0 || time.Duration(days)*24*time.Hour > forewarn.MaxTokenTTL {
		return 0, forewarn.Invalid("days", "range", "a token lasts 1 to %d days (default %d)", int(forewarn.MaxTokenTTL.Hours()/24), int(forewarn.DefaultTokenTTL.Hours()/24))
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// NewTokenFor is NewToken with the token's lifetime; 0 means forewarn.DefaultTokenTTL.
func NewTokenFor(ctx context.Context, n *Node, actor forewarn.Actor, username string, role forewarn.Role, name string, ttl time.Duration) (string, *forewarn.APIToken, error) {
	return newToken(ctx, n, actor, username, role, name, ttl, false)
}

// NewProgramToken is NewTokenFor for a token that another program will use (not a
// person's CLI): the JSON API gives it only what handling marks let out to a program
// (forewarn.EgressProgram).
func NewProgramToken(ctx context.Context, n *Node, actor forewarn.Actor, username string, role forewarn.Role, name string, ttl time.Duration) (string, *forewarn.APIToken, error) {
	return newToken(ctx, n, actor, username, role, name, ttl, true)
}

func newToken(ctx context.Context, n *Node, actor forewarn.Actor, username string, role forewarn.Role, name string, ttl time.Duration, program bool) (string, *forewarn.APIToken, error) {
	u, err := n.Store.UserByUsername(ctx, username)
	if err != nil {
		return "", nil, err
	}
	if !role.Valid() {
		return "", nil, forewarn.Invalid("role", "enum", "unknown role %q", role)
	}
	if !u.HasRole(role) {
		return "", nil, forewarn.Invalid("role", "held", "%s does not hold the role %s", username, role)
	}
	b := make([]byte, 24)
	rand.Read(b)
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	tok := &forewarn.APIToken{Username: username, Role: role, Name: name, Hash: HashSecret(secret), Program: program}
	if ttl > 0 {
		tok.ExpiresAt = n.Clock.Now().Add(ttl)
	}
	if err := n.Store.CreateToken(ctx, actor, tok); err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// HashSecret returns the hex SHA-256 of a token or session secret: what the store keeps.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
