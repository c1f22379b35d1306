// Package ftm reads and writes FollowTheMoney (FtM) entities as JSON lines, the form in
// which OpenSanctions publishes every major sanctions list and Aleph exchanges data, and
// maps them to and from Forewarn subjects. It is pure: it reads and writes streams.
//
// Person becomes a subject; Passport and Identification become its documents; Sanction a
// sourced claim; Membership a claim naming the organisation; Family and Associate links
// between subjects. Every other schema and every Person property it does not map is
// counted and skipped.
package ftm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/forewarn/forewarn"
)

// Entity is one FtM entity.
type Entity struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Caption    string              `json:"caption,omitempty"`
	Properties map[string][]string `json:"properties"`
	Datasets   []string            `json:"datasets,omitempty"`
}

func (e *Entity) first(prop string) string {
	for _, v := range e.Properties[prop] {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// MaxLine is the longest entity line the reader accepts.
const MaxLine = 16 << 20

// Scan calls fn with each entity of an FtM JSON-lines stream and its line number; a line
// that is not an entity is passed to bad with its line and the reason.
func Scan(ctx context.Context, r io.Reader, fn func(e *Entity, line int) error, bad func(forewarn.ImportError)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var e Entity
		if err := json.Unmarshal(b, &e); err != nil {
			bad(forewarn.ImportError{Position: fmt.Sprintf("line %d", line), Reason: "not a JSON entity: " + err.Error()})
			continue
		}
		if e.ID == "" || e.Schema == "" {
			bad(forewarn.ImportError{Position: fmt.Sprintf("line %d", line), Reason: "an entity needs an id and a schema"})
			continue
		}
		if err := fn(&e, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return fmt.Errorf("line %d: longer than %d bytes", line+1, MaxLine)
		}
		return err
	}
	return nil
}

// personProps are the Person properties the mapping uses; others are counted as skipped.
var personProps = map[string]bool{
	"name": true, "alias": true, "previousName": true, "firstName": true, "middleName": true, "lastName": true,
	"birthDate": true, "birthPlace": true, "nationality": true, "citizenship": true, "gender": true,
	"passportNumber": true, "idNumber": true, "notes": true,
}

// relationSchemata are the schemata that attach to persons.
var relationSchemata = map[string]bool{"Passport": true, "Identification": true, "Sanction": true, "Family": true, "Associate": true, "Membership": true}

// orgSchemata are the schemata whose names a Membership may refer to.
var orgSchemata = map[string]bool{"Organization": true, "Company": true, "LegalEntity": true, "PublicBody": true}

// Reader maps an FtM file to import records. The file is read twice: once to gather what
// attaches to persons (documents, sanctions, links), which may come before or after the
// person, and once to stream the persons.
type Reader struct {
	Open    func() (io.ReadCloser, error)
	Dataset string           // the source named on names and claims
	Grading forewarn.Grading // of the claims the dataset makes
	// SkipRelations reads persons alone, in one pass (screening a stream of travellers).
	SkipRelations bool

	prepared  bool
	docs      map[string][]forewarn.Document
	claims    map[string][]*forewarn.Claim
	links     []forewarn.ImportLink
	orgNames  map[string]string
	members   []*Entity
	skipped   map[string]int
	relations []*Entity
}

// Skipped returns what the last Read left out, by kind.
func (r *Reader) Skipped() map[string]int { return r.skipped }

// Links returns the links between persons the file states.
func (r *Reader) Links() []forewarn.ImportLink { return r.links }

func (r *Reader) skip(kind string) {
	if r.skipped == nil {
		r.skipped = map[string]int{}
	}
	r.skipped[kind]++
}

func (r *Reader) prepare(ctx context.Context) error {
	f, err := r.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	r.docs, r.claims, r.orgNames = map[string][]forewarn.Document{}, map[string][]*forewarn.Claim{}, map[string]string{}
	err = Scan(ctx, f, func(e *Entity, line int) error {
		switch {
		case relationSchemata[e.Schema]:
			r.relations = append(r.relations, e)
		case orgSchemata[e.Schema]:
			if n := e.first("name"); n != "" {
				r.orgNames[e.ID] = n
			}
		}
		return nil
	}, func(forewarn.ImportError) {})
	if err != nil {
		return err
	}
	for _, e := range r.relations {
		r.relate(e)
	}
	r.relations = nil
	r.prepared = true
	return nil
}

// relate attaches a relation entity to the persons it names.
func (r *Reader) relate(e *Entity) {
	pos := "entity " + e.ID
	switch e.Schema {
	case "Passport", "Identification":
		holder, number := e.first("holder"), e.first("number")
		if holder == "" || number == "" {
			r.skip("incomplete:" + e.Schema)
			return
		}
		kind := "passport"
		if e.Schema == "Identification" {
			kind = strings.ToLower(e.first("type"))
			if kind == "" {
				kind = "national_id"
			}
		}
		r.docs[holder] = append(r.docs[holder], forewarn.Document{Kind: kind, Number: number, Country: country(e.first("country"))})
	case "Sanction":
		holder := e.first("entity")
		if holder == "" {
			r.skip("incomplete:Sanction")
			return
		}
		r.claims[holder] = append(r.claims[holder], r.sanctionClaim(e))
	case "Family", "Associate":
		other := "relative"
		kind := forewarn.AssocRelativeOf
		if e.Schema == "Associate" {
			other, kind = "associate", forewarn.AssocAssociateOf
		}
		from, to := e.first("person"), e.first(other)
		if from == "" || to == "" {
			r.skip("incomplete:" + e.Schema)
			return
		}
		r.links = append(r.links, forewarn.ImportLink{FromID: from, ToID: to, Kind: kind, Note: e.first("relationship"), Position: pos})
	case "Membership":
		member, org := e.first("member"), e.first("organization")
		if member == "" || org == "" {
			r.skip("incomplete:Membership")
			return
		}
		name := r.orgNames[org]
		if name == "" {
			name = "organisation " + org
		}
		c := &forewarn.Claim{Kind: forewarn.ClaimAssociation, Value: "member of " + name, Source: forewarn.Source{Name: r.Dataset}, Grading: r.Grading, Note: e.first("role")}
		c.ValidFrom, c.ValidTo = date(e.first("startDate")), date(e.first("endDate"))
		r.claims[member] = append(r.claims[member], c)
	}
}

func (r *Reader) sanctionClaim(e *Entity) *forewarn.Claim {
	what := firstOf(e, "program", "programId", "summary", "reason", "provisions")
	if what == "" {
		what = "listed"
	}
	by := firstOf(e, "authority", "country")
	value := "sanctioned: " + what
	if by != "" {
		value += " (" + by + ")"
	}
	c := &forewarn.Claim{Kind: forewarn.ClaimAttribute, Value: clip(value, 1000), Source: forewarn.Source{Name: clip(r.Dataset, 200)}, Grading: r.Grading,
		Note: clip(strings.Join(append(e.Properties["reason"], e.Properties["sourceUrl"]...), "\n"), 10000)}
	c.ValidFrom = date(firstOf(e, "startDate", "listingDate"))
	c.ValidTo = date(e.first("endDate"))
	if !c.ValidTo.IsZero() && !c.ValidFrom.IsZero() && c.ValidTo.End().Before(c.ValidFrom.Start()) {
		c.ValidTo = forewarn.PartialDate{}
	}
	return c
}

func firstOf(e *Entity, props ...string) string {
	for _, p := range props {
		if v := e.first(p); v != "" {
			return v
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// date parses an FtM date ("2013", "2013-05", "2013-05-02", "2013-05-02T10:00:00") to
// the precision it has; anything else is no date.
func date(s string) forewarn.PartialDate {
	if len(s) > 10 {
		s = s[:10]
	}
	d, err := forewarn.ParsePartialDate(s)
	if err != nil {
		return forewarn.PartialDate{}
	}
	return d
}

// country turns an FtM country code into ISO 3166-1 alpha-2, or "" when it is none
// (FtM also has codes such as "suhh" for the Soviet Union).
func country(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if forewarn.IsCountry(c) {
		return c
	}
	return ""
}

// Read streams the persons of the file, as records, to fn; bad receives what cannot be
// mapped. It may be called again and reads from the start.
func (r *Reader) Read(ctx context.Context, fn func(*forewarn.ImportRecord) error, bad func(forewarn.ImportError)) error {
	if !r.prepared && !r.SkipRelations {
		if err := r.prepare(ctx); err != nil {
			return err
		}
	}
	r.skipped = nil
	f, err := r.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return Scan(ctx, f, func(e *Entity, line int) error {
		if e.Schema != "Person" {
			if !relationSchemata[e.Schema] {
				r.skip("schema:" + e.Schema)
			}
			return nil
		}
		rec, reason := r.person(e)
		if reason != "" {
			bad(forewarn.ImportError{Position: fmt.Sprintf("line %d (entity %s)", line, e.ID), Reason: reason})
			return nil
		}
		rec.Position = fmt.Sprintf("line %d (entity %s)", line, e.ID)
		return fn(rec)
	}, bad)
}

// person maps a Person entity with what attaches to it; a reason when it cannot.
func (r *Reader) person(e *Entity) (*forewarn.ImportRecord, string) {
	for p := range e.Properties {
		if !personProps[p] {
			r.skip("property:Person." + p)
		}
	}
	s := forewarn.Subject{Watch: forewarn.WatchNone}
	seen := map[string]bool{}
	addName := func(v string, kind forewarn.NameKind) {
		v = strings.Join(strings.Fields(v), " ")
		if v == "" || seen[strings.ToLower(v)] || len(v) > forewarn.MaxNameBytes {
			return
		}
		if len(s.Names) == forewarn.MaxNames {
			r.skip("names_over_limit")
			return
		}
		seen[strings.ToLower(v)] = true
		s.Names = append(s.Names, forewarn.Name{Value: v, Kind: kind, Source: r.Dataset})
	}
	names := e.Properties["name"]
	// The caption is the name OpenSanctions shows; it leads when it is one of the names.
	if c := strings.TrimSpace(e.Caption); c != "" && len(names) > 1 && contains(names, c) && names[0] != c {
		names = append([]string{c}, names...)
	}
	if len(names) == 0 {
		parts := []string{e.first("firstName"), e.first("middleName"), e.first("lastName")}
		names = []string{strings.Join(parts, " ")}
	}
	for i, n := range names {
		kind := forewarn.NameAlias
		if i == 0 || len(s.Names) == 0 {
			kind = forewarn.NamePrimary
		}
		addName(n, kind)
	}
	for _, p := range []string{"alias", "previousName"} {
		for _, n := range e.Properties[p] {
			addName(n, forewarn.NameAlias)
		}
	}
	if len(s.Names) == 0 {
		return nil, "a Person needs a name (name, or firstName and lastName)"
	}
	var claims []*forewarn.Claim
	for i, b := range e.Properties["birthDate"] {
		d := date(b)
		if d.IsZero() {
			r.skip("value:birthDate")
			continue
		}
		if i == 0 && s.BirthDate.IsZero() {
			s.BirthDate = d
			continue
		}
		if d != s.BirthDate {
			claims = append(claims, &forewarn.Claim{Kind: forewarn.ClaimAttribute, Value: "birth_date: " + d.String(), Source: forewarn.Source{Name: r.Dataset}, Grading: r.Grading})
		}
	}
	s.Birthplace = clip(e.first("birthPlace"), 200)
	for _, p := range []string{"nationality", "citizenship"} {
		for _, c := range e.Properties[p] {
			if cc := country(c); cc != "" {
				if !contains(s.Nationalities, cc) {
					s.Nationalities = append(s.Nationalities, cc)
				}
			} else {
				r.skip("value:" + p)
			}
		}
	}
	switch strings.ToLower(e.first("gender")) {
	case "male":
		s.Gender = forewarn.GenderMale
	case "female":
		s.Gender = forewarn.GenderFemale
	case "other":
		s.Gender = forewarn.GenderOther
	}
	addDoc := func(d forewarn.Document) {
		for i, have := range s.Documents {
			if have.Number == d.Number && have.Kind == d.Kind {
				if have.Country == "" {
					s.Documents[i].Country = d.Country
				}
				return
			}
		}
		if len(s.Documents) == forewarn.MaxDocuments {
			r.skip("documents_over_limit")
			return
		}
		if d.Number == "" || len(d.Number) > 100 {
			r.skip("value:document")
			return
		}
		s.Documents = append(s.Documents, d)
	}
	for _, d := range r.docs[e.ID] {
		addDoc(d)
	}
	for _, n := range e.Properties["passportNumber"] {
		addDoc(forewarn.Document{Kind: "passport", Number: strings.TrimSpace(n)})
	}
	for _, n := range e.Properties["idNumber"] {
		addDoc(forewarn.Document{Kind: "national_id", Number: strings.TrimSpace(n)})
	}
	s.Notes = clip(strings.Join(e.Properties["notes"], "\n"), forewarn.MaxNotesBytes)
	claims = append(claims, r.claims[e.ID]...)
	return &forewarn.ImportRecord{ExternalID: e.ID, Subject: s, Claims: claims}, ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
