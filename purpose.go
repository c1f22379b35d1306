package forewarn

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Purpose is why a person opens personal data (a subject, a person in a received message,
// search results): one of the node's purposes, with free text where the purpose requires
// it. It is written into the audit entry of the consultation (EU Directive 2016/680,
// Art. 25: who, when and why), so the oversight report lists it.
type Purpose struct {
	Code string `json:"code"`
	Text string `json:"text,omitempty"`
}

// String is the purpose as the audit trail keeps it: the code, and " — " and the free
// text when there is one.
func (p Purpose) String() string {
	if p.Text == "" {
		return p.Code
	}
	return p.Code + " — " + p.Text
}

// ParsePurpose reads a purpose back from its String form.
func ParsePurpose(s string) Purpose {
	code, text, _ := strings.Cut(strings.TrimSpace(s), " — ")
	return Purpose{Code: code, Text: text}
}

// PurposeOption is one purpose on the node's list.
type PurposeOption struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// TextRequired says the purpose needs free text saying why ("other").
	TextRequired bool `json:"text_required,omitempty"`
}

// PurposePolicy is the node's rule for purposes of access: the purposes a person may give,
// the one pre-selected for each role (a default is offered, never recorded unless someone
// chooses it), and whether search results show personal details before a purpose is given.
type PurposePolicy struct {
	Options      []PurposeOption `json:"options"`
	RoleDefaults map[Role]string `json:"role_defaults,omitempty"`
	// SearchNeedsPurpose: search results show no names or explanations, only how many
	// persons were found and how well they match, until a purpose is given.
	SearchNeedsPurpose bool      `json:"search_needs_purpose"`
	UpdatedAt          time.Time `json:"updated_at,omitempty"`
}

// MaxPurposeText bounds the free text of a purpose.
const MaxPurposeText = 300

// DefaultPurposePolicy is the policy of a node that has not set its own: five purposes,
// a default for each role that reads subjects, and search details behind a purpose.
func DefaultPurposePolicy() *PurposePolicy {
	return &PurposePolicy{
		Options: []PurposeOption{
			{Code: "investigation", Label: "Investigation"},
			{Code: "threat-assessment", Label: "Threat assessment"},
			{Code: "liaison-request", Label: "Answering a liaison request"},
			{Code: "oversight", Label: "Oversight"},
			{Code: "other", Label: "Other (say why)", TextRequired: true},
		},
		RoleDefaults:       map[Role]string{RoleAnalyst: "investigation", RoleLiaison: "liaison-request", RoleSupervisor: "threat-assessment", RoleOversight: "oversight"},
		SearchNeedsPurpose: true,
	}
}

var purposeCode = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Validate checks the policy, naming the first wrong field.
func (p *PurposePolicy) Validate() error {
	if len(p.Options) == 0 {
		return Invalid("options", "required", "a node needs at least one purpose of access")
	}
	seen := map[string]bool{}
	for i, o := range p.Options {
		if !purposeCode.MatchString(o.Code) {
			return Invalid("code", "format", "options[%d]: %q is not a purpose code (lower-case letters, digits and '-', up to 40)", i, o.Code)
		}
		if seen[o.Code] {
			return Invalid("code", "unique", "options[%d]: the purpose %q is on the list twice", i, o.Code)
		}
		seen[o.Code] = true
		if strings.TrimSpace(o.Label) == "" || len(o.Label) > 100 {
			return Invalid("label", "required", "options[%d]: the purpose %q needs a label of 1 to 100 characters", i, o.Code)
		}
	}
	for r, code := range p.RoleDefaults {
		if !r.Valid() {
			return Invalid("role", "enum", "unknown role %q", r)
		}
		if !seen[code] {
			return Invalid("code", "enum", "the default purpose of %s, %q, is not on the list", r, code)
		}
	}
	return nil
}

// Option returns the purpose with code, and whether there is one.
func (p *PurposePolicy) Option(code string) (PurposeOption, bool) {
	i := slices.IndexFunc(p.Options, func(o PurposeOption) bool { return o.Code == code })
	if i < 0 {
		return PurposeOption{}, false
	}
	return p.Options[i], true
}

// Default returns the purpose pre-selected for a person with roles: the default of the
// first role that has one, "" when none does.
func (p *PurposePolicy) Default(roles []Role) string {
	for _, r := range roles {
		if c := p.RoleDefaults[r]; c != "" {
			if _, ok := p.Option(c); ok {
				return c
			}
		}
	}
	return ""
}

// Check returns pu trimmed when it is a purpose of this node, and EINVALID naming the
// field "purpose" (missing or unknown) or "purpose_text" (required and missing, or too
// long) otherwise.
func (p *PurposePolicy) Check(pu Purpose) (Purpose, error) {
	pu.Code, pu.Text = strings.TrimSpace(pu.Code), strings.TrimSpace(pu.Text)
	codes := make([]string, len(p.Options))
	for i, o := range p.Options {
		codes[i] = o.Code
	}
	if pu.Code == "" {
		return pu, Invalid("purpose", "required", "say why you open this person's data: give a purpose (%s)", strings.Join(codes, ", "))
	}
	o, ok := p.Option(pu.Code)
	if !ok {
		return pu, Invalid("purpose", "enum", "%q is not a purpose of this node (%s)", pu.Code, strings.Join(codes, ", "))
	}
	if o.TextRequired && pu.Text == "" {
		return pu, Invalid("purpose_text", "required", "the purpose %q needs a few words saying why", o.Code)
	}
	if len(pu.Text) > MaxPurposeText {
		return pu, Invalid("purpose_text", "max", "the purpose's text is longer than %d bytes", MaxPurposeText)
	}
	return pu, nil
}

type purposeKey struct{}

// WithPurpose returns ctx carrying the purpose of the consultation it serves: the store
// writes it into every audit entry made with ctx.
func WithPurpose(ctx context.Context, p Purpose) context.Context {
	return context.WithValue(ctx, purposeKey{}, p)
}

// PurposeFrom returns the purpose ctx carries, if any.
func PurposeFrom(ctx context.Context) (Purpose, bool) {
	p, ok := ctx.Value(purposeKey{}).(Purpose)
	return p, ok && p.Code != ""
}

// PurposeStore keeps the node's purpose policy.
type PurposeStore interface {
	// PurposePolicy returns the node's policy: DefaultPurposePolicy until one is set.
	PurposePolicy(ctx context.Context) (*PurposePolicy, error)
	// SetPurposePolicy replaces the policy, audited with both digests.
	SetPurposePolicy(ctx context.Context, actor Actor, p *PurposePolicy) error
}
