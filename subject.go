package forewarn

import (
	"strings"
	"time"
)

// Limits on subject fields: generous for real names, small enough that one record cannot
// exhaust the node.
const (
	MaxNameBytes  = 512
	MaxNotesBytes = 64 << 10
	MaxNames      = 64
	MaxDocuments  = 32
)

// NameKind says whether a name is the subject's primary name or an alias.
type NameKind string

// The kinds of name.
const (
	NamePrimary NameKind = "primary"
	NameAlias   NameKind = "alias"
)

// Name is one way a subject's name is written, in one script.
type Name struct {
	Value  string   `json:"value"`
	Kind   NameKind `json:"kind"`
	Script string   `json:"script,omitempty"` // ISO 15924: "Latn", "Arab", "Cyrl"
	Lang   string   `json:"lang,omitempty"`   // BCP 47: "fr", "tr", "ar"
	Source string   `json:"source,omitempty"` // who gave this name: an agency code or a named source
}

// Document is an identity document.
type Document struct {
	Kind    string `json:"kind"` // "passport", "national_id", ...
	Number  string `json:"number"`
	Country string `json:"country,omitempty"` // issuing country, ISO 3166-1 alpha-2
}

// Gender as recorded; unknown when not stated.
type Gender string

// The genders a record may state.
const (
	GenderUnknown Gender = ""
	GenderMale    Gender = "male"
	GenderFemale  Gender = "female"
	GenderOther   Gender = "other"
)

// WatchStatus says whether the agency watch-lists the subject.
type WatchStatus string

// The watch-list statuses.
const (
	WatchNone   WatchStatus = "none"
	WatchListed WatchStatus = "watchlisted"
)

// Subject is a person the agency holds.
type Subject struct {
	ID            string      `json:"id"`
	Names         []Name      `json:"names"`
	BirthDate     PartialDate `json:"birth_date"`
	Birthplace    string      `json:"birthplace,omitempty"`
	Nationalities []string    `json:"nationalities,omitempty"`
	Documents     []Document  `json:"documents,omitempty"`
	Gender        Gender      `json:"gender,omitempty"`
	Watch         WatchStatus `json:"watch"`
	Notes         string      `json:"notes,omitempty"`
	// Sources are the datasets the subject was imported from; only imports change them.
	Sources   []SubjectSource `json:"sources,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// PrimaryName returns the subject's primary name, or its first name when none is marked.
func (s *Subject) PrimaryName() string {
	for _, n := range s.Names {
		if n.Kind == NamePrimary {
			return n.Value
		}
	}
	if len(s.Names) > 0 {
		return s.Names[0].Value
	}
	return ""
}

// Normalize fills defaults that have one obvious value: the first name is primary when
// none is marked, other names are aliases, the watch status defaults to none, and country
// codes are upper-cased.
func (s *Subject) Normalize() {
	hasPrimary := false
	for _, n := range s.Names {
		if n.Kind == NamePrimary {
			hasPrimary = true
		}
	}
	for i := range s.Names {
		s.Names[i].Value = strings.TrimSpace(s.Names[i].Value)
		if s.Names[i].Kind == "" {
			if !hasPrimary && i == 0 {
				s.Names[i].Kind = NamePrimary
			} else {
				s.Names[i].Kind = NameAlias
			}
		}
	}
	if s.Watch == "" {
		s.Watch = WatchNone
	}
	for i, c := range s.Nationalities {
		s.Nationalities[i] = strings.ToUpper(strings.TrimSpace(c))
	}
	for i := range s.Documents {
		s.Documents[i].Country = strings.ToUpper(strings.TrimSpace(s.Documents[i].Country))
	}
}

// Validate checks every field of the subject; now is the node's current time, so that a
// birth date in the future is refused. The error names the field and the rule.
func (s *Subject) Validate(now time.Time) error {
	if len(s.Names) == 0 {
		return Invalid("names", "required", "a subject needs at least one name")
	}
	if len(s.Names) > MaxNames {
		return Invalid("names", "max_items", "has %d names; the limit is %d", len(s.Names), MaxNames)
	}
	primaries := 0
	for i, n := range s.Names {
		f := fieldIndex("names", i)
		if err := validateText(f+".value", n.Value, true, MaxNameBytes); err != nil {
			return err
		}
		if strings.ContainsAny(n.Value, "\n\r\t") {
			return Invalid(f+".value", "single_line", "a name must be on one line")
		}
		switch n.Kind {
		case NamePrimary:
			primaries++
		case NameAlias:
		default:
			return Invalid(f+".kind", "enum", "unknown name kind %q (primary or alias)", n.Kind)
		}
		if err := validateText(f+".script", n.Script, false, 8); err != nil {
			return err
		}
		if err := validateText(f+".lang", n.Lang, false, 35); err != nil {
			return err
		}
		if err := validateText(f+".source", n.Source, false, 200); err != nil {
			return err
		}
	}
	if primaries != 1 {
		return Invalid("names", "one_primary", "exactly one name must be primary; %d are", primaries)
	}
	if err := validateBirthDate(s.BirthDate, now); err != nil {
		return err
	}
	if err := validateText("birthplace", s.Birthplace, false, 200); err != nil {
		return err
	}
	for i, c := range s.Nationalities {
		if !IsCountry(c) {
			return Invalid(fieldIndex("nationalities", i), "iso3166", "%q is not an ISO 3166-1 alpha-2 country code", c)
		}
	}
	if len(s.Documents) > MaxDocuments {
		return Invalid("documents", "max_items", "has %d documents; the limit is %d", len(s.Documents), MaxDocuments)
	}
	for i, d := range s.Documents {
		f := fieldIndex("documents", i)
		if err := validateText(f+".kind", d.Kind, true, 50); err != nil {
			return err
		}
		if err := validateText(f+".number", d.Number, true, 100); err != nil {
			return err
		}
		if d.Country != "" && !IsCountry(d.Country) {
			return Invalid(f+".country", "iso3166", "%q is not an ISO 3166-1 alpha-2 country code", d.Country)
		}
	}
	switch s.Gender {
	case GenderUnknown, GenderMale, GenderFemale, GenderOther:
	default:
		return Invalid("gender", "enum", "unknown gender %q (male, female, other or empty)", s.Gender)
	}
	switch s.Watch {
	case WatchNone, WatchListed:
	default:
		return Invalid("watch", "enum", "unknown watch-list status %q (none or watchlisted)", s.Watch)
	}
	return validateText("notes", s.Notes, false, MaxNotesBytes)
}

func validateBirthDate(d PartialDate, now time.Time) error {
	if d.IsZero() {
		return nil
	}
	if d.Start().After(now) {
		return Invalid("birth_date", "not_future", "%s is in the future", d)
	}
	if d.Year < 1900 {
		return Invalid("birth_date", "range", "%s is before 1900", d)
	}
	return nil
}
