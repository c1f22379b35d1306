package web

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
)

// An audit entry's detail is English in the chain; the pages say it in the reader's
// language. forewarn.ParseAuditDetail reads it back into its sentence's code and typed
// arguments; the sentence is the catalogue key (its French is in catalog_fr_audit.go),
// and each argument is shown as its kind asks: a code by its word, a count and a time in
// the reader's locale, an ID or a name as written. A detail no kind describes is shown as
// stored, marked lang="en".

// textPart is a piece of text a page shows, with its language when it is not the page's.
type textPart struct {
	Text   string
	Lang   string // "en" for English shown as stored on a page in another language
	Inline bool   // continues the part before it on the same line (a quoted reason)
	Detail bool   // a third party's own text, shown as a technical detail
}

// quoteMark stands for a reason no sentence says in the reader's language while the
// sentence around it is translated; the parts are then cut around it.
const quoteMark = "\x00"

// auditDetail is an audit entry's detail, then its note (or that the note was erased) and
// the purpose the access was made for, in the reader's language.
func (l *locale) auditDetail(action, detail, note string) []textPart {
	return l.detailParts(action, detail, note, true)
}

// detailParts is auditDetail, with or without the purpose (the oversight report shows
// it in a column of its own).
func (l *locale) detailParts(action, detail, note string, withPurpose bool) []textPart {
	d, ok := forewarn.ParseAuditDetail(action, detail)
	var parts []textPart
	switch {
	case d.Code != "":
		parts = append(parts, l.sentence(d)...)
	case d.Text != "":
		p := textPart{Text: d.Text}
		if !ok && l != english {
			p.Lang = "en"
		}
		parts = append(parts, p)
	}
	switch {
	case note != "":
		parts = append(parts, textPart{Text: l.T("reason: %s", note)})
	case d.Note != "":
		parts = append(parts, textPart{Text: l.T("reason recorded apart, since erased")})
	}
	if d.Purpose != "" && withPurpose {
		parts = append(parts, textPart{Text: l.T("purpose: %s", l.purposeText(d.Purpose))})
	}
	return parts
}

// sentence is a detail read back, in the reader's language: one part, or, when it quotes
// a reason said only in English, the parts around the reason and the reason, marked.
func (l *locale) sentence(d forewarn.AuditDetail) []textPart {
	args, quoted := l.auditArgs(d.Args)
	text := l.T(d.Format, args...)
	if quoted == "" {
		return []textPart{{Text: text}}
	}
	before, after, _ := strings.Cut(text, quoteMark)
	detail := slices.ContainsFunc(d.Args, func(a forewarn.AuditArg) bool { return a.Kind == forewarn.ArgThird })
	parts := []textPart{{Text: quoted, Lang: "en", Detail: detail}}
	if before != "" {
		parts = []textPart{{Text: before}, {Text: quoted, Lang: "en", Inline: true, Detail: detail}}
	}
	if after != "" {
		parts = append(parts, textPart{Text: after, Inline: true})
	}
	return parts
}

// reasonText is a reason a detail quotes, in the reader's language: through
// forewarn.AuditReasonKinds or the catalogue; ok is false when neither says it.
func (l *locale) reasonText(reason string) (string, bool) {
	if d, ok := forewarn.ParseAuditReason(reason); ok {
		args, quoted := l.auditArgs(d.Args)
		if quoted != "" { // a reason within the reason, said only in English
			return reason, false
		}
		return l.T(d.Format, args...), true
	}
	if t := l.T(reason); t != reason || l == english {
		return t, true
	}
	if format, args, ok := readErrorSentence(reason); ok {
		return l.sayError(format, args), true
	}
	return reason, false
}

// errorSentence is one sentence of the core's errors (a key of frenchFailureText) as a
// pattern that reads its text back into its arguments.
type errorSentence struct {
	format string
	re     *regexp.Regexp
	verbs  []byte // the verb of each argument: 'd', 'q' or 's' (any other)
}

var sentenceVerbRE = regexp.MustCompile(`%[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)

// errorSentences are the sentences readErrorSentence knows, those with the most words
// of their own first, so that a sentence is read as the most specific that fits. They are
// made at first use: compiling their patterns at program start cost every command, --help
// included, a few milliseconds.
var errorSentences = sync.OnceValue(func() []errorSentence {
	var out []errorSentence
	for format := range frenchFailureText {
		if strings.Contains(format, "%[") {
			continue // arguments out of order: no such sentence is worth the ambiguity
		}
		var b strings.Builder
		var verbs []byte
		last := 0
		for _, m := range sentenceVerbRE.FindAllStringIndex(format, -1) {
			b.WriteString(regexp.QuoteMeta(format[last:m[0]]))
			switch v := format[m[1]-1]; v {
			case '%':
				b.WriteString("%")
			case 'd':
				b.WriteString(`(-?\d+)`)
				verbs = append(verbs, 'd')
			case 'q':
				b.WriteString(`("(?:[^"\\]|\\.)*")`)
				verbs = append(verbs, 'q')
			default:
				b.WriteString(`(.+?)`)
				verbs = append(verbs, 's')
			}
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(format[last:]))
		// Too few words of its own ("%v", "%s: %s") and any text would fit it.
		if own := len(sentenceVerbRE.ReplaceAllString(format, "")); own < 12 || len(verbs) == 0 {
			continue
		}
		out = append(out, errorSentence{format: format, re: regexp.MustCompile("^" + b.String() + "$"), verbs: verbs})
	}
	slices.SortFunc(out, func(a, b errorSentence) int {
		if d := len(sentenceVerbRE.ReplaceAllString(b.format, "")) - len(sentenceVerbRE.ReplaceAllString(a.format, "")); d != 0 {
			return d
		}
		return strings.Compare(a.format, b.format)
	})
	return out
})

// readErrorSentence reads an error's text, as a detail stored it, back into the sentence
// of the core's errors it was written from and its arguments, so that a page can say it
// in its reader's language (a refusal of a peer's message, of a private question, of an
// erasure notice). ok is false when no known sentence fits.
func readErrorSentence(text string) (format string, args []any, ok bool) {
	for _, es := range errorSentences() {
		m := es.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		args = make([]any, len(es.verbs))
		for i, v := range es.verbs {
			args[i] = m[i+1]
			switch v {
			case 'd':
				if n, err := strconv.Atoi(m[i+1]); err == nil {
					args[i] = n
				}
			case 'q':
				if u, err := strconv.Unquote(m[i+1]); err == nil {
					args[i] = u
				}
			}
		}
		return es.format, args, true
	}
	return "", nil, false
}

// purposeText is a purpose as an entry records it ("investigation — case 12"), its code
// by its word on pages in another language than English; English pages show the code,
// as the trail and its filters name it.
func (l *locale) purposeText(stored string) string {
	if l == english {
		return stored
	}
	pu := forewarn.ParsePurpose(stored)
	what := l.T(purposeWord(pu.Code))
	if pu.Text != "" {
		what += " — " + pu.Text
	}
	return what
}

// actionWord is an audit action as a reader says it: on English pages the code itself,
// which the trail's filter takes; on other pages its word when it has one (the code
// stays in the title).
func (l *locale) actionWord(action string) string {
	if w, ok := actionWords[action]; ok && l != english {
		return l.T(w)
	}
	return action
}

// objectWord is the kind of an audit entry's object as a reader says it: the code on
// English pages, as the trail's filter takes it, its word on others.
func (l *locale) objectWord(kind string) string {
	if w, ok := objectWords[kind]; ok && l != english {
		return l.T(w)
	}
	return kind
}

// objectWords are the words for the kinds of objects audit entries are about.
var objectWords = map[string]string{
	"node": msg("node"), "user": msg("user"), "peer": msg("peer"), "subject": msg("subject"), "claim": msg("claim"),
	"association": msg("association"), "message": msg("message"), "match": msg("match"), "alert": msg("alert"),
	"session": msg("session"), "token": msg("token"), "person": msg("person"), "draft": msg("draft"), "page": msg("page"),
	"forward": msg("forward"), "report": msg("report"), "private_query": msg("private question"), "notification": msg("notification"),
	"import": msg("import"), "feed": msg("feed"), "retention": msg("retention"),
	"erasure_notice": msg("erasure notice"), "route": msg("address"), "source": msg("source"), "webhook": msg("webhook"),
	"collection": msg("TAXII collection"), "taxii_token": msg("TAXII token"), "retention_rule": msg("retention rule"),
	"witness_conflict": msg("conflicting chain"),
}

// actionWords are the words for the actions people meet most in the trail and the
// oversight report.
var actionWords = map[string]string{
	"node.init": msg("node set up"), "user.create": msg("user created"), "user.update": msg("user changed"),
	"user.notifications": msg("notification settings changed"), "peer.add": msg("peer added"), "peer.remove": msg("peer removed"),
	"subject.create": msg("subject created"), "subject.update": msg("subject changed"), "subject.read": msg("subject consulted"),
	"subject.list": msg("subjects listed"), "subject.watch": msg("watch list changed"), "subject.export": msg("subjects exported"),
	"claim.create": msg("claim recorded"), "claim.prefer": msg("claim preferred"), "association.create": msg("link recorded"),
	"message.send": msg("message sent"), "message.receive": msg("message received"), "message.delivered": msg("message delivered"),
	"message.delivery_failed": msg("delivery failed"), "message.read": msg("message read"), "message.acknowledge": msg("message acknowledged"),
	"message.escalate": msg("escalated"), "message.assign": msg("owner changed"), "message.list": msg("messages listed"),
	"message.related": msg("related messages shown"), "match.create": msg("match found"), "match.confirm": msg("match confirmed"),
	"match.reject": msg("match rejected"), "match.list": msg("matches listed"), "match.read": msg("match consulted"),
	"alert.resolve": msg("alert closed"), "alert.list": msg("alerts listed"), "person.search": msg("search"), "draft.check": msg("draft checked"),
	"session.create": msg("signed in"), "session.delete": msg("signed out"), "login.failed": msg("sign-in failed"),
	"access.denied": msg("access denied"), "oversight.report": msg("oversight report read"), "audit.verify": msg("audit trail verified"),
	"forward.awaiting_consent": msg("forward awaiting consent"), "forward.sent": msg("forwarded"), "forward.refused": msg("forward refused"),
	"forward.overridden": msg("forwarded under an override"), "forward.originator_notified": msg("originator told of the override"),
	"egress.refused": msg("sending refused"), "agreement.refused": msg("refused by the agreement"),
	"private_match.ask": msg("private question asked"), "private_match.answer": msg("private question answered"),
	"private_match.report": msg("private question reported"), "private_match.set_sent": msg("private-match set sent"), "subject.erase": msg("subject erased"), "message.erase": msg("message erased"),
	"subject.keep": msg("subject kept"), "message.keep": msg("message kept"),
	"erasure.notice_sent": msg("originator told of an erasure"), "erasure.notice_refused": msg("erasure notice refused"), "token.create": msg("token created"), "token.revoke": msg("token revoked"),
	"access.denied_repeated": msg("refusals counted"), "purpose.refused": msg("purpose refused"), "message.reject": msg("message refused"),
	"private_match.refuse": msg("private question refused"), "private_match.limit": msg("private question limit set"),
	"private_match.set": msg("private-match set kept"), "agreement.set": msg("agreement set"), "agreement.remove": msg("agreement removed"),
	"audit.equivocation": msg("conflicting chain from a partner"), "feed.add": msg("feed added"), "feed.remove": msg("feed removed"),
	"feed.poll": msg("feed read"), "feed.poll_failed": msg("feed unreachable"), "import.start": msg("import started"),
	"import.finish": msg("import finished"), "import.interrupted": msg("import interrupted"), "import.raw": msg("objects kept raw"),
	"import.refused": msg("import refused"), "subject.review_due": msg("subject due for review"), "message.review_due": msg("message due for review"),
	"retention.rule": msg("retention rule set"), "retention.assign": msg("review dates given"), "notification.dead": msg("notification given up"),
	"notification.retry": msg("notification retried"), "notification.test": msg("test notification"), "purpose.policy": msg("purposes set"),
	"session.end_all": msg("other sessions ended"), "session.purge": msg("expired sessions deleted"), "subject.screen": msg("list screened"),
	"taxii.collection.create": msg("TAXII collection created"), "taxii.objects.add": msg("objects posted over TAXII"),
	"taxii.token.create": msg("TAXII token created"), "webhook.create": msg("webhook added"), "webhook.delete": msg("webhook removed"),
}

// auditArgs shows each argument of a detail as its kind asks. A reason no sentence says
// in the reader's language is returned apart as quoted, its place held by quoteMark.
func (l *locale) auditArgs(args []forewarn.AuditArg) (out []any, quoted string) {
	out = make([]any, len(args))
	for i, a := range args {
		s := a.Value
		switch a.Kind {
		case forewarn.ArgCode:
			s = l.codeWord(a.Value)
		case forewarn.ArgCodes:
			sep, codes := ", ", strings.FieldsFunc(a.Value, func(r rune) bool { return r == ',' || r == ' ' })
			if strings.Contains(a.Value, " or ") { // the roles any of which would do
				sep, codes = " "+l.T("or")+" ", strings.Split(a.Value, " or ")
			}
			ws := make([]string, len(codes))
			for j, c := range codes {
				ws[j] = l.codeWord(c)
			}
			s = strings.Join(ws, sep)
		case forewarn.ArgWords:
			ws := strings.Split(a.Value, ", ")
			for j, w := range ws {
				ws[j] = l.T(w)
			}
			s = strings.Join(ws, ", ")
		case forewarn.ArgTerm:
			if w, ok := termWords[a.Value]; ok {
				s = l.T(w)
			}
		case forewarn.ArgPerm:
			if w, ok := permWords[forewarn.Permission(a.Value)]; ok {
				s = l.T(w)
			}
		case forewarn.ArgWord:
			if s == "" {
				s = "—"
			}
		case forewarn.ArgSpan:
			if d, err := time.ParseDuration(a.Value); err == nil {
				s = l.Span(d)
			}
		case forewarn.ArgReason:
			if t, ok := l.reasonText(a.Value); ok || quoted != "" {
				s = t
			} else {
				s, quoted = quoteMark, a.Value
			}
		case forewarn.ArgFailure:
			s = l.failureWord(a.Value)
		case forewarn.ArgField:
			s = l.fieldWord(a.Value)
		case forewarn.ArgThird:
			if l != english && quoted == "" {
				s, quoted = quoteMark, a.Value
			}
		case forewarn.ArgObjects:
			objs := strings.Split(a.Value, ", ")
			for j, o := range objs {
				if kind, id, ok := strings.Cut(o, " "); ok {
					objs[j] = l.objectWord(kind) + " " + id
				}
			}
			s = strings.Join(objs, ", ")
		case forewarn.ArgPage:
			s = l.T(a.Value)
		case forewarn.ArgCount:
			if n, err := strconv.Atoi(a.Value); err == nil {
				s = l.Num(n)
			}
		case forewarn.ArgScore:
			if f, err := strconv.ParseFloat(a.Value, 64); err == nil {
				_, frac, _ := strings.Cut(a.Value, ".")
				s = l.Decimal(f, len(frac))
			}
		case forewarn.ArgTime:
			if t, err := time.Parse(time.RFC3339Nano, a.Value); err == nil {
				s = l.Time(t)
			}
		case forewarn.ArgDate:
			if t, err := time.Parse(time.DateOnly, a.Value); err == nil {
				s = l.Date(t)
			}
		case forewarn.ArgBool:
			s = l.T(map[bool]string{true: msg("yes"), false: msg("no")}[a.Value == "true"])
		}
		out[i] = s
	}
	return out, quoted
}

// codeWord is a stored code a detail holds, as the reader says it.
func (l *locale) codeWord(code string) string {
	if w, ok := auditCodeWords[code]; ok {
		return l.T(w)
	}
	if r, ok := roleNames[forewarn.Role(code)]; ok {
		return l.T(r)
	}
	return l.T(label(code))
}

// Span says a length of time: "1 hour", "30 minutes", "8 days".
func (l *locale) Span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return l.T("%d days", int(d/(24*time.Hour)))
	case d >= time.Hour && d%time.Hour == 0:
		return l.T("%d hours", int(d/time.Hour))
	case d >= time.Minute && d%time.Minute == 0:
		return l.T("%d minutes", int(d/time.Minute))
	}
	return l.T("%d seconds", int((d+time.Second-1)/time.Second))
}

// failureWord is what a failure code (forewarn.FailureOf) says went wrong, in the
// reader's language; an unknown code as it is.
func (l *locale) failureWord(code string) string {
	if w, ok := failureWords[code]; ok {
		return l.T(w)
	}
	return code
}

// failureWords are the words for what went wrong with a third party, and for the codes
// of a Forewarn peer's refusal.
var failureWords = map[string]string{
	forewarn.FailUnreachable: msg("the other side could not be reached"),
	forewarn.FailTimeout:     msg("the other side did not answer in time"),
	forewarn.FailTLS:         msg("the secure connection failed (certificate or TLS)"),
	forewarn.FailAuth:        msg("the other side refused the node's credentials"),
	forewarn.FailDeferred:    msg("the other side asked to try again later"),
	forewarn.FailRefused:     msg("the other side refused it"),
	forewarn.FailServer:      msg("the other side failed while handling it"),
	forewarn.FailRedirect:    msg("the other side answered with a redirect, which is not followed"),
	forewarn.FailOther:       msg("it failed"),
	forewarn.EINVALID:        msg("the partner found it not valid"),
	forewarn.ENOTFOUND:       msg("the partner does not know it"),
	forewarn.ECONFLICT:       msg("the partner has it already, or it changed meanwhile"),
	forewarn.EUNAUTHORIZED:   msg("the partner did not accept the node's signature or credentials"),
	forewarn.EFORBIDDEN:      msg("the partner does not allow it"),
	forewarn.EINTERNAL:       msg("the partner failed while handling it"),
	"unavailable":            msg("the partner is unavailable for now"),
}

// failureParts is a failure the node stored (forewarn.FailureDetail) as a page shows it:
// what went wrong in the reader's language, then the third party's own text, marked as
// English, as a technical detail. A failure stored without a code is its text.
func (l *locale) failureParts(stored string) []textPart {
	code, field, text := forewarn.ParseFailure(stored)
	lang := ""
	if l != english {
		lang = "en"
	}
	if code == "" {
		return []textPart{{Text: text, Lang: lang}}
	}
	said := l.failureWord(code)
	if field != "" {
		said = l.T("%s, about the field %s", said, l.fieldWord(field))
	}
	return []textPart{{Text: said}, {Text: " (" + text + ")", Lang: lang, Inline: true, Detail: true}}
}

// failureText is failureParts in one line of text, where a page has no room for the
// detail: what went wrong only, in the reader's language.
func (l *locale) failureText(stored string) string {
	code, field, text := forewarn.ParseFailure(stored)
	if code == "" {
		return text
	}
	if field != "" {
		return l.T("%s, about the field %s", l.failureWord(code), l.fieldWord(field))
	}
	return l.failureWord(code)
}

// auditCodeWords are the words for codes audit details hold that labels does not name:
// the ways out, the states of an import, the kinds retention rules apply to.
var auditCodeWords = map[string]string{
	"any":                          msg("any"),
	string(forewarn.EgressForward): msg("forwarding"), string(forewarn.EgressReply): msg("reply"),
	string(forewarn.EgressExport): msg("export"), string(forewarn.EgressTAXII): msg("TAXII server"),
	string(forewarn.EgressEmail): msg("e-mail"), string(forewarn.EgressWebhook): msg("webhook"),
	string(forewarn.EgressProgram): msg("program token"), string(forewarn.EgressPrivate): msg("private query"),
	string(forewarn.ImportRunning): msg("started"), string(forewarn.ImportDone): msg("done"),
	string(forewarn.ImportFailed): msg("failed"), string(forewarn.ImportInterrupted): msg("interrupted"),
	string(forewarn.RetainMessage): msg("messages"), string(forewarn.RetainSubject): msg("subjects"),
}

// termWords are the words for the marks and agreement terms a refusal names.
var termWords = map[string]string{
	forewarn.MarkTLP: msg("the TLP level"), forewarn.MarkReleasableTo: msg("the release list"),
	forewarn.MarkConsent: msg("the originator's consent"), "to": msg("the recipient"), "path": msg("the way out"),
	forewarn.TermKinds: msg("the kinds of messages agreed"), forewarn.TermMaxTLP: msg("the highest TLP level agreed"),
	forewarn.TermConsentRequired: msg("the agreement's clause on consent"), forewarn.TermForwarded: msg("the agreement's clause on forwarded content"),
}

// permWords are the words for what a role may do.
var permWords = map[forewarn.Permission]string{
	forewarn.PermReadMessages: msg("reading messages"), forewarn.PermSendMessages: msg("sending messages"),
	forewarn.PermAckMessages: msg("acknowledging messages"), forewarn.PermReadOverdue: msg("the overdue board"),
	forewarn.PermReadSubjects: msg("reading subjects"), forewarn.PermWriteSubjects: msg("changing subjects"),
	forewarn.PermReviewMatches: msg("reviewing matches"), forewarn.PermReadAudit: msg("reading the audit trail"),
	forewarn.PermManagePeers: msg("managing peers"), forewarn.PermReadPeers: msg("reading the list of peers"), forewarn.PermManageUsers: msg("managing users"),
	forewarn.PermManageOwnToken: msg("one's own API tokens"), forewarn.PermResolveAlerts: msg("closing alerts"),
	forewarn.PermManageNotifications: msg("managing notifications"), forewarn.PermOwnNotifications: msg("one's own notifications"),
	forewarn.PermRetention: msg("retention reviews"),
}

// purposeLabel is a purpose a form offers, in the reader's language: a purpose of the
// node's default policy by its word, one the node named itself as it named it.
func (l *locale) purposeLabel(o forewarn.PurposeOption) string {
	if purposeWords[o.Code] == o.Label {
		return l.T(o.Label)
	}
	return o.Label
}

// purposeWords are the words for the purposes of the node's default policy; a purpose a
// node adds is shown as it named it.
var purposeWords = map[string]string{}

func init() {
	for _, o := range forewarn.DefaultPurposePolicy().Options {
		purposeWords[o.Code] = o.Label
	}
}

// purposeWord is the word for a purpose code: its default label, else the code.
func purposeWord(code string) string {
	if w, ok := purposeWords[code]; ok {
		return w
	}
	return code
}

var marksRE = regexp.MustCompile(`^TLP:(\S+)(?: releasable to (\S+))?( originator consent required)?$`)

// marksText is the handling marks as the oversight report writes them ("TLP:AMBER
// releasable to FR-DGSI originator consent required"), in the reader's language.
func (l *locale) marksText(s string) string {
	m := marksRE.FindStringSubmatch(s)
	if m == nil || l == english {
		return s
	}
	out := "TLP:" + m[1]
	if m[2] != "" {
		out += ", " + l.T("releasable to %s", m[2])
	}
	if m[3] != "" {
		out += ", " + l.T("originator consent required")
	}
	return out
}

var reviewLabelRE = regexp.MustCompile(`^([a-z]+) from (\S+) of (\d{1,2} [A-Z][a-z]{2} \d{4})$`)

// reviewLabel is the store's name for a received message under review ("notification
// from TR-MIT of 1 Dec 2014"), in the reader's language; any other name as it is.
func (l *locale) reviewLabel(s string) string {
	m := reviewLabelRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	day, err := time.Parse("2 Jan 2006", m[3])
	if err != nil {
		return s
	}
	return l.T("%s from %s of %s", l.T(label(m[1])), m[2], l.Date(day))
}

// notificationWords are the words for the kinds of notifications (forewarn.NotifyArrival …).
var notificationWords = map[forewarn.NotificationType]string{
	forewarn.NotifyArrival: msg("message arrived"), forewarn.NotifyEscalation: msg("message escalated"),
	forewarn.NotifyOverdue: msg("message overdue"), forewarn.NotifyDigest: msg("daily digest of overdue messages"),
	forewarn.NotifyMatch: msg("match found"), forewarn.NotifyPrivateMatch: msg("private match found"),
	forewarn.NotifyReview: msg("review due"), forewarn.NotifyConsent: msg("consent requested"),
	forewarn.NotifyOverride: msg("consent overridden"), forewarn.NotifyAlert: msg("alert raised"), forewarn.NotifyTest: msg("test"),
}

// notificationWord is a kind of notification as a reader says it: the code on English
// pages, as webhooks receive it, its word on others.
func (l *locale) notificationWord(t forewarn.NotificationType) string {
	if w, ok := notificationWords[t]; ok && l != english {
		return l.T(w)
	}
	return string(t)
}
