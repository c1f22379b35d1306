package forewarn

import (
	"regexp"
	"strings"
)

// An audit entry's Detail is an English sentence, hashed into the chain, so it never
// changes once written. AuditDetailKinds are the sentences the core writes there, each
// with a stable code and typed arguments; ParseAuditDetail reads a detail back into them,
// so a page can say it in the reader's language (and format its numbers and dates) while
// the chain, the API and the CLI keep the English. The code is derived from the action
// and the stored detail, never stored beside it: every entry, old or new, reads back the
// same, and `audit verify` is untouched. A detail no kind describes is shown as written.
//
// A writer that changes a sentence must change its kind here too; the storetest case
// AuditDetailsRead fails on an entry a store writes that no kind reads back.

// AuditArgKind says what an argument of an audit detail is, so a page knows how to show
// it: translated (a code, a page word), formatted (a count, a score, a time) or as written.
type AuditArgKind string

const (
	ArgText   AuditArgKind = "text"   // as written: a partner's words, an error, a list
	ArgName   AuditArgKind = "name"   // as written, one word: a username, a person's reference, a URL
	ArgID     AuditArgKind = "id"     // an object's ID
	ArgAgency AuditArgKind = "agency" // an agency code, or several joined by commas
	ArgCode   AuditArgKind = "code"   // a stored code the pages have a word for (message kind, side, role, stage, outcome)
	ArgPage   AuditArgKind = "page"   // an English page word, translated by the pages' catalogue ("Inbox")
	ArgCount  AuditArgKind = "count"  // a whole number
	ArgScore  AuditArgKind = "score"  // a decimal number, such as a match score
	ArgTime   AuditArgKind = "time"   // an instant, RFC 3339
	ArgDate   AuditArgKind = "date"   // a day, YYYY-MM-DD
	ArgBool   AuditArgKind = "bool"   // true or false
	ArgDigest AuditArgKind = "digest" // a hex SHA-256
)

// argPatterns are what each kind of argument may look like in a stored detail.
var argPatterns = map[AuditArgKind]string{
	ArgText:   `.+?`,
	ArgName:   `\S+`,
	ArgID:     `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
	ArgAgency: `[A-Z0-9][A-Z0-9_-]*(?:,[A-Z0-9][A-Z0-9_-]*)*`,
	ArgCode:   `[a-z][a-z_-]*`,
	ArgPage:   `[A-Z][A-Za-z ]*`,
	ArgCount:  `\d+`,
	ArgScore:  `\d+\.\d+`,
	ArgTime:   `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`,
	ArgDate:   `\d{4}-\d\d-\d\d`,
	ArgBool:   `true|false`,
	ArgDigest: `[0-9a-f]{64}`,
}

// AuditDetailKind is one sentence the core writes in audit details.
type AuditDetailKind struct {
	Code    string         // stable: "message.route"
	Actions []string       // the actions whose entries it is written in
	Format  string         // the English, one %s per argument; the pages' catalogue key
	Args    []AuditArgKind // what each %s is
	re      *regexp.Regexp
}

// AuditArg is one argument of a detail, as stored.
type AuditArg struct {
	Kind  AuditArgKind `json:"kind"`
	Value string       `json:"value"`
}

// AuditDetail is a detail read back: its sentence's code, English format and arguments
// (Code is empty when no kind describes it: Text is then the English as stored), the
// digest of a note kept beside the chain, and the purpose the access was made for.
type AuditDetail struct {
	Code    string
	Format  string
	Args    []AuditArg
	Text    string // the sentence as stored, without the note and the purpose
	Note    string // hex SHA-256 of the note kept in audit_notes, when there is one
	Purpose string // as the entry records it: "investigation — text"
}

// AuditDetailKinds are the sentences the core writes in audit details, by code.
var AuditDetailKinds = []*AuditDetailKind{
	{Code: "user.username", Actions: []string{"user.create", "user.update"}, Format: "username %s", Args: []AuditArgKind{ArgName}},
	{Code: "user.password_changed", Actions: []string{"user.update"}, Format: "username %s; password changed", Args: []AuditArgKind{ArgName}},
	{Code: "claim.subject", Actions: []string{"claim.create"}, Format: "subject %s", Args: []AuditArgKind{ArgID}},
	{Code: "claim.prefer", Actions: []string{"claim.prefer"}, Format: "subject %s; %s other claims no longer preferred", Args: []AuditArgKind{ArgID, ArgCount}},
	{Code: "association.subjects", Actions: []string{"association.create"}, Format: "subjects %s %s", Args: []AuditArgKind{ArgID, ArgID}},
	{Code: "subject.watch", Actions: []string{"subject.watch"}, Format: "%s", Args: []AuditArgKind{ArgCode}},
	{Code: "subject.merge_match", Actions: []string{"subject.update"}, Format: "confirmed match %s: %s aliases, %s claims from message %s", Args: []AuditArgKind{ArgID, ArgCount, ArgCount, ArgID}},
	{Code: "subject.import_entry", Actions: []string{"subject.create", "subject.update"}, Format: "import %s: dataset %s entry %s", Args: []AuditArgKind{ArgID, ArgName, ArgText}},
	{Code: "message.route", Actions: []string{"message.send", "message.receive"}, Format: "%s from %s to %s", Args: []AuditArgKind{ArgCode, ArgAgency, ArgAgency}},
	{Code: "message.route_reply", Actions: []string{"message.send", "message.receive"}, Format: "%s from %s to %s in reply to %s", Args: []AuditArgKind{ArgCode, ArgAgency, ArgAgency, ArgID}},
	{Code: "message.delivered", Actions: []string{"message.delivered"}, Format: "to %s after %s failed attempts", Args: []AuditArgKind{ArgAgency, ArgCount}},
	{Code: "message.delivery_failed", Actions: []string{"message.delivery_failed"}, Format: "to %s: %s", Args: []AuditArgKind{ArgAgency, ArgText}},
	{Code: "message.escalate", Actions: []string{"message.escalate"}, Format: "step %s (%s side) for %s: notified %s", Args: []AuditArgKind{ArgCount, ArgCode, ArgAgency, ArgCode}},
	{Code: "message.owner", Actions: []string{"message.assign"}, Format: "owner %s", Args: []AuditArgKind{ArgName}},
	{Code: "message.owner_cleared", Actions: []string{"message.assign"}, Format: "owner cleared (was %s)", Args: []AuditArgKind{ArgName}},
	{Code: "ack.stage", Actions: []string{"message.read", "message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID}},
	{Code: "ack.outcome", Actions: []string{"message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s outcome %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgCode}},
	{Code: "ack.stage_late", Actions: []string{"message.read", "message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s dated %s, arrived %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgTime, ArgTime}},
	{Code: "ack.outcome_late", Actions: []string{"message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s outcome %s dated %s, arrived %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgCode, ArgTime, ArgTime}},
	{Code: "alert.closed", Actions: []string{"alert.resolve"}, Format: "%s alert closed", Args: []AuditArgKind{ArgCode}},
	{Code: "alert.closed_by_ack", Actions: []string{"alert.resolve"}, Format: "%s alert closed by acknowledgement %s", Args: []AuditArgKind{ArgCode, ArgID}},
	{Code: "alert.closed_reason", Actions: []string{"alert.resolve"}, Format: "%s alert closed: %s", Args: []AuditArgKind{ArgCode, ArgText}},
	{Code: "alert.closed_by_ack_reason", Actions: []string{"alert.resolve"}, Format: "%s alert closed by acknowledgement %s: %s", Args: []AuditArgKind{ArgCode, ArgID, ArgText}},
	{Code: "match.with_subject", Actions: []string{"match.create"}, Format: "message %s person %s with subject %s score %s", Args: []AuditArgKind{ArgID, ArgName, ArgID, ArgScore}},
	{Code: "match.with_person", Actions: []string{"match.create"}, Format: "message %s person %s with message %s person %s score %s", Args: []AuditArgKind{ArgID, ArgName, ArgID, ArgName, ArgScore}},
	{Code: "forward.route", Actions: []string{"forward.awaiting_consent", "forward.sent", "forward.refused", "forward.overridden", "forward.originator_notified"}, Format: "message %s of %s to %s, requested by %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName}},
	{Code: "forward.route_override", Actions: []string{"forward.overridden", "forward.sent", "forward.originator_notified"}, Format: "message %s of %s to %s, requested by %s, imminent-threat override by %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgName}},
	{Code: "peer.url", Actions: []string{"peer.add"}, Format: "url %s", Args: []AuditArgKind{ArgName}},
	{Code: "draft.check", Actions: []string{"draft.check"}, Format: "a check of %s drafted persons showed %s hits: %s", Args: []AuditArgKind{ArgCount, ArgCount, ArgText}},
	{Code: "session.until", Actions: []string{"session.create"}, Format: "until %s", Args: []AuditArgKind{ArgTime}},
	{Code: "session.end_all", Actions: []string{"session.end_all"}, Format: "%s other sessions ended", Args: []AuditArgKind{ArgCount}},
	{Code: "session.purge", Actions: []string{"session.purge"}, Format: "%s expired sessions deleted", Args: []AuditArgKind{ArgCount}},
	{Code: "token.create", Actions: []string{"token.create"}, Format: "for %s as %s until %s: %s", Args: []AuditArgKind{ArgName, ArgCode, ArgTime, ArgText}},
	{Code: "token.create_program", Actions: []string{"token.create"}, Format: "for %s as %s until %s (a program): %s", Args: []AuditArgKind{ArgName, ArgCode, ArgTime, ArgText}},
	{Code: "token.revoke", Actions: []string{"token.revoke"}, Format: "for %s as %s: %s", Args: []AuditArgKind{ArgName, ArgCode, ArgText}},
	{Code: "oversight.period", Actions: []string{"oversight.report"}, Format: "period %s to %s", Args: []AuditArgKind{ArgTime, ArgTime}},
	{Code: "person.search", Actions: []string{"person.search"}, Format: "query sha256:%s (%s names, birth date given: %s)", Args: []AuditArgKind{ArgDigest, ArgCount, ArgBool}},
	{Code: "purpose.policy", Actions: []string{"purpose.policy"}, Format: "%s purposes, search needs a purpose: %s", Args: []AuditArgKind{ArgCount, ArgBool}},
	{Code: "private.limit", Actions: []string{"private_match.limit"}, Format: "%s may ask privately about %s persons a day", Args: []AuditArgKind{ArgAgency, ArgCount}},
	{Code: "private.answer", Actions: []string{"private_match.answer"}, Format: "%s asked privately about %s persons (epoch %s)", Args: []AuditArgKind{ArgAgency, ArgCount, ArgName}},
	{Code: "private.ask", Actions: []string{"private_match.ask"}, Format: "asked %s privately about %s persons: %s likely held", Args: []AuditArgKind{ArgAgency, ArgCount, ArgCount}},
	{Code: "private.report", Actions: []string{"private_match.report"}, Format: "%s reported %s of its persons likely held here", Args: []AuditArgKind{ArgAgency, ArgCount}},
	{Code: "private.set_whole", Actions: []string{"private_match.set_sent"}, Format: "sent %s the whole private-match set of epoch %s: %s fingerprints", Args: []AuditArgKind{ArgAgency, ArgName, ArgCount}},
	{Code: "private.set_changes", Actions: []string{"private_match.set_sent"}, Format: "sent %s the changes to its private-match set of epoch %s: %s added, %s removed", Args: []AuditArgKind{ArgAgency, ArgName, ArgCount, ArgCount}},
	{Code: "private.set_unchanged", Actions: []string{"private_match.set_sent"}, Format: "told %s its private-match set of epoch %s is unchanged", Args: []AuditArgKind{ArgAgency, ArgName}},
	{Code: "retention.assign", Actions: []string{"retention.assign"}, Format: "%s review dates given by the policy", Args: []AuditArgKind{ArgCount}},
	{Code: "retention.assign_list", Actions: []string{"retention.assign"}, Format: "%s review dates given by the policy: %s", Args: []AuditArgKind{ArgCount, ArgText}},
	{Code: "retention.review_date", Actions: []string{"subject.keep", "message.keep"}, Format: "review date %s (was %s)", Args: []AuditArgKind{ArgDate, ArgDate}},
	{Code: "retention.erased", Actions: []string{"subject.erase", "message.erase"}, Format: "erased; was %s; %s persons erased from %s messages", Args: []AuditArgKind{ArgDigest, ArgCount, ArgCount}},
	{Code: "retention.notice_sent", Actions: []string{"erasure.notice_sent"}, Format: "to %s about message %s: notice %s", Args: []AuditArgKind{ArgAgency, ArgID, ArgID}},
	{Code: "retention.notice_refused", Actions: []string{"erasure.notice_refused"}, Format: "to %s about message %s: %s", Args: []AuditArgKind{ArgAgency, ArgID, ArgText}},
	{Code: "screen.run", Actions: []string{"subject.screen"}, Format: "screened %s against %s subjects", Args: []AuditArgKind{ArgText, ArgCount}},
	{Code: "notification.channel", Actions: []string{"notification.test", "notification.retry"}, Format: "%s %s", Args: []AuditArgKind{ArgCode, ArgName}},
	{Code: "taxii.objects", Actions: []string{"taxii.objects.add"}, Format: "%s objects posted, %s new versions stored", Args: []AuditArgKind{ArgCount, ArgCount}},
	{Code: "feed.poll_failed", Actions: []string{"feed.poll_failed"}, Format: "failure %s in a row: %s", Args: []AuditArgKind{ArgCount, ArgText}},
	{Code: "feed.remove", Actions: []string{"feed.remove"}, Format: "%s collection %s", Args: []AuditArgKind{ArgName, ArgName}},
	{Code: "subject.list", Actions: []string{"subject.list"}, Format: "watch=%s offset=%s limit=%s total=%s returned=%s", Args: []AuditArgKind{ArgCode, ArgCount, ArgCount, ArgCount, ArgCount}},
	{Code: "subject.list_of", Actions: []string{"subject.list"}, Format: "watch=%s offset=%s limit=%s total=%s returned=%s: %s", Args: []AuditArgKind{ArgCode, ArgCount, ArgCount, ArgCount, ArgCount, ArgText}},
	// the oversight report's own lines about disclosures, consents and forwards
	// (app.Node.OversightReport), read with the action of the entry they stand for
	{Code: "oversight.sent", Actions: []string{"message.send"}, Format: "%s", Args: []AuditArgKind{ArgCode}},
	{Code: "oversight.forwarded_consent", Actions: []string{"message.send"}, Format: "%s forwarded from %s with its consent %s", Args: []AuditArgKind{ArgCode, ArgAgency, ArgID}},
	{Code: "oversight.forwarded_override", Actions: []string{"message.send"}, Format: "%s forwarded from %s under an imminent-threat override", Args: []AuditArgKind{ArgCode, ArgAgency}},
	{Code: "oversight.consent_granted", Actions: []string{"message.send"}, Format: "consent granted: %s", Args: []AuditArgKind{ArgText}},
	{Code: "oversight.consent_refused", Actions: []string{"message.send"}, Format: "consent refused: %s", Args: []AuditArgKind{ArgText}},
	{Code: "oversight.consent_request", Actions: []string{"message.receive"}, Format: "consent request about message %s to %s", Args: []AuditArgKind{ArgID, ArgAgency}},
	{Code: "oversight.override_notice", Actions: []string{"message.receive"}, Format: "override notice: message %s passed on to %s without consent", Args: []AuditArgKind{ArgID, ArgAgency}},
	{Code: "oversight.forward", Actions: []string{"forward.sent"}, Format: "message %s of %s to %s requested by %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName}},
	{Code: "oversight.forward_asked", Actions: []string{"forward.awaiting_consent"}, Format: "message %s of %s to %s requested by %s, consent asked: %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgText}},
	{Code: "oversight.forward_refused", Actions: []string{"forward.refused"}, Format: "message %s of %s to %s requested by %s, refused by %s: %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgAgency, ArgText}},
	{Code: "oversight.forward_granted", Actions: []string{"forward.sent"}, Format: "message %s of %s to %s requested by %s, granted by %s: %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgAgency, ArgText}},
	{Code: "oversight.forward_override", Actions: []string{"forward.overridden"}, Format: "message %s of %s to %s requested by %s, imminent-threat override by %s: %s", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgName, ArgText}},
	{Code: "oversight.forward_notified", Actions: []string{"forward.originator_notified"}, Format: "message %s of %s to %s requested by %s, %s notified of the override", Args: []AuditArgKind{ArgID, ArgAgency, ArgAgency, ArgName, ArgAgency}},
	// what a page or an API answer showed (app.Node.AuditShown): one object, or several listed
	{Code: "shown.message_page", Actions: []string{"message.read"}, Format: "the message page, with the persons it names and their matches", Args: nil},
	{Code: "shown.message", Actions: []string{"message.read"}, Format: "the message with the persons it names", Args: nil},
	{Code: "shown.match", Actions: []string{"match.read"}, Format: "the match and its explanation", Args: nil},
	{Code: "shown.related", Actions: []string{"message.related"}, Format: "%s other messages about the same persons", Args: []AuditArgKind{ArgCount}},
	{Code: "shown.list", Actions: []string{"message.list"}, Format: "%s showed messages naming persons", Args: []AuditArgKind{ArgPage}},
	{Code: "shown.list_of", Actions: []string{"message.list"}, Format: "%s showed messages naming persons: %s", Args: []AuditArgKind{ArgPage, ArgText}},
	{Code: "shown.api_list", Actions: []string{"message.list"}, Format: "messages listed with the persons they name", Args: nil},
	{Code: "shown.api_list_of", Actions: []string{"message.list"}, Format: "messages listed with the persons they name: %s", Args: []AuditArgKind{ArgText}},
	{Code: "shown.matches", Actions: []string{"match.list"}, Format: "the matches list showed the persons of messages", Args: nil},
	{Code: "shown.matches_of", Actions: []string{"match.list"}, Format: "the matches list showed the persons of messages: %s", Args: []AuditArgKind{ArgText}},
	{Code: "shown.api_matches", Actions: []string{"match.list"}, Format: "matches listed, with the persons and subjects they pair", Args: nil},
	{Code: "shown.api_matches_of", Actions: []string{"match.list"}, Format: "matches listed, with the persons and subjects they pair: %s", Args: []AuditArgKind{ArgText}},
	{Code: "shown.alerts", Actions: []string{"alert.list"}, Format: "the alerts showed the persons of matches", Args: nil},
	{Code: "shown.alerts_of", Actions: []string{"alert.list"}, Format: "the alerts showed the persons of matches: %s", Args: []AuditArgKind{ArgText}},
}

// auditKindsByAction indexes AuditDetailKinds by action, each kind's pattern compiled.
var auditKindsByAction = func() map[string][]*AuditDetailKind {
	m := map[string][]*AuditDetailKind{}
	for _, k := range AuditDetailKinds {
		var b strings.Builder
		b.WriteString("^")
		parts := strings.Split(k.Format, "%s")
		for i, p := range parts {
			b.WriteString(regexp.QuoteMeta(p))
			if i < len(k.Args) {
				b.WriteString("(" + argPatterns[k.Args[i]] + ")")
			}
		}
		b.WriteString("$")
		k.re = regexp.MustCompile(b.String())
		for _, a := range k.Actions {
			m[a] = append(m[a], k)
		}
	}
	return m
}()

var noteRE = regexp.MustCompile(`(?:^|; )note sha256:([0-9a-f]{64})$`)

// ParseAuditDetail reads the detail of an entry made for action back into its sentence's
// code and arguments, the note's digest and the purpose. ok is false when the sentence is
// not one of AuditDetailKinds (Text then holds it as stored); an empty sentence is ok.
func ParseAuditDetail(action, detail string) (d AuditDetail, ok bool) {
	rest := detail
	// The purpose comes last (the store appends it to whatever the writer wrote), and a
	// detail holding "purpose: " already is given none, so the first one is the tail.
	if rest == "purpose: " || strings.HasPrefix(rest, "purpose: ") {
		d.Purpose, rest = strings.TrimPrefix(rest, "purpose: "), ""
	} else if i := strings.Index(rest, "; purpose: "); i >= 0 {
		d.Purpose, rest = rest[i+len("; purpose: "):], rest[:i]
	}
	if m := noteRE.FindStringSubmatchIndex(rest); m != nil {
		d.Note, rest = rest[m[2]:m[3]], rest[:m[0]]
	}
	d.Text = rest
	if rest == "" {
		return d, true
	}
	for _, k := range auditKindsByAction[action] {
		m := k.re.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		d.Code, d.Format = k.Code, k.Format
		for i, v := range m[1:] {
			d.Args = append(d.Args, AuditArg{Kind: k.Args[i], Value: v})
		}
		return d, true
	}
	return d, false
}
