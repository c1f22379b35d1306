package stix_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/stix"
)

// exampleFiles lists every JSON file of a test data folder, recursively.
func exampleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(testdata.Path(t, "stix", dir), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// asBundle wraps a lone object in a bundle, as an import would receive it.
func asBundle(t *testing.T, b []byte) []byte {
	t.Helper()
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		t.Fatal(err)
	}
	if head.Type == "bundle" {
		return b
	}
	return []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + string(b) + `]}`)
}

// TestValidateDifferential holds Forewarn's run-time validator to the OASIS schemas:
// every OASIS example the schemas accept, it accepts; every must-fail example, it
// refuses, naming the path of the first error.
func TestValidateDifferential(t *testing.T) {
	o := oasisSchemas(t)
	accepted := 0
	for _, f := range exampleFiles(t, "examples") {
		name, _ := filepath.Rel(testdata.Path(t, "stix"), f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bundle := asBundle(t, b)
		// The OASIS verdict: each object against its own type's schema.
		verdict := error(nil)
		for _, obj := range decode(t, bundle).(map[string]any)["objects"].([]any) {
			if verdict = o.validate(t, obj); verdict != nil {
				break
			}
		}
		mine := stix.Validate(bundle)
		switch {
		case verdict == nil && mine != nil:
			t.Errorf("%s: the OASIS schemas accept it, Forewarn refuses it: %v", name, mine)
		case verdict == nil:
			accepted++
		default:
			t.Logf("%s: the OASIS schemas refuse it (%v); Forewarn says %v", name, firstLine(verdict.Error()), mine)
		}
	}
	if accepted < 20 {
		t.Errorf("only %d examples accepted by the OASIS schemas; the comparison proves little", accepted)
	}
	for _, f := range exampleFiles(t, "must-fail") {
		name := filepath.Base(f)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bundle := asBundle(t, b)
		for _, obj := range decode(t, bundle).(map[string]any)["objects"].([]any) {
			if o.validate(t, obj) != nil {
				goto refusedByOASIS
			}
		}
		t.Errorf("%s: the OASIS schemas accept this must-fail example: the test data is wrong", name)
	refusedByOASIS:
		err = stix.Validate(bundle)
		var fe *forewarn.Error
		if err == nil {
			t.Errorf("%s: Forewarn accepts a must-fail example", name)
			continue
		}
		if !errorAs(err, &fe) || !strings.HasPrefix(fe.Field, "objects[") {
			t.Errorf("%s: %v; want an error naming the JSON path", name, err)
		}
		t.Logf("%s: refused: %v", name, err)
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func errorAs(err error, fe **forewarn.Error) bool {
	e, ok := err.(*forewarn.Error)
	*fe = e
	return ok
}

// TestValidatePaths: a bad bundle is refused with the JSON path of its first error.
func TestValidatePaths(t *testing.T) {
	const id = `"id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"`
	const ts = `"created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z"`
	good := `{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"John Smith","identity_class":"individual"}`
	bundle := func(objs ...string) string {
		return `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Join(objs, ",") + `]}`
	}
	for _, tc := range []struct {
		name, body, field, rule string
	}{
		{"not JSON", `{"type":`, "$", "json"},
		{"not a bundle", `{"type":"identity"}`, "type", "enum"},
		{"bundle id", `{"type":"bundle","id":"bundle--x","objects":[` + good + `]}`, "id", "identifier"},
		{"empty objects", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`, "objects", "array"},
		{"second object bad", bundle(good, `{"type":"identity","spec_version":"2.1",`+id+`,`+ts+`,"identity_class":"individual"}`), "objects[1].name", "required"},
		{"id of another type", bundle(`{"type":"identity","spec_version":"2.1","id":"note--311b2d2d-f010-4473-83ec-1edf84858f4c",` + ts + `,"name":"x"}`), "objects[0].id", "identifier_type"},
		{"id not a UUID", bundle(`{"type":"identity","spec_version":"2.1","id":"identity--42",` + ts + `,"name":"x"}`), "objects[0].id", "identifier"},
		{"timestamp without zone", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,"created":"2015-12-21T19:59:11.000","modified":"2015-12-21T19:59:11.000Z","name":"x"}`), "objects[0].created", "timestamp"},
		{"timestamp without milliseconds", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,"created":"2015-12-21T19:59:11Z","modified":"2015-12-21T19:59:11.000Z","name":"x"}`), "objects[0].created", "timestamp_millis"},
		{"modified before created", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,"created":"2015-12-21T19:59:11.000Z","modified":"2014-12-21T19:59:11.000Z","name":"x"}`), "objects[0].modified", "order"},
		{"spec_version", bundle(`{"type":"identity","spec_version":"3.0",` + id + `,` + ts + `,"name":"x"}`), "objects[0].spec_version", "enum"},
		{"marking ref", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"x","object_marking_refs":["identity--311b2d2d-f010-4473-83ec-1edf84858f4c"]}`), "objects[0].object_marking_refs[0]", "identifier_type"},
		{"created_by_ref", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"x","created_by_ref":"bob"}`), "objects[0].created_by_ref", "identifier"},
		{"confidence", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"x","confidence":101}`), "objects[0].confidence", "range"},
		{"null property", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"x","description":null}`), "objects[0].description", "not_null"},
		{"Forewarn extension unknown property", bundle(`{"type":"identity","spec_version":"2.1",` + id + `,` + ts + `,"name":"x","extensions":{"` + stix.ExtensionID + `":{"extension_type":"property-extension","shoe_size":44}}}`), "objects[0].extensions." + stix.ExtensionID, "forewarn_extension"},
		{"Forewarn extension grading", bundle(`{"type":"note","spec_version":"2.1","id":"note--311b2d2d-f010-4473-83ec-1edf84858f4c",` + ts + `,"content":"x","object_refs":["identity--311b2d2d-f010-4473-83ec-1edf84858f4c"],"extensions":{"` + stix.ExtensionID + `":{"extension_type":"property-extension","claim":{"kind":"attribute","value":"x","source":{"name":"x"},"grading":{"reliability":"B","credibility":9}}}}}`), "objects[0].extensions." + stix.ExtensionID + ".claim.grading", "admiralty"},
		{"relationship to a sighting", bundle(`{"type":"relationship","spec_version":"2.1","id":"relationship--311b2d2d-f010-4473-83ec-1edf84858f4c",` + ts + `,"relationship_type":"related-to","source_ref":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","target_ref":"sighting--311b2d2d-f010-4473-83ec-1edf84858f4c"}`), "objects[0].target_ref", "identifier_type"},
		{"report without published", bundle(`{"type":"report","spec_version":"2.1","id":"report--311b2d2d-f010-4473-83ec-1edf84858f4c",` + ts + `,"name":"x","object_refs":["identity--311b2d2d-f010-4473-83ec-1edf84858f4c"]}`), "objects[0].published", "required"},
		{"marking without definition", bundle(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z"}`), "objects[0].definition_type", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := stix.Validate([]byte(tc.body))
			fe, ok := err.(*forewarn.Error)
			if !ok || fe.Field != tc.field || fe.Rule != tc.rule || fe.Code != forewarn.EINVALID {
				t.Fatalf("Validate = %#v; want EINVALID at %s (%s)", err, tc.field, tc.rule)
			}
		})
	}
	if err := stix.Validate([]byte(bundle(good))); err != nil {
		t.Fatalf("a good bundle is refused: %v", err)
	}
}
