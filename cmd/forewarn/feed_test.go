package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/taxii"
)

// TestFeedRaisesYouHoldThisPerson is the two-node test: France's node subscribes to
// Turkey's TAXII collection for it; Turkey publishes a person; within one poll interval on
// the simulated clock France raises "you hold this person" against its own watch-listed
// subject, from intelligence attributed to Turkey's feed.
func TestFeedRaisesYouHoldThisPerson(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2014-12-01 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	admin := forewarn.SystemActor("test")

	// Turkey: a collection releasable to FR-DGSI and a token for France to read it.
	coll := &forewarn.TAXIICollection{Title: "Releasable to FR-DGSI", Audience: agencyFR.Code}
	if err := tr.node.Store.CreateCollection(ctx, admin, coll); err != nil {
		t.Fatal(err)
	}
	secret, _, err := tr.taxii.NewTAXIIToken(ctx, admin, "dgsi", agencyFR.Code, []string{coll.ID}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	// France: its own watch-listed subject, and the feed.
	mine := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Script: "Latn", Lang: "fr"}},
		BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if err := fr.node.Store.CreateSubject(ctx, admin, mine); err != nil {
		t.Fatal(err)
	}
	const interval = 10 * time.Minute
	feed := &forewarn.Feed{Agency: agencyTR.Code, URL: tr.url + taxii.APIRoot, Collection: coll.ID, Username: "dgsi", Secret: secret, Interval: interval}
	if err := fr.node.Store.AddFeed(ctx, admin, feed); err != nil {
		t.Fatal(err)
	}
	if err := fr.feeds.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := fr.node.Store.Feed(ctx, feed.ID); got.LastSuccess.IsZero() || got.Objects != 0 || !got.NextPoll.Equal(c.clock.Now().Add(interval)) {
		t.Fatalf("first poll of an empty collection: %+v", got)
	}

	// Turkey publishes the fifth man a minute later.
	c.clock.Advance(time.Minute)
	fifth := &forewarn.Subject{Names: []forewarn.Name{{Value: "Omar Ismail Mostefai", Script: "Latn", Lang: "tr"}},
		BirthDate: forewarn.PartialDate{Year: 1985}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if err := tr.node.Store.CreateSubject(ctx, admin, fifth); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.taxii.PublishSubject(ctx, admin, coll.ID, fifth.ID, forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}}); err != nil {
		t.Fatal(err)
	}
	// Not due yet: nothing is polled before the interval is up.
	if err := fr.feeds.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if alerts := holdAlerts(t, fr); len(alerts) != 0 {
		t.Fatalf("alerts before the feed was due: %v", alerts)
	}
	c.clock.Advance(interval - time.Minute)
	if err := fr.feeds.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	alerts := holdAlerts(t, fr)
	if len(alerts) == 0 {
		t.Fatal("France did not raise \"you hold this person\" within one poll interval")
	}
	a := alerts[0]
	if a.SubjectID != mine.ID || !strings.Contains(a.Text, agencyTR.Code) {
		t.Fatalf("alert = %+v", a)
	}
	sm, err := fr.node.Store.Message(ctx, a.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Message.From != agencyTR.Code || !sm.HoldsPerson || !strings.Contains(sm.Message.Notification.Summary, "TAXII feed") {
		t.Fatalf("the received intelligence: from %s, holds %t, %q", sm.Message.From, sm.HoldsPerson, sm.Message.Notification.Summary)
	}
	got, _ := fr.node.Store.Feed(ctx, feed.ID)
	if got.Persons != 1 || got.Raw != 0 || !got.Healthy() || got.Cursor == "" {
		t.Fatalf("feed after the poll: %+v", got)
	}
	// Turkey audited France's read of the person it published.
	reads, err := tr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "subject.read", ObjectID: fifth.ID, ActorID: agencyFR.Code})
	if err != nil || len(reads) != 1 {
		t.Fatalf("Turkey's audit of France's read: %d, %v", len(reads), err)
	}
	// The desk answers the alert and acknowledges the intelligence: recorded here, and
	// nothing is sent to Turkey, whose feed awaits no answer.
	if _, err := fr.msgs.AnswerAlert(ctx, forewarn.UserActor("liaison"), a.ID, "", "our subject; file updated", nil); err != nil {
		t.Fatalf("answering the alert: %v", err)
	}
	if _, err := fr.msgs.Acknowledge(ctx, forewarn.UserActor("liaison"), sm.Message.ID, forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: "action_taken", Reason: "surveillance opened"}); err != nil {
		t.Fatalf("acknowledging feed intelligence: %v", err)
	}
	if acked, _ := fr.node.Store.Message(ctx, sm.Message.ID); !acked.Deliveries[0].Actioned() {
		t.Fatal("the acknowledgement was not recorded")
	}
	out, _, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut})
	if err != nil || len(out) != 0 {
		t.Fatalf("acknowledging feed intelligence sent %d messages (%v)", len(out), err)
	}

	// The next poll asks only for what was added since: nothing new, nothing doubled.
	c.clock.Advance(interval)
	if err := fr.feeds.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if again := holdAlerts(t, fr); len(again) > len(alerts) {
		t.Fatalf("a second poll raised %d alerts, first %d", len(again), len(alerts))
	}
	if reads, _ := tr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "subject.read", ObjectID: fifth.ID, ActorID: agencyFR.Code}); len(reads) != 1 {
		t.Fatalf("the second poll read the person again (%d reads): added_after was not used", len(reads))
	}
}

func holdAlerts(t *testing.T, rt *liveNode) []*forewarn.Alert {
	t.Helper()
	all, err := rt.node.Store.Alerts(context.Background(), forewarn.RoleLiaison, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*forewarn.Alert
	for _, a := range all {
		if strings.HasPrefix(a.Text, "You hold this person") {
			out = append(out, a)
		}
	}
	return out
}

// TestFeedUnhealthy: a feed that answers garbage, an error, or nothing in time is marked
// unhealthy (in the store, `feed list` and /metrics), backs off on the node's clock, and
// recovers; objects that are not persons are kept raw and counted.
func TestFeedUnhealthy(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	fr := c.node(agencyFR.Code)
	admin := forewarn.SystemActor("test")
	mode := "garbage"
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "garbage":
			w.Header().Set("Content-Type", taxii.MediaType)
			io.WriteString(w, "<html>not TAXII</html>")
		case "error":
			w.Header().Set("Content-Type", taxii.MediaType)
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, `{"title":"upstream down","http_status":"502"}`)
		case "hang":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		case "ok":
			w.Header().Set("Content-Type", taxii.MediaType)
			w.Header().Set("X-TAXII-Date-Added-First", "2015-01-05T09:00:00.000000Z")
			w.Header().Set("X-TAXII-Date-Added-Last", "2015-01-05T09:00:00.000000Z")
			io.WriteString(w, `{"more":false,"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--252c7c11-daf2-42bd-843b-be65edca9f61","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' ]","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}]}`)
		}
	}))
	defer srv.Close()
	defer close(release)
	fr.feeds.Client = &taxii.Client{HTTP: &http.Client{Timeout: 300 * time.Millisecond}}
	fr.feeds.RetryBase, fr.feeds.RetryMax = time.Minute, 4*time.Minute
	feed := &forewarn.Feed{Agency: agencyTR.Code, URL: srv.URL + "/api/", Collection: "c1", Secret: "t", Interval: time.Hour}
	if err := fr.node.Store.AddFeed(ctx, admin, feed); err != nil {
		t.Fatal(err)
	}
	poll := func(wantFailures int, says string, wantDelay time.Duration) {
		t.Helper()
		if err := fr.feeds.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		f, err := fr.node.Store.Feed(ctx, feed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Failures != wantFailures || !strings.Contains(f.LastError, says) || !f.NextPoll.Equal(c.clock.Now().Add(wantDelay)) {
			t.Fatalf("%s: failures %d (%q), next poll in %s; want %d saying %q, in %s", mode, f.Failures, f.LastError, f.NextPoll.Sub(c.clock.Now()), wantFailures, says, wantDelay)
		}
		c.clock.Advance(wantDelay)
	}
	poll(1, "garbage", time.Minute)
	mode = "error"
	poll(2, "502", 2*time.Minute)
	metrics := scrape(t, fr)
	if !strings.Contains(metrics, `forewarn_feed_healthy{agency="TR-MIT",collection="c1",feed="`+feed.ID+`"} 0`) {
		t.Fatalf("/metrics does not show the feed unhealthy:\n%s", grepLines(metrics, "forewarn_feed"))
	}
	out, _, err := runCLI(t, nil, "feed", "list", "--data", fr.dir)
	if err != nil || !strings.Contains(out, "UNHEALTHY (2 failures") {
		t.Fatalf("feed list: %v\n%s", err, out)
	}
	mode = "hang"
	poll(3, "timed out", 4*time.Minute)
	poll(4, "timed out", 4*time.Minute) // at most RetryMax
	mode = "ok"
	poll(0, "", time.Hour)
	f, _ := fr.node.Store.Feed(ctx, feed.ID)
	if f.Raw != 1 || f.Persons != 0 || f.Cursor != "2015-01-05T09:00:00.000000Z" {
		t.Fatalf("after recovering: %+v", f)
	}
	raw, err := fr.node.Store.FeedObjects(ctx, feed.ID)
	if err != nil || len(raw) != 1 || raw[0].Type != "indicator" || !strings.Contains(raw[0].Reason, "not a person") {
		t.Fatalf("kept raw: %+v, %v", raw, err)
	}
	if m := scrape(t, fr); !strings.Contains(m, `forewarn_feed_healthy{agency="TR-MIT",collection="c1",feed="`+feed.ID+`"} 1`) ||
		!strings.Contains(m, `forewarn_feed_objects{agency="TR-MIT",collection="c1",feed="`+feed.ID+`",kind="raw"} 1`) {
		t.Fatalf("/metrics after recovering:\n%s", grepLines(m, "forewarn_feed"))
	}
}

func scrape(t *testing.T, rt *liveNode) string {
	t.Helper()
	resp, err := http.Get(rt.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestTAXIICommands runs the commands an operator sets TAXII up with: a collection, a
// token, a published subject, a feed; and their refusals, each naming the flag.
func TestTAXIICommands(t *testing.T) {
	dir := t.TempDir()
	run := func(env map[string]string, args ...string) (string, error) {
		t.Helper()
		out, _, err := runCLI(t, env, append(args[:2:2], append([]string{"--data", dir}, args[2:]...)...)...)
		return out, err
	}
	field := func(out, prefix string) string {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return strings.Fields(rest)[0]
			}
		}
		t.Fatalf("no %q in %q", prefix, out)
		return ""
	}
	if _, _, err := runCLI(t, nil, "init", "--data", dir, "--agency", "TR-MIT", "--name", "MIT"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(nil, "taxii", "collection", "--title", "x", "--audience", "fr-dgsi"); err == nil || !strings.Contains(err.Error(), "--audience") {
		t.Fatalf("a lower-case audience: %v", err)
	}
	out, err := run(nil, "taxii", "collection", "--title", "Releasable to FR-DGSI", "--audience", "FR-DGSI")
	if err != nil {
		t.Fatal(err)
	}
	coll := field(out, "Created collection ")
	out, err = run(nil, "taxii", "token", "--name", "dgsi", "--agency", "FR-DGSI", "--collection", coll)
	if err != nil || !strings.Contains(out, "fw_") {
		t.Fatalf("taxii token: %v %s", err, out)
	}
	out, err = run(nil, "subject", "add", "--name", "Omar Ismail Mostefai", "--birth-date", "1985", "--nationality", "FR")
	if err != nil {
		t.Fatal(err)
	}
	subject := strings.TrimSuffix(field(out, "Added subject "), ":")
	if _, err := run(nil, "taxii", "publish", "--collection", coll, "--tlp", "AMBER", "--release", "DE-BFV", subject); err == nil || !strings.Contains(err.Error(), "FR-DGSI") {
		t.Fatalf("publishing what the audience may not have: %v", err)
	}
	if out, err := run(nil, "taxii", "publish", "--collection", coll, "--tlp", "AMBER", "--release", "FR-DGSI", subject); err != nil || !strings.Contains(out, "identity--") {
		t.Fatalf("taxii publish: %v %s", err, out)
	}
	if out, err := run(nil, "taxii", "collections"); err != nil || !strings.Contains(out, coll) {
		t.Fatalf("taxii collections: %v %s", err, out)
	}
	// The API token in FOREWARN_TOKEN is not taken for a feed's secret.
	env := map[string]string{"FOREWARN_TOKEN": "fw_api"}
	if _, err := run(env, "feed", "add", "--agency", "FR-DGSI", "--url", "http://127.0.0.1:9/taxii2/api/", "--collection", "c1"); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("feed add without a secret: %v", err)
	}
	if _, err := run(nil, "feed", "add", "--agency", "FR-DGSI", "--url", "http://taxii.example/taxii2/api/", "--collection", "c1", "--token", "s"); err == nil {
		t.Fatal("plain HTTP off loopback was accepted")
	}
	out, err = run(nil, "feed", "add", "--agency", "FR-DGSI", "--url", "http://127.0.0.1:9/taxii2/api/", "--collection", "c1", "--user", "tr", "--token", "s3cret", "--interval", "1d")
	if err != nil {
		t.Fatal(err)
	}
	id := field(out, "Added feed ")
	id = strings.TrimSuffix(id, ":")
	if out, err := run(nil, "feed", "list"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "not polled yet") || strings.Contains(out, "s3cret") {
		t.Fatalf("feed list: %v\n%s", err, out)
	}
	if _, err := run(nil, "feed", "remove", id); err != nil {
		t.Fatal(err)
	}
	if out, _ := run(nil, "feed", "list"); strings.Contains(out, id) {
		t.Fatal("a removed feed is listed")
	}
}

// TestServePollsFeeds: a serving node (its own tick, as `forewarn serve` runs) polls a
// feed that is due, without anyone ticking it, and keeps what it brought.
func TestServePollsFeeds(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != taxii.MediaType || r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", taxii.MediaType)
		w.Header().Set("X-TAXII-Date-Added-Last", "2015-01-05T09:00:00.000000Z")
		io.WriteString(w, `{"more":false,"objects":[{"type":"malware","spec_version":"2.1","id":"malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec","created":"2017-01-27T13:49:53.997Z","modified":"2017-01-27T13:49:53.997Z","name":"Poison Ivy","is_family":true}]}`)
	}))
	defer srv.Close()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	nf := &nodeFlags{data: t.TempDir(), checkpointEvery: 1000, logLevel: "error", as: "test"}
	node, _, err := m.initNodeAt(ctx, nf, nf.data, agencyFR, "admin", forewarn.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	feed := &forewarn.Feed{Agency: agencyTR.Code, URL: srv.URL + "/api/", Collection: "c1", Secret: "t", Interval: time.Hour}
	if err := node.Store.AddFeed(ctx, forewarn.SystemActor("test"), feed); err != nil {
		t.Fatal(err)
	}
	node.Store.Close()
	rt, err := m.startRuntime(ctx, nf, &serveFlags{listen: "127.0.0.1:0", tick: 20 * time.Millisecond, replayWindow: time.Hour, retryBase: time.Second, retryMax: time.Minute}, forewarn.SystemClock{}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	for i := 0; ; i++ {
		f, err := rt.node.Store.Feed(ctx, feed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !f.LastPoll.IsZero() {
			if !f.Healthy() || f.Raw != 1 || f.Cursor != "2015-01-05T09:00:00.000000Z" {
				t.Fatalf("the served node's poll: %+v", f)
			}
			break
		}
		if i == 250 {
			t.Fatal("the serving node did not poll its due feed within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
