package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

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
	cr := newCSVReader(r)
	cols, _, err := readHeader(cr, file, "id", "name")
	if err != nil {
		return nil, err
	}
	pc := personColumnsOf(cols)
	byID := map[string]int{}
	var entries []match.Entry
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		id, p, err := readPerson(cr, file, pc, rec)
		if err != nil {
			return nil, err
		}
		i, ok := byID[id]
		if !ok {
			byID[id] = len(entries)
			entries = append(entries, match.Entry{ID: id, Person: p})
			continue
		}
		e := &entries[i].Person
		e.Names = append(e.Names, p.Names...)
		e.Documents = append(e.Documents, p.Documents...)
		e.Nationalities = appendNew(e.Nationalities, p.Nationalities...)
		if e.BirthDate == "" {
			e.BirthDate = p.BirthDate
		}
		if e.Gender == "" {
			e.Gender = p.Gender
		}
	}
	ix := match.NewIndex()
	for _, e := range entries {
		if err := ix.Add(e); err != nil {
			return nil, fmt.Errorf("%s: entry %q: %w", file, e.ID, err)
		}
	}
	return ix, nil
}

func appendNew(list []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, have := range list {
			if strings.EqualFold(have, v) {
				found = true
			}
		}
		if !found {
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
}

// screenRecord is one JSONL output line.
type screenRecord struct {
	QueryID string      `json:"query_id"`
	Hits    []match.Hit `json:"hits"`
}

// screen streams input rows through the index, one output record per row.
func screen(ctx context.Context, ix *match.Index, in io.Reader, file string, out io.Writer, opt screenOptions) error {
	cr := newCSVReader(in)
	cols, _, err := readHeader(cr, file, "id", "name")
	if err != nil {
		return err
	}
	pc := personColumnsOf(cols)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var cw *csv.Writer
	if opt.Format == "csv" {
		cw = csv.NewWriter(out)
		defer cw.Flush()
		if err := cw.Write([]string{"query_id", "rank", "id", "score", "matched_name", "explanation"}); err != nil {
			return err
		}
	}
	rows := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		id, p, err := readPerson(cr, file, pc, rec)
		if err != nil {
			return err
		}
		hits := ix.Search(p, opt.Top)
		kept := hits[:0]
		for _, h := range hits {
			if h.Score >= opt.Threshold {
				kept = append(kept, h)
			}
		}
		if cw != nil {
			for i, h := range kept {
				if err := cw.Write([]string{id, strconv.Itoa(i + 1), h.ID, strconv.FormatFloat(h.Score, 'f', 3, 64), h.MatchedName, h.Explanation.String()}); err != nil {
					return err
				}
			}
		} else if err := enc.Encode(screenRecord{id, kept}); err != nil {
			return err
		}
		rows++
		if opt.Progress != nil && rows%1000 == 0 {
			fmt.Fprintf(opt.Progress, "\rscreened %d rows", rows)
		}
	}
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, "\rscreened %d rows\n", rows)
	}
	return nil
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
