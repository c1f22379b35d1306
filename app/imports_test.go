package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/ftm"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/ofac"
	"github.com/forewarn/forewarn/personcsv"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/storetest"
)

var analyst = forewarn.UserActor("analyst1")

// newNode opens a real SQLite node on the test clock.
func newNode(t *testing.T) *app.Node {
	t.Helper()
	// After the fixtures' dates: sanctions listed in 2025 are not in the future.
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	signer := storetest.NewSigner()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "forewarn.db"), sqlstore.Options{Now: clock.Now, Signer: signer, Agency: storetest.Agency.Code})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := app.New(db, clock, signer, nil)
	if _, err := n.Initialize(context.Background(), storetest.Agency, "admin"); err != nil {
		t.Fatal(err)
	}
	return n
}

func fileOpener(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func allSubjects(t *testing.T, n *app.Node) map[string]*forewarn.Subject {
	t.Helper()
	out := map[string]*forewarn.Subject{}
	if err := n.Store.ScanSubjects(context.Background(), func(s *forewarn.Subject) error {
		key := s.ID
		if len(s.Sources) > 0 {
			key = s.Sources[0].ExternalID
		}
		out[key] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportFtMFixtures(t *testing.T) {
	path := testdata.Path(t, "ftm", "fixtures", "dataset_zala_entities.ftm.json")
	n := newNode(t)
	ctx := context.Background()
	grading := forewarn.Grading{Reliability: "B", Credibility: 2}
	opts := app.ImportOptions{Dataset: "zala", Version: "2026-04-29", Format: "ftm"}
	job, err := n.Import(ctx, analyst, &ftm.Reader{Open: fileOpener(path), Dataset: "zala", Grading: grading}, opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	c := job.Counts
	if c.Added != 6 || c.Links != 4 || c.Invalid != 0 || job.Status != forewarn.ImportDone {
		t.Fatalf("first import: %+v status %s; want 6 persons added, the 4 Family links, no bad rows", c, job.Status)
	}
	if c.Skipped["schema:Company"] != 11 || c.Skipped["schema:Ownership"] != 14 || c.Skipped["property:Person.innCode"] == 0 {
		t.Fatalf("skipped = %v; want unknown schemata and properties counted", c.Skipped)
	}
	subjects := allSubjects(t, n)
	maria := subjects["NK-2Tbri3s6GgNtAwsSXh4qpL"]
	if maria == nil || maria.PrimaryName() != "Maria Aleksandrovna Osetrova" || maria.BirthDate.String() != "1988-01-07" ||
		!slices.Equal(maria.Nationalities, []string{"RU"}) || len(maria.Names) < 10 {
		t.Fatalf("Maria Osetrova = %+v", maria)
	}
	alexander := subjects["NK-aU5ybkbRFJucf8YMwsJvDw"]
	if alexander == nil {
		t.Fatal("Alexander Zakharov was not imported")
	}
	claims, err := n.Store.Claims(ctx, alexander.ID)
	if err != nil {
		t.Fatal(err)
	}
	sanctioned := 0
	for _, cl := range claims {
		if strings.HasPrefix(cl.Value, "sanctioned: ") && cl.Source.Name == "zala" && cl.Grading == grading {
			sanctioned++
		}
	}
	if sanctioned != 13 {
		t.Fatalf("Alexander Zakharov's claims = %v; want her sanctions as sourced claims", claims)
	}
	assocs := 0
	for _, s := range subjects {
		as, err := n.Store.Associations(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		assocs += len(as)
	}
	if assocs != 8 { // each of the 4 links, seen from both ends
		t.Fatalf("associations seen from their ends = %d, want 8", assocs)
	}

	// The same file again changes nothing.
	again, err := n.Import(ctx, analyst, &ftm.Reader{Open: fileOpener(path), Dataset: "zala", Grading: grading}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c := again.Counts; c.Unchanged != 6 || c.Added+c.Updated+c.Withdrawn+c.Links != 0 {
		t.Fatalf("re-import counts = %+v; want all 6 unchanged, nothing else", c)
	}
}

func TestImportFtMT1AndDonations(t *testing.T) {
	for _, tc := range []struct {
		file    string
		persons int
	}{{"dataset_t1_entities.ftm.json", 4}, {"donations.ijson", 22}} {
		path := testdata.Path(t, "ftm", "fixtures", tc.file)
		n := newNode(t)
		job, err := n.Import(context.Background(), analyst, &ftm.Reader{Open: fileOpener(path), Dataset: "fixture", Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
			app.ImportOptions{Dataset: "fixture", Version: "1"})
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if job.Counts.Added != tc.persons || job.Counts.Invalid != 0 {
			t.Fatalf("%s: %+v; want %d persons added", tc.file, job.Counts, tc.persons)
		}
	}
}

const badCSV = `id,name,birth_date,nationality,document,claims
1,Omar Ismail Mostefai,1985,FR,passport:05AB12345:FR,travel_entry:TR:2013:B2
2,Samy Amimour,1987-10,FR,,
3,,1990,FR,,
4,Foued Mohamed-Aggad,1992-13,FR,,
5,Brahim Abdeslam,1984,XX,,
`

func TestImportCSVAbortWritesNothing(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	r := &personcsv.Reader{Open: bytesOpener([]byte(badCSV)), Dataset: "dgsi_list", Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}
	job, err := n.Import(ctx, analyst, r, app.ImportOptions{Dataset: "dgsi_list", Version: "1"})
	var failed *app.ImportFailed
	if !errors.As(err, &failed) || job.Status != forewarn.ImportFailed {
		t.Fatalf("first import of a file with bad rows: %v (status %s); want it refused", err, job.Status)
	}
	var got []string
	for _, e := range job.Errors {
		got = append(got, e.Position)
	}
	want := []string{"line 4 (id 3)", "line 5 (id 4)", "line 6 (id 5)"}
	if !slices.Equal(got, want) {
		t.Fatalf("errors at %q, want %q: %v", got, want, job.Errors)
	}
	if !strings.Contains(job.Errors[1].Reason, "birth_date") || !strings.Contains(job.Errors[2].Reason, "XX") {
		t.Fatalf("reasons do not name the field: %v", job.Errors)
	}
	if s := allSubjects(t, n); len(s) != 0 {
		t.Fatalf("a refused import wrote %d subjects", len(s))
	}
	job, err = n.Import(ctx, analyst, r, app.ImportOptions{Dataset: "dgsi_list", Version: "1", OnError: app.OnErrorSkip})
	if err != nil || job.Counts.Added != 2 || job.Counts.Invalid != 3 {
		t.Fatalf("skip import: %v %+v; want the 2 good rows added, 3 reported", err, job.Counts)
	}
	s := allSubjects(t, n)["1"]
	if s == nil || len(s.Documents) != 1 || s.Documents[0].Country != "FR" {
		t.Fatalf("subject 1 = %+v", s)
	}
	claims, _ := n.Store.Claims(ctx, s.ID)
	if len(claims) != 1 || claims[0].Kind != forewarn.ClaimTravelEntry || claims[0].Value != "TR" || claims[0].Grading.String() != "B2" {
		t.Fatalf("claims = %+v", claims)
	}
}

func TestCSVSeparatorNamed(t *testing.T) {
	n := newNode(t)
	// A semicolon file is read as one.
	semi := "id;name;nationality\n1;Omar Ismail Mostefai;FR\n"
	job, err := n.Import(context.Background(), analyst, &personcsv.Reader{Open: bytesOpener([]byte(semi)), Dataset: "semi"}, app.ImportOptions{Dataset: "semi", Version: "1"})
	if err != nil || job.Counts.Added != 1 {
		t.Fatalf("semicolon CSV: %v %+v", err, job)
	}
	// A header without the columns names the separator it was read with.
	_, err = n.Import(context.Background(), analyst, &personcsv.Reader{Open: bytesOpener([]byte("ident|nom\n1|x\n")), Dataset: "bar"}, app.ImportOptions{Dataset: "bar", Version: "1"})
	if err == nil || !strings.Contains(err.Error(), "vertical bar") || !strings.Contains(err.Error(), `"id"`) {
		t.Fatalf("error = %v; want it to name the missing column and the separator", err)
	}
}

// TestExportImportRoundTrip: subjects exported as FtM or CSV and imported into another
// node come back the same.
func TestExportImportRoundTrip(t *testing.T) {
	path := testdata.Path(t, "ftm", "fixtures", "dataset_zala_entities.ftm.json")
	src := newNode(t)
	ctx := context.Background()
	if _, err := src.Import(ctx, analyst, &ftm.Reader{Open: fileOpener(path), Dataset: "zala", Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
		app.ImportOptions{Dataset: "zala", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	own := storetest.NewSubject("Ismaël Omar Mostefaï")
	if err := src.Store.CreateSubject(ctx, analyst, own); err != nil {
		t.Fatal(err)
	}
	want := allSubjects(t, src)
	for _, format := range []string{"ftm", "csv"} {
		var buf bytes.Buffer
		var write func(*forewarn.Subject, []*forewarn.Claim) error
		flush := func() error { return nil }
		var reader forewarn.ImportReader
		switch format {
		case "ftm":
			w := ftm.NewWriter(&buf)
			write = func(s *forewarn.Subject, _ []*forewarn.Claim) error { return w.Write(s) }
			reader = &ftm.Reader{Open: bytesOpener(buf.Bytes()), Dataset: "zala"}
		case "csv":
			w := personcsv.NewWriter(&buf)
			write, flush = w.Write, w.Flush
		}
		rep, err := src.ExportSubjects(ctx, analyst, app.ExportOptions{Format: format, Claims: format == "csv"}, write)
		if err != nil || rep.Subjects != len(want) {
			t.Fatalf("%s export: %v %+v", format, err, rep)
		}
		if err := flush(); err != nil {
			t.Fatal(err)
		}
		if format == "ftm" {
			reader = &ftm.Reader{Open: bytesOpener(buf.Bytes()), Dataset: "zala"}
		} else {
			reader = &personcsv.Reader{Open: bytesOpener(buf.Bytes()), Dataset: "zala"}
		}
		dst := newNode(t)
		job, err := dst.Import(ctx, analyst, reader, app.ImportOptions{Dataset: "zala", Version: "1"})
		if err != nil || job.Counts.Added != len(want) {
			t.Fatalf("%s import of the export: %v %+v", format, err, job)
		}
		got := map[string]*forewarn.Subject{}
		for _, s := range allSubjects(t, dst) {
			got[s.Sources[0].ExternalID] = s
		}
		for _, w := range want {
			g := got[w.ID]
			if g == nil {
				t.Fatalf("%s: subject %s did not come back", format, w.ID)
			}
			if d := sameSubject(w, g); d != "" {
				t.Errorf("%s round trip of %s: %s", format, w.PrimaryName(), d)
			}
		}
	}
}

// sameSubject compares what the export formats carry: names, dates, places,
// nationalities, documents, gender and notes.
func sameSubject(a, b *forewarn.Subject) string {
	names := func(s *forewarn.Subject) []string {
		var out []string
		for _, n := range s.Names {
			out = append(out, string(n.Kind)+":"+n.Value)
		}
		return out
	}
	switch {
	case !slices.Equal(names(a), names(b)):
		return "names " + strings.Join(names(a), "|") + " != " + strings.Join(names(b), "|")
	case a.BirthDate != b.BirthDate || a.Birthplace != b.Birthplace || a.Gender != b.Gender || a.Notes != b.Notes:
		return "birth, gender or notes differ"
	case !slices.Equal(a.Nationalities, b.Nationalities):
		return "nationalities differ"
	case !slices.Equal(a.Documents, b.Documents):
		return "documents differ"
	}
	return ""
}

func TestImportOFAC(t *testing.T) {
	sdn := testdata.Path(t, "names", "ofac", "sdn.csv")
	alt := testdata.Path(t, "names", "ofac", "alt.csv")
	n := newNode(t)
	r := &ofac.Reader{OpenSDN: fileOpener(sdn), OpenAlt: fileOpener(alt), OpenAdd: fileOpener(filepath.Join(filepath.Dir(sdn), "add.csv")),
		Dataset: "us_ofac_sdn", Grading: forewarn.Grading{Reliability: "A", Credibility: 2}}
	job, err := n.Import(context.Background(), analyst, r, app.ImportOptions{Dataset: "us_ofac_sdn", Version: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	// SOURCES.md: 4,620 of the 8,976 rows are individuals; the rest are counted, not mapped.
	if c := job.Counts; c.Added != 4620 || c.Skipped["sdn_type:entity"] == 0 || c.Invalid != 0 {
		t.Fatalf("counts = %+v; want the 4,620 individuals added and entities counted", c)
	}
	z := allSubjects(t, n)["2676"]
	if z == nil || z.PrimaryName() != "AL ZAWAHIRI, Dr. Ayman" || z.BirthDate.String() != "1951-06-19" || z.Birthplace != "Giza, Egypt" {
		t.Fatalf("ent_num 2676 = %+v", z)
	}
	if len(z.Documents) < 1 || z.Documents[0] != (forewarn.Document{Kind: "passport", Number: "1084010", Country: "EG"}) {
		t.Fatalf("documents = %+v; want passport 1084010 of Egypt", z.Documents)
	}
	if len(z.Names) < 2 {
		t.Fatalf("names = %v; want the alt.csv aliases", z.Names)
	}
}

func TestImportSTIX(t *testing.T) {
	apt1 := testdata.Path(t, "stix", "examples", "apt1.json")
	n := newNode(t)
	ctx := context.Background()
	job, err := n.Import(ctx, analyst, &stix.Reader{Open: fileOpener(apt1), Dataset: "apt1"}, app.ImportOptions{Dataset: "apt1", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if c := job.Counts; c.Added != 4 || c.Skipped["type:indicator"] == 0 {
		t.Fatalf("apt1 counts = %+v; want the 4 individual identities, the rest counted", c)
	}
	var wang *forewarn.Subject
	for _, s := range allSubjects(t, n) {
		if s.PrimaryName() == "Wang Dong" {
			wang = s
		}
	}
	if wang == nil || !slices.ContainsFunc(wang.Names, func(nm forewarn.Name) bool { return nm.Value == "Ugly Gorilla" }) {
		t.Fatalf("Wang Dong = %+v; want the threat-actor attributed to him lending its name", wang)
	}
	// An identity without a name is refused, naming the object.
	bad := testdata.Path(t, "stix", "must-fail", "identity-missing-name.json")
	b, _ := os.ReadFile(bad)
	bundle := []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + string(b) + `]}`)
	_, err = n.Import(ctx, analyst, &stix.Reader{Open: bytesOpener(bundle), Dataset: "bad"}, app.ImportOptions{Dataset: "bad", Version: "1"})
	if err == nil || !strings.Contains(err.Error(), "identity--311b2d2d") || !strings.Contains(err.Error(), "name") {
		t.Fatalf("identity without a name: %v; want it refused with its ID", err)
	}

	// Export → import gives the same subjects, under the same stable STIX IDs.
	info, err := n.Store.Node(ctx)
	if err != nil {
		t.Fatal(err)
	}
	export := func() []byte {
		var buf bytes.Buffer
		w := stix.NewWriter(&buf, info.Agency, n.Clock.Now())
		if _, err := n.ExportSubjects(ctx, analyst, app.ExportOptions{Format: "stix"}, func(s *forewarn.Subject, _ []*forewarn.Claim) error { return w.Write(s) }); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := export()
	dst := newNode(t)
	job, err = dst.Import(ctx, analyst, &stix.Reader{Open: bytesOpener(first), Dataset: "apt1"}, app.ImportOptions{Dataset: "apt1", Version: "1"})
	if err != nil || job.Counts.Added != 4 {
		t.Fatalf("import of the STIX export: %v %+v", err, job)
	}
	back := map[string]*forewarn.Subject{}
	for _, s := range allSubjects(t, dst) {
		back[s.Sources[0].ExternalID] = s
	}
	for _, s := range allSubjects(t, n) {
		id := stix.ExportID(info.Agency.Code, s)
		if g := back[id]; g == nil || sameSubject(s, g) != "" {
			t.Errorf("STIX round trip of %s (%s): %v", s.PrimaryName(), id, g)
		}
		if !bytes.Contains(first, []byte(id)) {
			t.Errorf("export lacks %s", id)
		}
	}
	second := export()
	objects := func(b []byte) []byte { return b[bytes.Index(b, []byte(`"objects"`)):] }
	if !bytes.Equal(objects(first), objects(second)) {
		t.Error("two exports of the same subjects differ beyond the bundle ID: STIX IDs must be stable")
	}
}

// messagesCounter counts paged reads of messages.
type messagesCounter struct {
	forewarn.Store
	paged int
}

func (s *messagesCounter) Messages(ctx context.Context, f forewarn.MessageFilter) ([]*forewarn.StoredMessage, int, error) {
	s.paged++
	return s.Store.Messages(ctx, f)
}

// TestImportMatchesReceivedInOnePass: an import matches its subjects against every
// message received before, read in one streaming pass (ScanReceived), not in OFFSET pages,
// which slow as messages grow and skip or repeat messages that arrive meanwhile.
func TestImportMatchesReceivedInOnePass(t *testing.T) {
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
	for _, name := range []string{"Omar Ismail Mostefai", "Hans Muster", "Jean Dupont"} {
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, e.Clock.Now())
		m.Notification.Persons[0].Names[0].Value = name
		e.Receive(m)
		e.Clock.Advance(time.Minute)
	}
	counted := &messagesCounter{Store: e.Store}
	n := app.New(counted, e.Clock, e.Signer, nil)
	csv := "id,name,birth_date,nationality\nF1,Ismaël Omar Mostefaï,1985-11-21,FR\nF2,Peter Nobody,1970,DE\n"
	r := &personcsv.Reader{Open: bytesOpener([]byte(csv)), Dataset: "dgsi_watch", Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}
	job, err := n.Import(context.Background(), analyst, r, app.ImportOptions{Dataset: "dgsi_watch", Version: "1"})
	if err != nil || job.Counts.Added != 2 || job.Counts.Alerts != 1 {
		t.Fatalf("import: %v %+v; want 2 added and 1 alert (the subject told about before)", err, job.Counts)
	}
	if counted.paged != 0 {
		t.Fatalf("the import paged through messages %d times; want one streaming pass", counted.paged)
	}
}

// TestImportInputDoneBeforeTheJobEnds: however an import ends (done, refused, interrupted),
// InputDone runs once, while the stored job still says running, so a caller that removes
// its spooled input there leaves no file behind a job reported ended.
func TestImportInputDoneBeforeTheJobEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		onError string
		cancel  bool
		want    forewarn.ImportStatus
	}{
		{name: "done", onError: app.OnErrorSkip, want: forewarn.ImportDone},
		{name: "refused", onError: app.OnErrorAbort, want: forewarn.ImportFailed},
		{name: "interrupted", onError: app.OnErrorSkip, cancel: true, want: forewarn.ImportInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode(t)
			ctx := context.Background()
			opt := app.ImportOptions{Dataset: "dgsi_list", Version: "1", OnError: tc.onError}
			job, err := n.BeginImport(ctx, analyst, &opt)
			if err != nil {
				t.Fatal(err)
			}
			var calls int
			var seen forewarn.ImportStatus
			opt.InputDone = func() {
				calls++
				stored, err := n.Store.ImportJob(ctx, job.ID)
				if err != nil {
					t.Errorf("read the job in InputDone: %v", err)
					return
				}
				seen = stored.Status
			}
			runCtx, cancel := context.WithCancel(ctx)
			if tc.cancel {
				cancel()
			}
			defer cancel()
			r := &personcsv.Reader{Open: bytesOpener([]byte(badCSV)), Dataset: "dgsi_list", Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}
			n.RunImport(runCtx, analyst, job, r, opt)
			stored, err := n.Store.ImportJob(ctx, job.ID)
			if err != nil || stored.Status != tc.want {
				t.Fatalf("the job ended %v (%v); want %s", stored, err, tc.want)
			}
			if calls != 1 || seen != forewarn.ImportRunning {
				t.Fatalf("InputDone ran %d times, seeing the job %q; want once, while it still ran", calls, seen)
			}
		})
	}
}
