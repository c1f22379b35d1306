package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/forewarn/forewarn/match"
)

func runScreen(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("screen",
		"Screen every person in an input CSV against a watch list CSV and print the best hits.\n"+
			"Both files have a header with id and name, and optionally birth_date (YYYY, YYYY-MM or\n"+
			"YYYY-MM-DD), nationality (ISO alpha-2), gender and document. Rows of the list that share\n"+
			"an id are aliases of one person. The input is streamed: it may be of any length.\n"+
			"Instead of --list, --data DIR (or --node URL) screens against the node's own subjects; the\n"+
			"input may then also be FtM JSON lines. With --data or --node, give --purpose: the node shows\n"+
			"who its subjects are only for a purpose, recorded with the read.",
		"forewarn screen --list watchlist.csv --input travellers.csv --top 5 --format jsonl")
	list := fs.String("list", "", "watch list CSV (or screen against a node's subjects with --data or --node)")
	input := fs.String("input", "", "CSV or FtM JSON lines of persons to screen (required; - for standard input)")
	nf := addNodeFlags(fs)
	af := addAPIFlags(fs)
	pf := addPurposeFlagsWhen(fs, "(with --data or --node: the node shows who its subjects are only for one)")
	top := fs.Int("top", 10, "at most this many hits per input row")
	threshold := fs.Float64("threshold", match.DefaultThreshold, "only hits scoring at least this (0 returns the top hits whatever their score)")
	format := fs.String("format", "jsonl", "output format: jsonl or csv")
	workers := fs.Int("workers", 0, "rows searched at once (0: one per core)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (read it with go tool pprof)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if *input == "" || (*list == "" && !given["data"] && !given["db"] && !given["node"]) {
		fs.Usage()
		return fmt.Errorf("screen: --input and a list to screen against (--list, --data or --node) are required")
	}
	if *format != "jsonl" && *format != "csv" {
		return fmt.Errorf("screen: --format %q: want jsonl or csv", *format)
	}
	if *top < 1 {
		return fmt.Errorf("screen: --top %d: want at least 1", *top)
	}
	if *workers < 0 {
		return fmt.Errorf("screen: --workers %d: want 0 or more", *workers)
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return fmt.Errorf("screen: --cpuprofile: %w", err)
		}
		defer stop()
	}
	// A list file loads while the input is read and prepared; a node's subjects are read first.
	var idx *pendingIndex
	switch {
	case *list != "":
		lf, err := os.Open(*list)
		if err != nil {
			return fmt.Errorf("screen: %w", err)
		}
		defer lf.Close()
		idx = loadIndex(func() (*match.Index, error) { return loadWatchList(lf, *list) })
	default:
		var ix *match.Index
		var err error
		if given["node"] {
			ix, err = apiWatchList(ctx, af, pf)
		} else {
			ix, err = m.nodeWatchList(ctx, nf, pf, *input)
		}
		if err != nil {
			return fmt.Errorf("screen: %w", err)
		}
		idx = readyIndex(ix)
	}
	in := m.Stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			if _, lerr := idx.wait(); lerr != nil {
				err = lerr
			}
			return fmt.Errorf("screen: %w", err)
		}
		defer f.Close()
		in = f
	}
	opts := screenOptions{Top: *top, Threshold: *threshold, Format: *format, Progress: progressWriter(m), Workers: *workers}
	if err := screen(ctx, idx, screenInput(in), *input, m.Stdout, opts); err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	return nil
}

// startCPUProfile writes a CPU profile to path until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func runCompare(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("compare",
		"Score pairs of names. The input CSV has a header with name1 and name2; other columns are\n"+
			"passed through. Prints the input columns plus score and match (at the default threshold).",
		"forewarn compare --input pairs.csv")
	input := fs.String("input", "", "CSV of name pairs (required; - for standard input)")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *input == "" {
		fs.Usage()
		return fmt.Errorf("compare: --input is required")
	}
	in := m.Stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		defer f.Close()
		in = f
	}
	if err := comparePairs(ctx, in, *input, m.Stdout); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

func runBenchMatch(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("bench-match",
		"Measure the matcher: accuracy on the shared name data (OFAC aliases, nomenklatura pairs\n"+
			"beside OpenSanctions logic-v2, false alarms on names that belong to nobody), then speed and\n"+
			"memory at OFAC size and on a generated list of --size entries.",
		"forewarn bench-match --size 1000000")
	dir := fs.String("testdata", "", "shared test data directory (default: FOREWARN_TESTDATA, else ../shared/testdata)")
	size := fs.Int("size", 1_000_000, "entries in the generated large list (0 skips it)")
	screenRows := fs.Int("screen-rows", 43420, "input rows for the end-to-end forewarn screen speed (0 skips it)")
	queries := fs.Int("queries", 20000, "searches timed for each queries/s figure")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if *size < 0 {
		return fmt.Errorf("bench-match: --size %d: want 0 or more", *size)
	}
	if *screenRows < 0 {
		return fmt.Errorf("bench-match: --screen-rows %d: want 0 or more", *screenRows)
	}
	if *queries < 1 {
		return fmt.Errorf("bench-match: --queries %d: want 1 or more", *queries)
	}
	return benchMatch(ctx, m, *dir, *size, *screenRows, *queries)
}
