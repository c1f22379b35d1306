package web

import (
	"context"
	"regexp"
	"strings"

	"github.com/forewarn/forewarn"
)

// The core's errors are English sentences, for the API, the CLI and the log. A validation
// error also names its field and the rule it broke (forewarn.Error's Field and Rule): on
// pages in another language than English, that code and field are said through the
// catalogue, so "notification.acknowledge_by: the deadline … is not after the message was
// created" reads "échéance : l’échéance doit venir après la rédaction du message". English
// pages keep the core's own sentence, which says more (the values at fault).

// ruleTexts are what each rule a field can break asks of the reader, by rule code.
var ruleTexts = map[string]string{
	"required":      msg("this is required"),
	"enum":          msg("choose one of the values offered"),
	"range":         msg("out of the allowed range"),
	"min":           msg("too small"),
	"max":           msg("too large"),
	"format":        msg("not in the expected format"),
	"agency_code":   msg("give an agency code, such as TR-MIT"),
	"uuidv7":        msg("not a valid identifier"),
	"uuid":          msg("not a valid identifier"),
	"future":        msg("give a time in the future"),
	"after_now":     msg("give a time in the future"),
	"not_future":    msg("give a time that is not in the future"),
	"after_created": msg("the deadline must come after the message is written"),
	"after_from":    msg("the end must come after the start"),
	"max_length":    msg("too long"),
	"max_bytes":     msg("too long"),
	"min_length":    msg("too short"),
	"max_items":     msg("too many entries"),
	"iso3166":       msg("give a two-letter country code, such as FR"),
	"date":          msg("write the date as YYYY, YYYY-MM or YYYY-MM-DD"),
	"unique":        msg("given twice"),
	"not_sender":    msg("a node does not send messages to itself"),
	"not_self":      msg("cannot point to itself"),
	"single_line":   msg("write it on one line"),
	"url":           msg("give a valid address (URL)"),
	"scheme":        msg("give a valid address (URL)"),
	"positive":      msg("give a number above zero"),
	"integer":       msg("give a whole number"),
	"known":         msg("not known to this node"),
	"one_primary":   msg("exactly one name must be primary"),
	"ref":           msg("no person in this message has this reference"),
}

// fieldWords are the words for the fields of the core's types, by path without indexes
// and without the payload's prefix (request., notification.).
var fieldWords = map[string]string{
	"to": msg("recipients"), "marks.tlp": msg("TLP"), "marks.releasable_to": msg("releasable to"),
	"acknowledge_by": msg("deadline"), "deadline": msg("deadline"), "priority": msg("priority"), "kind": msg("kind"),
	"subject": msg("title"), "summary": msg("title"), "questions": msg("questions"), "persons": msg("persons"),
	"in_reply_to": msg("in reply to"), "names": msg("names"), "names.value": msg("name"), "names.kind": msg("name kind"),
	"birth_date": msg("birth date"), "birth_place": msg("birthplace"), "nationalities": msg("nationality"), "gender": msg("gender"),
	"documents": msg("documents"), "documents.number": msg("document number"), "documents.country": msg("document country"),
	"documents.kind": msg("document kind"), "ref": msg("reference"), "links": msg("links"), "links.to": msg("link"),
	"links.kind": msg("link kind"), "reason": msg("reason"), "outcome": msg("outcome"), "password": msg("password"),
	"username": msg("username"), "value": msg("value"), "grading": msg("grading"), "valid_from": msg("valid from"),
	"valid_to": msg("valid to"),
}

var (
	indexRE   = regexp.MustCompile(`\[\d+\]`)
	payloadRE = regexp.MustCompile(`^(request|notification|response|ack|persons|subject)\.`)
)

// fieldWord is a field's path ("notification.persons[0].names[1].value") as the reader
// names it: "name".
func (l *locale) fieldWord(field string) string {
	f := indexRE.ReplaceAllString(field, "")
	for {
		g := payloadRE.ReplaceAllString(f, "")
		if g == f {
			break
		}
		f = g
	}
	if w, ok := fieldWords[f]; ok {
		return l.T(w)
	}
	return strings.NewReplacer("_", " ", ".", " ").Replace(f)
}

// ruleText is what the rule fe broke asks, in the reader's language; ok is false on
// English pages and for a rule without words, where the core's sentence is shown.
func (l *locale) ruleText(fe *forewarn.Error) (string, bool) {
	if l == english || fe == nil || fe.Code != forewarn.EINVALID {
		return "", false
	}
	w, ok := ruleTexts[fe.Rule]
	if !ok {
		return "", false
	}
	return l.T(w), true
}

// errorText is err as a page shows it: the core's sentence on English pages; on others
// the broken rule and its field through the catalogue when err is a validation error the
// catalogue has words for.
func (l *locale) errorText(err error) string {
	fe := fieldError(err)
	if s, ok := l.ruleText(fe); ok {
		if fe.Field == "" {
			return s
		}
		return l.T("%s: %s", l.fieldWord(fe.Field), s)
	}
	if forewarn.ErrorCode(err) == forewarn.EINTERNAL {
		return l.T(msg("internal error; the details are in the node's log"))
	}
	return forewarn.ErrorMessage(err)
}

// fieldErrorText is fe shown beside the field it names: the rule alone.
func (l *locale) fieldErrorText(fe *forewarn.Error) string {
	if s, ok := l.ruleText(fe); ok {
		return s
	}
	return fe.Message
}

// errText is errorText in the language of the page being served.
func errText(ctx context.Context, err error) string { return localeOf(ctx).errorText(err) }
