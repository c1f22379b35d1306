package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/match"
)

// TestPrivateSetFetchedInBackground: France keeps Turkey's private-match set up to date
// outside any query, over real HTTP between two nodes, on a simulated clock: a fetch
// without Turkey's agreement is refused and audited; with it, the set comes and the next
// query carries none; Turkey builds the next day's set before midnight, France fetches it
// once the day turned, and the first query of the new day carries no set and still finds a
// subject added after the build; a change of holdings comes as changes, in an answer or a
// fetch; changes that do not lead to the version named, or to a version France does not
// keep, are refused and audited, and the set kept stays as it was (issue 17).
func TestPrivateSetFetchedInBackground(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPrivateSetFetched(t, "") })
	t.Run("postgres", func(t *testing.T) { testPrivateSetFetched(t, testPostgres(t)) })
}

func testPrivateSetFetched(t *testing.T, pg string) {
	ctx := context.Background()
	var dsnFor func(string) string
	if pg != "" {
		dsns := map[string]string{}
		for _, ag := range []forewarn.Agency{agencyTR, agencyFR} {
			dsns[ag.Code] = freshSchema(t, pg, "psync_"+ag.Code)
		}
		dsnFor = func(code string) string { return dsns[code] }
	}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startClusterOn(ctx, t.TempDir(), day("2015-06-05 22:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil, dsnFor)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	create := func(name string, year int) {
		t.Helper()
		if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), &forewarn.Subject{Names: []forewarn.Name{{Value: name, Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: year}}); err != nil {
			t.Fatal(err)
		}
	}
	create("Omar Ismail Mostefai", 1985)
	rec := &recordingTransport{Transport: fr.msgs.Transport}
	fr.msgs.Transport = rec
	private := []forewarn.MessageKind{forewarn.KindNotification, forewarn.KindPrivateMatch}
	if err := fr.node.Store.SetAgreement(ctx, forewarn.SystemActor("test"), &forewarn.SharingAgreement{Agency: agencyTR.Code, Kinds: private, MaxTLP: forewarn.TLPAmber, PrivatePersonsPerDay: 100}); err != nil {
		t.Fatal(err)
	}
	kept := func() (string, string) {
		t.Helper()
		epoch, digest, err := fr.node.Store.PrivatePeerSetVersion(ctx, agencyTR.Code)
		if err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
			t.Fatal(err)
		}
		return epoch, digest
	}

	// Turkey has no agreement with France yet: its set is not sent outside an answer.
	refused := len(auditActions(t, tr.node.Store, "private_match.refuse"))
	if err := fr.msgs.PrivateSync(ctx); err != nil {
		t.Fatal(err)
	}
	es := auditActions(t, tr.node.Store, "private_match.refuse")
	if len(es) != refused+1 || es[len(es)-1].Actor.ID != agencyFR.Code || !strings.Contains(es[len(es)-1].Detail, "no sharing agreement") {
		t.Fatalf("Turkey audited %d refusals of the fetch without an agreement, want 1 naming it (%+v)", len(es)-refused, es[len(es)-1])
	}
	if epoch, _ := kept(); epoch != "" {
		t.Fatalf("France keeps a set of epoch %s after a refused fetch", epoch)
	}

	// With the agreement the background fetch brings the set; the next query carries none.
	if err := tr.node.Store.SetAgreement(ctx, forewarn.SystemActor("test"), &forewarn.SharingAgreement{Agency: agencyFR.Code, Kinds: private, MaxTLP: forewarn.TLPAmber, PrivatePersonsPerDay: 100}); err != nil {
		t.Fatal(err)
	}
	if err := fr.msgs.PrivateSync(ctx); err != nil {
		t.Fatal(err)
	}
	if epoch, _ := kept(); epoch != "2015-06-05" {
		t.Fatalf("after the fetch France keeps a set of epoch %q, want 2015-06-05", epoch)
	}
	if sent := auditActions(t, tr.node.Store, "private_match.set_sent"); len(sent) != 1 || !strings.Contains(sent[0].Detail, "the whole private-match set") {
		t.Fatalf("Turkey audited sending its set %d times (%v), want once, the whole set", len(sent), sent)
	}
	mostefai := app.PrivatePerson{Label: "M", Person: match.Person{Names: []string{"Ismaël Omar Mostefaï"}, BirthDate: "1985"}}
	abaaoud := app.PrivatePerson{Label: "A", Person: match.Person{Names: []string{"Abdelhamid Abaaoud"}, BirthDate: "1987"}}
	abdeslam := app.PrivatePerson{Label: "S", Person: match.Person{Names: []string{"Salah Abdeslam"}, BirthDate: "1989"}}
	ask := func(want []string, persons ...app.PrivatePerson) []string {
		t.Helper()
		n := len(rec.answers)
		q, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, persons)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range q.Results {
			if r.Band != want[i] {
				t.Errorf("%s: band %s, want %s", persons[i].Label, r.Band, want[i])
			}
		}
		carried, _ := answerCarries(t, rec, n)
		return carried
	}
	if carried := ask([]string{"strong"}, mostefai); !slices.Equal(carried, []string{""}) {
		t.Fatalf("the query after the fetch carried %v, want no set", carried)
	}

	// Before midnight Turkey builds the next day's set; a subject added after the build
	// is fingerprinted at the turn.
	c.clock.Set(day("2015-06-05 22:30"))
	if epoch, err := tr.msgs.PrivatePrepare(ctx); err != nil || epoch != "" {
		t.Fatalf("an hour and a half before midnight PrivatePrepare built %q, %v; want nothing yet", epoch, err)
	}
	c.clock.Set(day("2015-06-05 23:30"))
	if epoch, err := tr.msgs.PrivatePrepare(ctx); err != nil || epoch != "2015-06-06" {
		t.Fatalf("half an hour before midnight PrivatePrepare built %q, %v; want 2015-06-06", epoch, err)
	}
	if epoch, err := tr.msgs.PrivatePrepare(ctx); err != nil || epoch != "" {
		t.Fatalf("PrivatePrepare built %q again, %v", epoch, err)
	}
	create("Abdelhamid Abaaoud", 1987)
	// The day turns: France's worker fetches the new day's set, and the day's first
	// query carries none.
	c.clock.Set(day("2015-06-06 00:00").Add(30 * time.Second))
	n := len(rec.answers)
	if err := fr.msgs.PrivateSync(ctx); err != nil {
		t.Fatal(err)
	}
	if carried, _ := answerCarries(t, rec, n); !slices.Equal(carried, []string{"set"}) {
		t.Fatalf("the fetch after the turn carried %v, want the new day's set", carried)
	}
	if epoch, _ := kept(); epoch != "2015-06-06" {
		t.Fatalf("after the turn France keeps a set of epoch %q, want 2015-06-06", epoch)
	}
	if carried := ask([]string{"strong", "strong", "none"}, mostefai, abaaoud, abdeslam); !slices.Equal(carried, []string{""}) {
		t.Fatalf("the day's first query carried %v, want no set", carried)
	}

	// A change of holdings comes as changes: in an answer, and in a fetch.
	create("Salah Abdeslam", 1989)
	if carried := ask([]string{"strong"}, abdeslam); !slices.Equal(carried, []string{"changes"}) {
		t.Fatalf("the query after a change of holdings carried %v, want the changes", carried)
	}
	create("Brahim Abdeslam", 1984)
	n = len(rec.answers)
	if how, err := fr.msgs.FetchPeerSet(ctx, agencyTR.Code); err != nil || how != "changes" {
		t.Fatalf("a fetch after a change of holdings = %q, %v; want the changes", how, err)
	}
	if how, err := fr.msgs.FetchPeerSet(ctx, agencyTR.Code); err != nil || how != "unchanged" {
		t.Fatalf("a fetch with nothing changed = %q, %v; want unchanged", how, err)
	}
	if carried := ask([]string{"strong"}, app.PrivatePerson{Label: "B", Person: match.Person{Names: []string{"Brahim Abdeslam"}, BirthDate: "1984"}}); !slices.Equal(carried, []string{""}) {
		t.Fatalf("the query after the fetch carried %v, want no set", carried)
	}

	// Changes that do not lead where they say, re-signed with Turkey's key, are refused
	// and audited, and France keeps the version it had.
	rec.mu.Lock()
	rec.resign = tr.node.Signer
	rec.mu.Unlock()
	for i, bad := range []struct {
		name, want string
		tamper     func(*envelope.PrivateMatch)
	}{
		{"a fingerprint added left out", "do not give the version", func(p *envelope.PrivateMatch) {
			b, _ := envelope.DecodeChunks("set_added", p.SetAdded)
			p.SetAdded = envelope.EncodeChunks(b[8:])
		}},
		{"a fingerprint removed that is not kept", "do not apply", func(p *envelope.PrivateMatch) {
			p.SetRemoved = envelope.EncodeChunks([]byte{0, 0, 0, 0, 0, 0, 0, 1})
		}},
		{"fingerprints out of order", "not above", func(p *envelope.PrivateMatch) {
			p.SetAdded = envelope.EncodeChunks([]byte{0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1})
		}},
		{"changes to another version", "does not keep", func(p *envelope.PrivateMatch) {
			p.SetFrom = strings.Repeat("ab", 32)
		}},
	} {
		create("Newcomer Number"+strings.Repeat("o", i+1), 1990)
		_, before := kept()
		rec.mu.Lock()
		rec.tamper = bad.tamper
		rec.mu.Unlock()
		refused := len(auditActions(t, fr.node.Store, "private_match.refuse"))
		if how, err := fr.msgs.FetchPeerSet(ctx, agencyTR.Code); err == nil || !strings.Contains(forewarn.ErrorMessage(err), bad.want) {
			t.Errorf("%s: the fetch = %q, %v; want it refused (%q)", bad.name, how, err, bad.want)
		}
		if got := len(auditActions(t, fr.node.Store, "private_match.refuse")); got != refused+1 {
			t.Errorf("%s: France audited %d refusals, want 1", bad.name, got-refused)
		}
		if _, after := kept(); after != before {
			t.Errorf("%s: France's kept version changed from %.12s to %.12s", bad.name, before, after)
		}
	}
	rec.mu.Lock()
	rec.tamper = nil
	rec.mu.Unlock()
	if carried := ask([]string{"strong"}, abdeslam); !slices.Equal(carried, []string{"changes"}) {
		t.Fatalf("after the refused changes the query carried %v, want good changes", carried)
	}
}
