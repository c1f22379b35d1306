package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

var agencyBE = forewarn.Agency{Code: "BE-VSSE", Name: "Veiligheid van de Staat", Country: "BE"}

func principal(role forewarn.Role) *forewarn.Principal {
	return &forewarn.Principal{Username: string(role), Roles: []forewarn.Role{role}}
}

// received returns the messages node holds from agency from, oldest first.
func received(t *testing.T, n *liveNode, from string) []*forewarn.StoredMessage {
	t.Helper()
	list, _, err := n.node.Store.Messages(context.Background(), forewarn.MessageFilter{Direction: forewarn.DirectionIn, Peer: from, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestForwardWithConsent is the third-party rule across three real nodes on loopback:
// Turkey warns France under "originator consent required"; France's request to pass it on
// to Belgium sends Turkey a signed consent request; Turkey refuses and nothing leaves
// France; Turkey grants a second request and Belgium receives the warning with its
// provenance; a supervisor's imminent-threat override reaches Belgium and notifies Turkey
// at once; and France's trail records all of it.
func TestForwardWithConsent(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-01 09:00"), []forewarn.Agency{agencyTR, agencyFR, agencyBE}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr, be := c.node(agencyTR.Code), c.node(agencyFR.Code), c.node(agencyBE.Code)
	step := func() {
		t.Helper()
		if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}

	w := warning(c, forewarn.PriorityUrgent)
	w.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}, OriginatorConsentRequired: true}
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w); err != nil {
		t.Fatal(err)
	}
	step()
	in := received(t, fr, agencyTR.Code)
	if len(in) != 1 {
		t.Fatalf("France received %d messages from Turkey, want the warning", len(in))
	}
	warnFR := in[0].Message.ID

	// Without consent the marks refuse, naming the mark, and nothing goes to Belgium.
	if err := fr.msgs.CheckEgress(ctx, actor(forewarn.RoleLiaison), forewarn.Egress{Path: forewarn.EgressForward, MessageID: warnFR,
		Marks: in[0].Message.Marks, Originator: agencyTR.Code, To: agencyBE.Code}); err == nil || !strings.Contains(err.Error(), "marks.tlp") {
		t.Fatalf("forwarding without consent: %v, want refused naming marks.tlp", err)
	}
	_, err = fr.msgs.RequestForward(ctx, principal(forewarn.RoleLiaison), warnFR, agencyBE.Code, "")
	if forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("a forward without a reason: %v, want refused", err)
	}
	_, err = fr.msgs.RequestForward(ctx, principal(forewarn.RoleAnalyst), warnFR, agencyBE.Code, "why not")
	if forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Errorf("an analyst's forward: %v, want forbidden", err)
	}

	// 1. France asks; Turkey receives a signed consent request: what, to whom, why.
	fw1, err := fr.msgs.RequestForward(ctx, principal(forewarn.RoleLiaison), warnFR, agencyBE.Code, "Belgium holds his brother")
	if err != nil {
		t.Fatal(err)
	}
	if fw1.Status != forewarn.ForwardAwaitingConsent || fw1.ConsentRequestID == "" {
		t.Fatalf("forward = %+v, want it awaiting consent", fw1)
	}
	step()
	asks := received(t, tr, agencyFR.Code)
	if len(asks) != 1 || asks[0].Message.Consent == nil || asks[0].Message.Consent.To != agencyBE.Code ||
		asks[0].Message.Consent.MessageID != w.ID || asks[0].Message.Consent.Reason != "Belgium holds his brother" || asks[0].Message.Kind != forewarn.KindRequest {
		t.Fatalf("Turkey received %+v, want one consent request naming the warning, Belgium and the reason", asks)
	}
	if d := asks[0].Deliveries[0]; d.Deadline.IsZero() {
		t.Errorf("the consent request has no deadline: it would never escalate")
	}

	// 2. Turkey refuses: nothing leaves France.
	if _, err := tr.msgs.AnswerConsent(ctx, principal(forewarn.RoleLiaison), asks[0].Message.ID, false, "source protection"); err != nil {
		t.Fatal(err)
	}
	step()
	if got, _ := fr.node.Store.Forward(ctx, fw1.ID); got.Status != forewarn.ForwardRefused || got.AnswerReason != "source protection" {
		t.Fatalf("after the refusal the forward is %+v", got)
	}
	if got := received(t, be, agencyFR.Code); len(got) != 0 {
		t.Fatalf("Belgium received %d messages after Turkey refused", len(got))
	}
	if _, err := tr.msgs.AnswerConsent(ctx, principal(forewarn.RoleLiaison), asks[0].Message.ID, true, "changed my mind"); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Errorf("answering a consent request twice: %v, want a conflict", err)
	}

	// 3. A second request, granted: Belgium receives the warning with its provenance.
	fw2, err := fr.msgs.RequestForward(ctx, principal(forewarn.RoleLiaison), warnFR, agencyBE.Code, "He is travelling to Brussels")
	if err != nil {
		t.Fatal(err)
	}
	step()
	asks = received(t, tr, agencyFR.Code)
	var ask2 *forewarn.StoredMessage
	for _, a := range asks {
		if a.Message.Consent != nil && a.Message.Consent.Reason == "He is travelling to Brussels" {
			ask2 = a
		}
	}
	if ask2 == nil {
		t.Fatal("Turkey did not receive the second consent request")
	}
	grant, err := tr.msgs.AnswerConsent(ctx, principal(forewarn.RoleLiaison), ask2.Message.ID, true, "for this purpose only")
	if err != nil {
		t.Fatal(err)
	}
	step()
	got, _ := fr.node.Store.Forward(ctx, fw2.ID)
	if got.Status != forewarn.ForwardSent || got.ForwardedID == "" {
		t.Fatalf("after the grant the forward is %+v", got)
	}
	inBE := received(t, be, agencyFR.Code)
	if len(inBE) != 1 {
		t.Fatalf("Belgium received %d messages, want the forwarded warning", len(inBE))
	}
	pv := inBE[0].Message.Provenance
	if pv == nil || pv.Originator != agencyTR.Code || pv.MessageID != w.ID || pv.Consent != grant.Message.ID || pv.Override {
		t.Fatalf("the forwarded warning's provenance = %+v, want Turkey's warning and its consent %s", pv, grant.Message.ID)
	}
	if mk := inBE[0].Message.Marks; mk.TLP != forewarn.TLPAmber || !mk.OriginatorConsentRequired {
		t.Errorf("the forwarded warning is marked %+v, want the originator's TLP:AMBER and consent mark", mk)
	}

	// 4. An imminent-threat override by a supervisor: it reaches Belgium and Turkey is
	// told at once (the notice is queued in the same call, before any delivery round).
	w2 := warning(c, forewarn.PriorityFlash)
	w2.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyFR.Code}, OriginatorConsentRequired: true}
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w2); err != nil {
		t.Fatal(err)
	}
	step()
	var warn2FR string
	for _, x := range received(t, fr, agencyTR.Code) {
		if x.Message.Kind == forewarn.KindNotification && x.Message.Marks.TLP == forewarn.TLPRed {
			warn2FR = x.Message.ID
		}
	}
	if _, err := fr.msgs.OverrideForward(ctx, principal(forewarn.RoleLiaison), "", warn2FR, agencyBE.Code, "bomb"); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Errorf("a liaison officer's override: %v, want forbidden", err)
	}
	if _, err := fr.msgs.OverrideForward(ctx, principal(forewarn.RoleSupervisor), "", warn2FR, agencyBE.Code, " "); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("an override without justification: %v, want refused", err)
	}
	fw3, err := fr.msgs.OverrideForward(ctx, principal(forewarn.RoleSupervisor), "", warn2FR, agencyBE.Code, "Attack planned in Brussels tonight")
	if err != nil {
		t.Fatal(err)
	}
	if fw3.Status != forewarn.ForwardOverridden || fw3.NoticeID == "" || fw3.OverrideBy != "supervisor" {
		t.Fatalf("override = %+v, want it overridden with the originator's notice queued", fw3)
	}
	notice, err := fr.node.Store.Message(ctx, fw3.NoticeID)
	if err != nil || notice.Message.To[0] != agencyTR.Code || notice.Message.Notification.Priority != forewarn.PriorityFlash {
		t.Fatalf("the notice to Turkey: %+v, %v", notice, err)
	}
	step()
	var overBE *forewarn.StoredMessage
	for _, x := range received(t, be, agencyFR.Code) {
		if x.Message.Provenance != nil && x.Message.Provenance.Override {
			overBE = x
		}
	}
	if overBE == nil || overBE.Message.Provenance.Justification != "Attack planned in Brussels tonight" || overBE.Message.Provenance.MessageID != w2.ID {
		t.Fatalf("Belgium did not receive the override with its justification: %+v", overBE)
	}
	var told bool
	for _, x := range received(t, tr, agencyFR.Code) {
		if x.Message.Consent != nil && x.Message.Consent.Override && x.Message.Consent.To == agencyBE.Code && x.Priority == forewarn.PriorityFlash {
			told = strings.Contains(x.Message.Notification.Summary, "Attack planned in Brussels tonight")
		}
	}
	if !told {
		t.Fatal("Turkey was not notified of the override with its justification")
	}

	// France's trail has every step; the chain verifies on every node.
	entries, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "forward."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := "forward.awaiting_consent forward.refused forward.awaiting_consent forward.sent forward.overridden forward.originator_notified"
	if strings.Join(actions, " ") != want {
		t.Errorf("France's forward trail = %v, want %s", actions, want)
	}
	// The oversight report lists it all, on both sides, through the real CLI.
	report := func(n *liveNode) *app.OversightReport {
		t.Helper()
		out := mustCLI(t, "report", "oversight", "--data", n.dir, "--from", "2015-01-01", "--to", "2016-01-01", "--format", "json")
		var rep app.OversightReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("report: %v\n%s", err, out)
		}
		return &rep
	}
	frRep := report(fr)
	if p := frRep.PerPeer[agencyTR.Code]; p == nil || p.ConsentRequests != 2 || p.ConsentsRefused != 1 || p.ConsentsGranted != 1 || p.Overrides != 1 {
		t.Errorf("France's report, Turkey's totals: %+v", p)
	}
	if p := frRep.PerPeer[agencyBE.Code]; p == nil || p.Disclosures != 2 {
		t.Errorf("France's report, Belgium's totals: %+v; want the two forwarded warnings", p)
	}
	if u := frRep.PerUser["user:supervisor"]; u == nil || u.Overrides != 1 {
		t.Errorf("France's report, the supervisor: %+v", u)
	}
	flagged := 0
	for _, e := range frRep.Overrides {
		if e.Flagged && strings.Contains(e.Detail, "Attack planned in Brussels tonight") {
			flagged++
		}
	}
	if flagged != 1 {
		t.Errorf("France's report flags %d overrides with the justification, want 1: %+v", flagged, frRep.Overrides)
	}
	var forwardedWithConsent bool
	for _, d := range frRep.Disclosures {
		forwardedWithConsent = forwardedWithConsent || (d.Peer == agencyBE.Code && strings.Contains(d.Detail, "with its consent "+grant.Message.ID) && strings.Contains(d.Marks, "TLP:AMBER"))
	}
	if !forwardedWithConsent {
		t.Errorf("France's report does not list the forward to Belgium with its consent and marks: %+v", frRep.Disclosures)
	}
	trRep := report(tr)
	if p := trRep.PerPeer[agencyFR.Code]; p == nil || p.ConsentRequests != 2 || p.ConsentsGranted != 1 || p.ConsentsRefused != 1 || p.Overrides != 1 {
		t.Errorf("Turkey's report, France's totals: %+v", p)
	}
	csvOut := mustCLI(t, "report", "oversight", "--data", fr.dir, "--from", "2015-01-01", "--to", "2016-01-01", "--format", "csv")
	if !strings.HasPrefix(csvOut, "section,time,user,peer,action") || !strings.Contains(csvOut, "override,") || !strings.Contains(csvOut, "per_peer,,BE-VSSE") {
		t.Errorf("the CSV report:\n%s", csvOut)
	}
	if _, _, err := runCLI(t, nil, "report", "oversight", "--data", fr.dir, "--from", "2016-01-01", "--to", "2015-01-01"); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Errorf("a period that ends before it starts: %v", err)
	}

	for _, n := range []*liveNode{tr, fr, be} {
		if rep, err := n.node.VerifyAudit(ctx); err != nil || rep.Problem != nil {
			t.Errorf("%s: audit verify: %+v, %v", n.agency, rep, err)
		}
	}
}

// TestConsentRequestEscalates: a consent request is a message like any other. When its
// deadline passes unanswered, on the simulated clock, it escalates on both sides: the
// originator that must answer it, and the node that asked, which sees its forward waiting;
// once answered, it escalates no further.
func TestConsentRequestEscalates(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-01 09:00"), []forewarn.Agency{agencyTR, agencyFR, agencyBE}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	at := func(when time.Time) {
		t.Helper()
		if err := c.at(ctx, when); err != nil {
			t.Fatal(err)
		}
	}
	w := warning(c, forewarn.PriorityUrgent)
	w.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}, OriginatorConsentRequired: true}
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w); err != nil {
		t.Fatal(err)
	}
	at(c.clock.Now().Add(time.Minute))
	in := received(t, fr, agencyTR.Code)
	if len(in) != 1 {
		t.Fatalf("France received %d messages from Turkey, want the warning", len(in))
	}
	// France acknowledges the warning itself, so only the consent request is left to escalate.
	if _, err := fr.msgs.Acknowledge(ctx, actor(forewarn.RoleLiaison), in[0].Message.ID, forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: "action_taken", Reason: "watching him"}); err != nil {
		t.Fatal(err)
	}
	fw, err := fr.msgs.RequestForward(ctx, principal(forewarn.RoleLiaison), in[0].Message.ID, agencyBE.Code, "Belgium holds his brother")
	if err != nil {
		t.Fatal(err)
	}
	at(c.clock.Now().Add(time.Minute))
	var ask *forewarn.StoredMessage
	for _, sm := range received(t, tr, agencyFR.Code) {
		if sm.Message.Consent != nil {
			ask = sm
		}
	}
	if ask == nil || ask.Deliveries[0].Deadline.IsZero() {
		t.Fatalf("Turkey holds no consent request with a deadline: %+v", ask)
	}
	deadline := ask.Deliveries[0].Deadline
	escalations := func(n *liveNode) []*forewarn.Escalation {
		t.Helper()
		es, err := n.node.Store.Escalations(ctx, fw.ConsentRequestID)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	at(deadline.Add(-time.Minute))
	if got := len(escalations(tr)) + len(escalations(fr)); got != 0 {
		t.Fatalf("%d escalations before the consent request's deadline", got)
	}

	at(deadline.Add(time.Minute))
	onTR, onFR := escalations(tr), escalations(fr)
	if len(onTR) == 0 || onTR[0].Side != forewarn.SideRecipient {
		t.Errorf("Turkey, which must answer, has escalations %+v; want the consent request escalated on its side", onTR)
	}
	if len(onFR) == 0 || onFR[0].Side != forewarn.SideSender || onFR[0].Agency != agencyTR.Code {
		t.Errorf("France, which asked, has escalations %+v; want the request escalated as waiting for Turkey", onFR)
	}
	alerts, err := tr.node.Store.Alerts(ctx, onTRRole(onTR), 100)
	if err != nil {
		t.Fatal(err)
	}
	alerted := false
	for _, a := range alerts {
		alerted = alerted || a.MessageID == ask.Message.ID
	}
	if !alerted {
		t.Errorf("no one at Turkey is alerted to the overdue consent request: %+v", alerts)
	}

	// Answered, it escalates no further, however long the clock runs.
	if _, err := tr.msgs.AnswerConsent(ctx, principal(forewarn.RoleLiaison), ask.Message.ID, false, "source protection"); err != nil {
		t.Fatal(err)
	}
	at(c.clock.Now().Add(time.Minute)) // the answer reaches France
	before := len(escalations(tr))
	at(deadline.Add(60 * 24 * time.Hour))
	if after := len(escalations(tr)); after != before {
		t.Errorf("the answered consent request escalated %d more times", after-before)
	}
	if got, _ := fr.node.Store.Forward(ctx, fw.ID); got.Status != forewarn.ForwardRefused {
		t.Errorf("after the late refusal the forward is %+v", got)
	}
}

// onTRRole is the role the first escalation told.
func onTRRole(es []*forewarn.Escalation) forewarn.Role {
	if len(es) == 0 {
		return forewarn.RoleLiaison
	}
	return es[0].Notify
}
