package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
)

// parsePages parses each page with the layout and the shared partials, once per language,
// with that language's functions. Each page is its own template set because every page
// defines "content".
func parsePages() map[string]map[string]*template.Template {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	all := map[string]map[string]*template.Template{}
	for code, loc := range locales {
		pages := map[string]*template.Template{}
		for _, n := range names {
			base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
			if base == "layout" || base == "partials" {
				continue
			}
			pages[base] = template.Must(template.New(base).Funcs(funcsFor(loc)).ParseFS(assets, "templates/layout.html", "templates/partials.html", n))
		}
		all[code] = pages
	}
	return all
}

const (
	timeLayout = "2 Jan 2006 15:04 UTC"
	dateLayout = "2 Jan 2006"
)

// funcsFor returns the template functions of one language: t translates, and dates,
// numbers, durations and the words for codes come out in that language.
func funcsFor(l *locale) template.FuncMap {
	return template.FuncMap{
		// t is the catalogue: {{t "Inbox"}}, {{t "%d entries" .N}}.
		"t": l.T,
		// th is t for the few keys that hold markup (<strong>): the key is trusted, being
		// ours, and the arguments are escaped.
		"th": func(key string, args ...any) template.HTML {
			for i, a := range args {
				if s, ok := a.(string); ok {
					args[i] = template.HTMLEscapeString(s)
				}
			}
			return template.HTML(l.T(key, args...))
		},
		// say writes a sentence the core stored, a phrase and its English: in the page's
		// language when it has a phrase, in English marked lang="en" when not.
		"say": l.said,
		// sayAlert says an alert as the alerts page lists it (web/phrase.go saidAlert).
		"sayAlert": l.saidAlert,
		"source":   l.timelineSource,
		// matchSummary says a stored match's one-line summary, read again from its
		// explanation; summaryOf is the summary of an explanation.
		"matchSummary": l.matchSummary,
		"summaryOf":    app.SummaryPhrase,
		"lang":         func() string { return l.code },
		"num": func(n any) string {
			switch v := n.(type) {
			case int64:
				return l.grouped(l.printer().Sprintf("%d", v))
			case int:
				return l.Num(v)
			}
			return l.grouped(l.printer().Sprintf("%v", n))
		},
		"fmtTime": l.Time,
		"fmtDate": l.Date,
		// pdate is a date known to a year, a month or a day, as the locale writes it:
		// "1985", "March 1985", "21 Nov 1985"; "mars 1985" in French.
		"pdate": func(v any) string {
			switch d := v.(type) {
			case forewarn.PartialDate:
				return l.PartialDate(d)
			case string: // as stored: YYYY, YYYY-MM or YYYY-MM-DD
				if pd, err := forewarn.ParsePartialDate(d); err == nil && !pd.IsZero() {
					return l.PartialDate(pd)
				}
				return d
			}
			return fmt.Sprint(v)
		},
		// attrValue is a value the matcher compared: a birth date the locale's way, any
		// other as it is.
		"attrValue": func(attribute, v string) string {
			if attribute == "birth_date" {
				if d, err := forewarn.ParsePartialDate(v); err == nil && !d.IsZero() {
					return l.PartialDate(d)
				}
			}
			return v
		},
		// due says where a deadline stands as a person weighs it: "overdue 11 months", "due in
		// 40 min"; the exact time goes beside it.
		"due": l.Due,
		// ago says how long ago t was: "11 months".
		"ago": func(t, now time.Time) string { return l.Ago(now.Sub(t)) },
		// rel says when t is from now: "in 3 h", "5 days ago".
		"rel":   l.Relative,
		"score": func(f float64) string { return l.Decimal(f, 2) },
		"signed": func(f float64) string {
			if f >= 0 {
				return "+" + l.Decimal(f, 2)
			}
			return "−" + l.Decimal(-f, 2)
		},
		"join": strings.Join,
		// auditDetail is an audit entry's detail in this language (see auditdetail.go).
		"auditDetail": func(e *forewarn.AuditEntry) []textPart { return l.auditDetail(e.Action, e.Detail, e.Note) },
		// oversightDetail is a line of the oversight report, without its purpose (a column).
		"oversightDetail":  func(action, detail string) []textPart { return l.detailParts(action, detail, "", false) },
		"actionWord":       l.actionWord,
		"objectWord":       l.objectWord,
		"reviewLabel":      l.reviewLabel,
		"notificationWord": l.notificationWord,
		"deliveryStatus":   func(d *forewarn.Delivery) string { return deliveryStatus(l, d) },
		"languageName":     l.LanguageName,
		"scriptName":       l.ScriptName,
		"purposeText":      l.purposeText,
		"purposeLabel":     l.purposeLabel,
		"failure":          l.failureParts,
		"marksText":        l.marksText,
		// actorOf reads back an actor the oversight report writes as "user:analyst".
		"actorOf": func(s string) forewarn.Actor {
			kind, id, _ := strings.Cut(s, ":")
			return forewarn.Actor{Kind: forewarn.ActorKind(kind), ID: id}
		},
		"roles": func(rs []forewarn.Role) string { return rolesText(l, rs) },
		"alertCount": func(n int) string {
			if n >= maxAlertCount {
				return l.Num(maxAlertCount) + "+"
			}
			return l.Num(n)
		},
		// active marks the nav item of the page shown, and of the pages under it.
		"active": func(path, href string) bool { return path == href || strings.HasPrefix(path, href+"/") },
		"tlpClass": func(t forewarn.TLP) string {
			return strings.ToLower(strings.ReplaceAll(string(t), "+", "-"))
		},
		"outcomeLabel": func(o string) string {
			if w, ok := outcomeLabels[o]; ok {
				return l.T(w)
			}
			return o
		},
		"matchClass": func(s forewarn.MatchStatus) string {
			switch s {
			case forewarn.MatchConfirmed:
				return "ok"
			case forewarn.MatchRejected:
				return "muted-badge"
			}
			return "pending"
		},
		"personName": func(d forewarn.PersonDescriptor) string { return (&d).DisplayName() },
		"short": func(id string) string {
			if len(id) > 13 && forewarn.IsMessageID(id) {
				return id[:8] + "…"
			}
			return id
		},
		"add":      func(a, b int) int { return a + b },
		"msgTable": func(rows []messageRow) msgTable { return msgTable{Rows: rows} },
		"has":      func(list []string, s string) bool { return slices.Contains(list, s) },
		"list":     func(s ...string) []string { return s },
		"conflictLabel": func(k forewarn.ConflictKind) string {
			if k == forewarn.ConflictNoExit {
				return l.T("no exit record")
			}
			return l.T(label(k))
		},
		"claimKind": func(k forewarn.ClaimKind) string { return l.T(label(k)) },
		"gradeText": func(g forewarn.Grading) string { return gradeText(l, g) },
		"label":     func(code any) string { return l.T(label(code)) },
		"kindWords": func(ks []forewarn.MessageKind) string {
			words := make([]string, len(ks))
			for i, k := range ks {
				words[i] = l.T(label(k))
			}
			return strings.Join(words, ", ")
		},
		"reason": func(code string) string {
			if w, ok := reasonLabels[code]; ok {
				return l.T(w)
			}
			return l.T(label(code))
		},
		"reasons": func(codes []string) string {
			out := make([]string, len(codes))
			for i, c := range codes {
				if w, ok := reasonLabels[c]; ok {
					out[i] = l.T(w)
				} else {
					out[i] = l.T(label(c))
				}
			}
			return strings.Join(out, ", ")
		},
		"tlpText":          func(t forewarn.TLP) string { return tlpText(l, t) },
		"messageName":      func(m *forewarn.Message) string { return messageName(l, m) },
		"matchStatusLabel": func(st forewarn.MatchStatus) string { return l.T(label(st)) },
	}
}

// outcomeLabels name the outcomes of an acknowledgement in the alerts' "why not" choice.
var outcomeLabels = map[string]string{
	forewarn.OutcomeActionTaken: msg("Action taken"),
	forewarn.OutcomeNoAction:    msg("No action needed"),
	forewarn.OutcomeForwarded:   msg("Forwarded to the competent service"),
	forewarn.OutcomeNotKnown:    msg("Person not known to us"),
	forewarn.OutcomeDuplicate:   msg("Duplicate of another message"),
	forewarn.OutcomeAnswered:    msg("Answered by a response"),
}
