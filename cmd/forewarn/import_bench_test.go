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

	"github.com/forewarn/forewarn/internal/childproc"
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
	return runTimedTo(tb, nil, bin, args...)
}

// runTimedTo is runTimed with standard output written to stdout (when not nil).
func runTimedTo(tb testing.TB, stdout io.Writer, bin string, args ...string) (time.Duration, time.Duration, float64, string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	childproc.DieWithParent(cmd)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if stdout != nil {
		cmd.Stdout = stdout
	}
	start := time.Now()
	err := cmd.Run()
	out := []byte(buf.String())
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

// generateTravellers writes n travellers as screen CSV: mostly generated names, every
// hundredth an OFAC individual's alias, so that hits are written too.
func generateTravellers(tb testing.TB, path string, n int) {
	tb.Helper()
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return
	}
	surnames, given := benchNames(tb)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(bufio.NewWriterSize(f, 1<<20))
	w.Write([]string{"id", "name", "birth_date", "nationality"})
	r := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		name := given[r.IntN(len(given))] + " " + surnames[r.IntN(len(surnames))]
		if i%100 == 0 {
			name = surnames[r.IntN(len(surnames))] + ", " + given[r.IntN(len(given))]
		}
		w.Write([]string{"t" + strconv.Itoa(i), name, strconv.Itoa(1940 + r.IntN(60)), strings.ToUpper(benchCountries[r.IntN(len(benchCountries))])})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkScreenNode screens FOREWARN_BENCH_SCREEN (default 1,000,000) travellers against
// a node holding the OFAC individuals (imported from the shared sdn.csv and alt.csv),
// through the real binary with its output written to a file, and reports rows/s by the
// wall clock and by the CPU time it took. Limit (issue 10): ≥ 20,000 rows/s on 2 cores.
//
//	go test ./cmd/forewarn -run '^$' -bench BenchmarkScreenNode -benchtime 1x -timeout 30m
func BenchmarkScreenNode(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("FOREWARN_BENCH_SCREEN")); err == nil && v > 0 {
		n = v
	}
	input := filepath.Join(os.TempDir(), fmt.Sprintf("forewarn-bench-travellers-%d.csv", n))
	generateTravellers(b, input, n)
	bin := buildForewarn(b)
	dir := filepath.Join(b.TempDir(), "node")
	runTimed(b, bin, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI")
	runTimed(b, bin, "import", "--data", dir, filepath.Dir(testdata.Path(b, "names", "ofac", "sdn.csv")))
	for b.Loop() {
		out, err := os.Create(filepath.Join(b.TempDir(), "hits.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		wall, cpu, rss, _ := runTimedTo(b, out, bin, "screen", "--data", dir, "--purpose", "investigation", "--input", input, "--top", "3", "--log-level", "warn")
		st, _ := out.Stat()
		out.Close()
		if st.Size() == 0 {
			b.Fatal("screen wrote nothing")
		}
		b.ReportMetric(float64(n)/wall.Seconds(), "rows/s")
		b.ReportMetric(float64(n)/cpu.Seconds()*2, "rows/s_2cores_by_cpu")
		b.ReportMetric(rss, "peak_MB")
		b.Logf("%d travellers against OFAC holdings: %v wall (%.0f rows/s), %v CPU (%.0f rows/s on 2 cores by CPU time)", n, wall.Round(time.Second), float64(n)/wall.Seconds(), cpu.Round(time.Second), float64(n)/cpu.Seconds()*2)
	}
}
