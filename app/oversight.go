package app

import (
	"context"
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// OversightReport is what an oversight body asks of a period: what went to whom under
// which marks, who consulted personal data and why, the consent requests and answers, the
// overrides, the refusals, the erasures and the retention keeps, with totals per peer and per user. It is read
// from the audit trail and the forwards, never from memory.
type OversightReport struct {
	From          time.Time        `json:"from"`
	To            time.Time        `json:"to"`
	Disclosures   []OversightEvent `json:"disclosures"`
	Consultations []OversightEvent `json:"consultations"`
	Consents      []OversightEvent `json:"consents"`
	Overrides     []OversightEvent `json:"overrides"`
	Refusals      []OversightEvent `json:"refusals"`
	Erasures      []OversightEvent `json:"erasures"`
	// Keeps are the retention reviews that kept an item (or moved its review date).
	Keeps   []OversightEvent            `json:"keeps"`
	PerPeer map[string]*OversightTotals `json:"per_peer"`
	PerUser map[string]*OversightTotals `json:"per_user"`
}

// OversightEvent is one line of the report.
type OversightEvent struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"` // the actor: user:NAME, peer:CODE, system:…
	Peer    string    `json:"peer,omitempty"`
	Action  string    `json:"action"`
	Object  string    `json:"object,omitempty"`
	Marks   string    `json:"marks,omitempty"`   // TLP, release list, consent mark
	Purpose string    `json:"purpose,omitempty"` // of a consultation, when one was given
	Detail  string    `json:"detail,omitempty"`
	Flagged bool      `json:"flagged,omitempty"` // an imminent-threat override
}

// OversightTotals counts a peer's or a user's events in the period.
type OversightTotals struct {
	Disclosures     int `json:"disclosures"`
	Consultations   int `json:"consultations"`
	ConsentRequests int `json:"consent_requests"`
	ConsentsGranted int `json:"consents_granted"`
	ConsentsRefused int `json:"consents_refused"`
	Overrides       int `json:"overrides"`
	Refusals        int `json:"refusals"`
	Erasures        int `json:"erasures"`
	Keeps           int `json:"keeps"`
}

// consultations are the audited reads of personal data.
var consultations = map[string]bool{"subject.read": true, "subject.list": true, "message.read": true, "message.list": true, "message.related": true, "match.read": true, "match.list": true, "alert.list": true, "person.search": true,
	"draft.check": true, "subject.export": true, "screen.read": true, "subject.screen": true}

// OversightReport builds the report for [from, to) and records that actor read it.
func (n *Node) OversightReport(ctx context.Context, actor forewarn.Actor, from, to time.Time) (*OversightReport, error) {
	if !to.After(from) {
		return nil, forewarn.Invalid("to", "after_from", "the period must end after it starts")
	}
	rep := &OversightReport{From: from.UTC(), To: to.UTC(), PerPeer: map[string]*OversightTotals{}, PerUser: map[string]*OversightTotals{},
		Disclosures: []OversightEvent{}, Consultations: []OversightEvent{}, Consents: []OversightEvent{}, Overrides: []OversightEvent{},
		Refusals: []OversightEvent{}, Erasures: []OversightEvent{}, Keeps: []OversightEvent{}}
	peer := func(code string) *OversightTotals {
		if rep.PerPeer[code] == nil {
			rep.PerPeer[code] = &OversightTotals{}
		}
		return rep.PerPeer[code]
	}
	user := func(a forewarn.Actor) *OversightTotals {
		k := string(a.Kind) + ":" + a.ID
		if rep.PerUser[k] == nil {
			rep.PerUser[k] = &OversightTotals{}
		}
		return rep.PerUser[k]
	}
	var entries []*forewarn.AuditEntry
	err := n.Store.ScanAudit(ctx, func(e *forewarn.AuditEntry) error {
		if !e.Time.Before(from) && e.Time.Before(to) {
			entries = append(entries, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		who := string(e.Actor.Kind) + ":" + e.Actor.ID
		ev := OversightEvent{Time: e.Time, User: who, Action: e.Action, Object: e.ObjectID}
		switch {
		case e.Action == "message.send" || e.Action == "message.receive":
			sm, err := n.Store.Message(ctx, e.ObjectID)
			if err != nil {
				continue // erased since: the entry alone stays in the trail
			}
			m := sm.Message
			ev.Marks = marksText(m.Marks)
			if e.Action == "message.receive" {
				if m.Consent != nil {
					ev.Peer, ev.Detail = m.From, "consent request about message "+m.Consent.MessageID+" to "+m.Consent.To
					if m.Consent.Override {
						ev.Detail, ev.Flagged = "override notice: message "+m.Consent.MessageID+" passed on to "+m.Consent.To+" without consent", true
						rep.Overrides = append(rep.Overrides, ev)
						peer(m.From).Overrides++
					} else {
						rep.Consents = append(rep.Consents, ev)
						peer(m.From).ConsentRequests++
					}
				}
				continue
			}
			ev.Peer, ev.Detail = strings.Join(m.To, ","), string(m.Kind)
			if pv := m.Provenance; pv != nil {
				ev.Detail += " forwarded from " + pv.Originator
				if pv.Override {
					ev.Flagged = true
					ev.Detail += " under an imminent-threat override"
				} else {
					ev.Detail += " with its consent " + pv.Consent
				}
			}
			if a := m.ConsentAnswer; a != nil {
				word := "refused"
				if a.Granted {
					word = "granted"
				}
				ev.Detail = "consent " + word + ": " + a.Reason
				rep.Consents = append(rep.Consents, ev)
				for _, to := range m.To {
					if a.Granted {
						peer(to).ConsentsGranted++
					} else {
						peer(to).ConsentsRefused++
					}
				}
			}
			rep.Disclosures = append(rep.Disclosures, ev)
			user(e.Actor).Disclosures++
			for _, to := range m.To {
				peer(to).Disclosures++
			}
		case strings.HasPrefix(e.Action, "forward."):
			fw, err := n.Store.Forward(ctx, e.ObjectID)
			if err != nil {
				return nil, err
			}
			ev.Peer, ev.Detail = fw.To, "message "+fw.MessageID+" of "+fw.Originator+" to "+fw.To+" requested by "+fw.RequestedBy
			switch e.Action {
			case "forward.awaiting_consent":
				ev.Detail += ", consent asked: " + fw.Reason
				peer(fw.Originator).ConsentRequests++
				rep.Consents = append(rep.Consents, ev)
			case "forward.refused":
				ev.Detail += ", refused by " + fw.Originator + ": " + fw.AnswerReason
				peer(fw.Originator).ConsentsRefused++
				rep.Consents = append(rep.Consents, ev)
			case "forward.sent":
				if fw.AnswerID != "" {
					ev.Detail += ", granted by " + fw.Originator + ": " + fw.AnswerReason
					peer(fw.Originator).ConsentsGranted++
					rep.Consents = append(rep.Consents, ev)
				}
			case "forward.overridden":
				ev.Flagged, ev.Detail = true, ev.Detail+", imminent-threat override by "+fw.OverrideBy+": "+fw.Justification
				rep.Overrides = append(rep.Overrides, ev)
				peer(fw.Originator).Overrides++
				user(e.Actor).Overrides++
			case "forward.originator_notified":
				ev.Detail += ", " + fw.Originator + " notified of the override"
				rep.Overrides = append(rep.Overrides, ev)
			}
		case e.Action == ActionEgressRefused || e.Action == ActionAgreementRefused:
			ev.Detail = e.Detail
			if e.Action == ActionAgreementRefused {
				ev.Peer = e.ObjectID
				peer(e.ObjectID).Refusals++
			}
			rep.Refusals = append(rep.Refusals, ev)
			user(e.Actor).Refusals++
		case e.Action == "private_match.ask" || e.Action == "private_match.answer" || e.Action == "private_match.report" || e.Action == "private_match.set_sent":
			// A private query (docs/private-match.md): this node asking, or a peer asking
			// it (answering sends the peer this node's set) and reporting its hits, or
			// fetching the set outside a query.
			ev.Detail = e.Detail
			ev.Peer = e.Actor.ID
			if e.Action == "private_match.ask" {
				if f := strings.Fields(e.Detail); len(f) > 1 {
					ev.Peer = f[1]
				}
			}
			rep.Disclosures = append(rep.Disclosures, ev)
			user(e.Actor).Disclosures++
			peer(ev.Peer).Disclosures++
		case e.Action == "private_match.refuse":
			ev.Detail = e.Detail
			if e.Actor.Kind == forewarn.ActorPeer {
				ev.Peer = e.Actor.ID
				peer(ev.Peer).Refusals++
			}
			rep.Refusals = append(rep.Refusals, ev)
			user(e.Actor).Refusals++
		case consultations[e.Action]:
			ev.Detail = e.Detail
			if i := strings.Index(e.Detail, "purpose: "); i >= 0 {
				ev.Purpose = e.Detail[i+len("purpose: "):]
			}
			rep.Consultations = append(rep.Consultations, ev)
			user(e.Actor).Consultations++
		case strings.HasSuffix(e.Action, ".erase"):
			ev.Detail = e.Detail
			if e.ObjectType == "message" {
				if sm, err := n.Store.Message(ctx, e.ObjectID); err == nil {
					ev.Peer = sm.Message.From // the originator, whose person it was
					peer(ev.Peer).Erasures++
				}
			}
			rep.Erasures = append(rep.Erasures, ev)
			user(e.Actor).Erasures++
		case strings.HasSuffix(e.Action, ".keep"):
			ev.Detail = e.Detail
			rep.Keeps = append(rep.Keeps, ev)
			user(e.Actor).Keeps++
		}
	}
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: "oversight.report", ObjectType: "report",
		Detail: "period " + from.UTC().Format(time.RFC3339) + " to " + to.UTC().Format(time.RFC3339)}); err != nil {
		return nil, err
	}
	return rep, nil
}

func marksText(h forewarn.HandlingMarks) string {
	s := "TLP:" + string(h.TLP)
	if len(h.ReleasableTo) > 0 {
		s += " releasable to " + strings.Join(h.ReleasableTo, ",")
	}
	if h.OriginatorConsentRequired {
		s += " originator consent required"
	}
	return s
}

// WriteCSV writes the report as one row per event (section, time, user, peer, action,
// object, marks, purpose, flagged, detail), then one row per peer and per user with their
// totals.
func (r *OversightReport) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "time", "user", "peer", "action", "object", "marks", "purpose", "flagged", "detail"})
	for _, sec := range []struct {
		name string
		evs  []OversightEvent
	}{{"disclosure", r.Disclosures}, {"consultation", r.Consultations}, {"consent", r.Consents}, {"override", r.Overrides}, {"refusal", r.Refusals}, {"erasure", r.Erasures}, {"keep", r.Keeps}} {
		for _, e := range sec.evs {
			flag := ""
			if e.Flagged {
				flag = "yes"
			}
			cw.Write([]string{sec.name, e.Time.UTC().Format(time.RFC3339), e.User, e.Peer, e.Action, e.Object, e.Marks, e.Purpose, flag, e.Detail})
		}
	}
	totals := func(section string, m map[string]*OversightTotals) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t := m[k]
			cw.Write([]string{section, "", k, "", "totals", "",
				"", "", "", totalsText(t)})
		}
	}
	totals("per_peer", r.PerPeer)
	totals("per_user", r.PerUser)
	cw.Flush()
	return cw.Error()
}

func totalsText(t *OversightTotals) string {
	return strings.Join([]string{
		"disclosures=" + itoa(t.Disclosures), "consultations=" + itoa(t.Consultations), "consent_requests=" + itoa(t.ConsentRequests),
		"granted=" + itoa(t.ConsentsGranted), "refused=" + itoa(t.ConsentsRefused), "overrides=" + itoa(t.Overrides),
		"refusals=" + itoa(t.Refusals), "erasures=" + itoa(t.Erasures), "keeps=" + itoa(t.Keeps)}, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }
