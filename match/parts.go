package match

// Part is one normalised part of a name with the readings the matcher compares it by
// beyond its spelling, for matching that can only compare keys for equality (package
// psi): a key family built from these meets where the matcher's comparison does.
type Part struct {
	Fold     string // lower-case Latin, no diacritics
	Phonetic string // PhoneticKey
	Spelling string // SpellingKey: the given-name family, or the phonetic key
	// Roman is the part's syllables in the canonical spelling of the syllable system its
	// whole name was recognised as written in (Korean or Chinese; romanise.go), tagged
	// with the system, "" when none was.
	Roman string
	// Bare is the part's spelling without an Arabic article written joined ("Alrawi",
	// "Binalshibh" → rawi, shibh), "" when it has none.
	Bare string
	// Seam is the part read as two with the Arabic article between them, assimilated to
	// the second's first letter ("Safieddine", "Jamaleddine" are Safi al-Din, Jamal
	// al-Din: the matcher's articleSeam), as the two parts' folds; empty when it reads
	// no such way.
	Seam [2]string
	// Surname is set for the parts written before the comma of "SURNAME, Given".
	Surname bool
}

// Parts returns the normalised parts of a name, in Normalize's order, with their
// readings.
func Parts(name string) []Part {
	n := Prepare(name)
	out := make([]Part, len(n.tokens))
	for i := range n.tokens {
		t := &n.tokens[i]
		p := Part{Fold: t.fold, Phonetic: t.key, Spelling: t.key, Surname: t.surname}
		if t.family != "" {
			p.Spelling = t.family
		}
		for s, k := range t.rkeys {
			if k != "" {
				p.Roman = string(rune('1'+s)) + k
				break
			}
		}
		if b := withoutArticle(t); b != "" {
			p.Bare = b
			if f := families[b]; f != "" {
				p.Bare = f
			}
		}
		p.Seam = seam(t)
		out[i] = p
	}
	return out
}

// seam splits a part written as two parts with the article between them, its vowel and
// the second part's first consonant doubled ("safieddine": safi + e + ddine), where both
// halves have three letters or more; a French-styled part loses its mute final e, as
// articleSeam compares it.
func seam(t *token) [2]string {
	f := t.fold
	if t.script != scriptLatin || !t.ascii {
		return [2]string{}
	}
	for p := 3; p+4 < len(f); p++ {
		c := f[p+1]
		if !isVowel(f[p]) || isVowel(c) || c != f[p+2] || c == 'l' {
			continue
		}
		second := f[p+2:]
		if t.frSkel != "" {
			second = frenchFold(second)
		}
		if len(second) >= 3 {
			return [2]string{f[:p], second}
		}
	}
	return [2]string{}
}
