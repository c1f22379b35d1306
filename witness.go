package forewarn

import (
	"context"
	"time"
)

// WitnessConflict is a peer stating two different hashes for one entry of its audit
// chain: Offered, signed by the peer, is the evidence; the hash first witnessed is kept.
type WitnessConflict struct {
	ID         string    `json:"id"`
	Agency     string    `json:"agency"`
	Seq        int64     `json:"seq"`
	KeptHash   string    `json:"kept_hash"`
	Offered    []byte    `json:"offered"`
	ReceivedAt time.Time `json:"received_at"`
}

// HeadWitness is this node's chain head at Seq as the peer Witness countersigned it.
type HeadWitness struct {
	Witness    string    `json:"witness"`
	Seq        int64     `json:"seq"`
	Document   []byte    `json:"document"` // the signed head with the witness's signature
	ReceivedAt time.Time `json:"received_at"`
}

// WitnessStore keeps both sides of witnessing: the heads of peers' audit chains this node
// countersigned, and the countersignatures peers gave this node's heads. Witnessed heads
// are signed documents and are not audited one by one (each audit entry calls for a new
// checkpoint, so two nodes auditing each other's heads would never fall quiet); a
// conflicting head is, as "audit.equivocation".
type WitnessStore interface {
	// WitnessHead keeps agency's head at seq (its signed document as countersigned here)
	// and returns what it keeps: the same head again gets the document kept first. A head
	// whose hash, or any of whose stated entry hashes (seq → hash), differs from a head of
	// agency kept for the same entry is refused with ECONFLICT and recorded, with offered
	// (the agency's signed statement) as evidence, audited.
	WitnessHead(ctx context.Context, agency string, seq int64, hash string, stated map[int64]string, offered, countersigned []byte) ([]byte, error)
	// WitnessedHeads returns up to limit heads of agency kept here after afterSeq, in order.
	WitnessedHeads(ctx context.Context, agency string, afterSeq int64, limit int) ([][]byte, error)
	WitnessConflicts(ctx context.Context, agency string) ([]WitnessConflict, error)

	// AddHeadWitness keeps a peer's countersignature of this node's head at seq.
	AddHeadWitness(ctx context.Context, witness string, seq int64, document []byte) error
	// HeadWitnesses returns every countersignature kept, by seq.
	HeadWitnesses(ctx context.Context) ([]HeadWitness, error)
	// LastWitnessed returns the highest seq witness countersigned, 0 when none.
	LastWitnessed(ctx context.Context, witness string) (int64, error)
	// LatestCheckpoint returns the last signed checkpoint; ENOTFOUND when there is none.
	LatestCheckpoint(ctx context.Context) (*AuditCheckpoint, error)
}
