package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/stix"
)

// exportSTIX exports the node as forewarn export --format stix does.
func exportSTIX(t *testing.T, n *app.Node) []byte {
	t.Helper()
	ctx := context.Background()
	info, err := n.Store.Node(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := stix.NewWriter(&buf, info.Agency, n.Clock.Now())
	opt := app.ExportOptions{Format: "stix", Claims: true, Associations: true, Originals: true, Messages: true}
	_, err = n.Export(ctx, analyst, opt, func(it *app.ExportItem) error {
		targets := map[string]string{}
		for id, src := range it.Targets {
			targets[id] = stix.ExportID(info.Agency.Code, &forewarn.Subject{ID: id, Sources: src})
		}
		return w.WriteHolding(&stix.Holding{Subject: it.Subject, Claims: it.Claims, Associations: it.Associations, TargetIDs: targets, Original: it.Original})
	}, w.WriteMessage)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// objectsByID decodes a bundle's objects by ID.
func objectsByID(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var bundle struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatalf("not a bundle: %v", err)
	}
	out := map[string]any{}
	for _, o := range bundle.Objects {
		out[o["id"].(string)] = o
	}
	return out
}

// TestSTIXRoundTripOASISExamples: every OASIS example bundle imports without loss of the
// objects Forewarn maps — exporting the node again gives each of them back with the same
// ID and the same properties — and what it does not map is kept raw and counted.
func TestSTIXRoundTripOASISExamples(t *testing.T) {
	root := testdata.Path(t, "stix", "examples")
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	ctx := context.Background()
	persons := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"bundle"`)) {
			continue // a lone object, not a bundle
		}
		name, _ := filepath.Rel(root, f)
		t.Run(name, func(t *testing.T) {
			want, err := stix.Parse(b, stix.ParseOptions{Dataset: "oasis"})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			n := newNode(t)
			job, err := n.Import(ctx, analyst, &stix.Reader{Open: bytesOpener(b), Dataset: "oasis"}, app.ImportOptions{Dataset: "oasis", Version: "1"})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if job.Counts.Added != len(want.Records) || job.Counts.Raw != len(want.Raw) {
				t.Fatalf("counts %+v; want %d persons added and %d objects kept raw", job.Counts, len(want.Records), len(want.Raw))
			}
			raw, err := n.Store.RawObjects(ctx, "oasis")
			if err != nil || len(raw) != len(want.Raw) {
				t.Fatalf("RawObjects: %d, %v; want %d", len(raw), err, len(want.Raw))
			}
			first := exportSTIX(t, n)
			if err := stix.Validate(first); err != nil {
				t.Fatalf("the export is not valid STIX: %v", err)
			}
			got := objectsByID(t, first)
			for _, rec := range want.Records {
				persons++
				for _, orig := range rec.Original {
					var o map[string]any
					if err := json.Unmarshal(orig, &o); err != nil {
						t.Fatal(err)
					}
					id := o["id"].(string)
					if !reflect.DeepEqual(got[id], o) {
						g, _ := json.Marshal(got[id])
						t.Errorf("%s did not come back as it went in:\n in: %s\nout: %s", id, orig, g)
					}
				}
			}
			if second := exportSTIX(t, n); !reflect.DeepEqual(objectsByID(t, second), got) {
				t.Error("two exports of the same node differ: STIX IDs and objects must be stable")
			}
		})
	}
	if persons < 3 {
		t.Fatalf("only %d persons in the examples; the round trip proves little", persons)
	}
}
