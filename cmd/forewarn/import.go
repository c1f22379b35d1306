package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/ftm"
	"github.com/forewarn/forewarn/ofac"
	"github.com/forewarn/forewarn/personcsv"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/textenc"
)

func runImport(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("import",
		"Brings a dataset's persons into the node and keeps them current: new entries become subjects,\n"+
			"changed ones are updated in what the dataset gave, entries missing from this version are\n"+
			"marked withdrawn (nothing is deleted), and what came from elsewhere is never touched.\n"+
			"Formats: csv (the screen format plus aliases, documents, claims), ftm (FollowTheMoney JSON\n"+
			"lines, as OpenSanctions publishes), ofac (a folder with sdn.csv, alt.csv, add.csv), stix\n"+
			"(a STIX 2.1 bundle). FILE - reads standard input.",
		"forewarn import --data DIR --dataset us_ofac_sdn --version 2026-12-01 --format ftm entities.ftm.json")
	nf := addNodeFlags(fs)
	format := fs.String("format", "", "csv, ftm, ofac or stix (default: from the file)")
	dataset := fs.String("dataset", "", "the dataset's name, the same for every version (default: from the file name)")
	version := fs.String("version", "", "this version's name or date (default: the file's modification date)")
	dryRun := fs.Bool("dry-run", false, "print what would change (added, updated, withdrawn, unchanged) and change nothing")
	onError := fs.String("on-error", "", "skip or abort on bad rows (default: abort for a dataset's first import, skip after)")
	encoding := fs.String("encoding", "", "the file's text encoding when not UTF-8: latin1, cp1252 or utf-16")
	grading := fs.String("grading", "B2", "Admiralty grading of the claims the dataset makes")
	batch := fs.Int("batch", 1000, "records written per transaction")
	m.positional(fs, "FILE")
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	g, err := forewarn.ParseGrading(*grading)
	if err != nil {
		return fmt.Errorf("import: --grading: %w", err)
	}
	if _, err := textenc.Decode(nil, *encoding); err != nil {
		return fmt.Errorf("import: --encoding: %w", err)
	}
	in, err := m.importInput(fs.Arg(0), *format, *encoding)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer in.cleanup()
	if *dataset == "" {
		*dataset = in.dataset
	}
	if *version == "" {
		*version = in.modified.UTC().Format("2006-01-02")
	}
	if err := forewarn.ValidateDataset(*dataset); err != nil {
		return fmt.Errorf("import: --dataset: %w", err)
	}
	reader, err := in.reader(*dataset, g)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return err
	}
	defer node.Store.Close()
	progress := m.newProgress("imported", in.size, &in.read)
	opts := app.ImportOptions{Dataset: *dataset, Version: *version, Format: in.format, DryRun: *dryRun, OnError: *onError, BatchSize: *batch,
		Progress: func(j *forewarn.ImportJob) { progress.update(int64(j.Counts.Read)) }}
	job, err := node.Import(ctx, nf.actor(), reader, opts)
	progress.done()
	if job != nil {
		printImportJob(m.Stdout, job)
	}
	if err != nil {
		var failed *app.ImportFailed
		if errors.As(err, &failed) {
			return fmt.Errorf("import: %d bad rows; nothing was imported (see above; --on-error skip leaves them out)", job.Counts.Invalid)
		}
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// printImportJob prints what a job did, or would do in a dry run.
func printImportJob(w io.Writer, j *forewarn.ImportJob) {
	c := j.Counts
	verb := ""
	if j.DryRun {
		verb = "dry run, nothing changed: would have "
	}
	fmt.Fprintf(w, "import %s: %s %s %s\n", j.ID, j.Dataset, j.Version, j.Status)
	fmt.Fprintf(w, "%sadded %d, updated %d, withdrawn %d, unchanged %d; %d links, %d bad rows, %d alerts\n",
		verb, c.Added, c.Updated, c.Withdrawn, c.Unchanged, c.Links, c.Invalid, c.Alerts)
	if len(c.Skipped) > 0 {
		keys := make([]string, 0, len(c.Skipped))
		for k := range c.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, c.Skipped[k])
		}
		fmt.Fprintf(w, "not mapped, counted and skipped: %s\n", strings.Join(parts, ", "))
	}
	if c.Raw > 0 {
		fmt.Fprintf(w, "kept raw, as received: %d objects\n", c.Raw)
	}
	for _, e := range j.Errors {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if more := c.Invalid - len(j.Errors); more > 0 {
		fmt.Fprintf(w, "  … and %d more bad rows\n", more)
	}
	if j.Message != "" {
		fmt.Fprintln(w, j.Message)
	}
}

// importInput is the file an import reads, re-openable, with what is known about it.
type importInput struct {
	path     string // the file, or the OFAC folder
	format   string
	dataset  string
	encoding string
	size     int64
	modified time.Time
	read     atomic.Int64 // bytes read of the current pass
	cleanup  func()
}

// importInput finds the file and its format; standard input is spooled to a temporary
// file, because an import reads its input more than once (validate, then write).
func (m *Main) importInput(arg, format, encoding string) (*importInput, error) {
	in := &importInput{path: arg, format: format, encoding: encoding, cleanup: func() {}}
	if arg == "-" {
		f, err := os.CreateTemp("", "forewarn-import-*")
		if err != nil {
			return nil, err
		}
		in.cleanup = func() { os.Remove(f.Name()) }
		if _, err := io.Copy(f, m.Stdin); err != nil {
			f.Close()
			in.cleanup()
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		f.Close()
		in.path = f.Name()
	}
	st, err := os.Stat(in.path)
	if err != nil {
		return nil, err
	}
	in.size, in.modified = st.Size(), st.ModTime()
	base := strings.ToLower(filepath.Base(arg))
	if st.IsDir() || base == "sdn.csv" {
		if in.format == "" {
			in.format = "ofac"
		}
	}
	if in.format == "" {
		in.format, err = sniffFormat(in.path)
		if err != nil {
			return nil, err
		}
	}
	switch in.format {
	case "csv", "ftm", "ofac", "stix":
	default:
		return nil, fmt.Errorf("--format %q: want csv, ftm, ofac or stix", in.format)
	}
	if in.format == "ofac" && st.IsDir() {
		in.path = filepath.Join(in.path, "sdn.csv")
		if st, err = os.Stat(in.path); err != nil {
			return nil, fmt.Errorf("an OFAC folder needs sdn.csv: %w", err)
		}
		in.size = st.Size()
	}
	switch {
	case in.format == "ofac":
		in.dataset = "us_ofac_sdn"
	case arg == "-":
		in.dataset = "stdin"
	default:
		in.dataset = strings.SplitN(filepath.Base(arg), ".", 2)[0]
	}
	return in, nil
}

// sniffFormat tells the format from the first bytes: a JSON object is a STIX bundle or
// FtM lines, anything else CSV.
func sniffFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = bytes.TrimLeft(head[:n], "\ufeff \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		if bytes.Contains(head, []byte(`"bundle"`)) {
			return "stix", nil
		}
		return "ftm", nil
	}
	return "csv", nil
}

// open opens the input for one pass, decoded to UTF-8 and counted for progress.
func (in *importInput) open(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		counted := io.Reader(f)
		if path == in.path {
			in.read.Store(0)
			counted = &countingReader{r: f, n: &in.read}
		}
		r, err := textenc.Decode(counted, in.encoding)
		if err != nil {
			f.Close()
			return nil, err
		}
		return readCloser{Reader: bufio.NewReaderSize(r, 256<<10), Closer: f}, nil
	}
}

// uploadReader reads a dataset uploaded through the API, spooled at path.
func uploadReader(format, encoding, dataset string, g forewarn.Grading, path string) (forewarn.ImportReader, error) {
	if _, err := textenc.Decode(nil, encoding); err != nil {
		return nil, err
	}
	in := &importInput{path: path, format: format, encoding: encoding}
	if format == "stix" {
		// A bundle that is not valid STIX 2.1 is refused before a job starts, naming the
		// JSON path of its first error.
		if err := in.validateSTIX(); err != nil {
			return nil, err
		}
	}
	return in.reader(dataset, g)
}

// validateSTIX checks the input is a valid STIX 2.1 bundle.
func (in *importInput) validateSTIX() error {
	f, err := in.open(in.path)()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, stix.MaxBundleBytes+1))
	if err != nil {
		return err
	}
	if len(data) > stix.MaxBundleBytes {
		return forewarn.Invalid("body", "max_bytes", "a STIX bundle may be at most %d bytes", stix.MaxBundleBytes)
	}
	return stix.Validate(data)
}

// reader returns the format's reader over the input.
func (in *importInput) reader(dataset string, g forewarn.Grading) (forewarn.ImportReader, error) {
	switch in.format {
	case "csv":
		return &personcsv.Reader{Open: in.open(in.path), Dataset: dataset, Grading: g}, nil
	case "ftm":
		return &ftm.Reader{Open: in.open(in.path), Dataset: dataset, Grading: g}, nil
	case "stix":
		return &stix.Reader{Open: in.open(in.path), Dataset: dataset, Grading: g}, nil
	case "ofac":
		dir := filepath.Dir(in.path)
		return &ofac.Reader{OpenSDN: in.open(in.path), OpenAlt: in.open(filepath.Join(dir, "alt.csv")), OpenAdd: in.open(filepath.Join(dir, "add.csv")),
			Dataset: dataset, Grading: g}, nil
	}
	return nil, fmt.Errorf("format %q is not supported yet", in.format)
}

type readCloser struct {
	io.Reader
	io.Closer
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress shows rows/s, percent and ETA on a terminal, at most twice a second; it
// prints nothing when standard error is not a terminal.
type progress struct {
	w     io.Writer
	verb  string
	size  int64
	read  *atomic.Int64
	start time.Time
	last  time.Time
	rows  int64
	shown bool
}

func (m *Main) newProgress(verb string, size int64, read *atomic.Int64) *progress {
	return &progress{w: progressWriter(m), verb: verb, size: size, read: read, start: time.Now()}
}

func (p *progress) update(rows int64) {
	p.rows = rows
	if p.w == nil || time.Since(p.last) < 500*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprint(p.w, "\r"+p.line()+"   ")
}

func (p *progress) line() string {
	el := time.Since(p.start).Seconds()
	rate := float64(p.rows) / max(el, 0.001)
	s := fmt.Sprintf("%s %d rows, %.0f rows/s", p.verb, p.rows, rate)
	if p.size > 0 && p.read != nil {
		done := float64(p.read.Load()) / float64(p.size)
		if done > 0 && done <= 1 {
			eta := time.Duration(el/done*(1-done)) * time.Second
			s += fmt.Sprintf(", %.0f%%, ETA %s", done*100, eta.Round(time.Second))
		}
	}
	return s
}

func (p *progress) done() {
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r"+p.line()+"\n")
	}
}
