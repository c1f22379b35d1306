package forewarn

import (
	"context"
	"encoding/json"
	"time"
)

// TAXIICollection is a TAXII 2.1 collection this node serves: an audience (an agency it
// is releasable to, a TLP ceiling, or both) and the STIX objects stored in it. An object
// is in the collection's view only when its handling marks release it to the audience and
// sit at or below the ceiling; it is served only to a reader its marks release it to.
type TAXIICollection struct {
	ID          string `json:"id"` // a UUID, as TAXII wants
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Audience is the agency the collection is for ("releasable to FR-DGSI"); empty: any.
	Audience string `json:"audience,omitempty"`
	// TLP is the most restrictive level the collection carries ("TLP:CLEAR" only); empty: any.
	TLP       TLP       `json:"tlp,omitempty"`
	CanWrite  bool      `json:"can_write"` // readers with a writing token may POST to it
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks the collection's fields, naming the first wrong one.
func (c *TAXIICollection) Validate() error {
	if err := validateText("title", c.Title, true, MaxTitleBytes); err != nil {
		return err
	}
	if err := validateText("description", c.Description, false, MaxMessageText); err != nil {
		return err
	}
	if c.Audience != "" && !IsAgencyCode(c.Audience) {
		return Invalid("audience", "agency_code", "audience %q is not an agency code like FR-DGSI", c.Audience)
	}
	if c.TLP != "" && !c.TLP.Valid() {
		return Invalid("tlp", "enum", "unknown TLP level %q (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", c.TLP)
	}
	return nil
}

// TLPRank orders the TLP levels from least (CLEAR, 0) to most restrictive (RED, 4); -1
// for an unknown level.
func TLPRank(t TLP) int {
	switch t {
	case TLPClear:
		return 0
	case TLPGreen:
		return 1
	case TLPAmber:
		return 2
	case TLPAmberStrict:
		return 3
	case TLPRed:
		return 4
	}
	return -1
}

// Admits reports whether an object marked marks belongs in the collection's view.
func (c *TAXIICollection) Admits(marks HandlingMarks) error {
	if c.TLP != "" && TLPRank(marks.TLP) > TLPRank(c.TLP) {
		return Errorf(EFORBIDDEN, "TLP:%s is above the collection's TLP:%s", marks.TLP, c.TLP)
	}
	if c.Audience != "" {
		return marks.Permits(c.Audience)
	}
	return nil
}

// STIXObject is one version of a STIX object stored in a TAXII collection.
type STIXObject struct {
	Seq         int64         `json:"seq"` // storage order, for paging
	Collection  string        `json:"collection"`
	ID          string        `json:"id"` // type--uuid
	Type        string        `json:"type"`
	Version     string        `json:"version"` // its modified (or created) timestamp, as written
	SpecVersion string        `json:"spec_version"`
	DateAdded   time.Time     `json:"date_added"`
	Marks       HandlingMarks `json:"marks"`
	// Originator is the agency whose content it is: "" for this node's own (published, or
	// loaded by its operator), else the agency that posted it.
	Originator string `json:"originator,omitempty"`
	// SubjectID is the node's subject the object publishes, when it does: serving it is a
	// read of that person, audited.
	SubjectID string          `json:"subject_id,omitempty"`
	Object    json.RawMessage `json:"object"`
}

// STIXObjectFilter selects stored objects. Version filters ("last", "first") are applied
// by the caller over what it returns, since they need every version of an object.
type STIXObjectFilter struct {
	Collection   string
	AddedAfter   time.Time // strictly after, when set
	IDs          []string
	Types        []string
	SpecVersions []string
}

// TAXIIToken lets a partner read (and, with Write, add to) some of the node's TAXII
// collections, over HTTP Basic (its name and secret) or as a bearer token. Only the
// SHA-256 of its secret is stored. Agency is who reads: handling marks are checked
// against it for every object served.
type TAXIIToken struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Agency      string    `json:"agency"`
	Collections []string  `json:"collections"`
	Write       bool      `json:"write"`
	Hash        string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Reads reports whether the token may use the collection.
func (t *TAXIIToken) Reads(collection string) bool {
	for _, c := range t.Collections {
		if c == collection {
			return true
		}
	}
	return false
}

// TAXIIStatus is the outcome of one POST of objects, as TAXII's status resource says it.
type TAXIIStatus struct {
	ID               string            `json:"id"`
	Collection       string            `json:"-"`
	Status           string            `json:"status"` // complete: objects are processed as they arrive
	RequestTimestamp string            `json:"request_timestamp"`
	TotalCount       int               `json:"total_count"`
	SuccessCount     int               `json:"success_count"`
	Successes        []TAXIIStatusItem `json:"successes,omitempty"`
	FailureCount     int               `json:"failure_count"`
	Failures         []TAXIIStatusItem `json:"failures,omitempty"`
	PendingCount     int               `json:"pending_count"`
}

// TAXIIStatusItem is one object of a status.
type TAXIIStatusItem struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

// TAXIIStore keeps the TAXII collections, their objects, the tokens that read them and the
// statuses of what was posted.
type TAXIIStore interface {
	CreateCollection(ctx context.Context, actor Actor, c *TAXIICollection) error
	Collections(ctx context.Context) ([]*TAXIICollection, error)
	Collection(ctx context.Context, id string) (*TAXIICollection, error)
	// AddSTIXObjects stores object versions in their collection, with their status when
	// st is not nil, and one audit entry; a version already there is left as it was. It
	// returns how many it added. A zero DateAdded is the store's now.
	AddSTIXObjects(ctx context.Context, actor Actor, objs []*STIXObject, st *TAXIIStatus) (int, error)
	// STIXObjects returns the versions the filter selects in (date_added, seq) order,
	// unaudited: the caller audits the persons it serves.
	STIXObjects(ctx context.Context, f STIXObjectFilter) ([]*STIXObject, error)
	TAXIIStatus(ctx context.Context, id string) (*TAXIIStatus, error)
	CreateTAXIIToken(ctx context.Context, actor Actor, t *TAXIIToken) error
	// TAXIITokenByHash returns an unexpired token; ENOTFOUND otherwise.
	TAXIITokenByHash(ctx context.Context, hash string, now time.Time) (*TAXIIToken, error)
}

// Feed is a partner's TAXII 2.1 collection this node subscribes to. Persons it brings in
// are received intelligence attributed to Agency; what it cannot map is kept raw.
type Feed struct {
	ID         string        `json:"id"`
	Agency     string        `json:"agency"` // the partner the feed speaks for
	URL        string        `json:"url"`    // the API root, like https://misp.example/taxii2/
	Collection string        `json:"collection"`
	Username   string        `json:"username,omitempty"` // HTTP Basic with Secret; empty: Secret is a bearer token
	Secret     string        `json:"-"`
	Interval   time.Duration `json:"interval"`
	CreatedAt  time.Time     `json:"created_at"`

	// Cursor is the X-TAXII-Date-Added-Last of the last page taken: the next poll asks
	// for what was added after it.
	Cursor      string    `json:"cursor,omitempty"`
	LastPoll    time.Time `json:"last_poll,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	NextPoll    time.Time `json:"next_poll,omitzero"`
	Failures    int       `json:"failures"` // consecutive failed polls
	LastError   string    `json:"last_error,omitempty"`
	Objects     int64     `json:"objects"` // everything it brought in
	Persons     int64     `json:"persons"` // of which persons, received as intelligence
	Raw         int64     `json:"raw"`     // of which kept raw: not mapped
}

// Healthy reports whether the feed's last poll succeeded.
func (f *Feed) Healthy() bool { return f.Failures == 0 }

// Validate checks the feed's fields, naming the first wrong one.
func (f *Feed) Validate() error {
	if !IsAgencyCode(f.Agency) {
		return Invalid("agency", "agency_code", "agency %q is not an agency code like TR-MIT", f.Agency)
	}
	if err := validateText("url", f.URL, true, 2000); err != nil {
		return err
	}
	if err := validateText("collection", f.Collection, true, 200); err != nil {
		return err
	}
	if f.Secret == "" {
		return Invalid("secret", "required", "a feed needs a token, or a user and password")
	}
	if f.Interval < time.Second {
		return Invalid("interval", "min", "a feed is polled at most every second, not every %s", f.Interval)
	}
	return nil
}

// FeedObject is a STIX object a feed brought in that the node could not map: kept raw and
// counted, never dropped.
type FeedObject struct {
	FeedID     string          `json:"feed_id"`
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Version    string          `json:"version"`
	Reason     string          `json:"reason"`
	Object     json.RawMessage `json:"object"`
	ReceivedAt time.Time       `json:"received_at"`
}

// FeedStore keeps the feeds this node polls and what they brought that it could not map.
type FeedStore interface {
	AddFeed(ctx context.Context, actor Actor, f *Feed) error
	Feeds(ctx context.Context) ([]*Feed, error)
	Feed(ctx context.Context, id string) (*Feed, error)
	// RemoveFeed stops polling a feed; what it brought stays.
	RemoveFeed(ctx context.Context, actor Actor, id string) error
	// RecordFeedPoll saves a poll: the feed's cursor, health and counts, and the objects it
	// kept raw, in one transaction with its audit entry.
	RecordFeedPoll(ctx context.Context, actor Actor, f *Feed, raw []*FeedObject) error
	FeedObjects(ctx context.Context, feedID string) ([]*FeedObject, error)
	// AcknowledgeLocally records this node's acknowledgement (ack, a message never sent)
	// of a message it received from a feed, and closes the alert closes when set, audited.
	AcknowledgeLocally(ctx context.Context, actor Actor, ack *Message, closes string) error
}

// STIXCodec maps between STIX 2.1 and the node's own records for the TAXII server and
// feeds; the stix package implements it and cmd/forewarn wires it in.
type STIXCodec interface {
	// Validate checks one object; the error names the JSON path of its first problem
	// relative to the object ("created", "extensions.…").
	Validate(obj json.RawMessage) error
	// Marks returns the handling marks an object's marking references carry; ok is false
	// when it carries none the node understands.
	Marks(obj json.RawMessage) (marks HandlingMarks, ok bool)
	// Person maps an object that describes one person; ok is false when it describes none.
	Person(obj json.RawMessage) (p PersonDescriptor, ok bool, err error)
	// Subject maps the node's subject to its STIX object, marked with marks.
	Subject(agency string, s *Subject, marks HandlingMarks) (json.RawMessage, error)
}
