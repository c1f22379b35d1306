package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/forewarn/forewarn"
)

// AuditReport is the outcome of verifying the audit trail.
type AuditReport struct {
	Entries     int64 `json:"entries"`     // entries verified before the first problem
	Checkpoints int   `json:"checkpoints"` // signed checkpoints checked
	// Problem names the first bad entry and why; nil when the whole chain verified.
	Problem *forewarn.AuditError `json:"problem,omitempty"`
	// With witnesses (VerifyWitnessed): the last entry each peer vouches for, and the
	// peers that could not be asked, with why.
	Vouches   []Vouch  `json:"vouches,omitempty"`
	Unreached []string `json:"unreached,omitempty"`
}

// VerifyAudit checks the whole audit chain and every signed checkpoint against the node's
// public key, streaming the entries. A broken chain is reported in the report, not as an
// error: err is only for failing to read the store.
func (n *Node) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	// The checkpoints are read first: entries appended while the chain is scanned then
	// only lengthen the unsigned tail instead of looking like a truncation.
	cps, err := n.Store.AuditCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	// Signatures are checked against the key file's key, not the key recorded in the
	// database, which whoever could rewrite the chain could rewrite too.
	v := forewarn.NewAuditVerifier(n.Signer.PublicKey(), cps)
	// The policy the node recorded, not a flag the reader must remember.
	every, err := n.Store.AuditPolicy(ctx)
	if err != nil {
		return nil, err
	}
	v.RequireCheckpointsEvery(every)
	err = n.Store.ScanAudit(ctx, func(e *forewarn.AuditEntry) error {
		if !v.Add(e) {
			return errStopScan
		}
		return nil
	})
	count, verr := v.Finish()
	rep := &AuditReport{Entries: count, Checkpoints: len(cps)}
	var unreadable *forewarn.AuditError
	switch {
	case errors.As(err, &unreadable) && verr == nil:
		rep.Problem = unreadable
	case err != nil && err != errStopScan && !errors.As(err, &unreadable):
		return nil, err
	case verr != nil:
		rep.Problem = verr.(*forewarn.AuditError)
	}
	return rep, nil
}

type stopScan struct{}

func (stopScan) Error() string { return "stop scan" }

var errStopScan error = stopScan{}

// AuditShown records that actor was shown personal data that no change audits: a message
// holding persons, matches, the subjects and messages a draft check found. Callers audit
// before they show, and show nothing when auditing fails. ids are what was shown; one id
// becomes the entry's object, several are listed in its detail (cut to fit).
func (n *Node) AuditShown(ctx context.Context, actor forewarn.Actor, action, objectType string, ids []string, what string) error {
	if len(ids) == 0 {
		return nil
	}
	e := &forewarn.AuditEntry{Actor: actor, Action: action, ObjectType: objectType, Detail: forewarn.AuditText(what, 1000)}
	if len(ids) == 1 {
		e.ObjectID = ids[0]
	} else {
		e.Detail = forewarn.AuditText(fmt.Sprintf("%s: %s", what, strings.Join(ids, ", ")), 1000)
	}
	return n.Store.RecordAudit(ctx, e)
}

// MessagesWithPersons returns the IDs of the messages that name persons: those whose
// showing is audited.
func MessagesWithPersons(ms ...*forewarn.StoredMessage) []string {
	var ids []string
	for _, sm := range ms {
		if sm != nil && len(sm.Message.Persons()) > 0 {
			ids = append(ids, sm.Message.ID)
		}
	}
	return ids
}
