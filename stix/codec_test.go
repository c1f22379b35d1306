package stix_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/stix"
)

// TestCodec: a subject published under handling marks reads back as the same person
// under the same marks, validates, and a bad object names its property.
func TestCodec(t *testing.T) {
	var c stix.Codec
	marks := forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"FR-DGSI", "BE-VSSE"}, OriginatorConsentRequired: true}
	obj, err := c.Subject("TR-MIT", subject, marks)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(obj); err != nil {
		t.Fatalf("Validate(Subject) = %v", err)
	}
	got, ok := c.Marks(obj)
	if !ok || got.TLP != marks.TLP || !slices.Equal(got.ReleasableTo, marks.ReleasableTo) || !got.OriginatorConsentRequired {
		t.Fatalf("Marks = %+v %v; want %+v", got, ok, marks)
	}
	p, ok, err := c.Person(obj)
	if err != nil || !ok || p.Ref != stix.SubjectID("TR-MIT", subject.ID) || len(p.Names) != 2 || p.BirthDate != subject.BirthDate ||
		!slices.Equal(p.Documents, subject.Documents) || p.Watch != forewarn.WatchListed {
		t.Fatalf("Person = %+v %v %v", p, ok, err)
	}
	if _, ok, _ := c.Person(json.RawMessage(`{"type":"identity","identity_class":"organization","name":"ACME"}`)); ok {
		t.Error("an organization read as a person")
	}
	// TLP 1.0 AMBER reads as TLP 2.0 AMBER; the most restrictive of two wins.
	if m, ok := c.Marks(json.RawMessage(`{"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`)); !ok || m.TLP != forewarn.TLPAmber {
		t.Errorf("Marks(TLP1 AMBER + TLP2 GREEN) = %+v %v; want AMBER", m, ok)
	}
	if _, ok := c.Marks(json.RawMessage(`{"type":"identity"}`)); ok {
		t.Error("an unmarked object has marks")
	}
	err = c.Validate(json.RawMessage(`{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11Z","name":"x"}`))
	if fe, ok := err.(*forewarn.Error); !ok || fe.Field != "modified" {
		t.Fatalf("Validate = %v; want the error at modified", err)
	}
	for _, m := range stix.MarkingObjects(marks) {
		b, _ := json.Marshal(m)
		if err := c.Validate(b); err != nil {
			t.Errorf("marking %s: %v", m.ID, err)
		}
	}
	if n := len(stix.MarkingObjects(marks)); n != 2 {
		t.Errorf("%d marking objects; want TLP:AMBER and the release statement", n)
	}
}
