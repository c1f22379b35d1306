package stix_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/stix"
)

// TestParseForewarnExport: what Forewarn exports maps back to the same persons, claims
// (with their Admiralty grading) and links; what it does not map comes back raw, counted.
func TestParseForewarnExport(t *testing.T) {
	m, err := stix.Parse(fullExport(t), stix.ParseOptions{Dataset: "dgsi"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Errors) > 0 {
		t.Fatalf("errors: %v", m.Errors)
	}
	byID := map[string]*forewarn.ImportRecord{}
	for _, r := range m.Records {
		byID[r.ExternalID] = r
	}
	rec := byID[stix.SubjectID("FR-DGSI", subject.ID)]
	if rec == nil {
		t.Fatalf("the subject did not come back: %d records", len(m.Records))
	}
	s := rec.Subject
	if s.PrimaryName() != subject.PrimaryName() || len(s.Names) != 2 || s.Names[1].Source != "TR-MIT" || s.Names[0].Script != "Latn" ||
		s.BirthDate != subject.BirthDate || !slices.Equal(s.Documents, subject.Documents) || s.Watch != forewarn.WatchListed || s.Notes != subject.Notes {
		t.Errorf("subject = %+v", s)
	}
	if len(rec.Claims) != 2 {
		t.Fatalf("claims = %+v; want both", rec.Claims)
	}
	for i, c := range rec.Claims {
		w := holding().Claims[i]
		if c.Kind != w.Kind || c.Value != w.Value || c.ValidFrom != w.ValidFrom || c.Grading != w.Grading || c.Source != w.Source || c.Negative != w.Negative || !c.RecordedAt.Equal(w.RecordedAt) {
			t.Errorf("claim %d = %+v; want %+v", i, c, w)
		}
	}
	if len(rec.Original) != 4 || !strings.Contains(string(rec.Original[0]), `"identity"`) {
		t.Errorf("the subject's originals: %d objects; want the identity, two notes and the relationship", len(rec.Original))
	}
	// The person of the notification, with its claim; and the links.
	p1 := byID[stix.PersonID("019a0000-0000-7000-8000-0000000000e1", "p1")]
	if p1 == nil || p1.Subject.PrimaryName() != "Omar Ismail Mostefai" || len(p1.Claims) != 1 || p1.Claims[0].Grading.String() != "B2" {
		t.Fatalf("the notification's person = %+v", p1)
	}
	links := map[string]bool{}
	for _, l := range m.Links {
		links[string(l.Kind)+" "+l.FromID+" "+l.ToID] = true
	}
	for _, want := range []string{
		"associate_of " + stix.SubjectID("FR-DGSI", subject.ID) + " " + stix.SubjectID("FR-DGSI", other.ID),
		"associate_of " + stix.PersonID("019a0000-0000-7000-8000-0000000000e1", "p1") + " " + stix.PersonID("019a0000-0000-7000-8000-0000000000e1", "p2"),
	} {
		if !links[want] {
			t.Errorf("link %s missing from %v", want, links)
		}
	}
	// Reports, the acknowledgement note, markings, node identities and the link to a
	// report are not persons: kept raw and counted.
	for _, typ := range []string{"type:report", "type:marking-definition", "type:extension-definition"} {
		if m.Skipped[typ] == 0 {
			t.Errorf("%s not counted: %v", typ, m.Skipped)
		}
	}
	total := 0
	for _, n := range m.Skipped {
		total += n
	}
	if total != len(m.Raw) {
		t.Errorf("%d counted, %d kept raw: every object not mapped must be both", total, len(m.Raw))
	}
}

// TestStableIDs: the same subject exports with the same ID and the same objects every
// time; another node's subject of the same ID does not.
func TestStableIDs(t *testing.T) {
	a, b := string(fullExport(t)), string(fullExport(t))
	strip := func(s string) string { return s[strings.Index(s, `"objects"`):] }
	if strip(a) != strip(b) {
		t.Error("two exports of the same holdings differ beyond the bundle ID")
	}
	id := stix.SubjectID("FR-DGSI", subject.ID)
	if id != stix.SubjectID("FR-DGSI", subject.ID) || id == stix.SubjectID("TR-MIT", subject.ID) || !strings.Contains(a, id) {
		t.Errorf("SubjectID is not stable per node and subject: %s", id)
	}
	if stix.MessageID("019a0000-0000-7000-8000-0000000000e1") != "report--9252a244-f276-5412-b6c0-a2d67b620930" {
		t.Errorf("the report ID of a message changed: %s; partners key on it", stix.MessageID("019a0000-0000-7000-8000-0000000000e1"))
	}
}

// TestChangedSubjectIsNewVersion: a subject imported from STIX and changed on the node
// exports under its original ID as a new version (later modified, the node's names in the
// extension), keeping the original's other properties.
func TestChangedSubjectIsNewVersion(t *testing.T) {
	orig := `{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"John Smith","identity_class":"individual","contact_information":"j@example.org"}`
	m, err := stix.Parse([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`+orig+`]}`), stix.ParseOptions{Dataset: "x"})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Records[0].Subject
	s.ID = "019a0000-0000-7000-8000-000000000009"
	s.Sources = []forewarn.SubjectSource{{Dataset: "x", ExternalID: m.Records[0].ExternalID}}
	same, err := stix.HoldingObjects("FR-DGSI", &stix.Holding{Subject: &s, Original: m.Records[0].Original})
	if err != nil || string(same[0].Raw) != orig {
		t.Fatalf("an unchanged subject does not give back its original: %v %s", err, same[0].Raw)
	}
	s.Names = append(s.Names, forewarn.Name{Value: "Johnny Smith", Kind: forewarn.NameAlias, Source: "FR-DGSI"})
	objs, err := stix.HoldingObjects("FR-DGSI", &stix.Holding{Subject: &s, Original: m.Records[0].Original})
	if err != nil {
		t.Fatal(err)
	}
	out := string(objs[0].Raw)
	for _, want := range []string{`"id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"`, `"contact_information":"j@example.org"`, `"Johnny Smith"`, `"created":"2015-12-21T19:59:11.000Z"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the new version lacks %s: %s", want, out)
		}
	}
	if strings.Contains(out, `"modified":"2015-12-21T19:59:11.000Z"`) {
		t.Errorf("the new version keeps the old modified: %s", out)
	}
	if err := stix.Validate([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + out + `]}`)); err != nil {
		t.Errorf("the new version is not valid: %v", err)
	}
}

// TestParseNoteClaims: a note about a person without the Forewarn extension becomes an
// attribute claim, graded from its confidence on the Admiralty scale, sourced to its
// creator, its text cut to what a claim holds (the whole note stays in the original).
func TestParseNoteClaims(t *testing.T) {
	long := strings.Repeat("é", 6000) // 12,000 bytes
	b := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"MI5","identity_class":"organization"},
{"type":"identity","spec_version":"2.1","id":"identity--411b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"John Smith","identity_class":"individual"},
{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2016-05-12T08:17:27.000Z","modified":"2016-05-12T08:17:27.000Z","created_by_ref":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","confidence":65,"abstract":"Seen in Raqqa","content":"` + long + `","object_refs":["identity--411b2d2d-f010-4473-83ec-1edf84858f4c"]}]}`
	m, err := stix.Parse([]byte(b), stix.ParseOptions{Dataset: "mi5", Grading: forewarn.Grading{Reliability: "C", Credibility: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Records) != 1 || len(m.Records[0].Claims) != 1 {
		t.Fatalf("records %+v", m.Records)
	}
	c := m.Records[0].Claims[0]
	if c.Kind != forewarn.ClaimAttribute || c.Value != "Seen in Raqqa" || c.Grading.String() != "C2" || c.Source.Name != "MI5" || len(c.Note) > 10000 || !strings.HasPrefix(c.Note, "éé") {
		t.Fatalf("claim = %+v (note %d bytes)", c, len(c.Note))
	}
	c.SubjectID = "x"
	if err := c.Validate(c.RecordedAt.AddDate(1, 0, 0)); err != nil {
		t.Fatalf("the claim does not validate: %v", err)
	}
	if len(m.Records[0].Original) != 2 || m.Skipped["type:identity"] != 1 {
		t.Fatalf("originals %d, skipped %v; want the person and the note kept with it, the organization raw", len(m.Records[0].Original), m.Skipped)
	}
}
