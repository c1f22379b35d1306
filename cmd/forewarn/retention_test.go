package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// TestRetention is retention and review on the simulated clock, on two real nodes: France
// holds Mostefaï as a watch-listed subject and confirms Turkey's warning about him; the
// review alert fires at the review date from the policy and not before; keeping him needs a
// reason and moves the date; at the next review the CLI erases him while the node serves;
// he is gone from search, from the match index (a new warning naming him matches nothing),
// from the warning confirmed to be him and from the database files (SQLite, WAL included);
// audit verify still passes; Turkey, whose agreement asks for it, is told; and the
// oversight report lists the keep and the erasure.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, dir, day("2015-06-01 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	frData := filepath.Join(dir, agencyFR.Code)
	at := func(when time.Time) {
		t.Helper()
		if err := c.at(ctx, when); err != nil {
			t.Fatal(err)
		}
	}
	step := func() { t.Helper(); at(c.clock.Now().Add(time.Minute)) }
	analyst := principal(forewarn.RoleAnalyst)

	if err := fr.node.Store.SetAgreement(ctx, forewarn.SystemActor("test"), &forewarn.SharingAgreement{Agency: agencyTR.Code,
		Kinds: []forewarn.MessageKind{forewarn.KindRequest, forewarn.KindNotification, forewarn.KindResponse}, MaxTLP: forewarn.TLPRed, NotifyErasure: true}); err != nil {
		t.Fatal(err)
	}
	s := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï"}}, BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21},
		Nationalities: []string{"FR"}, Watch: forewarn.WatchListed, Notes: "Mostefaï: radicalised in Chartres"}
	if err := fr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s); err != nil {
		t.Fatal(err)
	}
	created := c.clock.Now()

	// Turkey warns France about him; France confirms the match.
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), warning(c, forewarn.PriorityUrgent)); err != nil {
		t.Fatal(err)
	}
	step()
	in := received(t, fr, agencyTR.Code)
	if len(in) != 1 {
		t.Fatalf("France received %d messages, want the warning", len(in))
	}
	warn := in[0].Message.ID
	ms, _, err := fr.node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: s.ID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("matches of the subject = %d, %v; want the warning's", len(ms), err)
	}
	if err := fr.msgs.ConfirmMatch(ctx, actor(forewarn.RoleAnalyst), ms[0].ID, "same man: Mostefaï, born Nov 1985"); err != nil {
		t.Fatal(err)
	}

	// The policy gives him a review date: watch-listed, a year after he was recorded.
	if _, err := fr.msgs.Review(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := fr.node.Store.Review(ctx, forewarn.RetainSubject, s.ID)
	if err != nil || !r.ReviewAt.Equal(created.AddDate(0, 0, 365)) {
		t.Fatalf("review = %+v, %v; want a year after %s", r, err, created)
	}
	reviewAlerts := func() []*forewarn.Alert {
		t.Helper()
		as, err := fr.node.Store.Alerts(ctx, forewarn.RoleAnalyst, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []*forewarn.Alert
		for _, a := range as {
			if a.Kind == "review" && a.SubjectID == s.ID {
				out = append(out, a)
			}
		}
		return out
	}
	at(r.ReviewAt.Add(-time.Hour))
	if n, err := fr.msgs.Review(ctx); err != nil || n != 0 || len(reviewAlerts()) != 0 {
		t.Fatalf("an hour before the review date: %d alerts, %v", n, err)
	}
	at(r.ReviewAt.Add(time.Minute))
	if _, err := fr.msgs.Review(ctx); err != nil {
		t.Fatal(err)
	}
	if as := reviewAlerts(); len(as) != 1 || strings.Contains(as[0].Text, "Mostef") {
		t.Fatalf("review alerts at the date = %+v; want one, naming no one", as)
	}

	// Keep: the reason is required; the date moves and the alert closes.
	if _, err := fr.msgs.KeepItem(ctx, analyst, forewarn.RetainSubject, s.ID, c.clock.Now().AddDate(0, 3, 0), ""); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("keep without a reason: %v", err)
	}
	if _, err := fr.msgs.KeepItem(ctx, principal(forewarn.RoleOversight), forewarn.RetainSubject, s.ID, c.clock.Now().AddDate(0, 3, 0), "x"); forewarn.ErrorCode(err) != forewarn.EFORBIDDEN {
		t.Errorf("keep by oversight: %v", err)
	}
	kept, err := fr.msgs.KeepItem(ctx, analyst, forewarn.RetainSubject, s.ID, c.clock.Now().AddDate(0, 3, 0), "Mostefaï investigation still open")
	if err != nil || !kept.ReviewAt.Equal(c.clock.Now().AddDate(0, 3, 0)) {
		t.Fatalf("keep = %+v, %v", kept, err)
	}
	if as := reviewAlerts(); len(as) != 0 {
		t.Errorf("the review alert is still open after the keep: %+v", as)
	}
	at(kept.ReviewAt.Add(time.Minute))
	if _, err := fr.msgs.Review(ctx); err != nil {
		t.Fatal(err)
	}
	if as := reviewAlerts(); len(as) != 1 {
		t.Fatalf("review alerts at the kept date = %+v; want one", as)
	}

	// Erase, with the CLI, while the node serves. The CLI runs on the wall clock: the
	// cluster's clock moves there first, so the erasure notice it sends is of its time.
	at(time.Now().UTC())
	if _, _, err := runCLI(t, nil, "retention", "erase", "--data", frData, "--subject", s.ID); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("erase without --reason: %v", err)
	}
	out, errOut, err := runCLI(t, nil, "retention", "erase", "--data", frData, "--subject", s.ID, "--reason", "review: no longer necessary")
	if err != nil || errOut != "" {
		t.Fatalf("retention erase: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Erased subject "+s.ID) || !strings.Contains(out, "1 persons in 1 received messages") {
		t.Errorf("retention erase printed %q", out)
	}
	if _, err := fr.node.Store.Subject(ctx, actor(forewarn.RoleAnalyst), s.ID); forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		t.Errorf("the erased subject reads as %v", err)
	}
	hits, err := fr.node.Search(ctx, actor(forewarn.RoleAnalyst), match.Person{Names: []string{"Ismaël Omar Mostefaï"}}, 10, 0.5)
	if err != nil || len(hits) != 0 {
		t.Errorf("search after erasure = %+v, %v; want nothing", hits, err)
	}
	sm, err := fr.node.Store.Message(ctx, warn)
	if err != nil || len(sm.Message.Persons()) != 0 || len(sm.Envelope) != 0 || strings.Contains(sm.Message.Notification.Summary, "Mostef") {
		t.Errorf("the warning confirmed to be him still holds %+v (envelope %d bytes), %v", sm.Message.Notification, len(sm.Envelope), err)
	}
	for _, f := range []string{"forewarn.db", "forewarn.db-wal"} {
		b, err := os.ReadFile(filepath.Join(frData, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, name := range []string{"Mostef", "MOSTEF", "mostef"} {
			if i := bytes.Index(b, []byte(name)); i >= 0 {
				t.Errorf("%s still holds %q at byte %d: %q", f, name, i, b[max(0, i-80):min(len(b), i+80)])
			}
		}
	}
	if out, errOut, err := runCLI(t, nil, "audit", "verify", "--data", frData); err != nil {
		t.Errorf("audit verify after erasure: %v\n%s%s", err, out, errOut)
	}

	// Turkey is told, naming no one.
	step()
	var notice *forewarn.StoredMessage
	for _, x := range received(t, tr, agencyFR.Code) {
		if x.Message.Response != nil && strings.HasPrefix(x.Message.Response.Answer, "Erasure notice") {
			notice = x
		}
	}
	if notice == nil {
		outs, _, _ := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut, Limit: 100})
		for _, o := range outs {
			t.Logf("FR out: %s %s %+v %+v", o.Message.Kind, o.Message.ID, o.Message.Response, o.Deliveries[0])
		}
		t.Fatal("Turkey was not told of the erasure")
	}
	if strings.Contains(notice.Message.Response.Answer, "Mostef") || len(notice.Message.Persons()) != 0 {
		t.Errorf("the erasure notice names him: %+v", notice.Message.Response)
	}

	// A new warning naming him matches nothing at France: the index dropped him.
	w2 := warning(c, forewarn.PriorityUrgent)
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w2); err != nil {
		t.Fatal(err)
	}
	step()
	last, err := fr.node.Store.Message(ctx, w2.ID)
	if err != nil || len(last.Message.Persons()) != 1 {
		t.Fatalf("France holds the new warning as %+v, %v", last, err)
	}
	if got, _, err := fr.node.Store.Matches(ctx, forewarn.MatchFilter{MessageID: last.Message.ID}); err != nil || len(got) != 0 {
		t.Errorf("the new warning matched %d times (%v); want none", len(got), err)
	}
	if last.HoldsPerson {
		t.Error("the new warning is marked as about a person France holds")
	}

	// The oversight report lists the keep and the erasure.
	rep, err := fr.node.OversightReport(ctx, actor(forewarn.RoleOversight), day("2015-01-01 00:00"), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Keeps) != 1 || len(rep.Erasures) != 1 || rep.Erasures[0].Object != s.ID {
		t.Errorf("oversight report: keeps %+v, erasures %+v", rep.Keeps, rep.Erasures)
	}
}

// TestErasureNoticeReachesStoppedOriginator: the erasure notice is durable. France erases
// a warning from Turkey while Turkey's node is down; the notice is written with the
// erasure and queued at once, delivery to Turkey fails and is retried with backoff on the
// simulated clock, and when Turkey's node is back the notice arrives and is receipted. An
// erasure whose notice was never sent (the node stopped right after its commit) is told
// by the next tick.
func TestErasureNoticeReachesStoppedOriginator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nodes")
	}
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-01 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	at := func(when time.Time) {
		t.Helper()
		if err := c.at(ctx, when); err != nil {
			t.Fatal(err)
		}
	}
	step := func(d time.Duration) { t.Helper(); at(c.clock.Now().Add(d)) }
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	if err := fr.node.Store.SetAgreement(ctx, forewarn.SystemActor("test"), &forewarn.SharingAgreement{Agency: agencyTR.Code,
		Kinds: []forewarn.MessageKind{forewarn.KindRequest, forewarn.KindNotification, forewarn.KindResponse}, MaxTLP: forewarn.TLPRed, NotifyErasure: true}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), warning(c, forewarn.PriorityUrgent)); err != nil {
			t.Fatal(err)
		}
	}
	step(time.Minute)
	in := received(t, fr, agencyTR.Code)
	if len(in) != 2 {
		t.Fatalf("France received %d messages, want the two warnings", len(in))
	}
	notices := func() []*forewarn.StoredMessage {
		t.Helper()
		var out []*forewarn.StoredMessage
		for _, x := range received(t, c.node(agencyTR.Code), agencyFR.Code) {
			if x.Message.Response != nil && strings.HasPrefix(x.Message.Response.Answer, "Erasure notice") {
				out = append(out, x)
			}
		}
		return out
	}

	// Turkey is down when France erases the first warning.
	if err := c.stop(agencyTR.Code); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.msgs.EraseItem(ctx, principal(forewarn.RoleAnalyst), forewarn.RetainMessage, in[0].Message.ID, "review: no longer necessary"); err != nil {
		t.Fatal(err)
	}
	if pending, err := fr.node.Store.PendingErasureNotices(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending erasure notices after the erasure = %+v, %v; want it queued as a message at once", pending, err)
	}
	outbox := func() *forewarn.StoredMessage {
		t.Helper()
		outs, _, err := fr.node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionOut, Kind: forewarn.KindResponse, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if strings.HasPrefix(o.Message.Response.Answer, "Erasure notice") && o.Message.InReplyTo == in[0].SenderID() {
				return o
			}
		}
		t.Fatal("France's outbox holds no erasure notice")
		return nil
	}
	for range 3 {
		step(10 * time.Minute) // past the retry backoff each time
	}
	if d := outbox().Deliveries[0]; d.Receipt != nil || d.Attempts < 2 || d.LastError == "" {
		t.Fatalf("the notice to a stopped Turkey: %+v; want failed attempts, retried", d)
	}

	// Turkey is back: the notice arrives, and France holds its receipt.
	if err := c.start(ctx, m, agencyTR.Code); err != nil {
		t.Fatal(err)
	}
	step(10 * time.Minute)
	got := notices()
	if len(got) != 1 || got[0].Message.InReplyTo != in[0].SenderID() {
		t.Fatalf("Turkey received %d erasure notices: %+v", len(got), got)
	}
	if d := outbox().Deliveries[0]; d.Receipt == nil || d.DeliveredAt.IsZero() {
		t.Errorf("France has no receipt for the notice: %+v", d)
	}

	// A notice the erasure owes but nobody sent (the node stopped right after the
	// erasure committed): the next tick sends it.
	if _, err := fr.node.Store.Erase(ctx, forewarn.UserActor("analyst"), forewarn.RetainMessage, in[1].Message.ID, "review: expired"); err != nil {
		t.Fatal(err)
	}
	if pending, err := fr.node.Store.PendingErasureNotices(ctx); err != nil || len(pending) != 1 {
		t.Fatalf("pending erasure notices = %+v, %v; want the second erasure's", pending, err)
	}
	if _, err := fr.msgs.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	step(time.Minute)
	if got := notices(); len(got) != 2 {
		t.Errorf("Turkey received %d erasure notices, want 2", len(got))
	}
	es, err := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "erasure.notice_sent"})
	if err != nil || len(es) != 2 {
		t.Errorf("erasure.notice_sent entries = %d, %v; want 2", len(es), err)
	}
}

// TestErasureScrubsForwards: the reasons stored with a forward (the liaison officer's,
// the originator's answer) and the consent request and forwarded copy they travelled in
// are erased with the person they concern. France holds Mostefaï, confirms Turkey's
// consent-required warning about him, asks to pass it on to Belgium with a reason naming
// him, Turkey grants it with one too, and Belgium receives it; when France erases him,
// each reason becomes a digest, the sent copies lose him, and neither forewarn.db nor its
// WAL holds his name; audit verify still passes.
func TestErasureScrubsForwards(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nodes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, dir, day("2015-06-01 09:00"), []forewarn.Agency{agencyTR, agencyFR, agencyBE}, nil, nil)
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
	s := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï"}}, BirthDate: forewarn.PartialDate{Year: 1985, Month: 11, Day: 21},
		Nationalities: []string{"FR"}, Watch: forewarn.WatchListed}
	if err := fr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), s); err != nil {
		t.Fatal(err)
	}
	w := warning(c, forewarn.PriorityUrgent)
	w.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{agencyFR.Code}, OriginatorConsentRequired: true}
	if _, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), w); err != nil {
		t.Fatal(err)
	}
	step()
	in := received(t, fr, agencyTR.Code)
	if len(in) != 1 {
		t.Fatalf("France received %d messages, want the warning", len(in))
	}
	ms, _, err := fr.node.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: s.ID})
	if err != nil || len(ms) != 1 {
		t.Fatalf("matches = %d, %v", len(ms), err)
	}
	if err := fr.msgs.ConfirmMatch(ctx, actor(forewarn.RoleAnalyst), ms[0].ID, "same man"); err != nil {
		t.Fatal(err)
	}
	fw, err := fr.msgs.RequestForward(ctx, principal(forewarn.RoleLiaison), in[0].Message.ID, agencyBE.Code, "Mostefaï is travelling to Brussels")
	if err != nil {
		t.Fatal(err)
	}
	step()
	var ask *forewarn.StoredMessage
	for _, a := range received(t, tr, agencyFR.Code) {
		if a.Message.Consent != nil {
			ask = a
		}
	}
	if ask == nil {
		t.Fatal("Turkey received no consent request")
	}
	if _, err := tr.msgs.AnswerConsent(ctx, principal(forewarn.RoleLiaison), ask.Message.ID, true, "for the Mostefaï case only"); err != nil {
		t.Fatal(err)
	}
	step()
	step()
	got, err := fr.node.Store.Forward(ctx, fw.ID)
	if err != nil || got.Status != forewarn.ForwardSent || got.AnswerReason != "for the Mostefaï case only" || len(received(t, be, agencyFR.Code)) != 1 {
		t.Fatalf("before the erasure the forward is %+v, %v", got, err)
	}

	if _, err := fr.msgs.EraseItem(ctx, principal(forewarn.RoleAnalyst), forewarn.RetainSubject, s.ID, "review: no longer necessary"); err != nil {
		t.Fatal(err)
	}
	got, err = fr.node.Store.Forward(ctx, fw.ID)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"reason": got.Reason, "answer": got.AnswerReason} {
		if !strings.HasPrefix(text, forewarn.ErasedText+" sha256:") {
			t.Errorf("the forward's %s after the erasure: %q; want the erased mark and its digest", what, text)
		}
	}
	for _, id := range []string{got.ConsentRequestID, got.AnswerID, got.ForwardedID} {
		sm, err := fr.node.Store.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(sm.Message); bytes.Contains(bytes.ToLower(b), []byte("mostef")) || len(sm.Message.Persons()) != 0 {
			t.Errorf("message %s (%s) still holds him: %s", id, sm.Message.Kind, b)
		}
	}
	frData := filepath.Join(dir, agencyFR.Code)
	for _, f := range []string{"forewarn.db", "forewarn.db-wal"} {
		b, err := os.ReadFile(filepath.Join(frData, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, name := range []string{"Mostef", "MOSTEF", "mostef"} {
			if i := bytes.Index(b, []byte(name)); i >= 0 {
				t.Errorf("%s still holds %q at byte %d: %q", f, name, i, b[max(0, i-80):min(len(b), i+80)])
			}
		}
	}
	if out, errOut, err := runCLI(t, nil, "audit", "verify", "--data", frData); err != nil {
		t.Errorf("audit verify after erasure: %v\n%s%s", err, out, errOut)
	}
}
