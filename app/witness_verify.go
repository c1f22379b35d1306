package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// Vouch says that a peer countersigned this node's audit head at an entry whose hash the
// chain still has: the peer vouches for every entry up to it.
type Vouch struct {
	Witness string    `json:"witness"`
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"` // when the node signed the head
}

// witnessed is one entry hash a witness holds for this node's chain.
type witnessed struct {
	witness string
	hash    string
	head    *envelope.Head
}

// VerifyWitnessed verifies the audit trail as VerifyAudit does, then against the heads
// this node's peers countersigned: those kept here and those each peer keeps, which it
// asks for over wt. A rewrite of a witnessed entry, even one re-hashed and re-signed with
// the node's key, is named with the peer whose countersignature proves it. The report
// lists, for each peer, the last entry it vouches for, and the peers it could not ask.
func (n *Node) VerifyWitnessed(ctx context.Context, wt WitnessTransport) (*AuditReport, error) {
	rep, err := n.VerifyAudit(ctx)
	if err != nil || rep.Problem != nil {
		return rep, err
	}
	info, err := n.Store.Node(ctx)
	if err != nil {
		return nil, err
	}
	self := info.Agency.Code
	peers, err := n.Store.Peers(ctx)
	if err != nil {
		return nil, err
	}
	pinned := map[string]ed25519.PublicKey{}
	for _, p := range peers {
		pinned[p.Agency.Code] = p.PublicKey
	}
	keyFor := func(agency string) (ed25519.PublicKey, error) {
		if agency == self {
			return n.Signer.PublicKey(), nil // the key file, not the database
		}
		if k, ok := pinned[agency]; ok {
			return k, nil
		}
		return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "%s is not a peer of this node", agency)
	}
	var docs [][]byte
	kept, err := n.Store.HeadWitnesses(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range kept {
		docs = append(docs, w.Document)
	}
	for _, p := range peers {
		got, err := n.askWitness(ctx, wt, self, p)
		if err != nil {
			rep.Unreached = append(rep.Unreached, fmt.Sprintf("%s: %v", p.Agency.Code, err))
			continue
		}
		docs = append(docs, got...)
	}
	bySeq := map[int64][]witnessed{}
	seen := map[string]bool{}
	var last int64
	for _, doc := range docs {
		h, signers, err := envelope.OpenHead(doc, keyFor)
		if err != nil || h.Agency != self {
			rep.Unreached = append(rep.Unreached, fmt.Sprintf("a countersigned head that does not verify: %v", err))
			continue
		}
		for _, w := range signers[1:] {
			key := fmt.Sprintf("%s/%d", w, h.Seq)
			if seen[key] {
				continue
			}
			seen[key] = true
			for s := h.Seq; s >= max(h.FromSeq, 1) && s > h.Seq-int64(max(len(h.Hashes), 1)); s-- {
				hash, _ := h.HashAt(s)
				bySeq[s] = append(bySeq[s], witnessed{witness: w, hash: hash, head: h})
			}
			last = max(last, h.Seq)
		}
	}
	vouched := map[string]Vouch{}
	var problem *forewarn.AuditError
	var count int64
	err = n.Store.ScanAudit(ctx, func(e *forewarn.AuditEntry) error {
		count = e.Seq
		for _, w := range bySeq[e.Seq] {
			if w.hash != e.Hash {
				problem = &forewarn.AuditError{Seq: e.Seq, Witness: w.witness, Reason: fmt.Sprintf(
					"its hash differs from the one %s countersigned in the head of %s (entry %d): the entry was rewritten after %s witnessed it",
					w.witness, w.head.Time.UTC().Format(time.RFC3339), w.head.Seq, w.witness)}
				return errStopScan
			}
			if e.Seq == w.head.Seq && e.Seq >= vouched[w.witness].Seq {
				vouched[w.witness] = Vouch{Witness: w.witness, Seq: e.Seq, Time: w.head.Time}
			}
		}
		return nil
	})
	if err != nil && err != errStopScan {
		return nil, err
	}
	if problem == nil && last > count {
		w := bySeq[last][0]
		problem = &forewarn.AuditError{Seq: count + 1, Witness: w.witness, Reason: fmt.Sprintf(
			"missing: %s countersigned a head at entry %d but the chain ends at %d (deleted entries)", w.witness, last, count)}
	}
	if problem != nil {
		rep.Problem = problem
		rep.Entries = problem.Seq - 1
	}
	for _, v := range vouched {
		rep.Vouches = append(rep.Vouches, v)
	}
	slices.SortFunc(rep.Vouches, func(a, b Vouch) int {
		if a.Witness < b.Witness {
			return -1
		}
		if a.Witness > b.Witness {
			return 1
		}
		return 0
	})
	return rep, nil
}

// askWitness fetches every head of this node's chain that peer p keeps.
func (n *Node) askWitness(ctx context.Context, wt WitnessTransport, self string, p *forewarn.Peer) ([][]byte, error) {
	var out [][]byte
	after := int64(0)
	for page := 0; page < 10000; page++ {
		q, err := envelope.SealWitnessQuery(&envelope.WitnessQuery{Agency: self, AfterSeq: after, Time: n.Clock.Now()}, n.Signer)
		if err != nil {
			return nil, err
		}
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		raw, err := wt.QueryWitness(qctx, p, q)
		cancel()
		if err != nil {
			return nil, err
		}
		var ans WitnessAnswer
		if err := json.Unmarshal(raw, &ans); err != nil {
			return nil, fmt.Errorf("malformed answer: %w", err)
		}
		for _, h := range ans.Heads {
			out = append(out, h)
			var peek struct {
				Head struct{ Seq int64 } `json:"head"`
			}
			if json.Unmarshal(h, &peek) == nil && peek.Head.Seq > after {
				after = peek.Head.Seq
			}
		}
		if len(ans.Heads) < 1000 {
			return out, nil
		}
	}
	return out, nil
}
