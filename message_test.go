package forewarn

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	msgNow     = time.Date(2014, 12, 3, 9, 0, 0, 0, time.UTC)
	msgID      = "0149f1a2-7c00-7abc-8def-0123456789ab"
	msgOtherID = "0149f1a2-7c00-7abc-9def-0123456789ac"
)

func testPerson(ref string) PersonDescriptor {
	return PersonDescriptor{
		Ref:           ref,
		Names:         []Name{{Value: "Omar Ismail Mostefai", Kind: NamePrimary, Script: "Latn", Lang: "tr"}},
		BirthDate:     PartialDate{Year: 1985},
		Nationalities: []string{"FR"},
		Gender:        GenderMale,
		Documents:     []Document{{Kind: "passport", Number: "05AB12345", Country: "FR"}},
		Claims: []PersonClaim{{
			Kind: ClaimTravelEntry, Value: "TR", ValidFrom: PartialDate{Year: 2013},
			Source: Source{Agency: "TR-MIT", Name: "border control"}, Grading: Grading{Reliability: "B", Credibility: 2},
		}},
	}
}

func testNotification() *Message {
	p1, p2 := testPerson("p1"), testPerson("p2")
	p2.Names = []Name{{Value: "Fouad Mohamed-Aggad", Kind: NamePrimary}}
	p1.Links = []PersonLink{{Kind: AssocAssociateOf, To: "p2"}, {Kind: AssocIdentifiedWith, Message: msgOtherID}}
	return &Message{
		ID: msgID, Version: 1, From: "TR-MIT", To: []string{"FR-DGSI"},
		Created: msgNow, Kind: KindNotification,
		Marks: HandlingMarks{TLP: TLPAmber, ReleasableTo: []string{"FR-DGSI"}},
		Notification: &Notification{
			Summary: "A fifth man identified while investigating the four.", Priority: PriorityUrgent,
			Persons: []PersonDescriptor{p1, p2}, AcknowledgeBy: msgNow.Add(24 * time.Hour),
		},
	}
}

func testRequest() *Message {
	m := testNotification()
	m.Kind, m.Notification = KindRequest, nil
	m.Request = &Request{Subject: "Four suspects", Questions: "What do you hold on them?",
		Persons: []PersonDescriptor{testPerson("p1")}, Deadline: msgNow.Add(7 * 24 * time.Hour)}
	return m
}

func testResponse() *Message {
	m := testNotification()
	m.Kind, m.Notification, m.InReplyTo = KindResponse, nil, msgOtherID
	m.Response = &Response{Answer: "Known to us.", Persons: []PersonDescriptor{testPerson("p1")}}
	return m
}

func testAck() *Message {
	m := testNotification()
	m.Kind, m.Notification, m.InReplyTo = KindAcknowledgement, nil, msgOtherID
	m.Ack = &Acknowledgement{Stage: AckActioned, Outcome: OutcomeActionTaken, Reason: "Surveillance opened."}
	return m
}

func TestMessageValidateAcceptsEachKind(t *testing.T) {
	for _, m := range []*Message{testRequest(), testNotification(), testResponse(), testAck()} {
		if err := m.Validate(msgNow); err != nil {
			t.Errorf("%s: %v", m.Kind, err)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "FR-X" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		}
		return out
	}
	tests := []struct {
		name   string
		base   func() *Message
		mutate func(m *Message)
		field  string
		rule   string
		code   string // EINVALID when empty
	}{
		{"id missing", testNotification, func(m *Message) { m.ID = "" }, "id", "uuidv7", ""},
		{"id not v7", testNotification, func(m *Message) { m.ID = "0149f1a2-7c00-4abc-8def-0123456789ab" }, "id", "uuidv7", ""},
		{"id upper case", testNotification, func(m *Message) { m.ID = strings.ToUpper(msgID) }, "id", "uuidv7", ""},
		{"version zero", testNotification, func(m *Message) { m.Version = 0 }, "version", "required", ""},
		{"version newer", testNotification, func(m *Message) { m.Version = MessageVersion + 1 }, "version", "supported", ""},
		{"from malformed", testNotification, func(m *Message) { m.From = "tr-mit" }, "from", "agency_code", ""},
		{"to empty", testNotification, func(m *Message) { m.To = nil }, "to", "required", ""},
		{"to malformed", testNotification, func(m *Message) { m.To = []string{"FRANCE"} }, "to[0]", "agency_code", ""},
		{"to duplicate", testNotification, func(m *Message) { m.To = []string{"FR-DGSI", "FR-DGSI"} }, "to[1]", "unique", ""},
		{"to too many", testNotification, func(m *Message) { m.To = many(MaxRecipients + 1) }, "to", "max_items", ""},
		{"to self", testNotification, func(m *Message) { m.To = []string{"TR-MIT"}; m.Marks.ReleasableTo = nil }, "to[0]", "not_sender", ""},
		{"created missing", testNotification, func(m *Message) { m.Created = time.Time{} }, "created", "required", ""},
		{"created in future", testNotification, func(m *Message) {
			m.Created = msgNow.Add(MaxClockSkew + time.Second)
			m.Notification.AcknowledgeBy = m.Created.Add(time.Hour)
		}, "created", "not_future", ""},
		{"in_reply_to malformed", testNotification, func(m *Message) { m.InReplyTo = "42" }, "in_reply_to", "uuidv7", ""},
		{"in_reply_to self", testNotification, func(m *Message) { m.InReplyTo = m.ID }, "in_reply_to", "not_self", ""},
		{"tlp missing", testNotification, func(m *Message) { m.Marks.TLP = "" }, "marks.tlp", "required", ""},
		{"tlp unknown", testNotification, func(m *Message) { m.Marks.TLP = "WHITE" }, "marks.tlp", "enum", ""},
		{"releasable malformed", testNotification, func(m *Message) { m.Marks.ReleasableTo = []string{"FR-DGSI", "x"} }, "marks.releasable_to[1]", "agency_code", ""},
		{"releasable duplicate", testNotification, func(m *Message) { m.Marks.ReleasableTo = []string{"FR-DGSI", "FR-DGSI"} }, "marks.releasable_to[1]", "unique", ""},
		{"releasable too many", testNotification, func(m *Message) { m.Marks.ReleasableTo = many(MaxRecipients + 1) }, "marks.releasable_to", "max_items", ""},
		{"red without recipients", testNotification, func(m *Message) { m.Marks = HandlingMarks{TLP: TLPRed} }, "marks.releasable_to", "required", ""},
		{"amber+strict without recipients", testNotification, func(m *Message) { m.Marks = HandlingMarks{TLP: TLPAmberStrict} }, "marks.releasable_to", "required", ""},
		{"recipient not releasable", testNotification, func(m *Message) { m.To = []string{"FR-DGSI", "BE-VSSE"} }, "to[1]", "releasable", EFORBIDDEN},
		{"kind missing", testNotification, func(m *Message) { m.Kind = "" }, "kind", "required", ""},
		{"kind unknown", testNotification, func(m *Message) { m.Kind = "warning" }, "kind", "enum", ""},
		{"payload missing", testNotification, func(m *Message) { m.Notification = nil }, "notification", "required", ""},
		{"payload does not match kind", testNotification, func(m *Message) { m.Kind = KindRequest }, "request", "required", ""},
		{"two payloads", testNotification, func(m *Message) { m.Ack = &Acknowledgement{Stage: AckRead} }, "notification", "one_payload", ""},

		{"request subject missing", testRequest, func(m *Message) { m.Request.Subject = " " }, "request.subject", "required", ""},
		{"request subject too long", testRequest, func(m *Message) { m.Request.Subject = long(MaxTitleBytes + 1) }, "request.subject", "max_length", ""},
		{"request subject two lines", testRequest, func(m *Message) { m.Request.Subject = "a\nb" }, "request.subject", "single_line", ""},
		{"request questions missing", testRequest, func(m *Message) { m.Request.Questions = "" }, "request.questions", "required", ""},
		{"request questions too long", testRequest, func(m *Message) { m.Request.Questions = long(MaxMessageText + 1) }, "request.questions", "max_length", ""},
		{"request questions invalid utf8", testRequest, func(m *Message) { m.Request.Questions = "a\xffb" }, "request.questions", "utf8", ""},
		{"request priority unknown", testRequest, func(m *Message) { m.Request.Priority = "asap" }, "request.priority", "enum", ""},
		{"request deadline missing", testRequest, func(m *Message) { m.Request.Deadline = time.Time{} }, "request.deadline", "required", ""},
		{"request deadline before created", testRequest, func(m *Message) { m.Request.Deadline = msgNow }, "request.deadline", "after_created", ""},
		{"request without persons", testRequest, func(m *Message) { m.Request.Persons = nil }, "request.persons", "required", ""},

		{"notification summary missing", testNotification, func(m *Message) { m.Notification.Summary = "" }, "notification.summary", "required", ""},
		{"notification priority missing", testNotification, func(m *Message) { m.Notification.Priority = "" }, "notification.priority", "required", ""},
		{"notification priority unknown", testNotification, func(m *Message) { m.Notification.Priority = "high" }, "notification.priority", "enum", ""},
		{"notification acknowledge_by missing", testNotification, func(m *Message) { m.Notification.AcknowledgeBy = time.Time{} }, "notification.acknowledge_by", "required", ""},
		{"notification acknowledge_by before created", testNotification, func(m *Message) { m.Notification.AcknowledgeBy = msgNow.Add(-time.Hour) }, "notification.acknowledge_by", "after_created", ""},
		{"notification without persons", testNotification, func(m *Message) { m.Notification.Persons = nil }, "notification.persons", "required", ""},
		{"too many persons", testNotification, func(m *Message) {
			ps := make([]PersonDescriptor, MaxPersons+1)
			for i := range ps {
				ps[i] = testPerson("p" + strings.Repeat("1", i+1))
			}
			m.Notification.Persons = ps
		}, "notification.persons", "max_items", ""},

		{"person ref missing", testNotification, func(m *Message) { m.Notification.Persons[1].Ref = "" }, "notification.persons[1].ref", "required", ""},
		{"person ref malformed", testNotification, func(m *Message) { m.Notification.Persons[1].Ref = "p 2" }, "notification.persons[1].ref", "format", ""},
		{"person ref too long", testNotification, func(m *Message) { m.Notification.Persons[1].Ref = long(MaxRefBytes + 1) }, "notification.persons[1].ref", "max_length", ""},
		{"person ref duplicate", testNotification, func(m *Message) { m.Notification.Persons[1].Ref = "p1" }, "notification.persons[1].ref", "unique", ""},
		{"person without names", testNotification, func(m *Message) { m.Notification.Persons[0].Names = nil }, "notification.persons[0].names", "required", ""},
		{"person name empty", testNotification, func(m *Message) { m.Notification.Persons[0].Names[0].Value = "" }, "notification.persons[0].names[0].value", "required", ""},
		{"person name too long", testNotification, func(m *Message) { m.Notification.Persons[0].Names[0].Value = long(MaxNameBytes + 1) }, "notification.persons[0].names[0].value", "max_length", ""},
		{"person name invalid utf8", testNotification, func(m *Message) { m.Notification.Persons[0].Names[0].Value = "Omar \xc3" }, "notification.persons[0].names[0].value", "utf8", ""},
		{"person name two lines", testNotification, func(m *Message) { m.Notification.Persons[0].Names[0].Value = "Omar\nIsmail" }, "notification.persons[0].names[0].value", "single_line", ""},
		{"person without primary name", testNotification, func(m *Message) { m.Notification.Persons[0].Names[0].Kind = NameAlias }, "notification.persons[0].names", "one_primary", ""},
		{"person born in future", testNotification, func(m *Message) { m.Notification.Persons[0].BirthDate = PartialDate{Year: 2015} }, "notification.persons[0].birth_date", "not_future", ""},
		{"person nationality unknown", testNotification, func(m *Message) { m.Notification.Persons[0].Nationalities = []string{"XX"} }, "notification.persons[0].nationalities[0]", "iso3166", ""},
		{"person document number missing", testNotification, func(m *Message) { m.Notification.Persons[0].Documents[0].Number = "" }, "notification.persons[0].documents[0].number", "required", ""},
		{"person gender unknown", testNotification, func(m *Message) { m.Notification.Persons[0].Gender = "m" }, "notification.persons[0].gender", "enum", ""},
		{"person watch unknown", testNotification, func(m *Message) { m.Notification.Persons[0].Watch = "maybe" }, "notification.persons[0].watch", "enum", ""},

		{"link kind unknown", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].Kind = "friend_of" }, "notification.persons[0].links[0].kind", "enum", ""},
		{"link to unknown ref", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].To = "p9" }, "notification.persons[0].links[0].to", "ref", ""},
		{"link to self", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].To = "p1" }, "notification.persons[0].links[0].to", "not_self", ""},
		{"link without target", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].To = "" }, "notification.persons[0].links[0].to", "required", ""},
		{"link with two targets", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].Message = msgOtherID }, "notification.persons[0].links[0]", "one_target", ""},
		{"link message malformed", testNotification, func(m *Message) { m.Notification.Persons[0].Links[1].Message = "req-1" }, "notification.persons[0].links[1].message", "uuidv7", ""},
		{"link message on associate_of", testNotification, func(m *Message) { m.Notification.Persons[0].Links[1].Kind = AssocAssociateOf }, "notification.persons[0].links[1].message", "identified_through", ""},
		{"link note too long", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].Note = long(maxClaimNoteBytes + 1) }, "notification.persons[0].links[0].note", "max_length", ""},
		{"too many links", testNotification, func(m *Message) {
			m.Notification.Persons[0].Links = make([]PersonLink, MaxPersonLinks+1)
		}, "notification.persons[0].links", "max_items", ""},

		{"claim kind unknown", testNotification, func(m *Message) { m.Notification.Persons[0].Claims[0].Kind = "rumour" }, "notification.persons[0].claims[0].kind", "enum", ""},
		{"claim travel value not a country", testNotification, func(m *Message) { m.Notification.Persons[0].Claims[0].Value = "Turkey" }, "notification.persons[0].claims[0].value", "iso3166", ""},
		{"claim without source", testNotification, func(m *Message) { m.Notification.Persons[0].Claims[0].Source = Source{} }, "notification.persons[0].claims[0].source", "required", ""},
		{"claim grading out of range", testNotification, func(m *Message) { m.Notification.Persons[0].Claims[0].Grading.Credibility = 7 }, "notification.persons[0].claims[0].grading.credibility", "admiralty", ""},
		{"claim valid_from in future", testNotification, func(m *Message) { m.Notification.Persons[0].Claims[0].ValidFrom = PartialDate{Year: 2016} }, "notification.persons[0].claims[0].valid_from", "not_future", ""},
		{"too many claims", testNotification, func(m *Message) {
			m.Notification.Persons[0].Claims = make([]PersonClaim, MaxPersonClaims+1)
		}, "notification.persons[0].claims", "max_items", ""},

		{"response without in_reply_to", testResponse, func(m *Message) { m.InReplyTo = "" }, "in_reply_to", "required", ""},
		{"response answer missing", testResponse, func(m *Message) { m.Response.Answer = "" }, "response.answer", "required", ""},
		{"response person invalid", testResponse, func(m *Message) { m.Response.Persons[0].Names = nil }, "response.persons[0].names", "required", ""},

		{"ack without in_reply_to", testAck, func(m *Message) { m.InReplyTo = "" }, "in_reply_to", "required", ""},
		{"ack stage missing", testAck, func(m *Message) { m.Ack.Stage = "" }, "ack.stage", "required", ""},
		{"ack stage unknown", testAck, func(m *Message) { m.Ack.Stage = "seen" }, "ack.stage", "enum", ""},
		{"ack outcome malformed", testAck, func(m *Message) { m.Ack.Outcome = "Action Taken" }, "ack.outcome", "format", ""},
		{"ack outcome too long", testAck, func(m *Message) { m.Ack.Outcome = long(MaxOutcomeBytes + 1) }, "ack.outcome", "max_length", ""},
		{"actioned without outcome", testAck, func(m *Message) { m.Ack.Outcome = "" }, "ack.outcome", "required", ""},
		{"actioned without reason", testAck, func(m *Message) { m.Ack.Reason = " " }, "ack.reason", "required", ""},
		{"ack reason too long", testAck, func(m *Message) { m.Ack.Reason = long(MaxReasonBytes + 1) }, "ack.reason", "max_length", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.base()
			tt.mutate(m)
			err := m.Validate(msgNow)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate = %v, want an *Error for %s/%s", err, tt.field, tt.rule)
			}
			code := tt.code
			if code == "" {
				code = EINVALID
			}
			if e.Field != tt.field || e.Rule != tt.rule || e.Code != code {
				t.Errorf("Validate = %s/%s/%s (%v), want %s/%s/%s", e.Code, e.Field, e.Rule, err, code, tt.field, tt.rule)
			}
		})
	}
}

func TestMessageValidateAcceptsOptionalVariants(t *testing.T) {
	tests := []struct {
		name   string
		base   func() *Message
		mutate func(m *Message)
	}{
		{"request without priority means routine", testRequest, func(m *Message) { m.Request.Priority = "" }},
		{"response without persons", testResponse, func(m *Message) { m.Response.Persons = nil }},
		{"received ack without outcome or reason", testAck, func(m *Message) { *m.Ack = Acknowledgement{Stage: AckReceived} }},
		{"clear marks without list", testNotification, func(m *Message) { m.Marks = HandlingMarks{TLP: TLPClear} }},
		{"notification replying in a thread", testNotification, func(m *Message) { m.InReplyTo = msgOtherID }},
		{"created within clock skew", testNotification, func(m *Message) { m.Created = msgNow.Add(MaxClockSkew) }},
		{"relative_of link", testNotification, func(m *Message) { m.Notification.Persons[0].Links[0].Kind = AssocRelativeOf }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.base()
			tt.mutate(m)
			if err := m.Validate(msgNow); err != nil {
				t.Errorf("Validate = %v, want nil", err)
			}
		})
	}
}

func TestHandlingMarksPermits(t *testing.T) {
	tests := []struct {
		name      string
		marks     HandlingMarks
		recipient string
		ok        bool
	}{
		{"clear, no list, anyone", HandlingMarks{TLP: TLPClear}, "BE-VSSE", true},
		{"amber, no list, anyone", HandlingMarks{TLP: TLPAmber}, "BE-VSSE", true},
		{"green, listed", HandlingMarks{TLP: TLPGreen, ReleasableTo: []string{"FR-DGSI"}}, "FR-DGSI", true},
		{"green, not listed", HandlingMarks{TLP: TLPGreen, ReleasableTo: []string{"FR-DGSI"}}, "BE-VSSE", false},
		{"red, listed", HandlingMarks{TLP: TLPRed, ReleasableTo: []string{"FR-DGSI"}}, "FR-DGSI", true},
		{"red, not listed", HandlingMarks{TLP: TLPRed, ReleasableTo: []string{"FR-DGSI"}}, "BE-VSSE", false},
		{"red, no list", HandlingMarks{TLP: TLPRed}, "FR-DGSI", false},
		{"amber+strict, no list", HandlingMarks{TLP: TLPAmberStrict}, "FR-DGSI", false},
		{"amber+strict, listed", HandlingMarks{TLP: TLPAmberStrict, ReleasableTo: []string{"FR-DGSI"}}, "FR-DGSI", true},
		{"no tlp", HandlingMarks{}, "FR-DGSI", false},
		{"unknown tlp", HandlingMarks{TLP: "WHITE"}, "FR-DGSI", false},
		{"malformed recipient", HandlingMarks{TLP: TLPClear}, "france", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.marks.Permits(tt.recipient)
			if tt.ok && err != nil {
				t.Fatalf("Permits(%s) = %v, want nil", tt.recipient, err)
			}
			if !tt.ok && ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("Permits(%s) = %v, want an EFORBIDDEN error", tt.recipient, err)
			}
		})
	}
}

func TestHandlingMarksPermitsOnward(t *testing.T) {
	tests := []struct {
		name      string
		marks     HandlingMarks
		consented bool
		ok        bool
	}{
		{"clear", HandlingMarks{TLP: TLPClear}, false, true},
		{"green", HandlingMarks{TLP: TLPGreen}, false, true},
		{"green, consent required, not given", HandlingMarks{TLP: TLPGreen, OriginatorConsentRequired: true}, false, false},
		{"green, consent required, given", HandlingMarks{TLP: TLPGreen, OriginatorConsentRequired: true}, true, true},
		{"green, recipient not listed", HandlingMarks{TLP: TLPGreen, ReleasableTo: []string{"FR-DGSI"}}, false, false},
		{"amber not onward without consent", HandlingMarks{TLP: TLPAmber}, false, false},
		{"amber+strict not onward without consent, even listed", HandlingMarks{TLP: TLPAmberStrict, ReleasableTo: []string{"BE-VSSE"}}, false, false},
		{"red not onward without consent, even listed", HandlingMarks{TLP: TLPRed, ReleasableTo: []string{"BE-VSSE"}}, false, false},
		// TLP 2.0: sharing more widely than the level says needs the source's explicit
		// permission, which the originator's consent is.
		{"green, recipient not listed, consented", HandlingMarks{TLP: TLPGreen, ReleasableTo: []string{"FR-DGSI"}}, true, true},
		{"amber with consent", HandlingMarks{TLP: TLPAmber}, true, true},
		{"red with consent", HandlingMarks{TLP: TLPRed, ReleasableTo: []string{"FR-DGSI"}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.marks.PermitsOnward("BE-VSSE", tt.consented)
			if tt.ok && err != nil {
				t.Fatalf("PermitsOnward = %v, want nil", err)
			}
			if !tt.ok && ErrorCode(err) != EFORBIDDEN {
				t.Fatalf("PermitsOnward = %v, want an EFORBIDDEN error", err)
			}
		})
	}
}

func TestMessageNormalize(t *testing.T) {
	m := testRequest()
	m.Version, m.Request.Priority = 0, ""
	m.Request.Persons[0].Names = []Name{{Value: " Ismaël Omar Mostefaï "}, {Value: "Abu Hamza"}}
	m.Request.Persons[0].Nationalities = []string{"fr"}
	m.Normalize()
	p := m.Request.Persons[0]
	if m.Version != MessageVersion || m.Request.Priority != PriorityRoutine {
		t.Errorf("version %d, priority %q; want %d, routine", m.Version, m.Request.Priority, MessageVersion)
	}
	if p.Names[0].Kind != NamePrimary || p.Names[1].Kind != NameAlias || p.Names[0].Value != "Ismaël Omar Mostefaï" {
		t.Errorf("names = %+v, want a trimmed primary then an alias", p.Names)
	}
	if p.Nationalities[0] != "FR" {
		t.Errorf("nationality = %q, want FR", p.Nationalities[0])
	}
	if err := m.Validate(msgNow); err != nil {
		t.Errorf("normalised message does not validate: %v", err)
	}
}

func TestMessageIDsFromNewIDAreValid(t *testing.T) {
	for range 100 {
		if id := NewID(msgNow); !IsMessageID(id) {
			t.Fatalf("NewID = %q, which IsMessageID refuses", id)
		}
	}
}

func TestAgo(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "less than a minute"},
		{40 * time.Minute, "40 min"},
		{3*time.Hour + 10*time.Minute, "3 h"},
		{-26 * time.Hour, "26 h"},
		{5 * 24 * time.Hour, "5 days"},
		{335 * 24 * time.Hour, "11 months"},
		{800 * 24 * time.Hour, "2 years"},
	} {
		if got := Ago(tc.d); got != tc.want {
			t.Errorf("Ago(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
