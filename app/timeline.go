package app

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// TimelineEvent is one thing that happened about a subject, with its source.
type TimelineEvent struct {
	Time time.Time `json:"time"`
	// Date is the time at its real precision when less is known than an instant (a claim
	// valid from "2012" says 2012, not 1 Jan 2012 00:00); empty when Time is exact.
	Date string `json:"date,omitempty"`
	Kind string `json:"kind"` // claim, message, receipt, read, acknowledgement, escalation, match, decision, subject
	Text string `json:"text"` // in English
	// Phrase is Text as a code and arguments, for the pages to say in the reader's language.
	forewarn.Phrase
	Source    string `json:"source"` // the agency, source or user it comes from
	MessageID string `json:"message_id,omitempty"`
	ClaimID   string `json:"claim_id,omitempty"`
	MatchID   string `json:"match_id,omitempty"`
}

const dayLayout = "2 Jan 2006"

// Timeline returns everything the node knows happened about a subject, on one time axis:
// its claims (at the time they were true), every message matched to it with its receipts,
// reads, acknowledgements and escalations, and every match and decision. Reading it is a
// read of the subject, and audited as one.
func (n *Node) Timeline(ctx context.Context, actor forewarn.Actor, subjectID string) ([]TimelineEvent, error) {
	s, err := n.Store.Subject(ctx, actor, subjectID)
	if err != nil {
		return nil, err
	}
	code := forewarn.PhraseTimelineSubject
	if s.Watch == forewarn.WatchListed {
		code = forewarn.PhraseTimelineSubjectWatchlisted
	}
	ev := []TimelineEvent{said(TimelineEvent{Time: s.CreatedAt, Kind: "subject", Source: "this agency"}, forewarn.Say(code, forewarn.TextArg(s.PrimaryName())))}
	claims, err := n.Store.Claims(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	for _, c := range claims {
		t, date := c.RecordedAt, ""
		if !c.ValidFrom.IsZero() {
			t, date = c.ValidFrom.Start(), c.ValidFrom.String()
		}
		what := forewarn.Say(forewarn.PhraseTimelineClaimWhat, forewarn.LabelArg(c.Kind), forewarn.TextArg(c.Value), forewarn.PartialDateArg(c.ValidFrom))
		if c.Negative {
			what = forewarn.Say(forewarn.PhraseTimelineClaimNone, forewarn.LabelArg(c.Kind), forewarn.TextArg(c.Value))
		}
		ev = append(ev, said(TimelineEvent{Time: t, Date: date, Kind: "claim", ClaimID: c.ID, MessageID: c.MessageID, Source: c.Source.String()},
			forewarn.Say(forewarn.PhraseTimelineClaim, forewarn.PhrasesArg(what), forewarn.TextArg(c.Grading.String()), forewarn.DateArg(c.RecordedAt))))
	}
	matches, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: subjectID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range matches {
		ev = append(ev, said(TimelineEvent{Time: m.CreatedAt, Kind: "match", MatchID: m.ID, MessageID: m.MessageID, Source: "matcher"},
			forewarn.Say(forewarn.PhraseTimelineMatched, MatchSummaryArg(m))))
		if m.Status != forewarn.MatchPending {
			ev = append(ev, said(TimelineEvent{Time: m.DecidedAt, Kind: "decision", MatchID: m.ID, MessageID: m.MessageID, Source: m.DecidedBy},
				forewarn.Say(forewarn.PhraseTimelineDecision, forewarn.LabelArg(m.Status), forewarn.TextArg(m.Reason))))
		}
		if seen[m.MessageID] {
			continue
		}
		seen[m.MessageID] = true
		more, err := n.messageEvents(ctx, m.MessageID)
		if err != nil {
			return nil, err
		}
		ev = append(ev, more...)
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].Time.Before(ev[j].Time) })
	return ev, nil
}

// messageEvents are a message's own events: sent, receipted, read, acknowledged, escalated.
func (n *Node) messageEvents(ctx context.Context, id string) ([]TimelineEvent, error) {
	sm, err := n.Store.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	m := sm.Message
	var ev []TimelineEvent
	code := forewarn.PhraseTimelineReceived
	if sm.Direction == forewarn.DirectionOut {
		code = forewarn.PhraseTimelineSent
	}
	ev = append(ev, said(TimelineEvent{Time: m.Created, Kind: "message", MessageID: id, Source: m.From},
		forewarn.Say(code, forewarn.LabelArg(m.Kind), forewarn.AgencyArg(m.From), forewarn.AgencyArg(strings.Join(m.To, ", ")), forewarn.LabelArg(sm.Priority), forewarn.TextArg(messageTitle(m)))))
	for _, d := range sm.Deliveries {
		if d.Delivered() {
			ev = append(ev, said(TimelineEvent{Time: d.DeliveredAt, Kind: "receipt", MessageID: id, Source: d.Agency},
				forewarn.Say(forewarn.PhraseTimelineReceipt, forewarn.AgencyArg(d.Agency), forewarn.LabelArg(m.Kind))))
		}
		if !d.ReadAt.IsZero() {
			ev = append(ev, said(TimelineEvent{Time: d.ReadAt, Kind: "read", MessageID: id, Source: d.ReadBy},
				forewarn.Say(forewarn.PhraseTimelineRead, forewarn.AgencyArg(d.Agency), forewarn.LabelArg(m.Kind))))
		}
		if d.Actioned() {
			ev = append(ev, said(TimelineEvent{Time: d.ActionAt, Kind: "acknowledgement", MessageID: id, Source: d.ActionBy},
				forewarn.Say(forewarn.PhraseTimelineAcknowledged, forewarn.AgencyArg(d.Agency), forewarn.LabelArg(m.Kind), forewarn.LabelArg(d.Outcome), forewarn.TextArg(d.Reason))))
		}
	}
	escs, err := n.Store.Escalations(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, e := range escs {
		what := forewarn.TextArg(e.Text) // an escalation recorded before phrases keeps its English…
		if e.Code != "" {
			what = forewarn.PhrasesArg(e.Phrase)
		} else if p, ok := ReadOldPhrase(e.Text); ok { // …unless it reads back into its phrase
			what = forewarn.PhrasesArg(p)
		}
		ev = append(ev, said(TimelineEvent{Time: e.FiredAt, Kind: "escalation", MessageID: id, Source: string(e.Side) + " " + string(e.Notify)},
			forewarn.Say(forewarn.PhraseTimelineEscalation, forewarn.CountArg(e.Step), forewarn.LabelArg(e.Side), forewarn.LabelArg(e.Notify), what)))
	}
	return ev, nil
}

func messageTitle(m *forewarn.Message) string {
	switch {
	case m.Notification != nil:
		return m.Notification.Summary
	case m.Request != nil:
		return m.Request.Subject
	case m.Response != nil:
		return m.Response.Answer
	case m.Ack != nil:
		return string(m.Ack.Stage) + " " + m.Ack.Outcome
	}
	return ""
}

// said gives an event its phrase, and the phrase's English as its text.
func said(ev TimelineEvent, p forewarn.Phrase) TimelineEvent {
	ev.Phrase, ev.Text = p, p.English()
	return ev
}

// MatchSummaryArg is a stored match's summary as an argument of a phrase: read again
// from its explanation, or its stored English when the explanation does not say it.
func MatchSummaryArg(m *forewarn.Match) forewarn.PhraseArg {
	if p, ok := MatchSummaryPhrase(m); ok {
		return forewarn.PhrasesArg(p)
	}
	return forewarn.TextArg(m.Summary)
}

// MatchSummaryPhrase is a stored match's summary as a phrase, read again from its
// explanation; false when the explanation does not decode or says another summary than
// the one stored (a match written by other means keeps its words).
func MatchSummaryPhrase(m *forewarn.Match) (forewarn.Phrase, bool) {
	var e match.Explanation
	if len(m.Explanation) == 0 || json.Unmarshal(m.Explanation, &e) != nil {
		return forewarn.Phrase{}, false
	}
	p := SummaryPhrase(e)
	return p, p.English() == m.Summary
}

// RelatedMessage is another message about a person a message describes.
type RelatedMessage struct {
	Message   *forewarn.Message  `json:"message"`
	Direction forewarn.Direction `json:"direction"`
	SubjectID string             `json:"subject_id,omitempty"` // the subject linking them, if any
	Status    string             `json:"status"`
	// Deliveries are what Status says in English, for pages in other languages.
	Deliveries []*forewarn.Delivery `json:"-"`
	// Answered is true when every recipient acknowledged it (actioned): a warning still
	// waiting for its answer is what "told before" counts.
	Answered bool `json:"answered"`
}

// Related lists the other messages about the persons a message describes: those matched to
// the same subjects, and earlier messages matched to its persons directly, oldest first,
// with their status. It is how a late request shows both earlier warnings against it.
func (n *Node) Related(ctx context.Context, messageID string) ([]RelatedMessage, error) {
	ms, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{MessageID: messageID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{messageID: true}
	var out []RelatedMessage
	add := func(id, subjectID string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		sm, err := n.Store.Message(ctx, id)
		if err != nil {
			return err
		}
		var status []string
		answered := len(sm.Deliveries) > 0
		for _, d := range sm.Deliveries {
			status = append(status, d.Agency+": "+d.Status())
			answered = answered && d.Actioned()
		}
		out = append(out, RelatedMessage{Message: sm.Message, Direction: sm.Direction, SubjectID: subjectID, Status: strings.Join(status, "; "), Deliveries: sm.Deliveries, Answered: answered})
		return nil
	}
	for _, m := range ms {
		if m.Status == forewarn.MatchRejected {
			continue
		}
		if m.EarlierMessageID != "" {
			if err := add(m.EarlierMessageID, ""); err != nil {
				return nil, err
			}
		}
		if m.SubjectID == "" {
			continue
		}
		others, _, err := n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: m.SubjectID, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if o.Status == forewarn.MatchRejected {
				continue
			}
			if err := add(o.MessageID, m.SubjectID); err != nil {
				return nil, err
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Message.Created.Before(out[j].Message.Created) })
	return out, nil
}
