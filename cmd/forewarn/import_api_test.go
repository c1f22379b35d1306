package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
)

// ofacFiles are the parts of an OFAC upload: part name → file on disk.
type ofacFiles [][2]string

// multipartBody streams the files as multipart/form-data through a pipe, so the client
// never holds them in memory either; it returns the body and its Content-Type.
func multipartBody(t *testing.T, files ofacFiles) (io.Reader, string) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range files {
			w, err := mw.CreateFormFile(f[0], filepath.Base(f[1]))
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			src, err := os.Open(f[1])
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			_, err = io.Copy(w, src)
			src.Close()
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	return pr, mw.FormDataContentType()
}

// zipBody packs the files into a zip under the names given.
func zipBody(t *testing.T, files ofacFiles) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(f[1])
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// uploadImport posts an upload to /api/v1/imports and returns the status, the job (on
// 202) and the error body (otherwise).
func uploadImport(t *testing.T, url, token, query, contentType string, body io.Reader) (int, forewarn.ImportJob, errorReply) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/imports?"+query, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var job forewarn.ImportJob
	var e errorReply
	if resp.StatusCode == http.StatusAccepted {
		if err := json.Unmarshal(b, &job); err != nil {
			t.Fatalf("202 with %s: %v", b, err)
		}
	} else {
		json.Unmarshal(b, &e)
	}
	return resp.StatusCode, job, e
}

type errorReply struct {
	Error struct {
		Code, Message, Field, Rule string
	} `json:"error"`
}

// followImport polls the job until it ends, in a bounded loop.
func followImport(t *testing.T, url, token string, job forewarn.ImportJob) forewarn.ImportJob {
	t.Helper()
	for i := 0; job.Status == forewarn.ImportRunning; i++ {
		if i == 3000 {
			t.Fatalf("the import job is still running: %+v", job)
		}
		time.Sleep(20 * time.Millisecond)
		req, _ := http.NewRequest("GET", url+"/api/v1/imports/"+job.ID, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
	}
	return job
}

// TestImportOFACThroughAPI takes the real OFAC SDN list through the API, as its three
// files in one multipart upload and then as a zip: uploads missing or mixing up a part are
// refused naming it, with no job and no spooled file left; good ones import every
// individual with the aliases of alt.csv, and their spooled files are gone by the time the
// job says it is done; the zip of the same files changes nothing.
func TestImportOFACThroughAPI(t *testing.T) {
	ctx := context.Background()
	sdn := testdata.Path(t, "names", "ofac", "sdn.csv")
	alt := testdata.Path(t, "names", "ofac", "alt.csv")
	_, c := twoNodes(t, day("2026-12-01 09:00"))
	fr := c.node(agencyFR.Code)
	spool := t.TempDir()
	fr.srv.Importer.Dir = spool
	token, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "ofac import test")
	if err != nil {
		t.Fatal(err)
	}
	const query = "format=ofac&dataset=us_ofac_sdn&version=2026-12-01"

	empty := writeFile(t, "empty.csv", "")
	refusals := []struct {
		name        string
		contentType string
		body        func() (io.Reader, string)
		field, says string
	}{
		{name: "one plain stream", body: func() (io.Reader, string) {
			f, _ := os.Open(sdn)
			t.Cleanup(func() { f.Close() })
			return f, "text/csv"
		}, field: "body", says: "multipart/form-data with the parts sdn, alt and add"},
		{name: "no sdn part", body: func() (io.Reader, string) { return multipartBody(t, ofacFiles{{"alt", alt}}) },
			field: "sdn", says: "the part sdn (sdn.csv) is missing"},
		{name: "parts swapped", body: func() (io.Reader, string) { return multipartBody(t, ofacFiles{{"sdn", alt}, {"alt", sdn}}) },
			field: "sdn", says: "has 5 fields in its first row; sdn.csv rows have 12 (is it alt.csv?)"},
		{name: "empty sdn", body: func() (io.Reader, string) { return multipartBody(t, ofacFiles{{"sdn", empty}}) },
			field: "sdn", says: "the part sdn (sdn.csv) is empty"},
		{name: "unknown part", body: func() (io.Reader, string) { return multipartBody(t, ofacFiles{{"sdn", sdn}, {"aliases", alt}}) },
			field: "body", says: `unknown part "aliases"`},
		{name: "a part twice", body: func() (io.Reader, string) {
			return multipartBody(t, ofacFiles{{"sdn", sdn}, {"alt", alt}, {"alt", alt}})
		},
			field: "alt", says: "the part alt (alt.csv) is sent twice"},
		{name: "zip without sdn.csv", body: func() (io.Reader, string) {
			return zipBody(t, ofacFiles{{"ofac/alt.csv", alt}}), "application/zip"
		}, field: "sdn", says: "the part sdn (sdn.csv) is missing"},
		{name: "not a zip", body: func() (io.Reader, string) { return strings.NewReader("PK not really"), "application/zip" },
			field: "body", says: "not a readable zip"},
	}
	for _, tc := range refusals {
		body, ct := tc.body()
		status, _, e := uploadImport(t, fr.url, token, query, ct, body)
		if status != http.StatusBadRequest || e.Error.Field != tc.field || !strings.Contains(e.Error.Message, tc.says) {
			t.Errorf("%s: %d %+v; want 400 naming %s: %q", tc.name, status, e.Error, tc.field, tc.says)
		}
	}
	jobs, err := fr.node.Store.ImportJobs(ctx, "us_ofac_sdn", 100)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("refused uploads left %d jobs (%v); want none", len(jobs), err)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("refused uploads left %d spooled files; want none", len(left))
	}

	body, ct := multipartBody(t, ofacFiles{{"sdn", sdn}, {"alt", alt}})
	status, job, e := uploadImport(t, fr.url, token, query, ct, body)
	if status != http.StatusAccepted {
		t.Fatalf("multipart upload: %d %+v", status, e.Error)
	}
	job = followImport(t, fr.url, token, job)
	if job.Status != forewarn.ImportDone || job.Format != "ofac" || job.Counts.Added != 4620 || job.Counts.Invalid != 0 {
		t.Fatalf("multipart import: %s %q %+v; want done, the 4,620 individuals added", job.Status, job.Message, job.Counts)
	}
	// The spooled file goes before the job is reported ended: polling "done" is enough.
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("the finished multipart import left %d spooled files; want none", len(left))
	}
	var binLaden *forewarn.Subject
	fr.node.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		for _, src := range s.Sources {
			if src.Dataset == "us_ofac_sdn" && src.ExternalID == "6365" {
				binLaden = s
			}
		}
		return nil
	})
	names := map[string]bool{}
	if binLaden != nil {
		for _, n := range binLaden.Names {
			names[strings.ToUpper(n.Value)] = true
		}
	}
	if !names["BIN LADEN, OSAMA"] && !names["OSAMA BIN LADEN"] {
		t.Fatalf("entry 6365 has names %v; want the aliases of alt.csv", names)
	}

	status, job, e = uploadImport(t, fr.url, token, "format=ofac&dataset=us_ofac_sdn&version=2026-12-02", "application/zip",
		zipBody(t, ofacFiles{{"sdn_csv/SDN.CSV", sdn}, {"sdn_csv/alt.csv", alt}, {"sdn_csv/README.txt", empty}}))
	if status != http.StatusAccepted {
		t.Fatalf("zip upload: %d %+v", status, e.Error)
	}
	job = followImport(t, fr.url, token, job)
	if job.Status != forewarn.ImportDone || job.Counts.Unchanged != 4620 || job.Counts.Added+job.Counts.Updated+job.Counts.Withdrawn != 0 {
		t.Fatalf("zip of the same files: %s %q %+v; want done, all 4,620 unchanged", job.Status, job.Message, job.Counts)
	}
	// Looked at once, not waited for: the upload is removed before the job reads done.
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("the finished zip import left %d spooled files; want none", len(left))
	}
}

// TestImportSTIXThroughAPI: a STIX bundle that fails validation is refused with the JSON
// path of its first error and no job; an oversized one gets 413; a good one imports its
// persons and keeps what it does not map raw, counted in the job.
func TestImportSTIXThroughAPI(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2026-12-01 09:00"))
	fr := c.node(agencyFR.Code)
	token, _, err := app.NewToken(ctx, fr.node, forewarn.SystemActor("test"), "analyst", forewarn.RoleAnalyst, "stix import test")
	if err != nil {
		t.Fatal(err)
	}
	const query = "format=stix&dataset=apt1&version=1"
	bad, err := os.ReadFile(testdata.Path(t, "stix", "must-fail", "bundle-bad-objects.json"))
	if err != nil {
		t.Fatal(err)
	}
	status, _, e := uploadImport(t, fr.url, token, query, "application/json", bytes.NewReader(bad))
	if status != http.StatusBadRequest || e.Error.Field != "objects[0].created" || !strings.Contains(e.Error.Message, "identity--311b2d2d") {
		t.Fatalf("a bundle with a bad timestamp: %d %+v; want 400 at objects[0].created", status, e.Error)
	}
	if jobs, err := fr.node.Store.ImportJobs(ctx, "apt1", 10); err != nil || len(jobs) != 0 {
		t.Fatalf("a refused bundle left %d jobs (%v)", len(jobs), err)
	}
	if refused, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "import.refused"}); err != nil || len(refused) != 1 || !strings.Contains(refused[0].Detail, "objects[0].created") {
		t.Fatalf("the refusal is not audited with its path: %v %v", refused, err)
	}
	apt1, err := os.ReadFile(testdata.Path(t, "stix", "examples", "apt1.json"))
	if err != nil {
		t.Fatal(err)
	}
	fr.srv.Importer.MaxBytes = int64(len(apt1) - 1)
	if status, _, e := uploadImport(t, fr.url, token, query, "application/json", bytes.NewReader(apt1)); status != http.StatusRequestEntityTooLarge || e.Error.Field != "body" {
		t.Fatalf("an oversized bundle: %d %+v; want 413", status, e.Error)
	}
	fr.srv.Importer.MaxBytes = 0
	status, job, e := uploadImport(t, fr.url, token, query, "application/json", bytes.NewReader(apt1))
	if status != http.StatusAccepted {
		t.Fatalf("apt1: %d %+v", status, e.Error)
	}
	job = followImport(t, fr.url, token, job)
	if job.Status != forewarn.ImportDone || job.Counts.Added != 4 || job.Counts.Raw == 0 || job.Counts.Skipped["type:indicator"] == 0 {
		t.Fatalf("apt1: %s %q %+v; want the 4 persons, the rest kept raw and counted", job.Status, job.Message, job.Counts)
	}
	raw, err := fr.node.Store.RawObjects(ctx, "apt1")
	if err != nil || len(raw) != job.Counts.Raw {
		t.Fatalf("RawObjects: %d (%v); want the %d the job counted", len(raw), err, job.Counts.Raw)
	}
}
