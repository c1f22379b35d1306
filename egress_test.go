package forewarn

import "testing"

// TestPermitsEgressTable is the egress rule written out as a table of expectations, mark
// by mark and way out by way out, independently of egress.go: each cell is what TLP 2.0
// and the third-party rule say, "" for "it goes" and the mark that must be named when it
// does not. TR-MIT is the originator, FR-DGSI the recipient (this node), BE-VSSE a third
// agency.
func TestPermitsEgressTable(t *testing.T) {
	const ok = ""
	marks := map[string]HandlingMarks{
		"CLEAR":            {TLP: TLPClear},
		"GREEN":            {TLP: TLPGreen},
		"AMBER":            {TLP: TLPAmber},
		"AMBER+STRICT":     {TLP: TLPAmberStrict, ReleasableTo: []string{"FR-DGSI"}},
		"RED":              {TLP: TLPRed, ReleasableTo: []string{"FR-DGSI"}},
		"release list":     {TLP: TLPGreen, ReleasableTo: []string{"FR-DGSI"}},
		"consent required": {TLP: TLPGreen, OriginatorConsentRequired: true},
	}
	ways := map[string]Egress{
		"forward to BE":            {Path: EgressForward, To: "BE-VSSE"},
		"forward to BE, consented": {Path: EgressForward, To: "BE-VSSE", Consent: true},
		"reply to originator":      {Path: EgressReply, To: "TR-MIT"},
		"reply quoting to BE":      {Path: EgressReply, To: "BE-VSSE"},
		"private query of BE":      {Path: EgressPrivate, To: "BE-VSSE"},
		"private query of origin":  {Path: EgressPrivate, To: "TR-MIT"},
		"export":                   {Path: EgressExport},
		"taxii":                    {Path: EgressTAXII},
		"email":                    {Path: EgressEmail},
		"webhook":                  {Path: EgressWebhook},
		"program token":            {Path: EgressProgram},
	}
	want := map[string]map[string]string{
		"CLEAR": {"private query of BE": ok, "private query of origin": ok, "forward to BE": ok, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": ok,
			"export": ok, "taxii": ok, "email": ok, "webhook": ok, "program token": ok},
		"GREEN": {"private query of BE": ok, "private query of origin": ok, "forward to BE": ok, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": ok,
			"export": ok, "taxii": ok, "email": ok, "webhook": ok, "program token": ok},
		"AMBER": {"private query of BE": MarkTLP, "private query of origin": ok, "forward to BE": MarkTLP, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": MarkTLP,
			"export": MarkTLP, "taxii": MarkTLP, "email": MarkTLP, "webhook": MarkTLP, "program token": ok},
		"AMBER+STRICT": {"private query of BE": MarkTLP, "private query of origin": ok, "forward to BE": MarkTLP, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": MarkTLP,
			"export": MarkTLP, "taxii": MarkTLP, "email": MarkTLP, "webhook": MarkTLP, "program token": ok},
		"RED": {"private query of BE": MarkTLP, "private query of origin": ok, "forward to BE": MarkTLP, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": MarkTLP,
			"export": MarkTLP, "taxii": MarkTLP, "email": MarkTLP, "webhook": MarkTLP, "program token": MarkTLP},
		"release list": {"private query of BE": MarkReleasableTo, "private query of origin": ok, "forward to BE": MarkReleasableTo, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": MarkReleasableTo,
			"export": MarkReleasableTo, "taxii": MarkReleasableTo, "email": ok, "webhook": ok, "program token": ok},
		"consent required": {"private query of BE": MarkConsent, "private query of origin": ok, "forward to BE": MarkConsent, "forward to BE, consented": ok, "reply to originator": ok, "reply quoting to BE": MarkConsent,
			"export": MarkConsent, "taxii": MarkConsent, "email": ok, "webhook": ok, "program token": ok},
	}
	for mname, m := range marks {
		for wname, e := range ways {
			exp, listed := want[mname][wname]
			if !listed {
				t.Fatalf("the table has no expectation for %s × %s", mname, wname)
			}
			e.Marks, e.Originator, e.MessageID = m, "TR-MIT", "m1"
			err := m.PermitsEgress(e)
			switch {
			case exp == ok && err != nil:
				t.Errorf("%s × %s: refused (%v), want it to go", mname, wname, err)
			case exp != ok && err == nil:
				t.Errorf("%s × %s: goes, want it refused naming %s", mname, wname, exp)
			case exp != ok:
				fe, isErr := err.(*Error)
				if !isErr || fe.Code != EFORBIDDEN || fe.Field != exp || fe.Rule != "egress" {
					t.Errorf("%s × %s: refused with %#v, want EFORBIDDEN naming %s", mname, wname, err, exp)
				}
			}
		}
	}
	if len(want) != len(marks) || len(ways) != len(EgressPaths)+3 {
		t.Fatalf("the table covers %d marks and %d ways; every path must be in it", len(want), len(ways))
	}
}

func TestPermitsEgressRefusesWhatItCannotName(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    HandlingMarks
		e    Egress
		mark string
	}{
		{"unknown TLP", HandlingMarks{TLP: "WHITE"}, Egress{Path: EgressProgram}, MarkTLP},
		{"no TLP", HandlingMarks{}, Egress{Path: EgressEmail}, MarkTLP},
		{"forward to no agency", HandlingMarks{TLP: TLPClear}, Egress{Path: EgressForward, To: "belgium"}, "to"},
		{"unknown way", HandlingMarks{TLP: TLPClear}, Egress{Path: "fax"}, "path"},
	} {
		err := tc.h.PermitsEgress(tc.e)
		fe, ok := err.(*Error)
		if !ok || fe.Code != EFORBIDDEN || fe.Field != tc.mark {
			t.Errorf("%s: %v, want EFORBIDDEN naming %s", tc.name, err, tc.mark)
		}
	}
}
