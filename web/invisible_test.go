package web

import (
	"strings"
	"testing"
)

func TestMarkInvisible(t *testing.T) {
	page := "<p title=\"a\u202Eb\">Omar\u200B Mostefai \u202Efdp.exe</p><input value=\"x\u200Dy\"><textarea>keep\u202Eme</textarea><p>after\u2066</p>"
	got := string(markInvisible([]byte(page)))
	for _, want := range []string{
		`Omar<span class="invisible-char" title="ZERO WIDTH SPACE">U+200B</span> Mostefai`,
		`<span class="invisible-char" title="RIGHT-TO-LEFT OVERRIDE">U+202E</span>fdp.exe`,
		"title=\"a\u202Eb\"", "value=\"x\u200Dy\"", "<textarea>keep\u202Eme</textarea>",
		`after<span class="invisible-char" title="LEFT-TO-RIGHT ISOLATE">U+2066</span>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("marked page lacks %q:\n%s", want, got)
		}
	}
	if plain := "<p>Ismaël Omar Mostefaï</p>"; string(markInvisible([]byte(plain))) != plain {
		t.Error("a page without invisible characters changed")
	}
}
