package web

import (
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// labels are the words the pages show for the codes the domain stores: claim and link
// kinds, outcomes, stages, match states, the matcher's attribute outcomes and penalties.
// One table, so a code reads the same on every page; a code missing here is shown with
// its underscores and dashes turned into spaces, never raw.
var labels = map[string]string{
	// message kinds
	"request":         "request",
	"notification":    "notification",
	"response":        "response",
	"acknowledgement": "acknowledgement",
	// acknowledgement stages
	"received": "received by their node",
	"read":     "read by a person",
	"actioned": "decided",
	// outcomes
	forewarn.OutcomeActionTaken: "action taken",
	forewarn.OutcomeNoAction:    "no action needed",
	forewarn.OutcomeForwarded:   "forwarded to the competent service",
	forewarn.OutcomeNotKnown:    "person not known to us",
	forewarn.OutcomeDuplicate:   "duplicate of another message",
	forewarn.OutcomeAnswered:    "answered by a response",
	// claim kinds
	string(forewarn.ClaimTravelEntry): "entry into",
	string(forewarn.ClaimTravelExit):  "exit from",
	string(forewarn.ClaimResidence):   "residence in",
	string(forewarn.ClaimAssociation): "association",
	string(forewarn.ClaimDocument):    "document",
	string(forewarn.ClaimAttribute):   "attribute",
	// association kinds
	string(forewarn.AssocAssociateOf):    "associate of",
	string(forewarn.AssocTravelledWith):  "travelled with",
	string(forewarn.AssocIdentifiedWith): "identified through",
	string(forewarn.AssocRelativeOf):     "relative of",
	// match states
	string(forewarn.MatchPending):   "waiting for review",
	string(forewarn.MatchConfirmed): "confirmed",
	string(forewarn.MatchRejected):  "rejected",
	// the matcher's attribute checks and their outcomes
	"birth_date":          "birth date",
	"nationality":         "nationality",
	"gender":              "gender",
	"agree":               "agrees",
	"agree-partial":       "agrees as far as known",
	"conflict":            "differs",
	"day-conflict":        "day differs",
	"month-conflict":      "month differs",
	"year-conflict":       "year differs",
	"year-differs-by-one": "year differs by one",
	// penalties
	"unmatched-conflict": "parts that match nothing on either side",
	"unmatched-extra":    "extra name parts",
	"single-part-name":   "one-part name",
	"surname-unmatched":  "surname not found",
	"weak-alignment":     "weakly similar parts",
	"reordered":          "names in another order",
	"surname-only":       "only the surname matched",
	// document kinds
	"passport":         "passport",
	"national_id":      "national identity card",
	"residence_permit": "residence permit",
	"driving_licence":  "driving licence",
	// escalation sides
	"sender":    "sender",
	"recipient": "recipient",
	// alert kinds and private-match bands
	"match":         "match",
	"escalation":    "escalation",
	"private_match": "private match",
	"review":        "review",
	"weak":          "weak",
	"strong":        "strong",
	// timeline events
	"claim":    "claim",
	"decision": "decision",
	"receipt":  "receipt",
	"subject":  "subject",
	"matcher":  "matcher",
	// priorities
	"flash":    "flash",
	"urgent":   "urgent",
	"priority": "priority",
	"routine":  "routine",
	// genders
	"male":   "male",
	"female": "female",
	"other":  "other",
	// name kinds
	string(forewarn.NamePrimary): "primary name",
	string(forewarn.NameAlias):   "alias",
	// watch-list states
	"watchlisted": "watch-listed",
	"none":        "not watch-listed",
}

// reasonLabels are the words for why two name parts were aligned.
var reasonLabels = map[string]string{
	match.ReasonExact:           msg("exact"),
	match.ReasonDiacritics:      msg("diacritics"),
	match.ReasonTransliteration: msg("transliteration"),
	match.ReasonVariant:         msg("variant"),
	match.ReasonFamily:          msg("name family"),
	match.ReasonSkeleton:        msg("consonant skeleton"),
	match.ReasonPhonetic:        msg("phonetic"),
	match.ReasonEdit:            msg("edit distance"),
	match.ReasonInitial:         msg("initial"),
	match.ReasonJoined:          msg("joined"),
	match.ReasonReordered:       msg("reordered"),
	match.ReasonArticle:         msg("article"),
	match.ReasonRomanisation:    msg("romanisation"),
}

// label is the word for a code; unknown codes lose their underscores and dashes.
func label(code any) string {
	s := fmt.Sprint(code)
	if l, ok := labels[s]; ok {
		return l
	}
	return strings.NewReplacer("_", " ", "-", " ").Replace(s)
}

// gradeText spells out an Admiralty grading for readers who do not know the codes:
// B2 is "source usually reliable, information probably true".
func gradeText(l *locale, g forewarn.Grading) string {
	if g.Reliability == "" {
		return ""
	}
	return l.T("source %s, information %s", l.T(reliabilityText[g.Reliability]), l.T(credibilityText[g.Credibility]))
}

// reliabilityText and credibilityText are the meanings of the Admiralty codes.
var (
	reliabilityText = map[string]string{"A": msg("completely reliable"), "B": msg("usually reliable"), "C": msg("fairly reliable"), "D": msg("not usually reliable"), "E": msg("unreliable"), "F": msg("reliability cannot be judged")}
	credibilityText = map[int]string{1: msg("confirmed"), 2: msg("probably true"), 3: msg("possibly true"), 4: msg("doubtful"), 5: msg("improbable"), 6: msg("truth cannot be judged")}
)

// messageName names a message as a person remembers it: the sender, the kind, the day and
// the first words — "TR-MIT notification of 15 Dec 2014 “Fifth individual…”" — never the
// ID, whose first characters are only a timestamp.
func messageName(l *locale, m *forewarn.Message) string {
	if m == nil {
		return ""
	}
	s := l.T("%[1]s %[2]s of %[3]s", m.From, l.T(label(m.Kind)), l.Date(m.Created))
	if t := messageTitle(l, m); t != "" {
		r := []rune(t)
		if len(r) > 40 {
			t = strings.TrimSpace(string(r[:40])) + "…"
		}
		s += " " + l.T("“%s”", t)
	}
	return s
}

// tlpText says what a TLP 2.0 level allows, for the badge's hover text.
func tlpText(l *locale, t forewarn.TLP) string {
	switch strings.ToUpper(string(t)) {
	case "RED":
		return l.T("TLP:RED: for the named recipients only, not to be shared further")
	case "AMBER+STRICT":
		return l.T("TLP:AMBER+STRICT: within the recipient's organisation only")
	case "AMBER":
		return l.T("TLP:AMBER: within the recipient's organisation and its clients, on a need-to-know basis")
	case "GREEN":
		return l.T("TLP:GREEN: within the recipient's community, not publicly")
	case "CLEAR":
		return l.T("TLP:CLEAR: no limit on disclosure")
	}
	return "TLP:" + string(t)
}

// nextStepText says what the escalation policy does next to a delivery, in the page's
// language: "escalates to supervisors" (forewarn.EscalationPolicy.NextStepText, translated).
func nextStepText(l *locale, p forewarn.EscalationPolicy, side forewarn.EscalationSide, done int, owner string) string {
	i, ok := p.NextStep(side, done, owner)
	if !ok {
		return ""
	}
	user, role := p.Steps[i].Tells(owner)
	switch {
	case user != "":
		return l.T("reminds %s", user)
	case role == forewarn.RoleSupervisor:
		return l.T("escalates to supervisors")
	case side == forewarn.SideSender:
		return l.T("tells our %s desk it is overdue", l.T(roleNames[role]))
	}
	return l.T("escalates to the %s desk", l.T(roleNames[role]))
}

// deliveryStatus says where a delivery stands in the page's language, as
// forewarn.Delivery.Status does in English: "received 1 Dec 2014 09:00 UTC, not
// acknowledged, overdue since 8 Dec 2014 09:00 UTC".
func deliveryStatus(l *locale, d *forewarn.Delivery) string {
	var parts []string
	switch {
	case d.Delivered() && d.Direction == forewarn.DirectionIn:
		parts = append(parts, l.T("received %s", l.Time(d.DeliveredAt)))
	case d.Delivered():
		parts = append(parts, l.T("delivered %s", l.Time(d.DeliveredAt)))
	case d.Attempts > 0 && !d.NextAttempt.IsZero():
		// Still retried: say when, or "not delivered" reads as given up.
		parts = append(parts, l.T("not delivered after %d attempts (%s); trying again at %s", d.Attempts, l.failureText(d.LastError), l.Time(d.NextAttempt)))
	case d.Attempts > 0:
		parts = append(parts, l.T("not delivered after %d attempts (%s)", d.Attempts, l.failureText(d.LastError)))
	default:
		parts = append(parts, l.T("queued"))
	}
	switch {
	case d.Actioned():
		var s string
		if d.ActionBy != "" {
			s = l.T("acknowledged %s by %s: %s", l.Time(d.ActionAt), d.ActionBy, l.T(label(d.Outcome)))
		} else {
			s = l.T("acknowledged %s: %s", l.Time(d.ActionAt), l.T(label(d.Outcome)))
		}
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		arrived := d.AckArrivedAt
		if arrived.IsZero() || arrived.Before(d.ActionAt) {
			arrived = d.ActionAt
		}
		if !d.Deadline.IsZero() && arrived.After(d.Deadline) {
			if arrived.Sub(d.ActionAt) > forewarn.MaxClockSkew {
				s += ", " + l.T("arrived %s", l.Time(arrived))
			}
			s += ", " + l.T("%s after the deadline", l.Ago(arrived.Sub(d.Deadline)))
		}
		parts = append(parts, s)
	case !d.ReadAt.IsZero():
		parts = append(parts, l.T("read %s, not acknowledged", l.Time(d.ReadAt)))
	case d.Delivered():
		parts = append(parts, l.T("not acknowledged"))
	}
	if !d.Overdue.IsZero() && !d.Actioned() {
		parts = append(parts, l.T("overdue since %s", l.Time(d.Deadline)))
	}
	return strings.Join(parts, ", ")
}
