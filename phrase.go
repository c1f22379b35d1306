package forewarn

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Phrase is a sentence the core writes for people, kept in a form every reader's language
// can say: a stable code and typed arguments (names, agency codes, instants, counts, codes
// the pages word). Its English (Phrase.English) is stored beside it, in the Text fields,
// and is what e-mail, webhooks, logs and the CLI show; the pages say it in the reader's
// language, through the code's English format, which is its key in their catalogue. A row
// stored before phrases existed has no code and keeps its English.
type Phrase struct {
	Code string      `json:"code,omitempty"`
	Args []PhraseArg `json:"args,omitempty"`
}

// PhraseArgKind says how an argument of a phrase is written.
type PhraseArgKind string

// The kinds of argument.
const (
	PhraseArgText    PhraseArgKind = "text"    // written as it is: a name, a summary, a reason, an ID
	PhraseArgAgency  PhraseArgKind = "agency"  // an agency code
	PhraseArgTime    PhraseArgKind = "time"    // an instant, RFC 3339
	PhraseArgDate    PhraseArgKind = "date"    // a day, RFC 3339 of an instant in it
	PhraseArgPartial PhraseArgKind = "partial" // a date known to a year, a month or a day: YYYY, YYYY-MM or YYYY-MM-DD
	PhraseArgCount   PhraseArgKind = "count"   // an integer
	PhraseArgScore   PhraseArgKind = "score"   // a score between 0 and 1, written with two decimals
	PhraseArgLabel   PhraseArgKind = "label"   // a stored code (a message kind, an outcome, a band) the pages word
	PhraseArgLabels  PhraseArgKind = "labels"  // several such codes, written as a list
	PhraseArgPhrases PhraseArgKind = "phrases" // phrases within the phrase, joined by "; "
)

// PhraseArg is one argument of a phrase.
type PhraseArg struct {
	Kind    PhraseArgKind `json:"kind"`
	Value   string        `json:"value,omitempty"`
	List    []string      `json:"list,omitempty"`    // the codes of PhraseArgLabels
	Phrases []Phrase      `json:"phrases,omitempty"` // the phrases of PhraseArgPhrases
}

// TextArg is an argument written as it is.
func TextArg(s string) PhraseArg { return PhraseArg{Kind: PhraseArgText, Value: s} }

// AgencyArg is an agency code.
func AgencyArg(code string) PhraseArg { return PhraseArg{Kind: PhraseArgAgency, Value: code} }

// TimeArg is an instant.
func TimeArg(t time.Time) PhraseArg {
	return PhraseArg{Kind: PhraseArgTime, Value: t.UTC().Format(time.RFC3339)}
}

// DateArg is the day of an instant.
func DateArg(t time.Time) PhraseArg {
	return PhraseArg{Kind: PhraseArgDate, Value: t.UTC().Format(time.RFC3339)}
}

// CountArg is an integer.
func CountArg(n int) PhraseArg { return PhraseArg{Kind: PhraseArgCount, Value: strconv.Itoa(n)} }

// ScoreArg is a score.
func ScoreArg(f float64) PhraseArg {
	return PhraseArg{Kind: PhraseArgScore, Value: strconv.FormatFloat(f, 'f', -1, 64)}
}

// LabelArg is a stored code the reader's language words.
func LabelArg[S ~string](code S) PhraseArg {
	return PhraseArg{Kind: PhraseArgLabel, Value: string(code)}
}

// LabelsArg is a list of such codes.
func LabelsArg(codes []string) PhraseArg { return PhraseArg{Kind: PhraseArgLabels, List: codes} }

// PhrasesArg is phrases within a phrase, joined by "; ".
func PhrasesArg(ps ...Phrase) PhraseArg { return PhraseArg{Kind: PhraseArgPhrases, Phrases: ps} }

// Say makes the phrase code says with args.
func Say(code string, args ...PhraseArg) Phrase { return Phrase{Code: code, Args: args} }

// Phrase codes: the sentences the core writes. Codes are stored; never change what one
// means, add another.
const (
	// escalations, and the alerts they raise
	PhraseEscalationRecipient      = "escalation.recipient"
	PhraseEscalationUndelivered    = "escalation.undelivered"
	PhraseEscalationUnacknowledged = "escalation.unacknowledged"
	// match alerts
	PhraseAlertHolds            = "alert.holds"
	PhraseAlertHoldsWatchlisted = "alert.holds_watchlisted"
	PhraseAlertAbout            = "alert.about"
	PhraseAlertToldBefore       = "alert.told_before"
	PhraseAlertEarlierMessage   = "alert.earlier_message"
	PhraseAlertRetro            = "alert.retro"
	PhraseAlertImport           = "alert.import"
	PhraseAlertImportMention    = "alert.import_mention"
	PhraseAlertPrivateAsk       = "alert.private_ask"
	PhraseAlertPrivateReport    = "alert.private_report"
	PhraseAlertReview           = "alert.review"
	// the one-line summary of a match, and the matcher's notes
	PhraseMatchSummary             = "match.summary"
	PhraseMatchSummaryReasons      = "match.summary.reasons"
	PhraseMatchSummaryNotes        = "match.summary.notes"
	PhraseMatchSummaryReasonsNotes = "match.summary.reasons.notes"
	PhraseNoteSurnameOnly          = "match.note.surname_only"
	PhraseNoteSurnameOnlyLifted    = "match.note.surname_only_lifted"
	PhraseNoteQueryTitle           = "match.note.query_title"
	PhraseNoteCandidateTitle       = "match.note.candidate_title"
	PhraseNoteOther                = "match.note.other"
	// a subject's timeline (app.Node.Timeline)
	PhraseTimelineSubject            = "timeline.subject"
	PhraseTimelineSubjectWatchlisted = "timeline.subject_watchlisted"
	PhraseTimelineClaim              = "timeline.claim"
	PhraseTimelineClaimWhat          = "timeline.claim_what"
	PhraseTimelineClaimNone          = "timeline.claim_none"
	PhraseTimelineMatched            = "timeline.matched"
	PhraseTimelineDecision           = "timeline.decision"
	PhraseTimelineSent               = "timeline.sent"
	PhraseTimelineReceived           = "timeline.received"
	PhraseTimelineReceipt            = "timeline.receipt"
	PhraseTimelineRead               = "timeline.read"
	PhraseTimelineAcknowledged       = "timeline.acknowledged"
	PhraseTimelineEscalation         = "timeline.escalation"
	// conflicts among claims (ClaimConflicts)
	PhraseConflictContradiction = "conflict.contradiction"
	PhraseConflictNoExit        = "conflict.no_exit"
	PhraseConflictNoExitStated  = "conflict.no_exit_stated"
	PhraseConflictStatesNone    = "conflict.states_none"
	// a date not known, where one is written
	PhraseDateUnknown = "date.unknown"
)

// PhraseFormats are the English of each code: a format whose verbs (%s, %q, or indexed,
// %[2]s) take the arguments in order, each written as a string.
var PhraseFormats = map[string]string{
	PhraseEscalationRecipient:      "%s from %s is not acknowledged: it was due by %s. Read it and acknowledge it.",
	PhraseEscalationUndelivered:    "%s to %s could not be delivered, and was due to be acknowledged by %s.",
	PhraseEscalationUnacknowledged: "%s to %s was delivered but not acknowledged; overdue since %s.",

	PhraseAlertHolds:            "You hold this person: %s matches your subject %q (%s). Review the match.",
	PhraseAlertHoldsWatchlisted: "You hold this person: %s matches your watch-listed subject %q (%s).",
	PhraseAlertAbout:            "%s %s from %s about %q",
	PhraseAlertToldBefore:       "You were told about this person before: %s %s from %s about %q matches persons in %s.",
	PhraseAlertEarlierMessage:   "the %s from %s of %s",
	PhraseAlertRetro:            "You were told about this person before: %s from %s on %s described %q, who matches your subject %q (%s).",
	PhraseAlertImport:           "Import %s (%s %s): you were told about your subject %q before: %s. Review the matches.",
	PhraseAlertImportMention:    "the %s from %s of %s about %q",
	PhraseAlertPrivateAsk:       "%s: likely holds (%s) — %s",
	PhraseAlertPrivateReport:    "%s asked privately about a person matching your subject %s (%s)",
	PhraseAlertReview:           "Review due for %s %s (review date %s): keep it, with a reason and a new date, or erase it.",

	PhraseMatchSummary:             "%s: %q ~ %q",
	PhraseMatchSummaryReasons:      "%s: %q ~ %q (%s)",
	PhraseMatchSummaryNotes:        "%s: %q ~ %q; %s",
	PhraseMatchSummaryReasonsNotes: "%s: %q ~ %q (%s); %s",
	PhraseNoteSurnameOnly:          "shares only the surname %s: below the threshold unless birth date, nationality or document agree",
	PhraseNoteSurnameOnlyLifted:    "shares only the surname %s, and other attributes agree",
	PhraseNoteQueryTitle:           "query title %q set aside: a title is not a name part",
	PhraseNoteCandidateTitle:       "candidate title %q set aside: a title is not a name part",
	PhraseNoteOther:                "%s",

	PhraseTimelineSubject:            "subject %q recorded, not watch-listed",
	PhraseTimelineSubjectWatchlisted: "subject %q recorded, watch-listed",
	PhraseTimelineClaim:              "claim: %s (graded %s, recorded %s)",
	PhraseTimelineClaimWhat:          "%s %s %s",
	PhraseTimelineClaimNone:          "no record of %s %s",
	PhraseTimelineMatched:            "matched: %s",
	PhraseTimelineDecision:           "match %s: %s",
	PhraseTimelineSent:               "sent %s from %s to %s (%s): %s",
	PhraseTimelineReceived:           "received %s from %s to %s (%s): %s",
	PhraseTimelineReceipt:            "%s receipted the %s",
	PhraseTimelineRead:               "%s read the %s",
	PhraseTimelineAcknowledged:       "%s acknowledged the %s: %s, %s",
	PhraseTimelineEscalation:         "escalation step %s to the %s's %s: %s",

	PhraseConflictContradiction: "entry into %s: %s says %s (%s), %s says %s (%s)",
	PhraseConflictNoExit:        "entered %s %s (%s), no exit record",
	PhraseConflictNoExitStated:  "entered %s %s (%s), no exit record; %s",
	PhraseConflictStatesNone:    "%s states there is none",

	PhraseDateUnknown: "(date unknown)",
}

// PartialDateArg is a date known to a year, a month or a day, written in English as it
// is stored ("2012", "2012-03") and by the pages in their reader's way ("mars 2012"), or
// the phrase saying it is not known.
func PartialDateArg(d PartialDate) PhraseArg {
	if d.IsZero() {
		return PhrasesArg(Say(PhraseDateUnknown))
	}
	return PhraseArg{Kind: PhraseArgPartial, Value: d.String()}
}

// PhraseArgs is how many arguments each code's format takes.
func PhraseArgs(code string) (int, bool) {
	f, ok := PhraseFormats[code]
	if !ok {
		return 0, false
	}
	return countVerbs(f), true
}

// countVerbs counts the verbs of a format, an indexed verb counting as its index.
func countVerbs(f string) int {
	n, max := 0, 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			continue
		}
		if f[i+1] == '%' {
			i++
			continue
		}
		if f[i+1] == '[' {
			end := strings.IndexByte(f[i:], ']')
			if k, err := strconv.Atoi(f[i+2 : i+end]); err == nil && k > max {
				max = k
			}
			continue
		}
		n++
	}
	if max > n {
		return max
	}
	return n
}

// Validate checks that the code is known and takes as many arguments as it has; field
// prefixes the errors. The empty phrase (a row stored before codes) is valid.
func (p Phrase) Validate(field string) error {
	if p.Code == "" {
		if len(p.Args) > 0 {
			return Invalid(field+".code", "required", "a phrase with arguments needs a code")
		}
		return nil
	}
	n, ok := PhraseArgs(p.Code)
	if !ok {
		return Invalid(field+".code", "enum", "unknown phrase code %q", p.Code)
	}
	if len(p.Args) != n {
		return Invalid(field+".args", "count", "phrase %s takes %d arguments, not %d", p.Code, n, len(p.Args))
	}
	for i, a := range p.Args {
		if a.Kind == PhraseArgPhrases {
			for j, q := range a.Phrases {
				if err := q.Validate(fmt.Sprintf("%s.args[%d].phrases[%d]", field, i, j)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// English says the phrase in English, as the record keeps it.
func (p Phrase) English() string {
	f, ok := PhraseFormats[p.Code]
	if !ok {
		return ""
	}
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		args[i] = a.English()
	}
	return fmt.Sprintf(f, args...)
}

// English writes the argument in English: instants as "15 Dec 2014 14:05 UTC", days as
// "15 Dec 2014", codes with their underscores as spaces.
func (a PhraseArg) English() string {
	switch a.Kind {
	case PhraseArgTime, PhraseArgDate:
		t, err := time.Parse(time.RFC3339, a.Value)
		if err != nil {
			return a.Value
		}
		if a.Kind == PhraseArgDate {
			return t.UTC().Format("2 Jan 2006")
		}
		return t.UTC().Format("2 Jan 2006 15:04 MST")
	case PhraseArgScore:
		f, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			return a.Value
		}
		return strconv.FormatFloat(f, 'f', 2, 64)
	case PhraseArgLabel:
		return strings.ReplaceAll(a.Value, "_", " ")
	case PhraseArgLabels:
		return strings.Join(a.List, ", ")
	case PhraseArgPhrases:
		parts := make([]string, len(a.Phrases))
		for i, q := range a.Phrases {
			parts[i] = q.English()
		}
		return strings.Join(parts, "; ")
	}
	return a.Value
}
