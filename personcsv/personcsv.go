// Package personcsv reads and writes persons as CSV: the `forewarn screen` format (id,
// name, birth_date, nationality, gender, document) with aliases, birthplace, notes, watch
// and claims besides. It is pure: it maps rows to and from Forewarn subjects.
//
// Columns (a header names them, in any order; only id and name are required):
//
//	id           the person's ID in the file; rows sharing it (one after the other) are one person
//	name         the primary name (on a repeated row: another alias)
//	aliases      more names, separated by ";"
//	birth_date   YYYY, YYYY-MM or YYYY-MM-DD
//	birthplace   free text
//	nationality  ISO 3166-1 alpha-2 codes, separated by ";" or spaces
//	gender       male, female or other
//	document     documents separated by ";", each kind:number:country or a bare number
//	watch        yes (or watchlisted) to put the subject on the watch list
//	notes        free text
//	claims       claims separated by ";", each kind:value:from:grading (travel_entry:TR:2013:B2),
//	             with a leading "!" for a negative claim ("!travel_exit:TR:2013:B2")
package personcsv

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/forewarn/forewarn"
)

// Columns is the header Writer writes, which Reader reads back.
var Columns = []string{"id", "name", "aliases", "birth_date", "birthplace", "nationality", "gender", "document", "watch", "notes", "claims"}

// separators are the field separators a file may use, in order of preference.
var separators = []rune{',', ';', '\t', '|'}

func separatorName(r rune) string {
	switch r {
	case '\t':
		return "tab"
	case ';':
		return "semicolon"
	case '|':
		return "vertical bar"
	}
	return "comma"
}

// DetectSeparator reads the header line and returns the separator it uses: the candidate
// that splits it into the most fields.
func DetectSeparator(header string) rune {
	best, most := ',', 0
	for _, s := range separators {
		if n := strings.Count(header, string(s)); n > most {
			best, most = s, n
		}
	}
	return best
}

// Reader maps a person CSV to import records. Open is called once per Read.
type Reader struct {
	Open    func() (io.ReadCloser, error)
	Dataset string
	Grading forewarn.Grading // of claims without a grading
	// Separator is the field separator; 0 detects it from the header.
	Separator rune

	skipped map[string]int
}

// Links returns none: a CSV states no links.
func (r *Reader) Links() []forewarn.ImportLink { return nil }

// Skipped counts the columns the last Read did not map.
func (r *Reader) Skipped() map[string]int { return r.skipped }

// Read streams the file's persons to fn; bad gets each row it cannot map.
func (r *Reader) Read(ctx context.Context, fn func(*forewarn.ImportRecord) error, bad func(forewarn.ImportError)) error {
	r.skipped = nil
	f, err := r.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	sep := r.Separator
	if sep == 0 {
		peek, _ := br.Peek(4096)
		line, _, _ := strings.Cut(string(peek), "\n")
		sep = DetectSeparator(line)
	}
	cr := csv.NewReader(br)
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return errors.New("empty file: want a header with id and name")
	}
	if err != nil {
		return fmt.Errorf("line 1: %w", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "alias" {
			h = "aliases"
		}
		if h == "nationalities" {
			h = "nationality"
		}
		if h == "documents" {
			h = "document"
		}
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
		if !slices.Contains(Columns, h) {
			if r.skipped == nil {
				r.skipped = map[string]int{}
			}
			r.skipped["column:"+h]++
		}
	}
	for _, c := range []string{"id", "name"} {
		if _, ok := cols[c]; !ok {
			return fmt.Errorf("line 1: the header has no %q column (it has %q, read with %s as the separator; the header needs id and name)",
				c, strings.Join(header, string(sep)), separatorName(sep))
		}
	}
	var cur *forewarn.ImportRecord
	var curBad bool
	seen := map[string]int{}
	emit := func() error {
		if cur == nil || curBad {
			return nil
		}
		rec := cur
		cur = nil
		return fn(rec)
	}
	for row := 0; ; row++ {
		if row%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		pos := fmt.Sprintf("line %d", line)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(forewarn.ImportError{Position: fmt.Sprintf("line %d", pe.Line), Reason: pe.Err.Error()})
				continue
			}
			return err
		}
		field := func(name string) string {
			i, ok := cols[name]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		id := field("id")
		if id == "" {
			bad(forewarn.ImportError{Position: pos, Reason: "empty id"})
			continue
		}
		if cur != nil && cur.ExternalID == id {
			if reason := r.addRow(cur, field, false); reason != "" {
				bad(forewarn.ImportError{Position: pos + " (id " + id + ")", Reason: reason})
				curBad = true
			}
			continue
		}
		if err := emit(); err != nil {
			return err
		}
		if first, dup := seen[id]; dup {
			bad(forewarn.ImportError{Position: pos + " (id " + id + ")", Reason: fmt.Sprintf("id %q was used at line %d: rows of one person must follow each other", id, first)})
			cur, curBad = nil, false
			continue
		}
		seen[id] = line
		cur = &forewarn.ImportRecord{ExternalID: id, Position: pos + " (id " + id + ")", Subject: forewarn.Subject{Watch: forewarn.WatchNone}}
		curBad = false
		if reason := r.addRow(cur, field, true); reason != "" {
			bad(forewarn.ImportError{Position: cur.Position, Reason: reason})
			curBad = true
		}
	}
	return emit()
}

// addRow adds one row's fields to the record; the reason when a field is bad.
func (r *Reader) addRow(rec *forewarn.ImportRecord, field func(string) string, first bool) string {
	s := &rec.Subject
	addName := func(v string, kind forewarn.NameKind) {
		v = strings.Join(strings.Fields(v), " ")
		if v == "" {
			return
		}
		for _, n := range s.Names {
			if n.Value == v {
				return
			}
		}
		s.Names = append(s.Names, forewarn.Name{Value: v, Kind: kind, Source: r.Dataset})
	}
	name := field("name")
	if first {
		if name == "" {
			return "empty name"
		}
		addName(name, forewarn.NamePrimary)
	} else {
		addName(name, forewarn.NameAlias)
	}
	for _, a := range splitList(field("aliases"), ";") {
		addName(a, forewarn.NameAlias)
	}
	if b := field("birth_date"); b != "" {
		d, err := forewarn.ParsePartialDate(b)
		if err != nil {
			return "birth_date: " + err.Error()
		}
		if s.BirthDate.IsZero() {
			s.BirthDate = d
		}
	}
	if b := field("birthplace"); b != "" && s.Birthplace == "" {
		s.Birthplace = b
	}
	for _, c := range strings.Fields(strings.ReplaceAll(field("nationality"), ";", " ")) {
		c = strings.ToUpper(c)
		if !forewarn.IsCountry(c) {
			return fmt.Sprintf("nationality: %q is not an ISO 3166-1 alpha-2 country code", c)
		}
		if !slices.Contains(s.Nationalities, c) {
			s.Nationalities = append(s.Nationalities, c)
		}
	}
	switch g := strings.ToLower(field("gender")); g {
	case "":
	case "m", "male":
		s.Gender = forewarn.GenderMale
	case "f", "female":
		s.Gender = forewarn.GenderFemale
	case "other", "x":
		s.Gender = forewarn.GenderOther
	default:
		return fmt.Sprintf("gender: %q is not male, female or other", g)
	}
	for _, d := range splitList(field("document"), ";") {
		doc := forewarn.Document{Kind: "document", Number: d}
		// kind:number:country; the number itself may hold colons ("TIN: 1831").
		if parts := strings.Split(d, ":"); len(parts) == 2 {
			doc = forewarn.Document{Kind: strings.TrimSpace(parts[0]), Number: strings.TrimSpace(parts[1])}
		} else if len(parts) > 2 {
			last := len(parts) - 1
			doc = forewarn.Document{Kind: strings.TrimSpace(parts[0]), Number: strings.TrimSpace(strings.Join(parts[1:last], ":")),
				Country: strings.ToUpper(strings.TrimSpace(parts[last]))}
		}
		if !slices.Contains(s.Documents, doc) {
			s.Documents = append(s.Documents, doc)
		}
	}
	switch w := strings.ToLower(field("watch")); w {
	case "":
	case "yes", "true", "1", "watchlisted":
		s.Watch = forewarn.WatchListed
	case "no", "false", "0", "none":
	default:
		return fmt.Sprintf("watch: %q is not yes or no", w)
	}
	if n := field("notes"); n != "" {
		if s.Notes != "" {
			s.Notes += "\n"
		}
		s.Notes += n
	}
	for _, c := range splitList(field("claims"), ";") {
		cl, reason := r.parseClaim(c)
		if reason != "" {
			return fmt.Sprintf("claims: %q: %s", c, reason)
		}
		rec.Claims = append(rec.Claims, cl)
	}
	return ""
}

// parseClaim reads kind:value:from:grading, with "!" in front for a negative claim.
func (r *Reader) parseClaim(s string) (*forewarn.Claim, string) {
	c := &forewarn.Claim{Source: forewarn.Source{Name: r.Dataset}, Grading: r.Grading}
	if rest, ok := strings.CutPrefix(s, "!"); ok {
		c.Negative, s = true, rest
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 4 {
		return nil, "want kind:value:from:grading (from and grading optional)"
	}
	c.Kind, c.Value = forewarn.ClaimKind(strings.TrimSpace(parts[0])), strings.TrimSpace(parts[1])
	if c.Kind == forewarn.ClaimTravelEntry || c.Kind == forewarn.ClaimTravelExit {
		c.Value = strings.ToUpper(c.Value)
	}
	if len(parts) >= 3 && strings.TrimSpace(parts[2]) != "" {
		d, err := forewarn.ParsePartialDate(strings.TrimSpace(parts[2]))
		if err != nil {
			return nil, err.Error()
		}
		c.ValidFrom = d
	}
	if len(parts) == 4 && strings.TrimSpace(parts[3]) != "" {
		g, err := forewarn.ParseGrading(parts[3])
		if err != nil {
			return nil, err.Error()
		}
		c.Grading = g
	}
	return c, ""
}

func splitList(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Writer writes subjects as person CSV rows under the Columns header.
type Writer struct {
	cw     *csv.Writer
	header bool
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Write writes one subject with the claims to export about it.
func (w *Writer) Write(s *forewarn.Subject, claims []*forewarn.Claim) error {
	if !w.header {
		w.header = true
		if err := w.cw.Write(Columns); err != nil {
			return err
		}
	}
	var aliases, docs, cls []string
	for _, n := range s.Names {
		if n.Kind != forewarn.NamePrimary {
			aliases = append(aliases, n.Value)
		}
	}
	for _, d := range s.Documents {
		docs = append(docs, d.Kind+":"+d.Number+":"+d.Country)
	}
	for _, c := range claims {
		if strings.ContainsAny(c.Value, ":;") {
			continue // not representable in this column; the FtM and STIX exports carry subjects only
		}
		neg := ""
		if c.Negative {
			neg = "!"
		}
		cls = append(cls, neg+string(c.Kind)+":"+c.Value+":"+c.ValidFrom.String()+":"+c.Grading.String())
	}
	watch := ""
	if s.Watch == forewarn.WatchListed {
		watch = "yes"
	}
	bd := ""
	if !s.BirthDate.IsZero() {
		bd = s.BirthDate.String()
	}
	return w.cw.Write([]string{s.ID, s.PrimaryName(), strings.Join(aliases, ";"), bd, s.Birthplace,
		strings.Join(s.Nationalities, ";"), string(s.Gender), strings.Join(docs, ";"), watch, s.Notes, strings.Join(cls, ";")})
}

// Flush writes out what is buffered and reports any write error.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}
