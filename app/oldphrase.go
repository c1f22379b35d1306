package app

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

// Alerts and escalations stored before migration 0320 have their English sentence and no
// phrase. Their sentences were written with the very formats forewarn.PhraseFormats keeps
// (the phrases were made to write the same English), so ReadOldPhrase reads such a
// sentence back into its phrase, for the pages to say in the reader's language: each code's format becomes a
// pattern, each argument is read by its kind (an agency code, an instant written
// "15 Dec 2014 10:00 UTC", a quoted name, a nested phrase), and the sentence counts as
// read only when the whole of it matches and the phrase read writes exactly the stored
// English again. A sentence that does not (edited by hand, or of a shape no code has) is
// shown as it is, marked lang="en".

// shape is how one argument of a code is written in the stored English.
type shape struct {
	kind forewarn.PhraseArgKind
	sub  []string // for phrases: the codes each may be
	list bool     // for phrases: several, joined by "; "
}

var (
	oldLabel   = shape{kind: forewarn.PhraseArgLabel}
	oldAgency  = shape{kind: forewarn.PhraseArgAgency}
	oldInstant = shape{kind: forewarn.PhraseArgTime}
	oldDay     = shape{kind: forewarn.PhraseArgDate}
	oldText    = shape{kind: forewarn.PhraseArgText}
	oldSummary = shape{kind: forewarn.PhraseArgPhrases, sub: summaryCodes}
)

// summaryCodes are the shapes of a match's summary, the most specific first.
var summaryCodes = []string{forewarn.PhraseMatchSummaryReasonsNotes, forewarn.PhraseMatchSummaryReasons, forewarn.PhraseMatchSummaryNotes, forewarn.PhraseMatchSummary}

// oldShapes are the arguments of each code an old alert or escalation may have been
// written with, as the code's writers give them (escalation.go, app/arrival.go,
// app/imports.go, app/private.go, sqlstore/retention.go, app.SummaryPhrase).
var oldShapes = map[string][]shape{
	forewarn.PhraseEscalationRecipient:      {oldLabel, oldAgency, oldInstant},
	forewarn.PhraseEscalationUndelivered:    {oldLabel, oldAgency, oldInstant},
	forewarn.PhraseEscalationUnacknowledged: {oldLabel, oldAgency, oldInstant},
	forewarn.PhraseAlertHolds:               {{kind: forewarn.PhraseArgPhrases, sub: []string{forewarn.PhraseAlertAbout}}, oldText, oldSummary},
	forewarn.PhraseAlertHoldsWatchlisted:    {{kind: forewarn.PhraseArgPhrases, sub: []string{forewarn.PhraseAlertAbout}}, oldText, oldSummary},
	forewarn.PhraseAlertAbout:               {oldLabel, oldText, oldAgency, oldText},
	forewarn.PhraseAlertToldBefore:          {oldLabel, oldText, oldAgency, oldText, {kind: forewarn.PhraseArgPhrases, sub: []string{forewarn.PhraseAlertEarlierMessage}, list: true}},
	forewarn.PhraseAlertEarlierMessage:      {oldLabel, oldAgency, oldDay},
	forewarn.PhraseAlertRetro:               {oldLabel, oldAgency, oldDay, oldText, oldText, oldSummary},
	forewarn.PhraseAlertImport:              {oldText, oldText, oldText, oldText, {kind: forewarn.PhraseArgPhrases, sub: []string{forewarn.PhraseAlertImportMention}, list: true}},
	forewarn.PhraseAlertImportMention:       {oldLabel, oldAgency, oldDay, oldText},
	forewarn.PhraseAlertPrivateAsk:          {oldAgency, oldLabel, oldText},
	forewarn.PhraseAlertPrivateReport:       {oldAgency, oldText, oldLabel},
	forewarn.PhraseAlertReview:              {oldLabel, oldText, oldDay},
	forewarn.PhraseMatchSummary:             {{kind: forewarn.PhraseArgScore}, oldText, oldText},
	forewarn.PhraseMatchSummaryReasons:      {{kind: forewarn.PhraseArgScore}, oldText, oldText, {kind: forewarn.PhraseArgLabels}},
	forewarn.PhraseMatchSummaryNotes:        {{kind: forewarn.PhraseArgScore}, oldText, oldText, {kind: forewarn.PhraseArgPhrases, list: true}},
	forewarn.PhraseMatchSummaryReasonsNotes: {{kind: forewarn.PhraseArgScore}, oldText, oldText, {kind: forewarn.PhraseArgLabels}, {kind: forewarn.PhraseArgPhrases, list: true}},
}

// oldTopCodes are the codes a whole stored sentence may be: an escalation's, an alert's,
// or (the summary kept on a match) a summary's.
var oldTopCodes = append([]string{
	forewarn.PhraseEscalationRecipient, forewarn.PhraseEscalationUndelivered, forewarn.PhraseEscalationUnacknowledged,
	forewarn.PhraseAlertHoldsWatchlisted, forewarn.PhraseAlertHolds, forewarn.PhraseAlertToldBefore, forewarn.PhraseAlertRetro,
	forewarn.PhraseAlertImport, forewarn.PhraseAlertPrivateAsk, forewarn.PhraseAlertPrivateReport, forewarn.PhraseAlertReview,
}, summaryCodes...)

var (
	oldPatterns     map[string]*regexp.Regexp
	oldPatternsOnce sync.Once
	verbPattern     = regexp.MustCompile(`%[sq]`)
)

// argPattern is what an argument of a kind looks like in English, %q quoted.
func argPattern(sh shape, quoted bool) string {
	if quoted {
		return `("(?:[^"\\]|\\.)*")`
	}
	switch sh.kind {
	case forewarn.PhraseArgLabel:
		return `([a-z][a-z _-]*)`
	case forewarn.PhraseArgAgency:
		return `([A-Z0-9][A-Z0-9-]*)`
	case forewarn.PhraseArgTime:
		return `(\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2} [A-Z]+)`
	case forewarn.PhraseArgDate:
		return `(\d{1,2} [A-Z][a-z]{2} \d{4})`
	case forewarn.PhraseArgScore:
		return `(\d+\.\d\d)`
	case forewarn.PhraseArgLabels:
		return `([^()]+)`
	}
	return `(.+?)`
}

// patterns builds each code's pattern from its format, once.
func patterns() map[string]*regexp.Regexp {
	oldPatternsOnce.Do(func() {
		oldPatterns = map[string]*regexp.Regexp{}
		for code, shapes := range oldShapes {
			format := forewarn.PhraseFormats[code]
			var b strings.Builder
			b.WriteString(`^`)
			rest, i := format, 0
			for {
				loc := verbPattern.FindStringIndex(rest)
				if loc == nil {
					b.WriteString(regexp.QuoteMeta(rest))
					break
				}
				b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
				b.WriteString(argPattern(shapes[i], rest[loc[0]+1] == 'q'))
				rest, i = rest[loc[1]:], i+1
			}
			b.WriteString(`$`)
			oldPatterns[code] = regexp.MustCompile(b.String())
		}
	})
	return oldPatterns
}

// ReadOldPhrase reads a sentence stored before phrases (an alert's, an escalation's, a
// match's summary) back into its phrase; ok is false when it is of no known shape, or the
// phrase read would not write it again.
func ReadOldPhrase(english string) (forewarn.Phrase, bool) {
	p, ok := readAs(oldTopCodes, english)
	if !ok || p.English() != english {
		return forewarn.Phrase{}, false
	}
	return p, true
}

// readAs reads s as the first of codes whose shape it has.
func readAs(codes []string, s string) (forewarn.Phrase, bool) {
	for _, code := range codes {
		m := patterns()[code].FindStringSubmatch(s)
		if m == nil {
			continue
		}
		format := forewarn.PhraseFormats[code]
		verbs := verbPattern.FindAllString(format, -1)
		args := make([]forewarn.PhraseArg, 0, len(m)-1)
		ok := true
		for i, v := range m[1:] {
			if verbs[i] == "%q" {
				u, err := strconv.Unquote(v)
				if err != nil {
					ok = false
					break
				}
				v = u
			}
			a, good := readArg(oldShapes[code][i], v)
			if !good {
				ok = false
				break
			}
			args = append(args, a)
		}
		if ok {
			return forewarn.Say(code, args...), true
		}
	}
	return forewarn.Phrase{}, false
}

// readArg reads one argument of its shape.
func readArg(sh shape, v string) (forewarn.PhraseArg, bool) {
	switch sh.kind {
	case forewarn.PhraseArgLabel:
		return forewarn.LabelArg(strings.ReplaceAll(v, " ", "_")), true
	case forewarn.PhraseArgAgency:
		return forewarn.AgencyArg(v), true
	case forewarn.PhraseArgTime:
		t, err := time.Parse("2 Jan 2006 15:04 MST", v)
		return forewarn.TimeArg(t), err == nil
	case forewarn.PhraseArgDate:
		t, err := time.Parse("2 Jan 2006", v)
		return forewarn.DateArg(t), err == nil
	case forewarn.PhraseArgScore:
		f, err := strconv.ParseFloat(v, 64)
		return forewarn.ScoreArg(f), err == nil
	case forewarn.PhraseArgLabels:
		return forewarn.LabelsArg(strings.Split(v, ", ")), true
	case forewarn.PhraseArgPhrases:
		parts := []string{v}
		if sh.list {
			parts = strings.Split(v, "; ")
		}
		ps := make([]forewarn.Phrase, len(parts))
		for i, part := range parts {
			if sh.sub == nil { // the matcher's notes
				ps[i] = NotePhrase(part)
				continue
			}
			p, ok := readAs(sh.sub, part)
			if !ok {
				return forewarn.PhraseArg{}, false
			}
			ps[i] = p
		}
		return forewarn.PhrasesArg(ps...), true
	}
	return forewarn.TextArg(v), true
}
