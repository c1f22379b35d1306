package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// seedSigner is a forewarn.Signer over a fixed seed, so signatures are reproducible.
type seedSigner struct{ priv ed25519.PrivateKey }

func newSigner(agency string) seedSigner {
	seed := bytes.Repeat([]byte(agency), ed25519.SeedSize)[:ed25519.SeedSize]
	return seedSigner{ed25519.NewKeyFromSeed(seed)}
}

func (s seedSigner) PublicKey() ed25519.PublicKey    { return s.priv.Public().(ed25519.PublicKey) }
func (s seedSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

var (
	turkey  = newSigner("TR-MIT")
	france  = newSigner("FR-DGSI")
	belgium = newSigner("BE-VSSE")
)

// keys knows the public keys of Turkey, France and Belgium.
func keys(agency string) (ed25519.PublicKey, error) {
	switch agency {
	case "TR-MIT":
		return turkey.PublicKey(), nil
	case "FR-DGSI":
		return france.PublicKey(), nil
	case "BE-VSSE":
		return belgium.PublicKey(), nil
	}
	return nil, forewarn.Errorf(forewarn.ENOTFOUND, "no peer %s", agency)
}

const (
	requestID      = "0148f912-5000-7000-8000-00000000000a" // France's request of 10 Oct 2014
	notificationID = "014a0f7c-1dc0-7000-8000-00000000000b" // Turkey's warning of 3 Dec 2014
)

var sampleCreated = time.Date(2014, 12, 3, 9, 30, 0, 0, time.UTC)

// sampleMessage is Turkey's December 2014 warning to France about the fifth man.
func sampleMessage() *forewarn.Message {
	return &forewarn.Message{
		ID: notificationID, Version: 1, From: "TR-MIT", To: []string{"FR-DGSI"},
		Created: sampleCreated, Kind: forewarn.KindNotification,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"FR-DGSI"}, OriginatorConsentRequired: true},
		Notification: &forewarn.Notification{
			Summary:       "A fifth man, identified while answering your request about four suspects.",
			Priority:      forewarn.PriorityUrgent,
			AcknowledgeBy: sampleCreated.Add(24 * time.Hour),
			Persons: []forewarn.PersonDescriptor{{
				Ref: "p1",
				Names: []forewarn.Name{
					{Value: "Omar Ismail Mostefai", Kind: forewarn.NamePrimary, Script: "Latn", Lang: "tr", Source: "TR-MIT"},
					{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NameAlias, Script: "Latn", Lang: "fr"},
				},
				BirthDate:     forewarn.PartialDate{Year: 1985, Month: 11},
				Nationalities: []string{"FR"},
				Gender:        forewarn.GenderMale,
				Links:         []forewarn.PersonLink{{Kind: forewarn.AssocIdentifiedWith, Message: requestID}},
				Claims: []forewarn.PersonClaim{
					{Kind: forewarn.ClaimTravelEntry, Value: "TR", ValidFrom: forewarn.PartialDate{Year: 2013},
						RecordedAt: time.Date(2014, 11, 20, 0, 0, 0, 0, time.UTC),
						Source:     forewarn.Source{Agency: "TR-MIT", Name: "border control"},
						Grading:    forewarn.Grading{Reliability: "B", Credibility: 2}},
					{Kind: forewarn.ClaimTravelExit, Value: "TR", Negative: true, Note: "no exit record",
						RecordedAt: time.Date(2014, 11, 20, 0, 0, 0, 0, time.UTC),
						Source:     forewarn.Source{Agency: "TR-MIT", Name: "border control"},
						Grading:    forewarn.Grading{Reliability: "B", Credibility: 3}},
				},
			}},
		},
	}
}

func sampleReceipt(t *testing.T, envelope []byte) *Receipt {
	d, err := Digest(envelope)
	if err != nil {
		t.Fatal(err)
	}
	return &Receipt{MessageID: notificationID, Recipient: "FR-DGSI", ReceivedAt: sampleCreated.Add(2 * time.Second), Digest: d}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./envelope -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed: the wire format or its signature is no longer byte-for-byte the same.\n got: %s\nwant: %s\n"+
			"If the change is intended, it breaks older nodes: read docs/envelope.md, then run with -update.", name, got, want)
	}
}

func TestEnvelopeGolden(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.golden", wire)

	// The pinned bytes open to the message they were made from.
	want, err := os.ReadFile(filepath.Join("testdata", "sample.golden"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(want, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, sampleMessage()) {
		t.Errorf("Open(golden) =\n%+v\nwant\n%+v", m, sampleMessage())
	}
}

// TestSealEncoded: sealing with the message's encoding returned gives the envelope Seal
// gives, and the encoding is encoding/json's, whose digest a store audits.
func TestSealEncoded(t *testing.T) {
	wire, encoded, err := SealEncoded(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "sample.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wire, want) {
		t.Errorf("SealEncoded's envelope differs from the pinned one:\n%s", wire)
	}
	raw, err := json.Marshal(sampleMessage())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encoded, raw) {
		t.Errorf("SealEncoded's encoding\n%s\nwant encoding/json's\n%s", encoded, raw)
	}
	bad := sampleMessage()
	bad.From = "nobody"
	if _, _, err := SealEncoded(bad, turkey); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("SealEncoded of an invalid message: %v, want EINVALID", err)
	}
}

func TestReceiptGolden(t *testing.T) {
	env, err := os.ReadFile(filepath.Join("testdata", "sample.golden"))
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReceipt(t, env)
	wire, err := SealReceipt(r, france)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "receipt.golden", wire)
	got, err := OpenReceipt(wire, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("OpenReceipt = %+v, want %+v", got, r)
	}
}

func TestEnvelopeSignedBytes(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Message    json.RawMessage `json:"message"`
		Signatures []Signature     `json:"signatures"`
	}
	if err := json.Unmarshal(wire, &env); err != nil {
		t.Fatal(err)
	}
	// Written out by hand from the documented rule, not through the code under test.
	signed := "forewarn-envelope-v1\n" + `{"message":` + string(env.Message) + `,"v":1}`
	sig, err := sigEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(turkey.PublicKey(), []byte(signed), sig) {
		t.Error("the signature does not cover the domain prefix and the canonical envelope without signatures")
	}
	if env.Signatures[0].KeyID != "TR-MIT" || env.Signatures[0].Alg != "ed25519" {
		t.Errorf("signature = %+v, want key_id TR-MIT, alg ed25519", env.Signatures[0])
	}
}

// leaves calls fn with the path of every scalar in v.
func leaves(v any, path string, fn func(path string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			leaves(e, path+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			leaves(e, fmt.Sprintf("%s/%d", path, i), fn)
		}
	default:
		fn(path)
	}
}

// mutate changes the scalar at path in a copy of the envelope and re-encodes it.
func mutate(t *testing.T, wire []byte, path string, change func(any) any) []byte {
	t.Helper()
	tree, err := parse(wire)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var walk func(v any, parts []string) any
	walk = func(v any, parts []string) any {
		if len(parts) == 0 {
			return change(v)
		}
		switch x := v.(type) {
		case map[string]any:
			x[parts[0]] = walk(x[parts[0]], parts[1:])
		case []any:
			var i int
			fmt.Sscan(parts[0], &i)
			x[i] = walk(x[i], parts[1:])
		}
		return v
	}
	out, err := appendCanonical(nil, walk(tree, parts))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func alter(v any) any {
	switch x := v.(type) {
	case string:
		return x + "0"
	case json.Number:
		return json.Number(string(x) + "1")
	case bool:
		return !x
	}
	return "x" // null
}

func TestEnvelopeTamperingBreaksVerification(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := parse(wire)
	n := 0
	leaves(tree.(map[string]any)["message"], "/message", func(path string) {
		n++
		tampered := mutate(t, wire, path, alter)
		if _, err := Open(tampered, keys, 0); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
			t.Errorf("changing %s: Open = %v, want EUNAUTHORIZED", path, err)
		}
	})
	if n < 30 {
		t.Fatalf("only %d fields were tampered with; the walk is broken", n)
	}
	for _, tt := range []struct {
		path string
		code string
	}{
		{"/v", forewarn.EINVALID},                        // unknown version
		{"/signatures/0/key_id", forewarn.EUNAUTHORIZED}, // not signed by the sender
		{"/signatures/0/alg", forewarn.EUNAUTHORIZED},    // unknown algorithm
		{"/signatures/0/sig", forewarn.EINVALID},         // not a signature any more
		{"/message/to/0", forewarn.EUNAUTHORIZED},        // readdressed
		{"/message/notification/priority", forewarn.EUNAUTHORIZED},
	} {
		if _, err := Open(mutate(t, wire, tt.path, alter), keys, 0); forewarn.ErrorCode(err) != tt.code {
			t.Errorf("changing %s: Open = %v, want %s", tt.path, err, tt.code)
		}
	}
	// Adding or removing a member of the message is tampering too.
	for name, change := range map[string]func(m map[string]any){
		"add a member":    func(m map[string]any) { m["in_reply_to"] = requestID },
		"remove a member": func(m map[string]any) { delete(m, "marks") },
	} {
		tree, _ := parse(wire)
		change(tree.(map[string]any)["message"].(map[string]any))
		data, _ := appendCanonical(nil, tree)
		if _, err := Open(data, keys, 0); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
			t.Errorf("%s: Open = %v, want EUNAUTHORIZED", name, err)
		}
	}
	// A flipped bit in the signature itself.
	sigAt := bytes.Index(wire, []byte(`"sig":"`)) + len(`"sig":"`) + 3
	flipped := bytes.Clone(wire)
	flipped[sigAt] ^= 'A' ^ 'B'
	if flipped[sigAt] == wire[sigAt] {
		t.Fatal("the bit flip did nothing")
	}
	if _, err := Open(flipped, keys, 0); err == nil {
		t.Error("a flipped signature byte still verifies")
	}
}

// reencode writes v the way a careless relay might: members in reverse order, with
// whitespace, and every non-alphanumeric character as a \u escape.
func reencode(v any) []byte {
	var b strings.Builder
	var write func(v any, indent string)
	write = func(v any, indent string) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			slices.Reverse(keys)
			b.WriteString("{\n")
			for i, k := range keys {
				if i > 0 {
					b.WriteString(" ,\n")
				}
				b.WriteString(indent + "  ")
				write(k, indent+"  ")
				b.WriteString(" : ")
				write(x[k], indent+"  ")
			}
			b.WriteString("\n" + indent + "}")
		case []any:
			b.WriteString("[ ")
			for i, e := range x {
				if i > 0 {
					b.WriteString(", ")
				}
				write(e, indent)
			}
			b.WriteString(" ]")
		case string:
			b.WriteByte('"')
			for _, r := range x {
				switch {
				case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
					b.WriteRune(r)
				case r > 0xffff:
					r1, r2 := rune(0xd800+((r-0x10000)>>10)), rune(0xdc00+((r-0x10000)&0x3ff))
					fmt.Fprintf(&b, `\u%04X\u%04X`, r1, r2)
				default:
					fmt.Fprintf(&b, `\u%04X`, r)
				}
			}
			b.WriteByte('"')
		case json.Number:
			b.WriteString(string(x) + ".0e0")
		default:
			out, _ := json.Marshal(x)
			b.Write(out)
		}
	}
	write(v, "")
	return []byte(b.String())
}

func TestEnvelopeSurvivesReencodingInTransit(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := parse(wire)
	relayed := reencode(tree)
	if bytes.Equal(relayed, wire) || !bytes.Contains(relayed, []byte(`\u00EB`)) {
		t.Fatalf("the re-encoding did not change the bytes:\n%s", relayed)
	}
	m, err := Open(relayed, keys, 0)
	if err != nil {
		t.Fatalf("Open(re-encoded) = %v\n%s", err, relayed)
	}
	if !reflect.DeepEqual(m, sampleMessage()) {
		t.Errorf("Open(re-encoded) = %+v, want the sample message", m)
	}
	d1, _ := Digest(wire)
	d2, _ := Digest(relayed)
	if d1 != d2 || len(d1) != 64 {
		t.Errorf("digests differ: %s sent, %s relayed", d1, d2)
	}
	// OpenDigest gives the same message and digest from one parse.
	m2, d3, err := OpenDigest(relayed, keys, 0)
	if err != nil || d3 != d1 || !reflect.DeepEqual(m2, m) {
		t.Errorf("OpenDigest(re-encoded) = %+v, %s, %v; want the sample message and digest %s", m2, d3, err, d1)
	}
	// HasDigest takes the sealed bytes' own SHA-256, and the canonical form's for bytes
	// re-encoded in transit; any other digest is refused.
	if !HasDigest(wire, d1) || !HasDigest(relayed, d1) || HasDigest(wire, strings.Repeat("0", 64)) || HasDigest([]byte("{"), d1) {
		t.Errorf("HasDigest does not tell the envelope's digest %s from others", d1)
	}
	if _, d, err := OpenDigest(append(relayed[:len(relayed)-1:len(relayed)-1], []byte(` , "x": 1}`)...), keys, 0); err == nil || d != "" {
		t.Errorf("OpenDigest of an envelope with an unknown member = %s, %v; want an error", d, err)
	}
}

// TestEnvelopeUnknownMessageFields: a newer node's extra field is signed, delivered,
// kept in the digest, and ignored by this node's decoder.
func TestEnvelopeUnknownMessageFields(t *testing.T) {
	raw, _ := json.Marshal(sampleMessage())
	body, _ := parse(raw)
	body.(map[string]any)["handling_caveat"] = map[string]any{"code": "no_foreign_release", "since": json.Number("2")}
	body.(map[string]any)["notification"].(map[string]any)["confidence"] = "high"
	wire, err := sealTree(envelopeFormat, body, "TR-MIT", turkey)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(wire, keys, 0)
	if err != nil {
		t.Fatalf("Open = %v, want the unknown fields ignored", err)
	}
	if !reflect.DeepEqual(m, sampleMessage()) {
		t.Errorf("Open = %+v, want the sample message", m)
	}
	plain, _ := Seal(sampleMessage(), turkey)
	d1, _ := Digest(wire)
	d2, _ := Digest(plain)
	if d1 == d2 {
		t.Error("the digest does not cover the unknown fields")
	}
	stripped := mutate(t, wire, "/message/notification/confidence", func(any) any { return "low" })
	if _, err := Open(stripped, keys, 0); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
		t.Errorf("changing an unknown field: Open = %v, want EUNAUTHORIZED", err)
	}
}

func TestOpenRejects(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(sampleMessage())
	body := func() map[string]any {
		b, _ := parse(raw)
		return b.(map[string]any)
	}
	sealed := func(f format, body map[string]any, keyID string, s forewarn.Signer) []byte {
		out, err := sealTree(f, body, keyID, s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(wire, []byte(old)) {
			t.Fatalf("%s not in the envelope", old)
		}
		return bytes.Replace(wire, []byte(old), []byte(new), 1)
	}
	invalidMessage := body()
	invalidMessage["to"] = []any{"FR-DGSI", "BE-VSSE"} // not releasable to Belgium
	badRef := body()
	badRef["notification"].(map[string]any)["persons"].([]any)[0].(map[string]any)["ref"] = ""
	upperCase := body()
	upperCase["KIND"] = "request"
	wrongType := body()
	wrongType["version"] = "one"
	noFrom := body()
	delete(noFrom, "from")
	belgianSender := body()
	belgianSender["from"] = "BE-VSSE"
	unknownSender := body()
	unknownSender["from"] = "XX-NOBODY"

	tests := []struct {
		name     string
		data     []byte
		maxBytes int
		code     string
		msg      string
	}{
		{"oversized", wire, len(wire) - 1, forewarn.EINVALID, "bytes; the limit is"},
		{"oversized by default", append(bytes.Repeat([]byte(" "), DefaultMaxBytes), wire...), 0, forewarn.EINVALID, "the limit is"},
		{"not JSON", []byte("hello"), 0, forewarn.EINVALID, "malformed JSON"},
		{"not an object", []byte(`[1]`), 0, forewarn.EINVALID, "must be a JSON object"},
		{"duplicate member", replace(`"kind":"notification"`, `"kind":"notification","kind":"request"`), 0, forewarn.EINVALID, `"kind" appears twice`},
		{"invalid UTF-8", replace("Ismaël", "Isma\xebl"), 0, forewarn.EINVALID, "UTF-8"},
		{"unknown envelope member", replace(`{"message"`, `{"expires":"never","message"`), 0, forewarn.EINVALID, `unknown envelope member "expires"`},
		{"version 2", replace(`"v":1`, `"v":2`), 0, forewarn.EINVALID, "envelope version 2 is not supported"},
		{"version missing", replace(`,"v":1`, ``), 0, forewarn.EINVALID, "no numeric version"},
		{"message missing", []byte(`{"signatures":[],"v":1}`), 0, forewarn.EINVALID, "message member is missing"},
		{"upper-case member name", sealed(envelopeFormat, upperCase, "TR-MIT", turkey), 0, forewarn.EINVALID, `"KIND"`},
		{"sender missing", sealed(envelopeFormat, noFrom, "TR-MIT", turkey), 0, forewarn.EINVALID, "from member must be an agency code"},
		{"empty signatures", bytes.Replace(wire, wire[bytes.Index(wire, []byte(`"signatures":`)):bytes.Index(wire, []byte(`,"v":1`))], []byte(`"signatures":[]`), 1), 0, forewarn.EUNAUTHORIZED, "carries no signatures"},
		{"signatures not an array", bytes.Replace(wire, wire[bytes.Index(wire, []byte(`"signatures":`)):bytes.Index(wire, []byte(`,"v":1`))], []byte(`"signatures":"yes"`), 1), 0, forewarn.EINVALID, "must be an array"},
		{"signed by someone else", sealed(envelopeFormat, body(), "BE-VSSE", belgium), 0, forewarn.EUNAUTHORIZED, "not signed by TR-MIT, its from"},
		{"sender's name, another key", sealed(envelopeFormat, body(), "TR-MIT", belgium), 0, forewarn.EUNAUTHORIZED, "does not verify"},
		{"unknown sender", sealed(envelopeFormat, unknownSender, "XX-NOBODY", belgium), 0, forewarn.EUNAUTHORIZED, "unknown from XX-NOBODY"},
		{"receipt signature replayed as envelope", sealed(receiptFormat, body(), "TR-MIT", turkey), 0, forewarn.EINVALID, `unknown envelope member "receipt"`},
		{"signed with the receipt domain", func() []byte {
			// Same member names as an envelope, signed under the receipt prefix.
			f := envelopeFormat
			f.domain = receiptDomain
			return sealed(f, body(), "TR-MIT", turkey)
		}(), 0, forewarn.EUNAUTHORIZED, "does not verify"},
		{"wrong member type", sealed(envelopeFormat, wrongType, "TR-MIT", turkey), 0, forewarn.EINVALID, "malformed message"},
		{"invalid message, validly signed", sealed(envelopeFormat, badRef, "TR-MIT", turkey), 0, forewarn.EINVALID, "notification.persons[0].ref"},
		{"marks forbid a recipient, validly signed", sealed(envelopeFormat, invalidMessage, "TR-MIT", turkey), 0, forewarn.EFORBIDDEN, "to[1]"},
		{"sender is Belgium, signed by Belgium", sealed(envelopeFormat, belgianSender, "BE-VSSE", belgium), 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(tt.data, keys, tt.maxBytes)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Open = %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Open = %+v, want a %s error", m, tt.code)
			}
			if c := forewarn.ErrorCode(err); c != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Open = %s %q, want %s containing %q", c, err, tt.code, tt.msg)
			}
		})
	}
}

func TestEnvelopeCoSignatures(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := parse(wire)
	env := tree.(map[string]any)
	signed, _ := signedBytes(envelopeDomain, env)
	cosign := func(s seedSigner, keyID string) []byte {
		sig, _ := s.Sign(signed)
		env := maps(env)
		env["signatures"] = append(slices.Clone(env["signatures"].([]any)),
			map[string]any{"key_id": keyID, "alg": "ed25519", "sig": sigEncoding.EncodeToString(sig)})
		out, _ := appendCanonical(nil, env)
		return out
	}
	if _, err := Open(cosign(france, "FR-DGSI"), keys, 0); err != nil {
		t.Errorf("a valid co-signature: Open = %v", err)
	}
	if _, err := Open(cosign(belgium, "FR-DGSI"), keys, 0); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
		t.Errorf("a bad co-signature: Open = %v, want EUNAUTHORIZED", err)
	}
	if _, err := Open(cosign(turkey, "TR-MIT"), keys, 0); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("the sender signing twice: Open = %v, want EINVALID", err)
	}
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

type brokenSigner struct{ seedSigner }

func (brokenSigner) Sign([]byte) ([]byte, error) { return nil, errors.New("token removed") }

func TestSealRefuses(t *testing.T) {
	invalid := sampleMessage()
	invalid.Notification.Persons = nil
	if _, err := Seal(invalid, turkey); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("an invalid message: Seal = %v, want EINVALID", err)
	}
	m := sampleMessage()
	if _, err := Seal(m, mismatched{turkey, belgium}); forewarn.ErrorCode(err) != forewarn.EINTERNAL {
		t.Errorf("a signer whose public key does not match: Seal = %v, want EINTERNAL", err)
	}
	// Only a signer that says it signs in process is trusted without the check.
	if _, err := Seal(m, inProcess{mismatched{turkey, belgium}}); err != nil {
		t.Errorf("a signer that signs in process: Seal = %v, want its signature taken unchecked", err)
	}
	if _, err := Seal(m, brokenSigner{turkey}); forewarn.ErrorCode(err) != forewarn.EINTERNAL {
		t.Errorf("a failing signer: Seal = %v, want EINTERNAL", err)
	}
}

// inProcess is a signer that says it signs in this process (as keyfile.Key does).
type inProcess struct{ mismatched }

func (inProcess) SignsInProcess() bool { return true }

// mismatched signs with one key and reports another.
type mismatched struct{ signs, reports seedSigner }

func (m mismatched) PublicKey() ed25519.PublicKey    { return m.reports.PublicKey() }
func (m mismatched) Sign(msg []byte) ([]byte, error) { return m.signs.Sign(msg) }

func TestReceipt(t *testing.T) {
	env, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	r := sampleReceipt(t, env)
	wire, err := SealReceipt(r, france)
	if err != nil {
		t.Fatal(err)
	}
	// The receipt is France's: Turkey cannot forge it, and it is not an envelope.
	forged, err := sealTree(receiptFormat, func() any { t, _ := parse(mustJSON(r)); return t }(), "FR-DGSI", turkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReceipt(forged, keys, 0); forewarn.ErrorCode(err) != forewarn.EUNAUTHORIZED {
		t.Errorf("a receipt signed with the wrong key: OpenReceipt = %v, want EUNAUTHORIZED", err)
	}
	if _, err := Open(wire, keys, 0); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("a receipt opened as an envelope: Open = %v, want EINVALID", err)
	}
	if _, err := OpenReceipt(env, keys, 0); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("an envelope opened as a receipt: OpenReceipt = %v, want EINVALID", err)
	}
	for _, path := range []string{"/receipt/message_id", "/receipt/recipient", "/receipt/received_at", "/receipt/digest"} {
		if _, err := OpenReceipt(mutate(t, wire, path, alter), keys, 0); err == nil {
			t.Errorf("changing %s: OpenReceipt succeeded", path)
		}
	}
	if _, err := OpenReceipt(wire, keys, len(wire)-1); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("an oversized receipt: OpenReceipt = %v, want EINVALID", err)
	}
}

func TestReceiptValidate(t *testing.T) {
	good := Receipt{MessageID: notificationID, Recipient: "FR-DGSI", ReceivedAt: sampleCreated, Digest: strings.Repeat("ab", 32)}
	tests := []struct {
		name   string
		mutate func(r *Receipt)
		field  string
	}{
		{"message id", func(r *Receipt) { r.MessageID = "m1" }, "message_id"},
		{"recipient", func(r *Receipt) { r.Recipient = "france" }, "recipient"},
		{"received at", func(r *Receipt) { r.ReceivedAt = time.Time{} }, "received_at"},
		{"digest length", func(r *Receipt) { r.Digest = "abcd" }, "digest"},
		{"digest case", func(r *Receipt) { r.Digest = strings.Repeat("AB", 32) }, "digest"},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid receipt: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.mutate(&r)
			var e *forewarn.Error
			if err := r.Validate(); !errors.As(err, &e) || e.Field != tt.field {
				t.Errorf("Validate = %v, want an error on %s", err, tt.field)
			}
			if _, err := SealReceipt(&r, france); forewarn.ErrorCode(err) != forewarn.EINVALID {
				t.Errorf("SealReceipt = %v, want EINVALID", err)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// sampleAck is France's acknowledgement of the December warning, naming who answered.
func sampleAck(by *forewarn.AckAuthor) *forewarn.Message {
	created := sampleCreated.Add(3 * time.Hour)
	return &forewarn.Message{
		ID: "014a0fe6-8a40-7000-8000-00000000000c", Version: 1, From: "FR-DGSI", To: []string{"TR-MIT"},
		Created: created, Kind: forewarn.KindAcknowledgement, InReplyTo: notificationID,
		Marks: forewarn.HandlingMarks{TLP: forewarn.TLPAmber, ReleasableTo: []string{"TR-MIT"}},
		Ack: &forewarn.Acknowledgement{Stage: forewarn.AckActioned, Outcome: forewarn.OutcomeActionTaken,
			Reason: "Same man as our watch-listed subject; surveillance requested.", By: by},
	}
}

// TestAckGolden pins an acknowledgement with its optional "by" member (added under the
// rules for adding fields), and shows that one without it has the member omitted, as
// older nodes write it.
func TestAckGolden(t *testing.T) {
	m := sampleAck(&forewarn.AckAuthor{Kind: forewarn.AuthorUser, Name: "liaison"})
	wire, err := Seal(m, france)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ack.golden", wire)
	got, err := Open(wire, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("Open(ack) =\n%+v\nwant\n%+v", got, m)
	}
	bare, err := Seal(sampleAck(nil), france)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bare, []byte(`"by"`)) {
		t.Errorf("an acknowledgement naming only the agency carries a by member: %s", bare)
	}
	bad := sampleAck(&forewarn.AckAuthor{Kind: "minister", Name: "x"})
	if _, err := Seal(bad, france); forewarn.ErrorCode(err) != forewarn.EINVALID {
		t.Errorf("an unknown author kind sealed: %v", err)
	}
}

// TestMemberNames: member names are lower-case snake_case at any depth, and a refusal
// names the members that hold the bad one.
func TestMemberNames(t *testing.T) {
	for name, want := range map[string]bool{"kind": true, "in_reply_to": true, "a1_b": true, "x": true,
		"": false, "Kind": false, "kIND": false, "1st": false, "_x": false, "a-b": false, "a.b": false, "é": false, "ab c": false} {
		if got := isMemberName(name); got != want {
			t.Errorf("isMemberName(%q) = %v, want %v", name, got, want)
		}
	}
	tree := map[string]any{"notification": map[string]any{"persons": []any{map[string]any{"names": []any{map[string]any{"Value": "x"}}}}}}
	err := checkMemberNames(tree, "message")
	if forewarn.ErrorCode(err) != forewarn.EINVALID || !strings.Contains(err.Error(), `message.notification.persons.names has the member name "Value"`) {
		t.Errorf("checkMemberNames of a nested bad name: %v", err)
	}
	if err := checkMemberNames(map[string]any{"notification": []any{map[string]any{"summary": "x"}}}, "message"); err != nil {
		t.Errorf("checkMemberNames of good names: %v", err)
	}
}
