package forewarn

import (
	"testing"
	"time"
)

// TestClaimValidateRefuses: a period that ends before it starts and a source agency that
// is not an agency code are refused, naming the field; the edge cases that are fine pass.
func TestClaimValidateRefuses(t *testing.T) {
	now := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	date := func(s string) PartialDate {
		d, err := ParsePartialDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := func() *Claim {
		return &Claim{SubjectID: "s1", Kind: ClaimTravelEntry, Value: "TR", ValidFrom: date("2014"),
			Source: Source{Agency: "TR-MIT"}, Grading: Grading{Reliability: "B", Credibility: 2}}
	}
	cases := []struct {
		name  string
		edit  func(*Claim)
		field string // "" when the claim is valid
	}{
		{"from 2014 to 2013", func(c *Claim) { c.ValidTo = date("2013") }, "valid_to"},
		{"from 2014-03 to 2014-02", func(c *Claim) { c.ValidFrom, c.ValidTo = date("2014-03"), date("2014-02") }, "valid_to"},
		{"from 2014 to 2014", func(c *Claim) { c.ValidTo = date("2014") }, ""},
		{"from 2014-03 to 2014", func(c *Claim) { c.ValidFrom, c.ValidTo = date("2014-03"), date("2014") }, ""},
		{"source agency whoever", func(c *Claim) { c.Source.Agency = "whoever" }, "source.agency"},
		{"source agency lower case", func(c *Claim) { c.Source.Agency = "tr-mit" }, "source.agency"},
		{"named source only", func(c *Claim) { c.Source = Source{Name: "whoever"} }, ""},
	}
	for _, tc := range cases {
		c := base()
		tc.edit(c)
		err := c.Validate(now)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want it accepted", tc.name, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || e.Field != tc.field {
			t.Errorf("%s: %v, want EINVALID on %s", tc.name, err, tc.field)
		}
	}
}
