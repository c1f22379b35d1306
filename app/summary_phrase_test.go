package app

import (
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/match"
)

// TestSummaryPhrase: the matcher's notes, as match/explain.go writes them, are read back
// into their phrases (so the pages can say them in French), and the summary's English is
// the one-line summary the record always kept.
func TestSummaryPhrase(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		note string // the code of the first note, "" for none
	}{
		{"Dr Omar Mostefai", "Omar Mostefai", forewarn.PhraseNoteQueryTitle},
		{"Omar Mostefai", "Dr Omar Mostefai", forewarn.PhraseNoteCandidateTitle},
		{"MOSTEFAI", "MOSTEFAI, Omar", forewarn.PhraseNoteSurnameOnly},
		{"Omar Mostefai", "Omar Mostefai", ""},
	} {
		e := match.CompareNames(tt.a, tt.b).Explanation
		p := SummaryPhrase(e)
		if err := p.Validate("summary"); err != nil {
			t.Errorf("%s ~ %s: %v", tt.a, tt.b, err)
		}
		var notes []forewarn.Phrase
		if last := p.Args[len(p.Args)-1]; last.Kind == forewarn.PhraseArgPhrases {
			notes = last.Phrases
		}
		switch {
		case tt.note == "" && len(notes) > 0:
			t.Errorf("%s ~ %s: notes %+v, want none", tt.a, tt.b, notes)
		case tt.note != "" && (len(notes) == 0 || notes[0].Code != tt.note):
			t.Errorf("%s ~ %s: notes %+v (from %q), want %s first", tt.a, tt.b, notes, e.Notes, tt.note)
		}
		want := ""
		if len(e.Notes) > 0 {
			want = e.Notes[0]
		}
		if len(notes) > 0 && notes[0].English() != want {
			t.Errorf("%s ~ %s: the note reads %q, the matcher wrote %q", tt.a, tt.b, notes[0].English(), want)
		}
	}
	if p := NotePhrase("a note of a shape not known"); p.Code != forewarn.PhraseNoteOther || p.English() != "a note of a shape not known" {
		t.Errorf("an unknown note reads as %+v", p)
	}
}
