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
		{"English keeps the core's words, after the field's", english.errorText(late), "deadline: the deadline 2000-01-01T00:00:00Z is not after the message was created (2014-12-15T10:00:00Z)"},
		{"English beside the field", english.fieldErrorText(late), late.Message},
		{"a rule without words", french.errorText(forewarn.Invalid("x", "no_such_rule", "not a zip file")), "cette saisie n’est pas valide"},
		{"a rule without words in English", english.errorText(forewarn.Invalid("x", "no_such_rule", "not a zip file")), "x: not a zip file"},
		{"a rule of a refusal", french.errorText(&forewarn.Error{Code: forewarn.EFORBIDDEN, Field: "to[0]", Rule: "releasable", Message: "TLP:AMBER releasable to FR-DGSI only"}),
			"destinataires : les marques de diffusion du message ne permettent pas de l’adresser à ce service"},
		{"a code-like rule in French", french.errorText(forewarn.Invalid("notification.persons[0].links[1].message", "identified_through", "only a link of the kind “identified through” may point to a message")),
			"message lié : seul un lien « identifié par » peut renvoyer à un message"},
		{"not found", french.errorText(forewarn.Errorf(forewarn.ENOTFOUND, "no message with id %q", "0190abcd")), "aucun message d’identifiant \"0190abcd\""},
		{"not found in English", english.errorText(forewarn.Errorf(forewarn.ENOTFOUND, "no message with id %q", "0190abcd")), "no message with id \"0190abcd\""},
		{"a conflict, its date the French way", french.errorText(forewarn.Errorf(forewarn.ECONFLICT, "the match of a person in %s's “%s” was already confirmed by %s on %s", "TR-MIT", "Fifth individual", "analyst", "2014-12-15T10:00:00Z")),
			"la correspondance d’une personne du message « Fifth individual » de TR-MIT a déjà été confirmée par analyst le 15 déc. 2014 10:00 UTC"},
		{"a conflict in English, its date not ISO", english.errorText(forewarn.Errorf(forewarn.ECONFLICT, "the match of a person in %s's “%s” was already confirmed by %s on %s", "TR-MIT", "Fifth individual", "analyst", "2014-12-15T10:00:00Z")),
			"the match of a person in TR-MIT's “Fifth individual” was already confirmed by analyst on 15 Dec 2014 10:00 UTC"},
		{"a stored code as a word", french.errorText(forewarn.Errorf(forewarn.ECONFLICT, "subject %s is already %s", "0190", forewarn.WatchStatus("watchlisted"))), "la fiche 0190 est déjà : sous surveillance"},
		{"a count the French way", french.errorText(forewarn.Errorf(forewarn.EFORBIDDEN, "%s may ask privately about %d persons a day; it asked about %d today and this query asks about %d more", "TR-MIT", 12000, 11990, 20)),
			"TR-MIT peut interroger confidentiellement sur 12\u202f000 personnes par jour ; il a interrogé sur 11\u202f990 aujourd’hui et cette requête en ajoute 20"},
		{"forbidden", french.errorText(forewarn.Errorf(forewarn.EFORBIDDEN, "only a supervisor overrides the originator's consent")), "seul un superviseur peut passer outre l’accord de l’émetteur"},
		{"a sentence the catalogue lacks", french.errorText(forewarn.Errorf(forewarn.ENOTFOUND, "no such thing")), "ceci n’existe pas sur ce nœud, ou n’est plus conservé"},
		{"the login's error", french.errorText(forewarn.Errorf(forewarn.EUNAUTHORIZED, "wrong username or password")), "identifiant ou mot de passe erroné"},
		{"internal", french.errorText(errors.New("disk on fire")), "erreur interne ; le détail est dans le journal du nœud"},
		{"a partner's refusal, by its code", french.errorText(forewarn.Errorf(forewarn.ECONFLICT, "%s did not answer the private query: %v", "TR-MIT",
			&forewarn.HTTPFailure{Status: 403, Code: forewarn.EFORBIDDEN, Text: "TR-MIT refused the message: HTTP 403, forbidden"})),
			"TR-MIT n’a pas répondu à la requête confidentielle : le partenaire ne l’autorise pas"},
		{"a partner's refusal in English", english.errorText(forewarn.Errorf(forewarn.ECONFLICT, "%s did not answer the private query: %v", "TR-MIT",
			&forewarn.HTTPFailure{Status: 403, Code: forewarn.EFORBIDDEN, Text: "TR-MIT refused the message: HTTP 403, forbidden"})),
			"TR-MIT did not answer the private query: the partner does not allow it"},
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

// TestErrorsWordStatesAndRoles: a status or a role an error's sentence names is said by
// its word in the reader's language, never as the code the store keeps (awaiting_consent,
// supervisor, dead).
func TestErrorsWordStatesAndRoles(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		fr   string
		en   string
	}{
		{"a forward's state", forewarn.Errorf(forewarn.ECONFLICT, "the forward of “%s” to %s is %s already", "Fifth individual", "FR-DGSI", forewarn.ForwardAwaitingConsent),
			"la transmission de « Fifth individual » à FR-DGSI est déjà dans l’état « en attente de l’accord de l’émetteur »", "the forward of “Fifth individual” to FR-DGSI is awaiting the originator's consent already"},
		{"a forward done", forewarn.Errorf(forewarn.ECONFLICT, "the forward of “%s” to %s is %s already", "Fifth individual", "FR-DGSI", forewarn.ForwardOverridden),
			"la transmission de « Fifth individual » à FR-DGSI est déjà dans l’état « effectuée en passant outre, pour menace imminente »", "the forward of “Fifth individual” to FR-DGSI is completed under an imminent-threat override already"},
		{"an import's state", forewarn.Errorf(forewarn.ECONFLICT, "the import of dataset %s started %s is already %s", "un-sc", "1 Dec 2014 09:00 UTC", forewarn.ImportDone),
			"l’importation du jeu de données un-sc commencée le 1 déc. 2014 09:00 UTC est déjà dans l’état « terminé »", "the import of dataset un-sc started 1 Dec 2014 09:00 UTC is already done"},
		{"a notification's state", forewarn.Errorf(forewarn.ECONFLICT, "the notification to %s of %s is %s, not in the dead-letter list", "ops@dgsi.example", "1 Dec 2014 09:00 UTC", forewarn.NoticeState("sent")),
			"la notification à ops@dgsi.example du 1 déc. 2014 09:00 UTC est dans l’état « envoyée », pas dans la liste des envois abandonnés", "the notification to ops@dgsi.example of 1 Dec 2014 09:00 UTC is sent out, not in the dead-letter list"},
		{"a role", forewarn.Errorf(forewarn.EUNAUTHORIZED, "the API token's user is disabled or no longer holds the role %s", forewarn.RoleSupervisor),
			"l’utilisateur du jeton d’API est désactivé ou n’a plus le rôle superviseur", "the API token's user is disabled or no longer holds the role supervisor"},
	} {
		if got := french.errorText(tt.err); got != tt.fr {
			t.Errorf("%s in French: %q, want %q", tt.name, got, tt.fr)
		}
		if got := english.errorText(tt.err); got != tt.en {
			t.Errorf("%s in English: %q, want %q", tt.name, got, tt.en)
		}
	}
}

// TestChoicesInWords: a value outside a field's set is said with the field's word and
// the values it takes, in words, in English and in French; the API and the CLI keep the
// codes they type (Error, after the message).
func TestChoicesInWords(t *testing.T) {
	link := forewarn.Invalid("notification.persons[0].links[0].kind", "enum", "%q is not a kind of link", "cousin").Choices("associate_of", "travelled_with", "identified_through", "relative_of")
	tlp := forewarn.Invalid("max_tlp", "enum", "the highest TLP level must be one of the TLP levels, not %q", "PINK").Choices("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
	for _, tt := range []struct{ name, got, want string }{
		{"a link's kind in French", french.errorText(link), "type de lien : choisissez parmi : associé de, a voyagé avec, identifié par, parent de"},
		{"a link's kind in English", english.errorText(link), "link kind: give one of: associate of, travelled with, identified through, relative of"},
		{"a TLP level in French", french.errorText(tlp), "niveau TLP le plus restrictif : choisissez parmi : TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED"},
		{"the API's message", link.Error(), "notification.persons[0].links[0].kind: \"cousin\" is not a kind of link (associate_of, travelled_with, identified_through, relative_of)"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
