package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// TestAcknowledgementStanding: a partner that was not a recipient cannot thread an
// acknowledgement or a response into another agency's conversation; a recipient cannot
// date its acknowledgement before the message; and when an acknowledgement arrives is
// recorded, so a late one stays late whatever date it claims (issue 13, findings 3 and 15).
func TestAcknowledgementStanding(t *testing.T) {
	ctx := context.Background()
	be := forewarn.Agency{Code: "BE-VSSE", Name: "Veiligheid van de Staat", Country: "BE"}
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-01-05 09:00"), []forewarn.Agency{agencyTR, agencyFR, be}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr, bel := c.node(agencyTR.Code), c.node(agencyFR.Code), c.node(be.Code)
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), warning(c, forewarn.PriorityUrgent))
	if err != nil {
		t.Fatal(err)
	}
	w := sent.Message
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	reply := func(from string, kind forewarn.MessageKind, created time.Time) *forewarn.Message {
		r := &forewarn.Message{ID: forewarn.NewID(created), Version: forewarn.MessageVersion, From: from, To: []string{agencyTR.Code},
			Created: created, Kind: kind, InReplyTo: w.ID, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyTR.Code}}}
		if kind == forewarn.KindResponse {
			r.Response = &forewarn.Response{Answer: "We know him well."}
		} else {
			r.Ack = &forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeNoAction, Reason: "nothing to do"}
		}
		return r
	}
	now := c.clock.Now()
	cases := []struct {
		name   string
		body   []byte
		status int
		reason string
	}{
		{"an acknowledgement from a partner that was not a recipient", mustSeal(t, reply(be.Code, forewarn.KindAcknowledgement, now), bel.node.Signer), http.StatusForbidden, "was not a recipient"},
		{"a response from a partner that was not a recipient", mustSeal(t, reply(be.Code, forewarn.KindResponse, now), bel.node.Signer), http.StatusForbidden, "neither sent nor received"},
		{"an acknowledgement dated before the message", mustSeal(t, reply(agencyFR.Code, forewarn.KindAcknowledgement, w.Created.Add(-6*24*time.Hour)), fr.node.Signer), http.StatusBadRequest, "before message"},
	}
	for _, tc := range cases {
		before, _ := tr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
		resp, err := http.Post(tr.url+"/federation/v1/messages", "application/json", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.reason) {
			t.Errorf("%s: %d %s, want %d naming %q", tc.name, resp.StatusCode, body, tc.status, tc.reason)
		}
		after, _ := tr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "message.reject", Limit: 1000})
		if len(after) != len(before)+1 {
			t.Errorf("%s: the refusal is not audited", tc.name)
		}
	}
	if d := mustMessage(t, tr, w.ID).Delivery(agencyFR.Code); d.Actioned() || !d.ReadAt.IsZero() {
		t.Fatalf("a refused acknowledgement changed Turkey's delivery: %s", d.Status())
	}

	// France answers two days late with an acknowledgement dated within the deadline:
	// Turkey records it when it arrives, and shows it late.
	late := w.Notification.AcknowledgeBy.Add(48 * time.Hour)
	if err := c.at(ctx, late); err != nil {
		t.Fatal(err)
	}
	backdated := reply(agencyFR.Code, forewarn.KindAcknowledgement, w.Notification.AcknowledgeBy.Add(-time.Hour))
	resp, err := http.Post(tr.url+"/federation/v1/messages", "application/json", bytes.NewReader(mustSeal(t, backdated, fr.node.Signer)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a recipient's acknowledgement was refused: %d", resp.StatusCode)
	}
	d := mustMessage(t, tr, w.ID).Delivery(agencyFR.Code)
	if !d.AckArrivedAt.Equal(late) || d.Overdue.IsZero() || !strings.Contains(d.Status(), "2 days after the deadline") {
		t.Errorf("a late acknowledgement claiming to be in time: arrival recorded %s (arrived %s): %s", d.AckArrivedAt, late, d.Status())
	}
}

func mustMessage(t *testing.T, rt *liveNode, id string) *forewarn.StoredMessage {
	t.Helper()
	sm, err := rt.node.Store.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// TestMessageAckCLI: 'message ack' refuses an unknown outcome and a read-stage
// acknowledgement after an actioned one, naming the flag and the valid values; the
// sender's 'message show' then says who acknowledged, when, the outcome and the reason.
func TestMessageAckCLI(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	sent, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), warning(c, forewarn.PriorityUrgent))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	id := sent.Message.ID
	token := func(rt *liveNode) map[string]string {
		secret, _, err := app.NewToken(ctx, rt.node, forewarn.SystemActor("test"), "liaison", forewarn.RoleLiaison, "ack test")
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"FOREWARN_TOKEN": secret}
	}
	frEnv, trEnv := token(fr), token(tr)
	_, _, err = runCLI(t, frEnv, "message", "ack", "--node", fr.url, id, "--outcome", "shrug", "--reason", "x")
	if err == nil || !strings.Contains(err.Error(), "--outcome") || !strings.Contains(err.Error(), "action_taken") {
		t.Errorf("an unknown outcome: %v; want an error naming --outcome and the valid outcomes", err)
	}
	if _, _, err := runCLI(t, frEnv, "message", "ack", "--node", fr.url, id, "--outcome", "action_taken", "--reason", "Border alert set; file opened."); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, frEnv, "message", "ack", "--node", fr.url, id, "--stage", "read")
	if err == nil || !strings.Contains(err.Error(), "--stage") || !strings.Contains(err.Error(), "already acknowledged as actioned") {
		t.Errorf("a read after actioned: %v; want an error naming --stage", err)
	}
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, trEnv, "message", "show", "--node", tr.url, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"acknowledged", "by liaison at FR-DGSI", "action_taken", "Border alert set; file opened."} {
		if !strings.Contains(out, want) {
			t.Errorf("Turkey's 'message show' lacks %q:\n%s", want, out)
		}
	}
}

// TestOwnerEscalation: a warning about a person France watch-lists is raised to flash, so
// its deadline and first reminder are flash's (an hour from arrival), not the urgent 24 h
// the sender declared. France's liaison officer takes it; when it falls due the owner is
// reminded first, a quarter window later the liaison desk, half a window later the
// supervisors, each at the policy's step on the simulated clock.
func TestOwnerEscalation(t *testing.T) {
	ctx := context.Background()
	_, c := twoNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	subj := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}},
		BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if _, err := fr.msgs.CreateSubject(ctx, actor(forewarn.RoleAnalyst), subj); err != nil {
		t.Fatal(err)
	}
	w := warning(c, forewarn.PriorityUrgent)
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w); err != nil {
		t.Fatal(err)
	}
	arrived := c.clock.Now().Add(time.Minute)
	if err := c.at(ctx, arrived); err != nil {
		t.Fatal(err)
	}
	sm := mustMessage(t, fr, w.ID)
	d := sm.Deliveries[0]
	if sm.Priority != forewarn.PriorityFlash || !d.Deadline.Equal(arrived.Add(time.Hour)) || !d.NextEscalation.Equal(d.Deadline) {
		t.Fatalf("raised to %s, deadline %s, first reminder %s; want flash, both %s", sm.Priority, d.Deadline, d.NextEscalation, arrived.Add(time.Hour))
	}
	officer := &forewarn.Principal{Username: "liaison", Roles: []forewarn.Role{forewarn.RoleLiaison}}
	if _, err := fr.msgs.Assign(ctx, &forewarn.Principal{Username: "analyst", Roles: []forewarn.Role{forewarn.RoleAnalyst}}, w.ID, "liaison"); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Errorf("an analyst assigning a message: %v, want EFORBIDDEN", err)
	}
	if _, err := fr.msgs.Assign(ctx, officer, w.ID, "liaison"); err != nil {
		t.Fatal(err)
	}
	escalationsFor := func(alerts []*forewarn.Alert) int {
		n := 0
		for _, a := range alerts {
			if a.Kind == "escalation" && a.MessageID == w.ID {
				n++
			}
		}
		return n
	}
	told := func() (owner, desk, supervisors int) {
		mine, _ := fr.node.Store.UserAlerts(ctx, "liaison", 100)
		liaisonDesk, _ := fr.node.Store.Alerts(ctx, forewarn.RoleLiaison, 100)
		sup, _ := fr.node.Store.Alerts(ctx, forewarn.RoleSupervisor, 100)
		return escalationsFor(mine), escalationsFor(liaisonDesk), escalationsFor(sup)
	}
	steps := []struct {
		at                       time.Duration
		owner, desk, supervisors int
		what                     string
	}{
		{59 * time.Minute, 0, 0, 0, "before the deadline nobody is reminded"},
		{61 * time.Minute, 1, 0, 0, "at the deadline the owner is reminded, not the desk"},
		{76 * time.Minute, 1, 1, 0, "a quarter window later the liaison desk"},
		{91 * time.Minute, 1, 1, 1, "half a window later the supervisors"},
	}
	for _, st := range steps {
		if err := c.at(ctx, arrived.Add(st.at)); err != nil {
			t.Fatal(err)
		}
		o, dk, sp := told()
		if o != st.owner || dk != st.desk || sp != st.supervisors {
			t.Errorf("%s: owner %d, desk %d, supervisors %d alerts; want %d, %d, %d", st.what, o, dk, sp, st.owner, st.desk, st.supervisors)
		}
	}
	es, _ := fr.node.Store.Escalations(ctx, w.ID)
	if len(es) != 3 || es[0].Username != "liaison" || es[1].Username != "" || es[1].Notify != forewarn.RoleLiaison || es[2].Notify != forewarn.RoleSupervisor {
		t.Errorf("escalations = %+v", es)
	}
}
