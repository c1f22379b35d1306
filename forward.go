package forewarn

import (
	"context"
	"time"
)

// ConsentRequest asks a message's originator to consent to passing it on: what (the
// message, by the originator's ID for it), to whom, and why. It travels on a request to
// the originator, threaded under the message, so it has a deadline and escalates like any
// request. On a notification it is instead the notice that a supervisor forwarded the
// message without consent, under an imminent threat to life (Override).
type ConsentRequest struct {
	MessageID string `json:"message_id"` // the originator's ID for the message
	To        string `json:"to"`         // the agency it would go to
	Reason    string `json:"reason"`     // why; on an override, the supervisor's justification
	Override  bool   `json:"override,omitempty"`
}

// ConsentAnswer is the originator's answer to a ConsentRequest, on its response.
type ConsentAnswer struct {
	Granted bool   `json:"granted"`
	Reason  string `json:"reason"`
}

// Provenance travels on a forwarded message: whose it is and on what authority it was
// passed on, so the receiving agency knows where it came from and what it may do with it
// (its marks are the originator's, and onward sharing needs the originator's consent).
type Provenance struct {
	Originator string `json:"originator"` // the agency that wrote it
	MessageID  string `json:"message_id"` // the originator's ID for it
	// Consent is the originator's consent answer, by the originator's ID for it; empty on
	// an override.
	Consent string `json:"consent,omitempty"`
	// Override says a supervisor forwarded it without consent, under an imminent threat
	// to life, for Justification.
	Override      bool   `json:"override,omitempty"`
	Justification string `json:"justification,omitempty"`
}

func (c *ConsentRequest) validate(kind MessageKind) error {
	if kind != KindRequest && kind != KindNotification {
		return Invalid("consent", "kind", "a consent request travels on a request (or, for an override, a notification), not a %s", kind)
	}
	if !IsMessageID(c.MessageID) {
		return Invalid("consent.message_id", "uuidv7", "%q is not a message ID", c.MessageID)
	}
	if !IsAgencyCode(c.To) {
		return Invalid("consent.to", "agency_code", "%q is not an agency code", c.To)
	}
	if c.Override != (kind == KindNotification) {
		return Invalid("consent.override", "kind", "an override notice is a notification, a consent request a request")
	}
	return validateText("consent.reason", c.Reason, true, MaxMessageText)
}

func (a *ConsentAnswer) validate(kind MessageKind) error {
	if kind != KindResponse {
		return Invalid("consent_answer", "kind", "a consent answer travels on a response, not a %s", kind)
	}
	return validateText("consent_answer.reason", a.Reason, true, MaxMessageText)
}

func (p *Provenance) validate(kind MessageKind) error {
	if kind != KindRequest && kind != KindNotification {
		return Invalid("provenance", "kind", "only a request or a notification is forwarded, not a %s", kind)
	}
	if !IsAgencyCode(p.Originator) {
		return Invalid("provenance.originator", "agency_code", "%q is not an agency code", p.Originator)
	}
	if !IsMessageID(p.MessageID) {
		return Invalid("provenance.message_id", "uuidv7", "%q is not a message ID", p.MessageID)
	}
	if p.Override {
		return validateText("provenance.justification", p.Justification, true, MaxMessageText)
	}
	if !IsMessageID(p.Consent) {
		return Invalid("provenance.consent", "required", "a forwarded message names the originator's consent (or is an override)")
	}
	return nil
}

// ForwardStatus is where a request to forward a received message stands.
type ForwardStatus string

// The statuses of a forward.
const (
	ForwardAwaitingConsent ForwardStatus = "awaiting_consent" // the consent request is out
	ForwardRefused         ForwardStatus = "refused"          // the originator refused: nothing left
	ForwardSent            ForwardStatus = "sent"             // forwarded, with consent or with no consent needed
	ForwardOverridden      ForwardStatus = "overridden"       // forwarded without consent by a supervisor
)

// Forward is a liaison officer's request to pass a received message on to a third agency,
// and what became of it. It changes only in the transaction that sends the message the
// change causes (the consent request, the forwarded message, the override notice), or,
// for a refusal, in one of its own; each change is audited.
type Forward struct {
	ID          string        `json:"id"`
	MessageID   string        `json:"message_id"` // the received message, by this node's ID
	Originator  string        `json:"originator"`
	To          string        `json:"to"`
	Reason      string        `json:"reason"`
	RequestedBy string        `json:"requested_by"`
	Status      ForwardStatus `json:"status"`
	// ConsentRequestID is the consent request this node sent; AnswerID the originator's
	// answer as stored here, AnswerReason its reason.
	ConsentRequestID string `json:"consent_request_id,omitempty"`
	AnswerID         string `json:"answer_id,omitempty"`
	AnswerReason     string `json:"answer_reason,omitempty"`
	ForwardedID      string `json:"forwarded_id,omitempty"` // the message sent to To
	// OverrideBy and Justification record a supervisor's imminent-threat override;
	// NoticeID is the notice sent to the originator.
	OverrideBy    string    `json:"override_by,omitempty"`
	Justification string    `json:"justification,omitempty"`
	NoticeID      string    `json:"notice_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
}

// ForwardFilter selects forwards.
type ForwardFilter struct {
	Status    ForwardStatus
	MessageID string
}

// ForwardStore keeps forwards. A forward is written with the message it causes
// (StoredMessage.Forward in CreateMessage), or alone by RefuseForward.
type ForwardStore interface {
	Forward(ctx context.Context, id string) (*Forward, error)
	Forwards(ctx context.Context, f ForwardFilter) ([]*Forward, error)
	// RefuseForward records the originator's refusal of a forward awaiting consent;
	// ECONFLICT when it is no longer awaiting it.
	RefuseForward(ctx context.Context, actor Actor, f *Forward) error
}
