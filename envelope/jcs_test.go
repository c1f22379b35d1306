package envelope

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

func TestCanonicalizeRFC8785Examples(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			// RFC 8785 §3.2.2: whitespace, number formats and string escapes.
			"rfc8785 3.2.2",
			`{
			  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
			  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
			  "literals": [null, true, false]
			}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		{
			// RFC 8785 §3.2.3: members sorted by UTF-16 code units, so the emoji (a
			// surrogate pair, D83D) sorts before U+FB33 though its code point is larger.
			"rfc8785 3.2.3",
			`{
			  "\u20ac": "Euro Sign",
			  "\r": "Carriage Return",
			  "\ufb33": "Hebrew Letter Dalet With Dagesh",
			  "1": "One",
			  "\ud83d\ude00": "Emoji: Grinning Face",
			  "\u0080": "Control",
			  "\u00f6": "Latin Small Letter O With Diaeresis"
			}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
		{"nested objects sorted, arrays kept in order", `{"b":[3,{"z":1,"a":2}],"a":{}}`, `{"a":{},"b":[3,{"a":2,"z":1}]}`},
		{"control characters", "\"\\u0001\\b\\f\\n\\r\\t\\u001f\"", `"\u0001\b\f\n\r\t\u001f"`},
		{"no escapes beyond the required", `"\u007f\u2028\u003c\/é"`, "\"\u007f\u2028</é\""},
		{"integers up to 2^53", `[9007199254740992,-9007199254740992,0,-0,1.0,1e2,12345678901]`, `[9007199254740992,-9007199254740992,0,0,1,100,12345678901]`},
		{"beyond 2^53 rounds to the double, as RFC 8785 requires", `9007199254740993`, `9007199254740992`},
		{"scalar top level", ` "x" `, `"x"`},
		{"empty containers", `[{},[]]`, `[{},[]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Canonicalize =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestCanonicalizeUTF8Bytes(t *testing.T) {
	// The JCS reference implementation's sample (cyberphone/json-canonicalization), whose
	// output is published as UTF-8 bytes: the euro sign must be e2 82 ac, not an escape.
	in := `{
	  "numbers": [1E30,4.50,6,2e-3,0.000000000000000000000000001],
	  "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
	  "other":  [null, true, false]
	}`
	const want = "7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c" +
		" 5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e" +
		" 30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61" +
		" 6c 73 65 5d 7d"
	got, err := Canonicalize([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if g := hex.EncodeToString(got); g != strings.ReplaceAll(want, " ", "") {
		t.Errorf("Canonicalize = %s (%q)\nwant %s", g, got, want)
	}
}

// TestCanonicalNumbers checks RFC 8785 Appendix B: IEEE 754 bit patterns and the text
// ECMAScript writes for them.
func TestCanonicalNumbers(t *testing.T) {
	tests := []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"},
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555554", "333333333.33333325"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555556", "333333333.3333334"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	}
	for _, tt := range tests {
		bits, err := strconv.ParseUint(tt.bits, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(bits)
		got, err := appendCanonical(nil, f)
		if err != nil || string(got) != tt.want {
			t.Errorf("0x%s: got %s, %v; want %s", tt.bits, got, err, tt.want)
		}
		// The same double, written as Go writes it, canonicalises to the same text.
		got, err = Canonicalize([]byte(strconv.FormatFloat(f, 'g', -1, 64)))
		if err != nil || string(got) != tt.want {
			t.Errorf("0x%s from text: got %s, %v; want %s", tt.bits, got, err, tt.want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendCanonical(nil, f); forewarn.ErrorCode(err) != forewarn.EINVALID {
			t.Errorf("%v: err = %v, want EINVALID", f, err)
		}
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []struct {
		name, in, wantMsg string
	}{
		{"duplicate member", `{"a":1,"a":2}`, `"a" appears twice`},
		{"duplicate member behind an escape", `{"a":1,"\u0061":2}`, `"a" appears twice`},
		{"duplicate member nested", `{"x":[{"b":1,"b":1}]}`, `"b" appears twice`},
		{"invalid UTF-8", "\"\xff\"", "not valid UTF-8"},
		{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", "not valid UTF-8"},
		{"lone high surrogate", `"\ud83d"`, "half a surrogate pair"},
		{"high surrogate then a letter", `"\ud83dx"`, "half a surrogate pair"},
		{"high surrogate then a high surrogate", `"\ud83d\ud83d"`, "half a surrogate pair"},
		{"lone low surrogate", `"\ude00"`, "half a surrogate pair"},
		{"number beyond double range", `1e400`, "not a finite IEEE 754 double"},
		{"NaN", `NaN`, "malformed JSON"},
		{"trailing data", `{} {}`, "more data follows"},
		{"trailing garbage", `{}x`, "more data follows"},
		{"truncated", `{"a":`, "ends early"},
		{"empty", ``, "ends early"},
		{"trailing comma", `[1,]`, "malformed JSON"},
		{"leading zero", `01`, "malformed JSON"},
		{"raw control character in string", "\"a\nb\"", "malformed JSON"},
		{"too deep", deep, "nest deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Canonicalize([]byte(tt.in))
			if forewarn.ErrorCode(err) != forewarn.EINVALID {
				t.Fatalf("Canonicalize = %q, %v; want an EINVALID error", out, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestCanonicalizeAcceptsSurrogatePairEscapes(t *testing.T) {
	got, err := Canonicalize([]byte(`["\ud83d\ude00", "\\ud83d", "\"\ud83d\ude00"]`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `["😀","\\ud83d","\"😀"]`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[true,false,null]}`,
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
		`"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"`,
		`{"\ud83d\ude00":1,"\ufb33":2}`,
		`{"a":1,"a":2}`,
		`"\ud800"`,
		`[1e400, -0, 5e-324]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(in)
		if err != nil {
			if forewarn.ErrorCode(err) != forewarn.EINVALID {
				t.Fatalf("Canonicalize(%q) failed with code %s: %v", in, forewarn.ErrorCode(err), err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Canonicalize(%q) = %q, not valid JSON", in, out)
		}
		again, err := Canonicalize(out)
		if err != nil {
			t.Fatalf("canonical output %q does not canonicalise: %v", out, err)
		}
		if string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}
