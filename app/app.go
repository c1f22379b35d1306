// Package app is Forewarn's application core: the workflows of a node (create a node, keep
// subjects and claims, verify the audit trail; later receive, match and escalate messages)
// written against the root interfaces only, with an injectable clock, so they can be tested
// without a network and run on a simulated calendar.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/forewarn/forewarn"
)

// Node is one agency's node: its store, clock and key.
type Node struct {
	Store   forewarn.Store
	Clock   forewarn.Clock
	Signer  forewarn.Signer
	Logger  *slog.Logger
	Matcher *Matcher // nil until LoadMatcher
	// CheckpointEvery is kept for callers that set it; VerifyAudit enforces the policy the
	// store recorded instead (Store.AuditPolicy), so no one has to remember it.
	CheckpointEvery int
	// Refusals audits refused anonymous requests, counting a flood rather than writing
	// an entry for each.
	Refusals *Refusals
	// Server names this process among the servers that serve the node from one store
	// (two serve processes on one PostgreSQL database): the work it claims is marked with
	// it. serve sets it to the host and listen address, so a restarted server takes back
	// what its previous run claimed (ReleaseClaims); New gives a random one.
	Server string

	accessCache accessCache // tokens, users, peers and agreements as of the store's access version
}

// New returns a Node; a nil clock means the wall clock, a nil logger discards.
func New(store forewarn.Store, clock forewarn.Clock, signer forewarn.Signer, logger *slog.Logger) *Node {
	if clock == nil {
		clock = forewarn.SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Node{Store: store, Clock: clock, Signer: signer, Logger: logger, Refusals: NewRefusals(store, logger), Server: "process " + NewPassword()[:12]}
}

// Initialize records the node's identity and creates its first administrator with a
// one-time password, which it returns; the password must be changed at first login.
func (n *Node) Initialize(ctx context.Context, agency forewarn.Agency, adminUsername string) (password string, err error) {
	if err := agency.Validate(); err != nil {
		return "", err
	}
	password = NewPassword()
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	admin := &forewarn.User{
		Username:           adminUsername,
		DisplayName:        "First administrator",
		Roles:              []forewarn.Role{forewarn.RoleAdmin},
		PasswordHash:       hash,
		MustChangePassword: true,
	}
	info := &forewarn.NodeInfo{Agency: agency, PublicKey: n.Signer.PublicKey(), CreatedAt: n.Clock.Now()}
	if err := n.Store.InitNode(ctx, forewarn.SystemActor("init"), info, admin); err != nil {
		return "", err
	}
	n.Logger.Info("node initialised", "agency", agency.Code, "admin", adminUsername)
	return password, nil
}

// NewPassword returns a random one-time password of 20 URL-safe characters (120 bits).
func NewPassword() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashPassword hashes a password with bcrypt.
func HashPassword(password string) (string, error) {
	if len(password) > 72 {
		return "", forewarn.Invalid("password", "max_length", "must be at most 72 bytes")
	}
	if len(password) < 12 {
		return "", forewarn.Invalid("password", "min_length", "must be at least 12 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost())
	return string(h), err
}

// passwordCost is bcrypt's cost for a new hash. In a test binary it is bcrypt's minimum:
// there a hash guards a throw-away account, and at the default cost hashing was most of
// the CPU of the suites that start nodes. CheckPassword compares at the cost the hash
// records, so a test still signs in through the same bcrypt check; the forewarn binary,
// which the process tests run, keeps the default.
func passwordCost() int {
	if testing.Testing() {
		return bcrypt.MinCost
	}
	return bcrypt.DefaultCost
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
