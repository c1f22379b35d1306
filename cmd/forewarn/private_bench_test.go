package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/testdata"
	"github.com/forewarn/forewarn/match"
	"github.com/forewarn/forewarn/match/eval"
	"github.com/forewarn/forewarn/psi"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

// privateHoldings and privateAsked are the sizes issue 17 sets: a query of 100 persons
// answered by a node holding 100,000 subjects.
const (
	privateHoldings = 100_000
	privateAsked    = 100
)

// BenchmarkPrivateQuery measures a private query of 100 persons, asked by France of a
// Turkish node holding 100,000 subjects, over real HTTP on loopback, on SQLite and on
// PostgreSQL: from blinding to bands, the answer's signature checked and both sides'
// records written (the limit, issue 17: under 2 s). ns/op is a query with Turkey's set
// kept by France. Besides it reports, in seconds:
//   - s-setup: the day's fingerprints of the holdings, computed once (PrivateWarm);
//   - s-first: a query that carries the whole set (none kept yet: what a query costs when
//     it comes before the background fetch);
//   - s-delta: a query after 100 subjects were added to Turkey's holdings, which carries
//     the changes (Turkey fingerprints the 100 in it);
//   - s-prepare: Turkey's build of the next day's set before midnight (in the background);
//   - s-fetch: France's background fetch of the new day's set once the day turned;
//   - s-turn: the first user query of the new day, the fetch done;
//
// and MB-first, MB-delta and MB-turn, the size of those three answers.
func BenchmarkPrivateQuery(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPrivateQuery(b, "") })
	b.Run("postgres", func(b *testing.B) { benchPrivateQuery(b, testPostgres(b)) })
}

func benchPrivateQuery(b *testing.B, pg string) {
	ctx := context.Background()
	ofac, _, err := eval.LoadOFACDir(testdata.Path(b, "names", "ofac"))
	if err != nil {
		b.Fatal(err)
	}
	names := eval.Synthetic(ofac, privateHoldings, 21)
	var dsnFor func(string) string
	dsns := map[string]string{}
	if pg != "" {
		for _, ag := range []forewarn.Agency{agencyTR, agencyFR} {
			dsns[ag.Code] = freshSchema(b, pg, "priv_"+ag.Code)
		}
		dsnFor = func(code string) string { return dsns[code] }
	}
	dir := b.TempDir()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startClusterOn(ctx, dir, day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil, dsnFor)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	bulkSubjects(b, pg, dsns[agencyTR.Code], filepath.Join(dir, agencyTR.Code, dbFileName), names)
	// Each may ask the other privately, so France fetches Turkey's set in the background.
	private := []forewarn.MessageKind{forewarn.KindNotification, forewarn.KindPrivateMatch}
	for _, n := range []*liveNode{tr, fr} {
		other := agencyFR.Code
		if n == fr {
			other = agencyTR.Code
		}
		if err := n.node.Store.SetAgreement(ctx, forewarn.SystemActor("bench"), &forewarn.SharingAgreement{Agency: other, Kinds: private, MaxTLP: forewarn.TLPAmber, PrivatePersonsPerDay: forewarn.MaxPrivateLimit}); err != nil {
			b.Fatal(err)
		}
	}
	sizes := &answerSizes{Transport: fr.msgs.Transport}
	fr.msgs.Transport = sizes
	start := time.Now()
	if err := tr.msgs.PrivateWarm(ctx); err != nil {
		b.Fatal(err)
	}
	setup := time.Since(start)
	// Every other person asked is held (its name with one letter changed in half of
	// them, as eval.Queries does); the others are recombined names nobody holds.
	var persons []app.PrivatePerson
	for i := range privateAsked {
		e := names[(i*997)%len(names)]
		name := e.Person.Names[0]
		if i%2 == 1 {
			name = eval.Unlisted(names[:2000], 1, uint64(i))[0]
		}
		persons = append(persons, app.PrivatePerson{Label: name, Person: match.Person{Names: []string{name}, BirthDate: e.Person.BirthDate}})
	}
	ask := func() (time.Duration, int) {
		start := time.Now()
		q, err := fr.msgs.AskPrivately(ctx, actor(forewarn.RoleLiaison), agencyTR.Code, persons)
		if err != nil {
			b.Fatal(err)
		}
		hits := 0
		for _, r := range q.Results {
			if r.Band != forewarn.PrivateBandNone {
				hits++
			}
		}
		return time.Since(start), hits
	}
	// No set kept yet: the query carries Turkey's set, which France then keeps.
	first, _ := ask()
	mbFirst := sizes.last()
	hits := 0
	b.ResetTimer()
	for b.Loop() {
		_, hits = ask()
	}
	b.StopTimer()
	if hits < privateAsked/4 {
		b.Fatalf("%d of %d persons hit; half of them are held", hits, privateAsked)
	}
	// 100 subjects added to Turkey's holdings: the next query carries the changes.
	at := c.clock.Now()
	for i, name := range eval.Unlisted(names[:2000], 100, 99) {
		s := &forewarn.Subject{Names: []forewarn.Name{{Value: name, Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1950 + i%50}}
		if err := tr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s); err != nil {
			b.Fatal(err)
		}
	}
	delta, _ := ask()
	mbDelta := sizes.last()
	// Half an hour before midnight Turkey builds the next day's set; once the day turned
	// France's worker fetches it, and the day's first query carries none.
	c.clock.Set(at.UTC().Truncate(24 * time.Hour).Add(23*time.Hour + 30*time.Minute))
	start = time.Now()
	if epoch, err := tr.msgs.PrivatePrepare(ctx); err != nil || epoch == "" {
		b.Fatalf("the next day's set was not built: %q, %v", epoch, err)
	}
	prepare := time.Since(start)
	c.clock.Set(at.UTC().Truncate(24 * time.Hour).Add(24*time.Hour + 30*time.Second))
	start = time.Now()
	if err := fr.msgs.PrivateSync(ctx); err != nil {
		b.Fatal(err)
	}
	fetch := time.Since(start)
	if epoch, _, err := fr.node.Store.PrivatePeerSetVersion(ctx, agencyTR.Code); err != nil || epoch != c.clock.Now().UTC().Format(time.DateOnly) {
		b.Fatalf("after the background fetch France keeps epoch %q, %v", epoch, err)
	}
	turn, _ := ask()
	mbTurn := sizes.last()
	// An answer without the set carries the evaluated elements alone, in base64.
	if evaluated := float64(privateAsked*psi.MaxElements*psi.ElementSize) * 4 / 3 / 1e6; mbTurn > evaluated+0.01 {
		b.Fatalf("the day's first query after the fetch carried %.2f MB, more than the %.2f MB of its elements (the set is %.1f MB)", mbTurn, evaluated, mbFirst)
	}
	b.ReportMetric(setup.Seconds(), "s-setup")
	b.ReportMetric(first.Seconds(), "s-first")
	b.ReportMetric(delta.Seconds(), "s-delta")
	b.ReportMetric(prepare.Seconds(), "s-prepare")
	b.ReportMetric(fetch.Seconds(), "s-fetch")
	b.ReportMetric(turn.Seconds(), "s-turn")
	b.ReportMetric(mbFirst, "MB-first")
	b.ReportMetric(mbDelta, "MB-delta")
	b.ReportMetric(mbTurn, "MB-turn")
	b.ReportMetric(float64(hits), "hits/query")
}

// answerSizes passes private_match documents on and remembers the size of the last answer.
type answerSizes struct {
	app.Transport
	mu    sync.Mutex
	bytes int
}

func (a *answerSizes) PrivateMatch(ctx context.Context, peer *forewarn.Peer, doc []byte) ([]byte, error) {
	ans, err := a.Transport.(app.PrivateTransport).PrivateMatch(ctx, peer, doc)
	if err == nil && !bytes.Contains(ans[:min(len(ans), 200)], []byte(`"recorded"`)) {
		a.mu.Lock()
		a.bytes = len(ans)
		a.mu.Unlock()
	}
	return ans, err
}

// last is the size of the last answer in MB.
func (a *answerSizes) last() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return float64(a.bytes) / 1e6
}

// bulkSubjects writes subjects straight into a store, in one transaction: the benchmark
// measures answering, and 100,000 audited writes would take most of its time.
func bulkSubjects(b *testing.B, pg, dsn, path string, names []match.Entry) {
	b.Helper()
	driver, source := "sqlite", sqlite.DSN(path)
	if pg != "" {
		driver, source = "pgx", dsn
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	q := "INSERT INTO subjects (id, primary_name, watch, data, created_at, updated_at) VALUES (?, ?, 'none', ?, ?, ?)"
	if pg != "" {
		q = "INSERT INTO subjects (id, primary_name, watch, data, created_at, updated_at) VALUES ($1, $2, 'none', $3, $4, $5)"
	}
	ins, err := tx.Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2014, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, e := range names {
		var y int
		fmt.Sscan(e.Person.BirthDate, &y)
		s := forewarn.Subject{ID: forewarn.NewID(at), Names: []forewarn.Name{{Value: e.Person.Names[0], Kind: forewarn.NamePrimary}},
			BirthDate: forewarn.PartialDate{Year: y}, Watch: forewarn.WatchNone, CreatedAt: at, UpdatedAt: at}
		data, _ := json.Marshal(&s)
		if _, err := ins.Exec(s.ID, s.PrimaryName(), string(data), sqlstore.FormatTime(at), sqlstore.FormatTime(at)); err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Second)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
