package forewarn

import (
	"strings"
	"testing"
)

func claim(id string, kind ClaimKind, country, date, agency string, negative bool) *Claim {
	d, err := ParsePartialDate(date)
	if err != nil {
		panic(err)
	}
	return &Claim{ID: id, Kind: kind, Value: country, ValidFrom: d, Source: Source{Agency: agency}, Grading: Grading{"B", 2}, Negative: negative}
}

func TestClaimConflicts(t *testing.T) {
	tests := []struct {
		name   string
		claims []*Claim
		want   []string // "kind:id,id"
		text   string   // a substring of the first conflict's text
	}{
		{
			name: "the case: 2012 per Europe, 2013 per Turkey with no exit record",
			claims: []*Claim{
				claim("eu", ClaimTravelEntry, "TR", "2012", "FR-DGSI", false),
				claim("tr", ClaimTravelEntry, "TR", "2013", "TR-MIT", false),
				claim("tr-x", ClaimTravelExit, "TR", "", "TR-MIT", true),
			},
			want: []string{"contradiction:eu,tr", "no_exit_record:tr,tr-x"},
			text: "FR-DGSI says 2012",
		},
		{
			name: "overlapping dates are one account",
			claims: []*Claim{
				claim("a", ClaimTravelEntry, "TR", "2013", "FR-DGSI", false),
				claim("b", ClaimTravelEntry, "TR", "2013-05", "TR-MIT", false),
				claim("x", ClaimTravelExit, "TR", "2013-09", "TR-MIT", false),
			},
			want: nil,
		},
		{
			name: "an exit between two entries makes two journeys",
			claims: []*Claim{
				claim("a", ClaimTravelEntry, "SY", "2012-01", "FR-DGSI", false),
				claim("x", ClaimTravelExit, "SY", "2012-06", "FR-DGSI", false),
				claim("b", ClaimTravelEntry, "SY", "2014-01", "TR-MIT", false),
			},
			want: []string{"no_exit_record:b"},
			text: "entered SY 2014-01",
		},
		{
			name:   "entry then exit is not flagged",
			claims: []*Claim{claim("a", ClaimTravelEntry, "TR", "2013", "TR-MIT", false), claim("x", ClaimTravelExit, "TR", "2014", "TR-MIT", false)},
			want:   nil,
		},
		{
			name:   "other kinds are ignored",
			claims: []*Claim{{ID: "r", Kind: ClaimResidence, Value: "Chartres"}},
			want:   nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ClaimConflicts(tc.claims)
			var keys []string
			for _, c := range got {
				keys = append(keys, string(c.Kind)+":"+strings.Join(c.ClaimIDs, ","))
			}
			if strings.Join(keys, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("conflicts = %v, want %v", keys, tc.want)
			}
			if tc.text != "" && !strings.Contains(got[0].Text, tc.text) {
				t.Errorf("text %q lacks %q", got[0].Text, tc.text)
			}
		})
	}
}

func TestClaimConflictsPreferred(t *testing.T) {
	a := claim("eu", ClaimTravelEntry, "TR", "2012", "FR-DGSI", false)
	b := claim("tr", ClaimTravelEntry, "TR", "2013", "TR-MIT", false)
	b.Preferred = true
	got := ClaimConflicts([]*Claim{a, b})
	if len(got) == 0 || got[0].Preferred != "tr" {
		t.Fatalf("preferred claim not reported: %+v", got)
	}
}
