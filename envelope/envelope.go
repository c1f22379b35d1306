// Package envelope owns Forewarn's signed wire format: the envelope that carries a
// forewarn.Message between nodes, the signed delivery receipt that answers it, and the
// RFC 8785 canonical JSON both are signed over. docs/envelope.md describes the format and
// the rules for changing it.
package envelope

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/edsig"
)

// Version is the envelope format version this package writes and reads.
const Version = 1

// AlgEd25519 names the one signature algorithm of version 1.
const AlgEd25519 = "ed25519"

// DefaultMaxBytes is the size limit Open and OpenReceipt apply when given none.
const DefaultMaxBytes = 1 << 20

// MaxSignatures bounds the signatures one envelope may carry.
const MaxSignatures = 4

// Domain-separation prefixes: a signature over an envelope can never be replayed as a
// receipt, an audit checkpoint or anything else the node's key signs.
const (
	envelopeDomain = "forewarn-envelope-v1\n"
	receiptDomain  = "forewarn-receipt-v1\n"
)

// Signature is one signature in an envelope's "signatures" member.
type Signature struct {
	KeyID string `json:"key_id"` // the signing agency's code
	Alg   string `json:"alg"`    // "ed25519"
	Sig   string `json:"sig"`    // unpadded base64url
}

// KeyFunc returns the public key of an agency, or an error when the node knows none.
type KeyFunc func(agency string) (ed25519.PublicKey, error)

// sigEncoding is strict so that one signature has exactly one spelling on the wire, and
// with it one digest.
var sigEncoding = base64.RawURLEncoding.Strict()

// Seal signs m with s, the key of m.From, and returns the envelope's wire bytes in
// canonical form. It refuses a message that does not validate.
func Seal(m *forewarn.Message, s forewarn.Signer) ([]byte, error) {
	env, _, err := SealEncoded(m, s)
	return env, err
}

// SealEncoded is Seal that also returns the message as encoding/json encodes it, which
// the envelope was made from: what a store keeps of a message (forewarn.StoredMessage's
// Encoded), so that sending encodes it once.
func SealEncoded(m *forewarn.Message, s forewarn.Signer) (env, encoded []byte, err error) {
	// Facts in a message are judged as of its creation, on both sides of the wire.
	if err := m.Validate(m.Created); err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, nil, forewarn.Errorf(forewarn.EINTERNAL, "encoding the %s: %v", envelopeFormat.body, err)
	}
	if env, err = sealRaw(envelopeFormat, raw, m.From, s); err != nil {
		return nil, nil, err
	}
	return env, raw, nil
}

// Open checks an envelope received from a peer and returns its message. In order: size
// (maxBytes, or DefaultMaxBytes when 0), well-formed JSON, known members and version,
// the sender's signature (keyFor gives the sender's key), then m.Validate as of the
// message's creation. Malformed, oversized or unknown-version envelopes are EINVALID;
// an unknown sender or a signature that does not verify is EUNAUTHORIZED. Whether the
// creation time is plausible and whether this node is a recipient are the caller's to
// check, with its own clock and identity.
func Open(data []byte, keyFor KeyFunc, maxBytes int) (*forewarn.Message, error) {
	m, _, err := openMessage(data, keyFor, maxBytes, false)
	return m, err
}

// OpenDigest is Open that also returns the envelope's Digest, computed from the same
// parse: a receiving node needs both, and parsing an envelope is most of opening it.
func OpenDigest(data []byte, keyFor KeyFunc, maxBytes int) (*forewarn.Message, string, error) {
	return openMessage(data, keyFor, maxBytes, true)
}

func openMessage(data []byte, keyFor KeyFunc, maxBytes int, digest bool) (*forewarn.Message, string, error) {
	var sum *[sha256.Size]byte
	if digest {
		sum = new([sha256.Size]byte)
	}
	body, _, err := openSigned(data, maxBytes, envelopeFormat, keyFor, sum)
	if err != nil {
		return nil, "", err
	}
	var m forewarn.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, "", forewarn.Errorf(forewarn.EINVALID, "malformed message in envelope: %v", err)
	}
	if err := m.Validate(m.Created); err != nil {
		return nil, "", err
	}
	if sum == nil {
		return &m, "", nil
	}
	return &m, hex.EncodeToString(sum[:]), nil
}

// Digest returns the hex SHA-256 of the canonical form of an envelope's wire bytes, the
// fingerprint a Receipt carries. Re-spacing or reordering in transit does not change it.
func Digest(data []byte) (string, error) {
	c, err := Canonicalize(data)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// HasDigest reports whether digest is the envelope's Digest. An envelope this node sealed
// is stored canonical, so the SHA-256 of its bytes is tried first: when it matches, the
// bytes are their own canonical form and the digest is theirs, without parsing them.
func HasDigest(data []byte, digest string) bool {
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) == digest {
		return true
	}
	d, err := Digest(data)
	return err == nil && d == digest
}

// ContentDigest returns the hex SHA-256 of the canonical form of what an envelope's
// signatures cover, its message: two envelopes with the same content digest carry the same
// signed message, whatever signatures each carries (a relay may add a co-signature).
func ContentDigest(data []byte) (string, error) {
	tree, err := parse(data)
	if err != nil {
		return "", err
	}
	env, ok := tree.(map[string]any)
	if !ok {
		return "", invalid("the envelope must be a JSON object")
	}
	c, err := signedBytes(envelopeDomain, env)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:]), nil
}

// CoSign adds keyID's signature, made with s, to an envelope, leaving what it carries and
// the signatures it has untouched: how a relay vouches for an envelope it passes on.
func CoSign(data []byte, keyID string, s forewarn.Signer) ([]byte, error) {
	return coSign(envelopeFormat, data, keyID, s)
}

func coSign(f format, data []byte, keyID string, s forewarn.Signer) ([]byte, error) {
	tree, err := parse(data)
	if err != nil {
		return nil, err
	}
	env, ok := tree.(map[string]any)
	if !ok {
		return nil, invalid("the envelope must be a JSON object")
	}
	sigs, err := decodeSignatures(f, env["signatures"])
	if err != nil {
		return nil, err
	}
	if len(sigs) >= MaxSignatures || slices.ContainsFunc(sigs, func(x Signature) bool { return x.KeyID == keyID }) {
		return nil, invalid("%s cannot co-sign the %s: it signed it already, or it carries %d signatures", keyID, f.name, len(sigs))
	}
	signed, err := signedBytes(f.domain, env)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(signed)
	if err != nil {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "co-signing the %s: %v", f.name, err)
	}
	env["signatures"] = append(env["signatures"].([]any), map[string]any{"key_id": keyID, "alg": AlgEd25519, "sig": sigEncoding.EncodeToString(sig)})
	return appendCanonical(nil, env)
}

// Receipt is a recipient's signed statement that it received an envelope.
type Receipt struct {
	MessageID  string    `json:"message_id"`
	Recipient  string    `json:"recipient"` // the receiving agency, whose key signs
	ReceivedAt time.Time `json:"received_at"`
	Digest     string    `json:"digest"` // Digest of the envelope received
}

var digestRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks the receipt's fields.
func (r *Receipt) Validate() error {
	if !forewarn.IsMessageID(r.MessageID) {
		return forewarn.Invalid("message_id", "uuidv7", "%q is not a message ID", r.MessageID)
	}
	if !forewarn.IsAgencyCode(r.Recipient) {
		return forewarn.Invalid("recipient", "agency_code", "%q is not an agency code like TR-MIT", r.Recipient)
	}
	if r.ReceivedAt.IsZero() {
		return forewarn.Invalid("received_at", "required", "the receipt needs the time of receipt")
	}
	if !digestRE.MatchString(r.Digest) {
		return forewarn.Invalid("digest", "sha256", "the digest must be 64 lower-case hex digits")
	}
	return nil
}

// SealReceipt signs r with s, the key of r.Recipient, and returns its wire bytes.
func SealReceipt(r *Receipt, s forewarn.Signer) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	// Every member is a string, so its canonical form is written as it is, members in
	// order, rather than encoded to JSON and sorted, as seal does for what it cannot know
	// the shape of. The time is written as encoding/json writes a time.Time.
	at, err := r.ReceivedAt.MarshalText()
	if err != nil {
		return nil, forewarn.Errorf(forewarn.EINVALID, "the receipt's time: %v", err)
	}
	body := append(make([]byte, 0, 80+len(r.Digest)+len(r.MessageID)+len(at)+len(r.Recipient)), '{')
	for i, m := range [...]struct{ name, value string }{{"digest", r.Digest}, {"message_id", r.MessageID}, {"received_at", string(at)}, {"recipient", r.Recipient}} {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendString(body, m.name)
		body = append(body, ':')
		body = appendString(body, m.value)
	}
	return sealEncoded(receiptFormat, append(body, '}'), r.Recipient, s)
}

// OpenReceipt checks a receipt as Open checks an envelope, the recipient's signature in
// place of the sender's, and returns it.
func OpenReceipt(data []byte, keyFor KeyFunc, maxBytes int) (*Receipt, error) {
	body, err := open(data, maxBytes, receiptFormat, keyFor)
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, forewarn.Errorf(forewarn.EINVALID, "malformed receipt: %v", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// format describes one signed document: its domain-separation prefix, the member that
// holds its payload, and the payload member that names the signer.
type format struct {
	name, domain, body, signer string
}

var (
	envelopeFormat = format{name: "envelope", domain: envelopeDomain, body: "message", signer: "from"}
	receiptFormat  = format{name: "receipt", domain: receiptDomain, body: "receipt", signer: "recipient"}
)

// seal wraps body as {"v":1, f.body: body}, signs f.domain and its canonical bytes with s
// under keyID, and returns the canonical document with its signatures member.
func seal(f format, body any, keyID string, s forewarn.Signer) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "encoding the %s: %v", f.body, err)
	}
	return sealRaw(f, raw, keyID, s)
}

// sealRaw is seal of a body already encoded to JSON.
func sealRaw(f format, raw []byte, keyID string, s forewarn.Signer) ([]byte, error) {
	if encoded, ok := appendCanonicalJSON(make([]byte, 0, len(raw)), raw); ok {
		return sealEncoded(f, encoded, keyID, s)
	}
	tree, err := parse(raw) // says what is wrong
	if err != nil {
		return nil, err
	}
	return sealTree(f, tree, keyID, s)
}

func sealTree(f format, body any, keyID string, s forewarn.Signer) ([]byte, error) {
	encoded, err := appendCanonical(nil, body)
	if err != nil {
		return nil, err
	}
	return sealEncoded(f, encoded, keyID, s)
}

// sealEncoded signs a payload already in its canonical form and returns the document.
// The document's members are known (f.body, signatures, v, in that order), so what is
// signed and the whole are written around the payload as they are, rather than built as
// trees to be sorted and encoded again; TestEnvelopeGolden and its kin pin the bytes.
func sealEncoded(f format, encoded []byte, keyID string, s forewarn.Signer) ([]byte, error) {
	signed := unsignedBytes(f, encoded)
	sig, err := s.Sign(signed)
	if err != nil {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "signing the %s: %v", f.name, err)
	}
	// A faulty signer (a hardware key, say) is caught here, not by every peer. A key that
	// signs in this process (internal/edsig) cannot be faulty that way, and checking
	// each of its signatures cost as much as a delivery's store reads.
	if !signsInProcess(s) && !edsig.Verify(s.PublicKey(), signed, sig) {
		return nil, forewarn.Errorf(forewarn.EINTERNAL, "the signer's signature does not verify with its own public key")
	}
	// {"<body>":<encoded>,"signatures":[{"alg":"ed25519","key_id":<keyID>,"sig":<sig>}],"v":1}
	doc := make([]byte, 0, len(encoded)+len(f.body)+len(keyID)+sigEncoding.EncodedLen(len(sig))+64)
	doc = append(doc, '{')
	doc = appendString(doc, f.body)
	doc = append(doc, ':')
	doc = append(doc, encoded...)
	doc = append(doc, `,"signatures":[{"alg":"`+AlgEd25519+`","key_id":`...)
	doc = appendString(doc, keyID)
	doc = append(doc, `,"sig":"`...)
	doc = sigEncoding.AppendEncode(doc, sig)
	doc = append(doc, `"}],"v":1}`...)
	return doc, nil
}

// unsignedBytes is what a signature covers of a document of format f whose payload's
// canonical form is encoded: the domain prefix, then {"<body>":<encoded>,"v":1}, which is
// signedBytes of such a document, written without building it.
func unsignedBytes(f format, encoded []byte) []byte {
	b := make([]byte, 0, len(f.domain)+len(f.body)+len(encoded)+16)
	b = append(b, f.domain...)
	b = append(b, '{')
	b = appendString(b, f.body)
	b = append(b, ':')
	b = append(b, encoded...)
	return append(b, unsignedTail...)
}

// unsignedTail ends what a signature covers, after the payload (unsignedBytes).
const unsignedTail = `,"v":1}`

// signsInProcess reports whether s says its signatures are made in this process by
// internal/edsig from its own key (keyfile.Key), so that they always verify.
func signsInProcess(s forewarn.Signer) bool {
	local, ok := s.(interface{ SignsInProcess() bool })
	return ok && local.SignsInProcess()
}

// signedBytes returns what a signature covers: the domain prefix, then the canonical
// envelope without its signatures member.
func signedBytes(domain string, env map[string]any) ([]byte, error) {
	unsigned := make(map[string]any, len(env))
	for k, v := range env {
		if k != "signatures" {
			unsigned[k] = v
		}
	}
	return appendCanonical([]byte(domain), unsigned)
}

func invalid(format string, args ...any) error {
	return forewarn.Errorf(forewarn.EINVALID, format, args...)
}

func unauthorized(format string, args ...any) error {
	return forewarn.Errorf(forewarn.EUNAUTHORIZED, format, args...)
}

// open checks data as a document of format f, verifies its signatures, and returns the
// payload's canonical bytes: what was signed is exactly what gets decoded.
func open(data []byte, maxBytes int, f format, keyFor KeyFunc) ([]byte, error) {
	body, _, err := openSigned(data, maxBytes, f, keyFor, nil)
	return body, err
}

// openSigned is open that also returns who signed, the payload's signer first; with digest
// not nil, it fills it with the SHA-256 of the whole document's canonical form (Digest).
func openSigned(data []byte, maxBytes int, f format, keyFor KeyFunc, digest *[sha256.Size]byte) ([]byte, []string, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if len(data) > maxBytes {
		return nil, nil, invalid("the %s is %d bytes; the limit is %d", f.name, len(data), maxBytes)
	}
	tree, form, signer, lazy := parsePayloadLazily(data, f.body, f.signer)
	if !lazy {
		var err error
		if tree, form, err = parseCanonical(data); err != nil {
			return nil, nil, err
		}
	}
	env, ok := tree.(map[string]any)
	if !ok {
		return nil, nil, invalid("the %s must be a JSON object", f.name)
	}
	// Envelope members govern verification, so one this node does not know could change
	// what a signature means: new envelope members need a new version.
	for k := range env {
		if k != "v" && k != f.body && k != "signatures" {
			return nil, nil, invalid("unknown %s member %q (version %d has v, %s and signatures)", f.name, k, Version, f.body)
		}
	}
	if err := checkVersion(f, env["v"]); err != nil {
		return nil, nil, err
	}
	// Read lazily, the payload is an object whose names were checked as below.
	var body map[string]any
	if !lazy {
		if body, ok = env[f.body].(map[string]any); !ok {
			return nil, nil, invalid("the %s's %s member is missing or not an object", f.name, f.body)
		}
		// encoding/json matches member names without regard to case ("FROM" fills
		// From), so a name that differs only in case from a known one could be read
		// differently by other decoders. Requiring lower-case snake_case names rules
		// that out.
		if err := checkMemberNames(body, f.body); err != nil {
			return nil, nil, err
		}
		signer, _ = body[f.signer].(string)
	}
	if !forewarn.IsAgencyCode(signer) {
		return nil, nil, invalid("the %s's %s member must be an agency code", f.body, f.signer)
	}
	sigs, err := decodeSignatures(f, env["signatures"])
	if err != nil {
		return nil, nil, err
	}
	if !slices.ContainsFunc(sigs, func(s Signature) bool { return s.KeyID == signer }) {
		return nil, nil, unauthorized("the %s is not signed by %s, its %s", f.name, signer, f.signer)
	}
	// The payload is encoded once, and placed as it is in what was signed and in the
	// whole document; when the document came canonical (as nodes write them), its bytes
	// are the payload's encoding already.
	out, inPlace := form.member(data, f.body)
	if !inPlace {
		if out, err = appendCanonical(nil, body); err != nil {
			return nil, nil, err
		}
	}
	// The members are v (1, checked above), the payload and the signatures, so what was
	// signed is written around the payload as it is. The payload returned is its copy
	// there, not data's bytes (which the caller may reuse), nor a copy of its own.
	signed := unsignedBytes(f, out)
	if inPlace {
		at := len(signed) - len(unsignedTail) - len(out)
		out = signed[at : at+len(out) : at+len(out)]
	}
	// Every signature present must verify: an unchecked one would only mislead a reader.
	for _, s := range sigs {
		role := "co-signer"
		if s.KeyID == signer {
			role = f.signer
		}
		if s.Alg != AlgEd25519 {
			return nil, nil, unauthorized("the signature by %s uses algorithm %q; this node verifies only %s", s.KeyID, s.Alg, AlgEd25519)
		}
		key, err := keyFor(s.KeyID)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, nil, unauthorized("unknown %s %s: this node holds no public key for that agency", role, s.KeyID)
		}
		sig, err := sigEncoding.DecodeString(s.Sig)
		if err != nil || len(sig) != ed25519.SignatureSize {
			return nil, nil, invalid("the signature by %s is not a base64url ed25519 signature", s.KeyID)
		}
		if !edsig.Verify(key, signed, sig) {
			return nil, nil, unauthorized("the signature by %s does not verify: the %s was altered or not signed with %s's key", s.KeyID, f.name, s.KeyID)
		}
	}
	if digest != nil {
		whole := data // its own canonical form
		if !form.ok {
			encoded := make(map[string]any, len(env))
			for k, v := range env {
				encoded[k] = v
			}
			encoded[f.body] = canonical(out)
			if whole, err = appendCanonical(nil, encoded); err != nil {
				return nil, nil, err
			}
		}
		*digest = sha256.Sum256(whole)
	}
	signers := []string{signer}
	for _, s := range sigs {
		if s.KeyID != signer {
			signers = append(signers, s.KeyID)
		}
	}
	return out, signers, err
}

func checkVersion(f format, v any) error {
	n, ok := v.(json.Number)
	if !ok {
		return invalid("the %s has no numeric version member v", f.name)
	}
	if x, err := n.Float64(); err != nil || x != Version {
		return invalid("%s version %s is not supported; this node reads version %d", f.name, n, Version)
	}
	return nil
}

// checkMemberNames refuses a member name, at any depth of v (found at path), that is not
// lower-case snake_case.
func checkMemberNames(v any, path string) error {
	holders, name, bad := badMemberName(v)
	if !bad {
		return nil
	}
	for i := len(holders) - 1; i >= 0; i-- {
		path += "." + holders[i]
	}
	return invalid("%s has the member name %q; names must be lower-case snake_case", path, name)
}

// badMemberName finds a member name, at any depth of v, that is not lower-case
// snake_case, and returns it with the names of the members holding it, innermost first:
// the path is built only for the refusal, not for every member of every envelope.
func badMemberName(v any) (holders []string, name string, bad bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if !isMemberName(k) {
				return nil, k, true
			}
			if h, n, b := badMemberName(e); b {
				return append(h, k), n, true
			}
		}
	case []any:
		for _, e := range x {
			if h, n, b := badMemberName(e); b {
				return h, n, true
			}
		}
	}
	return nil, "", false
}

// isMemberNameBytes is isMemberName of a name read in place.
func isMemberNameBytes(k []byte) bool {
	if len(k) == 0 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for _, c := range k[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isMemberName reports whether k is lower-case snake_case: ^[a-z][a-z0-9_]*$, without a
// regular expression, which cost a tenth of opening an envelope.
func isMemberName(k string) bool {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func decodeSignatures(f format, v any) ([]Signature, error) {
	arr, ok := v.([]any)
	if v != nil && !ok {
		return nil, invalid("the %s's signatures member must be an array", f.name)
	}
	if len(arr) == 0 {
		return nil, unauthorized("the %s carries no signatures", f.name)
	}
	if len(arr) > MaxSignatures {
		return nil, invalid("the %s carries %d signatures; the limit is %d", f.name, len(arr), MaxSignatures)
	}
	out := make([]Signature, len(arr))
	seen := map[string]bool{}
	for i, e := range arr {
		obj, ok := e.(map[string]any)
		if !ok || len(obj) != 3 {
			return nil, invalid("signature %d must be an object with exactly key_id, alg and sig", i)
		}
		var s Signature
		var okID, okAlg, okSig bool
		s.KeyID, okID = obj["key_id"].(string)
		s.Alg, okAlg = obj["alg"].(string)
		s.Sig, okSig = obj["sig"].(string)
		if !okID || !okAlg || !okSig {
			return nil, invalid("signature %d must be an object with exactly key_id, alg and sig", i)
		}
		if !forewarn.IsAgencyCode(s.KeyID) {
			return nil, invalid("signature %d names %q, which is not an agency code", i, s.KeyID)
		}
		if seen[s.KeyID] {
			return nil, invalid("%s signs the %s twice", s.KeyID, f.name)
		}
		seen[s.KeyID] = true
		out[i] = s
	}
	return out, nil
}
