// Package stix maps what a Forewarn node holds to and from STIX 2.1: subjects and the
// persons in messages are identities (identity_class individual) carrying the Forewarn
// extension; claims are notes with their Admiralty grading; warnings, requests and
// responses are reports; acknowledgements are notes on the report; links are
// relationships; handling marks are the TLP 2.0 marking-definitions plus the release list
// and originator consent in the extension. IDs are stable (UUIDv5), so the same thing
// exports with the same ID every time. Incoming bundles are validated (Validate, with the
// JSON path of the first error) and mapped back (Parse, Reader), unmappable objects kept
// raw and counted. docs/stix.md specifies it. The package is pure: no I/O but streams.
package stix

import (
	"crypto/sha1"
	"encoding/json"
	"time"

	"github.com/forewarn/forewarn"
)

// Namespace is the UUIDv5 namespace of Forewarn's STIX IDs.
var Namespace = [16]byte{0x6b, 0x1f, 0x2c, 0x4e, 0x8a, 0x3d, 0x4b, 0x7f, 0x9c, 0x21, 0x5e, 0x0d, 0x47, 0xa8, 0x93, 0x16}

// ExtensionID is the ID of the Forewarn extension-definition; its schema is
// docs/stix/forewarn-extension.schema.json.
const ExtensionID = "extension-definition--3c0e8f5a-9b1d-5e2f-8a47-6d2c1b0e9f34"

// SchemaURL is where the Forewarn extension's JSON schema is published.
const SchemaURL = "https://github.com/forewarn/forewarn/blob/main/docs/stix/forewarn-extension.schema.json"

// UUID5 returns the RFC 9562 version 5 UUID of name in namespace ns.
func UUID5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = 0x50 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return forewarn.FormatUUID(u)
}

func stableID(typ, name string) string { return typ + "--" + UUID5(Namespace, name) }

// SubjectID is the STIX ID of a node's subject: the same every time it is exported.
func SubjectID(agency, subjectID string) string {
	return stableID("identity", "forewarn:"+agency+":subject:"+subjectID)
}

// NodeID is the STIX ID of an agency's node identity, which creates what it exports.
func NodeID(agency string) string { return stableID("identity", "forewarn:"+agency+":node") }

// ClaimID is the STIX ID (a note) of a node's claim.
func ClaimID(agency, claimID string) string {
	return stableID("note", "forewarn:"+agency+":claim:"+claimID)
}

// AssociationID is the STIX ID (a relationship) of a node's association.
func AssociationID(agency, associationID string) string {
	return stableID("relationship", "forewarn:"+agency+":association:"+associationID)
}

// MessageID is the STIX ID (a report) of a request, notification or response. Message
// IDs are unique across nodes, so sender and recipients export the same report ID.
func MessageID(messageID string) string { return stableID("report", "forewarn:message:"+messageID) }

// AckID is the STIX ID (a note on the report) of an acknowledgement message.
func AckID(messageID string) string { return stableID("note", "forewarn:message:"+messageID) }

// PersonID is the STIX ID of a person described in a message.
func PersonID(messageID, ref string) string {
	return stableID("identity", "forewarn:message:"+messageID+":person:"+ref)
}

// Timestamp formats t as STIX does: UTC with milliseconds.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ParseTimestamp parses a STIX timestamp (RFC 3339, UTC "Z").
func ParseTimestamp(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// Object is a STIX 2.1 object as the mapping reads and writes it: the common properties
// and those of the types Forewarn maps. An Object with Raw set marshals as Raw exactly,
// so an object imported from elsewhere leaves the node as it came.
type Object struct {
	Type               string                     `json:"type"`
	SpecVersion        string                     `json:"spec_version,omitempty"`
	ID                 string                     `json:"id"`
	Created            string                     `json:"created,omitempty"`
	Modified           string                     `json:"modified,omitempty"`
	CreatedByRef       string                     `json:"created_by_ref,omitempty"`
	Revoked            bool                       `json:"revoked,omitempty"`
	Labels             []string                   `json:"labels,omitempty"`
	Confidence         *int                       `json:"confidence,omitempty"`
	Lang               string                     `json:"lang,omitempty"`
	ExternalReferences []ExternalReference        `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string                   `json:"object_marking_refs,omitempty"`
	Extensions         map[string]json.RawMessage `json:"extensions,omitempty"`

	Name               string   `json:"name,omitempty"`
	Description        string   `json:"description,omitempty"`
	IdentityClass      string   `json:"identity_class,omitempty"`
	Roles              []string `json:"roles,omitempty"`
	Aliases            []string `json:"aliases,omitempty"`
	ResourceLevel      string   `json:"resource_level,omitempty"`
	ThreatActorTypes   []string `json:"threat_actor_types,omitempty"`
	RelationshipType   string   `json:"relationship_type,omitempty"`
	SourceRef          string   `json:"source_ref,omitempty"`
	TargetRef          string   `json:"target_ref,omitempty"`
	StartTime          string   `json:"start_time,omitempty"`
	StopTime           string   `json:"stop_time,omitempty"`
	Abstract           string   `json:"abstract,omitempty"`
	Content            string   `json:"content,omitempty"`
	Authors            []string `json:"authors,omitempty"`
	ObjectRefs         []string `json:"object_refs,omitempty"`
	Explanation        string   `json:"explanation,omitempty"`
	Opinion            string   `json:"opinion,omitempty"`
	ReportTypes        []string `json:"report_types,omitempty"`
	Published          string   `json:"published,omitempty"`
	SightingOfRef      string   `json:"sighting_of_ref,omitempty"`
	WhereSightedRefs   []string `json:"where_sighted_refs,omitempty"`
	Context            string   `json:"context,omitempty"`
	DefinitionType     string   `json:"definition_type,omitempty"`
	Definition         any      `json:"definition,omitempty"`
	Schema             string   `json:"schema,omitempty"`
	Version            string   `json:"version,omitempty"`
	ExtensionTypes     []string `json:"extension_types,omitempty"`
	ContactInformation string   `json:"contact_information,omitempty"`

	// Raw, when set, is the object exactly as it was received; it is what is written.
	Raw json.RawMessage `json:"-"`
}

// MarshalJSON writes Raw when the object has it, the fields otherwise.
func (o Object) MarshalJSON() ([]byte, error) {
	if o.Raw != nil {
		return o.Raw, nil
	}
	type plain Object
	return json.Marshal(plain(o))
}

// ExternalReference is a STIX external reference.
type ExternalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// Extension is what the Forewarn property-extension adds to an object. Which properties
// appear depends on the object: a person's on an identity, Claim on a note, Message on a
// report, Acknowledgement on a note about a report, Link on a relationship, Handling on
// whatever came in or goes out under handling marks. Its JSON schema is
// docs/stix/forewarn-extension.schema.json.
type Extension struct {
	ExtensionType string `json:"extension_type"` // always property-extension

	// A person (identity).
	Names         []ExtName           `json:"names,omitempty"`
	BirthDate     string              `json:"birth_date,omitempty"`
	Birthplace    string              `json:"birthplace,omitempty"`
	Nationalities []string            `json:"nationalities,omitempty"`
	Documents     []forewarn.Document `json:"documents,omitempty"`
	Gender        string              `json:"gender,omitempty"`
	Watchlisted   bool                `json:"watchlisted,omitempty"`

	Claim           *ExtClaim    `json:"claim,omitempty"`
	Message         *ExtMessage  `json:"message,omitempty"`
	Acknowledgement *ExtAck      `json:"acknowledgement,omitempty"`
	Link            *ExtLink     `json:"link,omitempty"`
	Handling        *ExtHandling `json:"handling,omitempty"`
}

// PersonExtension is the extension as an identity carries it.
type PersonExtension = Extension

// ExtName is one name of the person in the extension.
type ExtName struct {
	Value  string `json:"value"`
	Kind   string `json:"kind"`
	Script string `json:"script,omitempty"`
	Lang   string `json:"lang,omitempty"`
	Source string `json:"source,omitempty"`
}

// ExtGrading is the Admiralty grading, kept whole (confidence carries the credibility on
// STIX's own Admiralty scale, but not the source's reliability).
type ExtGrading struct {
	Reliability string `json:"reliability"`
	Credibility int    `json:"credibility"`
}

// ExtSource says where a claim or link came from.
type ExtSource struct {
	Agency string `json:"agency,omitempty"`
	Name   string `json:"name,omitempty"`
}

// ExtClaim is a claim, on the note that carries it.
type ExtClaim struct {
	Kind       string     `json:"kind"`
	Value      string     `json:"value"`
	ValidFrom  string     `json:"valid_from,omitempty"`
	ValidTo    string     `json:"valid_to,omitempty"`
	RecordedAt string     `json:"recorded_at,omitempty"`
	Source     ExtSource  `json:"source"`
	Grading    ExtGrading `json:"grading"`
	Negative   bool       `json:"negative,omitempty"`
	Note       string     `json:"note,omitempty"`
	Preferred  bool       `json:"preferred,omitempty"`
}

// ExtMessage is a request, notification or response, on its report.
type ExtMessage struct {
	MessageID string   `json:"message_id"`
	Kind      string   `json:"kind"`
	From      string   `json:"from"`
	To        []string `json:"to"`
	InReplyTo string   `json:"in_reply_to,omitempty"`
	Priority  string   `json:"priority,omitempty"`
	Deadline  string   `json:"deadline,omitempty"` // the request's deadline, the notification's acknowledge_by
	Questions string   `json:"questions,omitempty"`
}

// ExtAck is an acknowledgement, on the note about the report it acknowledges.
type ExtAck struct {
	MessageID string `json:"message_id"`
	InReplyTo string `json:"in_reply_to"`
	From      string `json:"from"`
	Stage     string `json:"stage"`
	Outcome   string `json:"outcome,omitempty"`
	Reason    string `json:"reason,omitempty"`
	ByKind    string `json:"by_kind,omitempty"`
	ByName    string `json:"by_name,omitempty"`
}

// ExtLink is a link between two persons, on its relationship.
type ExtLink struct {
	Kind    string      `json:"kind"`
	Source  *ExtSource  `json:"source,omitempty"`
	Grading *ExtGrading `json:"grading,omitempty"`
	Note    string      `json:"note,omitempty"`
	Message string      `json:"message,omitempty"` // identified through this message
}

// ExtHandling is the part of the handling marks TLP cannot say.
type ExtHandling struct {
	TLP                       string   `json:"tlp"`
	ReleasableTo              []string `json:"releasable_to,omitempty"`
	OriginatorConsentRequired bool     `json:"originator_consent_required,omitempty"`
}
