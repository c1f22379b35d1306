package app_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/email"
	"github.com/forewarn/forewarn/httpapi"
	"github.com/forewarn/forewarn/stix"
	"github.com/forewarn/forewarn/storetest"
	"github.com/forewarn/forewarn/webhook"
)

// TestEgressPaths sends content that came under each handling mark out by each way out
// this node has (export, e-mail, webhook, a reply to the originator, the JSON API to a
// person's and to a program's token), over real components: the SQLite store, the .eml
// capture, a loopback webhook receiver, the API handler. The expectations are written out
// here, not derived from the rule: what is allowed goes, what is forbidden stays in and is
// audited as egress.refused naming the mark.
func TestEgressPaths(t *testing.T) {
	type expect struct {
		export, taxii, email, webhook, reply, person, program bool // does the content go?
	}
	// The program's reads of personal data, each asked as a program token and as a
	// person's: every one goes out as the program way out allows, or not at all.
	const name = "Omar Ismail Mostefai"
	tests := []struct {
		mark  string
		marks forewarn.HandlingMarks
		want  expect
	}{
		{"CLEAR", forewarn.HandlingMarks{TLP: forewarn.TLPClear}, expect{true, true, true, true, true, true, true}},
		{"GREEN", forewarn.HandlingMarks{TLP: forewarn.TLPGreen}, expect{true, true, true, true, true, true, true}},
		{"AMBER", forewarn.HandlingMarks{TLP: forewarn.TLPAmber}, expect{false, false, false, false, true, true, true}},
		{"AMBER+STRICT", forewarn.HandlingMarks{TLP: forewarn.TLPAmberStrict, ReleasableTo: []string{"FR-DGSI"}}, expect{false, false, false, false, true, true, true}},
		{"RED", forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{"FR-DGSI"}}, expect{false, false, false, false, true, true, false}},
		{"release list", forewarn.HandlingMarks{TLP: forewarn.TLPGreen, ReleasableTo: []string{"FR-DGSI"}}, expect{false, false, true, true, true, true, true}},
		{"consent required", forewarn.HandlingMarks{TLP: forewarn.TLPGreen, OriginatorConsentRequired: true}, expect{false, false, true, true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.mark, func(t *testing.T) {
			e := newNotifyEnv(t)
			actor := forewarn.Actor{Kind: forewarn.ActorUser, ID: "desk"}
			pub, _, _ := ed25519.GenerateKey(nil)
			if err := e.store.AddPeer(e.ctx, actor, &forewarn.Peer{Agency: forewarn.Agency{Code: "TR-MIT", Name: "MIT", Country: "TR"}, BaseURL: "http://127.0.0.1:1", PublicKey: pub}); err != nil {
				t.Fatal(err)
			}
			recv := newReceiver(t, "a-webhook-secret-of-some-length")
			if err := e.store.CreateWebhook(e.ctx, forewarn.SystemActor("test"), &forewarn.Webhook{Name: "chat", URL: recv.URL, Secret: recv.secret}); err != nil {
				t.Fatal(err)
			}
			// A warning from Turkey under the mark, about a man this node holds.
			now := e.clock.Now()
			m := storetest.NewNotification("TR-MIT", []string{"FR-DGSI"}, now)
			m.Marks = tt.marks
			receipt := []byte("receipt " + m.ID)
			sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("envelope " + m.ID), Direction: forewarn.DirectionIn, StoredAt: now, Priority: forewarn.PriorityUrgent,
				Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: "FR-DGSI", Direction: forewarn.DirectionIn, DeliveredAt: now, Receipt: receipt, Deadline: m.Notification.AcknowledgeBy}}}
			if _, _, err := e.store.ReceiveMessage(e.ctx, forewarn.Actor{Kind: forewarn.ActorPeer, ID: "TR-MIT"}, sm, receipt); err != nil {
				t.Fatal(err)
			}
			subject := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}}
			if err := e.store.CreateSubject(e.ctx, actor, subject); err != nil {
				t.Fatal(err)
			}
			match := &forewarn.Match{ID: forewarn.NewID(now), MessageID: m.ID, PersonRef: "p1", Fingerprint: "fp", SubjectID: subject.ID, Score: 0.9, Summary: name + " is " + subject.Names[0].Value,
				Explanation: json.RawMessage(`{}`), Status: forewarn.MatchPending, CreatedAt: now}
			if err := e.store.CreateMatches(e.ctx, actor, []*forewarn.Match{match}, nil); err != nil {
				t.Fatal(err)
			}
			said := &forewarn.Claim{SubjectID: subject.ID, Kind: forewarn.ClaimAttribute, Value: "known in Turkey as " + name, Source: forewarn.Source{Agency: "TR-MIT"},
				Grading: forewarn.Grading{Reliability: "F", Credibility: 6}, MessageID: m.ID}
			if err := e.store.ConfirmMatch(e.ctx, actor, match.ID, "same man", []forewarn.Name{{Value: name, Kind: forewarn.NameAlias, Source: "TR-MIT"}}, []*forewarn.Claim{said}); err != nil {
				t.Fatal(err)
			}
			refusals := func() int {
				es, err := e.store.AuditEntries(e.ctx, forewarn.AuditFilter{Action: app.ActionEgressRefused})
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range es {
					if a.ObjectID != m.ID || !strings.Contains(a.Detail, "mark=marks.") || strings.Contains(a.Detail, "Mostefai") {
						t.Errorf("refusal entry %+v: want the message, the mark named, no content", a)
					}
				}
				return len(es)
			}
			wantRefusals := 0
			check := func(path string, went, want bool) {
				t.Helper()
				if went != want {
					t.Errorf("%s: content went = %t, want %t", path, went, want)
				}
				if !want {
					wantRefusals++
				}
				if got := refusals(); got != wantRefusals {
					t.Errorf("after %s: %d egress.refused entries, want %d", path, got, wantRefusals)
				}
			}

			// Export.
			went := false
			rep, err := e.node.ExportSubjects(e.ctx, actor, app.ExportOptions{Format: "csv"}, func(s *forewarn.Subject, _ []*forewarn.Claim) error {
				for _, n := range s.Names {
					went = went || n.Value == name
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			check("export", went, tt.want.export)
			if (rep.Withheld > 0) == tt.want.export {
				t.Errorf("export withheld %d", rep.Withheld)
			}

			// The TAXII server: the subject published into an open collection.
			tx := &app.TAXII{Node: e.node, Codec: stix.Codec{}}
			col := &forewarn.TAXIICollection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "Open"}
			if err := e.store.CreateCollection(e.ctx, actor, col); err != nil {
				t.Fatal(err)
			}
			obj, err := tx.PublishSubject(e.ctx, actor, col.ID, subject.ID, forewarn.HandlingMarks{TLP: forewarn.TLPClear})
			if err != nil {
				t.Fatal(err)
			}
			check("taxii", strings.Contains(string(obj.Object), name), tt.want.taxii)

			// E-mail (the local capture) and webhook, on a node that lets detail out where
			// marks allow. The arrival was urgent, so both were queued when it arrived.
			ms := app.NewMessages(e.node, nil)
			mailDir := t.TempDir()
			n := app.NewNotifier(e.node)
			n.Email, n.Webhooks, n.AllowDetail = &email.Dir{Path: mailDir, From: "forewarn@dgsi.example"}, webhook.NewSender(5*time.Second), true
			if _, err := n.Tick(e.ctx); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml"))
			mailed := false
			for _, f := range files {
				b, _ := os.ReadFile(f)
				mailed = mailed || strings.Contains(string(b), name)
			}
			hooked, hooks := false, 0
			recv.mu.Lock()
			for _, ev := range recv.events {
				hooks++
				hooked = hooked || (ev.Detail != nil && strings.Contains(strings.Join(ev.Detail.Persons, " "), name))
			}
			recv.mu.Unlock()
			if len(files) == 0 || hooks == 0 {
				t.Fatalf("%d e-mails and %d webhook events went out: the notification must go, with or without detail", len(files), hooks)
			}
			// One refusal for each notification that went without its detail; check
			// counts one per way out.
			if !tt.want.email {
				wantRefusals += len(files) - 1
			}
			if !tt.want.webhook {
				wantRefusals += hooks
			}
			check("email", mailed, tt.want.email)
			if !tt.want.webhook {
				wantRefusals--
			}
			check("webhook", hooked, tt.want.webhook)

			// A reply to the originator, which may quote it.
			reply := storetest.NewReply(forewarn.KindResponse, "FR-DGSI", "TR-MIT", m.ID, "", now)
			reply.Marks = forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{"TR-MIT"}, OriginatorConsentRequired: tt.marks.OriginatorConsentRequired}
			_, err = ms.Send(e.ctx, actor, reply)
			check("reply", err == nil, tt.want.reply)
			if err != nil {
				t.Logf("reply refused: %v", err)
			}

			// The JSON API: a person's token, then a program's.
			srv := httpapi.NewServer(e.node, nil)
			srv.Messages = ms
			api := httptest.NewServer(srv)
			defer api.Close()
			get := func(program bool, path string) (int, string) {
				newToken := app.NewTokenFor
				if program {
					newToken = app.NewProgramToken
				}
				secret, _, err := newToken(e.ctx, e.node, actor, "desk", forewarn.RoleLiaison, "test", 0)
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("GET", api.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("Forewarn-Purpose", "investigation")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body strings.Builder
				b := make([]byte, 4096)
				for {
					k, err := res.Body.Read(b)
					body.Write(b[:k])
					if err != nil {
						break
					}
				}
				return res.StatusCode, body.String()
			}
			code, body := get(false, "/api/v1/messages/"+m.ID)
			check("api to a person", code == http.StatusOK && strings.Contains(body, name), tt.want.person)
			code, body = get(true, "/api/v1/messages/"+m.ID)
			check("api to a program", code == http.StatusOK && strings.Contains(body, name), tt.want.program)
			if !tt.want.program && (code != http.StatusForbidden || !strings.Contains(body, "marks.tlp")) {
				t.Errorf("program refused with %d %s; want 403 naming marks.tlp", code, body)
			}

			// The program's other reads of personal data: the subject (which took the name
			// as an alias when the match was confirmed), its timeline, the match, search.
			if err := e.node.LoadMatcher(e.ctx); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{
				"/api/v1/subjects",
				"/api/v1/subjects/" + subject.ID,
				"/api/v1/subjects/" + subject.ID + "/timeline",
				"/api/v1/subjects/" + subject.ID + "/network",
				"/api/v1/subjects/" + subject.ID + "/claims",
				"/api/v1/matches?subject=" + subject.ID,
				"/api/v1/matches/" + match.ID,
				"/api/v1/search?name=Omar+Ismail+Mostefai",
			} {
				code, body := get(false, path)
				if code != http.StatusOK || !strings.Contains(body, "Mostefai") {
					t.Errorf("a person's token reading %s: %d, Mostefai in it %t; want 200 with it", path, code, strings.Contains(body, "Mostefai"))
				}
				code, body = get(true, path)
				went := code == http.StatusOK && strings.Contains(body, "Mostefai")
				if went != tt.want.program {
					t.Errorf("program reading %s: %d, Mostefai in it %t; want %t\n%s", path, code, went, tt.want.program, body)
				}
				if !tt.want.program && !strings.Contains(body, "marks.tlp") {
					t.Errorf("program reading %s: the answer does not name the mark that kept content in:\n%s", path, body)
				}
			}
			// Each read refused was audited once, naming the mark (refusals checks that).
			if !tt.want.program {
				wantRefusals += 8 // subjects, subject, timeline, network, claims, both match reads, search
			}
			check("api reads to a program", true, true)
		})
	}
}
