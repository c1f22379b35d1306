package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/stix"
)

const listV1 = `id,name,aliases,birth_date,nationality,document,claims
A1,Abdelhamid Abaaoud,Abu Umar al-Baljiki,1987-04-08,BE,passport:EH123456:BE,travel_entry:SY:2014:B2
A2,Samy Amimour,,1987-10-15,FR,,
A3,Bilal Hadfi,,1995-01-22,FR,,
`

// Version 2: A1 gains an alias, A2 is unchanged, A3 is gone, A4 is new.
const listV2 = `id,name,aliases,birth_date,nationality,document,claims
A1,Abdelhamid Abaaoud,Abu Umar al-Baljiki;Abu Omar Soussi,1987-04-08,BE,passport:EH123456:BE,travel_entry:SY:2014:B2
A2,Samy Amimour,,1987-10-15,FR,,
A4,Chakib Akrouh,,1990-08-27,BE,,
`

// TestImportCommand runs import as an operator would: a dry run, the import, a changed
// version, and an export whose import into another node gives the same subjects.
func TestImportCommand(t *testing.T) {
	dir, _ := newNode(t)
	v1, v2 := writeFile(t, "list.csv", listV1), writeFile(t, "list.csv", listV2)
	out := mustCLI(t, "import", "--data", dir, "--dataset", "be_list", "--version", "1", "--dry-run", v1)
	if !strings.Contains(out, "dry run, nothing changed: would have added 3, updated 0, withdrawn 0, unchanged 0") {
		t.Fatalf("dry run printed:\n%s", out)
	}
	if list := mustCLI(t, "subject", "list", "--data", dir); strings.Contains(list, "Abaaoud") {
		t.Fatal("a dry run wrote a subject")
	}
	out = mustCLI(t, "import", "--data", dir, "--dataset", "be_list", "--version", "1", v1)
	if !strings.Contains(out, "added 3, updated 0, withdrawn 0, unchanged 0") {
		t.Fatalf("import printed:\n%s", out)
	}
	out = mustCLI(t, "import", "--data", dir, "--dataset", "be_list", "--version", "2", v2)
	if !strings.Contains(out, "added 1, updated 1, withdrawn 1, unchanged 1") {
		t.Fatalf("re-import of a changed file printed:\n%s", out)
	}
	if out := mustCLI(t, "audit", "verify", "--data", dir); !strings.Contains(out, "ok") && !strings.Contains(out, "verified") {
		t.Fatalf("audit verify after imports:\n%s", out)
	}

	// Export and import into a new node: the same names come back.
	exported := filepath.Join(t.TempDir(), "out.ftm.json")
	mustCLI(t, "export", "--data", dir, "--format", "ftm", "--output", exported)
	other := filepath.Join(t.TempDir(), "other")
	mustCLI(t, "init", "--data", other, "--agency", "BE-VSSE", "--name", "VSSE", "--log-level", "warn")
	out = mustCLI(t, "import", "--data", other, "--dataset", "from_fr", exported)
	if !strings.Contains(out, "added 5,") {
		t.Fatalf("import of the export printed:\n%s", out)
	}
	// The exported file, screened as travellers (FtM) against the node it went into: each
	// person finds themself.
	// Screening shows who the node's subjects are: without a purpose it is refused, naming
	// the flag, and with one the purpose is in the audit entry of the screening.
	if _, _, err := runCLI(t, nil, "screen", "--data", other, "--input", exported, "--format", "csv", "--top", "1"); err == nil || !strings.Contains(err.Error(), "--purpose") {
		t.Fatalf("screen --data without a purpose: %v, want a refusal naming --purpose", err)
	}
	hits := mustCLI(t, "screen", "--data", other, "--purpose", "investigation", "--input", exported, "--format", "csv", "--top", "1")
	if audit := mustCLI(t, "audit", "list", "--data", other, "--action", "subject.screen"); !strings.Contains(audit, "purpose: investigation") {
		t.Errorf("the screening's audit entry does not record its purpose:\n%s", audit)
	}
	if n := strings.Count(hits, ",1,"); n != 5 {
		t.Fatalf("screen --data with FtM input: %d top hits, want 5:\n%s", n, hits)
	}
	list := mustCLI(t, "subject", "list", "--data", other)
	for _, name := range []string{"Abdelhamid Abaaoud", "Chakib Akrouh", "Bilal Hadfi", "Ismaël Omar Mostefaï"} {
		if !strings.Contains(list, name) {
			t.Errorf("%s did not come back through export and import:\n%s", name, list)
		}
	}
}

// TestImportBadInput: text in another encoding is refused with its byte offset unless
// named; a first import with bad rows lists them and writes nothing.
func TestImportBadInput(t *testing.T) {
	dir, _ := newNode(t)
	latin1 := writeFile(t, "latin1.csv", "id,name\nL1,Isma\xebl Omar Mostefa\xef\n")
	_, _, err := runCLI(t, nil, "import", "--data", dir, "--dataset", "latin", latin1)
	if err == nil || !strings.Contains(err.Error(), "offset 15") || !strings.Contains(err.Error(), "--encoding") {
		t.Fatalf("Latin-1 without --encoding: %v; want it refused at byte offset 15, naming --encoding", err)
	}
	out := mustCLI(t, "import", "--data", dir, "--dataset", "latin", "--encoding", "latin1", latin1)
	if !strings.Contains(out, "added 1,") {
		t.Fatalf("Latin-1 with --encoding:\n%s", out)
	}
	if list := mustCLI(t, "subject", "list", "--data", dir); strings.Count(list, "Ismaël Omar Mostefaï") != 2 {
		t.Fatalf("the Latin-1 name was not decoded:\n%s", list)
	}

	bad := writeFile(t, "bad.csv", "id,name,birth_date\nB1,Good Person,1980\nB2,,1981\nB3,Bad Date,1980-14\n")
	out, _, err = runCLI(t, nil, "import", "--data", dir, "--dataset", "bad", bad)
	if err == nil || !strings.Contains(out, "line 3 (id B2): empty name") || !strings.Contains(out, "line 4 (id B3): birth_date") {
		t.Fatalf("bad rows: %v\n%s", err, out)
	}
	if list := mustCLI(t, "subject", "list", "--data", dir); strings.Contains(list, "Good Person") {
		t.Fatal("a refused first import wrote its good rows")
	}
	out = mustCLI(t, "import", "--data", dir, "--dataset", "bad", "--on-error", "skip", bad)
	if !strings.Contains(out, "added 1,") || !strings.Contains(out, "2 bad rows") {
		t.Fatalf("--on-error skip:\n%s", out)
	}
	tabs := writeFile(t, "tabs.csv", "ident\tnom\nT1\tX\n")
	if _, _, err := runCLI(t, nil, "import", "--data", dir, "--dataset", "tabs", tabs); err == nil || !strings.Contains(err.Error(), "tab as the separator") {
		t.Fatalf("a tab file without id and name: %v; want the error to name the separator", err)
	}
}

// TestImportInterrupted: an import stopped part-way leaves the node consistent and its job
// interrupted; running it again completes it.
func TestImportInterrupted(t *testing.T) {
	path := testdata.Path(t, "names", "ofac", "sdn.csv")
	dir, _ := newNode(t)
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	node, err := m.openNode(ctx, &nodeFlags{data: dir, logLevel: "warn", checkpointEvery: 1000})
	if err != nil {
		t.Fatal(err)
	}
	in, err := m.importInput(filepath.Dir(path), "", "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := in.reader("us_ofac_sdn", forewarn.Grading{Reliability: "B", Credibility: 2}) // the CLI's default
	if err != nil {
		t.Fatal(err)
	}
	batches := 0
	job, err := node.Import(ctx, forewarn.UserActor("op"), r, app.ImportOptions{Dataset: "us_ofac_sdn", Version: "1", BatchSize: 500,
		Progress: func(*forewarn.ImportJob) {
			if batches++; batches == 3 {
				cancel()
			}
		}})
	node.Store.Close()
	if err == nil || job.Status != forewarn.ImportInterrupted || job.Counts.Added != 1500 {
		t.Fatalf("cancelled import: %v, status %s, added %d; want interrupted after 3 batches of 500", err, job.Status, job.Counts.Added)
	}
	out := mustCLI(t, "audit", "verify", "--data", dir)
	if strings.Contains(out, "FAIL") {
		t.Fatalf("audit after an interrupted import:\n%s", out)
	}
	out = mustCLI(t, "import", "--data", dir, "--dataset", "us_ofac_sdn", "--version", "1", filepath.Dir(path))
	if !strings.Contains(out, "added 3120, updated 0, withdrawn 0, unchanged 1500") {
		t.Fatalf("re-run after the interruption:\n%s", out)
	}
}

// TestImportThroughAPI uploads a dataset to a serving node, follows the job to its end,
// and finds the subject that matches an earlier warning raised as one alert under the job.
func TestImportThroughAPI(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	w := warning(c, forewarn.PriorityUrgent)
	w.ID, w.Created, w.From, w.Notification.AcknowledgeBy = "", time.Time{}, "", time.Time{}
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w); err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	token, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "import test")
	if err != nil {
		t.Fatal(err)
	}
	csv := "id,name,birth_date,nationality\nF1,Ismaël Omar Mostefaï,1985-11-21,FR\nF2,Jean Dupont,1970,FR\n"
	req, _ := http.NewRequest("POST", fr.url+"/api/v1/imports?format=csv&dataset=dgsi_watch&version=2015-01", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job forewarn.ImportJob
	json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || job.ID == "" || resp.Header.Get("Location") != "/api/v1/imports/"+job.ID {
		t.Fatalf("POST /api/v1/imports: %d %+v", resp.StatusCode, job)
	}
	job = followImport(t, fr.url, token, job)
	if job.Status != forewarn.ImportDone || job.Counts.Added != 2 || job.Counts.Alerts != 1 {
		t.Fatalf("job = %s %+v; want done, 2 added, 1 alert (the subject told about before)", job.Status, job.Counts)
	}
	alerts, err := fr.node.Store.Alerts(ctx, forewarn.RoleAnalyst, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, a := range alerts {
		if strings.Contains(a.Text, "Import "+job.ID) && strings.Contains(a.Text, "Ismaël Omar Mostefaï") {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("%d alerts name the import job and the subject; want exactly 1: %v", found, alerts)
	}
	// Screening travellers against the running node's subjects, through its API.
	travellers := writeFile(t, "travellers.csv", "id,name,birth_date\nT1,Omar Ismail Mostefai,1985\nT2,Hans Muster,1960\n")
	if out, _, err := runCLI(t, nil, "screen", "--node", fr.url, "--token", token, "--input", travellers, "--format", "csv"); err == nil || !strings.Contains(err.Error(), "--purpose") || strings.Contains(out, "Mostef") {
		t.Errorf("screen --node without a purpose: %v\n%s\nwant a refusal naming --purpose, not an empty screening", err, out)
	}
	out, errOut, err := runCLI(t, nil, "screen", "--node", fr.url, "--token", token, "--purpose", "investigation", "--input", travellers, "--format", "csv")
	if err != nil {
		t.Fatalf("screen --node: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "T1,1,") || !strings.Contains(out, "Ismaël Omar Mostefaï") || strings.Contains(out, "T2,1,") {
		t.Fatalf("screen --node printed:\n%s", out)
	}
	confirmAndExport(t, fr, "Ismaël Omar Mostefaï")

	// A new version of the list changes the subject the analyst confirmed: the warning's
	// spelling (another provenance) stays beside the list's.
	v2 := "id,name,birth_date,nationality\nF1,Ismaël Omar Mostefaï,1985-11-21,FR;DZ\nF2,Jean Dupont,1970,FR\n"
	in := &importInput{path: writeFile(t, "v2.csv", v2), format: "csv"}
	r, err := in.reader("dgsi_watch", forewarn.Grading{Reliability: "B", Credibility: 2})
	if err != nil {
		t.Fatal(err)
	}
	job2, err := fr.node.Import(ctx, actor(forewarn.RoleAnalyst), r, app.ImportOptions{Dataset: "dgsi_watch", Version: "2015-02"})
	if err != nil || job2.Counts.Updated != 1 || job2.Counts.Unchanged != 1 {
		t.Fatalf("version 2: %v %+v", err, job2)
	}
	var omar *forewarn.Subject
	fr.node.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		if len(s.Sources) > 0 && s.Sources[0].ExternalID == "F1" {
			omar = s
		}
		return nil
	})
	sources := map[string]bool{}
	for _, n := range omar.Names {
		sources[n.Value+"@"+n.Source] = true
	}
	if !sources["Omar Ismail Mostefai@"+agencyTR.Code] || !sources["Ismaël Omar Mostefaï@dgsi_watch"] || len(omar.Nationalities) != 2 {
		t.Fatalf("after version 2: names %v, nationalities %v; want both provenances and the new nationality", sources, omar.Nationalities)
	}
}

// confirmAndExport confirms the import's match with the TLP:AMBER warning, so its
// spelling joins the subject, and checks an export holds it back unless it is a backup.
func confirmAndExport(t *testing.T, fr *liveNode, subjectName string) {
	t.Helper()
	ctx := context.Background()
	ms, _, err := fr.node.Store.Matches(ctx, forewarn.MatchFilter{Status: forewarn.MatchPending, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var subjectID string
	for _, m := range ms {
		if m.SubjectID != "" {
			subjectID = m.SubjectID
			if err := fr.msgs.ConfirmMatch(ctx, actor(forewarn.RoleAnalyst), m.ID, "same man"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if subjectID == "" {
		t.Fatal("the import left no match to confirm")
	}
	export := func(backup bool) (map[string]bool, *app.ExportReport) {
		names := map[string]bool{}
		rep, err := fr.node.ExportSubjects(ctx, actor(forewarn.RoleAnalyst), app.ExportOptions{Format: "csv", Backup: backup, Claims: true},
			func(s *forewarn.Subject, _ []*forewarn.Claim) error {
				if s.ID == subjectID {
					for _, n := range s.Names {
						names[n.Value] = true
					}
				}
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		return names, rep
	}
	names, rep := export(false)
	if names["Omar Ismail Mostefai"] || !names[subjectName] || rep.Withheld == 0 {
		t.Fatalf("export: names %v, withheld %d; want the TLP:AMBER warning's spelling held back", names, rep.Withheld)
	}
	if names, rep = export(true); !names["Omar Ismail Mostefai"] || rep.Withheld != 0 {
		t.Fatalf("backup export: names %v, withheld %d; want everything", names, rep.Withheld)
	}
}

// TestImportKilledSaysWhenToRerun kills an import process outright (SIGKILL) while it
// writes the OFAC list. Importing again at once is refused, naming the dead job and the
// time from which importing again completes it: half a minute after its last sign of
// life, not a silent wait (the conformance suite shows the takeover on the clock).
func TestImportKilledSaysWhenToRerun(t *testing.T) {
	path := testdata.Path(t, "names", "ofac", "sdn.csv")
	dir, _ := newNode(t)
	cmd := exec.Command(forewarnBinary(t), "import", "--data", dir, "--log-level", "warn", "--dataset", "us_ofac_sdn", "--version", "1", "--batch", "1", filepath.Dir(path))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Kill it once it has written some entries (bounded: a few thousand polls).
	for i := 0; ; i++ {
		if i == 3000 {
			t.Fatal("the import wrote no subject")
		}
		if count(t, dir, "SELECT count(*) FROM subject_sources") > 10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if n := count(t, dir, "SELECT count(*) FROM import_jobs WHERE status = 'running'"); n != 1 {
		t.Fatalf("%d running jobs after the kill; want the killed one", n)
	}
	_, errOut, err := runCLI(t, nil, "import", "--data", dir, "--log-level", "warn", "--dataset", "us_ofac_sdn", "--version", "1", filepath.Dir(path))
	if err == nil {
		t.Fatal("a second import ran while the killed job still counted as running")
	}
	msg := err.Error() + errOut
	for _, want := range []string{`an import of dataset "us_ofac_sdn" is running`, "If its process was stopped, it counts as dead at ", "import again from then on"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("the refusal says:\n%s\nwant %q", msg, want)
		}
	}
}

// TestSTIXCommand: a STIX bundle imports through the CLI, what is not mapped is kept raw
// and reported; the STIX export is valid STIX 2.1 and gives the imported persons back under
// their IDs; a bundle that fails validation is refused naming the JSON path and writes
// nothing.
func TestSTIXCommand(t *testing.T) {
	dir, _ := newNode(t)
	apt1 := testdata.Path(t, "stix", "examples", "apt1.json")
	out := mustCLI(t, "import", "--data", dir, "--dataset", "apt1", "--format", "stix", apt1)
	if !strings.Contains(out, "added 4,") || !strings.Contains(out, "type:indicator") || !strings.Contains(out, "kept raw, as received:") {
		t.Fatalf("import printed:\n%s", out)
	}
	exported := filepath.Join(t.TempDir(), "out.json")
	_, stderr, err := runCLI(t, nil, "export", "--data", dir, "--format", "stix", "--output", exported)
	if err != nil || !strings.Contains(stderr, "exported") {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if err := stix.Validate(b); err != nil {
		t.Fatalf("the STIX export is not valid: %v", err)
	}
	for _, id := range []string{"identity--0e9d20d9-fb11-42e3-94bc-b89fb5b007ca", stix.ExtensionID} {
		if !bytes.Contains(b, []byte(id)) {
			t.Errorf("the export lacks %s", id)
		}
	}
	bad := testdata.Path(t, "stix", "must-fail", "bundle-bad-objects.json")
	before := mustCLI(t, "subject", "list", "--data", dir)
	_, _, err = runCLI(t, nil, "import", "--data", dir, "--dataset", "bad", "--format", "stix", bad)
	if err == nil || !strings.Contains(err.Error(), "objects[0].created") {
		t.Fatalf("a bundle with a bad timestamp: %v; want it refused at objects[0].created", err)
	}
	if after := mustCLI(t, "subject", "list", "--data", dir); after != before {
		t.Fatal("a refused bundle changed the subjects")
	}
}
