package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// Say writes a phrase of the core (an alert, an escalation, a timeline entry, a conflict,
// a match summary) in the locale's language: its code's English format is the catalogue
// key (French in catalog_fr_core.go), and each argument is written as the locale writes
// it (dates, numbers, the words for codes). A phrase without a known code says nothing.
func (l *locale) Say(p forewarn.Phrase) string {
	format, ok := forewarn.PhraseFormats[p.Code]
	if !ok {
		return ""
	}
	args := make([]any, len(p.Args))
	for i, a := range p.Args {
		args[i] = l.sayArg(a)
	}
	return fmt.Sprintf(l.T(format), args...)
}

// sayArg writes one argument of a phrase in the locale's language.
func (l *locale) sayArg(a forewarn.PhraseArg) string {
	switch a.Kind {
	case forewarn.PhraseArgTime, forewarn.PhraseArgDate:
		t, err := time.Parse(time.RFC3339, a.Value)
		if err != nil {
			return a.Value
		}
		if a.Kind == forewarn.PhraseArgDate {
			return l.Date(t)
		}
		return l.Time(t)
	case forewarn.PhraseArgPartial:
		d, err := forewarn.ParsePartialDate(a.Value)
		if err != nil {
			return a.Value
		}
		return l.PartialDate(d)
	case forewarn.PhraseArgCount:
		n, err := strconv.Atoi(a.Value)
		if err != nil {
			return a.Value
		}
		return l.Num(n)
	case forewarn.PhraseArgScore:
		f, err := strconv.ParseFloat(a.Value, 64)
		if err != nil {
			return a.Value
		}
		return l.Decimal(f, 2)
	case forewarn.PhraseArgLabel:
		return l.word(a.Value)
	case forewarn.PhraseArgLabels:
		out := make([]string, len(a.List))
		for i, c := range a.List {
			out[i] = l.word(c)
		}
		return strings.Join(out, ", ")
	case forewarn.PhraseArgPhrases:
		out := make([]string, len(a.Phrases))
		for i, p := range a.Phrases {
			out[i] = l.Say(p)
		}
		return strings.Join(out, l.T(msg("; "))) // French spaces its semicolons
	}
	return a.Value
}

// word is the locale's word for a stored code: the matcher's reasons first, then labels.
func (l *locale) word(code string) string {
	if w, ok := reasonLabels[code]; ok {
		return l.T(w)
	}
	return l.T(label(code))
}

// said writes a sentence the core stored, as a sentence (its first letter a capital):
// through the catalogue when it has a phrase, or when its English is read back into one
// (a row stored before phrases, app.ReadOldPhrase); otherwise its English, marked as English.
func (l *locale) said(p forewarn.Phrase, english string) template.HTML {
	if p.Code == "" && english != "" {
		if old, ok := app.ReadOldPhrase(english); ok { // stored before phrases
			p = old
		}
	}
	if s := l.Say(p); s != "" {
		r, n := utf8.DecodeRuneInString(s)
		return template.HTML(template.HTMLEscapeString(string(unicode.ToUpper(r)) + s[n:]))
	}
	if english == "" {
		return ""
	}
	return template.HTML(`<span lang="en">` + template.HTMLEscapeString(english) + `</span>`)
}

// saidAlert is said for an alert on the alerts page: where the core named the alert's
// message by its ID, which reads as noise beside the message's name linked under it, the
// page says the message's date ("notification of 1 Dec 2014 from TR-MIT").
func (l *locale) saidAlert(a *forewarn.Alert, m *forewarn.Message) template.HTML {
	p := a.Phrase
	if p.Code == "" && a.Text != "" {
		if old, ok := app.ReadOldPhrase(a.Text); ok {
			p = old
		}
	}
	if m == nil || a.MessageID == "" || p.Code == "" {
		return l.said(p, a.Text)
	}
	return l.said(dated(p, a.MessageID, l.T("of %s", l.Date(m.Created))), a.Text)
}

// dated is p with every text argument that is the ID id, in it and in the phrases it
// quotes, replaced by when.
func dated(p forewarn.Phrase, id, when string) forewarn.Phrase {
	args := make([]forewarn.PhraseArg, len(p.Args))
	for i, a := range p.Args {
		switch {
		case a.Kind == forewarn.PhraseArgText && a.Value == id:
			a = forewarn.TextArg(when)
		case a.Kind == forewarn.PhraseArgPhrases:
			ps := make([]forewarn.Phrase, len(a.Phrases))
			for j, q := range a.Phrases {
				ps[j] = dated(q, id, when)
			}
			a.Phrases = ps
		}
		args[i] = a
	}
	p.Args = args
	return p
}

// timelineSource says where a timeline event comes from: an agency, a user, "this
// agency", the matcher, or for an escalation its side and the role it told.
func (l *locale) timelineSource(kind, source string) string {
	if kind == "escalation" {
		if side, role, ok := strings.Cut(source, " "); ok {
			return l.T("%s side, %s told", l.T(label(side)), l.T(label(role)))
		}
	}
	return l.T(source)
}

// matchSummary says a stored match's summary in the locale's language, from its
// explanation; a match whose explanation does not say it keeps its English.
func (l *locale) matchSummary(m *forewarn.Match) template.HTML {
	if p, ok := app.MatchSummaryPhrase(m); ok {
		return l.said(p, m.Summary)
	}
	return l.said(forewarn.Phrase{}, m.Summary)
}
