// Package stix maps Forewarn subjects to and from STIX 2.1: a subject is an identity with
// identity_class individual, its aliases, birth date, nationalities and documents carried
// in the Forewarn person extension; IDs are stable (UUIDv5 of the node and the subject),
// so the same subject exports with the same ID every time. docs/stix.md specifies it. The
// package is pure: it reads and writes streams.
package stix

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Namespace is the UUIDv5 namespace of Forewarn's STIX IDs.
var Namespace = [16]byte{0x6b, 0x1f, 0x2c, 0x4e, 0x8a, 0x3d, 0x4b, 0x7f, 0x9c, 0x21, 0x5e, 0x0d, 0x47, 0xa8, 0x93, 0x16}

// ExtensionID is the ID of the Forewarn person extension-definition.
const ExtensionID = "extension-definition--3c0e8f5a-9b1d-5e2f-8a47-6d2c1b0e9f34"

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

// SubjectID is the STIX ID of a node's subject: the same every time it is exported.
func SubjectID(agency, subjectID string) string {
	return "identity--" + UUID5(Namespace, "forewarn:"+agency+":subject:"+subjectID)
}

// NodeID is the STIX ID of the node's own identity, which creates what it exports.
func NodeID(agency string) string {
	return "identity--" + UUID5(Namespace, "forewarn:"+agency+":node")
}

// Timestamp formats t as STIX does: UTC with milliseconds.
func Timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// PersonExtension is what the Forewarn person extension adds to an identity.
type PersonExtension struct {
	ExtensionType string              `json:"extension_type"`
	Names         []ExtName           `json:"names,omitempty"`
	BirthDate     string              `json:"birth_date,omitempty"`
	Birthplace    string              `json:"birthplace,omitempty"`
	Nationalities []string            `json:"nationalities,omitempty"`
	Documents     []forewarn.Document `json:"documents,omitempty"`
	Gender        string              `json:"gender,omitempty"`
	Watchlisted   bool                `json:"watchlisted,omitempty"`
}

// ExtName is one name of the person in the extension.
type ExtName struct {
	Value  string `json:"value"`
	Kind   string `json:"kind"`
	Script string `json:"script,omitempty"`
	Lang   string `json:"lang,omitempty"`
	Source string `json:"source,omitempty"`
}

// Object is the part of a STIX object the mapping reads and writes.
type Object struct {
	Type              string                     `json:"type"`
	SpecVersion       string                     `json:"spec_version"`
	ID                string                     `json:"id"`
	Created           string                     `json:"created,omitempty"`
	Modified          string                     `json:"modified,omitempty"`
	CreatedByRef      string                     `json:"created_by_ref,omitempty"`
	Name              string                     `json:"name,omitempty"`
	Description       string                     `json:"description,omitempty"`
	IdentityClass     string                     `json:"identity_class,omitempty"`
	Aliases           []string                   `json:"aliases,omitempty"`
	ResourceLevel     string                     `json:"resource_level,omitempty"`
	ThreatActorTypes  []string                   `json:"threat_actor_types,omitempty"`
	RelationshipType  string                     `json:"relationship_type,omitempty"`
	SourceRef         string                     `json:"source_ref,omitempty"`
	TargetRef         string                     `json:"target_ref,omitempty"`
	ObjectMarkingRefs []string                   `json:"object_marking_refs,omitempty"`
	Extensions        map[string]json.RawMessage `json:"extensions,omitempty"`

	// The extension-definition's own properties.
	Schema         string   `json:"schema,omitempty"`
	Version        string   `json:"version,omitempty"`
	ExtensionTypes []string `json:"extension_types,omitempty"`
}

// Writer writes a STIX 2.1 bundle of subjects, streaming: the node's identity and the
// extension definition first, then one identity per subject.
type Writer struct {
	w      io.Writer
	agency forewarn.Agency
	now    time.Time
	n      int
	err    error
}

// NewWriter starts a bundle created by the node of agency at now.
func NewWriter(w io.Writer, agency forewarn.Agency, now time.Time) *Writer {
	wr := &Writer{w: w, agency: agency, now: now}
	var id [16]byte
	rand.Read(id[:])
	id[6], id[8] = 0x40|id[6]&0x0f, 0x80|id[8]&0x3f
	_, wr.err = fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, forewarn.FormatUUID(id))
	ts := Timestamp(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	wr.object(&Object{Type: "identity", SpecVersion: "2.1", ID: NodeID(agency.Code), Created: ts, Modified: ts,
		Name: agency.Name, IdentityClass: "organization", Description: "Forewarn node of " + agency.Code})
	wr.object(&Object{Type: "extension-definition", SpecVersion: "2.1", ID: ExtensionID, Created: ts, Modified: ts,
		CreatedByRef: NodeID(agency.Code), Name: "Forewarn person", Version: "1.0", ExtensionTypes: []string{"property-extension"},
		Description: "A person of interest as a Forewarn node holds them: names with script and language, birth date, nationalities, identity documents.",
		Schema:      "https://github.com/forewarn/forewarn/blob/main/docs/stix.md"})
	return wr
}

func (w *Writer) object(o any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(o)
	if err != nil {
		w.err = err
		return
	}
	if w.n > 0 {
		if _, w.err = io.WriteString(w.w, ","); w.err != nil {
			return
		}
	}
	w.n++
	_, w.err = w.w.Write(b)
}

// Identity maps a subject to its STIX identity.
func Identity(agency string, s *forewarn.Subject) (*Object, error) {
	ext := PersonExtension{ExtensionType: "property-extension", Birthplace: s.Birthplace, Nationalities: s.Nationalities,
		Documents: s.Documents, Gender: string(s.Gender), Watchlisted: s.Watch == forewarn.WatchListed}
	if !s.BirthDate.IsZero() {
		ext.BirthDate = s.BirthDate.String()
	}
	for _, n := range s.Names {
		ext.Names = append(ext.Names, ExtName{Value: n.Value, Kind: string(n.Kind), Script: n.Script, Lang: n.Lang, Source: n.Source})
	}
	raw, err := json.Marshal(ext)
	if err != nil {
		return nil, err
	}
	created, modified := s.CreatedAt, s.UpdatedAt
	if created.IsZero() {
		created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if modified.Before(created) {
		modified = created
	}
	return &Object{Type: "identity", SpecVersion: "2.1", ID: SubjectID(agency, s.ID), Created: Timestamp(created), Modified: Timestamp(modified),
		CreatedByRef: NodeID(agency), Name: s.PrimaryName(), IdentityClass: "individual", Description: s.Notes,
		Extensions: map[string]json.RawMessage{ExtensionID: raw}}, nil
}

// Write adds one subject to the bundle.
func (w *Writer) Write(s *forewarn.Subject) error {
	o, err := Identity(w.agency.Code, s)
	if err != nil {
		return err
	}
	w.object(o)
	return w.err
}

// Close ends the bundle.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	_, err := io.WriteString(w.w, "]}\n")
	return err
}

// Reader maps a STIX 2.1 bundle to import records: identities of individuals, and
// threat-actors and intrusion-sets that are one person (resource_level individual, or a
// lone wolf). A threat-actor attributed to an individual identity lends it its name and
// aliases. Every other object is counted and skipped.
type Reader struct {
	Open    func() (io.ReadCloser, error)
	Dataset string

	skipped map[string]int
}

// Links returns none yet: relationships between persons are for the STIX/TAXII work.
func (r *Reader) Links() []forewarn.ImportLink { return nil }

// Skipped counts what the last Read left out, by object type.
func (r *Reader) Skipped() map[string]int { return r.skipped }

func (r *Reader) skip(kind string) {
	if r.skipped == nil {
		r.skipped = map[string]int{}
	}
	r.skipped[kind]++
}

// Read maps the bundle's persons to records.
func (r *Reader) Read(ctx context.Context, fn func(*forewarn.ImportRecord) error, bad func(forewarn.ImportError)) error {
	r.skipped = nil
	f, err := r.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(f).Decode(&bundle); err != nil {
		return fmt.Errorf("not a STIX bundle: %w", err)
	}
	if bundle.Type != "bundle" {
		return fmt.Errorf("not a STIX bundle: type is %q", bundle.Type)
	}
	objs := make([]*Object, 0, len(bundle.Objects))
	byID := map[string]*Object{}
	for i, raw := range bundle.Objects {
		var o Object
		if err := json.Unmarshal(raw, &o); err != nil {
			bad(forewarn.ImportError{Position: fmt.Sprintf("objects[%d]", i), Reason: err.Error()})
			continue
		}
		objs = append(objs, &o)
		byID[o.ID] = &o
	}
	isPerson := func(o *Object) bool {
		switch o.Type {
		case "identity":
			return o.IdentityClass == "individual"
		case "threat-actor", "intrusion-set":
			return o.ResourceLevel == "individual" || slices.Contains(o.ThreatActorTypes, "lone-wolf")
		}
		return false
	}
	// Threat-actors attributed to a person lend it their names.
	lent := map[string][]string{}
	for _, o := range objs {
		if o.Type != "relationship" || o.RelationshipType != "attributed-to" {
			continue
		}
		src, dst := byID[o.SourceRef], byID[o.TargetRef]
		if src == nil || dst == nil || !isPerson(dst) || (src.Type != "threat-actor" && src.Type != "intrusion-set") {
			continue
		}
		lent[dst.ID] = append(lent[dst.ID], append([]string{src.Name}, src.Aliases...)...)
	}
	for i, o := range objs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !isPerson(o) {
			r.skip("type:" + o.Type)
			continue
		}
		pos := fmt.Sprintf("objects[%d] (%s)", i, o.ID)
		rec, reason := r.person(o, lent[o.ID])
		if reason != "" {
			bad(forewarn.ImportError{Position: pos, Reason: reason})
			continue
		}
		rec.Position = pos
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) person(o *Object, lent []string) (*forewarn.ImportRecord, string) {
	s := forewarn.Subject{Watch: forewarn.WatchNone, Notes: o.Description}
	seen := map[string]bool{}
	add := func(n forewarn.Name) {
		n.Value = strings.Join(strings.Fields(n.Value), " ")
		if n.Value == "" || seen[n.Value] || len(s.Names) == forewarn.MaxNames {
			return
		}
		seen[n.Value] = true
		s.Names = append(s.Names, n)
	}
	if raw, ok := o.Extensions[ExtensionID]; ok {
		var ext PersonExtension
		if err := json.Unmarshal(raw, &ext); err != nil {
			return nil, "the Forewarn person extension: " + err.Error()
		}
		for _, n := range ext.Names {
			add(forewarn.Name{Value: n.Value, Kind: forewarn.NameKind(n.Kind), Script: n.Script, Lang: n.Lang, Source: n.Source})
		}
		if ext.BirthDate != "" {
			d, err := forewarn.ParsePartialDate(ext.BirthDate)
			if err != nil {
				return nil, "birth_date: " + err.Error()
			}
			s.BirthDate = d
		}
		s.Birthplace, s.Nationalities, s.Documents, s.Gender = ext.Birthplace, ext.Nationalities, ext.Documents, forewarn.Gender(ext.Gender)
		if ext.Watchlisted {
			s.Watch = forewarn.WatchListed
		}
	}
	for k := range o.Extensions {
		if k != ExtensionID {
			r.skip("extension:" + k)
		}
	}
	kind := forewarn.NamePrimary
	if len(s.Names) > 0 {
		kind = forewarn.NameAlias
	}
	add(forewarn.Name{Value: o.Name, Kind: kind, Source: r.Dataset})
	for _, a := range append(append([]string(nil), o.Aliases...), lent...) {
		add(forewarn.Name{Value: a, Kind: forewarn.NameAlias, Source: r.Dataset})
	}
	if len(s.Names) == 0 {
		return nil, "a person needs a name"
	}
	return &forewarn.ImportRecord{ExternalID: o.ID, Subject: s}, ""
}
