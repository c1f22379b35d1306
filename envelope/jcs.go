package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/forewarn/forewarn"
)

// Bounds on the JSON this package parses. A message needs about ten levels of nesting,
// strings no longer than its longest text (64 KiB) and far fewer values than 1 MiB can
// hold; the bounds keep a hostile input from costing the node more than a real message.
const (
	// MaxDepth is how deeply objects and arrays may nest.
	MaxDepth = 32
	// MaxStringBytes bounds one string or member name, once unescaped.
	MaxStringBytes = 128 << 10
	// MaxNumberBytes bounds one number as written; ours are integers within ±2^53.
	MaxNumberBytes = 32
	// MaxValues bounds how many values (strings, numbers, objects, …) one document holds.
	MaxValues = 100_000
)

// Canonicalize returns the RFC 8785 (JSON Canonicalization Scheme) form of the JSON
// document data: object members sorted by the UTF-16 code units of their names, no
// whitespace, minimal string escapes and ECMAScript number formatting. It refuses what
// RFC 8785 cannot canonicalise (invalid UTF-8, lone surrogates, duplicate member names,
// numbers beyond IEEE 754 double range) with an EINVALID error.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := parse(data)
	if err != nil {
		return nil, err
	}
	return appendCanonical(nil, v)
}

func malformed(format string, args ...any) *forewarn.Error {
	return forewarn.Errorf(forewarn.EINVALID, "malformed JSON: "+format, args...)
}

// parse decodes data into nil, bool, string, json.Number, []any and map[string]any.
func parse(data []byte) (any, error) {
	// encoding/json replaces invalid UTF-8 and lone surrogate escapes with U+FFFD without
	// saying so, which would give two different inputs one canonical form; check first.
	if !utf8.Valid(data) {
		return nil, malformed("the input is not valid UTF-8")
	}
	if err := checkSurrogates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	values := 0
	v, err := parseValue(dec, 0, &values)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("more data follows the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, depth int, values *int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
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
				v, err := parseValue(dec, depth+1, values)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, syntaxError(err)
			}
			return arr, nil
		}
		// '{': Token only returns the opening delimiters here.
		obj := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, syntaxError(err)
			}
			key := kt.(string) // the decoder guarantees a string in name position
			if len(key) > MaxStringBytes {
				return nil, malformed("an object member name is %d bytes long; the limit is %d", len(key), MaxStringBytes)
			}
			if _, dup := obj[key]; dup {
				return nil, malformed("the object member %q appears twice", key)
			}
			v, err := parseValue(dec, depth+1, values)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, syntaxError(err)
		}
		return obj, nil
	case string:
		if len(t) > MaxStringBytes {
			return nil, malformed("a string is %d bytes long; the limit is %d", len(t), MaxStringBytes)
		}
		return t, nil
	case json.Number:
		if len(t) > MaxNumberBytes {
			return nil, malformed("a number is written with %d characters; the limit is %d", len(t), MaxNumberBytes)
		}
		return t, nil
	default: // nil, bool
		return t, nil
	}
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("the input ends early")
	}
	return malformed("%v", err)
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

func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// appendCanonical appends the RFC 8785 encoding of v.
func appendCanonical(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case string:
		return appendString(buf, x), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, malformed("%q is not a number", string(x))
		}
		return appendNumber(buf, f, string(x))
	case float64:
		return appendNumber(buf, x, "")
	case int:
		return appendNumber(buf, float64(x), strconv.Itoa(x))
	case int64:
		return appendNumber(buf, float64(x), strconv.FormatInt(x, 10))
	case canonical:
		return append(buf, x...), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendCanonical(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			if !utf8.ValidString(k) {
				return nil, malformed("an object member name is not valid UTF-8")
			}
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = appendCanonical(buf, x[k]); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	}
	return nil, forewarn.Errorf(forewarn.EINTERNAL, "canonical JSON cannot encode a %T", v)
}

// canonical is a value already in its RFC 8785 encoding, which appendCanonical copies:
// a document's payload is encoded once, then placed in what is signed and in the whole.
type canonical []byte

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 §3.2.3 requires;
// it differs from byte order only where characters above U+FFFF meet U+E000-U+FFFF, so
// names in ASCII, as every member name of the formats is, are compared as they are.
func compareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendString escapes only what RFC 8785 requires; everything else is literal UTF-8.
func appendString(buf []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c == '\b':
			buf = append(buf, '\\', 'b')
		case c == '\f':
			buf = append(buf, '\\', 'f')
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '\r':
			buf = append(buf, '\\', 'r')
		case c == '\t':
			buf = append(buf, '\\', 't')
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}

// appendNumber writes f as ECMAScript's Number.prototype.toString does (RFC 8785
// §3.2.2.3); text is the number as written, for the error message.
func appendNumber(buf []byte, f float64, text string) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if text == "" {
			text = strconv.FormatFloat(f, 'g', -1, 64)
		}
		return nil, malformed("the number %s is not a finite IEEE 754 double", text)
	}
	if f == 0 { // and -0, which ECMAScript also writes as 0
		return append(buf, '0'), nil
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(buf, f, 'f', -1, 64), nil
	}
	// Go writes the same shortest digits but pads the exponent to two digits (1e-07);
	// ECMAScript does not (1e-7).
	s := strconv.AppendFloat(nil, f, 'e', -1, 64)
	e := bytes.IndexByte(s, 'e')
	exp := bytes.TrimLeft(s[e+2:], "0")
	buf = append(buf, s[:e+2]...)
	return append(buf, exp...), nil
}
