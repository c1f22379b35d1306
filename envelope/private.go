package envelope

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Private matching (package psi, docs/private-match.md) exchanges signed documents of kind
// private_match: the asker's query, the holder's answer (bound to the query by its ID and
// the digest of its elements) and the asker's report of its hits; and, outside any query,
// the asker's fetch of the holder's set and the holder's set (bound to the fetch by its
// ID). Each is signed by its From agency under its own domain, so none can pass for
// another.

// MaxPrivateQueryBytes bounds a signed private query or report on the wire.
const MaxPrivateQueryBytes = 16 << 20

// MaxPrivateAnswerBytes bounds a signed private answer, which carries the holder's set.
const MaxPrivateAnswerBytes = 256 << 20

// The stages of a private_match document.
const (
	PrivateQueryStage  = "query"
	PrivateAnswerStage = "answer"
	PrivateReportStage = "report"
	// A fetch asks for the holder's current set, naming the version the asker keeps; the
	// holder answers with a set document: the set, the changes since that version, or
	// neither when it is current. Neither names a person.
	PrivateFetchStage = "fetch"
	PrivateSetStage   = "set"
)

// MaxPrivateDeltaFingerprints bounds the fingerprints a delta carries (added and removed
// together): a change larger than that is sent as the whole set.
const MaxPrivateDeltaFingerprints = 4 << 20

// PrivateMatch is one private_match document. Elements, Evaluated and Set are bytes in
// unpadded base64url, cut into chunks of at most ChunkBytes characters (a JSON string is
// at most MaxStringBytes): psi's blinded elements, the holder's evaluation of them, and
// the holder's set of fingerprints. EncodeChunks and DecodeChunks convert.
type PrivateMatch struct {
	Kind    string    `json:"kind"` // always "private_match"
	Stage   string    `json:"stage"`
	QueryID string    `json:"query_id"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Time    time.Time `json:"time"`
	Persons int       `json:"persons"`
	// Digest is the hex SHA-256 of the query's blinded elements (psi.Digest): in the
	// answer and the report it names the query they belong to.
	Digest   string   `json:"digest"`
	Elements []string `json:"elements,omitempty"`
	// HaveSet is, in a query, the version (SetDigest) of the holder's set the asker keeps
	// from an earlier answer: while it is the holder's current one, the answer leaves its
	// set out.
	HaveSet   string   `json:"have_set,omitempty"`
	Epoch     string   `json:"epoch,omitempty"`
	Evaluated []string `json:"evaluated,omitempty"`
	// SetDigest is, in an answer, the hex SHA-256 of the holder's encoded set for the
	// epoch (its version), signed with the answer whether Set is carried or not.
	SetDigest string   `json:"set_digest,omitempty"`
	Set       []string `json:"set,omitempty"`
	// SetFrom is, in an answer or a set document that carries changes instead of the
	// set, the version they apply to (the query's have_set); SetAdded and SetRemoved are
	// the fingerprints that came and went since, encoded as the set is. Applied to the
	// kept set they must give the version SetDigest names.
	SetFrom    string   `json:"set_from,omitempty"`
	SetAdded   []string `json:"set_added,omitempty"`
	SetRemoved []string `json:"set_removed,omitempty"`
	// Hits are, in a report, the persons the asker found held, with the fingerprints of
	// the keys that met (hex), so the holder knows which of its subjects matched.
	Hits []PrivateHit `json:"hits,omitempty"`
}

// PrivateHit is one person of a report.
type PrivateHit struct {
	Person       int      `json:"person"`
	Band         string   `json:"band"`
	Fingerprints []string `json:"fingerprints"`
}

// ChunkBytes is the longest chunk of base64url in a private_match document.
const ChunkBytes = 64 << 10

// EncodeChunks writes b as unpadded base64url chunks of at most ChunkBytes characters.
func EncodeChunks(b []byte) []string {
	s := Bytes.EncodeToString(b)
	out := []string{}
	for len(s) > ChunkBytes {
		out = append(out, s[:ChunkBytes])
		s = s[ChunkBytes:]
	}
	return append(out, s)
}

// DecodeChunks reads what EncodeChunks wrote; every chunk but the last must be whole.
func DecodeChunks(field string, chunks []string) ([]byte, error) {
	for i, c := range chunks {
		if len(c) > ChunkBytes || i < len(chunks)-1 && len(c) != ChunkBytes {
			return nil, forewarn.Invalid(field, "chunks", "%s[%d] is %d characters; chunks are %d, the last at most", field, i, len(c), ChunkBytes)
		}
	}
	b, err := Bytes.DecodeString(strings.Join(chunks, ""))
	if err != nil {
		return nil, forewarn.Invalid(field, "base64url", "%s is not unpadded base64url", field)
	}
	return b, nil
}

var (
	fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)
	privateFormat = format{name: "private_match", domain: "forewarn-private-match-v1\n", body: "private_match", signer: "from"}
	// Bytes is the strict encoding of the byte members.
	Bytes = base64.RawURLEncoding.Strict()
)

// Validate checks the document's fields for its stage.
func (p *PrivateMatch) Validate() error {
	if p.Kind != "private_match" {
		return forewarn.Invalid("kind", "enum", "a private match document has kind private_match, not %q", p.Kind)
	}
	if !forewarn.IsMessageID(p.QueryID) {
		return forewarn.Invalid("query_id", "uuidv7", "%q is not a query ID", p.QueryID)
	}
	if !forewarn.IsAgencyCode(p.From) || !forewarn.IsAgencyCode(p.To) || p.From == p.To {
		return forewarn.Invalid("from", "agency_code", "from and to must be two agency codes like TR-MIT")
	}
	if p.Time.IsZero() {
		return forewarn.Invalid("time", "required", "the document needs its time")
	}
	if p.Stage == PrivateFetchStage || p.Stage == PrivateSetStage {
		if p.Persons != 0 || p.Digest != "" || len(p.Elements) > 0 || len(p.Evaluated) > 0 || len(p.Hits) > 0 {
			return forewarn.Invalid("persons", "fetch", "a %s names no persons and carries no elements", p.Stage)
		}
	} else {
		if p.Persons < 1 || p.Persons > forewarn.MaxPrivatePersons {
			return forewarn.Invalid("persons", "range", "a query asks about 1 to %d persons, not %d", forewarn.MaxPrivatePersons, p.Persons)
		}
		if !digestRE.MatchString(p.Digest) {
			return forewarn.Invalid("digest", "sha256", "the digest must be 64 lower-case hex digits")
		}
	}
	need := func(field string, v []string) error {
		if len(v) == 0 {
			return forewarn.Invalid(field, "required", "a private match %s carries %s", p.Stage, field)
		}
		_, err := DecodeChunks(field, v)
		return err
	}
	switch p.Stage {
	case PrivateQueryStage, PrivateFetchStage:
		if p.HaveSet != "" && !digestRE.MatchString(p.HaveSet) {
			return forewarn.Invalid("have_set", "sha256", "the version of a kept set is 64 lower-case hex digits")
		}
		if p.Stage == PrivateFetchStage {
			return nil
		}
		return need("elements", p.Elements)
	case PrivateAnswerStage, PrivateSetStage:
		if p.Stage == PrivateAnswerStage {
			if err := need("evaluated", p.Evaluated); err != nil {
				return err
			}
		}
		return p.validateSet()
	case PrivateReportStage:
		for _, h := range p.Hits {
			if h.Person < 0 || h.Person >= p.Persons || (h.Band != forewarn.PrivateBandWeak && h.Band != forewarn.PrivateBandStrong) || len(h.Fingerprints) == 0 {
				return forewarn.Invalid("hits", "hit", "a reported hit names a person of the query, a band (weak or strong) and its fingerprints")
			}
			for _, f := range h.Fingerprints {
				if !fingerprintRE.MatchString(f) {
					return forewarn.Invalid("hits.fingerprints", "hex", "a fingerprint is 16 lower-case hex digits")
				}
			}
		}
	default:
		return forewarn.Invalid("stage", "enum", "unknown stage %q (query, answer or report)", p.Stage)
	}
	return nil
}

// validateSet checks what an answer or a set document says of the holder's set: its
// version, and the set itself, changes from a named version, or neither.
func (p *PrivateMatch) validateSet() error {
	if !digestRE.MatchString(p.SetDigest) {
		return forewarn.Invalid("set_digest", "sha256", "the set's version is 64 lower-case hex digits")
	}
	if p.Epoch == "" {
		return forewarn.Invalid("epoch", "required", "an answer names its epoch")
	}
	changed := 0
	for _, f := range []struct {
		name string
		v    []string
	}{{"set", p.Set}, {"set_added", p.SetAdded}, {"set_removed", p.SetRemoved}} {
		b, err := DecodeChunks(f.name, f.v)
		if err != nil {
			return err
		}
		if len(b)%8 != 0 {
			return forewarn.Invalid(f.name, "fingerprints", "%s is %d bytes, not whole 8-byte fingerprints", f.name, len(b))
		}
		if f.name != "set" {
			changed += len(b) / 8
		}
	}
	switch {
	case p.SetFrom == "" && (len(p.SetAdded) > 0 || len(p.SetRemoved) > 0):
		return forewarn.Invalid("set_from", "required", "changes to a set name the version they apply to")
	case p.SetFrom != "" && !digestRE.MatchString(p.SetFrom):
		return forewarn.Invalid("set_from", "sha256", "the version changes apply to is 64 lower-case hex digits")
	case p.SetFrom != "" && len(p.Set) > 0:
		return forewarn.Invalid("set", "delta", "an answer carries its set or changes to a kept one, not both")
	case p.SetFrom != "" && p.SetFrom == p.SetDigest:
		return forewarn.Invalid("set_from", "delta", "changes lead from one version to another, not to the same")
	case changed > MaxPrivateDeltaFingerprints:
		return forewarn.Invalid("set_added", "size", "the changes carry %d fingerprints; more than %d are sent as the whole set", changed, MaxPrivateDeltaFingerprints)
	}
	return nil
}

// SealPrivateMatch signs p with s, the key of p.From, and returns its wire bytes.
func SealPrivateMatch(p *PrivateMatch, s forewarn.Signer) ([]byte, error) {
	p.Kind = "private_match"
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return seal(privateFormat, p, p.From, s)
}

// OpenPrivateMatch checks a signed private_match document as Open checks an envelope
// and returns it.
func OpenPrivateMatch(data []byte, keyFor KeyFunc, maxBytes int) (*PrivateMatch, error) {
	body, err := open(data, maxBytes, privateFormat, keyFor)
	if err != nil {
		return nil, err
	}
	var p PrivateMatch
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, forewarn.Errorf(forewarn.EINVALID, "malformed private match document: %v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}
