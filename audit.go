package forewarn

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/forewarn/forewarn/internal/edsig"
)

// AuditEntry is one link of the node's tamper-evident audit trail. Every change to the
// node's data, and every read of a subject, writes one in the same transaction. Entries
// form a SHA-256 hash chain: each Hash covers the entry's fields and the previous Hash.
type AuditEntry struct {
	Seq        int64     `json:"seq"` // 1, 2, 3 … without gaps
	Time       time.Time `json:"time"`
	Actor      Actor     `json:"actor"`
	Action     string    `json:"action"`      // "subject.create", "subject.read", "claim.create"
	ObjectType string    `json:"object_type"` // "subject", "claim", "user"
	ObjectID   string    `json:"object_id"`
	Before     string    `json:"before,omitempty"` // hex SHA-256 of the object before the change
	After      string    `json:"after,omitempty"`  // hex SHA-256 of the object after the change
	Detail     string    `json:"detail,omitempty"` // a short human note ("reason: …")
	PrevHash   string    `json:"prev_hash"`        // hex; GenesisHash for the first entry
	Hash       string    `json:"hash"`             // hex
	// Note is free text that may name a person (a reason), kept beside the chain rather
	// than in it: Detail holds its digest ("note sha256:…"), so erasure can delete the
	// note and the chain still verifies. Not hashed; empty once erased.
	Note string `json:"note,omitempty"`
}

// GenesisHash is the PrevHash of the first audit entry.
var GenesisHash = hex.EncodeToString(make([]byte, sha256.Size))

// ComputeHash returns the entry's chain hash: SHA-256 over a versioned, length-prefixed
// encoding of every field but Hash. Length prefixes make the encoding unambiguous, so no
// two different entries encode alike. An entry made with an API token is encoded as v2,
// which adds the token's ID after the actor; every other entry keeps the v1 encoding, so
// chains written before tokens were recorded verify unchanged, and removing or changing a
// token ID breaks the hash like any other edit.
func (e *AuditEntry) ComputeHash() string {
	buf := make([]byte, 0, 512)
	version := "forewarn-audit-v1"
	if e.Actor.Token != "" {
		version = "forewarn-audit-v2"
	}
	buf = append(buf, version...)
	add := func(s string) {
		buf = append(buf, '\n')
		buf = strconv.AppendInt(buf, int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
	}
	add(strconv.FormatInt(e.Seq, 10))
	add(e.Time.UTC().Format(time.RFC3339Nano))
	add(string(e.Actor.Kind))
	add(e.Actor.ID)
	if e.Actor.Token != "" {
		add(e.Actor.Token)
	}
	add(e.Action)
	add(e.ObjectType)
	add(e.ObjectID)
	add(e.Before)
	add(e.After)
	add(e.Detail)
	add(e.PrevHash)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Digest returns the hex SHA-256 of v's JSON encoding, the before/after fingerprint an
// audit entry records. nil digests to "".
func Digest(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AuditCheckpoint is the node's signature over the chain head at Seq. A checkpoint fixes
// the chain up to Seq: entries cannot be truncated, replaced or re-hashed behind it
// without the node's private key.
type AuditCheckpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"` // the Hash of entry Seq
	Time      time.Time `json:"time"`
	Agency    string    `json:"agency"`
	Signature string    `json:"signature"` // hex ed25519 signature of SignedBytes
}

// SignedBytes returns the bytes the checkpoint's signature covers.
func (c *AuditCheckpoint) SignedBytes() []byte {
	return []byte(fmt.Sprintf("forewarn-audit-checkpoint-v1\n%d\n%s\n%s\n%s", c.Seq, c.Hash, c.Time.UTC().Format(time.RFC3339Nano), c.Agency))
}

// Signer signs with the node's private key. It is the only way code reaches the key, so a
// hardware key can later replace the key file.
type Signer interface {
	PublicKey() ed25519.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// AuditVerifier checks an audit chain entry by entry, in Seq order, without holding it in
// memory: feed it with Add, then call Finish. The first problem found is kept.
type AuditVerifier struct {
	checkpoints map[int64]AuditCheckpoint
	maxCkpt     int64
	key         ed25519.PublicKey
	every       int64 // the longest run of entries allowed without a checkpoint; 0: no rule

	n        int64
	prevHash string
	err      *AuditError
}

// AuditError names the first bad audit entry and why it is bad.
type AuditError struct {
	Seq    int64
	Reason string
	// Witness is the peer whose countersigned head proves the problem, when one does.
	Witness string `json:",omitempty"`
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("audit entry %d: %s", e.Seq, e.Reason)
}

// NewAuditVerifier returns a verifier that also checks each checkpoint's signature with
// key and that the chain passes through every checkpointed hash.
func NewAuditVerifier(key ed25519.PublicKey, checkpoints []AuditCheckpoint) *AuditVerifier {
	v := &AuditVerifier{checkpoints: map[int64]AuditCheckpoint{}, key: key, prevHash: GenesisHash}
	for _, c := range checkpoints {
		if v.err == nil {
			sig, err := hex.DecodeString(c.Signature)
			if err != nil || !edsig.Verify(key, c.SignedBytes(), sig) {
				v.err = &AuditError{Seq: c.Seq, Reason: "the signed checkpoint at this entry has a bad signature"}
			}
		}
		v.checkpoints[c.Seq] = c
		if c.Seq > v.maxCkpt {
			v.maxCkpt = c.Seq
		}
	}
	return v
}

// RequireCheckpointsEvery makes a run of more than n entries without a signed checkpoint a
// failure. A node signs one at least every n entries (and on shutdown), so a longer run
// means checkpoints were deleted, which is how a rewritten chain would hide. n must be the
// node's own setting; a larger n checks less, a smaller one raises false alarms.
func (v *AuditVerifier) RequireCheckpointsEvery(n int64) { v.every = n }

// Add checks the next entry. It returns false once a problem has been found.
func (v *AuditVerifier) Add(e *AuditEntry) bool {
	if v.err != nil {
		return false
	}
	want := v.n + 1
	switch {
	case e.Seq < want:
		v.err = &AuditError{Seq: e.Seq, Reason: fmt.Sprintf("out of order: expected entry %d here (inserted or reordered entry)", want)}
	case e.Seq > want:
		v.err = &AuditError{Seq: want, Reason: fmt.Sprintf("missing: the chain jumps from entry %d to %d (deleted entry)", v.n, e.Seq)}
	case e.ComputeHash() != e.Hash:
		v.err = &AuditError{Seq: e.Seq, Reason: "its content does not match its hash (modified entry)"}
	case e.PrevHash != v.prevHash:
		v.err = &AuditError{Seq: e.Seq, Reason: "it does not link to the entry before it (inserted, deleted or reordered entry)"}
	default:
		if c, ok := v.checkpoints[e.Seq]; ok && c.Hash != e.Hash {
			v.err = &AuditError{Seq: e.Seq, Reason: "its hash differs from the one the node signed in its checkpoint (rewritten chain)"}
		}
	}
	if v.err != nil {
		return false
	}
	v.n = e.Seq
	v.prevHash = e.Hash
	return true
}

// Finish reports the number of entries verified, or the first bad entry. A checkpoint
// beyond the last entry means the chain was truncated.
func (v *AuditVerifier) Finish() (int64, error) {
	if v.err != nil {
		return v.n, v.err
	}
	if v.maxCkpt > v.n {
		return v.n, &AuditError{Seq: v.n + 1, Reason: fmt.Sprintf("missing: the node signed a checkpoint at entry %d but the chain ends at %d (deleted entries)", v.maxCkpt, v.n)}
	}
	if v.every > 0 {
		seqs := make([]int64, 0, len(v.checkpoints)+1)
		for seq := range v.checkpoints {
			seqs = append(seqs, seq)
		}
		slices.Sort(seqs)
		seqs = append(seqs, v.n)
		prev := int64(0)
		for _, seq := range seqs {
			if seq-prev > v.every {
				// Entries from prev+every on are not vouched for: so many verified, no more.
				return min(v.n, prev+v.every-1), &AuditError{Seq: prev + v.every, Reason: fmt.Sprintf("no signed checkpoint between entries %d and %d, though the node signs one at least every %d entries (checkpoints deleted, chain possibly rewritten)", prev, seq, v.every)}
			}
			prev = seq
		}
	}
	return v.n, nil
}

// AuditText makes untrusted text (a request's path, a username typed at sign-in) fit for
// an audit field without dropping the entry: invalid UTF-8 becomes U+FFFD, control
// characters and the invisible ones that reorder or disguise text are written as escapes
// ("\x0a", "\u202e"), so no entry can forge a line or hide a word, and the result is cut
// at max bytes on a character boundary, ending in "…" when cut.
func AuditText(s string, max int) string {
	s = EscapeControl(s)
	if len(s) <= max {
		return s
	}
	n := max - len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// EscapeControl writes control characters, bidirectional controls and zero-width
// characters in s as Go escapes and replaces invalid UTF-8 with U+FFFD; other text is
// unchanged. Whatever prints audit entries to a terminal passes them through it.
func EscapeControl(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, hiddenRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !hiddenRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// hiddenRune reports whether r is a control character, or one that is invisible yet
// changes how the text around it reads (bidi controls, zero-width characters).
func hiddenRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x2069, r == 0xFEFF:
		return true
	}
	return false
}
