package forewarn

import (
	"fmt"
	"strings"
	"testing"
)

// TestParseAuditDetail: the sentences the core writes read back into their code and
// arguments, with the note's digest and the purpose apart; anything else is not ok and
// keeps its text.
func TestParseAuditDetail(t *testing.T) {
	id, id2 := "014a4d63-e500-71e3-ad76-020e43492d80", "0149cca4-e900-722b-aaac-a89965a6e404"
	note := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		action, detail, code, args, note, purpose string
		ok                                        bool
	}{
		{"message.send", "notification from TR-MIT to FR-DGSI in reply to " + id, "message.route_reply", "code:notification agency:TR-MIT agency:FR-DGSI id:" + id, "", "", true},
		{"message.receive", "request from FR-DGSI to TR-MIT,DZ-DGSN", "message.route", "code:request agency:FR-DGSI agency:TR-MIT,DZ-DGSN", "", "", true},
		{"message.escalate", "step 4 (recipient side) for FR-DGSI: notified supervisor", "message.escalate", "count:4 code:recipient agency:FR-DGSI code:supervisor", "", "", true},
		{"match.create", "message " + id + " person p1 with subject " + id2 + " score 0.959", "match.with_subject", "id:" + id + " name:p1 id:" + id2 + " score:0.959", "", "", true},
		{"match.confirm", "note sha256:" + note, "", "", note, "", true},
		{"claim.prefer", "subject " + id + "; 2 other claims no longer preferred; note sha256:" + note + "; purpose: investigation — case 12; more", "claim.prefer", "id:" + id + " count:2", note, "investigation — case 12; more", true},
		{"subject.read", "purpose: investigation", "", "", "", "investigation", true},
		{"user.update", "username admin; password changed", "user.password_changed", "name:admin", "", "", true},
		{"session.create", "until 2015-11-16T10:00:00Z", "session.until", "time:2015-11-16T10:00:00Z", "", "", true},
		{"access.denied", "you may not do that", "", "", "", "", false},
		{"message.send", "subject " + id, "", "", "", "", false}, // a sentence of another action
	} {
		d, ok := ParseAuditDetail(tt.action, tt.detail)
		var args []string
		for _, a := range d.Args {
			args = append(args, string(a.Kind)+":"+a.Value)
		}
		if ok != tt.ok || d.Code != tt.code || strings.Join(args, " ") != tt.args || d.Note != tt.note || d.Purpose != tt.purpose {
			t.Errorf("%s %q: ok %t code %q args %q note %q purpose %q; want %t %q %q %q %q", tt.action, tt.detail, ok, d.Code, strings.Join(args, " "), d.Note, d.Purpose, tt.ok, tt.code, tt.args, tt.note, tt.purpose)
		}
		if !ok && d.Text == "" {
			t.Errorf("%q: an unread detail lost its text", tt.detail)
		}
	}
}

// TestAuditDetailKinds: codes are unique, each kind has an action and one argument per %s,
// and its own English, with arguments of their kind, reads back to it.
func TestAuditDetailKinds(t *testing.T) {
	sample := map[AuditArgKind]string{ArgText: "some words", ArgName: "liaison", ArgID: "014a4d63-e500-71e3-ad76-020e43492d80",
		ArgAgency: "FR-DGSI", ArgCode: "notification", ArgPage: "Inbox", ArgCount: "12", ArgScore: "0.959", ArgTime: "2015-11-16T10:00:00Z",
		ArgDate: "2015-11-16", ArgBool: "true", ArgDigest: strings.Repeat("0f", 32)}
	seen := map[string]bool{}
	for _, k := range AuditDetailKinds {
		if seen[k.Code] {
			t.Errorf("code %s twice", k.Code)
		}
		seen[k.Code] = true
		if len(k.Actions) == 0 || strings.Count(k.Format, "%s") != len(k.Args) || strings.Count(k.Format, "%") != len(k.Args) {
			t.Errorf("%s: %d actions, format %q for %d arguments", k.Code, len(k.Actions), k.Format, len(k.Args))
			continue
		}
		args := make([]any, len(k.Args))
		for i, a := range k.Args {
			args[i] = sample[a]
		}
		for _, action := range k.Actions {
			d, ok := ParseAuditDetail(action, fmt.Sprintf(k.Format, args...))
			if !ok || d.Code != k.Code {
				t.Errorf("%s (%s): its own English reads back as %q (ok %t)", k.Code, action, d.Code, ok)
			}
		}
	}
}
