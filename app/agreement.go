package app

import (
	"context"
	"fmt"

	"github.com/forewarn/forewarn"
)

// ActionAgreementRefused is the audit action of a send refused by a sharing agreement.
const ActionAgreementRefused = "agreement.refused"

// CheckAgreements refuses a send to any recipient whose sharing agreement does not cover
// it, before anything is stored or leaves: the refusal (EFORBIDDEN, its Field naming the
// term) is recorded in the audit trail against the peer. forwarded says the message
// carries content another agency originated. A peer without an agreement is not
// restricted by one.
func (n *Node) CheckAgreements(ctx context.Context, actor forewarn.Actor, m *forewarn.Message, forwarded bool) error {
	ac, err := n.access(ctx)
	if err != nil {
		return err
	}
	return n.checkAgreements(ctx, ac, actor, m, forwarded)
}

// checkAgreements is CheckAgreements with the agreements read through ac.
func (n *Node) checkAgreements(ctx context.Context, ac access, actor forewarn.Actor, m *forewarn.Message, forwarded bool) error {
	for _, to := range m.To {
		a, err := ac.agreement(ctx, n.Store, to)
		if err != nil {
			return err
		}
		if a == nil {
			continue
		}
		refusal := a.Permits(m, forwarded)
		if refusal == nil {
			continue
		}
		term, why := "", refusal.Error()
		if fe, ok := refusal.(*forewarn.Error); ok {
			term, why = fe.Field, fe.Message
		}
		detail := fmt.Sprintf("%s TLP:%s to %s, term=%s: %s", m.Kind, m.Marks.TLP, to, term, why)
		if err := n.Store.RecordAudit(ctx, &forewarn.AuditEntry{Actor: actor, Action: ActionAgreementRefused, ObjectType: "peer", ObjectID: to, Detail: truncate(detail, 500)}); err != nil {
			return err
		}
		return refusal
	}
	return nil
}
