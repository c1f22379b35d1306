package main

import (
	"context"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestReplyGoesToRequester: France answers Turkey's TLP:RED request. An answer sent to a
// third agency, or marked less strictly than the request, is refused and does not close
// the request as answered; the answer to Turkey, as strictly marked, does.
func TestReplyGoesToRequester(t *testing.T) {
	ctx := context.Background()
	_, c := threeNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	req, err := tr.msgs.Send(ctx, actor(forewarn.RoleLiaison), &forewarn.Message{Kind: forewarn.KindRequest, To: []string{agencyFR.Code},
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyFR.Code}, OriginatorConsentRequired: true},
		Request: &forewarn.Request{Subject: "Fifth man", Questions: "Do you know him?", Priority: forewarn.PriorityUrgent,
			Persons: []forewarn.PersonDescriptor{person("p1", "Omar Ismail Mostefai", "1985", "FR")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.at(ctx, c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := fr.node.Store.MessageFrom(ctx, agencyTR.Code, req.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(to string, marks forewarn.HandlingMarks) error {
		_, err := fr.msgs.Send(ctx, actor(forewarn.RoleLiaison), &forewarn.Message{Kind: forewarn.KindResponse, To: []string{to},
			InReplyTo: got.Message.ID, Marks: marks, Response: &forewarn.Response{Answer: "Yes: Ismaël Omar Mostefaï."}})
		return err
	}
	strict := forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyTR.Code}, OriginatorConsentRequired: true}
	refused := []struct {
		name, to, field string
		marks           forewarn.HandlingMarks
	}{
		{"to a third agency", agencyDE.Code, "to", forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyDE.Code}, OriginatorConsentRequired: true}},
		{"a weaker TLP", agencyTR.Code, "marks.tlp", forewarn.HandlingMarks{TLP: forewarn.TLPGreen}},
		{"releasable further", agencyTR.Code, "marks.releasable_to", forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyTR.Code, agencyDE.Code}, OriginatorConsentRequired: true}},
		{"consent dropped", agencyTR.Code, "marks.originator_consent_required", forewarn.HandlingMarks{TLP: forewarn.TLPRed, ReleasableTo: []string{agencyTR.Code}}},
	}
	for _, tc := range refused {
		err := answer(tc.to, tc.marks)
		if fe, ok := err.(*forewarn.Error); !ok || fe.Code != forewarn.EINVALID || fe.Field != tc.field {
			t.Errorf("a response %s: %v, want EINVALID on %s", tc.name, err, tc.field)
		}
		if held, _ := fr.node.Store.Message(ctx, got.Message.ID); held.Delivery(agencyFR.Code).Actioned() {
			t.Fatalf("a response %s closed the request as answered", tc.name)
		}
	}
	if err := answer(agencyTR.Code, strict); err != nil {
		t.Fatalf("the answer to the requester: %v", err)
	}
	held, _ := fr.node.Store.Message(ctx, got.Message.ID)
	if d := held.Delivery(agencyFR.Code); !d.Actioned() || d.Outcome != "answered" {
		t.Fatalf("the answered request: %s", d.Status())
	}
}
