package envelope

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/forewarn/forewarn"
)

// MaxHeadHashes bounds the entry hashes one signed head carries.
const MaxHeadHashes = 64

// MaxHeadBytes bounds a signed head on the wire, co-signatures included.
const MaxHeadBytes = 16 << 10

// Head is a node's signed statement of its audit chain head: "the entry at Seq of my
// chain has Hash". A node sends one to each peer at every checkpoint; the peer
// countersigns it (CountersignHead) and keeps it, so a later rewrite of the chain behind
// it is evident even to whoever holds the node's key: witnessing, as in Certificate
// Transparency. When at most MaxHeadHashes entries passed since the head before, Hashes
// lists each one's hash, from FromSeq to Seq, so a rewrite can be pinned to its entry.
type Head struct {
	Agency  string    `json:"agency"`
	Seq     int64     `json:"seq"`
	Hash    string    `json:"hash"`
	Time    time.Time `json:"time"`
	FromSeq int64     `json:"from_seq,omitempty"`
	Hashes  []string  `json:"hashes,omitempty"`
}

// Validate checks the head's fields.
func (h *Head) Validate() error {
	if !forewarn.IsAgencyCode(h.Agency) {
		return forewarn.Invalid("agency", "agency_code", "%q is not an agency code like TR-MIT", h.Agency)
	}
	if h.Seq < 1 {
		return forewarn.Invalid("seq", "positive", "a head is an entry of the chain, from 1")
	}
	if !digestRE.MatchString(h.Hash) {
		return forewarn.Invalid("hash", "sha256", "the hash must be 64 lower-case hex digits")
	}
	if h.Time.IsZero() {
		return forewarn.Invalid("time", "required", "the head needs the time it was signed")
	}
	if len(h.Hashes) > MaxHeadHashes {
		return forewarn.Invalid("hashes", "max_items", "has %d hashes; the limit is %d", len(h.Hashes), MaxHeadHashes)
	}
	if len(h.Hashes) > 0 {
		if h.FromSeq < 1 || h.FromSeq+int64(len(h.Hashes))-1 != h.Seq {
			return forewarn.Invalid("from_seq", "range", "the hashes must run from from_seq to seq")
		}
		for i, x := range h.Hashes {
			if !digestRE.MatchString(x) {
				return forewarn.Invalid(fmt.Sprintf("hashes[%d]", i), "sha256", "the hash must be 64 lower-case hex digits")
			}
		}
		if h.Hashes[len(h.Hashes)-1] != h.Hash {
			return forewarn.Invalid("hashes", "head", "the last hash must be the head's")
		}
	}
	return nil
}

// HashAt returns the hash the head states for entry seq, if it states one.
func (h *Head) HashAt(seq int64) (string, bool) {
	if seq == h.Seq {
		return h.Hash, true
	}
	if i := seq - h.FromSeq; len(h.Hashes) > 0 && i >= 0 && i < int64(len(h.Hashes)) {
		return h.Hashes[i], true
	}
	return "", false
}

var headFormat = format{name: "head", domain: "forewarn-head-v1\n", body: "head", signer: "agency"}

// SealHead signs h with s, the key of h.Agency, and returns its wire bytes.
func SealHead(h *Head, s forewarn.Signer) ([]byte, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	return seal(headFormat, h, h.Agency, s)
}

// CountersignHead adds a witness's signature to a signed head.
func CountersignHead(data []byte, witness string, s forewarn.Signer) ([]byte, error) {
	return coSign(headFormat, data, witness, s)
}

// OpenHead checks a signed head as Open checks an envelope, every signature verified with
// the key keyFor gives, and returns it with its signers: its agency first, then the
// witnesses that countersigned it.
func OpenHead(data []byte, keyFor KeyFunc) (*Head, []string, error) {
	body, signers, err := openSigned(data, MaxHeadBytes, headFormat, keyFor, nil)
	if err != nil {
		return nil, nil, err
	}
	var h Head
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, nil, forewarn.Errorf(forewarn.EINVALID, "malformed head: %v", err)
	}
	if err := h.Validate(); err != nil {
		return nil, nil, err
	}
	return &h, signers, nil
}

// WitnessQuery asks a witness for the heads of Agency it countersigned after AfterSeq.
// Agency signs it, so a witness shows a node's heads to that node only.
type WitnessQuery struct {
	Agency   string    `json:"agency"`
	AfterSeq int64     `json:"after_seq"`
	Time     time.Time `json:"time"`
}

var queryFormat = format{name: "witness query", domain: "forewarn-witness-query-v1\n", body: "query", signer: "agency"}

// SealWitnessQuery signs q with s, the key of q.Agency.
func SealWitnessQuery(q *WitnessQuery, s forewarn.Signer) ([]byte, error) {
	if !forewarn.IsAgencyCode(q.Agency) || q.AfterSeq < 0 || q.Time.IsZero() {
		return nil, forewarn.Invalid("query", "fields", "a witness query names its agency, a sequence number from 0 and its time")
	}
	return seal(queryFormat, q, q.Agency, s)
}

// OpenWitnessQuery checks a signed witness query and returns it.
func OpenWitnessQuery(data []byte, keyFor KeyFunc) (*WitnessQuery, error) {
	body, err := open(data, 4<<10, queryFormat, keyFor)
	if err != nil {
		return nil, err
	}
	var q WitnessQuery
	if err := json.Unmarshal(body, &q); err != nil || q.Time.IsZero() || q.AfterSeq < 0 {
		return nil, forewarn.Errorf(forewarn.EINVALID, "malformed witness query")
	}
	return &q, nil
}
