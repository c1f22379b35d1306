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
