package app

import (
	"context"
	"errors"

	"github.com/forewarn/forewarn"
)

// AuditReport is the outcome of verifying the audit trail.
type AuditReport struct {
	Entries     int64 `json:"entries"`     // entries verified before the first problem
	Checkpoints int   `json:"checkpoints"` // signed checkpoints checked
	// Problem names the first bad entry and why; nil when the whole chain verified.
	Problem *forewarn.AuditError `json:"problem,omitempty"`
}

// VerifyAudit checks the whole audit chain and every signed checkpoint against the node's
// public key, streaming the entries. A broken chain is reported in the report, not as an
// error: err is only for failing to read the store.
func (n *Node) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	info, err := n.Store.Node(ctx)
	if err != nil {
		return nil, err
	}
	cps, err := n.Store.AuditCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	v := forewarn.NewAuditVerifier(info.PublicKey, cps)
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
