package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestAuditDetailInFrench renders every sentence of audit details in French: translated,
// its arguments shown as their kind asks (a count with French grouping, a time the French
// way, a code by its French word), not marked English; and a detail no kind describes
// stays as stored, marked lang="en".
func TestAuditDetailInFrench(t *testing.T) {
	sample := map[forewarn.AuditArgKind]string{forewarn.ArgText: "some words", forewarn.ArgName: "liaison", forewarn.ArgID: "014a4d63-e500-71e3-ad76-020e43492d80",
		forewarn.ArgAgency: "FR-DGSI", forewarn.ArgCode: "notification", forewarn.ArgPage: "Inbox", forewarn.ArgCount: "1234", forewarn.ArgScore: "0.959",
		forewarn.ArgTime: "2014-12-15T10:01:00Z", forewarn.ArgDate: "2015-08-15", forewarn.ArgBool: "true", forewarn.ArgDigest: strings.Repeat("0f", 32),
		forewarn.ArgWord: "2016-01", forewarn.ArgCodes: "notification response", forewarn.ArgWords: "analyst", forewarn.ArgTerm: "marks.tlp",
		forewarn.ArgPerm: "peers.manage", forewarn.ArgSpan: "2h0m0s", forewarn.ArgReason: "wrong username or password", forewarn.ArgAny: "cli", forewarn.ArgObjects: "subject 014a4d63-e500-71e3-ad76-020e43492d80",
		forewarn.ArgFailure: "timeout", forewarn.ArgField: "to", forewarn.ArgThird: "i/o timeout"}
	shown := map[forewarn.AuditArgKind]string{forewarn.ArgCount: "1\u202f234", forewarn.ArgScore: "0,959", forewarn.ArgTime: "15 déc. 2014 10:01 UTC",
		forewarn.ArgDate: "15 août 2015", forewarn.ArgCode: "avertissement", forewarn.ArgPage: "Réception", forewarn.ArgBool: "oui",
		forewarn.ArgCodes: "avertissement, réponse", forewarn.ArgWords: "analyste", forewarn.ArgTerm: "le niveau TLP", forewarn.ArgPerm: "la gestion des partenaires",
		forewarn.ArgSpan: "2 heures", forewarn.ArgReason: "identifiant ou mot de passe erroné"}
	for _, k := range forewarn.AuditDetailKinds {
		args := make([]any, len(k.Args))
		for i, a := range k.Args {
			args[i] = sample[a]
		}
		stored := fmt.Sprintf(k.Format, args...)
		parts := french.auditDetail(k.Actions[0], stored, "")
		if slices.Contains(k.Args, forewarn.ArgThird) {
			// a third party's own text stays apart, in English, as a technical detail
			if len(parts) != 3 || parts[1].Lang != "en" || parts[1].Text != sample[forewarn.ArgThird] || parts[0].Lang != "" || parts[2].Lang != "" {
				t.Errorf("%s: %q shown as %+v", k.Code, stored, parts)
				continue
			}
			parts = []textPart{{Text: parts[0].Text + parts[1].Text + parts[2].Text}}
		}
		if len(parts) != 1 || parts[0].Lang != "" {
			t.Errorf("%s: %q shown as %+v", k.Code, stored, parts)
			continue
		}
		got := parts[0].Text
		if strings.Contains(got, "%!") || (got == stored && !sameInFrench[k.Format]) {
			t.Errorf("%s: %q in French is %q", k.Code, stored, got)
		}
		for _, a := range k.Args {
			if w, ok := shown[a]; ok && !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks the %s argument as French writes it, %q", k.Code, got, a, w)
			}
		}
		if en := english.auditDetail(k.Actions[0], stored, ""); len(en) != 1 || en[0].Lang != "" || strings.Contains(en[0].Text, "%!") {
			t.Errorf("%s: %q shown in English as %+v", k.Code, stored, en)
		}
	}

	// Every reason a detail may quote is said in French, its arguments as their kind asks.
	for _, k := range forewarn.AuditReasonKinds {
		args := make([]any, len(k.Args))
		for i, a := range k.Args {
			args[i] = sample[a]
		}
		stored := fmt.Sprintf(k.Format, args...)
		got, ok := french.reasonText(stored)
		if !ok || got == stored || strings.Contains(got, "%!") {
			t.Errorf("reason %s: %q in French is %q (ok %t)", k.Code, stored, got, ok)
		}
		if en, ok := english.reasonText(stored); !ok || strings.Contains(en, "%!") {
			t.Errorf("reason %s: %q in English is %q (ok %t)", k.Code, stored, en, ok)
		}
	}

	note := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		action, detail, note string
		want                 []textPart
	}{
		{"match.confirm", "note sha256:" + note + "; purpose: investigation — case 12", "same man", []textPart{{Text: "motif : same man"}, {Text: "finalité : Enquête — case 12"}}},
		{"match.confirm", "note sha256:" + note, "", []textPart{{Text: "motif conservé à part, effacé depuis"}}},
		{"access.denied", "you may not do that", "", []textPart{{Text: "you may not do that", Lang: "en"}}},
		{"subject.create", "written by hand", "", []textPart{{Text: "written by hand", Lang: "en"}}},
		// a refusal of this node's own, read back into its error's sentence and said in French
		{"message.reject", "from 192.0.2.1:443: the envelope is 2097198 bytes; the limit is 1048576", "", []textPart{{Text: "refusé, venu de 192.0.2.1:443 : l’enveloppe fait 2\u202f097\u202f198 octets ; la limite est 1\u202f048\u202f576"}}},
		{"private_match.refuse", "from 192.0.2.1:443: the report does not belong to the query it names: its elements or persons differ", "", []textPart{{Text: "refusé, venu de 192.0.2.1:443 : le rapport n’appartient pas à la requête qu’il désigne : ses éléments ou ses personnes diffèrent"}}},
		{"erasure.notice_refused", "to TR-MIT about message 0190a1b2-0000-7000-8000-000000000001: the agreement with TR-MIT goes up to TLP:GREEN; this is TLP:AMBER", "", []textPart{{Text: "à TR-MIT au sujet du message 0190a1b2-0000-7000-8000-000000000001 : l’accord avec TR-MIT va jusqu’à TLP:GREEN ; ceci est TLP:AMBER"}}},
		// a reason no sentence says stays as written, marked as English
		{"message.reject", "from 192.0.2.1:443: the moon is in the wrong phase", "", []textPart{{Text: "refusé, venu de 192.0.2.1:443 : "}, {Text: "the moon is in the wrong phase", Lang: "en", Inline: true}}},
		{"egress.refused", "path=export mark=marks.tlp originator=TR-MIT: TLP:AMBER may not leave in an export: only TLP:CLEAR and TLP:GREEN may", "", []textPart{{Text: "sortie (export) de ce qu’a envoyé TR-MIT refusée par le niveau TLP : TLP:AMBER ne peut pas sortir par cette voie (export) : seuls TLP:CLEAR et TLP:GREEN le peuvent"}}},
		{"access.denied", "your role (liaison) does not allow audit.read; a token of a user in the role supervisor or oversight does", "", []textPart{{Text: "votre rôle (liaison) ne permet pas la lecture du journal d’audit ; un jeton d’un utilisateur du rôle superviseur ou contrôle le permet"}}},
		{"access.denied", "Your role (analyst) does not allow this page (peers.manage).", "", []textPart{{Text: "Votre rôle (analyste) ne donne pas accès à cette page (la gestion des partenaires)."}}},
		{"message.escalate", "step 4 (recipient side) for FR-DGSI: notified supervisor", "", []textPart{{Text: "étape 4 (côté destinataire) pour FR-DGSI : superviseur prévenu"}}},
		// a third party's failure: what went wrong in French, its own text apart, in English
		{"notification.dead", "error=deferred: smtp RCPT TO desk@agency.example: 451 4.3.0 try later", "", []textPart{{Text: "le destinataire a demandé de réessayer plus tard (détail technique : "},
			{Text: "smtp RCPT TO desk@agency.example: 451 4.3.0 try later", Lang: "en", Inline: true, Detail: true}, {Text: ")", Inline: true}}},
		{"message.delivery_failed", "to TR-MIT: error=invalid field=notification.persons[0].names: TR-MIT refused the message: HTTP 400, invalid", "", []textPart{{Text: "vers TR-MIT : le partenaire l’a jugé non valide, au sujet du champ noms (détail technique : "},
			{Text: "TR-MIT refused the message: HTTP 400, invalid", Lang: "en", Inline: true, Detail: true}, {Text: ")", Inline: true}}},
		{"feed.poll_failed", "failure 3 in a row: error=timeout: Get \"https://taxii.example/\": i/o timeout", "", []textPart{{Text: "échec n° 3 d’affilée : le destinataire n’a pas répondu à temps (détail technique : "},
			{Text: "Get \"https://taxii.example/\": i/o timeout", Lang: "en", Inline: true, Detail: true}, {Text: ")", Inline: true}}},
		// written before failures had codes: the text as it was, in English
		{"notification.dead", "webhook ops answered 503 Service Unavailable: busy", "", []textPart{{Text: "webhook ops answered 503 Service Unavailable: busy", Lang: "en"}}},
	} {
		got := french.auditDetail(tt.action, tt.detail, tt.note)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s %q: %+v, want %+v", tt.action, tt.detail, got, tt.want)
		}
	}
}

// TestAuditWordsComplete: every action the code writes in the audit trail and every kind
// of object it is about has a word, so no page in another language shows their codes.
func TestAuditWordsComplete(t *testing.T) {
	for _, a := range forewarn.AuditActions() {
		if _, ok := actionWords[a]; !ok {
			t.Errorf("action %s has no word in actionWords", a)
		}
	}
	for _, o := range forewarn.AuditObjectTypes {
		if _, ok := objectWords[o]; !ok {
			t.Errorf("object type %s has no word in objectWords", o)
		}
	}
}
