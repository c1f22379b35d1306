package envelope

import (
	"bytes"
	"encoding/json"
)

// ClaimedSender returns the agency an envelope claims to come from (its message's
// "from"), found by a single pass over the bytes that builds nothing: no tree, no
// canonical form, no signature check. A receiver calls it first, so that a body naming no
// pinned peer is refused for the price of reading it, before Open parses anything. It
// proves nothing (anyone can write any name); Open still verifies the signature. It
// returns "" when the envelope names no sender it can find, which Open would refuse too.
func ClaimedSender(data []byte) string {
	p := peeker{data: data}
	p.space()
	if !p.eat('{') {
		return ""
	}
	for depth := 0; ; {
		p.space()
		key, ok := p.str()
		if !ok {
			return ""
		}
		p.space()
		if !p.eat(':') {
			return ""
		}
		p.space()
		switch {
		case depth == 0 && key == "message":
			if !p.eat('{') {
				return ""
			}
			depth = 1
			continue
		case depth == 1 && key == "from":
			from, ok := p.str()
			if !ok {
				return ""
			}
			return from
		}
		if !p.skipValue() {
			return ""
		}
		p.space()
		if p.eat(',') {
			continue
		}
		if depth == 1 && p.eat('}') { // the message has no "from"
			return ""
		}
		return ""
	}
}

// peeker walks JSON bytes without building values. It checks no more of the syntax than
// it needs to find its way: Open does the real check.
type peeker struct {
	data []byte
	i    int
}

func (p *peeker) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *peeker) eat(c byte) bool {
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string and returns it unescaped.
func (p *peeker) str() (string, bool) {
	start := p.i
	if !p.skipString() {
		return "", false
	}
	raw := p.data[start:p.i]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if len(raw) > 1024 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func (p *peeker) skipString() bool {
	if !p.eat('"') {
		return false
	}
	for p.i < len(p.data) {
		j := bytes.IndexAny(p.data[p.i:], "\"\\")
		if j < 0 {
			return false
		}
		p.i += j
		if p.data[p.i] == '\\' {
			p.i += 2
			continue
		}
		p.i++
		return true
	}
	return false
}

// skipValue passes over one value of any kind, counting brackets outside strings.
func (p *peeker) skipValue() bool {
	if p.i >= len(p.data) {
		return false
	}
	switch p.data[p.i] {
	case '"':
		return p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '"':
				if !p.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return true
				}
			}
			p.i++
		}
		return false
	}
	for p.i < len(p.data) { // a number, true, false or null
		switch p.data[p.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return true
		}
		p.i++
	}
	return true
}
