package stix_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/stix"
)

const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// oasis holds the OASIS STIX 2.1 schemas, compiled on demand per object type.
type oasis struct {
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

// oasisSchemas loads every OASIS STIX 2.1 schema under its own $id (and under https, which
// the extension schemas use), and the extension schemas of ../shared/testdata/stix/extensions.
func oasisSchemas(t *testing.T) *oasis {
	t.Helper()
	root := testdata.Path(t, "stix", "oasis-schemas", "schemas")
	c := jsonschema.NewCompiler()
	load := func(path string) any {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if err := c.AddResource(schemaBase+filepath.ToSlash(rel), load(path)); err != nil {
			return err
		}
		// The extension schemas refer to the core by https ids (a known upstream quirk).
		return c.AddResource(strings.Replace(schemaBase, "http:", "https:", 1)+filepath.ToSlash(rel), load(path))
	})
	if err != nil {
		t.Fatal(err)
	}
	exts, _ := filepath.Glob(filepath.Join(testdata.Path(t, "stix", "extensions"), "*.json"))
	for _, p := range exts {
		if err := c.AddResource("file://"+p, load(p)); err != nil {
			t.Fatal(err)
		}
	}
	return &oasis{c: c, cache: map[string]*jsonschema.Schema{}}
}

func (o *oasis) schema(t *testing.T, url string) *jsonschema.Schema {
	t.Helper()
	if s := o.cache[url]; s != nil {
		return s
	}
	s, err := o.c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	o.cache[url] = s
	return s
}

var scoTypes = map[string]bool{"artifact": true, "autonomous-system": true, "directory": true, "domain-name": true, "email-addr": true,
	"email-message": true, "file": true, "ipv4-addr": true, "ipv6-addr": true, "mac-addr": true, "mutex": true, "network-traffic": true,
	"process": true, "software": true, "url": true, "user-account": true, "windows-registry-key": true, "x509-certificate": true}

// validate checks one decoded object against its type's OASIS schema (core for custom
// types) and against the schema of each extension the test data has.
func (o *oasis) validate(t *testing.T, obj any) error {
	t.Helper()
	m, _ := obj.(map[string]any)
	typ, _ := m["type"].(string)
	url := schemaBase + "common/core.json"
	switch {
	case typ == "marking-definition" || typ == "extension-definition" || typ == "language-content":
		url = schemaBase + "common/" + typ + ".json"
	case typ == "relationship" || typ == "sighting":
		url = schemaBase + "sros/" + typ + ".json"
	case scoTypes[typ]:
		url = schemaBase + "observables/" + typ + ".json"
	default:
		if _, err := os.Stat(filepath.Join(testdata.Path(t, "stix", "oasis-schemas", "schemas"), "sdos", typ+".json")); err == nil {
			url = schemaBase + "sdos/" + typ + ".json"
		}
	}
	if err := o.schema(t, url).Validate(obj); err != nil {
		return err
	}
	exts, _ := m["extensions"].(map[string]any)
	for id := range exts {
		matches, _ := filepath.Glob(filepath.Join(testdata.Path(t, "stix", "extensions"), "*"+id+"*.json"))
		for _, p := range matches {
			if err := o.schema(t, "file://"+p).Validate(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// decode reads JSON as the schema library wants it.
func decode(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// forewarnExtensionSchema compiles the published schema of the Forewarn extension.
func forewarnExtensionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile("../docs/stix/forewarn-extension.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("forewarn-extension.schema.json", decode(t, b)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("forewarn-extension.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	t0      = time.Date(2014, 12, 3, 9, 0, 0, 0, time.UTC)
	dgsi    = forewarn.Agency{Code: "FR-DGSI", Name: "DGSI", Country: "FR"}
	subject = &forewarn.Subject{ID: "019a0000-0000-7000-8000-000000000001",
		Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "fr"},
			{Value: "Omar Ismail Mostefai", Kind: forewarn.NameAlias, Source: "TR-MIT"}},
		BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}, Nationalities: []string{"FR"}, Birthplace: "Courcouronnes",
		Documents: []forewarn.Document{{Kind: "passport", Number: "05AB12345", Country: "FR"}}, Gender: forewarn.GenderMale,
		Watch: forewarn.WatchListed, Notes: "radicalised 2010", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
	other = &forewarn.Subject{ID: "019a0000-0000-7000-8000-000000000002", Names: []forewarn.Name{{Value: "Samy Amimour", Kind: forewarn.NamePrimary}}, Watch: forewarn.WatchNone}
)

// holding is the subject with a claim of each shape and an association.
func holding() *stix.Holding {
	return &stix.Holding{Subject: subject,
		Claims: []*forewarn.Claim{
			{ID: "019a0000-0000-7000-8000-0000000000c1", SubjectID: subject.ID, Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013},
				RecordedAt: t0, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
			{ID: "019a0000-0000-7000-8000-0000000000c2", SubjectID: subject.ID, Kind: forewarn.ClaimTravelExit, Value: "TR", Negative: true,
				RecordedAt: t0, Source: forewarn.Source{Agency: "TR-MIT", Name: "border control"}, Grading: forewarn.Grading{Reliability: "A", Credibility: 6}, Note: "no exit record"},
		},
		Associations: []*forewarn.Association{{ID: "019a0000-0000-7000-8000-0000000000a1", FromID: subject.ID, ToID: other.ID, Kind: forewarn.AssocAssociateOf,
			Source: forewarn.Source{Agency: "FR-DGSI"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 3}, RecordedAt: t0}},
	}
}

// messages are one message of each kind, under handling marks of each shape.
func messages() []*forewarn.Message {
	person := forewarn.PersonDescriptor{Ref: "p1", Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "tr"}},
		BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"},
		Claims: []forewarn.PersonClaim{{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013}, RecordedAt: t0,
			Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}},
		Links: []forewarn.PersonLink{{Kind: forewarn.AssocIdentifiedWith, Message: "019a0000-0000-7000-8000-0000000000e0"}, {Kind: forewarn.AssocAssociateOf, To: "p2"}}}
	person2 := forewarn.PersonDescriptor{Ref: "p2", Names: []forewarn.Name{{Value: "Samy Amimour", Kind: forewarn.NamePrimary}}}
	return []*forewarn.Message{
		{ID: "019a0000-0000-7000-8000-0000000000e1", Version: 1, From: "TR-MIT", To: []string{"FR-DGSI"}, Created: t0, Kind: forewarn.KindNotification,
			Marks:        forewarn.HandlingMarks{TLP: forewarn.TLPAmberStrict, ReleasableTo: []string{"FR-DGSI"}, OriginatorConsentRequired: true},
			Notification: &forewarn.Notification{Summary: "Fifth man identified\nwhile investigating the four", Priority: forewarn.PriorityUrgent, AcknowledgeBy: t0.Add(24 * time.Hour), Persons: []forewarn.PersonDescriptor{person, person2}}},
		{ID: "019a0000-0000-7000-8000-0000000000e0", Version: 1, From: "FR-DGSI", To: []string{"TR-MIT"}, Created: t0.Add(-time.Hour), Kind: forewarn.KindRequest,
			Marks:   forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
			Request: &forewarn.Request{Subject: "Four suspects", Questions: "What do you hold?", Deadline: t0.Add(30 * 24 * time.Hour), Priority: forewarn.PriorityPriority, Persons: []forewarn.PersonDescriptor{person2}}},
		{ID: "019a0000-0000-7000-8000-0000000000e2", Version: 1, From: "TR-MIT", To: []string{"FR-DGSI"}, Created: t0, Kind: forewarn.KindResponse, InReplyTo: "019a0000-0000-7000-8000-0000000000e0",
			Marks: forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{"FR-DGSI"}}, Response: &forewarn.Response{Answer: "Nothing more."}},
		{ID: "019a0000-0000-7000-8000-0000000000e3", Version: 1, From: "FR-DGSI", To: []string{"TR-MIT"}, Created: t0.Add(time.Hour), Kind: forewarn.KindAcknowledgement, InReplyTo: "019a0000-0000-7000-8000-0000000000e1",
			Marks: forewarn.HandlingMarks{TLP: forewarn.TLPClear}, Ack: &forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeActionTaken, Reason: "added to the watch list", By: &forewarn.AckAuthor{Kind: forewarn.AuthorDesk, Name: "liaison"}}},
	}
}

// fullExport writes every kind of object Forewarn exports into one bundle.
func fullExport(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := stix.NewWriter(&buf, dgsi, t0)
	if err := w.WriteHolding(holding()); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(other); err != nil {
		t.Fatal(err)
	}
	for _, m := range messages() {
		if err := w.WriteMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	// What the TAXII server publishes: a subject under handling marks, with its markings.
	marks := forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"BE-VSSE"}, OriginatorConsentRequired: true}
	published, err := stix.MarkedIdentity("TR-MIT", subject, marks)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range append(stix.MarkingObjects(marks), published) {
		if err := w.WriteObject(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExportValidatesAgainstOASIS: every object Forewarn exports — subjects, claims,
// associations, each kind of message, the markings and identities they bring — validates
// against its type's OASIS STIX 2.1 schema; every Forewarn extension against the
// published extension schema; and the bundle passes Forewarn's own validator.
func TestExportValidatesAgainstOASIS(t *testing.T) {
	o := oasisSchemas(t)
	ext := forewarnExtensionSchema(t)
	// The schemas do refuse what is wrong: the OASIS must-fail identity without a name.
	bad, err := os.ReadFile(testdata.Path(t, "stix", "must-fail", "identity-missing-name.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.validate(t, decode(t, bad)); err == nil {
		t.Fatal("the identity schema accepts an identity without a name: the check would prove nothing")
	}
	if err := ext.Validate(decode(t, []byte(`{"extension_type":"property-extension","claim":{"kind":"travel_entry","value":"TR","source":{"agency":"TR-MIT"},"grading":{"reliability":"G","credibility":2}}}`))); err == nil {
		t.Fatal("the extension schema accepts reliability G: the check would prove nothing")
	}
	b := fullExport(t)
	if err := stix.Validate(b); err != nil {
		t.Fatalf("Forewarn's validator refuses Forewarn's export: %v", err)
	}
	bundle := decode(t, b).(map[string]any)
	types := map[string]int{}
	for i, obj := range bundle["objects"].([]any) {
		m := obj.(map[string]any)
		types[m["type"].(string)]++
		if err := o.validate(t, obj); err != nil {
			js, _ := json.Marshal(obj)
			t.Errorf("objects[%d] (%s) fails the OASIS schema: %v\n%s", i, m["id"], err, js)
		}
		exts, _ := m["extensions"].(map[string]any)
		if e, ok := exts[stix.ExtensionID]; ok {
			if err := ext.Validate(e); err != nil {
				t.Errorf("objects[%d] (%s): the Forewarn extension fails its published schema: %v", i, m["id"], err)
			}
		}
	}
	for _, typ := range []string{"identity", "extension-definition", "note", "relationship", "report", "marking-definition"} {
		if types[typ] == 0 {
			t.Errorf("the export holds no %s; it should exercise every mapped type (%v)", typ, types)
		}
	}
	// The bundle wrapper, with the types its schema knows (it rejects notes, a known
	// upstream defect, so each object was checked against its own schema above).
	var known []any
	for _, obj := range bundle["objects"].([]any) {
		switch obj.(map[string]any)["type"] {
		case "identity", "relationship", "report", "marking-definition":
			known = append(known, obj)
		}
	}
	wrapper := map[string]any{"type": "bundle", "id": bundle["id"], "objects": known}
	if err := o.schema(t, schemaBase+"common/bundle.json").Validate(wrapper); err != nil {
		t.Errorf("the bundle fails the OASIS bundle schema: %v", err)
	}
}
