package envelope

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// parseStd is the parser parse replaced, over encoding/json's tokenizer: parse must build
// the same tree from every input it accepts, and refuse every input it refused.
func parseStd(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, malformed("the input is not valid UTF-8")
	}
	if err := checkSurrogates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	values := 0
	v, err := parseStdValue(dec, 0, &values)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("more data follows the JSON value")
	}
	return v, nil
}

func parseStdValue(dec *json.Decoder, depth int, values *int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, malformed("the input ends early")
		}
		return nil, malformed("%v", err)
	}
	if *values++; *values > MaxValues {
		return nil, malformed("the document holds more than %d values", MaxValues)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return nil, malformed("objects and arrays nest deeper than %d levels", MaxDepth)
		}
		if t == '[' {
			arr := []any{}
			for dec.More() {
				v, err := parseStdValue(dec, depth+1, values)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, malformed("%v", err)
			}
			return arr, nil
		}
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, malformed("%v", err)
			}
			key := kt.(string)
			if len(key) > MaxStringBytes {
				return nil, malformed("an object member name is too long")
			}
			if _, dup := obj[key]; dup {
				return nil, malformed("the object member %q appears twice", key)
			}
			v, err := parseStdValue(dec, depth+1, values)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, malformed("%v", err)
		}
		return obj, nil
	case string:
		if len(t) > MaxStringBytes {
			return nil, malformed("a string is too long")
		}
		return t, nil
	case json.Number:
		if len(t) > MaxNumberBytes {
			return nil, malformed("a number is too long")
		}
		return t, nil
	default:
		return t, nil
	}
}

// checkSurrogates refuses \u escapes that encode half of a UTF-16 surrogate pair, which
// I-JSON (RFC 7493) forbids and encoding/json would silently replace.
func checkSurrogates(data []byte) error {
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(data) && data[i+1] == 'u' {
				r, ok := hex4(data, i+2)
				if !ok {
					i++ // a bad escape; the decoder reports it
					continue
				}
				switch {
				case utf16.IsSurrogate(r) && r < 0xdc00:
					low, ok := rune(0), false
					if i+11 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						low, ok = hex4(data, i+8)
					}
					if !ok || low < 0xdc00 || low > 0xdfff {
						return malformed("the string escape \\u%04x is half a surrogate pair", r)
					}
					i += 11
				case utf16.IsSurrogate(r):
					return malformed("the string escape \\u%04x is half a surrogate pair", r)
				default:
					i += 5
				}
			} else {
				i++ // skip the escaped character, which may be a quote
			}
		}
	}
	return nil
}

var parseCorpus = []string{
	`{"b":1,"a":[true,false,null]}`,
	`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001,-0,-1.5e+7]}`,
	`"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"`,
	`{"\ud83d\ude00":1,"\ufb33":2}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `"\ud800"`, `"\ude00"`, `"\ud83dx"`, `"\ud83d\ud83d"`,
	`[1e400, -0, 5e-324]`, " \t\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \r\n", `[]`, `{}`, `[[]]`, `""`,
	`{} {}`, `{}x`, `{"a":`, ``, ` `, `[1,]`, `{"a":1,}`, `01`, `-`, `-01`, `1.`, `1.e5`, `1e`, `1e+`, `.5`, `+1`,
	"\"a\nb\"", "\"\xff\"", `tru`, `true`, `falsey`, `nul`, `null`, `[true false]`, `{"a" 1}`, `{a:1}`, `{"a":1 "b":2}`,
	`"\x"`, `"\u12"`, `"\u12g4"`, `"abc`, `"ab\`, `[1,2`, `{"a":[1,{"b":"\u00e9\t"}]}`, `"\ud83d\ude00"`,
	`123456789012345678901234567890123`, `1234567890123456789012345678901`, `"` + strings.Repeat("x", 100) + `"`,
	strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
}

// TestParseAsBefore checks parse against the parser it replaced.
func TestParseAsBefore(t *testing.T) {
	for _, in := range parseCorpus {
		compareParsers(t, []byte(in))
	}
}

func compareParsers(t *testing.T, in []byte) {
	t.Helper()
	got, err := parse(in)
	want, wantErr := parseStd(in)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("parse(%q) = %v, %v; the decoder-based parser gave %v, %v", in, got, err, want, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("parse(%q) = %#v; the decoder-based parser gave %#v", in, got, want)
	}
}

func FuzzParseAsBefore(f *testing.F) {
	for _, s := range parseCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(compareParsers)
}

// TestSealReceiptAsBefore checks that a receipt sealed from its fields is the one sealed
// by encoding it to JSON and parsing it back, byte for byte.
func TestSealReceiptAsBefore(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	s := testSigner{key}
	for _, at := range []time.Time{time.Date(2026, 12, 2, 16, 20, 15, 123456789, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 500, time.FixedZone("CEST", 7200))} {
		r := &Receipt{MessageID: "0190f1a2-3b4c-7d5e-8f60-718293a4b5c6", Recipient: "FR-DGSI", ReceivedAt: at, Digest: strings.Repeat("ab", 32)}
		got, err := SealReceipt(r, s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := seal(receiptFormat, r, r.Recipient, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("at %s: sealed %s, want %s", at, got, want)
		}
	}
}

type testSigner struct{ key ed25519.PrivateKey }

func (s testSigner) Sign(b []byte) ([]byte, error) { return ed25519.Sign(s.key, b), nil }
func (s testSigner) PublicKey() ed25519.PublicKey  { return s.key.Public().(ed25519.PublicKey) }

// checkCanonicalKnown checks what parseCanonical says of its input's form: canonical only
// when the input is its own canonical form, and then each top-level member's bytes are
// that member's canonical form. Canonical forms are recognised as such.
func checkCanonicalKnown(t *testing.T, in []byte) {
	t.Helper()
	tree, form, err := parseCanonical(in)
	if err != nil {
		return
	}
	want, err := appendCanonical(nil, tree)
	if err != nil {
		if form.ok {
			t.Fatalf("parseCanonical(%q) says canonical, but it has no canonical form: %v", in, err)
		}
		return
	}
	if form.ok && string(want) != string(in) {
		t.Fatalf("parseCanonical(%q) says canonical; its canonical form is %q", in, want)
	}
	if obj, isObj := tree.(map[string]any); isObj && form.ok {
		for k, v := range obj {
			got, ok := form.member(in, k)
			w, _ := appendCanonical(nil, v)
			if !ok || string(got) != string(w) {
				t.Fatalf("parseCanonical(%q): member %q read in place as %q, want %q", in, k, got, w)
			}
		}
	}
	_, again, err := parseCanonical(want)
	if err != nil || !again.ok && !strings.Contains(string(want), `\u`) {
		// Only \u escapes of control characters are canonical and still taken as not.
		t.Fatalf("the canonical form %q of %q is not known as canonical (%v)", want, in, err)
	}
}

// TestParseKnowsCanonical: an envelope as a node writes it is read in place; the same
// envelope re-spaced, reordered or escaped otherwise is not, and opens the same.
func TestParseKnowsCanonical(t *testing.T) {
	for _, in := range append(parseCorpus, `{"a":"x\ny\"z\\"}`, `{"a":"\/"}`, `{"b":1,"a":2}`, `{"a":1.0}`, `{"a":1e2}`, `{"a":100}`, `{"é":1,"z":2}`, `{"a":"\u0041"}`) {
		checkCanonicalKnown(t, []byte(in))
	}
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, form, err := parseCanonical(wire); err != nil || !form.ok {
		t.Fatalf("a sealed envelope is not known as canonical (%v)", err)
	}
	m, digest, err := OpenDigest(wire, keys, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(wire, &tree); err != nil {
		t.Fatal(err)
	}
	respaced, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	m2, digest2, err := OpenDigest(respaced, keys, 0)
	if err != nil || digest2 != digest || !reflect.DeepEqual(m, m2) {
		t.Fatalf("the envelope re-spaced opens as %v, %s, %v; as written %s", m2, digest2, err, digest)
	}
}

func FuzzParseKnowsCanonical(f *testing.F) {
	for _, s := range parseCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(checkCanonicalKnown)
}

// TestLazyPayloadAsFull checks that a payload read lazily is one the full parse finds
// canonical, an object, with snake_case names and the same signer; and that what a node
// writes is read lazily.
func TestLazyPayloadAsFull(t *testing.T) {
	wire, err := Seal(sampleMessage(), turkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, signer, ok := parsePayloadLazily(wire, "message", "from"); !ok || signer != sampleMessage().From {
		t.Fatalf("a sealed envelope is not read lazily (%v), or its signer is %q", ok, signer)
	}
	for _, in := range lazyCorpus() {
		checkLazyAsFull(t, []byte(in))
	}
}

func lazyCorpus() []string {
	payloads := append(parseCorpus, `{"from":"TR-MIT","a":1}`, `{"a":1,"from":"TR-MIT"}`, `{"from":"TR-MIT","from":"FR-DGSI"}`,
		`{"from":1}`, `{"from":"TR-\u004dIT"}`, `{"from":"TR-MIT","x":{"Bad":1}}`, `{"from":"TR-MIT","x":[{"b":1,"a":2}]}`,
		`{"from":"TR-MIT","x":"a\nb"}`, `{"from":"TR-MIT","x":"\/"}`, `{"from":"TR-MIT","x":1.0}`, `{"from":"TR-MIT","x":[1e2,100]}`,
		`{"a":{"b":{"c":[null,true,false,"é",-1.5]}},"from":"TR-MIT"}`, `{"a_1":2,"a_":1}`, `{"":1}`, `{"é":1}`)
	var out []string
	for _, p := range payloads {
		out = append(out, `{"message":`+p+`,"signatures":[],"v":1}`, `{"message":`+p+`}`, `{"message": `+p+`,"v":1}`,
			`{"a":1,"message":`+p+`,"v":1}`, `{"message":`+p+`,"v":1.0}`, `{"message":`+p+`,"message":{},"v":1}`)
	}
	return out
}

func checkLazyAsFull(t *testing.T, in []byte) {
	t.Helper()
	_, _, signer, lazy := parsePayloadLazily(in, "message", "from")
	tree, form, err := parseCanonical(in)
	var body map[string]any
	full := err == nil && form.ok
	if full {
		env, isObj := tree.(map[string]any)
		body, _ = env["message"].(map[string]any)
		full = isObj && body != nil && checkMemberNames(body, "message") == nil
	}
	if lazy != full {
		t.Fatalf("parsePayloadLazily(%q) reads it lazily: %v; the full parse finds it canonical with a snake_case object payload: %v (%v)", in, lazy, full, err)
	}
	if want, _ := body["from"].(string); lazy && signer != want {
		t.Fatalf("parsePayloadLazily(%q) finds the signer %q, the full parse %q", in, signer, want)
	}
}

func FuzzLazyPayloadAsFull(f *testing.F) {
	for _, s := range lazyCorpus() {
		f.Add([]byte(s))
	}
	f.Fuzz(checkLazyAsFull)
}

// TestTranscodeAsTree checks that writing a document's canonical form as it is read
// gives what parsing it into a tree and writing that gives, and refuses what that refuses.
func TestTranscodeAsTree(t *testing.T) {
	raw, err := json.Marshal(sampleMessage())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range append(append(parseCorpus, string(raw), `{"a":"<&>\u2028","é":{"z":1,"b":[{"y":2,"x":1}]},"A":null}`), lazyCorpus()...) {
		checkTranscodeAsTree(t, []byte(in))
	}
}

func checkTranscodeAsTree(t *testing.T, in []byte) {
	t.Helper()
	got, ok := appendCanonicalJSON(nil, in)
	want, err := Canonicalize(in)
	if ok != (err == nil) || ok && string(got) != string(want) {
		t.Fatalf("appendCanonicalJSON(%q) = %q, %v; Canonicalize gives %q, %v", in, got, ok, want, err)
	}
}

func FuzzTranscodeAsTree(f *testing.F) {
	for _, s := range append(parseCorpus, lazyCorpus()...) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkTranscodeAsTree)
}
