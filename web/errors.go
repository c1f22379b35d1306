package web

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// The core's errors are English sentences, for the API, the CLI and the log. A validation
// error also names its field and the rule it broke (forewarn.Error's Field and Rule): on
// pages in another language than English, that rule and field are said through the
// catalogue, so "notification.acknowledge_by: the deadline … is not after the message was
// created" reads "échéance : l’échéance doit venir après la rédaction du message". English
// pages keep the core's own sentence, which says more (the values at fault), after the
// field's word rather than its path ("deadline: the deadline …"). Every rule the source
// uses has words in both languages (TestEveryRuleHasWords). Other errors (not found,
// conflict, forbidden) are said through the format forewarn.Errorf was given, which is
// their key in the catalogue (catalog_fr_failures.go, TestEveryErrorHasFrench).

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
	// the rest, in the order of their codes: every rule the source gives an error
	// (TestEveryRuleHasWords reads them all from the source)
	"additional_property": msg("this property is not part of the extension"),
	"admin":               msg("the first user must hold the admin role"),
	"admiralty":           msg("give an Admiralty grading: a letter A–F then a digit 1–6, such as B2"),
	"after_actioned":      msg("the message was already acknowledged as actioned; no later acknowledgement can follow"),
	"array":               msg("give a list that is not empty"),
	"as_strict":           msg("a reply must be marked as strictly as the message it answers, or more"),
	"base64url":           msg("not in the expected encoding (base64url)"),
	"basic_user":          msg("give a name without spaces or colons"),
	"bool":                msg("give true or false"),
	"boolean":             msg("give true or false"),
	"can_answer":          msg("this user cannot acknowledge messages, so cannot own one"),
	"charset":             msg("use only letters, digits and . _ - : /"),
	"chunks":              msg("the pieces are not of the expected size"),
	"consent_request":     msg("this is not a consent request this node received"),
	"content_type":        msg("send the file in a format this page accepts"),
	"control_chars":       msg("remove the control characters"),
	"count":               msg("the wrong number of values"),
	"csv":                 msg("the file is not readable CSV"),
	"cursor":              msg("this page link is not valid any more; start from the first page"),
	"distinct":            msg("a subject cannot be linked to itself"),
	"duration":            msg("give a span such as 90d or 26w"),
	"ed25519":             msg("not a valid signing key"),
	"elements":            msg("the content does not match its digest"),
	"email":               msg("give an e-mail address, such as desk@agency.example"),
	"enabled":             msg("this user is disabled and cannot own a message"),
	"exists":              msg("does not exist on this node"),
	"extension_name":      msg("not a known extension name"),
	"fields":              msg("required parts are missing"),
	"file":                msg("give the file this goes with"),
	"fingerprints":        msg("not a whole number of fingerprints"),
	"forewarn_extension":  msg("the Forewarn extension is not valid"),
	"group":               msg("not valid points of the group"),
	"head":                msg("the last hash must be the head's"),
	"held":                msg("the user does not hold this role"),
	"hex":                 msg("give lower-case hexadecimal digits"),
	"hit":                 msg("a hit must name a person of the query, a band and its fingerprints"),
	"https":               msg("use https; plain http is only for this machine"),
	"identified_through":  msg("only an “identified through” link may point to a message"),
	"identifier":          msg("give a STIX identifier"),
	"identifier_type":     msg("the identifier names the wrong type of object"),
	"import_taken_over":   msg("another import took this one over; stop it"),
	"json":                msg("not valid JSON"),
	"key":                 msg("not a known key (born, nationality, alias)"),
	"key_value":           msg("write it as key=value (born, nationality, alias)"),
	"kind":                msg("not allowed for this kind of message"),
	"known_peer":          msg("not a registered partner of this node"),
	"key_agency":          msg("this key belongs to another agency; pin each partner's own key"),
	"known_user":          msg("there is no such user on this node"),
	"length":              msg("too long"),
	"loopback":            msg("plain connections are only for this machine; use TLS"),
	"mandatory":           msg("this role must receive these notifications"),
	"matched_subject":     msg("must be about the matched subject"),
	"multipart":           msg("the upload is not a valid form"),
	"name":                msg("give a name that can be compared"),
	"not_ack":             msg("an acknowledgement cannot itself be acknowledged"),
	"not_null":            msg("leave it out rather than empty (null)"),
	"object":              msg("an object needs its identifier, its type and its content"),
	"one":                 msg("give exactly one"),
	"one_of":              msg("give one or the other, not both"),
	"one_payload":         msg("a message carries only the content of its own kind"),
	"one_target":          msg("a link points to a person or to a message, not both"),
	"order":               msg("the end must come after the start, in order"),
	"originator_peer":     msg("the originator is not a partner of this node, so its consent cannot be asked"),
	"partial_date":        msg("write the date as YYYY, YYYY-MM or YYYY-MM-DD"),
	"path":                msg("does not match the address of the page"),
	"pattern":             msg("not a valid STIX type name"),
	"property_name":       msg("a property name has 3–250 lower-case letters, digits or _"),
	"read":                msg("the upload was cut short; send it again"),
	"received":            msg("only a received warning or request can be forwarded"),
	"recipient":           msg("must be one of the message's recipients"),
	"refused":             msg("must record a refusal"),
	"releasable":          msg("the message's handling marks do not allow it to go to this agency"),
	"requester":           msg("a reply goes only to the agency that asked"),
	"rfc3339":             msg("give a time such as 2015-06-10T10:00:00Z"),
	"same_message":        msg("must be about the same message"),
	"selector":            msg("not a valid selector"),
	"sha256":              msg("give a SHA-256 digest: 64 lower-case hex digits"),
	"shape":               msg("the rows do not have the expected number of columns"),
	"size":                msg("not of the expected size"),
	"stix":                msg("not valid STIX"),
	"stix_id":             msg("give a STIX identifier (type--UUID)"),
	"string":              msg("give text"),
	"subject":             msg("this match links two messages; confirm it from a subject"),
	"subject_match":       msg("this match links two messages: there is no subject to merge into"),
	"supported":           msg("this message's version is newer than this node understands"),
	"third_agency":        msg("this agency has the message already; forward it to a third agency"),
	"timestamp":           msg("give a time such as 2016-05-12T08:17:27.000Z"),
	"timestamp_millis":    msg("give the time to the millisecond"),
	"tlp":                 msg("not one of the four predefined TLP markings"),
	"type":                msg("not of the expected type"),
	"utf8":                msg("not valid text (UTF-8)"),
	"valid":               msg("this entry is not valid"),
	"writable":            msg("cannot be written"),
	"zip":                 msg("not a readable zip file"),
	"delta":               msg("not a valid change to the set"),
	"fetch":               msg("not a valid request for the set"),
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
	"valid_to": msg("valid to"), "links.message": msg("linked message"),
	"to_id": msg("other subject"),
	// the rest, as TestEveryFieldHasWords finds them in the source
	"action":                            msg("action"),
	"actor.id":                          msg("author"),
	"actor.kind":                        msg("kind of author"),
	"after":                             msg("start"),
	"after_seq":                         msg("start"),
	"agency":                            msg("agency"),
	"agency.code":                       msg("agency code"),
	"agency.country":                    msg("agency's country"),
	"alert":                             msg("alert"),
	"at":                                msg("time"),
	"audience":                          msg("audience"),
	"base_url":                          msg("address"),
	"before_seq":                        msg("end"),
	"born":                              msg("birth date"),
	"by.kind":                           msg("kind of author"),
	"by.name":                           msg("author's name"),
	"channel":                           msg("channel"),
	"class":                             msg("class"),
	"code":                              msg("code"),
	"collections":                       msg("collections"),
	"consent":                           msg("consent"),
	"consent.message_id":                msg("message asked about"),
	"consent.override":                  msg("override"),
	"consent.to":                        msg("agency asked"),
	"consent_answer":                    msg("consent answer"),
	"created":                           msg("creation time"),
	"csrf":                              msg("form token"),
	"dataset":                           msg("dataset"),
	"days":                              msg("days"),
	"deliveries":                        msg("deliveries"),
	"digest":                            msg("digest"),
	"direction":                         msg("direction"),
	"elements":                          msg("elements"),
	"envelope":                          msg("envelope"),
	"epoch":                             msg("epoch"),
	"expires_at":                        msg("expiry"),
	"fired_at":                          msg("time fired"),
	"from":                              msg("sender"),
	"from_id":                           msg("subject"),
	"hash":                              msg("hash"),
	"head":                              msg("head"),
	"hops":                              msg("hops"),
	"id":                                msg("identifier"),
	"interval":                          msg("interval"),
	"justification":                     msg("justification"),
	"keys":                              msg("keys"),
	"kinds":                             msg("message kinds"),
	"label":                             msg("label"),
	"language":                          msg("language"),
	"limit":                             msg("limit"),
	"marks.originator_consent_required": msg("originator's consent"),
	"match":                             msg("match"),
	"match[version]":                    msg("version"),
	"max_tlp":                           msg("most restrictive TLP level"),
	"message_id":                        msg("message"),
	"name":                              msg("name"),
	"next":                              msg("next page"),
	"notify":                            msg("role told"),
	"objects":                           msg("objects"),
	"offset":                            msg("offset"),
	"on_error":                          msg("on error"),
	"options":                           msg("purposes"),
	"owner":                             msg("owner"),
	"peer":                              msg("partner"),
	"persons_per_day":                   msg("persons a day"),
	"private_persons_per_day":           msg("private queries a day"),
	"provenance":                        msg("provenance"),
	"provenance.consent":                msg("originator's consent"),
	"provenance.message_id":             msg("original message"),
	"provenance.originator":             msg("originator"),
	"public_key":                        msg("public key"),
	"purpose":                           msg("purpose"),
	"purpose_text":                      msg("purpose"),
	"receipt":                           msg("receipt"),
	"records":                           msg("entries"),
	"review_at":                         msg("review date"),
	"role":                              msg("role"),
	"roles":                             msg("roles"),
	"secret":                            msg("secret"),
	"set":                               msg("set"),
	"side":                              msg("side"),
	"sort":                              msg("order"),
	"stage":                             msg("stage"),
	"state":                             msg("state"),
	"status":                            msg("status"),
	"step":                              msg("step"),
	"subject_id":                        msg("subject"),
	"target":                            msg("user"),
	"text":                              msg("text"),
	"tlp":                               msg("TLP"),
	"until":                             msg("until"),
	"url":                               msg("address"),
	"version":                           msg("version"),
	"watch":                             msg("watch list"),
	"witness":                           msg("witness"),
	"request":                           msg("request"), "notification": msg("notification"), "response": msg("response"), "ack": msg("acknowledgement"),
}

var (
	indexRE   = regexp.MustCompile(`\[\d+\]`)
	payloadRE = regexp.MustCompile(`^(request|notification|response|ack|persons|subject)\.`)
)

// normalField is a field's path without its indexes and payload prefixes, as fieldWords
// keys it: "notification.persons[0].names[1].value" is "names.value".
func normalField(field string) string {
	f := indexRE.ReplaceAllString(field, "")
	for {
		g := payloadRE.ReplaceAllString(f, "")
		if g == f {
			return f
		}
		f = g
	}
}

// fieldWord is a field's path ("notification.persons[0].names[1].value") as the reader
// names it: "name".
func (l *locale) fieldWord(field string) string {
	f := normalField(field)
	if w, ok := fieldWords[f]; ok {
		return l.T(w)
	}
	return strings.NewReplacer("_", " ", ".", " ").Replace(f)
}

// ruleText is what the rule fe broke asks, in the reader's language; ok is false on
// English pages, for an error without a rule, and for a rule without words, where the
// core's sentence is shown.
func (l *locale) ruleText(fe *forewarn.Error) (string, bool) {
	if fe != nil && len(fe.Values) > 0 {
		// the values the field takes, in words, in every language
		ws := make([]string, len(fe.Values))
		for i, v := range fe.Values {
			ws[i] = l.valueWord(v)
		}
		return l.T("give one of: %s", strings.Join(ws, ", ")), true
	}
	if l == english || fe == nil || fe.Rule == "" {
		return "", false
	}
	w, ok := ruleTexts[fe.Rule]
	if !ok {
		return "", false
	}
	return l.T(w), true
}

// errorText is err as a page shows it: the broken rule and its field through the
// catalogue when err names a rule.
func (l *locale) errorText(err error) string {
	fe := fieldError(err)
	if s, ok := l.ruleText(fe); ok {
		if fe.Field == "" {
			return s
		}
		return l.T("%s: %s", l.fieldWord(fe.Field), s)
	}
	code := forewarn.ErrorCode(err)
	if l == english && fe != nil && fe.Field != "" && fe.Rule != "" {
		return l.fieldWord(fe.Field) + ": " + fe.Message
	}
	if code == forewarn.EINTERNAL {
		return l.T(msg("internal error; the details are in the node's log"))
	}
	if fe != nil {
		if format, args := fe.Sentence(); format != "" {
			if _, ok := l.table[format]; ok || l == english {
				return l.sayError(format, args)
			}
		}
	}
	if l == english {
		return forewarn.ErrorMessage(err)
	}
	// A sentence the catalogue lacks (from a package TestEveryErrorHasFrench does not
	// read): what kind of error it is, in the reader's language.
	if w, ok := codeTexts[code]; ok {
		return l.T(w)
	}
	return forewarn.ErrorMessage(err)
}

// codeTexts say what an error of each code means, for an error whose own sentence the
// catalogue does not have.
var codeTexts = map[string]string{
	forewarn.EINVALID:      msg("this input is not valid"),
	forewarn.ENOTFOUND:     msg("this does not exist on this node, or is no longer kept"),
	forewarn.ECONFLICT:     msg("this was changed meanwhile, or is done already"),
	forewarn.EUNAUTHORIZED: msg("sign in first"),
	forewarn.EFORBIDDEN:    msg("you are not allowed to do this"),
}

// sayError writes the sentence of an error through the catalogue, its arguments the
// locale's way: instants as dates, numbers with the locale's separators, stored codes
// as words, errors within as errors.
func (l *locale) sayError(format string, args []any) string {
	shown := make([]any, len(args))
	for i, a := range args {
		shown[i] = l.errorArg(a)
	}
	return l.grouped(l.printer().Sprintf(l.T(format), shown...))
}

// errorArg is one argument of an error's sentence as the locale writes it.
func (l *locale) errorArg(a any) any {
	switch v := a.(type) {
	case time.Time:
		return l.Time(v)
	case error:
		// A third party's failure within the sentence (a partner refused, or could not be
		// reached): what went wrong, in the reader's language, from its code; its own
		// text stays in the API's answer and the log.
		var fe *forewarn.Error
		if !errors.As(v, &fe) {
			if code, _ := forewarn.FailureOf(v); code != forewarn.FailOther {
				return l.failureText(forewarn.FailureDetail(v))
			}
		}
		return l.errorText(v)
	}
	rv := reflect.ValueOf(a)
	if !rv.IsValid() || rv.Kind() != reflect.String {
		return a
	}
	s := rv.String()
	if rv.Type().PkgPath() == forewarnPath {
		// a stored code of the domain's own type (a role, a status, a kind): its word
		return l.typedWord(a, s)
	}
	for _, layout := range []string{time.RFC3339Nano, "2 Jan 2006 15:04 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return l.Time(t)
		}
	}
	if w, ok := labels[s]; ok {
		return l.T(w)
	}
	return s
}

// fieldErrorText is fe shown beside the field it names: the rule alone.
func (l *locale) fieldErrorText(fe *forewarn.Error) string {
	if s, ok := l.ruleText(fe); ok {
		return s
	}
	return fe.Message
}

// named is an error's text with the objects it names by ID named by what the page calls
// them, where the page has a name: "la fiche « Ismaël Omar Mostefaï » est déjà sous
// surveillance" rather than its ID. names maps IDs to names.
func (l *locale) named(text string, names map[string]string) string {
	for id, name := range names {
		if id == "" || name == "" {
			continue
		}
		quoted := l.T("“%s”", name)
		text = strings.ReplaceAll(text, `"`+id+`"`, quoted)
		text = strings.ReplaceAll(text, id, quoted)
	}
	return text
}

// errText is errorText in the language of the page being served.
func errText(ctx context.Context, err error) string { return localeOf(ctx).errorText(err) }

// valueWord is a value a field takes, as a page offers it: a TLP level as TLP:AMBER, a
// stored code by its word.
func (l *locale) valueWord(v string) string {
	if forewarn.TLP(v).Valid() {
		return "TLP:" + v
	}
	if w, ok := labels[v]; ok {
		return l.T(w)
	}
	return l.codeWord(v)
}

// forewarnPath is the domain's package, whose named string types are stored codes.
var forewarnPath = reflect.TypeOf(forewarn.Role("")).PkgPath()

// typedWord is a stored code an error's sentence names, of one of the domain's types,
// as the reader says it: a role by its name, a status by its word, a permission by what
// it allows; a TLP level or an agency as it is.
func (l *locale) typedWord(a any, s string) string {
	switch a.(type) {
	case forewarn.TLP:
		return s
	case forewarn.Permission:
		if w, ok := permWords[forewarn.Permission(s)]; ok {
			return l.T(w)
		}
		return s
	case forewarn.ForwardStatus, forewarn.NoticeState:
		if w, ok := statusWords[a]; ok {
			return l.T(w)
		}
	}
	return l.codeWord(s)
}

// statusWords are the words for the states of forwards and notifications an error can
// say a thing is in already.
// (keyed by the typed value: a forward and a notification are both "sent")
var statusWords = map[any]string{
	forewarn.ForwardAwaitingConsent: msg("awaiting the originator's consent"),
	forewarn.ForwardRefused:         msg("refused by the originator"),
	forewarn.ForwardSent:            msg("completed"),
	forewarn.ForwardOverridden:      msg("completed under an imminent-threat override"),
	forewarn.NoticeState("pending"): msg("pending"),
	forewarn.NoticeState("sent"):    msg("sent out"),
	forewarn.NoticeState("dead"):    msg("given up"),
}
