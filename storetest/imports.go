package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlstore"
)

// importRecord is a dataset entry named name with a dataset alias and a sanction claim.
func importRecord(id, name, alias string, born forewarn.PartialDate) *forewarn.ImportRecord {
	r := &forewarn.ImportRecord{ExternalID: id, Position: "entity " + id, Subject: forewarn.Subject{
		Names:         []forewarn.Name{{Value: name, Kind: forewarn.NamePrimary, Source: "test_list"}},
		BirthDate:     born,
		Nationalities: []string{"SY"},
		Watch:         forewarn.WatchNone,
	}, Claims: []*forewarn.Claim{{Kind: forewarn.ClaimAttribute, Value: "sanctioned: SDGT", Source: forewarn.Source{Name: "test_list"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}}}
	if alias != "" {
		r.Subject.Names = append(r.Subject.Names, forewarn.Name{Value: alias, Kind: forewarn.NameAlias, Source: "test_list"})
	}
	return r
}

func (e *Env) importVersion(version string, dryRun bool, recs []*forewarn.ImportRecord, links []forewarn.ImportLink) *forewarn.ImportJob {
	e.T.Helper()
	e.Clock.Advance(time.Minute)
	job := &forewarn.ImportJob{Dataset: "test_list", Version: version, Format: "ftm", DryRun: dryRun}
	if err := e.Store.StartImport(e.Ctx, analyst, job); err != nil {
		e.T.Fatalf("StartImport: %v", err)
	}
	if _, err := e.Store.ApplyImportBatch(e.Ctx, analyst, job, recs); err != nil {
		e.T.Fatalf("ApplyImportBatch %s: %v", version, err)
	}
	if err := e.Store.ApplyImportLinks(e.Ctx, analyst, job, links); err != nil {
		e.T.Fatalf("ApplyImportLinks %s: %v", version, err)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.ExternalID] = true
	}
	if _, err := e.Store.WithdrawMissing(e.Ctx, analyst, job, func(id string) bool { return seen[id] }); err != nil {
		e.T.Fatalf("WithdrawMissing %s: %v", version, err)
	}
	job.Status = forewarn.ImportDone
	if err := e.Store.FinishImport(e.Ctx, analyst, job); err != nil {
		e.T.Fatalf("FinishImport %s: %v", version, err)
	}
	return job
}

func wantCounts(t *testing.T, job *forewarn.ImportJob, added, updated, withdrawn, unchanged, links int) {
	t.Helper()
	c := job.Counts
	if c.Added != added || c.Updated != updated || c.Withdrawn != withdrawn || c.Unchanged != unchanged || c.Links != links {
		t.Fatalf("%s counts = added %d updated %d withdrawn %d unchanged %d links %d; want %d %d %d %d %d",
			job.Version, c.Added, c.Updated, c.Withdrawn, c.Unchanged, c.Links, added, updated, withdrawn, unchanged, links)
	}
}

// subjectBySource finds the subject a dataset entry became.
func (e *Env) subjectBySource(id string) *forewarn.Subject {
	e.T.Helper()
	var found *forewarn.Subject
	if err := e.Store.ScanSubjects(e.Ctx, func(s *forewarn.Subject) error {
		for _, src := range s.Sources {
			if src.Dataset == "test_list" && src.ExternalID == id {
				found = s
			}
		}
		return nil
	}); err != nil {
		e.T.Fatal(err)
	}
	if found == nil {
		e.T.Fatalf("no subject from entry %s", id)
	}
	return found
}

func names(s *forewarn.Subject) []string {
	var out []string
	for _, n := range s.Names {
		out = append(out, string(n.Kind)+":"+n.Value)
	}
	return out
}

// testImportSync: a re-import of a changed file updates, withdraws and keeps exactly what
// it should, touches nothing that came from elsewhere, and an unchanged file changes
// nothing.
func testImportSync(t *testing.T, open Opener) {
	e := NewEnv(t, open, 50)
	e.Init()
	v1 := []*forewarn.ImportRecord{
		importRecord("A", "Abu Bakr al-Baghdadi", "Ibrahim Awad Ibrahim al-Badri", forewarn.PartialDate{Year: 1971}),
		importRecord("B", "Abu Mohammed al-Adnani", "", forewarn.PartialDate{Year: 1977}),
		importRecord("C", "Abu Omar al-Shishani", "", forewarn.PartialDate{Year: 1986}),
	}
	link := []forewarn.ImportLink{{FromID: "A", ToID: "B", Kind: forewarn.AssocAssociateOf, Position: "entity L1"}}

	dry := e.importVersion("2015-01", true, v1, link)
	wantCounts(t, dry, 3, 0, 0, 0, 0)
	if n, _, _ := e.Store.FindSubjects(e.Ctx, analyst, forewarn.SubjectFilter{}); len(n) != 0 {
		t.Fatalf("a dry run wrote %d subjects", len(n))
	}
	job1 := e.importVersion("2015-01", false, v1, link)
	wantCounts(t, job1, 3, 0, 0, 0, 1)

	// An analyst adds what the agency knows: an alias, a claim, a link.
	a := e.subjectBySource("A")
	a.Names = append(a.Names, forewarn.Name{Value: "Abu Du'a", Kind: forewarn.NameAlias, Source: "FR-DGSI"})
	a.Sources = nil // what a form sends: the store keeps the sources
	if err := e.Store.UpdateSubject(e.Ctx, analyst, a); err != nil {
		t.Fatal(err)
	}
	if len(a.Sources) != 1 {
		t.Fatalf("an edit dropped the subject's sources: %+v", a.Sources)
	}
	own := NewClaim(a.ID)
	if err := e.Store.CreateClaim(e.Ctx, analyst, own); err != nil {
		t.Fatal(err)
	}
	c := e.subjectBySource("C")
	if err := e.Store.CreateAssociation(e.Ctx, analyst, &forewarn.Association{FromID: a.ID, ToID: c.ID, Kind: forewarn.AssocTravelledWith,
		Source: forewarn.Source{Agency: "FR-DGSI"}, Grading: forewarn.Grading{Reliability: "C", Credibility: 3}}); err != nil {
		t.Fatal(err)
	}

	// Version 2: A changed (new alias instead of the old, new birth date, a new claim),
	// B the same, C gone, D new.
	a2 := importRecord("A", "Abu Bakr al-Baghdadi", "Abu Dua", forewarn.PartialDate{Year: 1971, Month: 7, Day: 28})
	a2.Claims = append(a2.Claims, &forewarn.Claim{Kind: forewarn.ClaimResidence, Value: "Raqqa", Source: forewarn.Source{Name: "test_list"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}})
	v2 := []*forewarn.ImportRecord{a2, v1[1], importRecord("D", "Abu Ali al-Anbari", "", forewarn.PartialDate{Year: 1957})}
	before := e.AuditCount()
	job2 := e.importVersion("2015-06", false, v2, link)
	wantCounts(t, job2, 1, 1, 1, 1, 0)

	a = e.subjectBySource("A")
	wantNames := []string{"primary:Abu Bakr al-Baghdadi", "alias:Abu Du'a", "alias:Abu Dua"}
	if got := names(a); !slices.Equal(got, wantNames) {
		t.Fatalf("A's names after re-import = %q, want %q (dataset alias replaced, analyst's kept)", got, wantNames)
	}
	if a.BirthDate.String() != "1971-07-28" {
		t.Fatalf("A's birth date = %s, want the dataset's new 1971-07-28", a.BirthDate)
	}
	claims, err := e.Store.Claims(e.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, cl := range claims {
		kinds = append(kinds, string(cl.Kind)+":"+cl.Value)
	}
	slices.Sort(kinds)
	wantKinds := []string{"attribute:sanctioned: SDGT", "residence:Raqqa", "travel_entry:TR"}
	if !slices.Equal(kinds, wantKinds) {
		t.Fatalf("A's claims = %q, want %q", kinds, wantKinds)
	}
	assocs, err := e.Store.Associations(e.Ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(assocs) != 2 {
		t.Fatalf("A has %d associations, want the dataset's link and the analyst's, once each", len(assocs))
	}
	c = e.subjectBySource("C")
	if len(c.Sources) != 1 || !c.Sources[0].Withdrawn() || c.Sources[0].WithdrawnVersion != "2015-06" {
		t.Fatalf("C's sources = %+v, want withdrawn by 2015-06", c.Sources)
	}
	if b := e.subjectBySource("B"); b.Sources[0].Version != "2015-01" || b.Sources[0].Withdrawn() {
		t.Fatalf("B's source = %+v, want untouched since 2015-01", b.Sources[0])
	}
	// One audit entry per change (A updated, D created and its claim, C withdrawn) plus the job's start and finish.
	if got := e.AuditCount() - before; got != 2+1+2+1+1 {
		t.Fatalf("re-import wrote %d audit entries, want 7", got)
	}

	// The same file again changes nothing.
	before = e.AuditCount()
	job3 := e.importVersion("2015-06", false, v2, link)
	wantCounts(t, job3, 0, 0, 0, 3, 0)
	if got := e.AuditCount() - before; got != 2 {
		t.Fatalf("an unchanged re-import wrote %d audit entries, want only the job's 2", got)
	}

	// C comes back: it is reinstated, not doubled.
	job4 := e.importVersion("2016-01", false, append(v2, v1[2]), link)
	wantCounts(t, job4, 0, 1, 0, 3, 0)
	if c = e.subjectBySource("C"); c.Sources[0].Withdrawn() {
		t.Fatalf("C is still withdrawn after it came back: %+v", c.Sources)
	}
	subjects, total, err := e.Store.FindSubjects(e.Ctx, analyst, forewarn.SubjectFilter{})
	if err != nil || total != 4 {
		t.Fatalf("FindSubjects = %d, %v; want 4 subjects, none deleted or doubled", len(subjects), err)
	}

	jobs, err := e.Store.ImportJobs(e.Ctx, "test_list", 10)
	if err != nil || len(jobs) != 5 || jobs[0].ID != job4.ID || jobs[0].Status != forewarn.ImportDone {
		t.Fatalf("ImportJobs = %d jobs, %v; want the 5 runs, newest first, done", len(jobs), err)
	}
	e.MustVerify()
}

// testImportJobs: a dataset imports one job at a time; a job whose process died is
// marked interrupted by the next import.
func testImportJobs(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.Init()
	job := &forewarn.ImportJob{Dataset: "test_list", Version: "1", Format: "csv"}
	if err := e.Store.StartImport(e.Ctx, analyst, job); err != nil {
		t.Fatal(err)
	}
	// A second import while the first runs is refused, saying when the first would count
	// as dead if its process was killed: 30 s after its last sign of life.
	err := e.Store.StartImport(e.Ctx, analyst, &forewarn.ImportJob{Dataset: "test_list", Version: "1"})
	WantCode(t, err, forewarn.ECONFLICT)
	deadAt := Start.Add(sqlstore.ImportStaleAfter).UTC().Format(time.RFC3339)
	if !strings.Contains(err.Error(), job.ID) || !strings.Contains(err.Error(), "counts as dead at "+deadAt) {
		t.Fatalf("conflict = %q; want it to name job %s and when it counts as dead (%s)", err, job.ID, deadAt)
	}
	WantCode(t, e.Store.StartImport(e.Ctx, analyst, &forewarn.ImportJob{Dataset: "bad name!", Version: "1"}), forewarn.EINVALID)
	// A beat keeps it alive past the first deadline.
	e.Clock.Advance(sqlstore.ImportStaleAfter - time.Second)
	if err := e.Store.ImportHeartbeat(e.Ctx, job.ID); err != nil {
		t.Fatalf("ImportHeartbeat of a running job: %v", err)
	}
	e.Clock.Advance(2 * time.Second)
	WantCode(t, e.Store.StartImport(e.Ctx, analyst, &forewarn.ImportJob{Dataset: "test_list", Version: "1"}), forewarn.ECONFLICT)
	// Silent for the whole period after its last beat, it is taken for dead.
	e.Clock.Advance(sqlstore.ImportStaleAfter)
	next := &forewarn.ImportJob{Dataset: "test_list", Version: "1"}
	if err := e.Store.StartImport(e.Ctx, analyst, next); err != nil {
		t.Fatalf("StartImport after the first job died: %v", err)
	}
	old, err := e.Store.ImportJob(e.Ctx, job.ID)
	if err != nil || old.Status != forewarn.ImportInterrupted {
		t.Fatalf("the dead job = %+v, %v; want interrupted", old, err)
	}
	// If it was only stuck, it can write nothing more: it learns it was taken over.
	if err := e.Store.ImportHeartbeat(e.Ctx, job.ID); !forewarn.IsImportTakenOver(err) {
		t.Fatalf("ImportHeartbeat of the job taken for dead = %v; want it taken over", err)
	}
	before := countSubjects(t, e)
	if _, err := e.Store.ApplyImportBatch(e.Ctx, analyst, job, []*forewarn.ImportRecord{importRecord("X1", "Late Writer", "", forewarn.PartialDate{})}); !forewarn.IsImportTakenOver(err) {
		t.Fatalf("ApplyImportBatch of the job taken for dead = %v; want it taken over", err)
	}
	if n := countSubjects(t, e); n != before {
		t.Fatalf("the job taken for dead wrote %d subjects", n-before)
	}
	job.Status = forewarn.ImportDone
	WantCode(t, e.Store.FinishImport(e.Ctx, analyst, job), forewarn.ECONFLICT)
	_, err = e.Store.ImportJob(e.Ctx, "nope")
	WantCode(t, err, forewarn.ENOTFOUND)
	bad := importRecord("", "Nobody", "", forewarn.PartialDate{})
	_, err = e.Store.ApplyImportBatch(e.Ctx, analyst, next, []*forewarn.ImportRecord{bad})
	WantCode(t, err, forewarn.EINVALID)
}

// testImportRaw: what an import does not map is kept once per version and counted, a dry
// run keeps nothing, and the record of an entry comes back with its original objects.
func testImportRaw(t *testing.T, open Opener) {
	e := NewEnv(t, open, 50)
	e.Init()
	start := func(dry bool) *forewarn.ImportJob {
		job := &forewarn.ImportJob{Dataset: "test_list", Version: "1", Format: "stix", DryRun: dry}
		if err := e.Store.StartImport(e.Ctx, analyst, job); err != nil {
			t.Fatal(err)
		}
		return job
	}
	finish := func(job *forewarn.ImportJob) {
		job.Status = forewarn.ImportDone
		if err := e.Store.FinishImport(e.Ctx, analyst, job); err != nil {
			t.Fatal(err)
		}
	}
	ind := forewarn.RawObject{ExternalID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Type: "indicator", Version: "2016-04-06T20:03:48.000Z",
		Body: json.RawMessage(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"2016-04-06T20:03:48.000Z"}`)}
	dry := start(true)
	if err := e.Store.KeepRawObjects(e.Ctx, analyst, dry, []forewarn.RawObject{ind}); err != nil || dry.Counts.Raw != 1 {
		t.Fatalf("dry run: %v, raw %d", err, dry.Counts.Raw)
	}
	finish(dry)
	if got, err := e.Store.RawObjects(e.Ctx, "test_list"); err != nil || len(got) != 0 {
		t.Fatalf("a dry run kept %d objects (%v)", len(got), err)
	}
	job := start(false)
	newer := ind
	newer.Version, newer.Body = "2017-01-01T00:00:00.000Z", json.RawMessage(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"2017-01-01T00:00:00.000Z"}`)
	if err := e.Store.KeepRawObjects(e.Ctx, analyst, job, []forewarn.RawObject{ind, ind, newer}); err != nil || job.Counts.Raw != 3 {
		t.Fatalf("KeepRawObjects: %v, raw %d", err, job.Counts.Raw)
	}
	if err := e.Store.KeepRawObjects(e.Ctx, analyst, job, []forewarn.RawObject{{ExternalID: "x", Type: "y", Body: json.RawMessage(`{`)}}); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Fatalf("bad JSON kept: %v", err)
	}
	rec := importRecord("identity--311b2d2d-f010-4473-83ec-1edf84858f4c", "John Smith", "", forewarn.PartialDate{})
	rec.Original = []json.RawMessage{json.RawMessage(`{"type":"identity","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","name":"John Smith"}`)}
	if _, err := e.Store.ApplyImportBatch(e.Ctx, analyst, job, []*forewarn.ImportRecord{rec}); err != nil {
		t.Fatal(err)
	}
	finish(job)
	got, err := e.Store.RawObjects(e.Ctx, "test_list")
	if err != nil || len(got) != 2 || string(got[0].Body) != string(ind.Body) && string(got[1].Body) != string(ind.Body) {
		t.Fatalf("RawObjects = %v, %v; want both versions once, byte for byte", got, err)
	}
	back, err := e.Store.ImportRecord(e.Ctx, "test_list", rec.ExternalID)
	if err != nil || len(back.Original) != 1 || string(back.Original[0]) != string(rec.Original[0]) {
		t.Fatalf("ImportRecord = %+v, %v; want the original object back", back, err)
	}
	if _, err := e.Store.ImportRecord(e.Ctx, "test_list", "identity--00000000-0000-4000-8000-000000000000"); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Fatalf("ImportRecord of a missing entry: %v; want ENOTFOUND", err)
	}
	entries, err := e.Store.AuditEntries(e.Ctx, forewarn.AuditFilter{Action: "import.raw"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit of kept raw objects: %d entries, %v; want 1", len(entries), err)
	}
}
