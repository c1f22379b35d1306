package stix

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Holding is one subject as an export carries it.
type Holding struct {
	Subject *forewarn.Subject
	// Claims about the subject, each a note.
	Claims []*forewarn.Claim
	// Associations from the subject, each a relationship to TargetIDs[a.ToID] (the
	// other subject's export ID; SubjectID when absent).
	Associations []*forewarn.Association
	TargetIDs    map[string]string
	// Original is what the subject was imported from (forewarn.ImportRecord.Original):
	// given back unchanged, so a STIX round trip keeps IDs and properties; the person is
	// written as a new version only when the node changed what the mapping reads.
	Original []json.RawMessage
}

// HoldingObjects maps a holding of the node of agency to its STIX objects.
func HoldingObjects(agency string, h *Holding) ([]*Object, error) {
	s := h.Subject
	ident, err := Identity(agency, s)
	if err != nil {
		return nil, err
	}
	var out []*Object
	from := map[string]bool{} // claims and links the originals already carry
	if len(h.Original) > 0 {
		objs, person, err := originals(h.Original, s, ident)
		if err != nil {
			return nil, err
		}
		out = objs
		ident.ID = person.obj.ID
		m, _ := Parse(syntheticBundle(h.Original), ParseOptions{})
		if m != nil {
			for _, rec := range m.Records {
				for _, c := range rec.Claims {
					from["claim|"+claimKey(c)] = true
				}
			}
			for _, l := range m.Links {
				from["link|"+string(l.Kind)+"|"+l.ToID] = true
			}
		}
	} else {
		out = []*Object{ident}
	}
	for _, c := range h.Claims {
		if from["claim|"+claimKey(c)] {
			continue
		}
		o, err := Claim(agency, ident.ID, c)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	for _, a := range h.Associations {
		to := h.TargetIDs[a.ToID]
		if to == "" {
			to = SubjectID(agency, a.ToID)
		}
		if from["link|"+string(a.Kind)+"|"+to] {
			continue
		}
		o, err := Association(agency, ident.ID, to, a)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func claimKey(c *forewarn.Claim) string {
	return fmt.Sprintf("%s|%s|%s|%s|%t", c.Kind, c.Value, c.ValidFrom, c.ValidTo, c.Negative)
}

func syntheticBundle(objs []json.RawMessage) []byte {
	b := []byte(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[`)
	for i, o := range objs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o...)
	}
	return append(b, "]}"...)
}

// originals gives back the objects a subject was imported from: all unchanged, except the
// person, written as a new version when the subject no longer maps to it.
func originals(raw []json.RawMessage, s *forewarn.Subject, ident *Object) ([]*Object, *parsed, error) {
	person := &parsed{raw: raw[0]}
	if err := json.Unmarshal(raw[0], &person.obj); err != nil {
		return nil, nil, fmt.Errorf("stix: the original of subject %s: %w", s.ID, err)
	}
	out := make([]*Object, 0, len(raw))
	for _, r := range raw {
		out = append(out, &Object{Raw: r})
	}
	m, err := Parse(syntheticBundle(raw), ParseOptions{})
	same := false
	if err == nil {
		for _, rec := range m.Records {
			if rec.ExternalID == person.obj.ID {
				same = sameMapped(&rec.Subject, s)
			}
		}
	}
	if same {
		return out, person, nil
	}
	// A new version: the same object with what the mapping writes replaced.
	var fields map[string]any
	if err := json.Unmarshal(raw[0], &fields); err != nil {
		return nil, nil, err
	}
	fields["name"] = ident.Name
	if ident.Description != "" {
		fields["description"] = ident.Description
	} else {
		delete(fields, "description")
	}
	exts, _ := fields["extensions"].(map[string]any)
	if exts == nil {
		exts = map[string]any{}
	}
	exts[ExtensionID] = ident.Extensions[ExtensionID]
	fields["extensions"] = exts
	prev, _ := ParseTimestamp(person.obj.Modified)
	mod := s.UpdatedAt
	if !mod.After(prev) {
		mod = prev.Add(time.Millisecond)
	}
	fields["modified"] = Timestamp(mod)
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, nil, err
	}
	out[0] = &Object{Raw: b}
	return out, person, nil
}

// sameMapped reports whether the subject still says what its original maps to.
func sameMapped(a, b *forewarn.Subject) bool {
	names := func(s *forewarn.Subject) []string {
		var v []string
		for _, n := range s.Names {
			v = append(v, n.Value)
		}
		slices.Sort(v)
		return v
	}
	return slices.Equal(names(a), names(b)) && a.BirthDate == b.BirthDate && a.Birthplace == b.Birthplace &&
		slices.Equal(a.Nationalities, b.Nationalities) && slices.Equal(a.Documents, b.Documents) &&
		a.Gender == b.Gender && (a.Watch == forewarn.WatchListed) == (b.Watch == forewarn.WatchListed) && a.Notes == b.Notes
}

// Writer writes a STIX 2.1 bundle, streaming: the node's identity and the Forewarn
// extension-definition first, then each object once (a second object with an ID already
// written is left out, so shared markings and identities appear once).
type Writer struct {
	w      io.Writer
	agency forewarn.Agency
	n      int
	seen   map[string]bool
	err    error
}

// NewWriter starts a bundle created by the node of agency; now is kept for callers that
// time their exports (objects carry their own times, so exports are repeatable).
func NewWriter(w io.Writer, agency forewarn.Agency, now time.Time) *Writer {
	wr := &Writer{w: w, agency: agency, seen: map[string]bool{}}
	var id [16]byte
	rand.Read(id[:])
	id[6], id[8] = 0x40|id[6]&0x0f, 0x80|id[8]&0x3f
	_, wr.err = fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, forewarn.FormatUUID(id))
	wr.WriteObject(AgencyIdentity(agency.Code, agency.Name))
	wr.WriteObject(ExtensionDefinition(agency.Code))
	return wr
}

// WriteObject adds one object, unless one with its ID was written already.
func (w *Writer) WriteObject(o *Object) error {
	if w.err != nil {
		return w.err
	}
	id := o.ID
	if o.Raw != nil {
		var head struct {
			ID string `json:"id"`
		}
		json.Unmarshal(o.Raw, &head)
		id = head.ID
	}
	if w.seen[id] {
		return nil
	}
	w.seen[id] = true
	b, err := json.Marshal(o)
	if err != nil {
		w.err = err
		return err
	}
	if w.n > 0 {
		if _, w.err = io.WriteString(w.w, ","); w.err != nil {
			return w.err
		}
	}
	w.n++
	_, w.err = w.w.Write(b)
	return w.err
}

func (w *Writer) writeAll(objs []*Object) error {
	for _, o := range objs {
		if err := w.WriteObject(o); err != nil {
			return err
		}
	}
	return nil
}

// Write adds one subject (its identity alone).
func (w *Writer) Write(s *forewarn.Subject) error { return w.WriteHolding(&Holding{Subject: s}) }

// WriteHolding adds a subject with its claims, associations and originals.
func (w *Writer) WriteHolding(h *Holding) error {
	objs, err := HoldingObjects(w.agency.Code, h)
	if err != nil {
		return err
	}
	return w.writeAll(objs)
}

// WriteMessage adds a message's objects (see Message).
func (w *Writer) WriteMessage(m *forewarn.Message) error {
	objs, err := Message(m)
	if err != nil {
		return err
	}
	return w.writeAll(objs)
}

// Close ends the bundle.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	_, err := io.WriteString(w.w, "]}\n")
	return err
}

// Bundle wraps objects in a bundle with a fresh ID, each object once.
func Bundle(objs []*Object) ([]byte, error) {
	var b strings.Builder
	w := &Writer{w: &b, seen: map[string]bool{}}
	var id [16]byte
	rand.Read(id[:])
	id[6], id[8] = 0x40|id[6]&0x0f, 0x80|id[8]&0x3f
	fmt.Fprintf(&b, `{"type":"bundle","id":"bundle--%s","objects":[`, forewarn.FormatUUID(id))
	if err := w.writeAll(objs); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
