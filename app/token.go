package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/forewarn/forewarn"
)

// TokenPrefix starts every API token secret, so a leaked one is easy to recognise.
const TokenPrefix = "fw_"

// NewToken creates an API token for username in one of its roles and returns its secret,
// which is shown once: only its hash is stored.
func NewToken(ctx context.Context, n *Node, actor forewarn.Actor, username string, role forewarn.Role, name string) (string, *forewarn.APIToken, error) {
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
	tok := &forewarn.APIToken{Username: username, Role: role, Name: name, Hash: HashSecret(secret)}
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
