package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testPhrases: an escalation and an alert keep their phrase (code and typed arguments)
// beside their English, and the escalation's alert carries it too; one written without a
// phrase, as every row before phrases, reads back with its English alone; an unknown code
// or a wrong number of arguments is refused, writing nothing.
func testPhrases(t *testing.T, open Opener) {
	e := NewEnv(t, open, 0)
	e.AddPeers()
	m := e.Send(NewNotification(Agency.Code, []string{PeerFR}, e.Clock.Now())).Message
	deadline := m.Notification.AcknowledgeBy
	e.Clock.Advance(24 * time.Hour)

	start := e.AuditCount()
	for _, bad := range []forewarn.Phrase{
		forewarn.Say("escalation.no_such_code", forewarn.TextArg("x")),
		forewarn.Say(forewarn.PhraseEscalationUnacknowledged, forewarn.LabelArg(m.Kind)),
		{Args: []forewarn.PhraseArg{forewarn.TextArg("x")}},
	} {
		err := e.Store.Escalate(e.Ctx, &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 1,
			Notify: forewarn.RoleLiaison, Text: "overdue", Phrase: bad, FiredAt: deadline}, time.Time{})
		WantCode(t, err, forewarn.EINVALID)
	}
	if n := e.AuditCount(); n != start {
		t.Errorf("refused phrases wrote %d audit entries", n-start)
	}

	p := forewarn.EscalationPhrase(forewarn.SideSender, m.Kind, m.From, PeerFR, deadline, true)
	first := &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 1, Notify: forewarn.RoleLiaison,
		Text: p.English(), Phrase: p, FiredAt: deadline}
	if err := e.Store.Escalate(e.Ctx, first, deadline.Add(time.Hour)); err != nil {
		t.Fatalf("Escalate: %v", err)
	}
	old := &forewarn.Escalation{MessageID: m.ID, Agency: PeerFR, Side: forewarn.SideSender, Step: 2, Notify: forewarn.RoleSupervisor,
		Text: "notification to FR-DGSI was delivered but not acknowledged", FiredAt: deadline.Add(time.Hour)}
	if err := e.Store.Escalate(e.Ctx, old, time.Time{}); err != nil {
		t.Fatalf("Escalate without a phrase: %v", err)
	}
	es, err := e.Store.Escalations(e.Ctx, m.ID)
	if err != nil || len(es) != 2 {
		t.Fatalf("Escalations = %+v, %v", es, err)
	}
	if !reflect.DeepEqual(es[0].Phrase, p) || es[0].Text != p.English() {
		t.Errorf("escalation read back as %+v / %q; want %+v / %q", es[0].Phrase, es[0].Text, p, p.English())
	}
	if es[1].Code != "" || es[1].Args != nil || es[1].Text != old.Text {
		t.Errorf("escalation without a phrase read back as %+v", es[1])
	}
	as, err := e.Store.Alerts(e.Ctx, forewarn.RoleLiaison, 10)
	if err != nil || len(as) != 1 || !reflect.DeepEqual(as[0].Phrase, p) {
		t.Errorf("the escalation's alert = %+v, %v; want its phrase %+v", as, err, p)
	}
	as, err = e.Store.Alerts(e.Ctx, forewarn.RoleSupervisor, 10)
	if err != nil || len(as) != 1 || as[0].Code != "" || as[0].Text != old.Text {
		t.Errorf("the alert of the escalation without a phrase = %+v, %v", as, err)
	}

	// A match alert's phrase nests others: the message it is about and the matcher's summary.
	in := NewNotification(PeerDE, []string{Agency.Code}, e.Clock.Now())
	e.Receive(in)
	about := forewarn.Say(forewarn.PhraseAlertAbout, forewarn.LabelArg(in.Kind), forewarn.TextArg(in.ID), forewarn.AgencyArg(in.From), forewarn.TextArg("Omar Ismail Mostefai"))
	summary := forewarn.Say(forewarn.PhraseMatchSummaryReasons, forewarn.ScoreArg(0.93), forewarn.TextArg("Omar Ismail Mostefai"),
		forewarn.TextArg("Ismaël Omar Mostefaï"), forewarn.LabelsArg([]string{"reordered", "diacritics"}))
	hp := forewarn.Say(forewarn.PhraseAlertHolds, forewarn.PhrasesArg(about), forewarn.TextArg("Ismaël Omar Mostefaï"), forewarn.PhrasesArg(summary))
	alert := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: in.ID, Text: hp.English(), Phrase: hp}
	if err := e.Store.CreateMatches(e.Ctx, analyst, nil, []*forewarn.Alert{alert}); err != nil {
		t.Fatalf("CreateMatches: %v", err)
	}
	got, err := e.Store.Alert(e.Ctx, alert.ID)
	if err != nil || !reflect.DeepEqual(got.Phrase, hp) || got.Text != hp.English() {
		t.Errorf("Alert = %+v, %v; want the phrase %+v", got, err, hp)
	}
	bad := &forewarn.Alert{Role: forewarn.RoleAnalyst, Kind: "match", MessageID: in.ID, Text: "x",
		Phrase: forewarn.Say(forewarn.PhraseAlertHolds, forewarn.PhrasesArg(forewarn.Say("alert.no_such_code")), forewarn.TextArg("x"), forewarn.PhrasesArg())}
	WantCode(t, e.Store.CreateMatches(e.Ctx, analyst, nil, []*forewarn.Alert{bad}), forewarn.EINVALID)
	e.MustVerify()
}
