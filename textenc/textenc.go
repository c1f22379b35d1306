// Package textenc turns the text files an operator brings (UTF-8, or Latin-1, Windows-1252
// and UTF-16 when named) into UTF-8, and refuses text that is not what it claims to be
// with the byte offset of the first bad byte, so nothing is imported mangled.
package textenc

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Encodings are the names Decode accepts.
const Encodings = "utf-8, latin1, cp1252, utf-16"

// Decode returns r as UTF-8 text: "" or "utf-8" checks that it is valid UTF-8 (dropping a
// byte-order mark); latin1, cp1252 and utf-16 (with a BOM, little-endian without) convert.
func Decode(r io.Reader, encoding string) (io.Reader, error) {
	switch strings.ToLower(strings.ReplaceAll(encoding, "_", "-")) {
	case "", "utf-8", "utf8":
		return &utf8Reader{r: r}, nil
	case "latin1", "latin-1", "iso-8859-1":
		return charmap.ISO8859_1.NewDecoder().Reader(r), nil
	case "cp1252", "windows-1252":
		return charmap.Windows1252.NewDecoder().Reader(r), nil
	case "utf-16", "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Reader(r), nil
	}
	return nil, fmt.Errorf("unknown encoding %q (use one of %s)", encoding, Encodings)
}

// NotUTF8 is the error for input that is not valid UTF-8.
type NotUTF8 struct{ Offset int64 }

func (e *NotUTF8) Error() string {
	return fmt.Sprintf("not UTF-8 text: invalid byte at offset %d; if the file is in another encoding, name it with --encoding (%s)", e.Offset, Encodings)
}

// utf8Reader passes valid UTF-8 through and fails at the first invalid byte. A sequence
// cut by a read boundary is held back until the next read completes it.
type utf8Reader struct {
	r       io.Reader
	offset  int64 // bytes passed through so far
	pending []byte
	started bool
	err     error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.err != nil && len(u.pending) == 0 {
		return 0, u.err
	}
	if len(p) < 8 {
		return 0, io.ErrShortBuffer
	}
	n := copy(p, u.pending)
	u.pending = u.pending[:0]
	if u.err == nil {
		m, err := u.r.Read(p[n:])
		n += m
		u.err = err
	}
	b := p[:n]
	if !u.started && n > 0 {
		if len(b) < 3 && u.err == nil {
			u.pending = append(u.pending, b...)
			return 0, nil
		}
		u.started = true
		if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
			copy(b, b[3:])
			b = b[:len(b)-3]
			n -= 3
			u.offset += 3
		}
	}
	// Hold back an incomplete trailing sequence unless the input has ended.
	keep := n
	if u.err == nil {
		for i := n - 1; i >= 0 && i >= n-3; i-- {
			if utf8.RuneStart(b[i]) {
				if !utf8.FullRune(b[i:n]) {
					keep = i
				}
				break
			}
		}
	}
	for i := 0; i < keep; {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:keep])
		if r == utf8.RuneError && size <= 1 {
			u.err = &NotUTF8{Offset: u.offset + int64(i)}
			u.pending = u.pending[:0]
			u.offset += int64(i)
			return i, nil
		}
		i += size
	}
	u.pending = append(u.pending, b[keep:n]...)
	u.offset += int64(keep)
	if keep == 0 && u.err != nil && len(u.pending) == 0 {
		return 0, u.err
	}
	return keep, nil
}
