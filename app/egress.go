package app

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

// CheckEgress is the one place every way out of the node asks before content that came
// under handling marks leaves: forwarding and replies to other agencies, exports (FtM,
// CSV, STIX), the TAXII server, e-mail and webhook notifications, and the JSON API to
// other programs' tokens. It applies forewarn.HandlingMarks.PermitsEgress and, when that
// refuses, records the refusal in the audit trail ("egress.refused", naming the way out,
// the recipient and the mark) before returning the EFORBIDDEN error, whose Field names
// the mark. The caller then keeps the content in: it refuses the request, or leaves the
// item out and says so.
func (n *Node) CheckEgress(ctx context.Context, actor forewarn.Actor, e forewarn.Egress) error {
	refusal := e.Marks.PermitsEgress(e)
	if refusal == nil {
		return nil
	}
	if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: ActionEgressRefused, ObjectType: "message", ObjectID: e.MessageID,
		Detail: EgressDetail(e, refusal)}); err != nil {
		return err
	}
	return refusal
}

// ActionEgressRefused is the audit action of a refused way out.
const ActionEgressRefused = "egress.refused"

// EgressDetail is the audit detail of a refused release: the way out, the recipient, the
// originator and the mark, never the content.
func EgressDetail(e forewarn.Egress, refusal error) string {
	mark, why := "", refusal.Error()
	if fe, ok := refusal.(*forewarn.Error); ok {
		mark, why = fe.Field, fe.Message
	}
	d := fmt.Sprintf("path=%s mark=%s", e.Path, mark)
	if e.To != "" {
		d += " to=" + e.To
	}
	if e.Originator != "" {
		d += " originator=" + e.Originator
	}
	return truncate(d+": "+why, 500)
}

// WithholdFromSubject removes from s, in place, the names that came into it from received
// messages whose handling marks forbid them to leave by path (a confirmed match merged
// them, with the message's sender as their source), asking CheckEgress once per message,
// which audits each refusal. It returns how many names it removed. Exports and the TAXII
// server call it before a subject leaves the node.
func (n *Node) WithholdFromSubject(ctx context.Context, actor forewarn.Actor, path forewarn.EgressPath, s *forewarn.Subject) (int, error) {
	return n.EgressGate(actor, path).Subject(ctx, s)
}
