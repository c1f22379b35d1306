package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// TAXII pages: the default and the most one request returns.
const (
	DefaultTAXIIPage = 100
	MaxTAXIIPage     = 1000
)

// TAXII is the node's TAXII 2.1 server side, over the store: who may read which
// collection, which objects a reader is shown (handling marks checked for every object,
// every person served audited), and what a writer may add.
type TAXII struct {
	Node  *Node
	Codec forewarn.STIXCodec
}

// TAXIIActor is how the audit trail names a TAXII reader: the agency it reads for.
func TAXIIActor(tok *forewarn.TAXIIToken) forewarn.Actor {
	return forewarn.Actor{Kind: forewarn.ActorPeer, ID: tok.Agency}
}

// NewTAXIIToken creates a token for agency, scoped to collections, and returns its secret,
// shown once. Over HTTP Basic the user is name and the password the secret.
func (t *TAXII) NewTAXIIToken(ctx context.Context, actor forewarn.Actor, name, agency string, collections []string, write bool, ttl time.Duration) (string, *forewarn.TAXIIToken, error) {
	b := make([]byte, 24)
	rand.Read(b)
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	tok := &forewarn.TAXIIToken{Name: name, Agency: agency, Collections: collections, Write: write, Hash: HashSecret(secret)}
	if ttl > 0 {
		tok.ExpiresAt = t.Node.Clock.Now().Add(ttl)
	}
	if err := t.Node.Store.CreateTAXIIToken(ctx, actor, tok); err != nil {
		return "", nil, err
	}
	return secret, tok, nil
}

// Authenticate resolves a secret (and, over HTTP Basic, the user name it was sent with)
// to its token.
func (t *TAXII) Authenticate(ctx context.Context, user, secret string) (*forewarn.TAXIIToken, error) {
	if secret == "" {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "send a TAXII token: HTTP Basic (token name and secret) or Authorization: Bearer TOKEN")
	}
	tok, err := t.Node.Store.TAXIITokenByHash(ctx, HashSecret(secret), t.Node.Clock.Now())
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND || (err == nil && user != "" && user != tok.Name) {
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "the TAXII token is unknown or expired")
	}
	return tok, err
}

// Collections returns the collections tok may use.
func (t *TAXII) Collections(ctx context.Context, tok *forewarn.TAXIIToken) ([]*forewarn.TAXIICollection, error) {
	all, err := t.Node.Store.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var cs []*forewarn.TAXIICollection
	for _, c := range all {
		if tok.Reads(c.ID) {
			cs = append(cs, c)
		}
	}
	return cs, nil
}

// Collection returns one collection tok may use; one it may not is not found, so a
// token learns nothing of the others.
func (t *TAXII) Collection(ctx context.Context, tok *forewarn.TAXIIToken, id string) (*forewarn.TAXIICollection, error) {
	if !tok.Reads(id) {
		return nil, forewarn.Errorf(forewarn.ENOTFOUND, "no collection %q for this token", id)
	}
	return t.Node.Store.Collection(ctx, id)
}

// TAXIIQuery is what a reader asks of a collection's objects.
type TAXIIQuery struct {
	AddedAfter   time.Time
	IDs          []string
	Types        []string
	Versions     []string // "last", "first", "all" or timestamps; none means last
	SpecVersions []string
	Limit        int
	Next         string // the cursor a previous page gave
}

// TAXIIPage is one page of a collection's objects.
type TAXIIPage struct {
	Objects []*forewarn.STIXObject
	More    bool
	Next    string
}

// Releasable reports whether an object may go to the reader of tok through collection c:
// the collection's audience and ceiling, then the reader's own agency.
func Releasable(c *forewarn.TAXIICollection, tok *forewarn.TAXIIToken, marks forewarn.HandlingMarks) error {
	if err := c.Admits(marks); err != nil {
		return err
	}
	return marks.Permits(tok.Agency)
}

// TAXIIEgress is the release of one object to the agency reading with tok, as the egress
// rule sees it: a reader is always a named agency, so serving it is passing the object to
// that agency. The node's own content (published or loaded by its operator) is released
// by its originator, this node, which chose the collection and the marks; another
// agency's content (posted to a collection) goes on only as that agency's marks allow.
func TAXIIEgress(self string, tok *forewarn.TAXIIToken, o *forewarn.STIXObject) forewarn.Egress {
	e := forewarn.Egress{Path: forewarn.EgressForward, Marks: o.Marks, Originator: o.Originator, To: tok.Agency}
	if o.Originator == "" || o.Originator == self {
		e.Originator, e.Consent = self, true
	}
	return e
}

// Objects returns a page of the objects tok's reader may see in a collection, and audits
// every person on it as read by that reader.
func (t *TAXII) Objects(ctx context.Context, tok *forewarn.TAXIIToken, collection string, q TAXIIQuery) (*TAXIIPage, error) {
	c, err := t.Collection(ctx, tok, collection)
	if err != nil {
		return nil, err
	}
	all, err := t.Node.Store.STIXObjects(ctx, forewarn.STIXObjectFilter{Collection: c.ID, AddedAfter: q.AddedAfter, IDs: q.IDs, Types: q.Types, SpecVersions: q.SpecVersions})
	if err != nil {
		return nil, err
	}
	info, err := t.Node.Store.Node(ctx)
	if err != nil {
		return nil, err
	}
	var seen []*forewarn.STIXObject
	for _, o := range all {
		if Releasable(c, tok, o.Marks) != nil {
			continue // not in this reader's view of the collection
		}
		if err := t.Node.CheckEgress(ctx, TAXIIActor(tok), TAXIIEgress(info.Agency.Code, tok, o)); err != nil {
			if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
				return nil, err
			}
			continue // refused, and audited as such
		}
		seen = append(seen, o)
	}
	seen, err = selectVersions(seen, q.Versions)
	if err != nil {
		return nil, err
	}
	if q.Next != "" {
		at, seq, err := parseCursor(q.Next)
		if err != nil {
			return nil, err
		}
		i := sort.Search(len(seen), func(i int) bool {
			o := seen[i]
			return o.DateAdded.After(at) || (o.DateAdded.Equal(at) && o.Seq > seq)
		})
		seen = seen[i:]
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultTAXIIPage
	}
	limit = min(limit, MaxTAXIIPage)
	page := &TAXIIPage{Objects: seen}
	if len(seen) > limit {
		page.Objects, page.More = seen[:limit], true
		last := seen[limit-1]
		page.Next = base64.RawURLEncoding.EncodeToString([]byte(last.DateAdded.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(last.Seq, 10)))
	}
	var persons []string
	for _, o := range page.Objects {
		if o.SubjectID != "" && !slices.Contains(persons, o.SubjectID) {
			persons = append(persons, o.SubjectID)
		}
	}
	if len(persons) > 0 {
		if err := t.Node.AuditShown(ctx, TAXIIActor(tok), "subject.read", "subject", persons,
			fmt.Sprintf("served over TAXII from collection %s (%s) with token %s", c.ID, c.Title, tok.Name)); err != nil {
			return nil, err
		}
	}
	return page, nil
}

func parseCursor(next string) (time.Time, int64, error) {
	bad := forewarn.Invalid("next", "cursor", "next %q is not a cursor this server gave", next)
	b, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil {
		return time.Time{}, 0, bad
	}
	at, seq, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, 0, bad
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, 0, bad
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil {
		return time.Time{}, 0, bad
	}
	return t, n, nil
}

// ParseSTIXTime reads a STIX or TAXII timestamp (RFC 3339, UTC, any fraction).
func ParseSTIXTime(s string) (time.Time, error) {
	return time.Parse(time.RFC3339Nano, s)
}

// selectVersions keeps, of each object, the versions match[version] asks for.
func selectVersions(objs []*forewarn.STIXObject, versions []string) ([]*forewarn.STIXObject, error) {
	if len(versions) == 0 {
		versions = []string{"last"}
	}
	if slices.Contains(versions, "all") {
		return objs, nil
	}
	first, last := map[string]*forewarn.STIXObject{}, map[string]*forewarn.STIXObject{}
	at := func(o *forewarn.STIXObject) time.Time { t, _ := ParseSTIXTime(o.Version); return t }
	for _, o := range objs {
		if f, ok := first[o.ID]; !ok || at(o).Before(at(f)) {
			first[o.ID] = o
		}
		if l, ok := last[o.ID]; !ok || at(o).After(at(l)) {
			last[o.ID] = o
		}
	}
	var exact []time.Time
	for _, v := range versions {
		switch v {
		case "first", "last":
		default:
			t, err := ParseSTIXTime(v)
			if err != nil {
				return nil, forewarn.Invalid("match[version]", "enum", "%q is not last, first, all or a timestamp", v)
			}
			exact = append(exact, t)
		}
	}
	var out []*forewarn.STIXObject
	for _, o := range objs {
		keep := (slices.Contains(versions, "first") && first[o.ID] == o) || (slices.Contains(versions, "last") && last[o.ID] == o)
		for _, t := range exact {
			keep = keep || at(o).Equal(t)
		}
		if keep {
			out = append(out, o)
		}
	}
	return out, nil
}

// stixHead is the part of a STIX object the server files it by.
type stixHead struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	SpecVersion string `json:"spec_version"`
	Created     string `json:"created"`
	Modified    string `json:"modified"`
}

func (h stixHead) version() string {
	if h.Modified != "" {
		return h.Modified
	}
	return h.Created
}

// Add validates the objects of a TAXII envelope (or a STIX bundle) posted to a collection
// and stores them. One object that fails validation refuses the whole request, naming its
// JSON path; an object whose handling marks keep it out of the collection is reported as
// a failure in the status, and the others are stored.
func (t *TAXII) Add(ctx context.Context, tok *forewarn.TAXIIToken, collection string, body []byte) (*forewarn.TAXIIStatus, error) {
	c, err := t.Collection(ctx, tok, collection)
	if err != nil {
		return nil, err
	}
	if !c.CanWrite || !tok.Write {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "collection %s is not writable with this token", c.ID)
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, forewarn.Invalid("objects", "json", "the body is not a TAXII envelope: %v", err)
	}
	if len(env.Objects) == 0 {
		return nil, forewarn.Invalid("objects", "required", "the envelope holds no objects")
	}
	now := t.Node.Clock.Now()
	var heads []stixHead
	for i, raw := range env.Objects {
		if err := t.Codec.Validate(raw); err != nil {
			return nil, pathError(fmt.Sprintf("objects[%d]", i), err)
		}
		var h stixHead
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, forewarn.Invalid(fmt.Sprintf("objects[%d]", i), "json", "%v", err)
		}
		heads = append(heads, h)
	}
	st := &forewarn.TAXIIStatus{ID: newUUID(), Collection: c.ID, Status: "complete", RequestTimestamp: now.UTC().Format("2006-01-02T15:04:05.000000Z"), TotalCount: len(env.Objects)}
	var objs []*forewarn.STIXObject
	for i, raw := range env.Objects {
		h := heads[i]
		marks, ok := t.Codec.Marks(raw)
		if !ok {
			marks = defaultMarks(c)
		}
		item := forewarn.TAXIIStatusItem{ID: h.ID, Version: h.version()}
		if err := c.Admits(marks); err != nil {
			item.Message = "not admitted: " + forewarn.ErrorMessage(err)
			st.Failures = append(st.Failures, item)
			continue
		}
		st.Successes = append(st.Successes, item)
		spec := h.SpecVersion
		if spec == "" {
			spec = "2.0"
		}
		objs = append(objs, &forewarn.STIXObject{Collection: c.ID, ID: h.ID, Type: h.Type, Version: h.version(), SpecVersion: spec, Marks: marks, Originator: tok.Agency, Object: raw})
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if _, err := t.Node.Store.AddSTIXObjects(ctx, TAXIIActor(tok), objs, st); err != nil {
		return nil, err
	}
	return st, nil
}

// defaultMarks are the marks of an object that carries none the node understands: the
// collection's ceiling (TLP:AMBER when it has none), released to its audience.
func defaultMarks(c *forewarn.TAXIICollection) forewarn.HandlingMarks {
	m := forewarn.HandlingMarks{TLP: forewarn.TLPAmber}
	if c.TLP != "" && forewarn.TLPRank(c.TLP) < forewarn.TLPRank(m.TLP) {
		m.TLP = c.TLP
	}
	if c.Audience != "" {
		m.ReleasableTo = []string{c.Audience}
	}
	return m
}

// pathError prefixes a validation error's field with where the object sits.
func pathError(at string, err error) error {
	var fe *forewarn.Error
	if !errors.As(err, &fe) || fe.Code != forewarn.EINVALID {
		return forewarn.Invalid(at, "stix", "%s", forewarn.ErrorMessage(err))
	}
	field := at
	if fe.Field != "" {
		field = at + "." + fe.Field
	}
	return &forewarn.Error{Code: forewarn.EINVALID, Field: field, Rule: fe.Rule, Message: fe.Message}
}

// Status returns the status of a POST to one of tok's collections.
func (t *TAXII) Status(ctx context.Context, tok *forewarn.TAXIIToken, id string) (*forewarn.TAXIIStatus, error) {
	st, err := t.Node.Store.TAXIIStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	if !tok.Reads(st.Collection) {
		return nil, forewarn.Errorf(forewarn.ENOTFOUND, "no TAXII status %q for this token", id)
	}
	return st, nil
}

// PublishSubject puts the node's subject into a collection as a STIX object marked with
// marks, a new version when it changed since it was last published.
func (t *TAXII) PublishSubject(ctx context.Context, actor forewarn.Actor, collection, subjectID string, marks forewarn.HandlingMarks) (*forewarn.STIXObject, error) {
	if err := marks.Validate("marks"); err != nil {
		return nil, err
	}
	c, err := t.Node.Store.Collection(ctx, collection)
	if err != nil {
		return nil, err
	}
	if err := c.Admits(marks); err != nil {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "collection %s (%s) may not carry it: %s", c.ID, c.Title, forewarn.ErrorMessage(err))
	}
	info, err := t.Node.Store.Node(ctx)
	if err != nil {
		return nil, err
	}
	s, err := t.Node.Store.Subject(ctx, actor, subjectID)
	if err != nil {
		return nil, err
	}
	// What partners told us about the person leaves only where their marks allow.
	if _, err := t.Node.WithholdFromSubject(ctx, actor, forewarn.EgressTAXII, s); err != nil {
		return nil, err
	}
	raw, err := t.Codec.Subject(info.Agency.Code, s, marks)
	if err != nil {
		return nil, err
	}
	var h stixHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	o := &forewarn.STIXObject{Collection: c.ID, ID: h.ID, Type: h.Type, Version: h.version(), SpecVersion: h.SpecVersion, Marks: marks, SubjectID: s.ID, Object: raw}
	if _, err := t.Node.Store.AddSTIXObjects(ctx, actor, []*forewarn.STIXObject{o}, nil); err != nil {
		return nil, err
	}
	return o, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6], u[8] = 0x40|u[6]&0x0f, 0x80|u[8]&0x3f
	return forewarn.FormatUUID(u)
}
