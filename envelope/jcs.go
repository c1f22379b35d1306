package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
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
//
// It reads the bytes in one pass, without encoding/json's tokenizer (whose Token interface
// cost an envelope's receiver more than verifying its signature), and refuses what that
// decoder refuses, and more: invalid UTF-8 and lone surrogate escapes, which encoding/json
// replaces with U+FFFD without saying so and which would give two different inputs one
// canonical form.
func parse(data []byte) (any, error) {
	v, _, err := parseCanonical(data)
	return v, err
}

// parseCanonical is parse that also tells whether data is already in its canonical form
// (written as appendCanonical writes its tree: no whitespace, members in order, only the
// escapes RFC 8785 makes, numbers as ECMAScript writes them), and where each member of a
// top-level object is: its value's canonical bytes are then data[at[0]:at[1]], read in
// place rather than written again. Nodes write their envelopes canonical, so an envelope
// from a peer nearly always is; when in doubt, it says not canonical.
func parseCanonical(data []byte) (v any, c canonicalInput, err error) {
	if !utf8.Valid(data) {
		return nil, c, malformed("the input is not valid UTF-8")
	}
	p := parser{data: data, canon: true}
	v, err = p.value(0)
	if err != nil {
		return nil, c, err
	}
	p.space()
	if p.i < len(p.data) {
		return nil, c, malformed("more data follows the JSON value")
	}
	return v, canonicalInput{ok: p.canon, members: p.members}, nil
}

// canonicalInput is what parseCanonical found of its input's form.
type canonicalInput struct {
	ok      bool              // the input is its own canonical form
	members map[string][2]int // a top-level object's members: where each value is
}

// member returns the canonical bytes of the top-level member name of a canonical input.
func (c canonicalInput) member(data []byte, name string) ([]byte, bool) {
	at, found := c.members[name]
	if !c.ok || !found {
		return nil, false
	}
	return data[at[0]:at[1]], true
}

// parser walks JSON bytes (already known to be valid UTF-8) and builds the tree.
type parser struct {
	data   []byte
	i      int
	values int
	buf    []byte // scratch for strings with escapes
	// canon stays true while what was read is in canonical form; members are where the
	// values of a top-level object's members are.
	canon   bool
	members map[string][2]int
	// lazy names a top-level member whose value, an object, is checked without building
	// its tree while the input is canonical (parsePayloadLazily); signerKey names the
	// member of that object whose string value is kept in signer.
	lazy, signerKey, signer string
	skipped                 bool // the lazy member was checked without its tree
}

func (p *parser) space() {
	start := p.i
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			p.canon = p.canon && p.i == start
			return
		}
	}
	p.canon = p.canon && p.i == start
}

func (p *parser) early() error { return malformed("the input ends early") }

func (p *parser) unexpected(context string) error {
	if p.i >= len(p.data) {
		return p.early()
	}
	return malformed("invalid character %q %s", p.data[p.i], context)
}

func (p *parser) value(depth int) (any, error) {
	p.space()
	if p.i >= len(p.data) {
		return nil, p.early()
	}
	if p.values++; p.values > MaxValues {
		return nil, malformed("the document holds more than %d values", MaxValues)
	}
	switch c := p.data[p.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return nil, malformed("objects and arrays nest deeper than %d levels", MaxDepth)
		}
		p.i++
		obj := map[string]any{}
		p.space()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return obj, nil
		}
		if depth == 0 {
			p.members = map[string][2]int{}
		}
		prev := ""
		for n := 0; ; n++ {
			p.space()
			if p.i >= len(p.data) {
				return nil, p.early()
			}
			if p.data[p.i] != '"' {
				return nil, p.unexpected("looking for beginning of object key string")
			}
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			if len(key) > MaxStringBytes {
				return nil, malformed("an object member name is %d bytes long; the limit is %d", len(key), MaxStringBytes)
			}
			if _, dup := obj[key]; dup {
				return nil, malformed("the object member %q appears twice", key)
			}
			if p.canon && n > 0 && compareUTF16(prev, key) >= 0 {
				p.canon = false // out of order
			}
			prev = key
			p.space()
			if p.i >= len(p.data) {
				return nil, p.early()
			}
			if p.data[p.i] != ':' {
				return nil, p.unexpected("after object key")
			}
			p.i++
			start := p.i
			var v any
			if depth == 0 && p.lazy != "" && key == p.lazy && p.canon {
				v, err = lazyPayload{}, p.skipPayload(depth+1)
				p.skipped = true
			} else {
				v, err = p.value(depth + 1)
			}
			if err != nil {
				return nil, err
			}
			if depth == 0 {
				p.members[key] = [2]int{start, p.i}
			}
			obj[key] = v
			p.space()
			if p.i >= len(p.data) {
				return nil, p.early()
			}
			switch p.data[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				return obj, nil
			default:
				return nil, p.unexpected("after object key:value pair")
			}
		}
	case c == '[':
		if depth >= MaxDepth {
			return nil, malformed("objects and arrays nest deeper than %d levels", MaxDepth)
		}
		p.i++
		arr := []any{}
		p.space()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.space()
			if p.i >= len(p.data) {
				return nil, p.early()
			}
			switch p.data[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return arr, nil
			default:
				return nil, p.unexpected("after array element")
			}
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		if len(s) > MaxStringBytes {
			return nil, malformed("a string is %d bytes long; the limit is %d", len(s), MaxStringBytes)
		}
		return s, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.unexpected("looking for beginning of value")
}

// lazyPayload stands in the tree for a payload checked without building it.
type lazyPayload struct{}

// errNotLazy stops a lazy check where the payload is not as a node writes it (not
// canonical, or a member name that is not snake_case): it is then parsed in full, which
// says what is wrong, if anything.
var errNotLazy = errors.New("the payload must be parsed in full")

// parsePayloadLazily is parseCanonical for a signed document, a JSON object whose member
// payload is an object: when the document is canonical, as nodes write them, the payload
// is checked (well-formed within the bounds, canonical, every member name at any depth
// lower-case snake_case, hence no duplicates, as members are in strict order) without
// building its tree, and the string value of its member signerKey is returned. That tree
// was most of what opening an envelope allocated, to be decoded again by encoding/json.
// ok is false when the document is not such (not canonical, an odd name, an error): the
// caller then parses it in full.
func parsePayloadLazily(data []byte, payload, signerKey string) (v any, c canonicalInput, signer string, ok bool) {
	if !utf8.Valid(data) {
		return nil, c, "", false
	}
	p := parser{data: data, canon: true, lazy: payload, signerKey: signerKey}
	v, err := p.value(0)
	if err != nil || !p.skipped {
		return nil, c, "", false
	}
	p.space()
	if p.i < len(p.data) || !p.canon {
		return nil, c, "", false
	}
	return v, canonicalInput{ok: true, members: p.members}, p.signer, true
}

// skipPayload checks the object at p.i as parsePayloadLazily says; depth is its own.
func (p *parser) skipPayload(depth int) error {
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return errNotLazy
	}
	return p.skip(depth, true)
}

// skip checks the value at p.i without building it, and stops with errNotLazy at
// anything not canonical or at a member name that is not snake_case. top says the value
// is the payload object itself, whose member signerKey is kept.
func (p *parser) skip(depth int, top bool) error {
	if p.i >= len(p.data) {
		return errNotLazy
	}
	if p.values++; p.values > MaxValues {
		return errNotLazy
	}
	switch c := p.data[p.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return errNotLazy
		}
		p.i++
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return nil
		}
		var prev []byte
		for {
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return errNotLazy
			}
			key, ok := p.plainString()
			if !ok || len(key) > MaxStringBytes || !isMemberNameBytes(key) || (prev != nil && bytes.Compare(prev, key) >= 0) {
				return errNotLazy
			}
			prev = key
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return errNotLazy
			}
			p.i++
			if top && string(key) == p.signerKey && p.i < len(p.data) && p.data[p.i] == '"' {
				s, err := p.str()
				if err != nil || len(s) > MaxStringBytes {
					return errNotLazy
				}
				p.signer = s
				p.values++
			} else if err := p.skip(depth+1, false); err != nil {
				return err
			}
			if p.i >= len(p.data) {
				return errNotLazy
			}
			switch p.data[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				return nil
			default:
				return errNotLazy
			}
		}
	case c == '[':
		if depth >= MaxDepth {
			return errNotLazy
		}
		p.i++
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(depth+1, false); err != nil {
				return err
			}
			if p.i >= len(p.data) {
				return errNotLazy
			}
			switch p.data[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return nil
			default:
				return errNotLazy
			}
		}
	case c == '"':
		return p.skipString()
	case c == '-' || c >= '0' && c <= '9':
		if _, err := p.scanNumber(); err != nil || !p.canon {
			return errNotLazy
		}
		return nil
	case c == 't':
		return p.skipLiteral("true")
	case c == 'f':
		return p.skipLiteral("false")
	case c == 'n':
		return p.skipLiteral("null")
	}
	return errNotLazy
}

func (p *parser) skipLiteral(word string) error {
	if p.literal(word) != nil {
		return errNotLazy
	}
	return nil
}

// plainString reads a string at p.i (its opening quote) that has no escapes and no
// control characters, and returns its bytes in place; ok is false for any other.
func (p *parser) plainString() (s []byte, ok bool) {
	start := p.i + 1
	for i := start; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.i = i + 1
			return p.data[start:i], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// skipString checks a string value at p.i as str does, in canonical form and within
// MaxStringBytes once unescaped, without keeping it.
func (p *parser) skipString() error {
	if s, ok := p.plainString(); ok {
		if len(s) > MaxStringBytes {
			return errNotLazy
		}
		return nil
	}
	s, err := p.str() // escapes: rare in a payload, and checked the one way
	if err != nil || !p.canon || len(s) > MaxStringBytes {
		return errNotLazy
	}
	return nil
}

func (p *parser) literal(word string) error {
	if len(p.data)-p.i < len(word) {
		if string(p.data[p.i:]) == word[:len(p.data)-p.i] {
			return p.early()
		}
	} else if string(p.data[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return nil
	}
	return malformed("invalid literal at offset %d (want %s)", p.i, word)
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as written.
func (p *parser) number() (any, error) {
	start, err := p.scanNumber()
	if err != nil {
		return nil, err
	}
	return json.Number(p.data[start:p.i]), nil
}

// scanNumber reads a number as number does and returns where it starts; it ends at p.i.
func (p *parser) scanNumber() (start int, err error) {
	start = p.i
	digits := func() int {
		n := 0
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	bad := func(what string) error {
		if p.i >= len(p.data) {
			return p.early()
		}
		return malformed("invalid character %q in numeric literal (%s)", p.data[p.i], what)
	}
	if p.data[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.data) {
		return start, p.early()
	}
	if p.data[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return start, bad("a digit")
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return start, bad("a digit after the decimal point")
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return start, bad("a digit in the exponent")
		}
	}
	if n := p.i - start; n > MaxNumberBytes {
		return start, malformed("a number is written with %d characters; the limit is %d", n, MaxNumberBytes)
	}
	if p.canon {
		// Canonical when written as appendCanonical writes it (a number it cannot write
		// is left to it, to refuse).
		var text [MaxNumberBytes]byte
		n := text[:copy(text[:], p.data[start:p.i])]
		f, err := strconv.ParseFloat(string(n), 64)
		var buf [32]byte
		w, werr := appendNumber(buf[:0], f, "")
		p.canon = err == nil && werr == nil && string(w) == string(n)
	}
	return start, nil
}

// str reads a string at p.i (its opening quote) and returns it unescaped.
func (p *parser) str() (string, error) {
	p.i++ // the quote
	start := p.i
	// The common case: no escape, read in place.
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := string(p.data[start:p.i])
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", malformed("invalid character %q in string literal", c)
		}
		p.i++
	}
	buf := append(p.buf[:0], p.data[start:p.i]...)
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = buf
			return string(buf), nil
		case c < 0x20:
			return "", malformed("invalid character %q in string literal", c)
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.data) {
			return "", p.early()
		}
		e := p.data[p.i+1]
		p.i += 2
		// appendString writes these escapes as they are; any other (\/, \u…) it
		// would write otherwise, or might: taken as not canonical.
		p.canon = p.canon && (e == '"' || e == '\\' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't')
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.data, p.i)
			if !ok {
				if p.i+4 > len(p.data) {
					return "", p.early()
				}
				return "", malformed("invalid \\u escape in string literal")
			}
			p.i += 4
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 {
					return "", malformed("the string escape \\u%04x is half a surrogate pair", r)
				}
				low, ok := rune(0), false
				if p.i+6 <= len(p.data) && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
					low, ok = hex4(p.data, p.i+2)
				}
				if !ok || low < 0xdc00 || low > 0xdfff {
					return "", malformed("the string escape \\u%04x is half a surrogate pair", r)
				}
				p.i += 6
				r = utf16.DecodeRune(r, low)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", malformed("invalid escape \\%c in string literal", e)
		}
	}
	return "", p.early()
}

// hex4 reads the four hex digits of a \u escape at data[at:].
func hex4(data []byte, at int) (rune, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
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
func appendString[S ~string | ~[]byte](buf []byte, s S) []byte {
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
