package main

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/postgres"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

// These tests show that a serving node sees every committed change before it matches,
// whoever wrote it: another process running the CLI, or any program writing through the
// store (an import), while the node serves, with no restart.

// followProcs sets up TR-MIT and FR-DGSI as processes, FR-DGSI on the store frDB ("" for
// SQLite in its data directory), each knowing the other, and starts both.
func followProcs(t *testing.T, frDB string) (tr, fr *proc) {
	t.Helper()
	root := t.TempDir()
	dbArgs := func(p *proc) []string {
		if p.code == "FR-DGSI" && frDB != "" {
			return []string{"--db", frDB}
		}
		return nil
	}
	tr = &proc{code: "TR-MIT", dir: filepath.Join(root, "tr"), port: freePort(t)}
	fr = &proc{code: "FR-DGSI", dir: filepath.Join(root, "fr"), port: freePort(t)}
	ps := []*proc{tr, fr}
	for _, p := range ps {
		cli := func(args ...string) string {
			return exe(t, append(append(args, "--data", p.dir, "--log-level", "warn"), dbArgs(p)...)...)
		}
		cli("init", "--agency", p.code, "--name", "Agency "+p.code)
		cli("user", "add", "--username", "liaison", "--name", "Liaison desk", "--role", "liaison")
		if p.token = tokenRE.FindString(cli("token", "create", "--username", "liaison", "--role", "liaison")); p.token == "" {
			t.Fatal("token create printed no token")
		}
		log, err := os.Create(filepath.Join(root, p.code+".log"))
		if err != nil {
			t.Fatal(err)
		}
		p.log, p.extra = log, dbArgs(p)
	}
	for _, a := range ps {
		for _, b := range ps {
			if a != b {
				key := strings.Fields(exe(t, append([]string{"key", "show", "--data", b.dir, "--log-level", "warn"}, dbArgs(b)...)...))[1]
				exe(t, append([]string{"peer", "add", "--data", a.dir, "--agency", b.code, "--name", "Agency " + b.code, "--url", b.url(), "--key", key, "--log-level", "warn"}, dbArgs(a)...)...)
			}
		}
	}
	t.Cleanup(func() {
		for _, p := range ps {
			p.stop()
			p.log.Close()
		}
	})
	for _, p := range ps {
		p.start(t)
	}
	return tr, fr
}

// openSide opens FR-DGSI's store in the test's own process, as an importer would: a
// second process writing through the store while the node serves.
func openSide(t *testing.T, fr *proc, frDB string) *sqlstore.DB {
	t.Helper()
	key, err := keyfile.Load(filepath.Join(fr.dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	opts := sqlstore.Options{Signer: key, Agency: fr.code}
	var db *sqlstore.DB
	if frDB != "" {
		db, err = postgres.Open(context.Background(), frDB, opts)
	} else {
		db, err = sqlite.Open(filepath.Join(fr.dir, dbFileName), opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// warn sends a notification about one person from tr to fr and returns how fr stored
// it, once it has arrived.
func warn(t *testing.T, tr, fr *proc, person string) *receivedView {
	t.Helper()
	out, _, err := runCLI(t, map[string]string{"FOREWARN_TOKEN": tr.token}, "message", "send", "--node", tr.url(), "--kind", "notification",
		"--to", fr.code, "--priority", "urgent", "--summary", "Identified while investigating the four", "--person", person)
	if err != nil {
		t.Fatalf("message send: %v", err)
	}
	id := idRE.FindString(out)
	var v receivedView
	waitFor(t, 30*time.Second, "the warning about "+person+" to arrive", func() bool {
		return fr.api(t, "GET", "/api/v1/messages/"+id+"?purpose=liaison-request", nil, &v) == http.StatusOK
	})
	var alerts struct {
		Items []forewarn.Alert `json:"items"`
	}
	if st := fr.api(t, "GET", "/api/v1/alerts?limit=1000", nil, &alerts); st != http.StatusOK {
		t.Fatalf("alerts: %d", st)
	}
	for _, a := range alerts.Items {
		if a.MessageID == id {
			v.Alerts = append(v.Alerts, a)
		}
	}
	return &v
}

type receivedView struct {
	HoldsPerson bool `json:"holds_person"`
	Matches     []struct {
		SubjectID string `json:"subject_id"`
	} `json:"matches"`
	Alerts []forewarn.Alert `json:"-"`
}

// subjects returns the subjects the message matched, and those its liaison alerts name.
func (v *receivedView) subjects() (matched, alerted []string) {
	for _, m := range v.Matches {
		if m.SubjectID != "" {
			matched = append(matched, m.SubjectID)
		}
	}
	for _, a := range v.Alerts {
		if a.SubjectID != "" && a.Role == forewarn.RoleLiaison {
			alerted = append(alerted, a.SubjectID)
		}
	}
	return matched, alerted
}

func wantOnly(t *testing.T, what string, v *receivedView, subjectID string) {
	t.Helper()
	matched, alerted := v.subjects()
	if len(matched) != 1 || matched[0] != subjectID || len(alerted) != 1 || alerted[0] != subjectID || !v.HoldsPerson {
		t.Errorf("%s: matched %v, liaison alerts about %v, holds person %v; want only subject %s, alerted, held", what, matched, alerted, v.HoldsPerson, subjectID)
	}
}

func testServeSeesOtherWriters(t *testing.T, frDB string) {
	tr, fr := followProcs(t, frDB)
	dbArgs := []string{"--data", fr.dir, "--log-level", "warn"}
	if frDB != "" {
		dbArgs = append(dbArgs, "--db", frDB)
	}

	// 1. The CLI, in its own process, adds a watch-listed subject while FR-DGSI serves.
	out := exe(t, append([]string{"subject", "add", "--name", "Ismaël Omar Mostefaï", "--birth-date", "1985-11-21", "--nationality", "FR", "--watch"}, dbArgs...)...)
	mostefai := idRE.FindString(out)
	v := warn(t, tr, fr, "Omar Ismail Mostefai; born=1985; nationality=FR")
	wantOnly(t, "warning after subject add from the CLI", v, mostefai)

	// 2. An import, in its own process, brings in a watch list.
	list := filepath.Join(t.TempDir(), "watch.csv")
	if err := os.WriteFile(list, []byte("id,name,birth_date,nationality,watch\nbe-17,Chakib Akrouh,1990-08-27,BE,yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exe(t, append([]string{"import", "--format", "csv", "--dataset", "be_watch", "--version", "2015-11-01", list}, dbArgs...)...)
	v = warn(t, tr, fr, "Chakib Akrouh; born=1990; nationality=BE")
	if matched, _ := v.subjects(); len(matched) != 1 || matched[0] == mostefai {
		t.Fatalf("warning after an import from another process matched %v, want the one imported subject", matched)
	} else {
		wantOnly(t, "warning after an import from another process", v, matched[0])
	}

	// 3. A program writing through the store adds a subject.
	side := openSide(t, fr, frDB)
	ctx := context.Background()
	importer := forewarn.SystemActor("import")
	abaaoud := &forewarn.Subject{Names: []forewarn.Name{{Value: "Abdelhamid Abaaoud", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1987, Month: 4, Day: 8}, Nationalities: []string{"BE"}, Watch: forewarn.WatchListed}
	if err := side.CreateSubject(ctx, importer, abaaoud); err != nil {
		t.Fatal(err)
	}
	v = warn(t, tr, fr, "Abdelhamid Abaaoud; born=1987-04-08; nationality=BE")
	wantOnly(t, "warning after a store-level write from another process", v, abaaoud.ID)

	// 4. The same program updates it: the node matches the alias it now has.
	abaaoud.Names = append(abaaoud.Names, forewarn.Name{Value: "Abu Umar al-Baljiki", Kind: forewarn.NameAlias})
	if err := side.UpdateSubject(ctx, importer, abaaoud); err != nil {
		t.Fatal(err)
	}
	v = warn(t, tr, fr, "Abu Umar al-Baljiki; born=1987; nationality=BE")
	wantOnly(t, "warning about an alias added by an update from another process", v, abaaoud.ID)

	// 5. A subject deleted behind the node's back no longer matches.
	salah := &forewarn.Subject{Names: []forewarn.Name{{Value: "Salah Abdeslam", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1989, Month: 9, Day: 15}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if err := side.CreateSubject(ctx, importer, salah); err != nil {
		t.Fatal(err)
	}
	v = warn(t, tr, fr, "Salah Abdeslam; born=1989-09-15; nationality=FR")
	wantOnly(t, "warning after a second store-level subject", v, salah.ID)
	rawDelete(t, fr, frDB, salah.ID)
	v = warn(t, tr, fr, "Salah Abdeslam; born=1989-09-15; nationality=FR")
	if matched, alerted := v.subjects(); len(matched) != 0 || len(alerted) != 0 || v.HoldsPerson {
		t.Errorf("warning after the subject was deleted: matched %v, alerted %v, holds person %v; want nothing", matched, alerted, v.HoldsPerson)
	}
}

// rawDelete deletes a subject with plain SQL, as no Forewarn command does, to show the
// node follows whatever changes its store.
func rawDelete(t *testing.T, fr *proc, frDB, id string) {
	t.Helper()
	driver, dsn, q := "sqlite", "file:"+filepath.Join(fr.dir, dbFileName)+"?_pragma=busy_timeout(5000)", "DELETE FROM subjects WHERE id = ?"
	if frDB != "" {
		driver, dsn, q = "pgx", frDB, "DELETE FROM subjects WHERE id = $1"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if res, err := db.Exec(q, id); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("deleted %d subjects, want 1", n)
	}
}

// TestServeSeesOtherWriters: on SQLite, a node serving sees subjects added (by the CLI, by
// an import, through the store), updated and deleted by other processes before its next
// match, without a restart.
func TestServeSeesOtherWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two node processes; skipped with -short")
	}
	testServeSeesOtherWriters(t, "")
}

// TestServeSeesOtherWritersPostgres is the same with the receiving node on PostgreSQL.
func TestServeSeesOtherWritersPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two node processes; skipped with -short")
	}
	testServeSeesOtherWriters(t, freshSchema(t, testPostgres(t), "follow"))
}

// TestTwoServersOnePostgres: two serve processes of one node on one PostgreSQL database
// keep one match index between them. A subject created through either is matched by a
// warning the other receives, and a subject created through one is retro-matched with a
// warning the other received.
func TestTwoServersOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three node processes; skipped with -short")
	}
	dsn := freshSchema(t, testPostgres(t), "twoservers")
	tr, a := followProcs(t, dsn)
	dbArgs := []string{"--data", a.dir, "--db", dsn, "--log-level", "warn"}
	exe(t, append([]string{"user", "add", "--username", "analyst", "--name", "Analyst", "--role", "analyst"}, dbArgs...)...)
	analystToken := tokenRE.FindString(exe(t, append([]string{"token", "create", "--username", "analyst", "--role", "analyst"}, dbArgs...)...))
	log, err := os.Create(filepath.Join(t.TempDir(), "FR-DGSI-b.log"))
	if err != nil {
		t.Fatal(err)
	}
	b := &proc{code: a.code, dir: a.dir, port: freePort(t), log: log, token: a.token, extra: []string{"--db", dsn}}
	b.start(t)
	t.Cleanup(func() { b.stop(); log.Close() })

	key, err := keyfile.Load(filepath.Join(tr.dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	// deliver hands a warning from TR-MIT straight to one of the two servers.
	deliver := func(to *proc, name, born string) string {
		t.Helper()
		now := time.Now().UTC()
		m := &forewarn.Message{ID: forewarn.NewID(now), Version: forewarn.MessageVersion, From: tr.code, To: []string{a.code}, Created: now,
			Kind: forewarn.KindNotification, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{a.code}},
			Notification: &forewarn.Notification{Summary: "Identified while investigating the four.", Priority: forewarn.PriorityUrgent,
				AcknowledgeBy: now.Add(24 * time.Hour), Persons: []forewarn.PersonDescriptor{person("p1", name, born, "FR")}}}
		data, err := envelope.Seal(m, key)
		if err != nil {
			t.Fatal(err)
		}
		if status, body := post(t, to.url(), data); status != http.StatusOK {
			t.Fatalf("delivery to %s: %d %s", to.url(), status, body)
		}
		return m.ID
	}
	createSubject := func(on *proc, name string) (id string, toldBefore []string) {
		t.Helper()
		on.token, analystToken = analystToken, on.token
		defer func() { on.token, analystToken = analystToken, on.token }()
		var out struct {
			Subject struct {
				ID string `json:"id"`
			} `json:"subject"`
			ToldBefore []struct {
				Message struct {
					ID string `json:"id"`
				} `json:"message"`
			} `json:"told_before"`
		}
		body := map[string]any{"names": []any{map[string]any{"value": name, "kind": "primary"}}, "birth_date": "1985-11-21",
			"nationalities": []string{"FR"}, "watch": "watchlisted"}
		if st := on.api(t, "POST", "/api/v1/subjects", body, &out); st != http.StatusCreated {
			t.Fatalf("create subject on %s: %d", on.url(), st)
		}
		for _, tb := range out.ToldBefore {
			toldBefore = append(toldBefore, tb.Message.ID)
		}
		return out.Subject.ID, toldBefore
	}
	matchedSubjects := func(on *proc, messageID string) []string {
		t.Helper()
		var v receivedView
		if st := on.api(t, "GET", "/api/v1/messages/"+messageID+"?purpose=liaison-request", nil, &v); st != http.StatusOK {
			t.Fatalf("read message %s on %s: %d", messageID, on.url(), st)
		}
		matched, _ := v.subjects()
		return matched
	}

	// A subject created through A is matched by a warning B receives, and the other way.
	for _, pair := range []struct {
		create, receive *proc
		name            string
	}{{a, b, "Ismaël Omar Mostefaï"}, {b, a, "Samy Amimour"}} {
		id, _ := createSubject(pair.create, pair.name)
		msg := deliver(pair.receive, pair.name, "1985")
		if got := matchedSubjects(pair.receive, msg); len(got) != 1 || got[0] != id {
			t.Errorf("warning about %s received by %s matched %v, want the subject %s created through %s", pair.name, pair.receive.url(), got, id, pair.create.url())
		}
	}
	// A warning A received is what B tells about when a subject is created through it.
	msg := deliver(a, "Foued Mohamed-Aggad", "1985")
	_, told := createSubject(b, "Foued Mohamed-Aggad")
	if len(told) != 1 || told[0] != msg {
		t.Errorf("creating the subject through the second server told about %v, want the warning %s the first received", told, msg)
	}
}
