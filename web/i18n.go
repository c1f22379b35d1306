package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/forewarn/forewarn"
)

// The pages speak the user's language. Every user-facing string is a key of the message
// catalogue, and the key is the English text itself: a template reads {{t "Inbox"}}, the
// Go code msg("Saved.") (a marker, translated when the page is rendered) or loc.T("…").
// English needs no table; the French of every key is in catalog_fr.go (frenchText),
// catalog_fr_audit.go (the audit's sentences), catalog_fr_errors.go (the core's
// validation errors) and the other catalog_fr_*.go files, and TestCatalogue fails when a
// key has none, or when a template shows text that does not go through the catalogue. golang.org/x/text/message formats the arguments, so numbers get
// the locale's separators (1 234,5); dates and durations are spelled here, per language.

// locale is one language of the pages.
type locale struct {
	code  string // "en", "fr": <html lang>, the users table, --language
	tag   language.Tag
	table map[string]string // the translations by English key; nil for English
	// printer formats with the catalogue, built at first use: building it for French
	// (a format parsed per entry) cost every command, --help included, 2 ms at start.
	printer func() *message.Printer
}

var (
	english = newLocale("en", language.English, nil)
	french  = newLocale("fr", language.French, joinTables(frenchText, frenchAuditText, frenchErrorText, frenchFailureText, frenchCoreText))
	// locales are the languages the pages speak, by code.
	locales = map[string]*locale{"en": english, "fr": french}
	// languageMatcher picks the best of them for a browser's Accept-Language, English first.
	languageMatcher = language.NewMatcher([]language.Tag{language.English, language.French})
)

// joinTables is one table of several: the catalogue's French is kept in more than one
// file, by subject, so that its parts change apart.
func joinTables(tables ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range tables {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

func newLocale(code string, tag language.Tag, table map[string]string) *locale {
	return &locale{code: code, tag: tag, table: table, printer: sync.OnceValue(func() *message.Printer {
		b := catalog.NewBuilder(catalog.Fallback(language.English))
		for k, v := range table {
			b.SetString(tag, k, v)
		}
		return message.NewPrinter(tag, message.Catalog(b))
	})}
}

// msg marks an English string for the catalogue where it is written; it is translated
// when shown (by t in a template, or loc.T).
func msg(s string) string { return s }

// T translates key and, given arguments, formats them fmt-style with the locale's number
// separators. A key without a translation (text that came from elsewhere: a core error,
// a partner's words) is shown as it is.
func (l *locale) T(key string, args ...any) string {
	if len(args) == 0 {
		if v, ok := l.table[key]; ok && v != "" {
			return v
		}
		return key
	}
	return l.grouped(l.printer().Sprintf(key, args...))
}

// grouped puts French's thousands separator, the narrow no-break space (1 234), where
// golang.org/x/text writes a no-break space. The catalogue's own text holds no no-break
// space, so only the numbers' separators are replaced.
func (l *locale) grouped(s string) string {
	if l.code != "fr" {
		return s
	}
	return strings.ReplaceAll(s, "\u00a0", "\u202f")
}

// Num formats an integer with the locale's grouping: 12,345 or 12 345 (a narrow no-break
// space).
func (l *locale) Num(n int) string { return l.grouped(l.printer().Sprintf("%d", n)) }

// Decimal formats f with digits decimals, the locale's decimal mark and grouping: 0.87 or
// 0,87; 1,234.5 or 1 234,5.
func (l *locale) Decimal(f float64, digits int) string {
	return l.grouped(l.printer().Sprintf("%.*f", digits, f))
}

// LanguageName is a language code of a name ("tr") as the locale names the language:
// "Turkish", "turc"; the code itself when it is not one.
func (l *locale) LanguageName(code string) string {
	t, err := language.Parse(code)
	if code == "" || err != nil {
		return code
	}
	if n := display.Languages(l.tag).Name(t); n != "" {
		return n
	}
	return code
}

// ScriptName is a script code of a name ("Arab") as the locale names it: "Arabic", "arabe".
func (l *locale) ScriptName(code string) string {
	sc, err := language.ParseScript(code)
	if code == "" || err != nil {
		return code
	}
	if n := display.Scripts(l.tag).Name(sc); n != "" {
		return n
	}
	return code
}

// frenchMonths are the abbreviations the French write dates with.
var frenchMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// Date is a day as the locale writes it: "15 Dec 2014", "15 déc. 2014".
func (l *locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if l.code == "fr" {
		return strconv.Itoa(t.Day()) + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format(dateLayout)
}

// frenchMonthNames are the months as French names them alone with a year ("mars 1985").
var frenchMonthNames = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// PartialDate is a date known to a year, a month or a day, as the locale writes it:
// "1985", "March 1985", "21 Nov 1985"; "1985", "mars 1985", "21 nov. 1985"; "" when
// unknown.
func (l *locale) PartialDate(d forewarn.PartialDate) string {
	switch d.Precision() {
	case forewarn.PrecisionYear:
		return strconv.Itoa(d.Year)
	case forewarn.PrecisionMonth:
		if l.code == "fr" {
			return frenchMonthNames[d.Month-1] + " " + strconv.Itoa(d.Year)
		}
		return time.Month(d.Month).String() + " " + strconv.Itoa(d.Year)
	case forewarn.PrecisionDay:
		return l.Date(d.Start())
	}
	return ""
}

// Time is an instant, in UTC, as the locale writes it: "15 Dec 2014 14:05 UTC",
// "15 déc. 2014 14:05 UTC".
func (l *locale) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.Date(t) + " " + t.UTC().Format("15:04") + " UTC"
}

// Ago says a duration in its largest whole unit, as forewarn.Ago does in English:
// "11 months", "11 mois".
func (l *locale) Ago(d time.Duration) string {
	if l.code != "fr" {
		return forewarn.Ago(d)
	}
	if d < 0 {
		d = -d
	}
	const day = 24 * time.Hour
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return l.Num(int(n)) + " " + many
	}
	switch {
	case d < time.Minute:
		return "moins d’une minute"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "min", "min")
	case d < 2*day:
		return unit(int64(d/time.Hour), "h", "h")
	case d < 60*day:
		return unit(int64(d/day), "jour", "jours")
	case d < 730*day:
		return unit(int64(d/(30*day)), "mois", "mois")
	}
	return unit(int64(d/(365*day)), "an", "ans")
}

// Relative says when t is from now: "in 3 h", "5 days ago"; "dans 3 h", "il y a 5 jours".
func (l *locale) Relative(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.After(now) {
		return l.T("in %s", l.Ago(t.Sub(now)))
	}
	return l.T("%s ago", l.Ago(now.Sub(t)))
}

// Due says where a deadline stands: "overdue 11 months", "due in 40 min".
func (l *locale) Due(deadline, now time.Time) string {
	if deadline.IsZero() {
		return ""
	}
	if now.After(deadline) {
		return l.T("overdue %s", l.Ago(now.Sub(deadline)))
	}
	return l.T("due in %s", l.Ago(deadline.Sub(now)))
}

// Wait says how long until a sign-in may be tried again: "40 seconds", "5 minutes".
func (l *locale) Wait(d time.Duration) string {
	if d <= time.Minute {
		return l.T("%d seconds", int((d+time.Second-1)/time.Second))
	}
	return l.T("%d minutes", int((d+time.Minute-1)/time.Minute))
}

type localeKey struct{}

// withLocale returns ctx carrying the language the page is rendered in.
func withLocale(ctx context.Context, l *locale) context.Context {
	return context.WithValue(ctx, localeKey{}, l)
}

// localeOf is the language of the page being served; English when none was chosen.
func localeOf(ctx context.Context) *locale {
	if l, ok := ctx.Value(localeKey{}).(*locale); ok {
		return l
	}
	return english
}

// chooseLocale picks the language for a request: the user's own choice, then the node's
// (serve --language), then the browser's Accept-Language, then English.
func (s *Server) chooseLocale(r *http.Request, u *forewarn.User) *locale {
	if u != nil {
		if l, ok := locales[u.Language]; ok {
			return l
		}
	}
	if l, ok := locales[s.Language]; ok {
		return l
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		tags, _, err := language.ParseAcceptLanguage(h)
		if err == nil && len(tags) > 0 {
			_, i, conf := languageMatcher.Match(tags...)
			if conf != language.No && i == 1 {
				return french
			}
		}
	}
	return english
}

// languageNames name each language in itself, for the choice on the settings page.
var languageNames = map[string]string{"en": "English", "fr": "Français"}
