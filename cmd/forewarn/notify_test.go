package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
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

	// On arrival: France's liaison officer; and, since the man is on France's watch list,
	// the match alert reaches the liaison officer, the supervisor and the analyst, all
	// content-free. Nobody else.
	ms := caughtMail(t, mp)
	arrival := mailTo(ms, "liaison@fr-dgsi.example", "] URGENT notification from TR-MIT")
	if len(ms) != 4 || len(arrival) != 1 {
		t.Fatalf("on arrival %d e-mails, want 1 arrival to France's liaison and 3 of the match: %+v", len(ms), ms)
	}
	for _, who := range []string{"liaison", "supervisor", "analyst"} {
		got := mailTo(ms, who+"@fr-dgsi.example", "Match: URGENT notification from TR-MIT")
		if len(got) != 1 || !strings.Contains(got[0].Text, "matches subject") || !strings.Contains(got[0].Text, "/messages/"+sm.Message.ID) {
			t.Errorf("%d match e-mails to the %s: %+v", len(got), who, got)
		}
		for _, g := range got {
			if strings.Contains(g.Text+g.Subject, "Mostefa") {
				t.Errorf("the content-free match e-mail names the person:\n%s", g.Text)
			}
		}
	}
	a := arrival[0]
	if !a.Date.Equal(day("2014-12-15 10:01")) {
		t.Errorf("the arrival e-mail is dated %s, want 2014-12-15 10:01", a.Date)
	}
	atFR, err := r.received(ctx, fr, sm.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	due := atFR.Deliveries[0].Deadline.UTC().Format("2 Jan 2006 15:04 MST") // France's deadline, for its effective priority
	for _, want := range []string{"URGENT", "notification", "TR-MIT", due, "watch list", "/messages/" + sm.Message.ID} {
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
			if ps.Side == side && ps.Applies(held.Deliveries[0].Owner) {
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

// TestHungMailServerDoesNotBlockMessages: France's mail server accepts connections and
// never answers. Warnings still arrive, are stored, matched and receipted at once; the
// e-mail waits in the outbox, visibly pending, and its failure is recorded.
func TestHungMailServerDoesNotBlockMessages(t *testing.T) {
	hung, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := hung.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never greeted
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	port := hung.Addr().(*net.TCPAddr).Port
	tr, fr := pairNodes(t, "", func(code string) *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow, tick: time.Second, notify: &notifyFlags{
			smtpHost: "127.0.0.1", smtpPort: port, smtpTLS: "none", smtpFrom: "forewarn@" + strings.ToLower(code) + ".example", digestHour: -1}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	setup := forewarn.SystemActor("test")
	if err := fr.node.Store.CreateUser(ctx, setup, &forewarn.User{Username: "desk", DisplayName: "Desk", Roles: []forewarn.Role{forewarn.RoleLiaison}, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := fr.node.Store.SetNotificationSettings(ctx, setup, &forewarn.NotificationSettings{Username: "desk", Email: "desk@fr-dgsi.example"}); err != nil {
		t.Fatal(err)
	}
	go fr.notifier.Run(ctx, time.Second)
	const warnings = 5
	for i := range warnings {
		if _, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
			Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber},
			Notification: &forewarn.Notification{Summary: "warning", Priority: forewarn.PriorityFlash, Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
		}); err != nil {
			t.Fatal(err)
		}
		// Each delivery is answered with a receipt while the notifier is stuck on the mail server.
		if n, err := tr.msgs.DeliverDue(ctx, 1); err != nil || n != 1 {
			t.Fatalf("warning %d: delivered %d, %v", i, n, err)
		}
	}
	if _, total, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Limit: 1}); err != nil || total != warnings {
		t.Fatalf("France holds %d warnings, want %d (%v)", total, warnings, err)
	}
	counts, err := fr.node.Store.NotificationCounts(ctx)
	if err != nil || counts.Pending != warnings || counts.Sent != 0 {
		t.Errorf("France's outbox: %+v, %v; want %d pending", counts, err, warnings)
	}
}

// TestUserAddEmail: 'user add --email' records where notifications go, and an address
// that is not one is refused, naming it, before anything is written.
func TestUserAddEmail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fr")
	if _, _, err := runCLI(t, nil, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI", "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCLI(t, nil, "user", "add", "--data", dir, "--username", "desk", "--role", "liaison", "--email", "desk at dgsi", "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), `"desk at dgsi"`) {
		t.Fatalf("an invalid address: %v", err)
	}
	if _, _, err := runCLI(t, nil, "user", "add", "--data", dir, "--username", "desk", "--role", "liaison", "--email", "desk@dgsi.example", "--log-level", "error"); err != nil {
		t.Fatalf("user add after the refusal (nothing half-written): %v", err)
	}
	if n := count(t, dir, "SELECT COUNT(*) FROM notification_settings WHERE username = 'desk' AND email = 'desk@dgsi.example'"); n != 1 {
		t.Errorf("the address was not recorded")
	}
}
