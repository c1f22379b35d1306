package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/email"
	"github.com/forewarn/forewarn/internal/mailpit"
)

// sentMail is one e-mail Mailpit caught: to whom, what, and the Date the node gave it
// (the event's time on the simulated clock).
type sentMail struct {
	To, Subject, Text string
	Date              time.Time
}

func caughtMail(t *testing.T, mp *mailpit.Server) []sentMail {
	t.Helper()
	var out []sentMail
	for _, m := range mp.Messages(t) {
		h := mp.Headers(t, m.ID)
		date, err := mail.ParseDate(strings.Join(h["Date"], ""))
		if err != nil {
			t.Fatalf("mail %s has no valid Date: %v", m.ID, err)
		}
		out = append(out, sentMail{To: m.To[0].Address, Subject: m.Subject, Text: mp.Text(t, m.ID), Date: date.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// mailTo returns the caught e-mails to an address whose subject holds what.
func mailTo(ms []sentMail, to, what string) []sentMail {
	var out []sentMail
	for _, m := range ms {
		if m.To == to && strings.Contains(m.Subject, what) {
			out = append(out, m)
		}
	}
	return out
}

// TestDecemberWarningByEmail replays the December 2014 warning on two real nodes, with
// their notification e-mail going to a real SMTP server (Mailpit): France's liaison officer
// is e-mailed on arrival, content-free; at the deadline France's desk is e-mailed and
// Turkey's desk told its warning is overdue; half a window later France's supervisors; a
// whole window later Turkey's supervisors. Each e-mail is dated at its policy step on the
// simulated clock, and none comes before its step.
func TestDecemberWarningByEmail(t *testing.T) {
	mp := mailpit.Start(t, mailpit.Options{})
	ctx := context.Background()
	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2014-12-01 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, code := range c.order {
		mc, err := email.New(email.Config{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSMode: email.TLSNone, From: "forewarn@" + strings.ToLower(code) + ".example"})
		if err != nil {
			t.Fatal(err)
		}
		defer mc.Close()
		c.node(code).notifier.Email = mc
	}
	r := &replay{c: c}
	tr, fr := agencyTR.Code, agencyFR.Code
	if _, _, err := r.subject(ctx, fr, &forewarn.Subject{
		Names:     []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "fr"}},
		BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}, Nationalities: []string{"FR"}, Watch: forewarn.WatchListed,
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, day("2014-12-15 10:00")); err != nil {
		t.Fatal(err)
	}
	sm, err := r.send(ctx, tr, &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{fr},
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{fr}},
		Notification: &forewarn.Notification{Summary: "Fifth individual identified during the investigation of your request of 10 October 2014",
			Priority: forewarn.PriorityPriority, Persons: []forewarn.PersonDescriptor{person("p1", "Omar Ismail Mostefai", "1985", "FR")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, day("2014-12-15 10:01")); err != nil {
		t.Fatal(err)
	}

	// On arrival: France's liaison officer, and nobody else.
	ms := caughtMail(t, mp)
	arrival := mailTo(ms, "liaison@fr-dgsi.example", "URGENT notification from TR-MIT")
	if len(ms) != 1 || len(arrival) != 1 {
		t.Fatalf("on arrival %d e-mails, want 1 to France's liaison: %+v", len(ms), ms)
	}
	a := arrival[0]
	if !a.Date.Equal(day("2014-12-15 10:01")) {
		t.Errorf("the arrival e-mail is dated %s, want 2014-12-15 10:01", a.Date)
	}
	for _, want := range []string{"URGENT", "notification", "TR-MIT", "22 Dec 2014 10:00 UTC", "watch list", "/messages/" + sm.Message.ID} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("the arrival e-mail does not say %q:\n%s", want, a.Text)
		}
	}
	for _, secret := range []string{"Mostefai", "Mostefaï", "Fifth individual", "10 October"} {
		if strings.Contains(a.Text+a.Subject, secret) {
			t.Errorf("the content-free arrival e-mail says %q:\n%s", secret, a.Text)
		}
	}

	// The policy's steps, on each side, from each node's own deadline and effective
	// priority: France's desk at the deadline, its supervisors later; Turkey's desk told
	// at the deadline that its warning is overdue, its supervisors later.
	policy := forewarn.DefaultEscalationPolicy()
	type step struct {
		at       time.Time
		to, what string
	}
	var steps []step
	for _, code := range []string{fr, tr} {
		held, err := r.received(ctx, code, sm.Message.ID)
		if err != nil {
			t.Fatal(err)
		}
		side, what := forewarn.SideRecipient, "Overdue: URGENT notification from TR-MIT"
		if code == tr {
			side, what = forewarn.SideSender, "Your PRIORITY notification to FR-DGSI is overdue"
		}
		for i, ps := range policy.Steps {
			if ps.Side == side {
				at := policy.StepTime(held.Priority, held.Deliveries[0].Deadline, i)
				steps = append(steps, step{at, string(ps.Notify) + "@" + strings.ToLower(code) + ".example", what})
			}
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	if len(steps) < 4 {
		t.Fatalf("the policy has %d steps for this warning, want at least 4", len(steps))
	}
	for i, st := range steps {
		if i == 0 || !steps[i-1].at.Equal(st.at) {
			if err := c.at(ctx, st.at.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			for _, later := range steps[i:] {
				if got := mailTo(caughtMail(t, mp), later.to, later.what); len(got) != 0 {
					t.Errorf("%s e-mailed %q before its step at %s", later.to, later.what, later.at)
				}
			}
			if err := c.at(ctx, st.at); err != nil {
				t.Fatal(err)
			}
		}
		got := mailTo(caughtMail(t, mp), st.to, st.what)
		if len(got) != 1 || !got[0].Date.Equal(st.at) {
			t.Errorf("at %s: %d e-mails to %s saying %q (%+v), want 1 dated then", st.at, len(got), st.to, st.what, got)
			continue
		}
		if strings.Contains(got[0].Text, "Mostefai") {
			t.Errorf("an escalation e-mail names the person:\n%s", got[0].Text)
		}
		t.Logf("%s  %s: %s", st.at.Format("2006-01-02 15:04"), st.to, got[0].Subject)
	}
	// The worker's figures are in /metrics.
	resp, err := http.Get(c.node(fr).url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sent int
	if _, err := fmt.Sscanf(string(body[bytes.Index(body, []byte("\nforewarn_notifications_sent_total "))+1:]), "forewarn_notifications_sent_total %d", &sent); err != nil || sent < 3 {
		t.Errorf("France's /metrics says %d notifications sent (%v), want at least the arrival and two escalations", sent, err)
	}
	for _, want := range []string{"forewarn_notifications_failed_total 0", "forewarn_notifications_pending 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("France's /metrics lacks %q:\n%s", want, grepLines(string(body), "forewarn_notif"))
		}
	}
	// Nobody at France chose: supervisors cannot opt out of escalations.
	err = c.node(fr).node.Store.SetNotificationSettings(ctx, forewarn.UserActor("supervisor"), &forewarn.NotificationSettings{
		Username: "supervisor", Email: "supervisor@fr-dgsi.example", Off: []forewarn.NotificationType{forewarn.NotifyEscalation}})
	if forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("a supervisor opted out of escalations: %v", err)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
