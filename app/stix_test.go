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
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/storetest"
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
	opt := app.ExportOptions{Format: "stix", Claims: true, Associations: true, Originals: true, Messages: true, OriginalMarks: stix.Codec{}.Marks}
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

// TestSTIXExportHoldsBackMarkedOriginals: a person imported from a bundle under TLP:AMBER
// does not leave in a STIX export (the refusal audited), the CLEAR one does, and an
// administrator's backup gives back both.
func TestSTIXExportHoldsBackMarkedOriginals(t *testing.T) {
	ctx := context.Background()
	person := func(id, name, marking string) string {
		return `{"type":"identity","spec_version":"2.1","id":"` + id + `","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z","name":"` + name +
			`","identity_class":"individual","object_marking_refs":["` + marking + `"]}`
	}
	amber := "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"
	clear := "identity--411b2d2d-f010-4473-83ec-1edf84858f4c"
	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` +
		person(amber, "John Smith", stix.TLPMarkingID(forewarn.TLPAmber)) + `,` + person(clear, "Jane Doe", stix.TLPMarkingID(forewarn.TLPClear)) + `]}`
	n := newNode(t)
	if _, err := n.Import(ctx, analyst, &stix.Reader{Open: bytesOpener([]byte(bundle)), Dataset: "marked"}, app.ImportOptions{Dataset: "marked", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	out := objectsByID(t, exportSTIX(t, n))
	if out[amber] != nil || out[clear] == nil {
		t.Fatalf("export: TLP:AMBER person present %v, TLP:CLEAR person present %v; want only the CLEAR one", out[amber] != nil, out[clear] != nil)
	}
	refusals, err := n.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: app.ActionEgressRefused})
	if err != nil || len(refusals) == 0 || !strings.Contains(refusals[len(refusals)-1].Detail, "path=export") {
		t.Fatalf("the refusal is not audited: %v %v", refusals, err)
	}
	info, _ := n.Store.Node(ctx)
	var buf bytes.Buffer
	w := stix.NewWriter(&buf, info.Agency, n.Clock.Now())
	rep, err := n.Export(ctx, analyst, app.ExportOptions{Format: "stix", Backup: true, Originals: true, OriginalMarks: stix.Codec{}.Marks}, func(it *app.ExportItem) error {
		return w.WriteHolding(&stix.Holding{Subject: it.Subject, Original: it.Original})
	}, nil)
	if err != nil || w.Close() != nil {
		t.Fatal(err)
	}
	if backup := objectsByID(t, buf.Bytes()); backup[amber] == nil || rep.Withheld != 0 {
		t.Fatalf("a backup lacks the TLP:AMBER person (withheld %d)", rep.Withheld)
	}
}

// TestSTIXExportMessages: the STIX export carries the messages whose marks let them leave
// in a file as reports, with their persons, and holds back (and audits) those that may
// not; a backup carries both.
func TestSTIXExportMessages(t *testing.T) {
	e := storetest.NewEnv(t, func(t *testing.T, o sqlstore.Options) forewarn.Store {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, 0)
	e.Init()
	e.AddPeers()
	amber := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	e.Receive(amber)
	e.Clock.Advance(time.Minute)
	green := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
	green.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPGreen}
	e.Receive(green)
	n := app.New(e.Store, e.Clock, e.Signer, nil)
	out := objectsByID(t, exportSTIX(t, n))
	if out[stix.MessageID(green.ID)] == nil || out[stix.PersonID(green.ID, "p1")] == nil {
		t.Fatal("the TLP:GREEN warning is not in the export")
	}
	if out[stix.MessageID(amber.ID)] != nil || out[stix.PersonID(amber.ID, "p1")] != nil {
		t.Fatal("the TLP:AMBER warning released to one agency left in a file")
	}
	report := out[stix.MessageID(green.ID)].(map[string]any)
	ext := report["extensions"].(map[string]any)[stix.ExtensionID].(map[string]any)["message"].(map[string]any)
	if ext["priority"] != "urgent" || ext["deadline"] != stix.Timestamp(green.Notification.AcknowledgeBy) || report["object_marking_refs"].([]any)[0] != stix.TLPMarkingID(forewarn.TLPGreen) {
		t.Fatalf("the report = %v", report)
	}
	refusals, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Action: app.ActionEgressRefused, ObjectID: amber.ID})
	if err != nil || len(refusals) == 0 {
		t.Fatalf("the held-back warning is not audited: %v %v", refusals, err)
	}
	var count int
	rep, err := n.Export(e.Ctx, analyst, app.ExportOptions{Format: "stix", Backup: true, Messages: true}, func(*app.ExportItem) error { return nil },
		func(*forewarn.Message) error { count++; return nil })
	if err != nil || count != 2 || rep.Messages != 2 {
		t.Fatalf("backup: %v, %d messages; want both", err, count)
	}
}
