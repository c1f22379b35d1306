package forewarn

import (
	"strings"
	"time"
)

// ClaimKind is what a claim asserts about a subject.
type ClaimKind string

// The kinds of claim.
const (
	ClaimTravelEntry ClaimKind = "travel_entry" // entered Value (a country) at ValidFrom
	ClaimTravelExit  ClaimKind = "travel_exit"  // left Value (a country) at ValidFrom
	ClaimResidence   ClaimKind = "residence"
	ClaimAssociation ClaimKind = "association"
	ClaimDocument    ClaimKind = "document"
	ClaimAttribute   ClaimKind = "attribute"
)

// ClaimKinds lists every claim kind.
var ClaimKinds = []ClaimKind{ClaimTravelEntry, ClaimTravelExit, ClaimResidence, ClaimAssociation, ClaimDocument, ClaimAttribute}

// Grading is the Admiralty (NATO) grading of a piece of information: the reliability of
// its source (A completely reliable … E unreliable, F cannot be judged) and the
// credibility of the information itself (1 confirmed … 5 improbable, 6 cannot be judged).
type Grading struct {
	Reliability string `json:"reliability"` // "A".."F"
	Credibility int    `json:"credibility"` // 1..6
}

// String formats the grading the way analysts write it: "B2".
func (g Grading) String() string {
	if g.Reliability == "" || g.Credibility == 0 {
		return ""
	}
	return g.Reliability + string(rune('0'+g.Credibility))
}

// ParseGrading parses "B2" into a Grading.
func ParseGrading(s string) (Grading, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	if len(s) != 2 {
		return Grading{}, Invalid("grading", "admiralty", "%q is not an Admiralty grading: a letter A-F then a digit 1-6, like B2", s)
	}
	g := Grading{Reliability: s[:1], Credibility: int(s[1] - '0')}
	return g, g.Validate("grading")
}

// Validate checks the grading is within A-F and 1-6.
func (g Grading) Validate(field string) error {
	if len(g.Reliability) != 1 || g.Reliability[0] < 'A' || g.Reliability[0] > 'F' {
		return Invalid(field+".reliability", "admiralty", "source reliability %q must be a letter A-F", g.Reliability)
	}
	if g.Credibility < 1 || g.Credibility > 6 {
		return Invalid(field+".credibility", "admiralty", "information credibility %d must be 1-6", g.Credibility)
	}
	return nil
}

// Source says where a piece of information came from: an agency, or a named source within
// one (a border-control system, an informant's reference).
type Source struct {
	Agency string `json:"agency,omitempty"` // agency code
	Name   string `json:"name,omitempty"`   // named source
}

func (s Source) String() string {
	switch {
	case s.Agency != "" && s.Name != "":
		return s.Agency + " / " + s.Name
	case s.Agency != "":
		return s.Agency
	}
	return s.Name
}

func (s Source) validate(field string) error {
	if strings.TrimSpace(s.Agency) == "" && strings.TrimSpace(s.Name) == "" {
		return Invalid(field, "required", "a claim needs a source: an agency or a named source")
	}
	if err := validateText(field+".agency", s.Agency, false, 40); err != nil {
		return err
	}
	if s.Agency != "" && !IsAgencyCode(s.Agency) {
		return Invalid(field+".agency", "agency_code", "%q is not an agency code: a country, a hyphen and 2-16 capitals or digits, like TR-MIT (name any other source as the named source)", s.Agency)
	}
	return validateText(field+".name", s.Name, false, 200)
}

// Claim is a graded, sourced, time-bounded fact about a subject. Claims are never
// overwritten: a contradicting claim is recorded beside the first and the conflict flagged.
type Claim struct {
	ID         string      `json:"id"`
	SubjectID  string      `json:"subject_id"`
	Kind       ClaimKind   `json:"kind"`
	Value      string      `json:"value"`      // the country for travel, the address, the attribute
	ValidFrom  PartialDate `json:"valid_from"` // when it starts to be true (the travel date)
	ValidTo    PartialDate `json:"valid_to"`   // when it stops; unknown means open-ended
	RecordedAt time.Time   `json:"recorded_at"`
	Source     Source      `json:"source"`
	Grading    Grading     `json:"grading"`
	Negative   bool        `json:"negative"` // asserts absence: "no exit record"
	Note       string      `json:"note,omitempty"`
	// MessageID is the message the claim came in, when it came from a peer.
	MessageID string `json:"message_id,omitempty"`
	// Preferred marks the claim an analyst prefers among those it conflicts with.
	Preferred       bool   `json:"preferred,omitempty"`
	PreferredReason string `json:"preferred_reason,omitempty"`
}

// Validate checks every field of the claim; now refuses valid times that start in the future.
func (c *Claim) Validate(now time.Time) error {
	if strings.TrimSpace(c.SubjectID) == "" {
		return Invalid("subject_id", "required", "a claim must be about a subject")
	}
	known := false
	for _, k := range ClaimKinds {
		if c.Kind == k {
			known = true
		}
	}
	if !known {
		return Invalid("kind", "enum", "%q is not a kind of claim", c.Kind).Choices(codes(ClaimKinds)...)
	}
	if err := validateText("value", c.Value, true, 1000); err != nil {
		return err
	}
	if (c.Kind == ClaimTravelEntry || c.Kind == ClaimTravelExit) && !IsCountry(c.Value) {
		return Invalid("value", "iso3166", "a travel claim's value must be the country, as an ISO 3166-1 alpha-2 code; %q is not one", c.Value)
	}
	if !c.ValidFrom.IsZero() && c.ValidFrom.Start().After(now) {
		return Invalid("valid_from", "not_future", "%s is in the future", c.ValidFrom)
	}
	// A period that ends before the start's own period begins is backwards; "from 2014 to
	// 2014" is one year, "from 2014 to 2013" is refused.
	if !c.ValidTo.IsZero() && !c.ValidFrom.IsZero() && !c.ValidTo.End().After(c.ValidFrom.Start()) {
		return Invalid("valid_to", "order", "%s is before the claim starts (%s): a claim cannot stop being true before it starts", c.ValidTo, c.ValidFrom)
	}
	if err := c.Source.validate("source"); err != nil {
		return err
	}
	if err := c.Grading.Validate("grading"); err != nil {
		return err
	}
	return validateText("note", c.Note, false, 10000)
}

// AssociationKind is how two subjects are linked.
type AssociationKind string

// The kinds of association.
const (
	AssocAssociateOf    AssociationKind = "associate_of"
	AssocTravelledWith  AssociationKind = "travelled_with"
	AssocIdentifiedWith AssociationKind = "identified_through" // found while investigating the other
	AssocRelativeOf     AssociationKind = "relative_of"
)

// Association links two subjects, with its source and grading.
type Association struct {
	ID         string          `json:"id"`
	FromID     string          `json:"from_id"`
	ToID       string          `json:"to_id"`
	Kind       AssociationKind `json:"kind"`
	Source     Source          `json:"source"`
	Grading    Grading         `json:"grading"`
	Note       string          `json:"note,omitempty"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// Validate checks the association's fields.
func (a *Association) Validate() error {
	if a.FromID == "" || a.ToID == "" {
		return Invalid("from_id", "required", "an association links two subjects")
	}
	if a.FromID == a.ToID {
		return Invalid("to_id", "distinct", "a subject cannot be associated with itself")
	}
	switch a.Kind {
	case AssocAssociateOf, AssocTravelledWith, AssocIdentifiedWith, AssocRelativeOf:
	default:
		return Invalid("kind", "enum", "%q is not a kind of link", a.Kind).Choices(linkKinds...)
	}
	if err := a.Source.validate("source"); err != nil {
		return err
	}
	if err := a.Grading.Validate("grading"); err != nil {
		return err
	}
	return validateText("note", a.Note, false, 10000)
}
