package match

import "strings"

// script is the writing system a token was written in before transliteration.
type script uint8

const (
	scriptLatin script = iota
	scriptArabic
	scriptCyrillic
	scriptGreek
	scriptHebrew
	scriptArmenian
	scriptGeorgian
	scriptHangul
	scriptOther
)

func (s script) String() string {
	switch s {
	case scriptArabic:
		return "arabic"
	case scriptCyrillic:
		return "cyrillic"
	case scriptGreek:
		return "greek"
	case scriptHebrew:
		return "hebrew"
	case scriptArmenian:
		return "armenian"
	case scriptGeorgian:
		return "georgian"
	case scriptHangul:
		return "hangul"
	case scriptOther:
		return "other"
	}
	return "latin"
}

// abjad reports whether the script writes no short vowels, so that only a token's consonant
// skeleton can be trusted.
func (s script) abjad() bool { return s == scriptArabic || s == scriptHebrew }

func scriptOf(r rune) script {
	switch {
	case r < 0x250:
		return scriptLatin
	case r >= 0x370 && r <= 0x3FF, r >= 0x1F00 && r <= 0x1FFF:
		return scriptGreek
	case r >= 0x400 && r <= 0x52F:
		return scriptCyrillic
	case r >= 0x530 && r <= 0x58F:
		return scriptArmenian
	case r >= 0x590 && r <= 0x5FF:
		return scriptHebrew
	case r >= 0x600 && r <= 0x6FF, r >= 0x750 && r <= 0x77F, r >= 0xFB50 && r <= 0xFEFF:
		return scriptArabic
	case r >= 0x10A0 && r <= 0x10FF:
		return scriptGeorgian
	case r >= 0x1E00 && r <= 0x1EFF:
		return scriptLatin
	case r >= 0xAC00 && r <= 0xD7A3:
		return scriptHangul
	}
	return scriptOther
}

// Arabic, Persian and Urdu letters. Long vowels and semivowels are written as vowels; the
// consonant skeleton comparison makes the choice between "i" and "y" irrelevant.
var arabicLatin = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ء': "", 'ؤ': "u", 'ئ': "i",
	'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "dh",
	'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z",
	'ع': "", 'غ': "gh", 'ف': "f", 'ق': "q", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n",
	'ه': "h", 'ة': "a", 'و': "u", 'ي': "i", 'ى': "a",
	'پ': "p", 'چ': "ch", 'ژ': "zh", 'گ': "g", 'ک': "k", 'ی': "i", 'ٹ': "t", 'ڈ': "d",
	'ڑ': "r", 'ں': "n", 'ہ': "h", 'ھ': "h", 'ے': "e", 'ۀ': "e",
}

var cyrillicLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh",
	'з': "z", 'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts",
	'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu",
	'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g", 'ў': "u", 'ј': "j", 'љ': "lj",
	'њ': "nj", 'ћ': "c", 'ђ': "dj", 'џ': "dz", 'қ': "k", 'ұ': "u", 'ү': "u", 'ө': "o",
	'ң': "ng", 'ғ': "g", 'һ': "h", 'ә': "a",
}

var greekLatin = map[rune]string{
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i", 'θ': "th",
	'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'π': "p",
	'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y", 'φ': "f", 'χ': "ch", 'ψ': "ps",
	'ω': "o",
}

var hebrewLatin = map[rune]string{
	'א': "", 'ב': "b", 'ג': "g", 'ד': "d", 'ה': "h", 'ו': "v", 'ז': "z", 'ח': "ch",
	'ט': "t", 'י': "y", 'כ': "k", 'ך': "k", 'ל': "l", 'מ': "m", 'ם': "m", 'נ': "n",
	'ן': "n", 'ס': "s", 'ע': "", 'פ': "p", 'ף': "f", 'צ': "ts", 'ץ': "ts", 'ק': "k",
	'ר': "r", 'ש': "sh", 'ת': "t",
}

var armenianLatin = map[rune]string{
	'ա': "a", 'բ': "b", 'գ': "g", 'դ': "d", 'ե': "e", 'զ': "z", 'է': "e", 'ը': "y",
	'թ': "t", 'ժ': "zh", 'ի': "i", 'լ': "l", 'խ': "kh", 'ծ': "ts", 'կ': "k", 'հ': "h",
	'ձ': "dz", 'ղ': "gh", 'ճ': "ch", 'մ': "m", 'յ': "y", 'ն': "n", 'շ': "sh", 'ո': "o",
	'չ': "ch", 'պ': "p", 'ջ': "j", 'ռ': "r", 'ս': "s", 'վ': "v", 'տ': "t", 'ր': "r",
	'ց': "ts", 'ւ': "u", 'փ': "p", 'ք': "k", 'օ': "o", 'ֆ': "f", 'և': "ev",
}

var georgianLatin = map[rune]string{
	'ა': "a", 'ბ': "b", 'გ': "g", 'დ': "d", 'ე': "e", 'ვ': "v", 'ზ': "z", 'თ': "t",
	'ი': "i", 'კ': "k", 'ლ': "l", 'მ': "m", 'ნ': "n", 'ო': "o", 'პ': "p", 'ჟ': "zh",
	'რ': "r", 'ს': "s", 'ტ': "t", 'უ': "u", 'ფ': "p", 'ქ': "k", 'ღ': "gh", 'ყ': "q",
	'შ': "sh", 'ჩ': "ch", 'ც': "ts", 'ძ': "dz", 'წ': "ts", 'ჭ': "ch", 'ხ': "kh", 'ჯ': "j",
	'ჰ': "h",
}

// Hangul syllables are romanised from their letters, as North and South Korean names
// appear on lists ("Kim Jong Un", "Pak Pong Ju", "Ri Pyong Chol"): McCune–Reischauer
// without breves, with ㅈ written j and a word-initial ㄹ written r.
var (
	hangulInitials = [19]string{"k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	hangulMedials  = [21]string{"a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "u", "ui", "i"}
	hangulFinals   = [28]string{"", "k", "k", "k", "n", "n", "n", "t", "l", "l", "l", "l", "l", "l", "l", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// hangulLatin romanises one Hangul syllable; between syllables ㄱ, ㄷ and ㅂ are voiced.
func hangulLatin(r rune, first bool) (string, bool) {
	if r < 0xAC00 || r > 0xD7A3 {
		return "", false
	}
	i := int(r - 0xAC00)
	ini, med, fin := i/(21*28), i/28%21, i%28
	lead := hangulInitials[ini]
	if !first {
		switch ini {
		case 0:
			lead = "g"
		case 3:
			lead = "d"
		case 7:
			lead = "b"
		}
	}
	return lead + hangulMedials[med] + hangulFinals[fin], true
}

// caronDigraphs stands in for the letters with a caron (and ISO 9's ŝ) until decomposition
// is done: private-use runes that caronSpellings spells out.
var caronDigraphs = map[rune]rune{'š': 0xE000, 'č': 0xE001, 'ž': 0xE002, 'ŝ': 0xE003}

var caronSpellings = [...]string{"sh", "ch", "zh", "shch"}

// Latin letters that canonical decomposition does not reduce to a base letter.
var latinSpecial = map[rune]string{
	'ø': "o", 'æ': "ae", 'œ': "oe", 'ß': "ss", 'đ': "d", 'ł': "l", 'þ': "th", 'ð': "d",
	'ı': "i", 'ħ': "h", 'ŋ': "ng", 'ə': "a", 'ʻ': "", 'ʼ': "", 'ʿ': "", 'ʾ': "",
}

// isUkrainian reports whether a Cyrillic word uses letters only Ukrainian has, which change
// how г and и are romanised.
func isUkrainian(word string) bool { return strings.ContainsAny(word, "іїєґ") }

// transliterate romanises one lower-case word written in a non-Latin script.
// ukr says the whole name is Ukrainian, which one word alone may not show.
func transliterate(word string, sc script, ukr bool) string {
	var b strings.Builder
	b.Grow(len(word) * 2)
	ukr = sc == scriptCyrillic && (ukr || isUkrainian(word))
	first := true
	for _, r := range word {
		var s string
		var ok bool
		switch sc {
		case scriptArabic:
			s, ok = arabicLatin[r]
			// A word-initial و or ي is a consonant.
			if first && r == 'و' {
				s = "w"
			} else if first && (r == 'ي' || r == 'ی') {
				s = "y"
			}
		case scriptCyrillic:
			s, ok = cyrillicLatin[r]
			if ukr {
				switch r {
				case 'г':
					s = "h"
				case 'и':
					s = "y"
				case 'й':
					s = "i"
				}
			}
		case scriptGreek:
			s, ok = greekLatin[r]
		case scriptHebrew:
			s, ok = hebrewLatin[r]
		case scriptArmenian:
			s, ok = armenianLatin[r]
		case scriptGeorgian:
			s, ok = georgianLatin[r]
		case scriptHangul:
			s, ok = hangulLatin(r, first)
		}
		if !ok {
			if r < 0x80 || scriptOf(r) == scriptOther {
				b.WriteRune(r)
			}
			continue
		}
		first = false
		b.WriteString(s)
	}
	out := b.String()
	if sc == scriptArabic && strings.HasPrefix(out, "al") && len(out) > 4 && strings.HasPrefix(word, "ال") {
		// The article is written joined in Arabic script; Latin spellings detach or drop it.
		out = out[2:]
	}
	return out
}

// Transliterate romanises a name written in Arabic, Persian, Cyrillic, Greek, Hebrew,
// Armenian or Georgian script, lower-cases it and folds Latin diacritics; other scripts pass
// through. Word breaks are kept; punctuation becomes a space.
func Transliterate(s string) string {
	s = capName(s)
	words := splitWords(s)
	parts := make([]string, 0, len(words))
	ukr := isUkrainian(strings.ToLower(s))
	for _, w := range words {
		if f, _, _ := foldWord(w, ukr); f != "" {
			parts = append(parts, f)
		}
	}
	return strings.Join(parts, " ")
}
