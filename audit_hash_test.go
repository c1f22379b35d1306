package forewarn

import (
	"strings"
	"testing"
	"time"
)

// TestAuditHashEncoding pins the chain hash's bytes: an entry without a token keeps the v1
// encoding, so chains written before tokens were recorded verify unchanged; an entry made
// with a token is v2 and covers the token's ID.
func TestAuditHashEncoding(t *testing.T) {
	e := AuditEntry{Seq: 7, Time: time.Date(2014, 12, 1, 9, 0, 0, 123, time.UTC), Actor: UserActor("liaison"), Action: "subject.read",
		ObjectType: "subject", ObjectID: "0192c0de-0000-7000-8000-000000000001", Detail: "from the inbox", PrevHash: GenesisHash}
	const v1 = "0f0868859b1979eca483e408d2658eb2259214f236f08a9af377eb482b837894"
	if got := e.ComputeHash(); got != v1 {
		t.Errorf("v1 hash = %s, want %s (the encoding of existing chains changed)", got, v1)
	}
	e.Actor.Token = "0192c0de-0000-7000-8000-0000000000aa"
	const v2 = "14e7d8c472df7dfa4a16eff03330dbed947ff47666b1b95e46d5078e80bc485f"
	if got := e.ComputeHash(); got != v2 {
		t.Errorf("v2 hash = %s, want %s", got, v2)
	}
}

func TestAuditText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"GET /api/v1/subjects", 200, "GET /api/v1/subjects"},
		{"GET /x\n2015-01-01 forged entry", 200, `GET /x\x0a2015-01-01 forged entry`},
		{"a\x00b\x1b[31mc\u202Ed\u200Be", 200, `a\x00b\x1b[31mc\u202ed\u200be`},
		{"Mostefa\xff", 200, "Mostefa\uFFFD"},
		{"Ismaël Omar Mostefaï", 200, "Ismaël Omar Mostefaï"},
		{strings.Repeat("é", 200), 11, "éééé…"},
	} {
		got := AuditText(tc.in, tc.max)
		if got != tc.want || len(got) > tc.max {
			t.Errorf("AuditText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
