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
	barred := map[string]bool{} // sender agencies whose names are held back
	for offset := 0; ; {
		page, total, err := n.Store.Matches(ctx, forewarn.MatchFilter{SubjectID: s.ID, Status: forewarn.MatchConfirmed, Offset: offset, Limit: 1000})
		if err != nil {
			return 0, err
		}
		for _, m := range page {
			sm, err := n.Store.Message(ctx, m.MessageID)
			if err != nil {
				return 0, err
			}
			if sm.Direction != forewarn.DirectionIn || barred[sm.Message.From] {
				continue
			}
			err = n.CheckEgress(ctx, actor, forewarn.Egress{Path: path, MessageID: m.MessageID, Marks: sm.Message.Marks, Originator: sm.Message.From})
			if forewarn.ErrorCode(err) == forewarn.EFORBIDDEN {
				barred[sm.Message.From] = true
			} else if err != nil {
				return 0, err
			}
		}
		offset += len(page)
		if len(page) == 0 || offset >= total {
			break
		}
	}
	withheld := 0
	kept := s.Names[:0]
	for _, nm := range s.Names {
		if nm.Kind == forewarn.NameAlias && barred[nm.Source] {
			withheld++
			continue
		}
		kept = append(kept, nm)
	}
	s.Names = kept
	return withheld, nil
}
