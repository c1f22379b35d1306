package forewarn

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validateText checks a free-text field: valid UTF-8, no control characters other than
// line breaks and tabs, within maxBytes, and present when required.
func validateText(field, s string, required bool, maxBytes int) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "utf8", "is not valid UTF-8 text")
	}
	if len(s) > maxBytes {
		return Invalid(field, "max_length", "is %d bytes long; the limit is %d", len(s), maxBytes)
	}
	if required && strings.TrimSpace(s) == "" {
		return Invalid(field, "required", "must not be empty")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return Invalid(field, "control_chars", "contains the control character %U", r)
		}
	}
	return nil
}

func fieldIndex(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }
