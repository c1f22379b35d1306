package web

import (
	"regexp"
	"strings"

	"github.com/forewarn/forewarn"
)

// EnglishKeys returns the catalogue's English keys whose French differs, for the browser
// test that looks for English left on French pages.
func EnglishKeys() []string {
	var out []string
	for k, v := range french.table {
		if k != v {
			out = append(out, k)
		}
	}
	return out
}

// EnglishPhraseParts returns the words of the core's sentences (forewarn.PhraseFormats)
// between their arguments, three words or more, for the same look.
func EnglishPhraseParts() []string {
	var out []string
	for _, f := range forewarn.PhraseFormats {
		for _, part := range phraseVerbRE.Split(f, -1) {
			part = strings.Trim(part, " :;,.()—")
			if len(strings.Fields(part)) >= 3 {
				out = append(out, part)
			}
		}
	}
	return out
}

var phraseVerbRE = regexp.MustCompile(`%(\[\d+\])?[sq]`)

// FrenchPhrases returns the catalogue's French of two words or more that differ from
// their English and hold no argument, for the look for French left on English pages.
func FrenchPhrases() []string {
	var out []string
	for k, v := range french.table {
		if k != v && !strings.Contains(v, "%") && len(strings.Fields(v)) >= 2 {
			out = append(out, v)
		}
	}
	return out
}
