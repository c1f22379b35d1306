package match

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// romanisationPairs reads match/testdata/romanisation-pairs.csv: one person's name written
// in two romanisation systems, taken from the published tables of each system (not from a
// sanctions list).
func romanisationPairs(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "romanisation-pairs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// Every pair scores at or above the default threshold, and every system has at least 20.
func TestRomanisationSystemsMeet(t *testing.T) {
	per := map[string]int{}
	for _, r := range romanisationPairs(t) {
		system, a, b, note := r[0], r[1], r[2], r[3]
		per[system]++
		if m := CompareNames(a, b); m.Score < DefaultThreshold {
			t.Errorf("%s (%s): %q ~ %q = %.3f, want >= %.2f\n%s", system, note, a, b, m.Score, DefaultThreshold, m.Explanation)
		}
	}
	for _, system := range []string{"korean", "chinese", "arabic", "cyrillic", "turkish"} {
		if per[system] < 20 {
			t.Errorf("%s: %d pairs, want at least 20", system, per[system])
		}
	}
}

// Cyrillic romanisation tables, letter by letter as the standards publish them: ICAO
// Doc 9303 part 3 (passports), BGN/PCGN (1947 Russian, 1965 Ukrainian), GOST 7.79-2000
// system A (= ISO 9, with its diacritics) and system B (ASCII), and the Ukrainian
// national system of 2010 (KMU 55). "^" marks a letter's spelling at the start of a
// word, where the systems that distinguish it write it differently.
var cyrillicTables = map[string]map[rune][]string{
	"ICAO 9303": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"g"}, 'д': {"d"}, 'е': {"e"}, 'ж': {"zh"}, 'з': {"z"},
		'и': {"i"}, 'й': {"i"}, 'к': {"k"}, 'л': {"l"}, 'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"},
		'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"}, 'ф': {"f"}, 'х': {"kh"}, 'ц': {"ts"}, 'ч': {"ch"},
		'ш': {"sh"}, 'щ': {"shch"}, 'ъ': {"ie"}, 'ы': {"y"}, 'ь': {""}, 'э': {"e"}, 'ю': {"iu"}, 'я': {"ia"},
	},
	"BGN/PCGN": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"g"}, 'д': {"d"}, 'е': {"e", "ye"}, 'ж': {"zh"}, 'з': {"z"},
		'и': {"i"}, 'й': {"y"}, 'к': {"k"}, 'л': {"l"}, 'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"},
		'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"}, 'ф': {"f"}, 'х': {"kh"}, 'ц': {"ts"}, 'ч': {"ch"},
		'ш': {"sh"}, 'щ': {"shch"}, 'ъ': {""}, 'ы': {"y"}, 'ь': {""}, 'э': {"e"}, 'ю': {"yu"}, 'я': {"ya"},
	},
	"GOST 7.79 A": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"g"}, 'д': {"d"}, 'е': {"e"}, 'ж': {"ž"}, 'з': {"z"},
		'и': {"i"}, 'й': {"j"}, 'к': {"k"}, 'л': {"l"}, 'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"},
		'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"}, 'ф': {"f"}, 'х': {"h"}, 'ц': {"c"}, 'ч': {"č"},
		'ш': {"š"}, 'щ': {"ŝ"}, 'ъ': {""}, 'ы': {"y"}, 'ь': {""}, 'э': {"è"}, 'ю': {"û"}, 'я': {"â"},
	},
	"GOST 7.79 B": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"g"}, 'д': {"d"}, 'е': {"e"}, 'ж': {"zh"}, 'з': {"z"},
		'и': {"i"}, 'й': {"j"}, 'к': {"k"}, 'л': {"l"}, 'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"},
		'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"}, 'ф': {"f"}, 'х': {"x"}, 'ц': {"cz"}, 'ч': {"ch"},
		'ш': {"sh"}, 'щ': {"shh"}, 'ъ': {""}, 'ы': {"y"}, 'ь': {""}, 'э': {"e"}, 'ю': {"yu"}, 'я': {"ya"},
	},
	"Ukrainian ICAO 9303": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"h"}, 'ґ': {"g"}, 'д': {"d"}, 'е': {"e"}, 'є': {"ie"},
		'ж': {"zh"}, 'з': {"z"}, 'и': {"y"}, 'і': {"i"}, 'ї': {"i"}, 'й': {"i"}, 'к': {"k"}, 'л': {"l"},
		'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"}, 'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"},
		'ф': {"f"}, 'х': {"kh"}, 'ц': {"ts"}, 'ч': {"ch"}, 'ш': {"sh"}, 'щ': {"shch"}, 'ь': {""}, 'ю': {"iu"}, 'я': {"ia"},
	},
	"Ukrainian BGN/PCGN": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"h"}, 'ґ': {"g"}, 'д': {"d"}, 'е': {"e"}, 'є': {"ye"},
		'ж': {"zh"}, 'з': {"z"}, 'и': {"y"}, 'і': {"i"}, 'ї': {"yi"}, 'й': {"y"}, 'к': {"k"}, 'л': {"l"},
		'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"}, 'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"},
		'ф': {"f"}, 'х': {"kh"}, 'ц': {"ts"}, 'ч': {"ch"}, 'ш': {"sh"}, 'щ': {"shch"}, 'ь': {""}, 'ю': {"yu"}, 'я': {"ya"},
	},
	"Ukrainian national 2010": {
		'а': {"a"}, 'б': {"b"}, 'в': {"v"}, 'г': {"h"}, 'ґ': {"g"}, 'д': {"d"}, 'е': {"e"}, 'є': {"ie", "ye"},
		'ж': {"zh"}, 'з': {"z"}, 'и': {"y"}, 'і': {"i"}, 'ї': {"i", "yi"}, 'й': {"i", "y"}, 'к': {"k"}, 'л': {"l"},
		'м': {"m"}, 'н': {"n"}, 'о': {"o"}, 'п': {"p"}, 'р': {"r"}, 'с': {"s"}, 'т': {"t"}, 'у': {"u"},
		'ф': {"f"}, 'х': {"kh"}, 'ц': {"ts"}, 'ч': {"ch"}, 'ш': {"sh"}, 'щ': {"shch"}, 'ь': {""}, 'ю': {"iu", "yu"}, 'я': {"ia", "ya"},
	},
}

// romaniseCyrillic writes a Cyrillic name in one system: a letter with two spellings
// takes the second at the start of a word (and, for Russian BGN/PCGN's ye, after a vowel
// or a hard or soft sign).
func romaniseCyrillic(t *testing.T, name, system string) string {
	t.Helper()
	table := cyrillicTables[system]
	var b strings.Builder
	prev := ' '
	for _, r := range name {
		lower := unicode.ToLower(r)
		sp, ok := table[lower]
		if !ok {
			if r != ' ' && r != '-' {
				t.Fatalf("%s: no %q in %s", name, r, system)
			}
			b.WriteRune(r)
			prev = ' '
			continue
		}
		s := sp[0]
		if len(sp) > 1 && (prev == ' ' || system == "BGN/PCGN" && strings.ContainsRune("аеёиоуыэюяъь", prev)) {
			s = sp[1]
		}
		if r != lower && s != "" {
			first, size := utf8.DecodeRuneInString(s)
			s = string(unicode.ToUpper(first)) + s[size:]
		}
		b.WriteString(s)
		prev = lower
	}
	return b.String()
}

// Russian and Ukrainian names written by each standard's table meet each other and their
// Cyrillic at the default threshold, and each finds its own name first among them all.
func TestCyrillicStandardsMeet(t *testing.T) {
	russian := []string{
		"Юрий Гагарин", "Наталья Яковлева", "Александр Солженицын", "Михаил Ходорковский",
		"Сергей Шойгу", "Евгений Пригожин", "Вячеслав Володин", "Дмитрий Медведев",
		"Владимир Жириновский", "Геннадий Зюганов", "Николай Патрушев", "Алексей Навальный",
		"Валентина Матвиенко", "Юрий Чайка", "Василий Небензя", "Мария Захарова",
		"Аркадий Ротенберг", "Александр Цветков", "Игорь Шувалов", "Татьяна Голикова",
		"Эльвира Набиуллина", "Рамзан Кадыров", "Ксения Собчак", "Олег Дерипаска",
		"Анатолий Сердюков", "Зинаида Щербакова", "Сергей Лавров", "Юлия Навальная",
		"Майя Плисецкая", "Ирина Яровая", "Людмила Алексеева", "Вячеслав Лебедев",
		"Валерий Гергиев", "Аркадий Дворкович",
	}
	ukrainian := []string{
		"Юлія Тимошенко", "Володимир Зеленський", "Віталій Кличко", "Олексій Резніков",
		"Андрій Єрмак", "Петро Порошенко", "Арсеній Яценюк", "Віктор Ющенко",
		"Леонід Кравчук", "Ігор Коломойський", "Ганна Маляр", "Дмитро Кулеба",
		"Ірина Верещук", "Валерій Залужний", "Кирило Буданов", "Ольга Стефанішина",
		"Денис Шмигаль", "Юрій Луценко", "Сергій Притула", "Григорій Сковорода", "Ґанна Їжакевич",
		"Юрій Бойко", "Анатолій Гриценко", "Леся Українка", "Євген Марчук", "Ярослав Мудрий",
		"Костянтин Єлісєєв", "Ілля Кива", "Наталія Королевська", "Надія Савченко",
		"Яна Клочкова", "Юлія Свириденко", "Ярослав Гонтар", "Євгенія Кравчук", "Юрій Іллєнко",
		"Ярема Бобко", "Юліан Коваль", "Яків Дорош", "Єва Ярмоленко", "Юстина Ясінська",
	}
	check := func(names []string, systems []string) {
		ix := NewIndex()
		var written [][]string // per name: Cyrillic, then each system
		for i, n := range names {
			forms := []string{n}
			for _, s := range systems {
				forms = append(forms, romaniseCyrillic(t, n, s))
			}
			written = append(written, forms)
			if err := ix.Add(Entry{ID: fmt.Sprint(i), Person: Person{Names: []string{forms[1]}}}); err != nil {
				t.Fatal(err)
			}
		}
		pairs := map[string]int{}
		for i, forms := range written {
			for a := range forms {
				for b := a + 1; b < len(forms); b++ {
					if forms[a] == forms[b] {
						continue
					}
					pair := "Cyrillic / " + systems[b-1]
					if a > 0 {
						pair = systems[a-1] + " / " + systems[b-1]
					}
					pairs[pair]++
					if m := CompareNames(forms[a], forms[b]); m.Score < DefaultThreshold {
						t.Errorf("%s: %q ~ %q = %.3f, want >= %.2f\n%s", pair, forms[a], forms[b], m.Score, DefaultThreshold, m.Explanation)
					}
				}
				if a == 1 {
					continue
				}
				if hits := ix.SearchName(forms[a], 1); len(hits) == 0 || hits[0].ID != fmt.Sprint(i) {
					t.Errorf("%q (%d) finds %+v first, want %q", forms[a], a, hits, forms[1])
				}
			}
		}
		for p, n := range pairs {
			if !strings.HasPrefix(p, "Cyrillic") && n < 20 {
				t.Errorf("%s: %d pairs that differ, want at least 20", p, n)
			}
		}
	}
	check(russian, []string{"ICAO 9303", "BGN/PCGN", "GOST 7.79 A", "GOST 7.79 B"})
	check(ukrainian, []string{"Ukrainian ICAO 9303", "Ukrainian BGN/PCGN", "Ukrainian national 2010"})
}

// Spelling rules from the romanisation conventions, each pair scored part against part.
func TestRomanisationRules(t *testing.T) {
	for _, c := range []struct {
		a, b   string
		min    float64 // the aligned part's similarity, at least
		reason string
	}{
		// The Arabic diphthong ay written ay, ai, ei or e.
		{"Husayn", "Hussein", 0.9, ReasonVariant},
		{"Sulayman", "Suleiman", 0.9, ReasonVariant},
		{"Zubaydi", "Zubeidi", 0.9, ReasonVariant},
		{"Ubayd", "Obeid", 0.9, ReasonVariant},
		{"Zaynab", "Zeinab", 0.9, ReasonVariant},
		{"Kubaysi", "Kobeissi", 0.9, ReasonVariant},
		{"Ghubaysh", "Ghubeish", 0.9, ReasonVariant},
		{"Ghubaysh", "Ghabish", 0.76, ReasonPhonetic}, // and a vowel apart
		// The Arabic diphthong aw written aw, o or ou.
		{"Nawfal", "Nofal", 0.9, ReasonVariant},
		{"Jawhar", "Johar", 0.9, ReasonVariant},
		{"Dawlat", "Doulat", 0.9, ReasonVariant},
		{"Shawkat", "Shoukat", 0.9, ReasonVariant},
		{"Jawlani", "Golani", 0.76, ReasonPhonetic}, // and Egyptian g for j
		// qu is k before a vowel (Spanish, French) and q-u before a consonant (Arabic).
		{"Qubaysi", "Kubaysi", 0.95, ReasonVariant},
		{"Enrique", "Enrike", 0.95, ReasonVariant},
		// The article assimilated between two parts written as one.
		{"Nur al-Din", "Noureddine", 0.95, ReasonJoined},
		{"Salah al-Din", "Salaheddine", 0.95, ReasonJoined},
		{"Shams al-Din", "Shamsuddin", 0.95, ReasonJoined},
		{"Nur al-Huda", "Nurulhuda", 0.95, ReasonJoined},
		// bin, ben or ibn and the article written joined to the name.
		{"bin al-Shibh", "Binalshibh", 0.9, ReasonArticle},
		{"Ibn al-Qayyim", "Ibnalqayyim", 0.9, ReasonArticle},
		// GOST 7.79 B's x and ISO 9's â, û and c.
		{"Xodorkovskij", "Khodorkovskiy", 0.9, ReasonRomanisation},
		{"Ûlij", "Yuliy", 0.9, ReasonRomanisation},
		{"Pliseckaâ", "Plisetskaya", 0.9, ReasonRomanisation},
	} {
		m := CompareNames(c.a, c.b)
		if len(m.Explanation.Pairs) != 1 || m.Explanation.Pairs[0].Similarity < c.min || m.Explanation.Pairs[0].Reason != c.reason {
			t.Errorf("%q ~ %q: want one pair at least %.2f by %s\n%s", c.a, c.b, c.min, c.reason, m.Explanation)
		}
	}
	// What the rules must not reach.
	for _, c := range [][2]string{
		{"Lai", "Li"},           // a final ai is a Chinese syllable, not a diphthong
		{"Soliman", "Chol Man"}, // no doubled letter, no article at the seam
	} {
		if m := CompareNames(c[0], c[1]); m.Score >= DefaultThreshold {
			t.Errorf("%q ~ %q = %.3f, want below %.2f\n%s", c[0], c[1], m.Score, DefaultThreshold, m.Explanation)
		}
	}
	// The Cyrillic readings are a second key, never in place of a part's own: Romanian
	// â is not read as я.
	for _, c := range [][2]string{{"Câmpeanu", "Ciampeanu"}} {
		m := CompareNames(c[0], c[1])
		if len(m.Explanation.Pairs) != 1 || m.Explanation.Pairs[0].Reason == ReasonRomanisation {
			t.Errorf("%q ~ %q aligned by romanisation\n%s", c[0], c[1], m.Explanation)
		}
	}
	if m := CompareNames("Câmpeanu", "Campeanu"); m.Score < 1 {
		t.Errorf("Câmpeanu ~ Campeanu = %.3f, want 1\n%s", m.Score, m.Explanation)
	}
}

// A patronymic one list records and the other leaves out costs little; two different
// patronymics still conflict.
func TestPatronymicLeftOut(t *testing.T) {
	with := CompareNames("KURCHENKO, Sergei", "KURCHENKO, Sergey Vitalievich")
	other := CompareNames("Sergey Vitalievich Kurchenko", "Sergey Petrovich Kurchenko")
	plain := CompareNames("Sergei Kurchenko", "Sergei Vitalyevich Kurchenko")
	if with.Score < 0.85 || plain.Score < 0.9 {
		t.Errorf("patronymic left out: %.3f and %.3f, want >= 0.85 and 0.9\n%s\n%s", with.Score, plain.Score, with.Explanation, plain.Explanation)
	}
	if other.Score >= DefaultThreshold {
		t.Errorf("different patronymics = %.3f, want below %.2f\n%s", other.Score, DefaultThreshold, other.Explanation)
	}
	// A surname that ends like a patronymic is still a surname.
	if m := CompareNames("ABRAMOVICH, Roman", "PETROV, Roman"); m.Score >= 0.5 {
		t.Errorf("ABRAMOVICH ~ PETROV = %.3f, want below 0.5\n%s", m.Score, m.Explanation)
	}
}

// Titles and honorifics are set aside and named in the explanation; a title before a
// surname alone leaves a surname-only match below the threshold.
func TestHonorificsSetAside(t *testing.T) {
	for _, c := range []struct{ titled, plain, title string }{
		{"Haji Mohammad Ali", "Mohammad Ali", "Haji"},
		{"Hajji Ali Khan", "Ali Khan", "Hajji"},
		{"Sheikh Hassan Dahir Aweys", "Hassan Dahir Aweys", "Sheikh"},
		{"Shaykh Ahmad Yasin", "Ahmad Yasin", "Shaykh"},
		{"Sayyid Hassan Nasrallah", "Hassan Nasrallah", "Sayyid"},
		{"NASRALLAH, Sayyed Hassan", "Hassan Nasrallah", "Sayyed"},
		{"Mullah Mohammad Omar", "Mohammad Omar", "Mullah"},
		{"Maulana Masood Azhar", "Masood Azhar", "Maulana"},
		{"Dr Ayman al-Zawahiri", "Ayman al-Zawahiri", "Dr"},
		{"Gen. Qasem Soleimani", "Qasem Soleimani", "Gen."},
	} {
		m := CompareNames(c.titled, c.plain)
		if m.Score < 0.95 || !strings.Contains(strings.Join(m.Explanation.Notes, "\n"), fmt.Sprintf("title %q set aside", strings.TrimSuffix(c.title, "."))) {
			t.Errorf("%q ~ %q = %.3f, want >= 0.95 and the title named\n%s", c.titled, c.plain, m.Score, m.Explanation)
		}
	}
	// Sayyid as a family name is a name part.
	if m := CompareNames("AL-SAYYID, Ali Sulayman", "AL-RAWI, Ali Sulayman"); m.Score >= DefaultThreshold {
		t.Errorf("AL-SAYYID ~ AL-RAWI = %.3f, want below %.2f\n%s", m.Score, DefaultThreshold, m.Explanation)
	}
	// A title word written as the surname of "SURNAME, Given" is a family name (Sheikh,
	// Haji, Mullah are common ones): it is a name part, and no title is noted.
	for _, c := range [][2]string{
		{"SHEIKH, Muhammad Yaqub", "QURESHI, Muhammad Yaqub"},
		{"AL-HAJJ, Yahya", "KHALIL, Yahya"},
		{"MULLAH, Karim", "RAHIMI, Karim"},
	} {
		m := CompareNames(c[0], c[1])
		if m.Score >= DefaultThreshold || strings.Contains(strings.Join(m.Explanation.Notes, "\n"), "set aside") {
			t.Errorf("%q ~ %q = %.3f, want a different surname below %.2f, no title\n%s", c[0], c[1], m.Score, DefaultThreshold, m.Explanation)
		}
	}
	if m := CompareNames("GARCIA JR., Luis", "GARCIA, Luis"); m.Score < 0.95 {
		t.Errorf("a generational suffix in the surname = %.3f, want >= 0.95\n%s", m.Score, m.Explanation)
	}
	// "Abu" before a name is a weak part: it costs little when left out.
	if m := CompareNames("Abu Bakr al-Baghdadi", "Bakr al-Baghdadi"); m.Score < 0.9 {
		t.Errorf("Abu left out = %.3f, want >= 0.9\n%s", m.Score, m.Explanation)
	}
	for _, c := range [][2]string{
		{"Haji BELTRAN LEYVA", "BELTRAN LEYVA, Alfredo"},
		{"Sheikh ALBAN BURBANO", "ALBAN BURBANO, Luis Alberto"},
	} {
		m := CompareNames(c[0], c[1])
		notes := strings.Join(m.Explanation.Notes, "\n")
		if m.Score >= DefaultThreshold || !strings.Contains(notes, "shares only the surname") || !strings.Contains(notes, "set aside") {
			t.Errorf("%q ~ %q = %.3f, want below %.2f, a surname-only note and the title named\n%s", c[0], c[1], m.Score, DefaultThreshold, m.Explanation)
		}
	}
}
