package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/match/eval"
)

// benchMatch prints the matcher's accuracy and speed figures.
func benchMatch(ctx context.Context, m *Main, dir string, size int) error {
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
	rank := eval.RankAliases(ix, aliases)
	fmt.Fprintf(out, "OFAC aliases -> primary names (%d individuals, %d alias queries)\n", len(entries), rank.Queries)
	fmt.Fprintf(out, "  right entry first:    %5.1f%%   (watchman 72.6%%)\n", 100*rank.Top1Rate())
	fmt.Fprintf(out, "  right entry in top 10: %5.1f%%   (watchman 81.1%%)\n\n", 100*rank.Top10Rate())

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

	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "speed at OFAC size (%d entries): build %v, index heap %s\n", len(entries), build.Round(time.Millisecond), mib(mem))
	speed(out, ix, eval.Queries(entries, 20000, 7))

	if size > 0 {
		big := eval.Synthetic(entries, size, 11)
		queries := eval.Queries(big, 20000, 13)
		bix, build, mem := buildIndex(big)
		big = nil
		fmt.Fprintf(out, "\nspeed at %d generated entries: build %v, index heap %s\n", size, build.Round(time.Millisecond), mib(mem))
		speed(out, bix, queries)
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
