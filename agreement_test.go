package forewarn

import "testing"

func TestSharingAgreementPermits(t *testing.T) {
	a := &SharingAgreement{Agency: "BE-VSSE", Kinds: []MessageKind{KindNotification, KindResponse}, MaxTLP: TLPAmber}
	msg := func(k MessageKind, tlp TLP, consent bool) *Message {
		return &Message{Kind: k, Marks: HandlingMarks{TLP: tlp, OriginatorConsentRequired: consent}}
	}
	for _, tc := range []struct {
		name      string
		m         *Message
		forwarded bool
		term      string
	}{
		{"a warning within it", msg(KindNotification, TLPAmber, false), false, ""},
		{"a lower level", msg(KindResponse, TLPClear, false), false, ""},
		{"an acknowledgement always", msg(KindAcknowledgement, TLPRed, true), true, ""},
		{"a kind outside it", msg(KindRequest, TLPGreen, false), false, TermKinds},
		{"above its level", msg(KindNotification, TLPAmberStrict, false), false, TermMaxTLP},
		{"consent mark not covered", msg(KindNotification, TLPGreen, true), false, TermConsentRequired},
		{"forwarded not covered", msg(KindNotification, TLPGreen, false), true, TermForwarded},
	} {
		err := a.Permits(tc.m, tc.forwarded)
		fe, _ := err.(*Error)
		switch {
		case tc.term == "" && err != nil:
			t.Errorf("%s: %v, want it to go", tc.name, err)
		case tc.term != "" && (fe == nil || fe.Code != EFORBIDDEN || fe.Field != tc.term):
			t.Errorf("%s: %v, want EFORBIDDEN naming %s", tc.name, err, tc.term)
		}
	}
	b := *a
	b.ConsentRequired, b.Forwarded = true, true
	if err := b.Permits(msg(KindNotification, TLPGreen, true), true); err != nil {
		t.Errorf("an agreement covering consent marks and forwarded content refused: %v", err)
	}
}

// TestSharingAgreementPermitsPrivateQuery: private_match is a kind an agreement may list;
// without it a private query is refused naming agreement.kinds.
func TestSharingAgreementPermitsPrivateQuery(t *testing.T) {
	a := &SharingAgreement{Agency: "BE-VSSE", Kinds: []MessageKind{KindNotification}, MaxTLP: TLPAmber}
	if fe, ok := a.PermitsPrivateQuery().(*Error); !ok || fe.Code != EFORBIDDEN || fe.Field != TermKinds || fe.Rule != "agreement" {
		t.Errorf("a private query under an agreement without private_match = %#v, want EFORBIDDEN naming %s", a.PermitsPrivateQuery(), TermKinds)
	}
	a.Kinds = append(a.Kinds, KindPrivateMatch)
	if err := a.Validate(); err != nil {
		t.Fatalf("an agreement listing private_match does not validate: %v", err)
	}
	if err := a.PermitsPrivateQuery(); err != nil {
		t.Errorf("a private query under an agreement with private_match = %v, want it to go", err)
	}
	if err := a.Permits(&Message{Kind: KindNotification, Marks: HandlingMarks{TLP: TLPGreen}}, false); err != nil {
		t.Errorf("private_match in the kinds changed what messages go: %v", err)
	}
}
