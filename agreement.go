package forewarn

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SharingAgreement is what this node has agreed to send one peer: which message kinds,
// up to which TLP level, and which handling. A send outside it is refused before it
// leaves, with the term it breaks. A peer with no agreement on record is not restricted
// by one (the handling marks still are): agreements narrow, they never widen.
type SharingAgreement struct {
	Agency string `json:"agency"` // the peer
	// Kinds are the message kinds it may receive (acknowledgements always go), and
	// KindPrivateMatch when this node may ask it privately whether it holds a person.
	Kinds  []MessageKind `json:"kinds"`
	MaxTLP TLP           `json:"max_tlp"`
	// ConsentRequired lets it receive messages whose originator's consent is required for
	// onward sharing: it has agreed to honour the third-party rule.
	ConsentRequired bool `json:"consent_required"`
	// Forwarded lets it receive content that another agency originated, forwarded here
	// with that agency's consent (or an imminent-threat override).
	Forwarded bool `json:"forwarded"`
	// NotifyErasure says the peer asks to be told when a person it sent is erased here.
	NotifyErasure bool `json:"notify_erasure"`
	// PrivatePersonsPerDay is how many persons the peer may ask about privately in one
	// day (UTC): answering a private query sends the peer this node's set (see
	// docs/private-match.md). 0, as in an agreement made before private queries, lets it
	// ask about none.
	PrivatePersonsPerDay int       `json:"private_persons_per_day,omitempty"`
	Note                 string    `json:"note,omitempty"` // the agreement's reference, in words
	UpdatedAt            time.Time `json:"updated_at"`
}

// KindPrivateMatch in an agreement's kinds lets this node ask the peer privately whether
// it holds a person (docs/private-match.md). It is not the kind of a message: a private
// query is its own signed document, which carries no name but is still sent to the peer.
const KindPrivateMatch MessageKind = "private_match"

// The terms of an agreement a refusal names, as the field of its error.
const (
	TermKinds           = "agreement.kinds"
	TermMaxTLP          = "agreement.max_tlp"
	TermConsentRequired = "agreement.consent_required"
	TermForwarded       = "agreement.forwarded"
)

// Validate checks the agreement, naming the first wrong field.
func (a *SharingAgreement) Validate() error {
	if !IsAgencyCode(a.Agency) {
		return Invalid("agency", "agency_code", "%q is not an agency code like BE-VSSE", a.Agency)
	}
	if len(a.Kinds) == 0 {
		return Invalid("kinds", "required", "name the message kinds %s may receive (request, notification, response)", a.Agency)
	}
	for i, k := range a.Kinds {
		switch k {
		case KindRequest, KindNotification, KindResponse, KindAcknowledgement, KindPrivateMatch:
		default:
			return Invalid(fmt.Sprintf("kinds[%d]", i), "enum", "%q is not a kind of message", k).Choices(string(KindRequest), string(KindNotification), string(KindResponse), string(KindAcknowledgement), string(KindPrivateMatch))
		}
	}
	if !a.MaxTLP.Valid() {
		return Invalid("max_tlp", "enum", "the highest TLP level must be one of the TLP levels, not %q", a.MaxTLP).Choices(tlpCodes()...)
	}
	if a.PrivatePersonsPerDay < 0 || a.PrivatePersonsPerDay > MaxPrivateLimit {
		return Invalid("private_persons_per_day", "range", "a private query limit is 0 to %d persons a day, not %d", MaxPrivateLimit, a.PrivatePersonsPerDay)
	}
	return validateText("note", a.Note, false, MaxMessageText)
}

// Permits returns nil when the agreement lets m go to its peer, and an EFORBIDDEN error
// whose Field names the term it breaks otherwise (Rule "agreement"). forwarded says m
// carries content another agency originated.
func (a *SharingAgreement) Permits(m *Message, forwarded bool) error {
	if m.Kind == KindAcknowledgement {
		return nil // answering the peer's own message is never outside an agreement
	}
	if !slices.Contains(a.Kinds, m.Kind) {
		return agreementRefusal(TermKinds, "the agreement with %s covers %s only, not a %s", a.Agency, kindList(a.Kinds), m.Kind)
	}
	if m.Marks.TLP.Stricter(a.MaxTLP) != a.MaxTLP {
		return agreementRefusal(TermMaxTLP, "the agreement with %s goes up to TLP:%s; this is TLP:%s", a.Agency, a.MaxTLP, m.Marks.TLP)
	}
	if m.Marks.OriginatorConsentRequired && !a.ConsentRequired {
		return agreementRefusal(TermConsentRequired, "the agreement with %s does not cover messages that need their originator's consent to be shared on", a.Agency)
	}
	if forwarded && !a.Forwarded {
		return agreementRefusal(TermForwarded, "the agreement with %s does not cover content forwarded from another agency", a.Agency)
	}
	return nil
}

// PermitsPrivateQuery returns nil when the agreement lets this node ask its peer privately
// whether it holds persons (KindPrivateMatch among its kinds), and an EFORBIDDEN error
// naming TermKinds otherwise (Rule "agreement").
func (a *SharingAgreement) PermitsPrivateQuery() error {
	if slices.Contains(a.Kinds, KindPrivateMatch) {
		return nil
	}
	return agreementRefusal(TermKinds, "the agreement with %s covers %s only, not private queries (%s)", a.Agency, kindList(a.Kinds), KindPrivateMatch)
}

func kindList(ks []MessageKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func agreementRefusal(term, format string, args ...any) *Error {
	e := Errorf(EFORBIDDEN, format, args...)
	e.Field, e.Rule = term, "agreement"
	return e
}

// AgreementStore keeps the sharing agreements, one per peer. Setting and removing are
// audited with the agreement's digests before and after.
type AgreementStore interface {
	// SetAgreement records the agreement with a peer (ENOTFOUND when it is not a peer),
	// replacing the one before.
	SetAgreement(ctx context.Context, actor Actor, a *SharingAgreement) error
	// Agreement returns the agreement with agency; ENOTFOUND when there is none.
	Agreement(ctx context.Context, agency string) (*SharingAgreement, error)
	Agreements(ctx context.Context) ([]*SharingAgreement, error)
	RemoveAgreement(ctx context.Context, actor Actor, agency string) error
}
