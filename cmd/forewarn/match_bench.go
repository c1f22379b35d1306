package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/match/eval"
)

// benchMatch prints the matcher's accuracy and speed figures.
func benchMatch(ctx context.Context, m *Main, dir string, size, screenRows, queries int) error {
	if dir == "" {
		dir = m.Getenv(testdata.EnvDir)
	}
	if dir == "" {
		dir = testdata.Find()
	}
	if dir == "" {
		return fmt.Errorf("bench-match: shared test data not found: pass --testdata or set %s", testdata.EnvDir)
	}
	names := filepath.Join(dir, "names")
	open := func(elem ...string) (*os.File, error) {
		return os.Open(filepath.Join(append([]string{names}, elem...)...))
	}
	sdn, err := open("ofac", "sdn.csv")
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	defer sdn.Close()
	alt, err := open("ofac", "alt.csv")
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	defer alt.Close()
	entries, aliases, err := eval.LoadOFAC(sdn, alt)
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	out := m.Stdout
	fmt.Fprintf(out, "matcher figures (threshold %.2f, GOMAXPROCS %d)\n\n", match.DefaultThreshold, runtime.GOMAXPROCS(0))

	ix, build, mem := buildIndex(entries)
	first := eval.FirstAliases(aliases)
	all, reach, err := screenRanking(ctx, entries, first)
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	fmt.Fprintf(out, "OFAC first alias of each individual -> primary names, through forewarn screen --top 10 (%d queries)\n", all.Queries)
	fmt.Fprintf(out, "  right entry first:     %5.1f%%   (target 84%%; watchman 72.6%%)\n", 100*all.Top1Rate())
	fmt.Fprintf(out, "  right entry in top 10: %5.1f%%   (target 89%%; watchman 81.1%%)\n", 100*all.Top10Rate())
	fmt.Fprintf(out, "  the %d that share a name part with their entry: first %.1f%%, top 10 %.1f%%\n", reach.Queries, 100*reach.Top1Rate(), 100*reach.Top10Rate())
	rank := eval.RankAliases(ix, aliases)
	fmt.Fprintf(out, "OFAC, all %d aliases of individuals: first %.1f%%, top 10 %.1f%%\n\n", rank.Queries, 100*rank.Top1Rate(), 100*rank.Top10Rate())

	cases, err := open("nomenklatura-cases.csv")
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	defer cases.Close()
	frozen, err := open("nomenklatura-logicv2-frozen.csv")
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	defer frozen.Close()
	pairs, err := eval.LoadNomenklatura(cases, frozen)
	if err != nil {
		return fmt.Errorf("bench-match: %w", err)
	}
	ours, ref := eval.ScorePairs(pairs, match.DefaultThreshold)
	fmt.Fprintf(out, "nomenklatura Person pairs (%d)\n", len(pairs))
	fmt.Fprintf(out, "  forewarn:  F1 %.3f  precision %.3f  recall %.3f  %+v\n", ours.F1(), ours.Precision(), ours.Recall(), ours)
	fmt.Fprintf(out, "  logic-v2:  F1 %.3f  precision %.3f  recall %.3f  %+v\n\n", ref.F1(), ref.Precision(), ref.Recall(), ref)

	unlisted := eval.Unlisted(entries, 2000, 1)
	fa := eval.FalseAlarms(ix, unlisted, match.DefaultThreshold)
	fmt.Fprintf(out, "false alarms: %d of %d names on nobody's list (%.2f%%)\n\n", fa, len(unlisted), 100*float64(fa)/float64(max(len(unlisted), 1)))

	of := eval.PrivateOFAC(entries, first, unlisted, ix)
	nk := eval.PrivateNomenklatura(pairs)
	fmt.Fprintf(out, "private matching (psi, docs/private-match.md): recall at the private matcher's false-alarm rate, plaintext beside it at the same rate\n")
	for _, f := range []struct {
		name string
		f    eval.PrivateFigures
	}{{"OFAC first aliases", of}, {"nomenklatura pairs", nk}} {
		fmt.Fprintf(out, "  %-19s private recall %5.1f%% at false alarms %.2f%%; plaintext %5.1f%% at %.2f%% (threshold %.2f); gap %+.1f points (target within 5)\n",
			f.name, 100*f.f.PrivateRecall, 100*f.f.FalseAlarmRate, 100*f.f.PlainRecall, 100*f.f.PlainFalseAlarmRate, f.f.PlainThreshold, 100*(f.f.PrivateRecall-f.f.PlainRecall))
	}
	fmt.Fprintln(out)

	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "speed at OFAC size (%d entries): build %v, index heap %s\n", len(entries), build.Round(time.Millisecond), mib(mem))
	speed(out, ix, eval.Queries(entries, queries, 7))
	if screenRows > 0 {
		if err := screenSpeed(ctx, out, entries, aliases, screenRows); err != nil {
			return fmt.Errorf("bench-match: %w", err)
		}
	}

	if size > 0 {
		big := eval.Synthetic(entries, size, 11)
		bigQueries := eval.Queries(big, queries, 13)
		bix, build, mem := buildIndex(big)
		big = nil
		fmt.Fprintf(out, "\nspeed at %d generated entries: build %v, index heap %s\n", size, build.Round(time.Millisecond), mib(mem))
		speed(out, bix, bigQueries)
		runtime.KeepAlive(bix)
	}
	return nil
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func heapNow() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// buildIndex indexes entries and reports the time taken and the heap the index holds.
func buildIndex(entries []match.Entry) (*match.Index, time.Duration, uint64) {
	before := heapNow()
	start := time.Now()
	ix := match.NewIndex()
	for _, e := range entries {
		_ = ix.Add(e) // generated and list IDs are unique
	}
	took := time.Since(start)
	after := heapNow()
	if after < before {
		after = before
	}
	return ix, took, after - before
}

// speed prints throughput on 1 and 2 workers and latency percentiles for top-10 searches.
func speed(out io.Writer, ix *match.Index, queries []string) {
	for _, workers := range []int{1, 2} {
		lat := make([]time.Duration, len(queries))
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(queries) {
						return
					}
					t := time.Now()
					q := match.PreparePerson(match.Person{Names: []string{queries[i]}})
					ix.SearchPrepared(&q, 10)
					lat[i] = time.Since(t)
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(out, "  %d core(s): %8.0f queries/s  p50 %v  p99 %v\n", workers,
			float64(len(queries))/took.Seconds(), lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
	}
}

// entriesCSV writes a list as forewarn screen reads it: one row per name, rows of one
// person sharing its id.
func entriesCSV(entries []match.Entry, aliases []eval.Alias) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"id", "name"})
	for _, e := range entries {
		for _, n := range e.Person.Names {
			w.Write([]string{e.ID, n})
		}
	}
	for _, a := range aliases {
		w.Write([]string{a.EntryID, a.Name})
	}
	w.Flush()
	return b.Bytes()
}

// queriesCSV writes n input rows cycling through the aliases; row i has id i.
func queriesCSV(aliases []eval.Alias, n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"id", "name"})
	for i := range n {
		w.Write([]string{strconv.Itoa(i), aliases[i%len(aliases)].Name})
	}
	w.Flush()
	return b.Bytes()
}

// screenRanking runs forewarn screen --top 10 --threshold 0 --format csv as a user would,
// with the primary names as the list and the aliases as input, and reads from its output
// where each alias's own entry ranked.
func screenRanking(ctx context.Context, entries []match.Entry, aliases []eval.Alias) (all, reachable eval.Ranking, err error) {
	ix, err := loadWatchList(bytes.NewReader(entriesCSV(entries, nil)), "list.csv")
	if err != nil {
		return all, reachable, err
	}
	var out bytes.Buffer
	if err := screen(ctx, readyIndex(ix), bytes.NewReader(queriesCSV(aliases, len(aliases))), "aliases.csv", &out, screenOptions{Top: 10, Threshold: 0, Format: "csv"}); err != nil {
		return all, reachable, err
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		return all, reachable, err
	}
	rank := make([]int, len(aliases))
	for _, row := range rows[1:] {
		q, err := strconv.Atoi(row[0])
		if err != nil || q < 0 || q >= len(aliases) {
			return all, reachable, fmt.Errorf("screen output: bad query id %q", row[0])
		}
		if r, _ := strconv.Atoi(row[1]); row[2] == aliases[q].EntryID && rank[q] == 0 {
			rank[q] = r
		}
	}
	primary := map[string]string{}
	for _, e := range entries {
		primary[e.ID] = e.Person.Names[0]
	}
	for i, a := range aliases {
		count := func(rk *eval.Ranking) {
			rk.Queries++
			if rank[i] == 1 {
				rk.Top1++
			}
			if rank[i] >= 1 && rank[i] <= 10 {
				rk.Top10++
			}
		}
		count(&all)
		if eval.Reach(a.Name, primary[a.EntryID]) != "" {
			count(&reachable)
		}
	}
	return all, reachable, nil
}

// screenSpeed measures forewarn screen end to end (CSV in, CSV out, --top 1) on n input
// rows against the OFAC individuals with all their aliases, on one core and on every
// core, in alternating pairs so that a machine busy with something else slows both
// alike, and prints the median rates and the median of the pairs' ratios.
func screenSpeed(ctx context.Context, out io.Writer, entries []match.Entry, aliases []eval.Alias, n int) error {
	list := entriesCSV(entries, aliases)
	input := queriesCSV(aliases, n)
	cores := runtime.GOMAXPROCS(0)
	fmt.Fprintf(out, "  forewarn screen, %d rows against %d entries with their aliases, CSV in and out, --top 1:\n", n, len(entries))
	const pairs = 3
	var one, all, ratio []float64
	for p := range pairs {
		var d [2]time.Duration
		for k := range 2 {
			c := []int{1, cores}[(p+k)%2]
			took, err := screenRun(ctx, list, input, c)
			if err != nil {
				return err
			}
			d[(p+k)%2] = took
		}
		one = append(one, float64(n)/d[0].Seconds())
		all = append(all, float64(n)/d[1].Seconds())
		ratio = append(ratio, d[0].Seconds()/d[1].Seconds())
	}
	fmt.Fprintf(out, "    1 core:   %8.0f rows/s\n", medianOf(one))
	fmt.Fprintf(out, "    %d cores: %8.0f rows/s   (target 20,000)\n", cores, medianOf(all))
	fmt.Fprintf(out, "    %d cores / 1 core: %.2fx   (target 1.8; median of %d alternating pairs: %s; machine shared: ratios say more than rates)\n",
		cores, medianOf(ratio), pairs, formatRatios(ratio))
	return nil
}

// screenRun runs forewarn screen once as the user does, list loading included, with
// GOMAXPROCS set to cores (and a worker per core) for the run: one core means one, not
// one worker with the garbage collector and the CSV reader on another.
func screenRun(ctx context.Context, list, input []byte, cores int) (time.Duration, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cores))
	start := time.Now()
	idx := loadIndex(func() (*match.Index, error) { return loadWatchList(bytes.NewReader(list), "list.csv") })
	err := screen(ctx, idx, bytes.NewReader(input), "input.csv", io.Discard, screenOptions{Top: 1, Threshold: match.DefaultThreshold, Format: "csv", Workers: cores})
	return time.Since(start), err
}

// medianOf is the middle value of vs (the upper one of an even count).
func medianOf(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// formatRatios lists ratios as "1.91x 1.87x".
func formatRatios(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("%.2fx", v)
	}
	return strings.Join(parts, " ")
}
