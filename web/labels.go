package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
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
	// watch-list states
	"watchlisted": "watch-listed",
	"none":        "not watch-listed",
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
func gradeText(g forewarn.Grading) string {
	rel := map[string]string{"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable", "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged"}
	cred := map[int]string{1: "confirmed", 2: "probably true", 3: "possibly true", 4: "doubtful", 5: "improbable", 6: "truth cannot be judged"}
	if g.Reliability == "" {
		return ""
	}
	return "source " + rel[g.Reliability] + ", information " + cred[g.Credibility]
}

// messageName names a message as a person remembers it: the sender, the kind, the day and
// the first words — "TR-MIT notification of 15 Dec 2014 “Fifth individual…”" — never the
// ID, whose first characters are only a timestamp.
func messageName(m *forewarn.Message) string {
	if m == nil {
		return ""
	}
	s := m.From + " " + label(m.Kind) + " of " + m.Created.UTC().Format(dateLayout)
	if t := messageTitle(m); t != "" {
		r := []rune(t)
		if len(r) > 40 {
			t = strings.TrimSpace(string(r[:40])) + "…"
		}
		s += " “" + t + "”"
	}
	return s
}

// dayOf formats a time as a day, for "confirmed on 15 Dec 2014".
func dayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateLayout)
}

// tlpText says what a TLP 2.0 level allows, for the badge's hover text.
func tlpText(t forewarn.TLP) string {
	switch strings.ToUpper(string(t)) {
	case "RED":
		return "TLP:RED: for the named recipients only, not to be shared further"
	case "AMBER+STRICT":
		return "TLP:AMBER+STRICT: within the recipient's organisation only"
	case "AMBER":
		return "TLP:AMBER: within the recipient's organisation and its clients, on a need-to-know basis"
	case "GREEN":
		return "TLP:GREEN: within the recipient's community, not publicly"
	case "CLEAR":
		return "TLP:CLEAR: no limit on disclosure"
	}
	return "TLP:" + string(t)
}
