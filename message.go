package forewarn

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
)

// MessageVersion is the version of the message schema this node writes and understands.
// Additive, optional fields do not change it; a change of meaning does (docs/envelope.md).
const MessageVersion = 1

// Limits on messages: generous for real casework, small enough that one message from a
// peer cannot exhaust the receiving node.
const (
	MaxRecipients     = 64
	MaxPersons        = 100
	MaxPersonLinks    = 64
	MaxPersonClaims   = 256
	MaxTitleBytes     = 200
	MaxMessageText    = 64 << 10 // questions, summary, answer
	MaxReasonBytes    = 10000
	MaxRefBytes       = 32
	MaxOutcomeBytes   = 40
	MaxClockSkew      = 5 * time.Minute // how far ahead of now a message's creation may be
	maxClaimNoteBytes = 10000
)

// MessageKind says what a message is for.
type MessageKind string

// The kinds of message.
const (
	KindRequest         MessageKind = "request"         // a question about persons, with a deadline
	KindNotification    MessageKind = "notification"    // a warning, with a priority and an acknowledgement deadline
	KindResponse        MessageKind = "response"        // answers a request
	KindAcknowledgement MessageKind = "acknowledgement" // received, read or actioned
)

// Priority says how urgently a notification (or request) must be handled.
type Priority string

// The priorities, most urgent first.
const (
	PriorityFlash    Priority = "flash"
	PriorityUrgent   Priority = "urgent"
	PriorityPriority Priority = "priority"
	PriorityRoutine  Priority = "routine"
)

// Valid reports whether p is one of the defined priorities.
func (p Priority) Valid() bool {
	switch p {
	case PriorityFlash, PriorityUrgent, PriorityPriority, PriorityRoutine:
		return true
	}
	return false
}

// Rank orders p for delivery, most urgent first: 0 for flash, 1 urgent, 2 priority, 3 for
// routine and anything else. The store's due order and the worker's queues both use it.
func (p Priority) Rank() int {
	switch p {
	case PriorityFlash:
		return 0
	case PriorityUrgent:
		return 1
	case PriorityPriority:
		return 2
	}
	return 3
}

// TLP is a Traffic Light Protocol 2.0 level (FIRST, 2022).
type TLP string

// The TLP 2.0 levels, least restrictive first.
const (
	TLPClear       TLP = "CLEAR"        // no limit on disclosure
	TLPGreen       TLP = "GREEN"        // the recipients' community
	TLPAmber       TLP = "AMBER"        // the recipients' organisations, need to know
	TLPAmberStrict TLP = "AMBER+STRICT" // the recipients' organisations only
	TLPRed         TLP = "RED"          // the named recipients only
)

// Valid reports whether t is one of the TLP 2.0 levels.
func (t TLP) Valid() bool {
	switch t {
	case TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed:
		return true
	}
	return false
}

// tlpCodes are the TLP levels, as an error lists the values a field takes.
func tlpCodes() []string {
	return []string{string(TLPClear), string(TLPGreen), string(TLPAmber), string(TLPAmberStrict), string(TLPRed)}
}

// linkKinds are the kinds of links between persons, as an error lists them.
var linkKinds = []string{string(AssocAssociateOf), string(AssocTravelledWith), string(AssocIdentifiedWith), string(AssocRelativeOf)}

// codes are stored codes of a type, as an error lists them.
func codes[S ~string](cs []S) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

// restricted reports whether the level limits the message to explicitly named agencies.
func (t TLP) restricted() bool { return t == TLPRed || t == TLPAmberStrict }

// HandlingMarks say who may see a message and whether it may be passed on.
//
// The rules, deliberately conservative because a wrongly released warning cannot be
// recalled:
//   - When ReleasableTo is non-empty, only the agencies it lists may receive the message.
//   - TLP:RED and TLP:AMBER+STRICT must list their recipients: an empty ReleasableTo is
//     invalid for them, never "anyone".
//   - Onward sharing (a recipient passing the message to a third agency) is allowed only
//     for TLP:CLEAR and TLP:GREEN, only to listed agencies when a list is given, and only
//     with the originator's consent when OriginatorConsentRequired is set; the
//     originator's consent to one agency lifts all three for it (TLP 2.0's explicit
//     permission). PermitsEgress has the rule for every way out.
type HandlingMarks struct {
	TLP                       TLP      `json:"tlp"`
	ReleasableTo              []string `json:"releasable_to,omitempty"` // agency codes
	OriginatorConsentRequired bool     `json:"originator_consent_required"`
}

// Validate checks the marks; field prefixes the names in its errors ("marks").
func (h HandlingMarks) Validate(field string) error {
	if h.TLP == "" {
		return Invalid(field+".tlp", "required", "every message needs a TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)")
	}
	if !h.TLP.Valid() {
		return Invalid(field+".tlp", "enum", "unknown TLP level %q (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", h.TLP)
	}
	if err := validateAgencyList(field+".releasable_to", h.ReleasableTo); err != nil {
		return err
	}
	if h.TLP.restricted() && len(h.ReleasableTo) == 0 {
		return Invalid(field+".releasable_to", "required", "TLP:%s must name the agencies it may be released to", h.TLP)
	}
	return nil
}

// Permits returns nil when the marks allow the originator to release the message to the
// recipient agency, and an EFORBIDDEN error saying why not otherwise.
func (h HandlingMarks) Permits(recipient string) error {
	if !IsAgencyCode(recipient) {
		return Errorf(EFORBIDDEN, "%q is not an agency code; a message can only be released to a named agency", recipient)
	}
	if !h.TLP.Valid() {
		return Errorf(EFORBIDDEN, "unknown TLP level %q: the message may be released to no one", h.TLP)
	}
	if h.TLP.restricted() && len(h.ReleasableTo) == 0 {
		return Errorf(EFORBIDDEN, "TLP:%s names no recipients, so it may be released to none", h.TLP)
	}
	if len(h.ReleasableTo) > 0 && !slices.Contains(h.ReleasableTo, recipient) {
		return Errorf(EFORBIDDEN, "TLP:%s releasable to %s only, not to %s", h.TLP, strings.Join(h.ReleasableTo, ", "), recipient)
	}
	return nil
}

// PermitsOnward returns nil when a recipient of the message may pass it on to a third
// agency, and an EFORBIDDEN error naming the mark that forbids it otherwise. consented
// says whether the originator has agreed to this onward release. It is PermitsEgress for
// a forward whose originator is not the recipient.
func (h HandlingMarks) PermitsOnward(recipient string, consented bool) error {
	return h.PermitsEgress(Egress{Path: EgressForward, To: recipient, Consent: consented})
}

// AckStage is how far a recipient has got with a message.
type AckStage string

// The stages of acknowledgement, in order.
const (
	AckReceived AckStage = "received" // the node has it
	AckRead     AckStage = "read"     // a person has read it
	AckActioned AckStage = "actioned" // a person has decided what to do about it
)

// The acknowledgement outcomes a person on this node may choose. On the wire any short
// lower-case code is accepted, so that a newer peer's outcome is not refused.
const (
	OutcomeNoAction    = "no_action"
	OutcomeActionTaken = "action_taken"
	OutcomeForwarded   = "forwarded" // forwarded to the competent service
	OutcomeNotKnown    = "not_known"
	OutcomeDuplicate   = "duplicate" // duplicate of another message
	OutcomeAnswered    = "answered"  // answered by a response
)

// Outcomes lists the outcomes this node offers, in the order a person is shown them.
var Outcomes = []string{OutcomeActionTaken, OutcomeNoAction, OutcomeForwarded, OutcomeNotKnown, OutcomeDuplicate, OutcomeAnswered}

// KnownOutcome reports whether o is one of Outcomes.
func KnownOutcome(o string) bool { return slices.Contains(Outcomes, o) }

// AckAuthor says who acknowledged a message, as far as the recipient chose to disclose
// it: a user or a desk. An acknowledgement without one names only the agency.
type AckAuthor struct {
	Kind string `json:"kind"` // AuthorUser or AuthorDesk
	Name string `json:"name"` // the username, or the desk's role
}

// The kinds of AckAuthor, and the disclosure that names nobody but the agency.
const (
	AuthorUser   = "user"
	AuthorDesk   = "desk"
	AuthorAgency = "agency"
)

// MaxAuthorBytes bounds an AckAuthor's name.
const MaxAuthorBytes = 100

// Describe says who acknowledged, for the sender's pages: "liaison at FR-DGSI", "FR-DGSI's
// liaison desk", or the agency alone.
func (a *AckAuthor) Describe(agency string) string {
	switch {
	case a == nil:
		return agency
	case a.Kind == AuthorDesk:
		return agency + "'s " + a.Name + " desk"
	}
	return a.Name + " at " + agency
}

func (a *AckAuthor) validate() error {
	if a == nil {
		return nil
	}
	if a.Kind != AuthorUser && a.Kind != AuthorDesk {
		return Invalid("ack.by.kind", "enum", "unknown author kind %q (user or desk; omit by to name only the agency)", a.Kind)
	}
	if err := validateText("ack.by.name", a.Name, true, MaxAuthorBytes); err != nil {
		return err
	}
	if strings.ContainsAny(a.Name, "\n\r") {
		return Invalid("ack.by.name", "single_line", "the name must be on one line")
	}
	return nil
}

// PersonLink links a person in a message to another person in the same message (To), or
// says through which earlier message the person was identified (Message).
type PersonLink struct {
	Kind    AssociationKind `json:"kind"`
	To      string          `json:"to,omitempty"`      // Ref of another person in the same message
	Message string          `json:"message,omitempty"` // ID of the message the person was identified through
	Note    string          `json:"note,omitempty"`
}

// PersonClaim is a graded, sourced fact about a person in a message: a Claim as the
// sender holds it, without the sender's own identifiers.
type PersonClaim struct {
	Kind       ClaimKind   `json:"kind"`
	Value      string      `json:"value"`
	ValidFrom  PartialDate `json:"valid_from"`
	ValidTo    PartialDate `json:"valid_to"`
	RecordedAt time.Time   `json:"recorded_at"`
	Source     Source      `json:"source"`
	Grading    Grading     `json:"grading"`
	Negative   bool        `json:"negative"`
	Note       string      `json:"note,omitempty"`
}

// PersonDescriptor describes a person inside a message, as the sender knows them.
type PersonDescriptor struct {
	Ref           string        `json:"ref"` // unique within the message: "p1"
	Names         []Name        `json:"names"`
	BirthDate     PartialDate   `json:"birth_date"`
	Birthplace    string        `json:"birthplace,omitempty"`
	Nationalities []string      `json:"nationalities,omitempty"`
	Gender        Gender        `json:"gender,omitempty"`
	Documents     []Document    `json:"documents,omitempty"`
	Watch         WatchStatus   `json:"watch,omitempty"` // whether the sender watch-lists the person; a hint
	Links         []PersonLink  `json:"links,omitempty"`
	Claims        []PersonClaim `json:"claims,omitempty"`
}

// Normalize fills the same defaults as Subject.Normalize: a primary name, alias kinds and
// upper-case country codes.
func (p *PersonDescriptor) Normalize() {
	s := p.asSubject()
	s.Normalize() // shares the slices, so names and codes are normalised in place
}

// asSubject views the descriptor as a Subject, so that persons in messages obey exactly
// the rules subjects do.
func (p *PersonDescriptor) asSubject() *Subject {
	w := p.Watch
	if w == "" {
		w = WatchNone
	}
	return &Subject{
		Names:         p.Names,
		BirthDate:     p.BirthDate,
		Birthplace:    p.Birthplace,
		Nationalities: p.Nationalities,
		Documents:     p.Documents,
		Gender:        p.Gender,
		Watch:         w,
	}
}

// Request asks partner agencies about persons.
type Request struct {
	Subject   string             `json:"subject"` // short title
	Questions string             `json:"questions"`
	Persons   []PersonDescriptor `json:"persons"`
	Deadline  time.Time          `json:"deadline"`
	Priority  Priority           `json:"priority,omitempty"` // empty means routine
}

// Notification warns partner agencies about persons.
type Notification struct {
	Summary       string             `json:"summary"`
	Priority      Priority           `json:"priority"`
	Persons       []PersonDescriptor `json:"persons"`
	AcknowledgeBy time.Time          `json:"acknowledge_by"`
}

// Response answers a request; the persons it returns carry their own claims and links.
type Response struct {
	Answer  string             `json:"answer"`
	Persons []PersonDescriptor `json:"persons,omitempty"`
}

// Acknowledgement tells the sender of a message how far its recipient has got with it.
type Acknowledgement struct {
	Stage   AckStage `json:"stage"`
	Outcome string   `json:"outcome,omitempty"` // a short code: no_action, action_taken, forwarded, not_known, …
	Reason  string   `json:"reason,omitempty"`  // required once actioned
	// By says who acknowledged, as the recipient chose to disclose it; absent, the agency.
	By *AckAuthor `json:"by,omitempty"`
}

// Message is what one agency sends another: exactly one payload, the one its Kind names.
type Message struct {
	ID           string           `json:"id"` // UUIDv7
	Version      int              `json:"version"`
	From         string           `json:"from"` // agency code
	To           []string         `json:"to"`   // agency codes
	Created      time.Time        `json:"created"`
	Kind         MessageKind      `json:"kind"`
	InReplyTo    string           `json:"in_reply_to,omitempty"` // the message this one answers
	Marks        HandlingMarks    `json:"marks"`
	Request      *Request         `json:"request,omitempty"`
	Notification *Notification    `json:"notification,omitempty"`
	Response     *Response        `json:"response,omitempty"`
	Ack          *Acknowledgement `json:"ack,omitempty"`
	// Consent, on a request to a message's originator, asks to pass the message on; on a
	// notification it tells the originator of an imminent-threat override.
	Consent *ConsentRequest `json:"consent,omitempty"`
	// ConsentAnswer, on a response to a consent request, grants or refuses it.
	ConsentAnswer *ConsentAnswer `json:"consent_answer,omitempty"`
	// Provenance, on a forwarded message, names its originator and the consent.
	Provenance *Provenance `json:"provenance,omitempty"`
}

// Title is what a reader knows a message by, in an error or a list: a warning's summary,
// a request's subject, the first line of a response; an acknowledgement, which has no
// title, by its kind and day. It never names a person the message describes beyond
// what its sender wrote in that line.
func (m *Message) Title() string {
	var s string
	switch {
	case m.Notification != nil:
		s = m.Notification.Summary
	case m.Request != nil:
		s = m.Request.Subject
	case m.Response != nil:
		s, _, _ = strings.Cut(m.Response.Answer, "\n")
	}
	if s = strings.TrimSpace(s); s == "" {
		return string(m.Kind) + " of " + m.Created.UTC().Format("2 Jan 2006")
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

// Persons returns the persons the message's payload describes.
func (m *Message) Persons() []PersonDescriptor {
	switch {
	case m.Request != nil:
		return m.Request.Persons
	case m.Notification != nil:
		return m.Notification.Persons
	case m.Response != nil:
		return m.Response.Persons
	}
	return nil
}

// Normalize fills defaults that have one obvious value: the current message version, a
// routine priority for requests, and the person defaults of PersonDescriptor.Normalize.
func (m *Message) Normalize() {
	if m.Version == 0 {
		m.Version = MessageVersion
	}
	if m.Request != nil && m.Request.Priority == "" {
		m.Request.Priority = PriorityRoutine
	}
	ps := m.Persons()
	for i := range ps {
		ps[i].Normalize()
	}
}

var (
	refRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	outcomeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// IsAgencyCode reports whether code has the form of an agency code, like TR-MIT:
// ^[A-Z]{2}-[A-Z0-9]{2,16}$, read byte by byte (every message checks several, on every
// node it passes; a regular expression cost a percent of delivering one).
func IsAgencyCode(code string) bool {
	if len(code) < 5 || len(code) > 19 || code[2] != '-' {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case i == 2:
		case c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 2:
		default:
			return false
		}
	}
	return true
}

// IsMessageID reports whether id is a lower-case UUIDv7, the form NewID produces:
// ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$, byte by byte.
func IsMessageID(id string) bool {
	if len(id) != 36 || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// Validate checks every field of the message; now is the node's current time. The error
// names the field and the rule; a recipient the marks do not release to is EFORBIDDEN.
func (m *Message) Validate(now time.Time) error {
	if !IsMessageID(m.ID) {
		return Invalid("id", "uuidv7", "message ID %q must be a lower-case UUIDv7", m.ID)
	}
	if m.Version < 1 {
		return Invalid("version", "required", "the message version must be 1 or more")
	}
	if m.Version > MessageVersion {
		return Invalid("version", "supported", "message version %d is newer than this node understands (%d)", m.Version, MessageVersion)
	}
	if !IsAgencyCode(m.From) {
		return Invalid("from", "agency_code", "sender %q is not an agency code like TR-MIT", m.From)
	}
	if len(m.To) == 0 {
		return Invalid("to", "required", "a message needs at least one recipient")
	}
	if err := validateAgencyList("to", m.To); err != nil {
		return err
	}
	for i, to := range m.To {
		if to == m.From {
			return Invalid(fieldIndex("to", i), "not_sender", "an agency does not send messages to itself")
		}
	}
	if m.Created.IsZero() {
		return Invalid("created", "required", "the message needs its creation time")
	}
	if m.Created.After(now.Add(MaxClockSkew)) {
		return Invalid("created", "not_future", "created %s is ahead of this node's clock (%s)", m.Created.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if m.InReplyTo != "" {
		if !IsMessageID(m.InReplyTo) {
			return Invalid("in_reply_to", "uuidv7", "%q is not a message ID", m.InReplyTo)
		}
		if m.InReplyTo == m.ID {
			return Invalid("in_reply_to", "not_self", "a message cannot reply to itself")
		}
	}
	if err := m.Marks.Validate("marks"); err != nil {
		return err
	}
	if err := m.validatePayload(now); err != nil {
		return err
	}
	if m.Consent != nil {
		if err := m.Consent.validate(m.Kind); err != nil {
			return err
		}
	}
	if m.ConsentAnswer != nil {
		if err := m.ConsentAnswer.validate(m.Kind); err != nil {
			return err
		}
	}
	if m.Provenance != nil {
		if err := m.Provenance.validate(m.Kind); err != nil {
			return err
		}
	}
	for i, to := range m.To {
		if err := m.Marks.Permits(to); err != nil {
			return &Error{Code: EFORBIDDEN, Field: fieldIndex("to", i), Rule: "releasable", Message: ErrorMessage(err)}
		}
	}
	return nil
}

func (m *Message) validatePayload(now time.Time) error {
	n := 0
	for _, set := range []bool{m.Request != nil, m.Notification != nil, m.Response != nil, m.Ack != nil} {
		if set {
			n++
		}
	}
	var field string
	var set bool
	switch m.Kind {
	case KindRequest:
		field, set = "request", m.Request != nil
	case KindNotification:
		field, set = "notification", m.Notification != nil
	case KindResponse:
		field, set = "response", m.Response != nil
	case KindAcknowledgement:
		field, set = "ack", m.Ack != nil
	case "":
		return Invalid("kind", "required", "the message needs a kind (request, notification, response or acknowledgement)")
	default:
		return Invalid("kind", "enum", "unknown message kind %q (request, notification, response or acknowledgement)", m.Kind)
	}
	if !set {
		return Invalid(field, "required", "a %s message must carry its %s", m.Kind, field)
	}
	if n != 1 {
		return Invalid(field, "one_payload", "a %s message must carry only its %s, not other payloads", m.Kind, field)
	}

	switch m.Kind {
	case KindRequest:
		r := m.Request
		if err := validateText("request.subject", r.Subject, true, MaxTitleBytes); err != nil {
			return err
		}
		if strings.ContainsAny(r.Subject, "\n\r") {
			return Invalid("request.subject", "single_line", "the subject must be on one line")
		}
		if err := validateText("request.questions", r.Questions, true, MaxMessageText); err != nil {
			return err
		}
		if r.Priority != "" && !r.Priority.Valid() {
			return Invalid("request.priority", "enum", "unknown priority %q (flash, urgent, priority or routine)", r.Priority)
		}
		if err := m.validateDeadline("request.deadline", r.Deadline); err != nil {
			return err
		}
		return validatePersons("request.persons", r.Persons, true, now)
	case KindNotification:
		nt := m.Notification
		if err := validateText("notification.summary", nt.Summary, true, MaxMessageText); err != nil {
			return err
		}
		if nt.Priority == "" {
			return Invalid("notification.priority", "required", "a notification needs a priority (flash, urgent, priority or routine)")
		}
		if !nt.Priority.Valid() {
			return Invalid("notification.priority", "enum", "unknown priority %q (flash, urgent, priority or routine)", nt.Priority)
		}
		if err := m.validateDeadline("notification.acknowledge_by", nt.AcknowledgeBy); err != nil {
			return err
		}
		return validatePersons("notification.persons", nt.Persons, true, now)
	case KindResponse:
		if m.InReplyTo == "" {
			return Invalid("in_reply_to", "required", "a response must name the request it answers")
		}
		if err := validateText("response.answer", m.Response.Answer, true, MaxMessageText); err != nil {
			return err
		}
		return validatePersons("response.persons", m.Response.Persons, false, now)
	default: // KindAcknowledgement
		if m.InReplyTo == "" {
			return Invalid("in_reply_to", "required", "an acknowledgement must name the message it acknowledges")
		}
		return m.Ack.validate()
	}
}

func (m *Message) validateDeadline(field string, t time.Time) error {
	if t.IsZero() {
		return Invalid(field, "required", "every %s carries a deadline", m.Kind)
	}
	if !t.After(m.Created) {
		return Invalid(field, "after_created", "the deadline %s is not after the message was created (%s)", t.UTC().Format(time.RFC3339), m.Created.UTC().Format(time.RFC3339))
	}
	return nil
}

func (a *Acknowledgement) validate() error {
	switch a.Stage {
	case AckReceived, AckRead, AckActioned:
	case "":
		return Invalid("ack.stage", "required", "an acknowledgement needs a stage (received, read or actioned)")
	default:
		return Invalid("ack.stage", "enum", "unknown acknowledgement stage %q (received, read or actioned)", a.Stage)
	}
	if a.Outcome != "" {
		if len(a.Outcome) > MaxOutcomeBytes {
			return Invalid("ack.outcome", "max_length", "is %d bytes long; the limit is %d", len(a.Outcome), MaxOutcomeBytes)
		}
		if !outcomeRE.MatchString(a.Outcome) {
			return Invalid("ack.outcome", "format", "outcome %q must be a short code of lower-case letters, digits and underscores, like no_action", a.Outcome)
		}
	}
	if err := validateText("ack.reason", a.Reason, false, MaxReasonBytes); err != nil {
		return err
	}
	if err := a.By.validate(); err != nil {
		return err
	}
	if a.Stage == AckActioned {
		if a.Outcome == "" {
			return Invalid("ack.outcome", "required", "an actioned acknowledgement must say the outcome")
		}
		if strings.TrimSpace(a.Reason) == "" {
			return Invalid("ack.reason", "required", "an actioned acknowledgement must give its reason")
		}
	}
	return nil
}

func validatePersons(field string, ps []PersonDescriptor, required bool, now time.Time) error {
	if required && len(ps) == 0 {
		return Invalid(field, "required", "at least one person must be described")
	}
	if len(ps) > MaxPersons {
		return Invalid(field, "max_items", "has %d persons; the limit is %d", len(ps), MaxPersons)
	}
	refs := make(map[string]bool, len(ps))
	for i := range ps {
		f := fieldIndex(field, i) + ".ref"
		ref := ps[i].Ref
		switch {
		case ref == "":
			return Invalid(f, "required", "every person needs a reference unique within the message, like p1")
		case len(ref) > MaxRefBytes:
			return Invalid(f, "max_length", "is %d bytes long; the limit is %d", len(ref), MaxRefBytes)
		case !refRE.MatchString(ref):
			return Invalid(f, "format", "reference %q must be letters, digits, dots, hyphens or underscores", ref)
		case refs[ref]:
			return Invalid(f, "unique", "reference %q is used by another person in this message", ref)
		}
		refs[ref] = true
	}
	for i := range ps {
		if err := ps[i].validate(fieldIndex(field, i), refs, now); err != nil {
			return err
		}
	}
	return nil
}

// validate checks one person; refs holds every Ref in the message, for the links.
func (p *PersonDescriptor) validate(field string, refs map[string]bool, now time.Time) error {
	if err := p.asSubject().Validate(now); err != nil {
		return prefixField(field, err)
	}
	if len(p.Links) > MaxPersonLinks {
		return Invalid(field+".links", "max_items", "has %d links; the limit is %d", len(p.Links), MaxPersonLinks)
	}
	for i, l := range p.Links {
		f := fieldIndex(field+".links", i)
		switch l.Kind {
		case AssocAssociateOf, AssocTravelledWith, AssocIdentifiedWith, AssocRelativeOf:
		default:
			return Invalid(f+".kind", "enum", "%q is not a kind of link", l.Kind).Choices(linkKinds...)
		}
		switch {
		case l.To != "" && l.Message != "":
			return Invalid(f, "one_target", "a link points to a person or to a message, not both")
		case l.To != "":
			if !refs[l.To] {
				return Invalid(f+".to", "ref", "no person in this message has the reference %q", l.To)
			}
			if l.To == p.Ref {
				return Invalid(f+".to", "not_self", "a person cannot be linked to themselves")
			}
		case l.Message != "":
			if l.Kind != AssocIdentifiedWith {
				return Invalid(f+".message", "identified_through", "only a link of the kind “identified through” may point to a message")
			}
			if !IsMessageID(l.Message) {
				return Invalid(f+".message", "uuidv7", "%q is not a message ID", l.Message)
			}
		default:
			return Invalid(f+".to", "required", "a link must point to a person in the message (to) or to a message")
		}
		if err := validateText(f+".note", l.Note, false, maxClaimNoteBytes); err != nil {
			return err
		}
	}
	if len(p.Claims) > MaxPersonClaims {
		return Invalid(field+".claims", "max_items", "has %d claims; the limit is %d", len(p.Claims), MaxPersonClaims)
	}
	for i, c := range p.Claims {
		// The claim rules are Claim's; SubjectID only satisfies its "about a subject" rule.
		cl := Claim{SubjectID: p.Ref, Kind: c.Kind, Value: c.Value, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
			RecordedAt: c.RecordedAt, Source: c.Source, Grading: c.Grading, Negative: c.Negative, Note: c.Note}
		if err := cl.Validate(now); err != nil {
			return prefixField(fieldIndex(field+".claims", i), err)
		}
	}
	return nil
}

// validateAgencyList checks a list of agency codes: well formed, within MaxRecipients,
// without repeats.
func validateAgencyList(field string, codes []string) error {
	if len(codes) > MaxRecipients {
		return Invalid(field, "max_items", "has %d agencies; the limit is %d", len(codes), MaxRecipients)
	}
	seen := make(map[string]bool, len(codes))
	for i, c := range codes {
		if !IsAgencyCode(c) {
			return Invalid(fieldIndex(field, i), "agency_code", "%q is not an agency code like TR-MIT", c)
		}
		if seen[c] {
			return Invalid(fieldIndex(field, i), "unique", "%s is listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

// prefixField returns err with its field placed under prefix ("request.persons[0]").
func prefixField(prefix string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if c.Field == "" {
		c.Field = prefix
	} else {
		c.Field = prefix + "." + c.Field
	}
	return &c
}

// DeclaredPriority returns the priority the sender gave the message: a notification's, a
// request's, or routine.
func (m *Message) DeclaredPriority() Priority {
	switch {
	case m.Notification != nil:
		return m.Notification.Priority
	case m.Request != nil && m.Request.Priority != "":
		return m.Request.Priority
	}
	return PriorityRoutine
}

// Deadline returns when the message must be acted on: a notification's acknowledgement
// deadline or a request's answer deadline; zero for kinds without one.
func (m *Message) Deadline() time.Time {
	switch {
	case m.Notification != nil:
		return m.Notification.AcknowledgeBy
	case m.Request != nil:
		return m.Request.Deadline
	}
	return time.Time{}
}

// DisplayName returns the name a person is shown by: the primary name, else the first.
func (p *PersonDescriptor) DisplayName() string {
	for _, n := range p.Names {
		if n.Kind == NamePrimary {
			return n.Value
		}
	}
	if len(p.Names) > 0 {
		return p.Names[0].Value
	}
	return p.Ref
}
