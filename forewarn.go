// Package forewarn holds Forewarn's domain: agencies and their users, subjects (persons of
// interest), claims about them, associations between them, the audit trail, the error type
// with its codes, and the interfaces through which the rest of the code talks to storage,
// clocks and keys. It imports no technology: storage, HTTP and federation live in their own
// packages and are wired together under cmd/.
package forewarn

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Agency is one organisation running a Forewarn node.
type Agency struct {
	Code    string `json:"code"`              // "TR-MIT", "FR-DGSI"
	Name    string `json:"name"`              // "Millî İstihbarat Teşkilatı"
	Country string `json:"country,omitempty"` // ISO 3166-1 alpha-2, when the agency is national
}

// Validate checks the agency's fields.
func (a *Agency) Validate() error {
	if !IsAgencyCode(a.Code) {
		return Invalid("agency.code", "format", "agency code %q must be a country code, a hyphen and 2-16 capital letters or digits, like TR-MIT", a.Code)
	}
	if err := validateText("agency.name", a.Name, true, 200); err != nil {
		return err
	}
	if a.Country != "" && !IsCountry(a.Country) {
		return Invalid("agency.country", "iso3166", "%q is not an ISO 3166-1 alpha-2 country code", a.Country)
	}
	return nil
}

// Role is what a user may do on their agency's node.
type Role string

// The roles, from the brief.
const (
	RoleAnalyst    Role = "analyst"    // keeps subjects, reviews matches, records claims
	RoleLiaison    Role = "liaison"    // sends and answers requests and warnings
	RoleSupervisor Role = "supervisor" // receives escalations, sees the overdue board
	RoleOversight  Role = "oversight"  // reads everything, audit included; changes nothing
	RoleAdmin      Role = "admin"      // runs the node: keys, peers, users
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleAnalyst, RoleLiaison, RoleSupervisor, RoleOversight, RoleAdmin}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// User is a person with an account on the node.
type User struct {
	ID                 string    `json:"id"`
	Username           string    `json:"username"`
	DisplayName        string    `json:"display_name"`
	Roles              []Role    `json:"roles"`
	PasswordHash       string    `json:"-"`
	MustChangePassword bool      `json:"must_change_password"`
	Disabled           bool      `json:"disabled"`
	CreatedAt          time.Time `json:"created_at"`
	// Language is the language the pages speak to the user ("en", "fr"); empty means the
	// node's default, then the browser's.
	Language string `json:"language,omitempty"`
}

// Languages are the languages the pages are written in, English first.
var Languages = []string{"en", "fr"}

// ValidLanguage reports whether the pages speak lang; empty is valid (no choice made).
func ValidLanguage(lang string) bool { return lang == "" || slices.Contains(Languages, lang) }

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidUsername reports whether name is one a user may have.
func ValidUsername(name string) bool { return usernameRE.MatchString(name) }

// Validate checks the user's fields.
func (u *User) Validate() error {
	if !usernameRE.MatchString(u.Username) {
		return Invalid("username", "format", "username %q must be 2-64 lower-case letters, digits, dots, hyphens or underscores", u.Username)
	}
	if err := validateText("display_name", u.DisplayName, false, 200); err != nil {
		return err
	}
	if !ValidLanguage(u.Language) {
		return Invalid("language", "enum", "unknown language %q (one of %s)", u.Language, strings.Join(Languages, ", "))
	}
	if len(u.Roles) == 0 {
		return Invalid("roles", "required", "a user needs at least one role")
	}
	for i, r := range u.Roles {
		if !r.Valid() {
			return Invalid(fieldIndex("roles", i), "enum", "unknown role %q (one of analyst, liaison, supervisor, oversight, admin)", r)
		}
	}
	return nil
}

// HasRole reports whether the user holds role r.
func (u *User) HasRole(r Role) bool {
	for _, x := range u.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ActorKind says who caused a change: a user, a peer node, or the node itself.
type ActorKind string

// The actor kinds recorded in the audit trail.
const (
	ActorUser   ActorKind = "user"
	ActorPeer   ActorKind = "peer"
	ActorSystem ActorKind = "system"
)

// Actor is who did something, as the audit trail records it.
type Actor struct {
	Kind ActorKind `json:"kind"`
	ID   string    `json:"id"` // username, peer agency code, or a system component name
	// Token is the ID of the API token a user acted with; empty for a browser session or
	// a command on the node's own machine. A leaked token's every use can be found by it.
	Token string `json:"token,omitempty"`
}

func (a Actor) String() string {
	if a.Token != "" {
		return string(a.Kind) + ":" + a.ID + " (token " + a.Token + ")"
	}
	return string(a.Kind) + ":" + a.ID
}

// SystemActor names a component of the node acting on its own (the scheduler, init).
func SystemActor(component string) Actor { return Actor{Kind: ActorSystem, ID: component} }

// UserActor names a user.
func UserActor(username string) Actor { return Actor{Kind: ActorUser, ID: username} }

// Validate checks that the actor is named.
func (a Actor) Validate() error {
	switch a.Kind {
	case ActorUser, ActorPeer, ActorSystem:
	default:
		return Invalid("actor.kind", "enum", "unknown actor kind %q", a.Kind)
	}
	if strings.TrimSpace(a.ID) == "" {
		return Invalid("actor.id", "required", "the actor must be named")
	}
	return nil
}
