package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/ftm"
	"github.com/forewarn/forewarn/match"
)

// subjectEntry is a subject as the screening index holds it.
func subjectEntry(s *forewarn.Subject) match.Entry {
	p := match.Person{BirthDate: s.BirthDate.String(), Nationalities: s.Nationalities, Gender: string(s.Gender)}
	for _, n := range s.Names {
		p.Names = append(p.Names, n.Value)
	}
	for _, d := range s.Documents {
		p.Documents = append(p.Documents, d.Number)
	}
	return match.Entry{ID: s.ID, Person: p}
}

// nodeWatchList indexes the subjects of the node in the data directory. Screening shows
// who matched, so it is recorded in the audit trail as one read of the subjects.
func (m *Main) nodeWatchList(ctx context.Context, nf *nodeFlags, pf *purposeFlags, input string) (*match.Index, error) {
	node, err := m.openNode(ctx, nf)
	if err != nil {
		return nil, err
	}
	defer node.Store.Close()
	// Screening prints who of the node's subjects each row matches: a consultation of
	// persons, so it takes a purpose, recorded with the read as a subject page's is.
	if ctx, err = node.Consult(ctx, pf.purpose()); err != nil {
		return nil, m.flagError(err)
	}
	ix := match.NewIndex()
	n := 0
	err = node.Store.ScanSubjects(ctx, func(s *forewarn.Subject) error {
		n++
		return ix.Add(subjectEntry(s))
	})
	if err != nil {
		return nil, err
	}
	return ix, node.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: nf.actor(), Action: "subject.screen", ObjectType: "subject",
		Detail: fmt.Sprintf("screened %s against %d subjects", input, n)})
}

// apiWatchList indexes the subjects of a running node, read page by page through its API
// (each page an audited read there).
func apiWatchList(ctx context.Context, af *apiFlags, pf *purposeFlags) (*match.Index, error) {
	ix := match.NewIndex()
	for offset := 0; ; {
		var page struct {
			Items           []*forewarn.Subject `json:"items"`
			Total           int                 `json:"total"`
			DetailsWithheld string              `json:"details_withheld"`
		}
		q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {"1000"}}
		if pu := pf.purpose(); pu.Code != "" || pu.Text != "" {
			q.Set("purpose", pu.Code)
			q.Set("purpose_text", pu.Text)
		}
		if err := af.call(ctx, "GET", "/api/v1/subjects?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		if page.DetailsWithheld != "" {
			// Screening against nameless subjects would find no one, silently.
			return nil, fmt.Errorf("--purpose: the node shows who its subjects are only for a purpose; give one ('forewarn purpose list')")
		}
		for _, s := range page.Items {
			if err := ix.Add(subjectEntry(s)); err != nil {
				return nil, err
			}
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || offset >= page.Total {
			return ix, nil
		}
	}
}

// screenInput returns the travellers to screen as screen CSV: a CSV passes through; FtM
// JSON lines (sniffed by a leading "{") are turned into one row per person. Nothing is
// read before the first read: the list may be loading, and its errors come first.
func screenInput(in io.Reader) io.Reader { return &sniffedInput{in: in} }

type sniffedInput struct {
	in, r io.Reader
}

func (s *sniffedInput) Read(p []byte) (int, error) {
	if s.r == nil {
		s.r = sniffInput(s.in)
	}
	return s.r.Read(p)
}

func sniffInput(in io.Reader) io.Reader {
	br := bufio.NewReaderSize(in, 64<<10)
	head, _ := br.Peek(512)
	if len(bytes.TrimLeft(head, "\ufeff \t\r\n")) == 0 || bytes.TrimLeft(head, "\ufeff \t\r\n")[0] != '{' {
		return br
	}
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		w.Write([]string{"id", "name", "birth_date", "nationality", "gender", "document"})
		r := &ftm.Reader{Open: func() (io.ReadCloser, error) { return io.NopCloser(br), nil }, Dataset: "input"}
		r.SkipRelations = true
		err := r.Read(context.Background(), func(rec *forewarn.ImportRecord) error {
			s := &rec.Subject
			var docs []string
			for _, d := range s.Documents {
				docs = append(docs, d.Number)
			}
			bd := ""
			if !s.BirthDate.IsZero() {
				bd = s.BirthDate.String()
			}
			return w.Write([]string{rec.ExternalID, s.PrimaryName(), bd, strings.Join(s.Nationalities, ";"), string(s.Gender), strings.Join(docs, ";")})
		}, func(forewarn.ImportError) {})
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		pw.CloseWithError(err)
	}()
	return pr
}
