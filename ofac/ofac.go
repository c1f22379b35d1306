// Package ofac reads the US Treasury's OFAC SDN list in its legacy CSV form (sdn.csv with
// alt.csv aliases and add.csv addresses, no headers, "-0-" for empty) and maps its
// individuals to Forewarn import records. Entities, vessels and aircraft are counted and
// skipped. It is pure: it reads streams.
package ofac

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/forewarn/forewarn"
)

// Reader maps an SDN list to import records. OpenSDN opens sdn.csv; OpenAlt and OpenAdd
// open alt.csv and add.csv, and may be nil or return os.ErrNotExist when there is none.
type Reader struct {
	OpenSDN, OpenAlt, OpenAdd func() (io.ReadCloser, error)
	Dataset                   string
	Grading                   forewarn.Grading

	aliases   map[string][]string
	addresses map[string][]string
	skipped   map[string]int
}

// Links returns none: the SDN CSV states no links between individuals.
func (r *Reader) Links() []forewarn.ImportLink { return nil }

// Skipped counts what the last Read left out.
func (r *Reader) Skipped() map[string]int { return r.skipped }

func (r *Reader) skip(kind string) {
	if r.skipped == nil {
		r.skipped = map[string]int{}
	}
	r.skipped[kind]++
}

func null(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

func newCSV(rd io.Reader) *csv.Reader {
	cr := csv.NewReader(bufio.NewReaderSize(rd, 64<<10))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// side reads alt.csv or add.csv into ent_num → values built by value.
func side(open func() (io.ReadCloser, error), value func(rec []string) string) (map[string][]string, error) {
	out := map[string][]string{}
	if open == nil {
		return out, nil
	}
	f, err := open()
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := newCSV(f)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(rec) < 4 {
			continue
		}
		if v := value(rec); v != "" {
			out[null(rec[0])] = append(out[null(rec[0])], v)
		}
	}
}

// Read streams the list's individuals to fn.
func (r *Reader) Read(ctx context.Context, fn func(*forewarn.ImportRecord) error, bad func(forewarn.ImportError)) error {
	r.skipped = nil
	var err error
	if r.aliases == nil {
		if r.aliases, err = side(r.OpenAlt, func(rec []string) string { return null(rec[3]) }); err != nil {
			return fmt.Errorf("alt.csv: %w", err)
		}
		if r.addresses, err = side(r.OpenAdd, func(rec []string) string {
			var parts []string
			for _, p := range rec[2:min(len(rec), 5)] {
				if p = null(p); p != "" {
					parts = append(parts, p)
				}
			}
			return strings.Join(parts, ", ")
		}); err != nil {
			return fmt.Errorf("add.csv: %w", err)
		}
	}
	f, err := r.OpenSDN()
	if err != nil {
		return err
	}
	defer f.Close()
	cr := newCSV(f)
	for row := 0; ; row++ {
		if row%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(forewarn.ImportError{Position: fmt.Sprintf("line %d", pe.Line), Reason: pe.Err.Error()})
				continue
			}
			return err
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \r") == "" {
			continue // the DOS end-of-file mark OFAC's files end with
		}
		if len(rec) < 12 {
			bad(forewarn.ImportError{Position: fmt.Sprintf("line %d", line), Reason: fmt.Sprintf("an SDN row has 12 fields, this one %d", len(rec))})
			continue
		}
		if t := null(rec[2]); t != "individual" {
			if t == "" {
				t = "entity"
			}
			r.skip("sdn_type:" + t)
			continue
		}
		rr := r.individual(rec)
		rr.Position = fmt.Sprintf("line %d (ent_num %s)", line, rr.ExternalID)
		if err := fn(rr); err != nil {
			return err
		}
	}
}

var (
	dobRe  = regexp.MustCompile(`^DOB (?:circa )?(.+)$`)
	akaRe  = regexp.MustCompile(`a\.k\.a\. '([^']+)'`)
	passRe = regexp.MustCompile(`^(?:alt\. )?(Passport|National ID No\.|Cedula No\.|Identification Number) ([^ ]+)(?: \(([^)]+)\))?`)
)

// individual maps one SDN row (already known to be an individual).
func (r *Reader) individual(rec []string) *forewarn.ImportRecord {
	id := null(rec[0])
	s := forewarn.Subject{Watch: forewarn.WatchNone}
	seen := map[string]bool{}
	addName := func(v string, kind forewarn.NameKind) {
		v = strings.Join(strings.Fields(v), " ")
		if v == "" || seen[strings.ToLower(v)] || len(s.Names) == forewarn.MaxNames {
			return
		}
		seen[strings.ToLower(v)] = true
		s.Names = append(s.Names, forewarn.Name{Value: v, Kind: kind, Source: r.Dataset})
	}
	addName(null(rec[1]), forewarn.NamePrimary)
	for _, a := range r.aliases[id] {
		addName(a, forewarn.NameAlias)
	}
	remarks := null(rec[11])
	for _, m := range akaRe.FindAllStringSubmatch(remarks, -1) {
		addName(m[1], forewarn.NameAlias)
	}
	var claims []*forewarn.Claim
	claim := func(kind forewarn.ClaimKind, value string) {
		claims = append(claims, &forewarn.Claim{Kind: kind, Value: value, Source: forewarn.Source{Name: r.Dataset}, Grading: r.Grading})
	}
	if program := null(rec[3]); program != "" {
		claim(forewarn.ClaimAttribute, "sanctioned: "+program+" (OFAC)")
	}
	for _, part := range strings.Split(strings.TrimSuffix(remarks, "."), ";") {
		part = strings.TrimSpace(part)
		switch {
		case dobRe.MatchString(part):
			d, ok := parseDOB(dobRe.FindStringSubmatch(part)[1])
			if !ok {
				r.skip("value:DOB")
				continue
			}
			if s.BirthDate.IsZero() {
				s.BirthDate = d
			} else if d != s.BirthDate {
				claim(forewarn.ClaimAttribute, "birth_date: "+d.String())
			}
		case strings.HasPrefix(part, "POB "):
			if s.Birthplace == "" {
				s.Birthplace = clip(strings.TrimPrefix(part, "POB "), 200)
			}
		case strings.HasPrefix(part, "nationality "), strings.HasPrefix(part, "citizen "):
			_, name, _ := strings.Cut(part, " ")
			if c := CountryCode(name); c != "" {
				if !contains(s.Nationalities, c) {
					s.Nationalities = append(s.Nationalities, c)
				}
			} else {
				r.skip("value:nationality")
			}
		case strings.HasPrefix(part, "Gender "):
			switch strings.TrimPrefix(part, "Gender ") {
			case "Male":
				s.Gender = forewarn.GenderMale
			case "Female":
				s.Gender = forewarn.GenderFemale
			}
		case passRe.MatchString(part):
			m := passRe.FindStringSubmatch(part)
			kind := "passport"
			if m[1] != "Passport" {
				kind = "national_id"
			}
			d := forewarn.Document{Kind: kind, Number: strings.TrimSuffix(m[2], ","), Country: CountryCode(m[3])}
			if len(s.Documents) < forewarn.MaxDocuments && !containsDoc(s.Documents, d) {
				s.Documents = append(s.Documents, d)
			}
		}
	}
	for _, a := range r.addresses[id] {
		claim(forewarn.ClaimResidence, clip(a, 1000))
	}
	s.Notes = clip(remarks, forewarn.MaxNotesBytes)
	return &forewarn.ImportRecord{ExternalID: id, Subject: s, Claims: claims}
}

// parseDOB reads OFAC's "10 Dec 1948", "Dec 1948", "1948" and ranges ("1946 to 1948",
// taking the first year).
func parseDOB(v string) (forewarn.PartialDate, bool) {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, " to "); i > 0 {
		v = v[:i]
	}
	for _, layout := range []struct {
		layout string
		prec   int
	}{{"02 Jan 2006", 3}, {"Jan 2006", 2}, {"2006", 1}} {
		t, err := time.Parse(layout.layout, v)
		if err != nil {
			continue
		}
		d := forewarn.PartialDate{Year: t.Year()}
		if layout.prec >= 2 {
			d.Month = int(t.Month())
		}
		if layout.prec == 3 {
			d.Day = t.Day()
		}
		return d, true
	}
	return forewarn.PartialDate{}, false
}

var (
	countryOnce  sync.Once
	countryNames map[string]string
)

// CountryCode turns an English country name as OFAC writes it ("Egypt", "Russia") into its
// ISO 3166-1 alpha-2 code, or "" when it is not one.
func CountryCode(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return ""
	}
	countryOnce.Do(func() {
		m := map[string]string{}
		for _, code := range forewarn.CountryCodes() {
			reg, err := language.ParseRegion(code)
			if err != nil {
				continue
			}
			if n := display.English.Regions().Name(reg); n != "" {
				m[strings.ToLower(n)] = code
			}
		}
		for k, v := range map[string]string{"russia": "RU", "iran": "IR", "syria": "SY", "korea, north": "KP", "north korea": "KP",
			"korea, south": "KR", "burma": "MM", "united kingdom": "GB", "united states": "US", "venezuela": "VE",
			"bolivia": "BO", "tanzania": "TZ", "moldova": "MD", "vietnam": "VN", "laos": "LA", "palestinian": "PS",
			"congo, democratic republic of the": "CD", "west bank": "PS", "gaza": "PS", "turkey": "TR", "czech republic": "CZ"} {
			m[k] = v
		}
		countryNames = m
	})
	return countryNames[name]
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsDoc(list []forewarn.Document, d forewarn.Document) bool {
	for _, x := range list {
		if x.Kind == d.Kind && x.Number == d.Number {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
