package textenc

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, encoding, in, want string
		offset                   int64 // of the error; -1 for none
	}{
		{"utf8", "", "Ismaël Omar Mostefaï, Мостефаи", "Ismaël Omar Mostefaï, Мостефаи", -1},
		{"bom dropped", "utf-8", "\xef\xbb\xbfid,name", "id,name", -1},
		{"latin1 refused", "", "id,name\nIsma\xebl", "id,name\nIsma", 12},
		{"cut sequence at the end", "", "abc\xc3", "abc", 3},
		{"latin1", "latin1", "Isma\xebl", "Ismaël", -1},
		{"cp1252", "cp1252", "\x93Omar\x94", "\u201cOmar\u201d", -1},
		{"utf-16", "utf-16", "\xff\xfeO\x00m\x00", "Om", -1},
	} {
		// One byte at a time, so every multi-byte sequence is cut by a read boundary.
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(tc.in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			r, err := Decode(src, tc.encoding)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			var bad *NotUTF8
			switch {
			case tc.offset < 0 && err != nil:
				t.Errorf("%s (one byte %t): %v", tc.name, oneByte, err)
			case tc.offset >= 0 && (!errors.As(err, &bad) || bad.Offset != tc.offset):
				t.Errorf("%s (one byte %t): error %v, want invalid UTF-8 at offset %d", tc.name, oneByte, err, tc.offset)
			case string(got) != tc.want:
				t.Errorf("%s (one byte %t): %q, want %q", tc.name, oneByte, got, tc.want)
			}
		}
	}
	if _, err := Decode(strings.NewReader(""), "ebcdic"); err == nil || !strings.Contains(err.Error(), "latin1") {
		t.Errorf("unknown encoding: %v; want the known ones named", err)
	}
}
