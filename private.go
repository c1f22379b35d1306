package forewarn

import (
	"context"
	"time"
)

// Private matching: a node asks a peer "do you hold this person?" without naming the
// person (package psi, docs/private-match.md). Each side keeps a record of every query.

// DefaultPrivateLimit is how many persons a peer may ask about privately in one day
// (UTC) when it has neither a sharing agreement (whose PrivatePersonsPerDay governs
// then) nor a limit of its own set.
const DefaultPrivateLimit = 1000

// MaxPrivateLimit is the largest daily limit that can be set.
const MaxPrivateLimit = 1_000_000

// MaxPrivatePersons bounds the persons of one private query.
const MaxPrivatePersons = 1000

// The bands of a private answer: how likely the peer holds the person.
const (
	PrivateBandNone   = "none"
	PrivateBandWeak   = "weak"
	PrivateBandStrong = "strong"
)

// PrivateQuery is one private query as a node recorded it: one it asked (DirectionOut) or
// one a peer asked it (DirectionIn).
type PrivateQuery struct {
	ID        string    `json:"id"` // chosen by the asker, a UUIDv7
	Direction Direction `json:"direction"`
	Peer      string    `json:"peer"` // the other agency
	Persons   int       `json:"persons"`
	// Digest is the hex SHA-256 of the query's blinded elements, which binds the answer.
	Digest    string    `json:"digest"`
	Epoch     string    `json:"epoch"`
	CreatedAt time.Time `json:"created_at"`
	// AskedBy is, on the asking side, the user who asked.
	AskedBy string `json:"asked_by,omitempty"`
	// Results are, on the asking side, a band for every person; on the answering side,
	// the subjects the asker reported as matching.
	Results []PrivateResult `json:"results"`
	// ReportedAt is, on the answering side, when the asker reported its hits.
	ReportedAt time.Time `json:"reported_at,omitzero"`
}

// PrivateResult is what one side knows about one person of a private query.
type PrivateResult struct {
	Person int    `json:"person"` // its place in the query, from 0
	Band   string `json:"band"`
	// SubjectID is, on the asking side, the subject asked about (if any); on the answering
	// side, the subject of its own that matched.
	SubjectID string `json:"subject_id,omitempty"`
	// Label is, on the asking side, the name the asker gave the person. It never leaves
	// the node.
	Label string `json:"label,omitempty"`
}

// PrivatePeerUse is how much a peer asked privately since a time, and its limit.
type PrivatePeerUse struct {
	Peer          string `json:"peer"`
	Queries       int    `json:"queries"`
	Persons       int    `json:"persons"`
	PersonsPerDay int    `json:"persons_per_day"`
}

// PrivatePeerSet is a peer's set for private matching as this node keeps it between
// queries: the fingerprints of every key the peer holds under its secret of one epoch
// (a day), encoded as psi.Set.Encode writes them. The peer names its version (Digest) in
// every answer; while that stays the same the set is not sent again.
type PrivatePeerSet struct {
	Peer      string    `json:"peer"`
	Epoch     string    `json:"epoch"`
	Digest    string    `json:"digest"` // hex SHA-256 of Set
	Set       []byte    `json:"-"`
	FetchedAt time.Time `json:"fetched_at"`
	// Received says, for the audit trail, how this version came: the whole set, or
	// changes to the version kept before (not stored).
	Received string `json:"received,omitempty"`
}

// PrivateMatchStore keeps both sides of private matching. Every method owns its
// transaction and audits what it writes in it.
type PrivateMatchStore interface {
	// AcceptPrivateQuery records a peer's query (DirectionIn) before it is answered. It
	// refuses with ECONFLICT a query ID or a set of blinded elements seen before (a
	// replay), and with EFORBIDDEN a query that would take the peer over its persons
	// limit for the day that began at dayStart.
	AcceptPrivateQuery(ctx context.Context, actor Actor, q *PrivateQuery, dayStart time.Time) error
	// RecordPrivateAsk records a query this node asked and the bands it learned
	// (DirectionOut), with alerts for the hits, in one transaction.
	RecordPrivateAsk(ctx context.Context, actor Actor, q *PrivateQuery, alerts []*Alert) error
	// RecordPrivateReport records, on the answering side, the subjects the asker reported
	// as matching, with alerts; a second report for one query is ECONFLICT.
	RecordPrivateReport(ctx context.Context, actor Actor, peer, queryID string, results []PrivateResult, alerts []*Alert) error
	// PrivateQueries returns up to limit queries of a direction, newest first.
	PrivateQueries(ctx context.Context, dir Direction, limit int) ([]*PrivateQuery, error)
	// PrivateQuery returns one query; ENOTFOUND when there is none.
	PrivateQuery(ctx context.Context, dir Direction, peer, id string) (*PrivateQuery, error)
	// SetPrivateLimit sets how many persons a peer without a sharing agreement may ask
	// about in a day; a peer's agreement, when it has one, governs instead.
	SetPrivateLimit(ctx context.Context, actor Actor, peer string, personsPerDay int) error
	// KeepPrivatePeerSet stores a peer's set in place of the one kept before, audited.
	KeepPrivatePeerSet(ctx context.Context, actor Actor, s *PrivatePeerSet) error
	// PrivatePeerSetVersion returns the epoch and digest of the set kept for peer, without
	// the set; ENOTFOUND when none is kept.
	PrivatePeerSetVersion(ctx context.Context, peer string) (epoch, digest string, err error)
	// PrivatePeerSet returns the set kept for peer; ENOTFOUND when none is kept.
	PrivatePeerSet(ctx context.Context, peer string) (*PrivatePeerSet, error)
	// PrivateUse returns, for every peer that asked since since or has a limit or an
	// agreement, how often it asked and the limit that applies.
	PrivateUse(ctx context.Context, since time.Time) ([]PrivatePeerUse, error)
}
