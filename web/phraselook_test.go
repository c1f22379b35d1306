package web_test

import (
	"regexp"
	"strings"
)

// phraseLook finds one catalogue phrase, as whole words, in a page's text. The language
// tests run a thousand such looks over every page; a regexp that must try every position
// of the text is slow, so it runs only when the text holds the phrase at all, which the
// regexp needs in any case: what is found is the same.
type phraseLook struct {
	phrase string
	re     *regexp.Regexp
}

// newPhraseLook looks for phrase between two characters that match edge (or the ends of
// the text): `\W`, or `[^\pL\pN_]` for letters beyond ASCII.
func newPhraseLook(phrase, edge string) phraseLook {
	q := regexp.QuoteMeta(phrase)
	return phraseLook{phrase: phrase, re: regexp.MustCompile(`(^|` + edge + `)` + q + `($|` + edge + `)`)}
}

// find returns the phrase found with its edges, or "".
func (l phraseLook) find(text string) string {
	if !strings.Contains(text, l.phrase) {
		return ""
	}
	return l.re.FindString(text)
}

// index returns where the phrase is found with its edges, or nil.
func (l phraseLook) index(text string) []int {
	if !strings.Contains(text, l.phrase) {
		return nil
	}
	return l.re.FindStringIndex(text)
}
