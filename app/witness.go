package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// DefaultCheckpointInterval is how often a running node signs a checkpoint of its audit
// chain when entries were added since the last one, whatever their number.
const DefaultCheckpointInterval = time.Minute

// witnessRetry is how long a peer that did not countersign waits before it is asked again.
const witnessRetry = time.Minute

// maxWitnessAnswer bounds a peer's answer to a witness query.
const maxWitnessAnswer = 8 << 20

// WitnessTransport carries signed heads to peers and asks them for the heads they kept.
type WitnessTransport interface {
	SendHead(ctx context.Context, peer *forewarn.Peer, head []byte) (countersigned []byte, err error)
	QueryWitness(ctx context.Context, peer *forewarn.Peer, query []byte) (answer []byte, err error)
}

// WitnessAnswer is a witness's answer to a query: the heads it keeps, as it countersigned
// them, in order.
type WitnessAnswer struct {
	Heads []json.RawMessage `json:"heads"`
}

// witnessing remembers, per peer, when to ask it again after it did not countersign.
type witnessing struct {
	mu      sync.Mutex
	retryAt map[string]time.Time
	running bool
}

// CheckpointIfDue signs a checkpoint of the audit chain when the last one is at least
// CheckpointInterval old and entries were added since (the store signs nothing when the
// head is checkpointed already).
func (ms *Messages) CheckpointIfDue(ctx context.Context) error {
	if ms.CheckpointInterval <= 0 {
		return nil
	}
	last, err := ms.Store.LatestCheckpoint(ctx)
	if err != nil && forewarn.ErrorCode(err) != forewarn.ENOTFOUND {
		return err
	}
	if last != nil && ms.Clock.Now().Sub(last.Time) < ms.CheckpointInterval {
		return nil
	}
	_, err = ms.Store.CheckpointAudit(ctx)
	return err
}

// WitnessHeads sends the node's latest checkpointed head to every peer that has not
// countersigned it, and keeps each countersignature. A peer that does not answer, or does
// not witness (an older node), is asked again a minute later; nothing else waits for it.
func (ms *Messages) WitnessHeads(ctx context.Context) error {
	wt, ok := ms.Transport.(WitnessTransport)
	if !ok {
		return nil
	}
	last, err := ms.Store.LatestCheckpoint(ctx)
	if forewarn.ErrorCode(err) == forewarn.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return err
	}
	peers, err := ms.Store.Peers(ctx)
	if err != nil {
		return err
	}
	now := ms.Clock.Now()
	w := &ms.witnessing
	var wg sync.WaitGroup
	for _, p := range peers {
		w.mu.Lock()
		wait := now.Before(w.retryAt[p.Agency.Code])
		w.mu.Unlock()
		if wait {
			continue
		}
		done, err := ms.Store.LastWitnessed(ctx, p.Agency.Code)
		if err != nil {
			return err
		}
		if done >= last.Seq {
			continue
		}
		wg.Add(1)
		go func(p *forewarn.Peer, done int64) {
			defer wg.Done()
			if err := ms.witnessBy(ctx, wt, self, p, last, done); err != nil {
				ms.Logger.Warn("peer did not countersign the audit head", "peer", p.Agency.Code, "seq", last.Seq, "err", err)
				w.mu.Lock()
				if w.retryAt == nil {
					w.retryAt = map[string]time.Time{}
				}
				w.retryAt[p.Agency.Code] = now.Add(witnessRetry)
				w.mu.Unlock()
			}
		}(p, done)
	}
	wg.Wait()
	return nil
}

// witnessBy sends the head at checkpoint c to peer p, which last countersigned entry done.
func (ms *Messages) witnessBy(ctx context.Context, wt WitnessTransport, self string, p *forewarn.Peer, c *forewarn.AuditCheckpoint, done int64) error {
	h := &envelope.Head{Agency: self, Seq: c.Seq, Hash: c.Hash, Time: c.Time}
	if n := c.Seq - done; n <= envelope.MaxHeadHashes {
		entries, err := ms.Store.AuditEntries(ctx, forewarn.AuditFilter{AfterSeq: done, Limit: int(n)})
		if err != nil {
			return err
		}
		if len(entries) == int(n) && entries[len(entries)-1].Hash == c.Hash {
			h.FromSeq = done + 1
			for _, e := range entries {
				h.Hashes = append(h.Hashes, e.Hash)
			}
		}
	}
	doc, err := envelope.SealHead(h, ms.Signer)
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	answer, err := wt.SendHead(actx, p, doc)
	if err != nil {
		return err
	}
	got, signers, err := envelope.OpenHead(answer, ms.keysOf(self, p))
	if err != nil {
		return fmt.Errorf("countersigned head from %s: %w", p.Agency.Code, err)
	}
	if got.Seq != h.Seq || got.Hash != h.Hash || got.Agency != self || !slices.Contains(signers, p.Agency.Code) {
		return fmt.Errorf("%s answered with another head, or without its countersignature", p.Agency.Code)
	}
	return ms.Store.AddHeadWitness(ctx, p.Agency.Code, h.Seq, answer)
}

// keysOf gives this node's own key and peer p's pinned key, and no other.
func (ms *Messages) keysOf(self string, p *forewarn.Peer) envelope.KeyFunc {
	return func(agency string) (ed25519.PublicKey, error) {
		switch agency {
		case self:
			return ms.Signer.PublicKey(), nil
		case p.Agency.Code:
			return p.PublicKey, nil
		}
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "%s is neither this node nor %s", agency, p.Agency.Code)
	}
}

// Witness countersigns a peer's signed head and keeps it, or refuses it: a stranger, a
// head dated ahead of this node's clock, or a second, different head for an entry the
// peer stated before, which is kept as evidence. It returns the head as countersigned.
func (ms *Messages) Witness(ctx context.Context, data []byte, remote string) ([]byte, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	h, signers, err := envelope.OpenHead(data, ms.peerKey(ctx, self))
	if err != nil {
		return nil, ms.refuseHead(ctx, "", remote, err)
	}
	if len(signers) != 1 {
		return nil, ms.refuseHead(ctx, h.Agency, remote, forewarn.Errorf(forewarn.EINVALID, "a head to witness carries its agency's signature only"))
	}
	if now := ms.Clock.Now(); h.Time.After(now.Add(forewarn.MaxClockSkew)) {
		return nil, ms.refuseHead(ctx, h.Agency, remote, forewarn.Errorf(forewarn.EINVALID, "the head is dated %s, ahead of this node's clock", h.Time.UTC().Format(time.RFC3339)))
	}
	countersigned, err := envelope.CountersignHead(data, self, ms.Signer)
	if err != nil {
		return nil, err
	}
	stated := map[int64]string{}
	for i, x := range h.Hashes {
		stated[h.FromSeq+int64(i)] = x
	}
	kept, err := ms.Store.WitnessHead(ctx, h.Agency, h.Seq, h.Hash, stated, data, countersigned)
	if err != nil {
		if forewarn.ErrorCode(err) == forewarn.ECONFLICT {
			ms.Logger.Error("a peer stated two different audit heads for one entry", "peer", h.Agency, "seq", h.Seq, "err", err)
		}
		return nil, err
	}
	return kept, nil
}

// peerKey gives a pinned peer's key, and refuses this node's own code and strangers.
func (ms *Messages) peerKey(ctx context.Context, self string) envelope.KeyFunc {
	return func(agency string) (ed25519.PublicKey, error) {
		if agency == self {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "a node does not witness its own head")
		}
		p, err := ms.Store.Peer(ctx, agency)
		if err != nil {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "unknown agency %s: not a registered peer of %s", agency, self)
		}
		return p.PublicKey, nil
	}
}

// refuseHead audits a refused head as a refused delivery is audited.
func (ms *Messages) refuseHead(ctx context.Context, agency, remote string, cause error) error {
	return ms.reject(ctx, "", agency, "", remote, cause)
}

// WitnessedFor answers a peer's signed query with the heads of its chain this node kept.
func (ms *Messages) WitnessedFor(ctx context.Context, data []byte, remote string) ([]byte, error) {
	self, err := ms.Agency(ctx)
	if err != nil {
		return nil, err
	}
	q, err := envelope.OpenWitnessQuery(data, ms.peerKey(ctx, self))
	if err != nil {
		return nil, ms.reject(ctx, "", "", "", remote, err)
	}
	if d := ms.Clock.Now().Sub(q.Time); d > time.Hour || d < -forewarn.MaxClockSkew {
		return nil, forewarn.Errorf(forewarn.EINVALID, "the query is dated %s; a query is answered within an hour of its time", q.Time.UTC().Format(time.RFC3339))
	}
	docs, err := ms.Store.WitnessedHeads(ctx, q.Agency, q.AfterSeq, 1000)
	if err != nil {
		return nil, err
	}
	ans := WitnessAnswer{Heads: []json.RawMessage{}}
	for _, d := range docs {
		ans.Heads = append(ans.Heads, d)
	}
	return json.Marshal(ans)
}
