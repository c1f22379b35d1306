package forewarn

import (
	"regexp"
	"slices"
	"strings"
	"sync"
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
	ArgWord   AuditArgKind = "word"   // as written, one word that may be empty: a version, a format
	ArgCodes  AuditArgKind = "codes"  // several stored codes, joined by spaces, commas or " or "
	ArgWords  AuditArgKind = "words"  // English page words, joined by ", " (a user's roles)
	ArgTerm   AuditArgKind = "term"   // the dotted name of a mark or an agreement's term ("marks.tlp")
	ArgPerm   AuditArgKind = "perm"   // a permission ("peers.manage")
	ArgSpan   AuditArgKind = "span"   // a Go duration ("1h0m0s")
	// ArgReason is an English sentence said by another part of the node (an error, a
	// refusal): a page says it through AuditReasonKinds or its catalogue, else as written,
	// marked as English.
	ArgReason AuditArgKind = "reason"
	ArgAny    AuditArgKind = "any" // as written, maybe empty: a token's name
	// ArgFailure is a failure code (FailureOf): what went wrong with a third party, or a
	// peer's error code
	ArgFailure AuditArgKind = "failure"
	// ArgField is the path of a field a peer's refusal named
	ArgField AuditArgKind = "field"
	// ArgThird is a third party's own text (a mail server's, a webhook's, a peer's):
	// a page shows it apart, as a technical detail, in English
	ArgThird AuditArgKind = "third"
	// ArgObjects is a list of objects by kind and ID, joined by ", ": "subject 0190…, message 0190…"
	ArgObjects AuditArgKind = "objects"
)

// argPatterns are what each kind of argument may look like in a stored detail.
var argPatterns = map[AuditArgKind]string{
	ArgText:    `.+?`,
	ArgName:    `\S+`,
	ArgID:      `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
	ArgAgency:  `[A-Z0-9][A-Z0-9_-]*(?:,[A-Z0-9][A-Z0-9_-]*)*`,
	ArgCode:    `[a-z][a-z_-]*`,
	ArgPage:    `[A-Z][A-Za-z ]*`,
	ArgCount:   `\d+`,
	ArgScore:   `\d+\.\d+`,
	ArgTime:    `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`,
	ArgDate:    `\d{4}-\d\d-\d\d`,
	ArgBool:    `true|false`,
	ArgDigest:  `[0-9a-f]{64}`,
	ArgWord:    `\S*`,
	ArgCodes:   `[a-z][a-z_-]*(?:,? [a-z][a-z_-]*|,[a-z][a-z_-]*)*`,
	ArgWords:   `[a-z][a-z ]*(?:, [a-z][a-z ]*)*`,
	ArgTerm:    `[a-z][a-z_]*(?:\.[a-z_]+)*`,
	ArgPerm:    `[a-z]+\.[a-z_]+`,
	ArgSpan:    `(?:\d+h)?(?:\d+m)?(?:[\d.]+(?:s|ms|µs|ns))?`,
	ArgReason:  `.+?`,
	ArgAny:     `.*?`,
	ArgFailure: `[a-z_]+`,
	ArgField:   `\S+`,
	ArgThird:   `.*?`,
	ArgObjects: `[a-z_]+ [0-9a-f-]{36}(?:, [a-z_]+ [0-9a-f-]{36})*`,
}

// AuditDetailKind is one sentence the core writes in audit details.
type AuditDetailKind struct {
	Code    string         // stable: "message.route"
	Actions []string       // the actions whose entries it is written in
	Format  string         // the English as stored, one %s per argument
	Args    []AuditArgKind // what each %s is
	// Say is the sentence pages show, when the stored form is not one (key=value details
	// written before they were sentences): the same arguments, maybe indexed (%[2]s).
	// It is the pages' catalogue key; without it, Format is.
	Say string
	re  *regexp.Regexp
}

// Sentence is the English pages show for the kind: the catalogue's key.
func (k *AuditDetailKind) Sentence() string {
	if k.Say != "" {
		return k.Say
	}
	return k.Format
}

// AuditArg is one argument of a detail, as stored.
type AuditArg struct {
	Kind  AuditArgKind `json:"kind"`
	Value string       `json:"value"`
}

// AuditDetail is a detail read back: its sentence's code, the English pages show
// (AuditDetailKind.Sentence) and its arguments (Code is empty when no kind describes it:
// Text is then the English as stored), the
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
	// a third party's failure, with its code first (FailureDetail): before the kinds that
	// read the same entries without one, written before codes were
	{Code: "message.delivery_failed_code", Actions: []string{"message.delivery_failed"}, Format: "to %s: error=%s: %s", Say: "to %s: %s (technical detail: %s)", Args: []AuditArgKind{ArgAgency, ArgFailure, ArgThird}},
	{Code: "message.delivery_failed_field", Actions: []string{"message.delivery_failed"}, Format: "to %s: error=%s field=%s: %s", Say: "to %s: %s, about the field %s (technical detail: %s)", Args: []AuditArgKind{ArgAgency, ArgFailure, ArgField, ArgThird}},
	{Code: "notification.dead_code", Actions: []string{"notification.dead"}, Format: "error=%s: %s", Say: "%s (technical detail: %s)", Args: []AuditArgKind{ArgFailure, ArgThird}},
	{Code: "notification.dead_field", Actions: []string{"notification.dead"}, Format: "error=%s field=%s: %s", Say: "%s, about the field %s (technical detail: %s)", Args: []AuditArgKind{ArgFailure, ArgField, ArgThird}},
	{Code: "feed.poll_failed_code", Actions: []string{"feed.poll_failed"}, Format: "failure %s in a row: error=%s: %s", Say: "failure %s in a row: %s (technical detail: %s)", Args: []AuditArgKind{ArgCount, ArgFailure, ArgThird}},
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
	{Code: "ack.outcome", Actions: []string{"message.read", "message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s outcome %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgCode}},
	{Code: "ack.stage_late", Actions: []string{"message.read", "message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s dated %s, arrived %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgTime, ArgTime}},
	{Code: "ack.outcome_late", Actions: []string{"message.read", "message.acknowledge"}, Format: "agency %s stage %s by acknowledgement %s outcome %s dated %s, arrived %s", Args: []AuditArgKind{ArgAgency, ArgCode, ArgID, ArgCode, ArgTime, ArgTime}},
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
	{Code: "token.create", Actions: []string{"token.create"}, Format: "for %s as %s until %s: %s", Args: []AuditArgKind{ArgName, ArgCode, ArgTime, ArgAny}},
	{Code: "token.create_program", Actions: []string{"token.create"}, Format: "for %s as %s until %s (a program): %s", Args: []AuditArgKind{ArgName, ArgCode, ArgTime, ArgAny}},
	{Code: "token.revoke", Actions: []string{"token.revoke"}, Format: "for %s as %s: %s", Args: []AuditArgKind{ArgName, ArgCode, ArgAny}},
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
	{Code: "retention.assign_list", Actions: []string{"retention.assign"}, Format: "%s review dates given by the policy: %s", Args: []AuditArgKind{ArgCount, ArgObjects}},
	{Code: "retention.review_date", Actions: []string{"subject.keep", "message.keep"}, Format: "review date %s (was %s)", Args: []AuditArgKind{ArgDate, ArgDate}},
	{Code: "retention.erased", Actions: []string{"subject.erase", "message.erase"}, Format: "erased; was %s; %s persons erased from %s messages", Args: []AuditArgKind{ArgDigest, ArgCount, ArgCount}},
	{Code: "retention.notice_sent", Actions: []string{"erasure.notice_sent"}, Format: "to %s about message %s: notice %s", Args: []AuditArgKind{ArgAgency, ArgID, ArgID}},
	{Code: "retention.notice_refused", Actions: []string{"erasure.notice_refused"}, Format: "to %s about message %s: %s", Args: []AuditArgKind{ArgAgency, ArgID, ArgReason}}, // the reason: the refusal of the agreement or the marks
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
	// refusals: of a page or a call, of a sign-in, counted in a flood
	{Code: "access.taxii_token", Actions: []string{"access.denied"}, Format: "TAXII token %s: %s", Args: []AuditArgKind{ArgText, ArgReason}},
	{Code: "access.reason", Actions: []string{"access.denied", "purpose.refused", "notification.dead"}, Format: "%s", Args: []AuditArgKind{ArgReason}},
	{Code: "login.refused", Actions: []string{"login.failed"}, Format: "refused: %s", Args: []AuditArgKind{ArgReason}},
	{Code: "login.reason", Actions: []string{"login.failed"}, Format: "%s", Say: "sign-in refused: %s", Args: []AuditArgKind{ArgReason}},
	{Code: "access.flood", Actions: []string{"access.denied_repeated"}, Format: "%s more refused requests from %s between %s and %s, counted rather than audited one by one; the last: %s %s: %s",
		Say: "%s more refused requests from %s between %s and %s, counted rather than audited one by one; the last: %s %s: %s", Args: []AuditArgKind{ArgCount, ArgName, ArgTime, ArgTime, ArgName, ArgName, ArgReason}},
	{Code: "access.flood_cut", Actions: []string{"access.denied_repeated"}, Format: "%s more refused requests from %s between %s and %s, counted rather than audited one by one; the last: %s",
		Args: []AuditArgKind{ArgCount, ArgName, ArgTime, ArgTime, ArgText}},
	{Code: "message.reject", Actions: []string{"message.reject", "private_match.refuse"}, Format: "from %s: %s", Say: "refused from %s: %s", Args: []AuditArgKind{ArgName, ArgReason}},
	{Code: "message.reject_claimed", Actions: []string{"message.reject"}, Format: "from %s (claiming to be \"%s\"): %s", Say: "refused from %s (claiming to be %s): %s", Args: []AuditArgKind{ArgName, ArgText, ArgReason}},
	// what the handling marks kept in (app.EgressDetail), the notifier's with a tail, first
	{Code: "egress.withheld", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s: %s (notification %s sent without them)", Say: "%s refused by %s: %s; notification %s sent without them", Args: []AuditArgKind{ArgCode, ArgTerm, ArgReason, ArgID}},
	{Code: "egress.withheld_of", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s originator=%s: %s (notification %s sent without them)", Say: "%[1]s of what %[3]s sent refused by %[2]s: %[4]s; notification %[5]s sent without them", Args: []AuditArgKind{ArgCode, ArgTerm, ArgAgency, ArgReason, ArgID}},
	{Code: "egress.refused", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s: %s", Say: "%s refused by %s: %s", Args: []AuditArgKind{ArgCode, ArgTerm, ArgReason}},
	{Code: "egress.refused_to", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s to=%s: %s", Say: "%[1]s to %[3]s refused by %[2]s: %[4]s", Args: []AuditArgKind{ArgCode, ArgTerm, ArgAgency, ArgReason}},
	{Code: "egress.refused_of", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s originator=%s: %s", Say: "%[1]s of what %[3]s sent refused by %[2]s: %[4]s", Args: []AuditArgKind{ArgCode, ArgTerm, ArgAgency, ArgReason}},
	{Code: "egress.refused_to_of", Actions: []string{"egress.refused"}, Format: "path=%s mark=%s to=%s originator=%s: %s", Say: "%[1]s to %[3]s of what %[4]s sent refused by %[2]s: %[5]s", Args: []AuditArgKind{ArgCode, ArgTerm, ArgAgency, ArgAgency, ArgReason}},
	// what a sharing agreement refused (app.Node.checkAgreement, app.Messages.refusePrivate)
	{Code: "agreement.refused", Actions: []string{"agreement.refused"}, Format: "%s TLP:%s to %s, term=%s: %s", Say: "%s (TLP:%s) to %s refused by %s: %s", Args: []AuditArgKind{ArgCode, ArgName, ArgAgency, ArgTerm, ArgReason}},
	{Code: "agreement.refused_private", Actions: []string{"agreement.refused"}, Format: "%s to %s, term=%s: %s", Say: "%s to %s refused by %s: %s", Args: []AuditArgKind{ArgCode, ArgAgency, ArgTerm, ArgReason}},
	{Code: "agreement.set", Actions: []string{"agreement.set"}, Format: "kinds [%s] up to TLP:%s, consent-required %s, forwarded %s, notify erasure %s",
		Say: "kinds %s up to TLP:%s; messages needing consent: %s; forwarded content: %s; told of erasures: %s", Args: []AuditArgKind{ArgCodes, ArgName, ArgBool, ArgBool, ArgBool}},
	{Code: "agreement.set_none", Actions: []string{"agreement.set"}, Format: "kinds [] up to TLP:%s, consent-required %s, forwarded %s, notify erasure %s",
		Say: "no kinds, up to TLP:%s; messages needing consent: %s; forwarded content: %s; told of erasures: %s", Args: []AuditArgKind{ArgName, ArgBool, ArgBool, ArgBool}},
	{Code: "private.set", Actions: []string{"private_match.set"}, Format: "kept %s's private-match set of epoch %s: %s fingerprints", Args: []AuditArgKind{ArgAgency, ArgName, ArgCount}},
	// imports and feeds (sqlstore importDetail, entryDetail; feeds; TAXII)
	{Code: "import.counts", Actions: []string{"import.start", "import.finish", "import.interrupted"},
		Format: "dataset=%s version=%s format=%s status=%s read=%s added=%s updated=%s withdrawn=%s unchanged=%s invalid=%s links=%s alerts=%s",
		Say:    "dataset %s, version %s, format %s, %s: %s read, %s added, %s updated, %s withdrawn, %s unchanged, %s invalid, %s links, %s alerts",
		Args:   []AuditArgKind{ArgName, ArgWord, ArgWord, ArgCode, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount}},
	{Code: "import.counts_dry_run", Actions: []string{"import.start", "import.finish", "import.interrupted"},
		Format: "dataset=%s version=%s format=%s status=%s read=%s added=%s updated=%s withdrawn=%s unchanged=%s invalid=%s links=%s alerts=%s dry-run",
		Say:    "trial run, nothing kept: dataset %s, version %s, format %s, %s: %s read, %s added, %s updated, %s withdrawn, %s unchanged, %s invalid, %s links, %s alerts",
		Args:   []AuditArgKind{ArgName, ArgWord, ArgWord, ArgCode, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount, ArgCount}},
	{Code: "import.raw", Actions: []string{"import.raw"}, Format: "dataset=%s kept %s objects it does not map, of %s read", Say: "dataset %s: kept %s objects it does not map, of %s read", Args: []AuditArgKind{ArgName, ArgCount, ArgCount}},
	{Code: "import.refused", Actions: []string{"import.refused"}, Format: "dataset=%s format=%s: %s", Say: "dataset %s, format %s, refused: %s", Args: []AuditArgKind{ArgName, ArgWord, ArgReason}},
	{Code: "association.import", Actions: []string{"association.create"}, Format: "import %s: subjects %s %s", Args: []AuditArgKind{ArgID, ArgID, ArgID}},
	{Code: "subject.export", Actions: []string{"subject.export"}, Format: "export format=%s backup=%s", Say: "export as %s; a backup: %s", Args: []AuditArgKind{ArgCode, ArgBool}},
	{Code: "taxii.collection", Actions: []string{"taxii.collection.create"}, Format: "\"%s\" audience=%s tlp=%s write=%s", Say: "collection \"%s\" for %s, up to TLP:%s; writable: %s", Args: []AuditArgKind{ArgText, ArgWord, ArgWord, ArgBool}},
	{Code: "taxii.token", Actions: []string{"taxii.token.create"}, Format: "%s for %s, collections %s, write=%s", Say: "%s for %s, collections %s; may write: %s", Args: []AuditArgKind{ArgText, ArgAgency, ArgText, ArgBool}},
	{Code: "taxii.objects_status", Actions: []string{"taxii.objects.add"}, Format: "%s objects posted, %s new versions stored; status %s: %s succeeded, %s failed", Args: []AuditArgKind{ArgCount, ArgCount, ArgName, ArgCount, ArgCount}},
	{Code: "taxii.served", Actions: []string{"subject.read"}, Format: "served over TAXII from collection %s (%s) with token %s", Args: []AuditArgKind{ArgName, ArgText, ArgText}},
	{Code: "feed.add", Actions: []string{"feed.add"}, Format: "%s collection %s for %s every %s", Say: "%s, collection %s, for %s, every %s", Args: []AuditArgKind{ArgName, ArgName, ArgAgency, ArgSpan}},
	{Code: "feed.poll", Actions: []string{"feed.poll"}, Format: "cursor %s; %s objects, %s persons, %s kept raw in all; %s kept raw now", Say: "read up to %s; %s objects, %s persons, %s kept raw in all; %s kept raw now", Args: []AuditArgKind{ArgName, ArgCount, ArgCount, ArgCount, ArgCount}},
	{Code: "feed.poll_start", Actions: []string{"feed.poll"}, Format: "cursor ; %s objects, %s persons, %s kept raw in all; %s kept raw now", Say: "%s objects, %s persons, %s kept raw in all; %s kept raw now", Args: []AuditArgKind{ArgCount, ArgCount, ArgCount, ArgCount}},
	// notifications and webhooks
	{Code: "webhook", Actions: []string{"webhook.create", "webhook.delete"}, Format: "%s %s", Say: "%s at %s", Args: []AuditArgKind{ArgText, ArgName}},
	// retention
	{Code: "retention.rule", Actions: []string{"retention.rule"}, Format: "%s %s reviewed %s days after it is stored (was %s)", Say: "%s (%s): reviewed %s days after it is stored (was %s)", Args: []AuditArgKind{ArgCode, ArgCode, ArgCount, ArgCount}},
	{Code: "retention.review_due", Actions: []string{"subject.review_due", "message.review_due"}, Format: "review date %s; alert %s", Args: []AuditArgKind{ArgDate, ArgID}},
	// a witness's evidence of a partner's forked chain
	{Code: "audit.equivocation", Actions: []string{"audit.equivocation"}, Format: "%s stated a second, different hash for entry %s of its audit chain; the first is kept, the second kept as evidence", Args: []AuditArgKind{ArgAgency, ArgCount}},
	// an import's entry withdrawn; a received message stored under an ID of its own
	{Code: "subject.import_withdrawn", Actions: []string{"subject.update"}, Format: "import %s: withdrawn from dataset %s version %s (entry %s)", Args: []AuditArgKind{ArgID, ArgName, ArgWord, ArgText}},
	{Code: "message.route_renamed", Actions: []string{"message.receive"}, Format: "%s from %s to %s; stored as %s: its sender's ID %s is another agency's here", Args: []AuditArgKind{ArgCode, ArgAgency, ArgAgency, ArgID, ArgID}},
	{Code: "message.route_reply_renamed", Actions: []string{"message.receive"}, Format: "%s from %s to %s in reply to %s; stored as %s: its sender's ID %s is another agency's here", Args: []AuditArgKind{ArgCode, ArgAgency, ArgAgency, ArgID, ArgID, ArgID}},
	// a thread shown through the API
	{Code: "shown.thread", Actions: []string{"message.list"}, Format: "the thread of %s, with the persons its messages name", Args: []AuditArgKind{ArgID}},
	// a watch-list change written with its reason inline, before reasons were notes
	{Code: "subject.watch_reason", Actions: []string{"subject.watch"}, Format: "%s: %s", Args: []AuditArgKind{ArgCode, ArgText}},
}

// AuditReasonKinds are the sentences other parts of the node say that details quote as
// their reason (ArgReason): refusals of pages, calls and sign-ins, of a way out by the
// handling marks, of a message by a sharing agreement, of a purpose. A page says a reason
// through them, else through its catalogue, else as written, marked as English.
var AuditReasonKinds = []*AuditDetailKind{
	// the pages' refusals (web)
	{Code: "web.role_who", Format: "Your role (%s) does not allow this page (%s); it is for: %s.", Args: []AuditArgKind{ArgWords, ArgPerm, ArgWords}},
	{Code: "web.role", Format: "Your role (%s) does not allow this page (%s).", Args: []AuditArgKind{ArgWords, ArgPerm}},
	{Code: "web.own_tokens", Format: "Users create their own API tokens only; %s must sign in and create theirs.", Args: []AuditArgKind{ArgName}},
	{Code: "web.revoke_own", Format: "You may revoke only your own API tokens."},
	{Code: "web.form_refused", Format: "The form was refused: %s. Reload the page and try again.", Args: []AuditArgKind{ArgReason}},
	{Code: "web.sign_in_refused", Format: "The sign-in form was refused: %s.", Args: []AuditArgKind{ArgReason}},
	{Code: "web.no_csrf", Format: "it carries no CSRF token"},
	{Code: "web.csrf_session", Format: "its CSRF token does not match your session"},
	{Code: "web.csrf_sign_in", Format: "its CSRF token does not match this browser's sign-in form"},
	{Code: "web.cross_site", Format: "it was sent from another site (Origin: %s)", Args: []AuditArgKind{ArgText}},
	{Code: "login.wrong", Format: "wrong username or password"},
	{Code: "login.disabled", Format: "this account is disabled; ask an administrator"},
	{Code: "login.too_many", Format: "too many failed attempts"},
	// the API's refusals (httpapi)
	{Code: "api.sign_in", Format: "sign in or send an API token (Authorization: Bearer TOKEN)"},
	{Code: "api.role_who", Format: "your role (%s) does not allow %s; a token of a user in the role %s does", Args: []AuditArgKind{ArgCodes, ArgPerm, ArgCodes}},
	{Code: "api.role", Format: "your role (%s) does not allow %s", Args: []AuditArgKind{ArgCodes, ArgPerm}},
	{Code: "api.token_role", Format: "a token in the role %s cannot create a token in the role %s; sign in to do that", Args: []AuditArgKind{ArgCodes, ArgCode}},
	{Code: "api.own_tokens", Format: "users create their own tokens only; %s must sign in and create theirs", Args: []AuditArgKind{ArgName}},
	{Code: "api.metrics_token", Format: "/metrics needs the metrics token (Authorization: Bearer TOKEN)"},
	{Code: "api.metrics_local", Format: "/metrics answers the node's own machine only, unless the node is given a metrics token"},
	{Code: "api.mutual_tls", Format: "this node requires mutual TLS: present a client certificate signed by its CA"},
	// a purpose missing or wrong (forewarn.ParsePurpose, as the API says it)
	{Code: "purpose.missing", Format: "purpose: give a purpose"},
	{Code: "purpose.required", Format: "purpose: say why you open this person's data: give a purpose (%s)", Args: []AuditArgKind{ArgText}},
	{Code: "purpose.unknown", Format: "purpose: \"%s\" is not a purpose of this node (%s)", Args: []AuditArgKind{ArgText, ArgText}},
	{Code: "purpose.text_required", Format: "purpose_text: the purpose \"%s\" needs a few words saying why", Args: []AuditArgKind{ArgText}},
	{Code: "purpose.text_long", Format: "purpose_text: the purpose's text is longer than %s bytes", Args: []AuditArgKind{ArgCount}},
	// the handling marks (HandlingMarks.PermitsEgress)
	{Code: "egress.tlp_forward", Format: "TLP:%s may not go beyond the agencies it was sent to: %s needs the originator %s's consent", Args: []AuditArgKind{ArgName, ArgAgency, ArgAgency}},
	{Code: "egress.tlp_forward_anon", Format: "TLP:%s may not go beyond the agencies it was sent to: %s needs the originator's consent", Args: []AuditArgKind{ArgName, ArgAgency}},
	{Code: "egress.release_list", Format: "TLP:%s releasable to %s only, not to %s, without the originator %s's consent", Args: []AuditArgKind{ArgName, ArgText, ArgAgency, ArgAgency}},
	{Code: "egress.release_list_anon", Format: "TLP:%s releasable to %s only, not to %s, without the originator's consent", Args: []AuditArgKind{ArgName, ArgText, ArgAgency}},
	{Code: "egress.consent", Format: "the originator %s requires its consent before this is shared with %s", Args: []AuditArgKind{ArgAgency, ArgAgency}},
	{Code: "egress.consent_anon", Format: "the originator requires its consent before this is shared with %s", Args: []AuditArgKind{ArgAgency}},
	{Code: "egress.tlp_out", Format: "TLP:%s may not leave in an %s: only TLP:CLEAR and TLP:GREEN may", Args: []AuditArgKind{ArgName, ArgCode}},
	{Code: "egress.release_list_out", Format: "releasable to %s only, so it may not leave in an %s, whose readers no one here controls", Args: []AuditArgKind{ArgText, ArgCode}},
	{Code: "egress.consent_out", Format: "the originator %s requires its consent before any onward sharing, so it may not leave in an %s", Args: []AuditArgKind{ArgAgency, ArgCode}},
	{Code: "egress.consent_out_anon", Format: "the originator requires its consent before any onward sharing, so it may not leave in an %s", Args: []AuditArgKind{ArgCode}},
	{Code: "egress.tlp_notification", Format: "TLP:%s names and summaries stay out of %s notifications: only TLP:CLEAR and TLP:GREEN may be in them", Args: []AuditArgKind{ArgName, ArgCode}},
	{Code: "egress.red_program", Format: "TLP:RED is for the named individuals only, not for another program's token"},
	// sharing agreements (SharingAgreement.Permits, PermitsPrivateQuery)
	{Code: "agreement.kinds", Format: "the agreement with %s covers %s only, not a %s", Args: []AuditArgKind{ArgAgency, ArgCodes, ArgCode}},
	{Code: "agreement.max_tlp", Format: "the agreement with %s goes up to TLP:%s; this is TLP:%s", Args: []AuditArgKind{ArgAgency, ArgName, ArgName}},
	{Code: "agreement.consent", Format: "the agreement with %s does not cover messages that need their originator's consent to be shared on", Args: []AuditArgKind{ArgAgency}},
	{Code: "agreement.forwarded", Format: "the agreement with %s does not cover content forwarded from another agency", Args: []AuditArgKind{ArgAgency}},
	// refusals the API and the federation endpoints make most
	{Code: "api.token_unknown", Format: "the API token is unknown or revoked"},
	{Code: "api.token_expired", Format: "the API token expired on %s; create a new one", Args: []AuditArgKind{ArgTime}},
	{Code: "api.override_supervisor", Format: "only a supervisor overrides the originator's consent"},
	{Code: "api.alert_desk", Format: "this alert is for the %s desk, and you do not act as %s", Args: []AuditArgKind{ArgCode, ArgCode}},
	{Code: "federation.signature", Format: "the signature by %s does not verify: the envelope was altered or not signed with %s's key", Args: []AuditArgKind{ArgAgency, ArgAgency}},
	{Code: "federation.replay", Format: "message %s was created %s ago, outside this node's replay window of %s; refused as a replay", Args: []AuditArgKind{ArgID, ArgSpan, ArgSpan}},
	{Code: "federation.unknown_sender", Format: "unknown sender %s: this node holds no public key for that agency (it is not a registered peer of %s)", Args: []AuditArgKind{ArgAgency, ArgAgency}},
	{Code: "agreement.private", Format: "%s: the agreement with %s covers %s only, not private queries (%s)", Args: []AuditArgKind{ArgTerm, ArgAgency, ArgCodes, ArgCode}},
}

// ParseAuditReason reads a reason a detail quotes (an ArgReason) back into one of
// AuditReasonKinds; ok is false when none describes it.
func ParseAuditReason(reason string) (d AuditDetail, ok bool) {
	d.Text = reason
	compileKinds()
	for _, k := range AuditReasonKinds {
		if m := k.re.FindStringSubmatch(reason); m != nil {
			d.Code, d.Format = k.Code, k.Sentence()
			for i, v := range m[1:] {
				d.Args = append(d.Args, AuditArg{Kind: k.Args[i], Value: v})
			}
			return d, true
		}
	}
	return d, false
}

// compile makes the kind's pattern from its format.
func (k *AuditDetailKind) compile() {
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
}

// compileKinds compiles the pattern of each of AuditDetailKinds and AuditReasonKinds, at
// first use rather than at program start: compiling their 181 patterns was a third of
// what every command, --help included, spent before main.
var compileKinds = sync.OnceFunc(func() {
	for _, k := range AuditReasonKinds {
		k.compile()
	}
	for _, k := range AuditDetailKinds {
		k.compile()
	}
})

// auditKindsByAction indexes AuditDetailKinds by action, their patterns compiled.
var auditKindsByAction = sync.OnceValue(func() map[string][]*AuditDetailKind {
	compileKinds()
	m := map[string][]*AuditDetailKind{}
	for _, k := range AuditDetailKinds {
		for _, a := range k.Actions {
			m[a] = append(m[a], k)
		}
	}
	return m
})

var noteRE = regexp.MustCompile(`(?:^|; )note sha256:([0-9a-f]{64})$`)

// ParseAuditDetail reads the detail of an entry made for action back into its sentence's
// code and arguments, the note's digest and the purpose. ok is false when the sentence is
// not one of AuditDetailKinds (Text then holds it as stored); an empty sentence is ok.
func ParseAuditDetail(action, detail string) (d AuditDetail, ok bool) {
	rest := detail
	// The purpose comes last (the store appends it to whatever the writer wrote), and a
	// detail holding "purpose: " already is given none, so the first one is the tail.
	// A refused purpose's detail is the error, which names its field first ("purpose: …").
	if action == "purpose.refused" {
		// no purpose was taken: the detail is all the error
	} else if rest == "purpose: " || strings.HasPrefix(rest, "purpose: ") {
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
	for _, k := range auditKindsByAction()[action] {
		m := k.re.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		d.Code, d.Format = k.Code, k.Sentence()
		for i, v := range m[1:] {
			d.Args = append(d.Args, AuditArg{Kind: k.Args[i], Value: v})
		}
		return d, true
	}
	return d, false
}

// AuditActionsWithoutDetail are the actions whose entries carry no sentence of their own:
// the object, its digests, and at most a note's digest and a purpose say it all.
var AuditActionsWithoutDetail = []string{
	"node.init", "peer.remove", "agreement.remove", "user.notifications", "subject.create", "subject.read",
	"match.confirm", "match.reject", "session.delete",
}

// AuditObjectTypes are the kinds of objects audit entries are about.
var AuditObjectTypes = []string{
	"node", "user", "peer", "subject", "claim", "association", "message", "match", "alert", "session", "token",
	"person", "draft", "page", "route", "source", "forward", "report", "private_query", "notification", "webhook",
	"import", "feed", "collection", "taxii_token", "retention", "retention_rule", "erasure_notice", "witness_conflict",
}

// AuditActions are every action the code writes in audit entries: those of
// AuditDetailKinds and AuditActionsWithoutDetail, sorted.
func AuditActions() []string {
	var out []string
	for a := range auditKindsByAction() {
		out = append(out, a)
	}
	for _, a := range AuditActionsWithoutDetail {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
