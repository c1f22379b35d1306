package forewarn

import (
	"context"
	"encoding/json"
	"time"
)

// MatchStatus is where an analyst's review of a match stands.
type MatchStatus string

// The statuses of a match.
const (
	MatchPending   MatchStatus = "pending"
	MatchConfirmed MatchStatus = "confirmed"
	MatchRejected  MatchStatus = "rejected"
)

// Match is a scored, explained link between a person described in a received message and
// a subject this node holds, or a person in a message it received earlier.
type Match struct {
	ID        string `json:"id"`
	MessageID string `json:"message_id"` // the message describing the person
	PersonRef string `json:"person_ref"` // the person's Ref in that message
	// Fingerprint identifies the description (names and birth date, normalised), so a
	// pair an analyst rejected is recognised when the same description comes again.
	Fingerprint string `json:"fingerprint"`

	SubjectID        string `json:"subject_id,omitempty"`         // the subject matched, or
	EarlierMessageID string `json:"earlier_message_id,omitempty"` // the earlier message and
	EarlierPersonRef string `json:"earlier_person_ref,omitempty"` // the person in it

	Score       float64         `json:"score"`
	Summary     string          `json:"summary"`     // one line: why they matched
	Explanation json.RawMessage `json:"explanation"` // the matcher's full explanation

	Status    MatchStatus `json:"status"`
	DecidedBy string      `json:"decided_by,omitempty"`
	DecidedAt time.Time   `json:"decided_at,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// MatchFilter selects matches.
type MatchFilter struct {
	SubjectID string
	MessageID string
	Status    MatchStatus
	Sort      MatchSort // "" is the newest first
	Offset    int
	Limit     int
}

// MatchSort is the order of a matches list; each is an index walk.
type MatchSort string

// The orders of a matches list.
const (
	SortMatchNewest    MatchSort = "-created"
	SortMatchOldest    MatchSort = "created"
	SortMatchStrongest MatchSort = "-score"
	SortMatchWeakest   MatchSort = "score"
)

// MatchStore keeps matches and the analysts' decisions on them. Decisions are audited.
type MatchStore interface {
	// CreateMatches stores matches found outside the arrival of a message (when a subject
	// is created or edited) and their alerts, together.
	CreateMatches(ctx context.Context, actor Actor, ms []*Match, alerts []*Alert) error
	Match(ctx context.Context, id string) (*Match, error)
	Matches(ctx context.Context, f MatchFilter) ([]*Match, int, error)
	// RejectMatch records that the pair is not the same person; it never alerts again.
	RejectMatch(ctx context.Context, actor Actor, id, reason string) error
	// ConfirmMatch records that the pair is the same person and merges what the message
	// said into the subject, never overwriting: names are added as aliases with their
	// source and facts as sourced claims, all in one transaction.
	ConfirmMatch(ctx context.Context, actor Actor, id, reason string, aliases []Name, claims []*Claim) error
	// RejectedPair reports whether an analyst rejected the subject for this fingerprint.
	RejectedPair(ctx context.Context, subjectID, fingerprint string) (bool, error)
	// PreferClaim marks a claim preferred among those it conflicts with, with a reason.
	// Nothing is deleted: the other claims stay beside it.
	PreferClaim(ctx context.Context, actor Actor, claimID, reason string) error
}
