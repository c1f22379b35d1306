package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match/eval"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runMatchCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err := m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

const watchList = `id,name,birth_date,nationality,gender
FR-1,Ismaël Omar Mostefaï,1985-11-21,FR,m
FR-1,Ismail Omar MOSTEFAI,,,
FR-2,Omar Mostefai,1991,FR,m
FR-3,Samy Amimour,1987,FR,m
`

func TestScreenFindsTheFifthMan(t *testing.T) {
	list := writeFile(t, "list.csv", watchList)
	input := writeFile(t, "in.csv", "id,name,birth_date\nTR-1,Omar Ismail Mostefai,1985\nTR-2,إسماعيل عمر مصطفى,\nTR-3,Angela Merkel,1954\n")
	out, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input, "--top", "2")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d records, want 3:\n%s", len(lines), out)
	}
	var recs []screenRecord
	for _, l := range lines {
		var r screenRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if r := recs[0]; r.QueryID != "TR-1" || len(r.Hits) == 0 || r.Hits[0].ID != "FR-1" {
		t.Errorf("TR-1 = %+v, want FR-1 first", r)
	}
	if r := recs[1]; len(r.Hits) == 0 || r.Hits[0].ID != "FR-1" {
		t.Errorf("Arabic-script query = %+v, want FR-1 first", r)
	}
	if r := recs[2]; len(r.Hits) != 0 {
		t.Errorf("Angela Merkel hit %+v, want none", r.Hits)
	}
	if len(recs[0].Hits) > 2 {
		t.Errorf("%d hits, want at most --top 2", len(recs[0].Hits))
	}
	out, _, err = runMatchCmd(t, "screen", "--list", list, "--input", input, "--threshold", "0", "--top", "1", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "query_id,rank,id,score,matched_name,explanation\n") || !strings.Contains(out, "\nTR-2,1,FR-1,") {
		t.Errorf("csv output with --threshold 0 lacks a top hit for every row:\n%s", out)
	}
}

func TestScreenReportsBadCSV(t *testing.T) {
	list := writeFile(t, "list.csv", watchList)
	tests := []struct{ name, input, want string }{
		{"missing column", "id,full_name\n1,x\n", `in.csv:1: header has no "name" column`},
		{"bad birth date", "id,name,birth_date\n1,Omar,1985\n2,Omar,21/11/1985\n", `in.csv:3:8: birth date "21/11/1985"`},
		{"empty id", "id,name\n,Omar\n", "in.csv:2:1: empty id"},
	}
	for _, tt := range tests {
		input := writeFile(t, "in.csv", tt.input)
		_, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	if _, _, err := runMatchCmd(t, "screen", "--input", list); err == nil || !strings.Contains(err.Error(), "--list") {
		t.Errorf("missing --list: err = %v", err)
	}
}

func TestComparePassesColumnsThrough(t *testing.T) {
	input := writeFile(t, "pairs.csv", "case,name1,name2\na,Omar Ismail Mostefai,Ismaël Omar Mostefaï\nb,Boris Abramovich,Roman Abramovich\n")
	out, _, err := runMatchCmd(t, "compare", "--input", input)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "case,name1,name2,score,match" {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.HasPrefix(lines[1], "a,") || !strings.HasSuffix(lines[1], ",true") || !strings.HasSuffix(lines[2], ",false") {
		t.Errorf("decisions wrong:\n%s", out)
	}
}

func TestBenchMatchPrintsFigures(t *testing.T) {
	dir := testdata.Dir(t)
	// 2,000 searches a speed figure rather than 20,000: the figures are printed, not
	// judged, and the searches were most of this test's time.
	out, _, err := runMatchCmd(t, "bench-match", "--testdata", dir, "--size", "3000", "--screen-rows", "500", "--queries", "2000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"right entry first", "share a name part with their entry", "logic-v2:  F1 0.743", "false alarms", "queries/s", "3000 generated entries", "500 rows against", "cores / 1 core", "(target 1.8"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench-match output lacks %q:\n%s", want, out)
		}
	}
}

// Rows are searched by several workers at once but come out in input order, with the
// same records one worker gives.
func TestScreenKeepsInputOrderAcrossWorkers(t *testing.T) {
	list := writeFile(t, "list.csv", watchList)
	var in strings.Builder
	in.WriteString("id,name\n")
	names := []string{"Omar Ismail Mostefai", "Samy Amimour", "Angela Merkel", "Ismail Omar MOSTEFAI", "إسماعيل عمر مصطفى"}
	for i := range 1000 {
		fmt.Fprintf(&in, "Q%04d,%s\n", i, names[i%len(names)])
	}
	input := writeFile(t, "in.csv", in.String())
	var outs []string
	for _, workers := range []string{"1", "4"} {
		for _, format := range []string{"jsonl", "csv"} {
			out, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input, "--workers", workers, "--format", format, "--threshold", "0", "--top", "2")
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
	}
	if outs[0] != outs[2] || outs[1] != outs[3] {
		t.Fatal("output with 4 workers differs from output with 1")
	}
	lines := strings.Split(strings.TrimSpace(outs[0]), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d JSONL records, want 1000", len(lines))
	}
	for i, l := range lines {
		var r screenRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("Q%04d", i); r.QueryID != want {
			t.Fatalf("record %d is %s, want %s", i, r.QueryID, want)
		}
	}
}

// A record past the size limit is refused with its line, before the reader holds it all.
func TestScreenRefusesHugeRecords(t *testing.T) {
	list := writeFile(t, "list.csv", watchList)
	huge := "id,name\n1,Omar\n2,\"" + strings.Repeat("x", maxCSVRecord+200<<10) + "\"\n"
	input := writeFile(t, "in.csv", huge)
	_, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input)
	if err == nil || !strings.Contains(err.Error(), "in.csv:3: record longer than") {
		t.Errorf("huge input row: err = %v, want in.csv:3: record longer than …", err)
	}
	biglist := writeFile(t, "biglist.csv", huge)
	_, _, err = runMatchCmd(t, "screen", "--list", biglist, "--input", input)
	if err == nil || !strings.Contains(err.Error(), "biglist.csv:3: record longer than") {
		t.Errorf("huge list row: err = %v, want biglist.csv:3: record longer than …", err)
	}
}

// Tens of thousands of alias rows of one person merge in linear time: this would take
// many seconds if each row were checked against all before it.
func TestScreenMergesManyAliasRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name,nationality,document\n")
	for i := range 40000 {
		fmt.Fprintf(&b, "X,Name%d Surname%d,C%d,D%d\n", i%500, i, i, i)
	}
	list := writeFile(t, "list.csv", b.String())
	input := writeFile(t, "in.csv", "id,name\n1,Name7 Surname7\n")
	out, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input, "--format", "csv", "--top", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\n1,1,X,1.000,Name7 Surname7,") {
		t.Errorf("the alias was not found exactly:\n%.500s", out)
	}
}

func TestScreenWritesCPUProfile(t *testing.T) {
	list := writeFile(t, "list.csv", watchList)
	input := writeFile(t, "in.csv", "id,name\n1,Omar Ismail Mostefai\n")
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	if _, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input, "--cpuprofile", prof); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("--cpuprofile wrote nothing: %v", err)
	}
}

// The revised OFAC target of issue 16, measured as a user runs it: forewarn screen with
// the individuals' primary names as the list and the first alias of each as input.
func TestScreenRanksOFACFirstAliases(t *testing.T) {
	entries, aliases, err := eval.LoadOFACDir(testdata.Path(t, "names", "ofac"))
	if err != nil {
		t.Fatal(err)
	}
	all, reach, err := screenRanking(context.Background(), entries, eval.FirstAliases(aliases))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d first aliases: first %.1f%%, top 10 %.1f%%; the %d reachable: %.1f%%, %.1f%%",
		all.Queries, 100*all.Top1Rate(), 100*all.Top10Rate(), reach.Queries, 100*reach.Top1Rate(), 100*reach.Top10Rate())
	if all.Queries != 2171 || all.Top1Rate() < 0.840 || all.Top10Rate() < 0.893 {
		t.Errorf("first aliases through screen: %+v, want 2171 queries, >= 0.840 first and >= 0.893 in the top 10", all)
	}
}

// A match on a surname only, or on a name carrying a title, says so in screen's output.
func TestScreenExplainsSurnameOnlyAndTitles(t *testing.T) {
	list := writeFile(t, "list.csv", "id,name,birth_date\nMX-1,\"BELTRAN LEYVA, Alfredo\",1971-01-21\n")
	input := writeFile(t, "in.csv", "id,name,birth_date\nQ1,Haji BELTRAN LEYVA,\nQ2,Haji BELTRAN LEYVA,1971\n")
	out, _, err := runMatchCmd(t, "screen", "--list", list, "--input", input, "--threshold", "0", "--format", "jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var recs []screenRecord
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r screenRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 2 || len(recs[0].Hits) != 1 || len(recs[1].Hits) != 1 {
		t.Fatalf("records: %+v", recs)
	}
	h := recs[0].Hits[0]
	notes := strings.Join(h.Explanation.Notes, "\n")
	if h.Score >= 0.76 || !strings.Contains(notes, "shares only the surname BELTRAN LEYVA") || !strings.Contains(notes, `title "Haji"`) {
		t.Errorf("surname only, no birth date: score %.3f, notes %q; want below 0.76, the surname and the title named", h.Score, notes)
	}
	if h := recs[1].Hits[0]; h.Score < 0.76 {
		t.Errorf("surname only with an agreeing birth year: score %.3f, want >= 0.76", h.Score)
	}
}
