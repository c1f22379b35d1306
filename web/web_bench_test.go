package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/web"
)

// benchFixtureVersion names the cached fixture; change it whenever the fixture or the
// schema changes, so a stale file is never measured.
const benchFixtureVersion = "web-bench-v2"

// Size of the benchmark's store: what a busy national node holds after some years.
const (
	benchSubjects = 100_000
	benchMessages = 100_000
)

var benchStart = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	firstNames = []string{"Omar", "Ismail", "Karim", "Samir", "Yassine", "Mehdi", "Ahmed", "Youssef", "Bilal", "Hamza", "Nabil", "Rachid", "Sofiane", "Walid", "Farid", "Tarek", "Adel", "Khaled", "Mourad", "Hicham", "Anis", "Ilyes", "Redouane", "Zakaria"}
	lastNames  = []string{"Benali", "Haddad", "Ouali", "Laroussi", "Mansouri", "Cherif", "Bouzid", "Amrani", "Belkacem", "Rahmani", "Saidi", "Zeroual", "Hamidi", "Boumediene", "Khelifi", "Mebarki", "Slimani", "Djebbar", "Ferhat", "Guerfi", "Kaci", "Lounes", "Meziane", "Nouri", "Rezki", "Tahar", "Yahi", "Ziani"}
)

func benchName(i int) string {
	return fmt.Sprintf("%s %s %s%d", firstNames[i%len(firstNames)], firstNames[(i/len(firstNames))%len(firstNames)], lastNames[(i/7)%len(lastNames)], i%997)
}

// benchFixture returns the path of the cached store, building it first when needed.
// Building goes through the store's public methods only; it is slow once (minutes), so the
// file is kept in the temporary directory under the fixture's version.
func benchFixture(b *testing.B) string {
	path := filepath.Join(os.TempDir(), "forewarn-"+benchFixtureVersion+".db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	b.Logf("building the benchmark store (%d subjects, %d messages) in %s; this happens once", benchSubjects, benchMessages, path)
	began := time.Now()
	if err := buildBenchStore(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %s", time.Since(began).Round(time.Second))
	return path
}

func benchKey() *keyfile.Key { return keyfile.FromSeed(make([]byte, 32)) }

func buildBenchStore(path string) error {
	ctx := context.Background()
	clock := app.NewSimClock(benchStart)
	// Durability does not matter while building a throw-away fixture; without fsync per
	// transaction the store's one-transaction-per-change methods run fast enough.
	sqldb, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(OFF)&_txlock=immediate")
	if err != nil {
		return err
	}
	key := benchKey()
	db := sqlstore.New(sqldb, sqlite.Dialect, sqlstore.Options{Now: clock.Now, Signer: key, Agency: agencyFR.Code})
	defer db.Close()
	if err := db.Migrate(ctx, sqlite.Migrations()); err != nil {
		return err
	}
	node := app.New(db, clock, key, nil)
	if _, err := node.Initialize(ctx, agencyFR, "admin"); err != nil {
		return err
	}
	hash, err := app.HashPassword(testPassword)
	if err != nil {
		return err
	}
	for _, r := range forewarn.Roles {
		if err := db.CreateUser(ctx, forewarn.SystemActor("bench"), &forewarn.User{Username: "b" + string(r), Roles: []forewarn.Role{r}, PasswordHash: hash}); err != nil {
			return err
		}
	}
	seed := make([]byte, 32)
	seed[0] = 1
	if err := db.AddPeer(ctx, forewarn.SystemActor("bench"), &forewarn.Peer{Agency: agencyTR, BaseURL: "http://127.0.0.1:9", PublicKey: keyfile.FromSeed(seed).PublicKey()}); err != nil {
		return err
	}
	analyst := forewarn.UserActor("banalyst")
	var subjectIDs []string
	for i := range benchSubjects {
		s := &forewarn.Subject{Names: []forewarn.Name{{Value: benchName(i), Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1960 + i%40, Month: 1 + i%12},
			Nationalities: []string{"FR"}, Watch: forewarn.WatchNone}
		if i%10 == 0 {
			s.Watch = forewarn.WatchListed
		}
		if err := db.CreateSubject(ctx, analyst, s); err != nil {
			return fmt.Errorf("subject %d: %w", i, err)
		}
		if i < 10 {
			subjectIDs = append(subjectIDs, s.ID)
		}
	}
	// The measured subject: claims that conflict, and matches to messages.
	target := subjectIDs[0]
	for _, c := range []*forewarn.Claim{
		{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2012}, Source: forewarn.Source{Agency: "FR-DGSI"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 3}},
		{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013}, Source: forewarn.Source{Agency: "TR-MIT"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
	} {
		c.SubjectID = target
		if err := db.CreateClaim(ctx, analyst, c); err != nil {
			return err
		}
	}
	peer := forewarn.Actor{Kind: forewarn.ActorPeer, ID: agencyTR.Code}
	var matches []*forewarn.Match
	for i := range benchMessages {
		clock.Advance(time.Minute)
		now := clock.Now()
		m := &forewarn.Message{ID: forewarn.NewID(now), Version: 1, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: now, Kind: forewarn.KindNotification,
			Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}},
			Notification: &forewarn.Notification{Summary: fmt.Sprintf("Warning %d", i), Priority: forewarn.PriorityRoutine, AcknowledgeBy: now.Add(30 * 24 * time.Hour),
				Persons: []forewarn.PersonDescriptor{{Ref: "p1", Names: []forewarn.Name{{Value: benchName(i * 7), Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1970 + i%30}}}}}
		d := &forewarn.Delivery{MessageID: m.ID, Agency: agencyFR.Code, Direction: forewarn.DirectionIn, DeliveredAt: now, Deadline: m.Notification.AcknowledgeBy}
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("{}"), Direction: forewarn.DirectionIn, StoredAt: now, Priority: forewarn.PriorityRoutine, Deliveries: []*forewarn.Delivery{d}}
		if _, _, err := db.ReceiveMessage(ctx, peer, sm, []byte("receipt")); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		// One in a hundred goes unanswered past its deadline.
		if i%100 == 0 {
			e := &forewarn.Escalation{ID: forewarn.NewID(now), MessageID: m.ID, Agency: agencyFR.Code, Side: forewarn.SideRecipient, Step: 1, Notify: forewarn.RoleLiaison,
				Text: "notification from TR-MIT is not acknowledged", FiredAt: m.Notification.AcknowledgeBy}
			if err := db.Escalate(ctx, e, time.Time{}); err != nil {
				return fmt.Errorf("escalate %d: %w", i, err)
			}
		}
		if i < 5 {
			matches = append(matches, &forewarn.Match{MessageID: m.ID, PersonRef: "p1", Fingerprint: fmt.Sprintf("%032x", i), SubjectID: target, Score: 0.9,
				Summary: "0.90: bench", Explanation: []byte(`{"score":0.9,"query":"a","candidate":"b","reasons":["exact"],"pairs":[{"query":"a","candidate":"b","similarity":1,"reason":"exact","weight":1}]}`),
				Status: forewarn.MatchPending})
		}
	}
	return db.CreateMatches(ctx, analyst, matches, nil)
}

// benchClient is a signed-in browser for the benchmark.
type benchClient struct {
	c    *http.Client
	base string
}

func benchLogin(b *testing.B, base, user string) *benchClient {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/login")
	if err != nil {
		b.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(form)
	if m == nil {
		b.Fatal("the sign-in form carries no CSRF token")
	}
	res, err = c.PostForm(base+"/login", url.Values{"username": {user}, "password": {testPassword}, "csrf": {string(m[1])}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("sign in as %s: status %d", user, res.StatusCode)
	}
	return &benchClient{c: c, base: base}
}

func (bc *benchClient) get(b *testing.B, path string, want *regexp.Regexp) {
	res, err := bc.c.Get(bc.base + path)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !want.Match(body) {
		b.Fatalf("GET %s: status %d, or the page lacks %s", path, res.StatusCode, want)
	}
}

// BenchmarkPages measures the pages people open most against a store of 100,000 subjects and 100,000
// messages; the target is under 100 ms a page.
func BenchmarkPages(b *testing.B) {
	path := benchFixture(b)
	ctx := context.Background()
	clock := app.NewSimClock(benchStart.Add(time.Duration(benchMessages+1) * time.Minute))
	key := benchKey()
	store, err := sqlite.Open(path, sqlstore.Options{Now: clock.Now, Signer: key, Agency: agencyFR.Code})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	node := app.New(store, clock, key, nil)
	began := time.Now()
	if err := node.LoadMatcher(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("match index loaded in %s", time.Since(began).Round(time.Millisecond))
	srv := httptest.NewServer(web.New(node, app.NewMessages(node, nil), nil).Handler())
	defer srv.Close()
	ms, _, err := store.Matches(ctx, forewarn.MatchFilter{Limit: 1})
	if err != nil || len(ms) == 0 {
		b.Fatalf("the fixture has no match: %v", err)
	}
	subject := ms[0].SubjectID
	pages := []struct {
		name, user, path string
		want             string
	}{
		{"inbox", "bliaison", "/inbox", `Warning \d+`},
		{"overdue", "bsupervisor", "/overdue", `overdue since`},
		{"subject", "banalyst", "/subjects/" + subject + "?purpose=investigation", `Conflicting claims`},
		{"search", "banalyst", "/search?purpose=investigation&name=" + url.QueryEscape(benchName(4242)), `score`},
		{"audit", "boversight", "/audit?after=latest", `message\.receive|subject\.read`},
		{"message", "bliaison", "/messages/" + ms[0].MessageID + "?purpose=liaison-request", `Warning \d+`},
		{"matches", "banalyst", "/matches?purpose=investigation", `Warning \d+`},
		{"subjects", "banalyst", "/subjects?purpose=investigation", `[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+\d+`},
		{"alerts", "bliaison", "/alerts?purpose=liaison-request", `Warning \d+`},
		{"outbox", "bliaison", "/outbox", `Outbox`},
		{"private", "bliaison", "/private", `Ask privately`},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			bc := benchLogin(b, srv.URL, p.user)
			want := regexp.MustCompile(p.want)
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				bc.get(b, p.path, want)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}
