package stix

import (
	"encoding/json"
	"slices"

	"github.com/forewarn/forewarn"
)

// Codec is the mapping as the TAXII server and feeds use it (forewarn.STIXCodec): one
// object at a time.
type Codec struct{}

var _ forewarn.STIXCodec = Codec{}

// Validate checks one object; the error's field is the JSON path of its first problem
// relative to the object ("created", "extensions.…").
func (Codec) Validate(obj json.RawMessage) error {
	v, err := decodeJSON(obj)
	if err != nil {
		return forewarn.Invalid("$", "json", "not JSON: %v", err)
	}
	return ValidateObject(v, "")
}

// Marks returns the handling marks an object carries: the TLP of its TLP marking
// reference (2.0, or 1.0 read as 2.0; the most restrictive when there are several), and
// the release list and consent of the Forewarn extension. ok is false without a TLP.
func (Codec) Marks(obj json.RawMessage) (forewarn.HandlingMarks, bool) {
	var o Object
	if json.Unmarshal(obj, &o) != nil {
		return forewarn.HandlingMarks{}, false
	}
	return MarksOf(&o)
}

// MarksOf returns the handling marks of an object (see Codec.Marks).
func MarksOf(o *Object) (forewarn.HandlingMarks, bool) {
	var h forewarn.HandlingMarks
	for _, ref := range o.ObjectMarkingRefs {
		if t, ok := TLPOf(ref); ok && (h.TLP == "" || forewarn.TLPRank(t) > forewarn.TLPRank(h.TLP)) {
			h.TLP = t
		}
	}
	if raw, ok := o.Extensions[ExtensionID]; ok {
		var e Extension
		if json.Unmarshal(raw, &e) == nil && e.Handling != nil {
			if t := forewarn.TLP(e.Handling.TLP); t.Valid() && (h.TLP == "" || forewarn.TLPRank(t) > forewarn.TLPRank(h.TLP)) {
				h.TLP = t
			}
			h.ReleasableTo = slices.Clone(e.Handling.ReleasableTo)
			h.OriginatorConsentRequired = e.Handling.OriginatorConsentRequired
		}
	}
	return h, h.TLP != ""
}

// Person maps an object that describes one person (an individual identity, a one-person
// threat-actor or intrusion-set) to a person descriptor whose Ref is the object's ID; ok
// is false when it describes none.
func (Codec) Person(obj json.RawMessage) (forewarn.PersonDescriptor, bool, error) {
	var o Object
	if err := json.Unmarshal(obj, &o); err != nil {
		return forewarn.PersonDescriptor{}, false, forewarn.Invalid("$", "object", "%v", err)
	}
	switch {
	case o.Type == "identity" && o.IdentityClass == "individual":
	case (o.Type == "threat-actor" || o.Type == "intrusion-set") && (o.ResourceLevel == "individual" || slices.Contains(o.ThreatActorTypes, "lone-wolf")):
	default:
		return forewarn.PersonDescriptor{}, false, nil
	}
	rec, reason := person(&o, nil, "", &Mapped{})
	if reason != "" {
		return forewarn.PersonDescriptor{}, true, forewarn.Invalid("name", "required", "%s: %s", o.ID, reason)
	}
	s := rec.Subject
	return forewarn.PersonDescriptor{Ref: o.ID, Names: s.Names, BirthDate: s.BirthDate, Birthplace: s.Birthplace, Nationalities: s.Nationalities,
		Gender: s.Gender, Documents: s.Documents, Watch: s.Watch}, true, nil
}

// Subject maps the node's subject to its identity, marked with marks (the TLP 2.0
// marking reference; the release list and consent in the extension).
func (Codec) Subject(agency string, s *forewarn.Subject, marks forewarn.HandlingMarks) (json.RawMessage, error) {
	o, err := MarkedIdentity(agency, s, marks)
	if err != nil {
		return nil, err
	}
	return json.Marshal(o)
}

// MarkedIdentity is Identity under handling marks.
func MarkedIdentity(agency string, s *forewarn.Subject, marks forewarn.HandlingMarks) (*Object, error) {
	o, err := Identity(agency, s)
	if err != nil {
		return nil, err
	}
	if marks.TLP == "" {
		return o, nil
	}
	ext := personExtension(s.Names, s.BirthDate, s.Birthplace, s.Nationalities, s.Documents, s.Gender, s.Watch)
	ext.Handling = extHandling(marks)
	if o.Extensions, err = extension(ext); err != nil {
		return nil, err
	}
	o.ObjectMarkingRefs, _ = handlingMarks(marks)
	return o, nil
}
