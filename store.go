package forewarn

import (
	"context"
	"crypto/ed25519"
	"time"
)

// NodeInfo is what a node knows about itself.
type NodeInfo struct {
	Agency    Agency            `json:"agency"`
	PublicKey ed25519.PublicKey `json:"public_key"`
	CreatedAt time.Time         `json:"created_at"`
}

// SubjectFilter selects subjects for FindSubjects.
type SubjectFilter struct {
	Watch  WatchStatus // only this status, when set
	Offset int
	Limit  int // 0 means the store's default page size
}

// AuditFilter selects audit entries for AuditEntries.
type AuditFilter struct {
	ActorID    string
	Action     string // exact action, or a prefix ending in "." ("subject.")
	ObjectType string
	ObjectID   string
	AfterSeq   int64 // entries with Seq > AfterSeq
	Since      time.Time
	Until      time.Time
	Limit      int // 0 means the store's default page size
}

// Store is the node's storage. Every public method owns its transaction; every method that
// changes data validates its input first and writes its audit entries in the same
// transaction, so a change and its audit entry are written together or not at all.
// Reads of subjects are audited too. Missing objects are errors with code ENOTFOUND.
type Store interface {
	// InitNode records the node's identity and first admin; ECONFLICT if done before.
	InitNode(ctx context.Context, actor Actor, info *NodeInfo, admin *User) error
	// Node returns the node's identity; ENOTFOUND before InitNode.
	Node(ctx context.Context) (*NodeInfo, error)

	CreateUser(ctx context.Context, actor Actor, u *User) error
	UpdateUser(ctx context.Context, actor Actor, u *User) error
	UserByUsername(ctx context.Context, username string) (*User, error)
	Users(ctx context.Context) ([]*User, error)

	CreateSubject(ctx context.Context, actor Actor, s *Subject) error
	UpdateSubject(ctx context.Context, actor Actor, s *Subject) error
	// Subject returns one subject and audits the read.
	Subject(ctx context.Context, actor Actor, id string) (*Subject, error)
	// FindSubjects returns a page of subjects and the total count, and audits the read.
	FindSubjects(ctx context.Context, actor Actor, f SubjectFilter) ([]*Subject, int, error)
	// ScanSubjects calls fn with every subject, unaudited: for the node's own use, such as
	// building the match index, never to show a person.
	ScanSubjects(ctx context.Context, fn func(*Subject) error) error

	CreateClaim(ctx context.Context, actor Actor, c *Claim) error
	Claims(ctx context.Context, subjectID string) ([]*Claim, error)

	CreateAssociation(ctx context.Context, actor Actor, a *Association) error
	Associations(ctx context.Context, subjectID string) ([]*Association, error)

	// RecordAudit appends a stand-alone audit entry (a login, a denied attempt); the store
	// fills Seq, Time, PrevHash and Hash.
	RecordAudit(ctx context.Context, e *AuditEntry) error
	AuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
	// ScanAudit calls fn with every audit entry in Seq order without loading them all.
	ScanAudit(ctx context.Context, fn func(*AuditEntry) error) error
	AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error)
	// CheckpointAudit signs the current chain head now (as on shutdown) unless it is
	// already checkpointed, and returns the latest checkpoint (nil for an empty chain).
	CheckpointAudit(ctx context.Context) (*AuditCheckpoint, error)

	MessageStore
	MatchStore
	AuthStore
	ImportStore
	NotificationStore

	Close() error
}
