package forewarn

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
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
		{"access.denied", "you may not do that", "access.reason", "reason:you may not do that", "", "", true},
		{"egress.refused", "path=export mark=marks.tlp originator=TR-MIT: TLP:AMBER may not leave in an export: only TLP:CLEAR and TLP:GREEN may", "egress.refused_of", "code:export term:marks.tlp agency:TR-MIT reason:TLP:AMBER may not leave in an export: only TLP:CLEAR and TLP:GREEN may", "", "", true},
		{"subject.create", "written by hand", "", "", "", "", false},
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
		ArgDate: "2015-11-16", ArgBool: "true", ArgDigest: strings.Repeat("0f", 32),
		ArgWord: "2016-01", ArgCodes: "notification response", ArgWords: "analyst", ArgTerm: "marks.tlp", ArgPerm: "peers.manage", ArgSpan: "1h0m0s",
		ArgReason: "the agreement with TR-MIT goes up to TLP:GREEN; this is TLP:AMBER", ArgObjects: "subject 014a4d63-e500-71e3-ad76-020e43492d80, message 014a4d63-e500-71e3-ad76-020e43492d81",
		ArgFailure: "unreachable", ArgField: "to", ArgThird: "dial tcp 127.0.0.1:9: connect: connection refused"}
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

// auditWrites are the actions and object types the code writes in audit entries, found
// in the source: the Action and ObjectType of every forewarn.AuditEntry literal, and the
// action and object type passed to the store's audit, auditNote and auditDigests and to
// AuditShown.
// A string constant is read through its declaration; any other expression must be listed
// in dynamicAuditWrites with the values it can take.
func auditWrites(t *testing.T) (actions, objects map[string][]string) {
	t.Helper()
	fset := token.NewFileSet()
	type use struct {
		expr  ast.Expr
		where string // file:function
		pos   token.Pos
	}
	var actionUses, objectUses []use
	consts := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != "." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "storetest" || n == "test-output" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
		for _, decl := range f.Decls {
			fn := "-"
			if fd, ok := decl.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
			}
			where := filepath.ToSlash(path) + ":" + fn
			ast.Inspect(decl, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CompositeLit:
					var name string
					switch ty := x.Type.(type) {
					case *ast.Ident:
						name = ty.Name
					case *ast.SelectorExpr:
						name = ty.Sel.Name
					}
					if name != "AuditEntry" {
						return true
					}
					for _, el := range x.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch kv.Key.(*ast.Ident).Name {
						case "Action":
							actionUses = append(actionUses, use{kv.Value, where, kv.Pos()})
						case "ObjectType":
							objectUses = append(objectUses, use{kv.Value, where, kv.Pos()})
						}
					}
				case *ast.CallExpr:
					sel, ok := x.Fun.(*ast.SelectorExpr)
					if !ok || len(x.Args) < 4 {
						return true
					}
					switch sel.Sel.Name {
					case "audit", "auditNote", "auditDigests", "AuditShown":
						actionUses = append(actionUses, use{x.Args[2], where, x.Pos()})
						objectUses = append(objectUses, use{x.Args[3], where, x.Pos()})
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	collect := func(uses []use, dynamic map[string][]string) map[string][]string {
		found, seenDynamic := map[string][]string{}, map[string]bool{}
		for _, u := range uses {
			at := fset.Position(u.pos).String()
			var v string
			switch x := u.expr.(type) {
			case *ast.BasicLit:
				v, _ = strconv.Unquote(x.Value)
			case *ast.Ident:
				v = consts[x.Name]
			case *ast.SelectorExpr:
				v = consts[x.Sel.Name]
			}
			if v != "" {
				found[v] = append(found[v], at)
				continue
			}
			vs, ok := dynamic[u.where]
			if !ok {
				t.Errorf("%s: an audit entry's action or object type the test cannot read; list what it can be in dynamicAuditWrites[%q]", at, u.where)
				continue
			}
			seenDynamic[u.where] = true
			for _, v := range vs {
				found[v] = append(found[v], at)
			}
		}
		for where := range dynamic {
			if !seenDynamic[where] {
				t.Errorf("dynamicAuditWrites[%q]: no such write any more", where)
			}
		}
		return found
	}
	return collect(actionUses, dynamicAuditActions), collect(objectUses, dynamicAuditObjects)
}

// dynamicAuditActions are the actions written from a variable, by file:function; the
// helpers that pass on their caller's action take none of their own.
var dynamicAuditActions = map[string][]string{
	"app/audit.go:AuditShown":                 nil,
	"sqlstore/audit.go:audit":                 nil,
	"sqlstore/audit.go:auditDigests":          nil,
	"sqlstore/auditscan.go:entry":             nil,
	"sqlstore/retention.go:auditNote":         nil,
	"sqlstore/erasure.go:settleErasureNotice": {"erasure.notice_sent", "erasure.notice_refused"},
	"sqlstore/forward.go:writeForward":        {"forward.awaiting_consent", "forward.sent", "forward.refused", "forward.overridden", "forward.originator_notified"},
	"sqlstore/match.go:decide":                {"match.confirm", "match.reject"},
	"sqlstore/message.go:recordAck":           {"message.read", "message.acknowledge"},
	"sqlstore/retention.go:SetReview":         {"subject.keep", "message.keep"},
	"sqlstore/retention.go:AlertDueReviews":   {"subject.review_due", "message.review_due"},
	"sqlstore/retention.go:Erase":             {"subject.erase", "message.erase"},
	"sqlstore/taxii.go:RecordFeedPoll":        {"feed.poll", "feed.poll_failed"},
}

// dynamicAuditObjects are the object types written from a variable, by file:function.
var dynamicAuditObjects = map[string][]string{
	"app/audit.go:AuditShown":               nil,
	"sqlstore/audit.go:audit":               nil,
	"sqlstore/audit.go:auditDigests":        nil,
	"sqlstore/auditscan.go:entry":           nil,
	"sqlstore/retention.go:auditNote":       nil,
	"sqlstore/retention.go:SetReview":       {"subject", "message"},
	"sqlstore/retention.go:AlertDueReviews": {"subject", "message"},
	"sqlstore/retention.go:Erase":           {"subject", "message"},
}

// TestAuditWritesKnown: every action the source writes is in AuditActions, with a sentence
// for its detail or listed as writing none, and every object type in AuditObjectTypes.
func TestAuditWritesKnown(t *testing.T) {
	actions, objects := auditWrites(t)
	if len(actions) < 50 || len(objects) < 15 {
		t.Fatalf("found %d actions and %d object types in the source; the scan is broken", len(actions), len(objects))
	}
	known := AuditActions()
	for a, at := range actions {
		if !slices.Contains(known, a) {
			t.Errorf("%s: action %q has no sentence in AuditDetailKinds and is not in AuditActionsWithoutDetail", at[0], a)
		}
	}
	for _, a := range known {
		if _, ok := actions[a]; !ok {
			t.Errorf("action %q is registered but nothing writes it", a)
		}
	}
	for o, at := range objects {
		if !slices.Contains(AuditObjectTypes, o) {
			t.Errorf("%s: object type %q is not in AuditObjectTypes", at[0], o)
		}
	}
	for _, o := range AuditObjectTypes {
		if _, ok := objects[o]; !ok {
			t.Errorf("object type %q is in AuditObjectTypes but nothing writes it", o)
		}
	}
}

// TestOldDetailsRead: details as stores wrote them before they had sentences (key=value
// forms, refusals quoting an error), taken from real entries, read back into a kind, and
// their reasons into a reason kind, so the pages can say them; the chain keeps them as
// they are.
func TestOldDetailsRead(t *testing.T) {
	for _, tt := range []struct{ action, detail, code, reason string }{
		{"import.finish", "dataset=test_list version=1 format=stix status=done read=0 added=0 updated=0 withdrawn=0 unchanged=0 invalid=0 links=0 alerts=0 dry-run", "import.counts_dry_run", ""},
		{"import.start", "dataset=dgsi_watch version=1 format= status=running read=0 added=0 updated=0 withdrawn=0 unchanged=0 invalid=0 links=0 alerts=0", "import.counts", ""},
		{"import.raw", "dataset=oasis kept 65 objects it does not map, of 65 read", "import.raw", ""},
		{"subject.export", "export format=csv backup=false", "subject.export", ""},
		{"taxii.collection.create", `"Releasable to FR-DGSI" audience=FR-DGSI tlp= write=true`, "taxii.collection", ""},
		{"taxii.token.create", "dgsi for FR-DGSI, collections 2a5f6b4a-45b2-4485-af0f-efac80e443ed, write=false", "taxii.token", ""},
		{"taxii.objects.add", "3 objects posted, 3 new versions stored; status 2d086da7-4bdc-4f91-900e-d77486753710: 3 succeeded, 0 failed", "taxii.objects_status", ""},
		{"feed.add", "http://127.0.0.1:9/taxii2/api/ collection c1 for TR-MIT every 1h0m0s", "feed.add", ""},
		{"feed.poll", "cursor 2016-11-01T03:04:05.000000Z; 1 objects, 0 persons, 1 kept raw in all; 1 kept raw now", "feed.poll", ""},
		{"webhook.delete", "on-call http://127.0.0.1:9/hook", "webhook", ""},
		{"retention.rule", "subject none reviewed 30 days after it is stored (was 180)", "retention.rule", ""},
		{"message.review_due", "review date 2015-06-01; alert 014db37f-b280-7c48-a117-ac40db936b7d", "retention.review_due", ""},
		{"audit.equivocation", "FR-DGSI stated a second, different hash for entry 10 of its audit chain; the first is kept, the second kept as evidence", "audit.equivocation", ""},
		{"agreement.set", "kinds [notification private_match] up to TLP:AMBER, consent-required false, forwarded false, notify erasure false", "agreement.set", ""},
		{"private_match.set", "kept DE-BND's private-match set of epoch 2015-06-05: 70000 fingerprints", "private.set", ""},
		{"subject.watch", "watch-listed: MOSTEFAÏ named by a source", "subject.watch_reason", ""},
		{"subject.update", "import 014a0f63-65a0-74d6-bb42-1ce89217a005: withdrawn from dataset test_list version 2015-06 (entry C)", "subject.import_withdrawn", ""},
		{"token.revoke", "for liaison1 as liaison: ", "token.revoke", ""},
		{"access.denied", "Your role (analyst) does not allow this page (peers.manage).", "access.reason", "web.role"},
		{"access.denied", "your role (liaison) does not allow peers.manage", "access.reason", "api.role"},
		{"access.denied", "your role (liaison) does not allow peers.manage; a token of a user in the role admin does", "access.reason", "api.role_who"},
		{"access.denied", "TAXII token dgsi: the API token is unknown or revoked", "access.taxii_token", "api.token_unknown"},
		{"login.failed", "refused: its CSRF token does not match this browser's sign-in form", "login.refused", "web.csrf_sign_in"},
		{"purpose.refused", `purpose: "curiosity" is not a purpose of this node (investigation, threat-assessment, liaison-request, oversight, other)`, "access.reason", "purpose.unknown"},
		{"access.denied_repeated", "3 more refused requests from 203.0.113.5 between 2026-12-01T09:01:01Z and 2026-12-01T09:01:01Z, counted rather than audited one by one; the last: GET /api/v1/subjects: sign in or send an API token (Authorization: Bearer TOKEN)", "access.flood", "api.sign_in"},
		{"egress.refused", "path=email mark=marks.tlp originator=TR-MIT: TLP:RED names and summaries stay out of email notifications: only TLP:CLEAR and TLP:GREEN may be in them (notification 014a0f60-a680-7be7-b6be-d16d71140a40 sent without them)", "egress.withheld_of", "egress.tlp_notification"},
		{"egress.refused", "path=taxii mark=marks.originator_consent_required originator=TR-MIT: the originator TR-MIT requires its consent before any onward sharing, so it may not leave in an taxii", "egress.refused_of", "egress.consent_out"},
		{"agreement.refused", "notification TLP:AMBER to TR-MIT, term=agreement.max_tlp: the agreement with TR-MIT goes up to TLP:GREEN; this is TLP:AMBER", "agreement.refused", "agreement.max_tlp"},
		{"agreement.refused", "private_match to DE-BKA, term=agreement.kinds: agreement.kinds: the agreement with DE-BKA covers notification only, not private queries (private_match)", "agreement.refused_private", "agreement.private"},
		{"message.reject", "from 127.0.0.1:33174: message 014ab952-8280-7144-9800-6b50da7cb13e was created 500h0m0s ago, outside this node's replay window of 168h0m0s; refused as a replay", "message.reject", "federation.replay"},
		{"message.reject", "from 127.0.0.1:33174: acknowledgement 014ab953-6ce0-7e2e-bcdd-f0eff4b1ee40 from BE-VSSE refused: BE-VSSE was not a recipient of message 014ab952-8280-715b-a738-6b3370392bf3", "message.reject", ""},
	} {
		d, ok := ParseAuditDetail(tt.action, tt.detail)
		if !ok || d.Code != tt.code {
			t.Errorf("%s %q reads as %q (ok %t), want %s", tt.action, tt.detail, d.Code, ok, tt.code)
			continue
		}
		reason := ""
		for _, a := range d.Args {
			if a.Kind == ArgReason {
				if r, ok := ParseAuditReason(a.Value); ok {
					reason = r.Code
				}
			}
		}
		if reason != tt.reason {
			t.Errorf("%s %q: its reason reads as %q, want %q", tt.action, tt.detail, reason, tt.reason)
		}
	}
}
