package envelope

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// appendCanonicalJSON appends the RFC 8785 form of the JSON document data, as
// appendCanonical(buf, parse(data)) would, without building its tree: each object's
// members are written to a scratch buffer of its depth as they are read, then copied out
// in order. Sealing a message, which encoding/json has just written (valid, its members
// in the struct's order), made its tree only to sort it. ok is false when data is
// anything the tree would refuse or that this reading does not take (it then says
// nothing of why): the caller parses it into a tree, which says.
func appendCanonicalJSON(buf, data []byte) (out []byte, ok bool) {
	if !utf8.Valid(data) {
		return buf, false
	}
	t := transcoders.Get().(*transcoder)
	defer transcoders.Put(t)
	t.p = parser{data: data}
	defer func() { t.p = parser{} }()
	out, ok = t.value(buf, 0)
	if !ok {
		return buf, false
	}
	t.p.space()
	return out, t.p.i == len(data)
}

// transcoders keeps transcoders, with the scratch buffers they grew, for the next.
var transcoders = sync.Pool{New: func() any { return new(transcoder) }}

type transcoder struct {
	p       parser
	scratch [][]byte   // by depth: an object's member values, as written
	members [][]member // by depth: an object's members, where their values are
}

// member is an object member being transcoded: its name, unescaped, and where its
// canonical value is in its depth's scratch buffer.
type member struct {
	name       []byte
	start, end int
}

func (t *transcoder) value(dst []byte, depth int) ([]byte, bool) {
	p := &t.p
	p.space()
	if p.i >= len(p.data) {
		return dst, false
	}
	if p.values++; p.values > MaxValues {
		return dst, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		if depth >= MaxDepth {
			return dst, false
		}
		p.i++
		for len(t.scratch) <= depth {
			t.scratch, t.members = append(t.scratch, nil), append(t.members, nil)
		}
		sb, ms := t.scratch[depth][:0], t.members[depth][:0]
		p.space()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return append(dst, '{', '}'), true
		}
		for {
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return dst, false
			}
			name, ok := p.plainString()
			if !ok {
				s, err := p.str()
				if err != nil {
					return dst, false
				}
				name = []byte(s)
			}
			if len(name) > MaxStringBytes || !utf8.Valid(name) {
				return dst, false
			}
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return dst, false
			}
			p.i++
			start := len(sb)
			if sb, ok = t.value(sb, depth+1); !ok {
				return dst, false
			}
			ms = append(ms, member{name: name, start: start, end: len(sb)})
			p.space()
			if p.i >= len(p.data) {
				return dst, false
			}
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.data[p.i] != '}' {
				return dst, false
			}
			p.i++
			break
		}
		slices.SortFunc(ms, func(a, b member) int { return compareNames(a.name, b.name) })
		dst = append(dst, '{')
		for i, m := range ms {
			if i > 0 {
				if bytes.Equal(ms[i-1].name, m.name) {
					return dst, false // a duplicate, which parse refuses
				}
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.name)
			dst = append(dst, ':')
			dst = append(dst, sb[m.start:m.end]...)
		}
		t.scratch[depth], t.members[depth] = sb, ms
		return append(dst, '}'), true
	case c == '[':
		if depth >= MaxDepth {
			return dst, false
		}
		p.i++
		dst = append(dst, '[')
		p.space()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return append(dst, ']'), true
		}
		for n := 0; ; n++ {
			if n > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = t.value(dst, depth+1); !ok {
				return dst, false
			}
			p.space()
			if p.i >= len(p.data) {
				return dst, false
			}
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.data[p.i] != ']' {
				return dst, false
			}
			p.i++
			return append(dst, ']'), true
		}
	case c == '"':
		if s, ok := p.plainString(); ok {
			return appendString(dst, s), len(s) <= MaxStringBytes
		}
		s, err := p.str()
		if err != nil || len(s) > MaxStringBytes {
			return dst, false
		}
		return appendString(dst, s), true
	case c == '-' || c >= '0' && c <= '9':
		start, err := p.scanNumber()
		if err != nil {
			return dst, false
		}
		f, ok := parseNumber(p.data[start:p.i])
		if !ok {
			return dst, false
		}
		out, err := appendNumber(dst, f, "")
		return out, err == nil
	case c == 't':
		return append(dst, "true"...), p.literal("true") == nil
	case c == 'f':
		return append(dst, "false"...), p.literal("false") == nil
	case c == 'n':
		return append(dst, "null"...), p.literal("null") == nil
	}
	return dst, false
}

// compareNames is compareUTF16 of member names as bytes.
func compareNames(a, b []byte) int {
	if isASCIIBytes(a) && isASCIIBytes(b) {
		return bytes.Compare(a, b)
	}
	return compareUTF16(string(a), string(b))
}

func isASCIIBytes(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// parseNumber reads a number as appendCanonical reads a json.Number: a value beyond the
// double range is kept (as an infinity), for appendNumber to refuse.
func parseNumber(b []byte) (float64, bool) {
	var text [MaxNumberBytes]byte
	n := text[:copy(text[:], b)]
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil || errors.Is(err, strconv.ErrRange)
}
