package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/testdata"
)

// benchNames reads the OFAC individuals' names and aliases, split into surnames and
// given names, to generate realistic persons from.
func benchNames(tb testing.TB) (surnames, given []string) {
	tb.Helper()
	f, err := os.Open(testdata.Path(tb, "names", "ofac", "sdn.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord, cr.LazyQuotes = -1, true
	seenS, seenG := map[string]bool{}, map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) < 3 || rec[2] != "individual" {
			continue
		}
		last, first, ok := strings.Cut(rec[1], ", ")
		if !ok {
			continue
		}
		for _, s := range strings.Fields(last) {
			if !seenS[s] {
				seenS[s] = true
				surnames = append(surnames, s)
			}
		}
		for _, g := range strings.Fields(first) {
			if !seenG[g] {
				seenG[g] = true
				given = append(given, g)
			}
		}
	}
	return surnames, given
}

var benchCountries = []string{"fr", "tr", "sy", "iq", "de", "be", "ru", "ir", "af", "pk", "gb", "es", "ma", "dz", "tn", "eg", "lb", "jo", "sa", "ye"}

// generateFtM writes n FtM persons built from the shared names, deterministically, with a
// passport entity for every tenth and a sanction for every twentieth. version changes the
// birth date of every thousandth person, so two versions differ in a known way.
func generateFtM(tb testing.TB, path string, n, version int) {
	tb.Helper()
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return
	}
	surnames, given := benchNames(tb)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	r := rand.New(rand.NewPCG(1, 2))
	type entity struct {
		ID         string              `json:"id"`
		Schema     string              `json:"schema"`
		Properties map[string][]string `json:"properties"`
	}
	for i := range n {
		id := "gen-" + strconv.Itoa(i)
		name := given[r.IntN(len(given))] + " " + given[r.IntN(len(given))] + " " + surnames[r.IntN(len(surnames))]
		props := map[string][]string{
			"name":        {name},
			"birthDate":   {fmt.Sprintf("%04d-%02d-%02d", 1940+r.IntN(60), 1+r.IntN(12), 1+r.IntN(28))},
			"nationality": {benchCountries[r.IntN(len(benchCountries))]},
			"topics":      {"sanction"},
		}
		if i%1000 == 0 && version > 1 {
			props["birthDate"] = []string{fmt.Sprintf("%04d", 1930+version)}
		}
		if r.IntN(3) == 0 {
			props["alias"] = []string{surnames[r.IntN(len(surnames))] + ", " + given[r.IntN(len(given))]}
		}
		if err := enc.Encode(entity{ID: id, Schema: "Person", Properties: props}); err != nil {
			tb.Fatal(err)
		}
		if i%10 == 0 {
			enc.Encode(entity{ID: id + "-pp", Schema: "Passport", Properties: map[string][]string{"holder": {id}, "number": {strconv.Itoa(10000000 + i)}, "country": props["nationality"]}})
		}
		if i%20 == 0 {
			enc.Encode(entity{ID: id + "-sanction", Schema: "Sanction", Properties: map[string][]string{"entity": {id}, "program": {"SDGT"}, "authority": {"OFAC"}, "startDate": {"2015-06-01"}}})
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
}

// benchSize is how many persons the import benchmark generates (FOREWARN_BENCH_IMPORT,
// default 1,000,000).
func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("FOREWARN_BENCH_IMPORT")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// buildForewarn builds the real binary, so the benchmark measures a real process and its
// peak memory.
func buildForewarn(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "forewarn")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runTimed runs the binary and returns its wall time, its CPU time (user and system: on a
// shared machine the wall time says more about the neighbours) and peak RSS in MB.
func runTimed(tb testing.TB, bin string, args ...string) (time.Duration, time.Duration, float64, string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	el := time.Since(start)
	if err != nil {
		tb.Fatalf("forewarn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	rss := float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	return el, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rss, string(out)
}

// BenchmarkImportFtM imports FOREWARN_BENCH_IMPORT (default 1,000,000) generated FtM
// persons into a new SQLite node through the real binary, then the same file again, which
// must change nothing, and reports both times and the peak RSS. Limits (issue 10): ≤ 5 min
// and ≤ 1.5 GB for the first, ≤ 2 min for the unchanged re-import, on 2 cores.
//
//	go test ./cmd/forewarn -run '^$' -bench BenchmarkImportFtM -benchtime 1x -timeout 30m
func BenchmarkImportFtM(b *testing.B) {
	n := benchSize()
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("forewarn-bench-persons-%d.ftm.json", n))
	generateFtM(b, cache, n, 1)
	bin := buildForewarn(b)
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "node")
		runTimed(b, bin, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI")
		first, firstCPU, rss, out := runTimed(b, bin, "import", "--data", dir, "--dataset", "bench", "--version", "1", cache)
		if !strings.Contains(out, fmt.Sprintf("added %d,", n)) {
			b.Fatalf("first import: %s", out)
		}
		again, againCPU, rss2, out := runTimed(b, bin, "import", "--data", dir, "--dataset", "bench", "--version", "1", cache)
		if !strings.Contains(out, fmt.Sprintf("added 0, updated 0, withdrawn 0, unchanged %d;", n)) {
			b.Fatalf("re-import of the unchanged file changed something: %s", out)
		}
		b.ReportMetric(first.Seconds(), "import_s")
		b.ReportMetric(firstCPU.Seconds(), "import_cpu_s")
		b.ReportMetric(againCPU.Seconds(), "reimport_cpu_s")
		b.ReportMetric(float64(n)/first.Seconds(), "persons/s")
		b.ReportMetric(rss, "import_peak_MB")
		b.ReportMetric(again.Seconds(), "reimport_s")
		b.ReportMetric(rss2, "reimport_peak_MB")
		b.Logf("%d persons: import %v wall, %v CPU (peak RSS %.0f MB); unchanged re-import %v wall, %v CPU (peak RSS %.0f MB)",
			n, first.Round(time.Second), firstCPU.Round(time.Second), rss, again.Round(time.Second), againCPU.Round(time.Second), rss2)
	}
}
