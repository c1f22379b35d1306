package web

import (
	"errors"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestErrorsInFrench: a validation error of the core is said in French by its rule and
// field, beside the field or above the form; English pages keep the core's sentence; an
// error the catalogue has no words for is shown as the core wrote it.
func TestErrorsInFrench(t *testing.T) {
	late := forewarn.Invalid("notification.acknowledge_by", "after_created", "the deadline %s is not after the message was created (%s)", "2000-01-01T00:00:00Z", "2014-12-15T10:00:00Z")
	birth := forewarn.Invalid("notification.persons[0].birth_date", "date", "%q is not a date", "1985-13")
	for _, tt := range []struct {
		name, got, want string
	}{
		{"deadline above the form", french.errorText(late), "échéance : l’échéance doit venir après la rédaction du message"},
		{"deadline beside it", french.fieldErrorText(late), "l’échéance doit venir après la rédaction du message"},
		{"a person's birth date", french.errorText(birth), "date de naissance : écrivez la date sous la forme AAAA, AAAA-MM ou AAAA-MM-JJ"},
		{"English keeps the core's words", english.errorText(late), late.Error()},
		{"a rule without words", french.errorText(forewarn.Invalid("x", "zip", "not a zip file")), "x: not a zip file"},
		{"not found", french.errorText(forewarn.Errorf(forewarn.ENOTFOUND, "no such message")), "no such message"},
		{"internal", french.errorText(errors.New("disk on fire")), "erreur interne ; le détail est dans le journal du nœud"},
		{"an unknown field", french.errorText(forewarn.Invalid("request.foo_bar", "required", "x")), "foo bar : champ obligatoire"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	for rule, w := range ruleTexts {
		if french.T(w) == w {
			t.Errorf("rule %s: %q has no French", rule, w)
		}
	}
}
