package forewarn

import (
	"slices"
	"strings"
)

// EgressPath is one way content received from another agency can leave this node. Every
// path asks HandlingMarks.PermitsEgress (through app.Node.CheckEgress, which audits a
// refusal) before anything leaves.
type EgressPath string

// The ways out.
const (
	EgressForward EgressPath = "forward" // passing a received message, or part of it, to a third agency
	EgressReply   EgressPath = "reply"   // quoting it in a reply or follow-up sent to an agency
	EgressExport  EgressPath = "export"  // a file written for other systems: FtM, CSV, STIX
	EgressTAXII   EgressPath = "taxii"   // the TAXII server's collections
	EgressEmail   EgressPath = "email"   // names and summaries in notification e-mail
	EgressWebhook EgressPath = "webhook" // names and summaries in webhook notifications
	EgressProgram EgressPath = "program" // the JSON API, to a token made for another program
	// EgressPrivate is a private query to another agency (docs/private-match.md): the
	// names leave only blinded, but a hit tells the agency asked that this node is
	// interested in one of its subjects, so names another agency sent go as they would
	// in a forward.
	EgressPrivate EgressPath = "private_match"
)

// EgressPaths lists every way out, in the order reports show them.
var EgressPaths = []EgressPath{EgressForward, EgressReply, EgressPrivate, EgressExport, EgressTAXII, EgressEmail, EgressWebhook, EgressProgram}

// Valid reports whether p is one of the ways out.
func (p EgressPath) Valid() bool { return slices.Contains(EgressPaths, p) }

// Egress is one proposed release of content that came under handling marks.
type Egress struct {
	Path       EgressPath
	MessageID  string        // the message the content came in (for the audit trail)
	Marks      HandlingMarks // the marks its originator set
	Originator string        // the agency that set them
	// To is the agency receiving it, for forward and reply; "" for the paths that reach
	// systems or people of this agency.
	To string
	// Consent says the originator has agreed to this release to To (a granted consent
	// request, or an imminent-threat override on record).
	Consent bool
}

// The marks a refusal names, as the field of its error.
const (
	MarkTLP          = "marks.tlp"
	MarkReleasableTo = "marks.releasable_to"
	MarkConsent      = "marks.originator_consent_required"
)

// PermitsEgress returns nil when content under h may leave by the way e describes, and an
// EFORBIDDEN error whose Field names the mark that forbids it otherwise (MarkTLP,
// MarkReleasableTo or MarkConsent; Rule "egress").
//
// The rules follow TLP 2.0 (FIRST, 2022), read as a recipient must:
//   - To another agency (forward, reply, a private query): giving content back to its originator is always
//     allowed. Otherwise only TLP:CLEAR and TLP:GREEN may go beyond the agencies it was
//     sent to; a release list limits it further to the agencies it names; and "originator
//     consent required" holds it until the originator agrees. The originator's consent
//     to this agency is the explicit permission TLP 2.0 asks for to share more widely
//     than the level says, so it lifts all three for that agency alone.
//   - To a file or the TAXII server (export, taxii), whose readers no one here controls:
//     only TLP:CLEAR and TLP:GREEN, without a release list and without a consent mark.
//   - In notifications (email, webhook), which stay within this agency but pass through
//     mail and chat systems that reach further: names and summaries only for TLP:CLEAR
//     and TLP:GREEN (the notification itself still goes, without them).
//   - To another program through the API (program): everything but TLP:RED, which is for
//     the eyes of the named individuals only; the release list and the consent mark
//     concern other agencies, not this agency's own systems.
func (h HandlingMarks) PermitsEgress(e Egress) error {
	if !h.TLP.Valid() {
		return egressRefusal(MarkTLP, "unknown TLP level %q: the content may leave by no way", h.TLP)
	}
	open := h.TLP == TLPClear || h.TLP == TLPGreen
	switch e.Path {
	case EgressForward, EgressReply, EgressPrivate:
		if !IsAgencyCode(e.To) {
			return egressRefusal("to", "%q is not an agency code; content is released only to a named agency", e.To)
		}
		if e.To == e.Originator {
			return nil
		}
		if e.Consent {
			return nil
		}
		if !open {
			return egressRefusal(MarkTLP, "TLP:%s may not go beyond the agencies it was sent to: %s needs %s's consent", h.TLP, e.To, originatorName(e.Originator))
		}
		if len(h.ReleasableTo) > 0 && !slices.Contains(h.ReleasableTo, e.To) {
			return egressRefusal(MarkReleasableTo, "TLP:%s releasable to %s only, not to %s, without %s's consent", h.TLP, strings.Join(h.ReleasableTo, ", "), e.To, originatorName(e.Originator))
		}
		if h.OriginatorConsentRequired {
			return egressRefusal(MarkConsent, "%s requires its consent before this is shared with %s", originatorName(e.Originator), e.To)
		}
		return nil
	case EgressExport, EgressTAXII:
		if !open {
			return egressRefusal(MarkTLP, "TLP:%s may not leave in an %s: only TLP:CLEAR and TLP:GREEN may", h.TLP, e.Path)
		}
		if len(h.ReleasableTo) > 0 {
			return egressRefusal(MarkReleasableTo, "releasable to %s only, so it may not leave in an %s, whose readers no one here controls", strings.Join(h.ReleasableTo, ", "), e.Path)
		}
		if h.OriginatorConsentRequired {
			return egressRefusal(MarkConsent, "%s requires its consent before any onward sharing, so it may not leave in an %s", originatorName(e.Originator), e.Path)
		}
		return nil
	case EgressEmail, EgressWebhook:
		if !open {
			return egressRefusal(MarkTLP, "TLP:%s names and summaries stay out of %s notifications: only TLP:CLEAR and TLP:GREEN may be in them", h.TLP, e.Path)
		}
		return nil
	case EgressProgram:
		if h.TLP == TLPRed {
			return egressRefusal(MarkTLP, "TLP:RED is for the named individuals only, not for another program's token")
		}
		return nil
	}
	return egressRefusal("path", "unknown way out %q", e.Path)
}

func originatorName(code string) string {
	if code == "" {
		return "the originator"
	}
	return "the originator " + code
}

func egressRefusal(mark, format string, args ...any) *Error {
	e := Errorf(EFORBIDDEN, format, args...)
	e.Field, e.Rule = mark, "egress"
	return e
}
