package forewarn

import (
	"context"
	"crypto/ed25519"
	"errors"
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
	Sort   SubjectSort // "" is the most recently changed first
	Offset int
	Limit  int // 0 means the store's default page size
}

// SubjectSort is the order of a subjects list; each is an index walk.
type SubjectSort string

// The orders of a subjects list.
const (
	SortRecentlyChanged SubjectSort = "-updated" // the most recently changed first
	SortLeastChanged    SubjectSort = "updated"
	SortName            SubjectSort = "name" // by primary name
	SortNameReverse     SubjectSort = "-name"
)

// AuditFilter selects audit entries for AuditEntries.
type AuditFilter struct {
	ActorID    string
	Token      string // entries made with this API token
	Action     string // exact action, or a prefix ending in "." ("subject.")
	ObjectType string
	ObjectID   string
	AfterSeq   int64 // entries with Seq > AfterSeq
	BeforeSeq  int64 // entries with Seq < BeforeSeq, when set
	Newest     bool  // the highest Seq first (a walk of the primary key backwards)
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
	// SetWatch watch-lists a subject or takes it off the list; the reason is required and
	// recorded in the audit entry of the change.
	SetWatch(ctx context.Context, actor Actor, id string, watch WatchStatus, reason string) error
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
	// AuditPolicy returns the node's recorded checkpoint policy: the longest run of entries
	// it lets pass without a signed checkpoint, which verification enforces.
	AuditPolicy(ctx context.Context) (int64, error)

	MessageStore
	MatchStore
	AuthStore
	WitnessStore
	ChangeFeed
	ImportStore
	NotificationStore
	TAXIIStore
	FeedStore
	AgreementStore
	ForwardStore
	PrivateMatchStore
	PurposeStore
	RetentionStore

	Close() error
}

// ChangeKind says what a Change is about.
type ChangeKind string

// The kinds of change the match index follows.
const (
	ChangeSubject ChangeKind = "subject" // a subject was created, updated or deleted
	ChangeMessage ChangeKind = "message" // a message this node received was stored or removed
)

// Change is one committed write to what the match index holds. Seq orders changes as they
// were committed, whoever made them (this process, the CLI, an import, another server on
// the same database), so a reader that has applied every change up to Seq n needs only
// those after n.
type Change struct {
	Seq  int64
	Kind ChangeKind
	ID   string
	// Subject is the subject as it is now (kind subject), nil when it no longer exists.
	Subject *Subject
	// Message is the received message as it is now (kind message), nil when it is gone.
	Message *Message
}

// ChangeFeed is how a node keeps its in-memory match index a cache of the store. None of
// its reads are audited: they are the node's own, never shown to a person.
type ChangeFeed interface {
	// ChangeHead returns the Seq of the latest committed change, 0 when there is none.
	ChangeHead(ctx context.Context) (int64, error)
	// Changes returns up to limit changes with Seq > after, in Seq order, each with its
	// object as it is now.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// ScanReceived calls fn with every message this node received, streaming.
	ScanReceived(ctx context.Context, fn func(*Message) error) error
}

// MatchChecker is a Store that, storing an arrival with StoredMessage.CheckMatched set,
// checks in the transaction that stores it that its matches are current (see
// MatchedThrough), so that its caller may match it without reading the change log first;
// storing a sent message so, it reports whether subjects changed (SubjectsChanged).
type MatchChecker interface {
	ChecksMatchedThrough() bool
}

// ErrIndexBehind is ReceiveMessage's refusal of an arrival matched through a Seq after
// which a change it was not told of was committed (StoredMessage.MatchedThrough): nothing
// is stored, and the caller catches its index up, matches again and stores it again.
var ErrIndexBehind = errors.New("the message was matched before a change committed ahead of it; match it again")
