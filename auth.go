package forewarn

import (
	"context"
	"time"
)

// APIToken lets a program or the CLI act for a user, in one of the user's roles, until it
// expires or is revoked. Only the SHA-256 of its secret is stored.
type APIToken struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Role      Role      `json:"role"`
	Name      string    `json:"name"` // what it is for: "cli on liaison desk 2"
	Hash      string    `json:"-"`    // hex SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero only for tokens made before tokens expired
	RevokedAt time.Time `json:"revoked_at,omitempty"`
	// Program says the token is for another program, not a person's CLI: the JSON API
	// gives it only what handling marks let out by EgressProgram.
	Program bool `json:"program,omitempty"`
}

// DefaultTokenTTL is how long an API token lasts unless its creator says otherwise, and
// MaxTokenTTL the longest it may: a forgotten token stops working on its own.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
)

// Expired reports whether the token has expired at now.
func (t *APIToken) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// Session is a signed-in user's browser session. Only the SHA-256 of its cookie value is
// stored; CSRF is the token every form must carry.
type Session struct {
	Hash      string    `json:"-"`
	Username  string    `json:"username"`
	CSRF      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AuthStore keeps API tokens and sessions. Creating and revoking are audited.
type AuthStore interface {
	CreateToken(ctx context.Context, actor Actor, t *APIToken) error
	// TokenByHash returns a token that is not revoked; ENOTFOUND otherwise.
	TokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// TokenUserByHash is TokenByHash with the token's user, read with it: what every API
	// request checks, in one read. ENOTFOUND when the token is unknown or revoked, or its
	// user is gone.
	TokenUserByHash(ctx context.Context, hash string) (*APIToken, *User, error)
	// AccessVersion is a number that every committed write to the API tokens, the users,
	// the peers or the sharing agreements changes, whoever made it: a server that keeps
	// them in memory (app.Node's access cache) reads it to know they are unchanged. On
	// PostgreSQL writes to the notification settings and the webhooks change it too, for
	// the store's own memory of who hears of an alert (migration 0458). It is
	// a fresh random number, not a count, so a database that went back (a restore, a
	// failover) and was written again does not reach a number it had before.
	AccessVersion(ctx context.Context) (int64, error)
	RevokeToken(ctx context.Context, actor Actor, id string) error
	// RevokeTokens revokes every unrevoked token of username (as when the user is
	// disabled, or asks for it on a password change), audited; it returns how many.
	RevokeTokens(ctx context.Context, actor Actor, username string) (int, error)
	Tokens(ctx context.Context, username string) ([]*APIToken, error)

	CreateSession(ctx context.Context, actor Actor, s *Session) error
	// SessionByHash returns a session that has not expired at now; ENOTFOUND otherwise.
	SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, error)
	DeleteSession(ctx context.Context, actor Actor, hash string) error
	// EndSessions ends every session of username but the one whose hash is keep (as after
	// a password change), audited; it returns how many it ended.
	EndSessions(ctx context.Context, actor Actor, username, keep string) (int, error)
	// PurgeSessions deletes the sessions expired at now, audited when there were any.
	PurgeSessions(ctx context.Context, now time.Time) (int, error)

	// ReserveLoginAttempt counts a sign-in attempt as a failed one before its password is
	// checked, in the store, so parallel guesses cannot all pass and every server of the
	// node sees every failure. One attempt at a time, it reads the failures recorded under
	// each of keys after now-window (oldest first, at most LoginFailuresKept of the newest
	// each), asks decide how long the attempt must wait, and when decide says it need not,
	// records a failure at now under every key. It returns the attempt's reservation (empty
	// when it must wait) and the wait. Failures older than window are deleted as it goes.
	ReserveLoginAttempt(ctx context.Context, keys []string, now time.Time, window time.Duration, decide func(recent [][]time.Time) time.Duration) (string, time.Duration, error)
	// ReleaseLoginAttempt takes back a reservation whose password proved right, and
	// forgets every failure under the keys clear.
	ReleaseLoginAttempt(ctx context.Context, reservation string, clear []string) error
}

// LoginFailuresKept is the most failures under one key ReserveLoginAttempt reads: no sign-in
// limit needs more to decide.
const LoginFailuresKept = 64
