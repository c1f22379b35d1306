package stix

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
)

// MaxBundleBytes bounds a bundle Reader reads: larger ones are refused, not half-read.
const MaxBundleBytes = 256 << 20

// Mapped is what an incoming bundle holds for Forewarn.
type Mapped struct {
	// Records are the persons, each with the claims the bundle makes about them and the
	// objects they were mapped from (Original: the person first).
	Records []*forewarn.ImportRecord
	// Links are the relationships between two persons that Forewarn has a kind for.
	Links []forewarn.ImportLink
	// Raw are the objects not mapped, exactly as received.
	Raw []forewarn.RawObject
	// Skipped counts what is not mapped: "type:<type>" per raw object, "extension:<id>"
	// per extension of a person Forewarn does not read.
	Skipped map[string]int
	// Errors are mapped objects refused: a person without a name, a bad birth date.
	Errors []forewarn.ImportError
}

func (m *Mapped) skip(kind string) {
	if m.Skipped == nil {
		m.Skipped = map[string]int{}
	}
	m.Skipped[kind]++
}

// ParseOptions say how to read a bundle.
type ParseOptions struct {
	// Dataset names where the bundle came from: the source of names and of claims the
	// bundle does not source itself.
	Dataset string
	// Grading grades claims from notes without the Forewarn extension: its reliability,
	// and its credibility unless the note has a confidence. Zero means F6 (cannot be judged).
	Grading forewarn.Grading
}

// linkKinds are the relationship types read as links between persons.
var linkKinds = map[string]forewarn.AssociationKind{
	"associate-of": forewarn.AssocAssociateOf, "travelled-with": forewarn.AssocTravelledWith,
	"identified-through": forewarn.AssocIdentifiedWith, "relative-of": forewarn.AssocRelativeOf,
}

type parsed struct {
	obj Object
	raw json.RawMessage
	pos string
}

// Parse validates a bundle (refusing it whole, with the JSON path of the first error,
// when it is not valid STIX 2.1) and maps it: individual identities, and threat-actors or
// intrusion-sets that are one person, become persons; notes about a person become its
// claims; relationships between persons of a kind Forewarn knows become links;
// everything else is kept raw and counted.
func Parse(data []byte, opt ParseOptions) (*Mapped, error) {
	if err := Validate(data); err != nil {
		return nil, err
	}
	var bundle struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, forewarn.Invalid("$", "json", "not a STIX bundle: %v", err)
	}
	objs := make([]*parsed, len(bundle.Objects))
	byID := map[string]*parsed{}
	for i, raw := range bundle.Objects {
		p := &parsed{raw: raw}
		if err := json.Unmarshal(raw, &p.obj); err != nil {
			return nil, forewarn.Invalid(fmt.Sprintf("objects[%d]", i), "object", "%v", err)
		}
		p.pos = fmt.Sprintf("objects[%d] (%s)", i, p.obj.ID)
		objs[i] = p
		byID[p.obj.ID] = p
	}
	m := &Mapped{}
	isPerson := func(o *Object) bool {
		switch o.Type {
		case "identity":
			return o.IdentityClass == "individual"
		case "threat-actor", "intrusion-set":
			return o.ResourceLevel == "individual" || slices.Contains(o.ThreatActorTypes, "lone-wolf")
		}
		return false
	}
	records := map[string]*forewarn.ImportRecord{}
	mapped := map[string]bool{}
	// Threat-actors attributed to a person lend it their names, and travel with it.
	lent := map[string][]*parsed{}
	for _, p := range objs {
		o := &p.obj
		if o.Type != "relationship" || o.RelationshipType != "attributed-to" {
			continue
		}
		src, dst := byID[o.SourceRef], byID[o.TargetRef]
		if src == nil || dst == nil || !isPerson(&dst.obj) || isPerson(&src.obj) || (src.obj.Type != "threat-actor" && src.obj.Type != "intrusion-set") {
			continue
		}
		lent[dst.obj.ID] = append(lent[dst.obj.ID], src, p)
	}
	for _, p := range objs {
		if !isPerson(&p.obj) {
			continue
		}
		rec, reason := person(&p.obj, lent[p.obj.ID], opt.Dataset, m)
		mapped[p.obj.ID] = true
		if reason != "" {
			m.Errors = append(m.Errors, forewarn.ImportError{Position: p.pos, Reason: reason})
			continue
		}
		rec.Position = p.pos
		rec.Original = []json.RawMessage{p.raw}
		for _, l := range lent[p.obj.ID] {
			rec.Original = append(rec.Original, l.raw)
			mapped[l.obj.ID] = true
		}
		records[p.obj.ID] = rec
		m.Records = append(m.Records, rec)
	}
	for _, p := range objs {
		o := &p.obj
		switch o.Type {
		case "note":
			var about []*forewarn.ImportRecord
			for _, ref := range o.ObjectRefs {
				if rec := records[ref]; rec != nil {
					about = append(about, rec)
				}
			}
			if len(about) == 0 {
				continue
			}
			for _, rec := range about {
				c, reason := noteClaim(o, byID, opt)
				if reason != "" {
					m.Errors = append(m.Errors, forewarn.ImportError{Position: p.pos, Reason: reason})
					break
				}
				rec.Claims = append(rec.Claims, c)
			}
			about[0].Original = append(about[0].Original, p.raw)
			mapped[o.ID] = true
		case "relationship":
			kind, known := linkKinds[o.RelationshipType]
			from, to := records[o.SourceRef], records[o.TargetRef]
			if !known || from == nil || to == nil {
				continue
			}
			note := o.Description
			if raw, ok := o.Extensions[ExtensionID]; ok {
				var e Extension
				if json.Unmarshal(raw, &e) == nil && e.Link != nil && e.Link.Note != "" {
					note = e.Link.Note
				}
			}
			m.Links = append(m.Links, forewarn.ImportLink{FromID: o.SourceRef, ToID: o.TargetRef, Kind: kind, Note: note, Position: p.pos})
			from.Original = append(from.Original, p.raw)
			mapped[o.ID] = true
		}
	}
	for _, p := range objs {
		if mapped[p.obj.ID] {
			continue
		}
		m.skip("type:" + p.obj.Type)
		m.Raw = append(m.Raw, forewarn.RawObject{ExternalID: p.obj.ID, Type: p.obj.Type, Version: p.obj.Modified, Body: p.raw})
	}
	return m, nil
}

// person maps an identity (or a one-person threat-actor) to a record.
func person(o *Object, lent []*parsed, dataset string, m *Mapped) (*forewarn.ImportRecord, string) {
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
		var ext Extension
		if err := json.Unmarshal(raw, &ext); err != nil {
			return nil, "the Forewarn extension: " + err.Error()
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
			m.skip("extension:" + k)
		}
	}
	kind := forewarn.NamePrimary
	if len(s.Names) > 0 {
		kind = forewarn.NameAlias
	}
	add(forewarn.Name{Value: o.Name, Kind: kind, Source: dataset})
	for _, a := range o.Aliases {
		add(forewarn.Name{Value: a, Kind: forewarn.NameAlias, Source: dataset})
	}
	for _, l := range lent {
		if l.obj.Type == "relationship" {
			continue
		}
		for _, a := range append([]string{l.obj.Name}, l.obj.Aliases...) {
			add(forewarn.Name{Value: a, Kind: forewarn.NameAlias, Source: dataset})
		}
	}
	if len(s.Names) == 0 {
		return nil, "a person needs a name"
	}
	return &forewarn.ImportRecord{ExternalID: o.ID, Subject: s}, ""
}

// noteClaim maps a note about a person to a claim: from the Forewarn extension when it
// has one, otherwise an attribute claim stating the note's text.
func noteClaim(o *Object, byID map[string]*parsed, opt ParseOptions) (*forewarn.Claim, string) {
	if raw, ok := o.Extensions[ExtensionID]; ok {
		var e Extension
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, "the Forewarn extension: " + err.Error()
		}
		if ec := e.Claim; ec != nil {
			c := &forewarn.Claim{Kind: forewarn.ClaimKind(ec.Kind), Value: ec.Value, Source: forewarn.Source{Agency: ec.Source.Agency, Name: ec.Source.Name},
				Grading: forewarn.Grading{Reliability: ec.Grading.Reliability, Credibility: ec.Grading.Credibility}, Negative: ec.Negative, Note: ec.Note}
			var err error
			if ec.ValidFrom != "" {
				if c.ValidFrom, err = forewarn.ParsePartialDate(ec.ValidFrom); err != nil {
					return nil, "claim.valid_from: " + err.Error()
				}
			}
			if ec.ValidTo != "" {
				if c.ValidTo, err = forewarn.ParsePartialDate(ec.ValidTo); err != nil {
					return nil, "claim.valid_to: " + err.Error()
				}
			}
			if ec.RecordedAt != "" {
				if c.RecordedAt, err = ParseTimestamp(ec.RecordedAt); err != nil {
					return nil, "claim.recorded_at: " + err.Error()
				}
			}
			return c, ""
		}
	}
	g := opt.Grading
	if g.Reliability == "" {
		g = forewarn.Grading{Reliability: "F", Credibility: 6}
	}
	if o.Confidence != nil {
		g.Credibility = Credibility(o.Confidence)
	}
	value := cutBytes(firstLine(o.Abstract, 200), 1000)
	if value == "" {
		value = cutBytes(firstLine(o.Content, 200), 1000)
	}
	src := forewarn.Source{Name: opt.Dataset}
	if by := byID[o.CreatedByRef]; by != nil && by.obj.Name != "" {
		src.Name = cutBytes(firstLine(by.obj.Name, 200), 200)
	} else if len(o.Authors) > 0 {
		src.Name = cutBytes(firstLine(strings.Join(o.Authors, ", "), 200), 200)
	}
	if src.Name == "" {
		src.Name = "STIX"
	}
	c := &forewarn.Claim{Kind: forewarn.ClaimAttribute, Value: value, Source: src, Grading: g}
	if o.Content != value {
		c.Note = cutBytes(o.Content, 10000) // the whole note stays in the original
	}
	if t, err := ParseTimestamp(o.Created); err == nil {
		c.RecordedAt = t
	}
	return c, ""
}

// Reader reads a STIX 2.1 bundle as an import (forewarn.ImportReader and RawReader):
// Parse's records, links and raw objects.
type Reader struct {
	Open    func() (io.ReadCloser, error)
	Dataset string
	// Grading grades claims from notes that do not carry their own (see ParseOptions).
	Grading forewarn.Grading

	last *Mapped
}

// Links returns the links between persons the last Read found.
func (r *Reader) Links() []forewarn.ImportLink {
	if r.last == nil {
		return nil
	}
	return r.last.Links
}

// Skipped counts what the last Read left out, by kind.
func (r *Reader) Skipped() map[string]int {
	if r.last == nil {
		return nil
	}
	return r.last.Skipped
}

// Raw returns the objects the last Read kept raw.
func (r *Reader) Raw() []forewarn.RawObject {
	if r.last == nil {
		return nil
	}
	return r.last.Raw
}

// Read maps the bundle's persons to records; a bundle that is not valid STIX 2.1 is
// refused whole, naming the JSON path of its first error.
func (r *Reader) Read(ctx context.Context, fn func(*forewarn.ImportRecord) error, bad func(forewarn.ImportError)) error {
	r.last = nil
	f, err := r.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleBytes+1))
	if err != nil {
		return err
	}
	if len(data) > MaxBundleBytes {
		return forewarn.Invalid("$", "max_bytes", "the bundle is larger than %d bytes", MaxBundleBytes)
	}
	m, err := Parse(data, ParseOptions{Dataset: r.Dataset, Grading: r.Grading})
	if err != nil {
		return err
	}
	r.last = m
	for _, e := range m.Errors {
		bad(e)
	}
	for _, rec := range m.Records {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

var _ forewarn.RawReader = (*Reader)(nil)

// cutBytes cuts s to at most n bytes, on a character boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
