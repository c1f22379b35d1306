package forewarn

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes: the small, stable set every layer speaks. The HTTP layer maps each to one
// status; users see the message, internal detail goes to the log.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
)

// Error is Forewarn's one error type: a code, a message fit to show a user, and for
// validation errors the field at fault and the rule it broke.
type Error struct {
	Code    string
	Message string
	Field   string // the offending field, for EINVALID ("names[0].value")
	Rule    string // the rule it broke ("required", "max_length", "iso3166")
	// Values are the codes the field takes, for an error whose rule limits it to a set
	// ("enum", see Choices): a page says them in words, the API and the CLI list them as
	// they are typed, after the message.
	Values []string

	// format and args are what Errorf wrote Message from, so that a page can say the
	// same sentence in its reader's language (Sentence).
	format string
	args   []any
}

// Sentence returns the English format an Errorf error was written from and its
// arguments, for a reader in another language: the format is the key of the pages'
// catalogue. It returns "" for an error not made by Errorf.
func (e *Error) Sentence() (format string, args []any) { return e.format, e.args }

func (e *Error) Error() string {
	s := e.Message
	if e.Field != "" {
		s = fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	if len(e.Values) > 0 {
		s += " (" + strings.Join(e.Values, ", ") + ")"
	}
	return s
}

// Choices sets the codes the field takes, and returns e: Invalid(…, "enum", …).Choices(…).
func (e *Error) Choices(values ...string) *Error {
	e.Values = values
	return e
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// Invalid returns an EINVALID error naming the field and the rule it broke.
func Invalid(field, rule, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the *Error's own text, or a generic
// sentence for internal errors, whose detail belongs in the log.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error; the details are in the node's log"
}
