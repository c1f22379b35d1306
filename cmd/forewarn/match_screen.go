package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn/match"
)

// personColumns are where the person fields sit in a CSV header; -1 when absent.
type personColumns struct {
	id, name, birthDate, nationality, gender, document int
}

// csvError names the file, line and column of a bad CSV field.
func csvError(file string, r *csv.Reader, field int, format string, args ...any) error {
	line, col := r.FieldPos(field)
	return fmt.Errorf("%s:%d:%d: %s", file, line, col, fmt.Sprintf(format, args...))
}

func readHeader(r *csv.Reader, file string, required ...string) (map[string]int, []string, error) {
	header, err := r.Read()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("%s: empty file, want a header with %s", file, strings.Join(required, ", "))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, nil, fmt.Errorf("%s:1: header has no %q column (have %s)", file, c, strings.Join(header, ","))
		}
	}
	return cols, header, nil
}

func personColumnsOf(cols map[string]int) personColumns {
	get := func(n string) int {
		if i, ok := cols[n]; ok {
			return i
		}
		return -1
	}
	return personColumns{get("id"), get("name"), get("birth_date"), get("nationality"), get("gender"), get("document")}
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	cr.ReuseRecord = true
	return cr
}

// readPerson turns one CSV row into an id and a person, checking the birth date.
func readPerson(cr *csv.Reader, file string, pc personColumns, rec []string) (string, match.Person, error) {
	field := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var p match.Person
	id := field(pc.id)
	if id == "" {
		return "", p, csvError(file, cr, pc.id, "empty id")
	}
	if n := field(pc.name); n != "" {
		p.Names = []string{n}
	}
	if bd := field(pc.birthDate); bd != "" {
		if _, err := match.ParseBirthDate(bd); err != nil {
			return "", p, csvError(file, cr, pc.birthDate, "%v", err)
		}
		p.BirthDate = bd
	}
	if n := field(pc.nationality); n != "" {
		p.Nationalities = strings.Fields(strings.ReplaceAll(n, ";", " "))
	}
	p.Gender = field(pc.gender)
	if d := field(pc.document); d != "" {
		p.Documents = strings.Fields(strings.ReplaceAll(d, ";", " "))
	}
	return id, p, nil
}

// loadWatchList reads a list CSV into an index; rows sharing an id are one person's aliases.
func loadWatchList(r io.Reader, file string) (*match.Index, error) {
	cr, limit := newLimitedCSVReader(r)
	cols, _, err := readHeader(cr, file, "id", "name")
	if err != nil {
		return nil, limit.tooLong(err, file)
	}
	limit.next(cr)
	pc := personColumnsOf(cols)
	byID := map[string]int{}
	var entries []match.Entry
	// seen holds, per entry, the nationalities and documents it already has (upper-cased),
	// so that merging an alias row costs the same however many rows came before.
	var seen []map[string]bool
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, limit.tooLong(fmt.Errorf("%s: %w", file, err), file)
		}
		limit.next(cr)
		id, p, err := readPerson(cr, file, pc, rec)
		if err != nil {
			return nil, err
		}
		i, ok := byID[id]
		if !ok {
			i = len(entries)
			byID[id] = i
			entries = append(entries, match.Entry{ID: id})
			seen = append(seen, map[string]bool{})
		}
		e := &entries[i].Person
		e.Names = append(e.Names, p.Names...)
		e.Documents = appendNew(seen[i], "doc:", e.Documents, p.Documents...)
		e.Nationalities = appendNew(seen[i], "nat:", e.Nationalities, p.Nationalities...)
		if e.BirthDate == "" {
			e.BirthDate = p.BirthDate
		}
		if e.Gender == "" {
			e.Gender = p.Gender
		}
	}
	ix := match.NewIndex()
	// Rows sharing an id were merged above, so every id is new.
	if err := ix.AddAll(entries); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return ix, nil
}

// appendNew appends the values not yet in seen (under kind, case-insensitively) to list.
func appendNew(seen map[string]bool, kind string, list []string, vs ...string) []string {
	for _, v := range vs {
		k := kind + strings.ToUpper(v)
		if !seen[k] {
			seen[k] = true
			list = append(list, v)
		}
	}
	return list
}

// screenOptions are the knobs of one screening run.
type screenOptions struct {
	Top       int
	Threshold float64
	Format    string
	Progress  io.Writer // nil: no progress
	// Workers is how many rows are searched at once; 0 means one per core.
	Workers int
}

// screenRecord is one JSONL output line.
type screenRecord struct {
	QueryID string      `json:"query_id"`
	Hits    []match.Hit `json:"hits"`
}

// screenBatch is a run of consecutive input rows, prepared and searched by one worker and
// written in input order.
type screenBatch struct {
	seq  int
	ids  []string
	qs   []match.Person
	pqs  []match.PreparedPerson
	out  bytes.Buffer
	rows int
}

// prepare prepares the batch's rows for searching, which needs no index.
func (b *screenBatch) prepare() {
	b.pqs = b.pqs[:0]
	for _, q := range b.qs {
		b.pqs = append(b.pqs, match.PreparePerson(q))
	}
}

// screenBatchRows is how many rows travel together: enough to make the hand-over between
// goroutines cheap, few enough that output keeps flowing.
const screenBatchRows = 128

// screenAheadRows is how many input rows, at most, are prepared and set aside while the
// list is still loading.
const screenAheadRows = 8192

// pendingIndex is a watch list that may still be loading when screening starts: rows are
// read and prepared meanwhile, so that the cores the list's serial part leaves idle are
// not wasted.
type pendingIndex struct {
	done chan struct{}
	ix   *match.Index
	err  error
}

// loadIndex runs load on a goroutine of its own.
func loadIndex(load func() (*match.Index, error)) *pendingIndex {
	p := &pendingIndex{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.ix, p.err = load()
	}()
	return p
}

// readyIndex is an index already loaded.
func readyIndex(ix *match.Index) *pendingIndex {
	p := &pendingIndex{done: make(chan struct{}), ix: ix}
	close(p.done)
	return p
}

func (p *pendingIndex) wait() (*match.Index, error) {
	<-p.done
	return p.ix, p.err
}

func (p *pendingIndex) loaded() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// screenAhead holds the batches prepared while the list loads, in input order.
type screenAhead struct {
	mu      sync.Mutex
	idx     *pendingIndex
	batches []*screenBatch
}

// setAside keeps b for later, unless the index is loaded or enough is already set aside.
func (a *screenAhead) setAside(b *screenBatch) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.idx.loaded() || len(a.batches)*screenBatchRows >= screenAheadRows {
		return false
	}
	a.batches = append(a.batches, b)
	return true
}

// take returns the first batch set aside, once the index is loaded: nothing is set aside
// after that, so the batches set aside are all taken.
func (a *screenAhead) take() *screenBatch {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.batches) == 0 || !a.idx.loaded() {
		return nil
	}
	b := a.batches[0]
	a.batches[0] = nil
	a.batches = a.batches[1:]
	return b
}

// screen streams input rows through the index, one output record per row, in input
// order. One goroutine reads and parses the CSV, a worker per core prepares, searches and
// formats whole batches, and one writes them in order; memory stays bounded by the
// batches in flight. The index may still be loading: workers prepare rows meanwhile, and
// nothing is written before it is loaded (an error loading it is the one returned).
func screen(ctx context.Context, idx *pendingIndex, in io.Reader, file string, out io.Writer, opt screenOptions) error {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next, rows := 0, 0
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *screenBatch, 2*workers)
	done := make(chan *screenBatch, 2*workers)
	free := sync.Pool{New: func() any { return &screenBatch{} }}

	// Reader: reads the header (its error on header), then parses rows into batches; a
	// bad row stops the run after the rows before it (its error on read).
	header, read := make(chan error, 1), make(chan error, 1)
	go func() {
		defer close(todo)
		cr, limit := newLimitedCSVReader(in)
		cols, _, err := readHeader(cr, file, "id", "name")
		header <- limit.tooLong(err, file)
		if err != nil {
			return
		}
		limit.next(cr)
		pc := personColumnsOf(cols)
		seq := 0
		b := free.Get().(*screenBatch)
		send := func() bool {
			if b.rows == 0 {
				return true
			}
			b.seq = seq
			seq++
			select {
			case todo <- b:
			case <-ctx.Done():
				return false
			}
			b = free.Get().(*screenBatch)
			return true
		}
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				read <- limit.tooLong(fmt.Errorf("%s: %w", file, err), file)
				send()
				return
			}
			limit.next(cr)
			id, p, err := readPerson(cr, file, pc, rec)
			if err != nil {
				read <- err
				send()
				return
			}
			b.ids = append(b.ids, id)
			b.qs = append(b.qs, p)
			b.rows++
			if b.rows == screenBatchRows && !send() {
				read <- nil
				return
			}
		}
		send()
		read <- nil
	}()

	// Workers: prepare a batch, then search and format it into its own buffer once the
	// index is loaded; until then, batches are set aside, and searched first after.
	ahead := &screenAhead{idx: idx}
	indexReady := func() bool {
		select {
		case <-idx.done:
			return idx.err == nil
		case <-ctx.Done():
			return false
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := ahead.take()
				if b == nil {
					var ok bool
					select {
					case b, ok = <-todo:
					case <-ctx.Done():
						return
					}
					if ok {
						b.prepare()
						if ahead.setAside(b) {
							continue
						}
					}
					if !indexReady() {
						return
					}
					if !ok {
						// The input is all read: what is still set aside is all that is left.
						if b = ahead.take(); b == nil {
							return
						}
					}
				}
				formatBatch(idx.ix, b, opt)
				select {
				case done <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Writer: nothing is written before the list and the input's header are known good;
	// then batches leave in the order they came in.
	if _, err := idx.wait(); err != nil {
		return err
	}
	if err := <-header; err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	if opt.Format == "csv" {
		cw := csv.NewWriter(bw)
		if err := cw.Write([]string{"query_id", "rank", "id", "score", "matched_name", "explanation"}); err != nil {
			return err
		}
		cw.Flush()
	}
	start := time.Now()
	progress := func(end string) {
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "\rscreened %d rows (%.0f rows/s)%s", rows, float64(rows)/max(time.Since(start).Seconds(), 1e-9), end)
		}
	}
	pending := map[int]*screenBatch{}
	var writeErr error
	for b := range done {
		pending[b.seq] = b
		for {
			b, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if writeErr == nil {
				if _, err := bw.Write(b.out.Bytes()); err != nil {
					writeErr = err
					cancel()
				}
			}
			before := rows / 1000
			rows += b.rows
			if rows/1000 != before {
				progress("")
			}
			b.ids, b.qs, b.rows = b.ids[:0], b.qs[:0], 0
			b.out.Reset()
			free.Put(b)
		}
	}
	if err := bw.Flush(); err != nil && writeErr == nil {
		writeErr = err
	}
	progress("\n")
	if writeErr != nil {
		return writeErr
	}
	// The reader is done unless the run was cancelled.
	select {
	case err := <-read:
		if err != nil {
			return err
		}
	default:
	}
	return ctx.Err()
}

// formatBatch searches every row of b and writes its output records into b.out.
func formatBatch(ix *match.Index, b *screenBatch, opt screenOptions) {
	var cw *csv.Writer
	var enc *json.Encoder
	if opt.Format == "csv" {
		cw = csv.NewWriter(&b.out)
	} else {
		enc = json.NewEncoder(&b.out)
		enc.SetEscapeHTML(false)
	}
	for i, id := range b.ids {
		hits := ix.SearchPreparedAbove(&b.pqs[i], opt.Top, opt.Threshold)
		if cw != nil {
			for r, h := range hits {
				// Writing to a bytes.Buffer cannot fail.
				_ = cw.Write([]string{id, strconv.Itoa(r + 1), h.ID, strconv.FormatFloat(h.Score, 'f', 3, 64), h.MatchedName, h.Explanation.String()})
			}
		} else {
			_ = enc.Encode(screenRecord{id, hits})
		}
	}
	if cw != nil {
		cw.Flush()
	}
}

// maxCSVRecord is the most one CSV record (a line, or several when a quoted field spans
// lines) may hold: far above any real name row, low enough that a malformed or hostile
// file cannot make the reader hold gigabytes.
const maxCSVRecord = 1 << 20

// errRecordTooLong is what the limited reader returns once a record passes maxCSVRecord.
var errRecordTooLong = errors.New("record too long")

// recordLimit is an io.Reader between a file and csv.Reader that refuses to deliver
// more than maxCSVRecord bytes (plus the reader's buffer) past the start of the record
// being read.
type recordLimit struct {
	r           io.Reader
	delivered   int64
	recordStart int64
	line        int
}

func newLimitedCSVReader(r io.Reader) (*csv.Reader, *recordLimit) {
	l := &recordLimit{r: r, line: 1}
	return newCSVReader(l), l
}

func (l *recordLimit) Read(p []byte) (int, error) {
	const slack = 64 << 10 // csv.Reader reads ahead through a 4 KiB buffer
	room := l.recordStart + maxCSVRecord + slack - l.delivered
	if room <= 0 {
		return 0, errRecordTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.delivered += int64(n)
	return n, err
}

// next records that a record ended where the CSV reader now stands.
func (l *recordLimit) next(cr *csv.Reader) {
	l.recordStart = cr.InputOffset()
	l.line, _ = cr.FieldPos(0)
	l.line++
}

// tooLong names the line of a record that was too long; other errors pass unchanged.
func (l *recordLimit) tooLong(err error, file string) error {
	if errors.Is(err, errRecordTooLong) {
		return fmt.Errorf("%s:%d: record longer than %d bytes", file, l.line, maxCSVRecord)
	}
	return err
}

// progressWriter is stderr when it is a terminal, so that progress never pollutes logs.
func progressWriter(m *Main) io.Writer {
	f, ok := m.Stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// comparePairs scores each name1,name2 row, passing other columns through.
func comparePairs(ctx context.Context, in io.Reader, file string, out io.Writer) error {
	cr := newCSVReader(in)
	cols, header, err := readHeader(cr, file, "name1", "name2")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(out)
	defer cw.Flush()
	if err := cw.Write(append(append([]string(nil), header...), "score", "match")); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		r := match.CompareNames(rec[cols["name1"]], rec[cols["name2"]])
		row := append(rec, strconv.FormatFloat(r.Score, 'f', 3, 64), strconv.FormatBool(r.Score >= match.DefaultThreshold))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
