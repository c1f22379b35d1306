package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// The two agencies of the case in ../shared/scenario/source-article.txt.
var (
	agencyTR = forewarn.Agency{Code: "TR-MIT", Name: "Millî İstihbarat Teşkilatı", Country: "TR"}
	agencyFR = forewarn.Agency{Code: "FR-DGSI", Name: "Direction générale de la sécurité intérieure", Country: "FR"}
)

// parisStart is when the replay's clock starts: France has held its file on the man
// since before Turkey ever wrote about him.
var parisStart = day("2010-10-01 09:00")

// parisReplay replays the case: France's request of 10 October 2014 about four suspects,
// Turkey identifying a fifth man and warning France twice, in December 2014 and June 2015,
// France never answering, and France's own request after the attack. At each step it says
// what Forewarn did that the real exchange did not, and checks it.
//
// The account names neither the four suspects nor the days of the month of the two
// warnings; the replay uses invented names and plausible days.
func parisReplay(ctx context.Context, c *cluster) (*replay, error) {
	r := &replay{c: c}
	tr, fr := agencyTR.Code, agencyFR.Code

	c.say("France holds a file on a French citizen with radical Islamist beliefs, watch-listed.")
	frSubject, _, err := r.subject(ctx, fr, &forewarn.Subject{
		Names:         []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "fr"}},
		BirthDate:     forewarn.PartialDate{Year: 1985, Month: 11, Day: 21},
		Birthplace:    "Courcouronnes, France",
		Nationalities: []string{"FR"},
		Gender:        forewarn.GenderMale,
		Watch:         forewarn.WatchListed,
		Notes:         "Radicalised; on the watch list since 2010.",
	})
	if err != nil {
		return r, err
	}
	if err := c.at(ctx, day("2013-03-01 09:00")); err != nil {
		return r, err
	}
	c.say("European services report that he travelled to Turkey in 2012; France records the claim.")
	if err := c.node(fr).node.Store.CreateClaim(ctx, actor(forewarn.RoleAnalyst), &forewarn.Claim{
		SubjectID: frSubject.ID, Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2012},
		Source: forewarn.Source{Agency: fr, Name: "European intelligence services"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 3},
		Note: "Believed to have travelled to Turkey, then probably into Syria.",
	}); err != nil {
		return r, err
	}

	// 10 October 2014: France asks Turkey about four suspects.
	if err := c.at(ctx, day("2014-10-10 09:00")); err != nil {
		return r, err
	}
	four := []forewarn.PersonDescriptor{
		person("p1", "Karim Benali", "1987", "FR"), person("p2", "Samir Haddad", "1984", "FR"),
		person("p3", "Yassine Ouali", "1990", "FR"), person("p4", "Mehdi Laroussi", "1986", "FR", "MA"),
	}
	request, err := r.send(ctx, fr, &forewarn.Message{
		Kind: forewarn.KindRequest, To: []string{tr},
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{tr}},
		Request: &forewarn.Request{Subject: "Four terror suspects", Questions: "Are these persons known to you? Travel, associates, current whereabouts.",
			Persons: four, Priority: forewarn.PriorityPriority},
	})
	if err != nil {
		return r, err
	}
	if err := c.at(ctx, day("2014-10-10 09:05")); err != nil {
		return r, err
	}
	c.say("France sends Turkey an information request about four suspects (%s).", request.Message.ID)
	reqAtTR, err := r.received(ctx, tr, request.Message.ID)
	r.expect(err == nil && reqAtTR.Delivery(tr) != nil, "the request reaches Turkey with a signed receipt", "%v", errText(err))

	// Turkey investigates and identifies a fifth man, linked to the four.
	if err := c.at(ctx, day("2014-11-20 10:00")); err != nil {
		return r, err
	}
	trSubject, _, err := r.subject(ctx, tr, &forewarn.Subject{
		Names:         []forewarn.Name{{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "tr"}},
		BirthDate:     forewarn.PartialDate{Year: 1985},
		Nationalities: []string{"FR"},
		Gender:        forewarn.GenderMale,
		Watch:         forewarn.WatchListed,
		Notes:         "Identified during the investigation of France's request of 10 October 2014.",
	})
	if err != nil {
		return r, err
	}
	trClaims := []forewarn.PersonClaim{
		{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013}, RecordedAt: c.clock.Now(),
			Source: forewarn.Source{Agency: tr, Name: "border records"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}},
		{Kind: forewarn.ClaimTravelExit, Value: "TR", RecordedAt: c.clock.Now(), Negative: true,
			Source: forewarn.Source{Agency: tr, Name: "border records"}, Grading: forewarn.Grading{Reliability: "B", Credibility: 2}, Note: "No record of him leaving Turkey."},
	}
	for _, pc := range trClaims {
		if err := c.node(tr).node.Store.CreateClaim(ctx, actor(forewarn.RoleAnalyst), &forewarn.Claim{SubjectID: trSubject.ID, Kind: pc.Kind, Value: pc.Value,
			ValidFrom: pc.ValidFrom, Source: pc.Source, Grading: pc.Grading, Negative: pc.Negative, Note: pc.Note}); err != nil {
			return r, err
		}
	}
	c.say("Turkey identifies a fifth man, %q, through the four, and records him with its travel claims.", "Omar Ismail Mostefai")

	fifth := func() forewarn.PersonDescriptor {
		p := person("p1", "Omar Ismail Mostefai", "1985", "FR")
		p.Gender = forewarn.GenderMale
		p.Links = []forewarn.PersonLink{{Kind: forewarn.AssocIdentifiedWith, Message: request.Message.ID, Note: "identified while investigating the four suspects"}}
		p.Claims = trClaims
		return p
	}

	// December 2014: the first warning.
	if err := c.at(ctx, day("2014-12-15 10:00")); err != nil {
		return r, err
	}
	first, err := r.send(ctx, tr, &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{fr}, InReplyTo: request.Message.ID,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{fr}},
		Notification: &forewarn.Notification{Summary: "Fifth individual identified during the investigation of your request of 10 October 2014",
			Priority: forewarn.PriorityPriority, Persons: []forewarn.PersonDescriptor{fifth()}},
	})
	if err != nil {
		return r, err
	}
	if err := c.at(ctx, day("2014-12-15 10:01")); err != nil {
		return r, err
	}
	c.say("Turkey warns France about %q (priority, acknowledge within 7 days).", "Omar Ismail Mostefai")
	firstAtFR, err := r.received(ctx, fr, first.Message.ID)
	if err != nil {
		r.expect(false, "the December warning reaches France", "%v", err)
		return r, nil
	}
	var m1 *forewarn.Match
	for _, m := range firstAtFR.Matches {
		if m.SubjectID == frSubject.ID {
			m1 = m
		}
	}
	r.expect(m1 != nil, "on arrival, in the same step, France's node matches the warning to its own subject \"Ismaël Omar Mostefaï\"", "%s", matchText(m1))
	r.expect(m1 != nil && containsAll(m1.Summary, "reordered", "diacritics", "variant"), "the explanation names the name-order swap, the diacritics and the Ismail/Ismaël variant", "%s", matchText(m1))
	r.expect(firstAtFR.HoldsPerson && firstAtFR.Priority == forewarn.PriorityUrgent, "the warning's priority is raised because France watch-lists him", "priority %s, you hold this person: %v", firstAtFR.Priority, firstAtFR.HoldsPerson)
	alerts, _ := c.node(fr).node.Store.Alerts(ctx, forewarn.RoleLiaison, 50)
	r.expect(hasAlert(alerts, first.Message.ID, "You hold this person"), "France's liaison desk and supervisors are told \"you hold this person\"", "")

	// No one at France acknowledges. The policy escalates, on both sides.
	if err := c.at(ctx, day("2014-12-22 10:01")); err != nil {
		return r, err
	}
	c.say("Seven days pass without an acknowledgement: the deadline.")
	escFR, _ := c.node(fr).node.Store.Escalations(ctx, first.Message.ID)
	r.expect(len(escFR) >= 1 && escFR[0].Notify == forewarn.RoleLiaison, "France's liaison desk is reminded at the deadline", "%d escalations at France", len(escFR))
	if err := c.at(ctx, day("2014-12-29 10:01")); err != nil {
		return r, err
	}
	escFR, _ = c.node(fr).node.Store.Escalations(ctx, first.Message.ID)
	r.expect(len(escFR) >= 2 && escFR[len(escFR)-1].Notify == forewarn.RoleSupervisor, "then France's supervisors", "%d escalations at France", len(escFR))
	firstAtTR, _ := r.received(ctx, tr, first.Message.ID)
	status := ""
	if firstAtTR != nil && firstAtTR.Delivery(fr) != nil {
		status = firstAtTR.Delivery(fr).Status()
	}
	r.expect(strings.Contains(status, "delivered") && strings.Contains(status, "not acknowledged") && strings.Contains(status, "overdue since"),
		"Turkey sees the warning as delivered, unacknowledged and overdue", "%s", status)
	escTR, _ := c.node(tr).node.Store.Escalations(ctx, first.Message.ID)
	r.expect(len(escTR) >= 1, "Turkey's liaison desk is told the warning is overdue, then its supervisors", "%d escalations at Turkey", len(escTR))

	// June 2015: the second warning.
	if err := c.at(ctx, day("2015-06-10 10:00")); err != nil {
		return r, err
	}
	second, err := r.send(ctx, tr, &forewarn.Message{
		Kind: forewarn.KindNotification, To: []string{fr}, InReplyTo: first.Message.ID,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{fr}},
		Notification: &forewarn.Notification{Summary: "Second notification: no answer received to our warning of December 2014",
			Priority: forewarn.PriorityPriority, Persons: []forewarn.PersonDescriptor{fifth()}},
	})
	if err != nil {
		return r, err
	}
	if err := c.at(ctx, day("2015-06-10 10:01")); err != nil {
		return r, err
	}
	c.say("Turkey warns France a second time.")
	secondAtFR, err := r.received(ctx, fr, second.Message.ID)
	if err != nil {
		r.expect(false, "the June warning reaches France", "%v", err)
		return r, nil
	}
	toSubject, toFirst := false, false
	for _, m := range secondAtFR.Matches {
		toSubject = toSubject || m.SubjectID == frSubject.ID
		toFirst = toFirst || m.EarlierMessageID == first.Message.ID
	}
	r.expect(toSubject && toFirst, "the second warning is linked to the first and to the same subject", "to the subject: %v, to the December warning: %v", toSubject, toFirst)
	if err := c.at(ctx, day("2015-06-18 10:00")); err != nil {
		return r, err
	}
	overdue, _, _ := c.node(fr).node.Store.Messages(ctx, forewarn.MessageFilter{Direction: forewarn.DirectionIn, Overdue: true, Limit: 100})
	watchOverdue := 0
	for _, sm := range overdue {
		if sm.HoldsPerson && sm.Message.Kind == forewarn.KindNotification {
			watchOverdue++
		}
	}
	r.expect(watchOverdue == 2, "France's overdue board shows two unacknowledged warnings about a watch-listed person", "%d on the board", watchOverdue)

	// 13 November 2015: the attack. France asks Turkey about him.
	if err := c.at(ctx, day("2015-11-16 08:00")); err != nil {
		return r, err
	}
	late := []forewarn.PersonDescriptor{person("p1", "Ismaël Omar Mostefaï", "1985-11-21", "FR")}
	draft, err := c.node(fr).msgs.CheckDraft(ctx, forewarn.UserActor("liaison"), late)
	if err != nil {
		return r, err
	}
	toldBefore := 0
	for _, h := range draft {
		if h.Message != nil && (h.Message.ID == first.Message.ID || h.Message.ID == second.Message.ID) {
			toldBefore++
		}
	}
	r.expect(toldBefore == 2, "drafting the request, France's liaison officer is shown both earlier warnings: \"you were told about this person before\"", "%d shown", toldBefore)
	lateReq, err := r.send(ctx, fr, &forewarn.Message{
		Kind: forewarn.KindRequest, To: []string{tr},
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{tr}},
		Request: &forewarn.Request{Subject: "Ismaël Omar Mostefaï", Questions: "All you hold on this person: travel, associates.",
			Persons: late, Priority: forewarn.PriorityFlash},
	})
	if err != nil {
		return r, err
	}
	if err := c.at(ctx, day("2015-11-16 08:01")); err != nil {
		return r, err
	}
	c.say("After the attack, France sends Turkey an information request about %q.", "Ismaël Omar Mostefaï")
	for _, code := range []string{fr, tr} {
		rel, err := c.node(code).node.Related(ctx, lateReq.Message.ID)
		if err != nil {
			return r, err
		}
		var dates []string
		for _, x := range rel {
			if x.Message.ID == first.Message.ID || x.Message.ID == second.Message.ID {
				dates = append(dates, x.Message.Created.Format("2 Jan 2006")+" ("+x.Status+")")
			}
		}
		r.expect(len(dates) == 2, fmt.Sprintf("on %s's node the late request is shown against both earlier warnings", code), "%s", strings.Join(dates, "; "))
	}

	// An analyst at France confirms the match: Turkey's facts join the file, beside France's.
	if m1 != nil {
		if err := c.node(fr).msgs.ConfirmMatch(ctx, actor(forewarn.RoleAnalyst), m1.ID, "Same man: names, birth year and nationality agree"); err != nil {
			return r, err
		}
	}
	detail, err := c.node(fr).node.SubjectDetail(ctx, actor(forewarn.RoleAnalyst), frSubject.ID)
	if err != nil {
		return r, err
	}
	var contradiction, noExit string
	for _, cf := range detail.Conflicts {
		switch cf.Kind {
		case forewarn.ConflictContradiction:
			contradiction = cf.Text
		case forewarn.ConflictNoExit:
			noExit = cf.Text
		}
	}
	r.expect(contradiction != "", "the travel claims are flagged as conflicting, side by side with their sources", "%s", contradiction)
	r.expect(strings.Contains(noExit, "2013") && strings.Contains(noExit, "no exit record"), "\"entered 2013, no exit record\" is flagged", "%s", noExit)
	aliases := 0
	for _, n := range detail.Subject.Names {
		if n.Source == tr {
			aliases++
		}
	}
	r.expect(aliases > 0, "confirming the match adds Turkey's spelling as an alias with its source", "%d aliases from %s", aliases, tr)

	tl, err := c.node(fr).node.Timeline(ctx, actor(forewarn.RoleOversight), frSubject.ID)
	if err != nil {
		return r, err
	}
	r.expect(timelineInOrder(tl) && timelineHas(tl, first.Message.ID, "message", "receipt", "escalation", "match") && timelineHas(tl, second.Message.ID, "message") && timelineHas(tl, lateReq.Message.ID, "message"),
		"the subject's timeline holds all of it, in order", "%d events", len(tl))
	if err := r.verifyAudit(ctx); err != nil {
		return r, err
	}
	return r, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func matchText(m *forewarn.Match) string {
	if m == nil {
		return "no match"
	}
	return m.Summary
}

func hasAlert(alerts []*forewarn.Alert, messageID, text string) bool {
	for _, a := range alerts {
		if a.MessageID == messageID && strings.Contains(a.Text, text) {
			return true
		}
	}
	return false
}

func timelineInOrder(tl []app.TimelineEvent) bool {
	for i := 1; i < len(tl); i++ {
		if tl[i].Time.Before(tl[i-1].Time) {
			return false
		}
	}
	return len(tl) > 0
}

// timelineHas reports whether the timeline holds an event of each kind for a message.
func timelineHas(tl []app.TimelineEvent, messageID string, kinds ...string) bool {
	for _, k := range kinds {
		found := false
		for _, e := range tl {
			if e.MessageID == messageID && e.Kind == k {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
