package stix_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/stix"
)

// FuzzParse (seeded with the OASIS examples when the shared test data is there): whatever
// arrives, Validate and Parse never panic; what Validate accepts,
// Parse maps; what it refuses, Parse refuses with the same EINVALID error; and every
// object not mapped is both kept raw and counted.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"examples", "must-fail"} {
		files, _ := filepath.Glob(filepath.Join(testdata.Find(), "stix", dir, "*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"x","identity_class":"individual"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		verr := stix.Validate(b)
		m, perr := stix.Parse(b, stix.ParseOptions{Dataset: "fuzz"})
		if (verr == nil) != (perr == nil) {
			t.Fatalf("Validate says %v, Parse says %v", verr, perr)
		}
		if verr != nil {
			if forewarn.ErrorCode(verr) != forewarn.EINVALID {
				t.Fatalf("a refusal that is not EINVALID: %v", verr)
			}
			return
		}
		n := 0
		for _, c := range m.Skipped {
			n += c
		}
		ext := 0
		for k, c := range m.Skipped {
			if len(k) > 10 && k[:10] == "extension:" {
				ext += c
			}
		}
		if n-ext != len(m.Raw) {
			t.Fatalf("%d objects counted, %d kept raw", n-ext, len(m.Raw))
		}
	})
}
