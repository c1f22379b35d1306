package ofac

import (
	"context"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func TestReader(t *testing.T) {
	sdn := `2676,"AL ZAWAHIRI, Dr. Ayman","individual","SDGT","Operational and Military Leader of JIHAD GROUP",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 19 Jun 1951; POB Giza, Egypt; nationality Egypt; Passport 1084010 (Egypt); alt. Passport 19820215; Gender Male; a.k.a. 'Abu Muhammad'."
306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. 'BNC'."
7001,"DOE, John","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB Mar 1970; DOB 1972; nationality Atlantis."
7002,"SHORT, Row","individual"
` + "\x1a"
	alt := `2676,1,"aka","AL-ZAWAHIRI, Ayman",-0- ` + "\n"
	add := `2676,10,-0- ,"Cairo","Egypt",-0- ` + "\n"
	r := &Reader{OpenSDN: opener(sdn), OpenAlt: opener(alt), OpenAdd: opener(add), Dataset: "us_ofac_sdn", Grading: forewarn.Grading{Reliability: "A", Credibility: 2}}
	var recs []*forewarn.ImportRecord
	var bad []forewarn.ImportError
	if err := r.Read(context.Background(), func(rec *forewarn.ImportRecord) error { recs = append(recs, rec); return nil },
		func(e forewarn.ImportError) { bad = append(bad, e) }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(bad) != 1 || !strings.Contains(bad[0].Position, "line 4") {
		t.Fatalf("records %d, bad %v; want 2 individuals and the short row at line 4 (the end-of-file mark is no row)", len(recs), bad)
	}
	z := recs[0].Subject
	var names []string
	for _, n := range z.Names {
		names = append(names, n.Value)
	}
	if strings.Join(names, "|") != "AL ZAWAHIRI, Dr. Ayman|AL-ZAWAHIRI, Ayman|Abu Muhammad" {
		t.Errorf("names = %q", names)
	}
	if z.BirthDate.String() != "1951-06-19" || z.Birthplace != "Giza, Egypt" || z.Gender != forewarn.GenderMale || len(z.Nationalities) != 1 || z.Nationalities[0] != "EG" {
		t.Errorf("subject = %+v", z)
	}
	if len(z.Documents) != 2 || z.Documents[0].Country != "EG" || z.Documents[1].Number != "19820215" {
		t.Errorf("documents = %+v", z.Documents)
	}
	var claims []string
	for _, c := range recs[0].Claims {
		claims = append(claims, string(c.Kind)+":"+c.Value)
	}
	if strings.Join(claims, "|") != "attribute:sanctioned: SDGT (OFAC)|residence:Cairo, Egypt" {
		t.Errorf("claims = %q", claims)
	}
	doe := recs[1]
	if doe.Subject.BirthDate.String() != "1970-03" || len(doe.Claims) != 2 || doe.Claims[1].Value != "birth_date: 1972" {
		t.Errorf("John Doe = %+v %v", doe.Subject, doe.Claims)
	}
	if r.Skipped()["sdn_type:entity"] != 1 || r.Skipped()["value:nationality"] != 1 {
		t.Errorf("skipped = %v", r.Skipped())
	}
	// alt.csv and add.csv may be absent.
	r = &Reader{OpenSDN: opener(sdn), OpenAlt: func() (io.ReadCloser, error) { return nil, fs.ErrNotExist }, Dataset: "x"}
	if err := r.Read(context.Background(), func(*forewarn.ImportRecord) error { return nil }, func(forewarn.ImportError) {}); err != nil {
		t.Fatalf("without alt.csv and add.csv: %v", err)
	}
}
