package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestParisReplay is the acceptance test: the case replayed on two real nodes, every
// check of the replay holding (see parisReplay for what each asserts).
func TestParisReplay(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), parisStart, []forewarn.Agency{agencyTR, agencyFR}, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := parisReplay(ctx, c)
	if err != nil {
		t.Fatalf("replay stopped: %v\n%s", err, out.String())
	}
	if len(r.checks) < 15 {
		t.Errorf("the replay made only %d checks", len(r.checks))
	}
	for _, ch := range r.failed() {
		t.Errorf("%s: %s", ch.What, ch.Detail)
	}
	if t.Failed() {
		t.Log(out.String())
	}
}

// TestDemoExit runs 'forewarn demo --exit' as a script would.
func TestDemoExit(t *testing.T) {
	out, errOut, err := runCLI(t, nil, "demo", "--exit")
	if err != nil {
		t.Fatalf("demo --exit: %v\n%s\n%s", err, out, errOut)
	}
	for _, want := range []string{"Omar Ismail Mostefai", "checks held", "you were told about this person before", "e-mails liaison@fr-dgsi.example",
		"removed with the nodes when the demo stops (--keep keeps them)"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// A step's e-mails are listed under its heading, never above the warning they are about.
	if warn, mail := strings.Index(out, "Turkey warns France about"), strings.Index(out, "Match: URGENT notification from TR-MIT"); warn < 0 || mail < warn {
		t.Errorf("the e-mail about the match shows at %d, above the warning it is about (at %d)", mail, warn)
	}
	// It says where the e-mail is kept, and then removes it: the output must say so.
	if dir := regexp.MustCompile(`Nodes live in (\S+)`).FindStringSubmatch(out); dir == nil {
		t.Error("the demo does not say where its nodes live")
	} else if _, err := os.Stat(dir[1]); err == nil {
		t.Errorf("demo --exit left %s behind", dir[1])
	}
}

// TestThreeNodeReplay is a second, different story, so the code is not shaped around one:
// three agencies, other names, a warning that is acknowledged in time and a request that
// is answered. Nothing escalates, and both sides of every exchange agree on its status.
func TestThreeNodeReplay(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	de := forewarn.Agency{Code: "DE-BKA", Name: "Bundeskriminalamt", Country: "DE"}
	nl := forewarn.Agency{Code: "NL-AIVD", Name: "Algemene Inlichtingen- en Veiligheidsdienst", Country: "NL"}
	be := forewarn.Agency{Code: "BE-VSSE", Name: "Veiligheid van de Staat", Country: "BE"}
	c, err := m.startCluster(ctx, t.TempDir(), day("2021-01-04 09:00"), []forewarn.Agency{de, nl, be}, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &replay{c: c}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	}
	deSubject, _, err := r.subject(ctx, de.Code, &forewarn.Subject{
		Names:     []forewarn.Name{{Value: "Youssef El Hachimi", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1992, Month: 3}, Nationalities: []string{"MA", "BE"}, Watch: forewarn.WatchNone,
	})
	must(err)

	must(c.at(ctx, day("2021-03-01 08:00")))
	suspect := person("p1", "Yusuf al-Hashimi", "1992", "BE")
	suspect.Links = []forewarn.PersonLink{{Kind: forewarn.AssocTravelledWith, To: "p2"}}
	companion := person("p2", "Rachid Amrani", "1990", "NL")
	warning, err := r.send(ctx, nl.Code, &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{de.Code, be.Code},
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
		Notification: &forewarn.Notification{Summary: "Two travellers returning from a conflict zone", Priority: forewarn.PriorityUrgent,
			Persons: []forewarn.PersonDescriptor{suspect, companion}},
	})
	must(err)
	must(c.at(ctx, day("2021-03-01 08:01")))

	atDE, err := r.received(ctx, de.Code, warning.Message.ID)
	must(err)
	matched := false
	for _, mm := range atDE.Matches {
		matched = matched || mm.SubjectID == deSubject.ID
	}
	r.expect(matched, "Germany's node matches the warning to its subject across spellings", "")
	r.expect(!atDE.HoldsPerson && atDE.Priority == forewarn.PriorityUrgent, "a subject not on the watch list does not raise the priority", "priority %s", atDE.Priority)

	must(c.at(ctx, day("2021-03-01 11:00")))
	_, err = c.node(de.Code).msgs.Acknowledge(ctx, actor(forewarn.RoleLiaison), warning.Message.ID, forewarn.Acknowledgement{Stage: forewarn.AckRead})
	must(err)
	_, err = c.node(de.Code).msgs.Acknowledge(ctx, actor(forewarn.RoleLiaison), warning.Message.ID, forewarn.Acknowledgement{
		Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeActionTaken, Reason: "Known to us as Youssef El Hachimi; border alert set"})
	must(err)

	must(c.at(ctx, day("2021-03-01 12:00")))
	req, err := r.send(ctx, be.Code, &forewarn.Message{
		Kind: forewarn.KindRequest, To: []string{nl.Code}, InReplyTo: warning.Message.ID,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{nl.Code}},
		Request: &forewarn.Request{Subject: "Travel of Yusuf al-Hashimi", Questions: "Which travel records do you hold?",
			Persons: []forewarn.PersonDescriptor{person("p1", "Yusuf Al Hashimi", "1992", "BE")}, Priority: forewarn.PriorityUrgent},
	})
	must(err)
	must(c.at(ctx, day("2021-03-01 12:01")))
	answer := person("p1", "Yusuf al-Hashimi", "1992", "BE")
	answer.Claims = []forewarn.PersonClaim{{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2020, Month: 11},
		RecordedAt: c.clock.Now(), Source: forewarn.Source{Agency: nl.Code, Name: "passenger records"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}}}
	resp, err := r.send(ctx, nl.Code, &forewarn.Message{
		Kind: forewarn.KindResponse, To: []string{be.Code}, InReplyTo: req.Message.ID,
		Marks:    forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{be.Code}},
		Response: &forewarn.Response{Answer: "Flew to Istanbul in November 2020.", Persons: []forewarn.PersonDescriptor{answer}},
	})
	must(err)
	must(c.at(ctx, day("2021-03-01 12:30")))
	_, err = c.node(be.Code).msgs.Acknowledge(ctx, actor(forewarn.RoleLiaison), warning.Message.ID, forewarn.Acknowledgement{
		Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeNotKnown, Reason: "Not known to us before; travel noted"})
	must(err)
	must(c.at(ctx, day("2021-03-01 12:31")))

	// Well past every deadline: nothing may escalate, because everything was answered.
	must(c.at(ctx, day("2021-03-10 12:00")))
	respAtBE, err := r.received(ctx, be.Code, resp.Message.ID)
	must(err)
	r.expect(respAtBE.Message.InReplyTo == req.Message.ID && len(respAtBE.Message.Persons()[0].Claims) == 1, "Belgium receives the answer, with its sourced travel claim", "")
	for _, id := range []string{warning.Message.ID, req.Message.ID} {
		for _, code := range []string{de.Code, nl.Code, be.Code} {
			if _, err := c.node(code).node.Store.Message(ctx, id); forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
				continue // this node was not party to the message
			}
			esc, err := c.node(code).node.Store.Escalations(ctx, id)
			must(err)
			r.expect(len(esc) == 0, "nothing escalates at "+code, "%d escalations for %s", len(esc), id)
		}
	}
	atNL, err := r.received(ctx, nl.Code, warning.Message.ID)
	must(err)
	for _, code := range []string{de.Code, be.Code} {
		sender := atNL.Delivery(code)
		theirs, err := r.received(ctx, code, warning.Message.ID)
		must(err)
		mine := theirs.Delivery(code)
		r.expect(sender != nil && mine != nil && sender.Actioned() && mine.Actioned() && sender.Outcome == mine.Outcome && sender.ActionAt.Equal(mine.ActionAt),
			"the Netherlands and "+code+" agree the warning was acknowledged, with the same outcome and time", "%s | %s", deliveryStatus(sender), deliveryStatus(mine))
	}
	reqAtBE, err := r.received(ctx, be.Code, req.Message.ID)
	must(err)
	r.expect(reqAtBE.Delivery(nl.Code) != nil && reqAtBE.Delivery(nl.Code).Outcome == "answered", "answering the request acknowledges it on both sides", "%s", deliveryStatus(reqAtBE.Delivery(nl.Code)))
	thread, _, err := c.node(be.Code).node.Store.Messages(ctx, forewarn.MessageFilter{Thread: warning.Message.ID, Limit: 50})
	must(err)
	r.expect(len(thread) >= 3, "Belgium's thread holds the warning, its request and the answer", "%d messages", len(thread))
	// The network around Germany's subject reaches the companion the warning linked him to.
	net, err := c.node(de.Code).node.Network(ctx, actor(forewarn.RoleAnalyst), deSubject.ID, 2)
	must(err)
	reached := map[string]bool{}
	for _, n := range net.Nodes {
		reached[n.Label] = true
	}
	r.expect(reached["Yusuf al-Hashimi"] && reached["Rachid Amrani"], "the network two hops from Germany's subject holds the warned man and his travel companion", "%d persons", len(net.Nodes))

	// An analyst rejects the match: the same description arriving again does not alert.
	var m1 *forewarn.Match
	for _, mm := range atDE.Matches {
		if mm.SubjectID == deSubject.ID {
			m1 = mm
		}
	}
	must(c.node(de.Code).node.Store.RejectMatch(ctx, actor(forewarn.RoleAnalyst), m1.ID, "Different man: our subject was in custody in March 2021"))
	again, err := r.send(ctx, nl.Code, &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{de.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
		Notification: &forewarn.Notification{Summary: "Reminder", Priority: forewarn.PriorityUrgent, Persons: []forewarn.PersonDescriptor{suspect, companion}},
	})
	must(err)
	must(c.at(ctx, day("2021-03-10 12:05")))
	againAtDE, err := r.received(ctx, de.Code, again.Message.ID)
	must(err)
	rematched := false
	for _, mm := range againAtDE.Matches {
		rematched = rematched || mm.SubjectID == deSubject.ID
	}
	r.expect(!rematched, "a rejected pair never alerts again", "")
	must(r.verifyAudit(ctx))
	for _, ch := range r.failed() {
		t.Errorf("%s: %s", ch.What, ch.Detail)
	}
	if t.Failed() {
		t.Log(out.String())
	}
}

func deliveryStatus(d *forewarn.Delivery) string {
	if d == nil {
		return "no delivery"
	}
	return d.Status()
}

// TestParisReplayOnPostgres replays the case with both nodes storing their data in
// PostgreSQL, each in a schema of its own: the same checks must hold.
func TestParisReplayOnPostgres(t *testing.T) {
	dsn := testPostgres(t)
	schemas := map[string]string{}
	for _, code := range []string{agencyTR.Code, agencyFR.Code} {
		schemas[code] = freshSchema(t, dsn, "replay_"+code)
	}
	ctx := context.Background()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	c, err := m.startClusterOn(ctx, t.TempDir(), parisStart, []forewarn.Agency{agencyTR, agencyFR}, nil, &out, func(code string) string { return schemas[code] })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := parisReplay(ctx, c)
	if err != nil {
		t.Fatalf("replay stopped: %v\n%s", err, out.String())
	}
	for _, ch := range r.failed() {
		t.Errorf("%s: %s", ch.What, ch.Detail)
	}
	if len(r.checks) < 15 {
		t.Errorf("only %d checks", len(r.checks))
	}
}

// TestInitOnPostgresRefusesASecondNode: a PostgreSQL database holds one node; a second
// init against it fails and leaves no key behind.
func TestInitOnPostgresRefusesASecondNode(t *testing.T) {
	target := freshSchema(t, testPostgres(t), "init")
	first, second := t.TempDir(), t.TempDir()
	mustCLI(t, "init", "--data", first, "--db", target, "--agency", "FR-DGSI", "--name", "DGSI", "--log-level", "error")
	out := mustCLI(t, "subject", "add", "--data", first, "--db", target, "--name", "Ismaël Omar Mostefaï", "--log-level", "error")
	if !strings.Contains(out, "Added subject") {
		t.Fatalf("subject add on PostgreSQL: %s", out)
	}
	if _, _, err := runCLI(t, nil, "init", "--data", second, "--db", target, "--agency", "FR-DGSI", "--name", "again", "--log-level", "error"); err == nil {
		t.Fatal("a second node was created in a database that holds one")
	}
	if _, err := os.Stat(filepath.Join(second, keyFileName)); !os.IsNotExist(err) {
		t.Errorf("the refused init left a key behind: %v", err)
	}
	if out := mustCLI(t, "audit", "verify", "--data", first, "--db", target, "--log-level", "error"); !strings.Contains(out, "audit trail OK") {
		t.Errorf("audit verify on PostgreSQL: %s", out)
	}
}

// TestParisAcknowledgementClosesEverything: on the replayed case, once France acknowledges
// the December warning, every alert on it is closed on both nodes (match, escalation,
// overdue), each recording the acknowledgement that closed it, and Turkey's node shows
// who answered, when, the outcome and the reason.
func TestParisAcknowledgementClosesEverything(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, parisStart)
	if _, err := parisReplay(ctx, c); err != nil {
		t.Fatal(err)
	}
	fr, tr := c.node(agencyFR.Code), c.node(agencyTR.Code)
	warnings, _, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Kind: forewarn.KindNotification, Limit: 10})
	if err != nil || len(warnings) != 2 {
		t.Fatalf("France holds %d warnings: %v", len(warnings), err)
	}
	first := warnings[1].Message.ID
	openOn := func(rt *liveNode) []*forewarn.Alert {
		var out []*forewarn.Alert
		for _, role := range forewarn.Roles {
			as, err := rt.node.Store.Alerts(ctx, role, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				if a.MessageID == first {
					out = append(out, a)
				}
			}
		}
		return out
	}
	before := openOn(fr)
	kinds := map[string]bool{}
	for _, a := range before {
		kinds[a.Kind] = true
	}
	if !kinds["match"] || !kinds["escalation"] || len(openOn(tr)) == 0 {
		t.Fatalf("before the acknowledgement France has %d open alerts on the warning (%v), Turkey %d; want match and escalation alerts on both sides", len(before), kinds, len(openOn(tr)))
	}
	reason := "Same man as our watch-listed subject; surveillance requested."
	ack, err := fr.msgs.Acknowledge(ctx, forewarn.UserActor("liaison"), first, forewarn.Acknowledgement{Stage: forewarn.AckActioned,
		Outcome: forewarn.OutcomeActionTaken, Reason: reason, By: &forewarn.AckAuthor{Kind: forewarn.AuthorUser, Name: "liaison"}})
	if err != nil {
		t.Fatal(err)
	}
	acked := c.clock.Now()
	if err := c.at(ctx, acked.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if left := openOn(fr); len(left) != 0 {
		t.Errorf("France still has %d open alerts on the acknowledged warning: %+v", len(left), left[0])
	}
	for _, a := range before {
		got, err := fr.node.Store.Alert(ctx, a.ID)
		if err != nil || got.ClosedBy != ack.Message.ID || got.ResolvedBy != "liaison" {
			t.Errorf("France's %s alert for %s: closed by %q (%q), want the acknowledgement %s", a.Kind, a.Role, got.ClosedBy, got.ResolvedBy, ack.Message.ID)
		}
	}
	if left := openOn(tr); len(left) != 0 {
		t.Errorf("Turkey still has %d open alerts on the acknowledged warning: %s", len(left), left[0].Text)
	}
	sm, err := tr.node.Store.Message(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	d := sm.Delivery(agencyFR.Code)
	status := d.Status()
	for _, want := range []string{"acknowledged " + acked.UTC().Format("2 Jan 2006"), "by liaison at FR-DGSI", "action_taken", reason} {
		if !strings.Contains(status, want) {
			t.Errorf("Turkey's node shows %q; it lacks %q", status, want)
		}
	}
}
