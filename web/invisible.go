package web

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// invisibleNames are the characters that change how text around them reads without being
// seen: bidirectional controls (which can reverse a name or a number, "Trojan Source")
// and zero-width characters (which make two different strings look alike). Partner text
// may hold them; the pages show each as a visible mark instead.
var invisibleNames = map[rune]string{
	'\u061C': "ARABIC LETTER MARK",
	'\u200B': "ZERO WIDTH SPACE",
	'\u200C': "ZERO WIDTH NON-JOINER",
	'\u200D': "ZERO WIDTH JOINER",
	'\u200E': "LEFT-TO-RIGHT MARK",
	'\u200F': "RIGHT-TO-LEFT MARK",
	'\u202A': "LEFT-TO-RIGHT EMBEDDING",
	'\u202B': "RIGHT-TO-LEFT EMBEDDING",
	'\u202C': "POP DIRECTIONAL FORMATTING",
	'\u202D': "LEFT-TO-RIGHT OVERRIDE",
	'\u202E': "RIGHT-TO-LEFT OVERRIDE",
	'\u2060': "WORD JOINER",
	'\u2066': "LEFT-TO-RIGHT ISOLATE",
	'\u2067': "RIGHT-TO-LEFT ISOLATE",
	'\u2068': "FIRST STRONG ISOLATE",
	'\u2069': "POP DIRECTIONAL ISOLATE",
	'\uFEFF': "ZERO WIDTH NO-BREAK SPACE",
}

// markInvisible rewrites a rendered page so that every invisible character in its text is
// shown as a mark naming it. It works on the whole page, so no template can forget it.
// Inside tags (attribute values, such as a form field's) and inside a textarea the
// characters are left alone: there they are data a form sends back, and browsers do not
// let them reorder the page. html/template escapes "<" and ">" in text and attributes, so
// a "<" in the output always opens a tag.
func markInvisible(page []byte) []byte {
	if !bytes.ContainsFunc(page, func(r rune) bool { _, ok := invisibleNames[r]; return ok }) {
		return page
	}
	out := make([]byte, 0, len(page)+256)
	inTag, inTextarea := false, false
	for i := 0; i < len(page); {
		c := page[i]
		switch {
		case c == '<':
			inTag = true
			if hasPrefixFold(page[i:], "<textarea") {
				inTextarea = true
			} else if hasPrefixFold(page[i:], "</textarea") {
				inTextarea = false
			}
		case c == '>':
			inTag = false
		case c >= utf8.RuneSelf && !inTag && !inTextarea:
			r, n := utf8.DecodeRune(page[i:])
			if name, ok := invisibleNames[r]; ok {
				out = fmt.Appendf(out, `<span class="invisible-char" title="%s">U+%04X</span>`, name, r)
				i += n
				continue
			}
			out = append(out, page[i:i+n]...)
			i += n
			continue
		}
		out = append(out, c)
		i++
	}
	return out
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
