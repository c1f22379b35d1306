package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// parsePages parses each page with the layout and the shared partials. Each page is its
// own template set because every page defines "content".
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		pages[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html", n))
	}
	return pages
}

const (
	timeLayout = "2 Jan 2006 15:04 UTC"
	dateLayout = "2 Jan 2006"
)

var funcs = template.FuncMap{
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(timeLayout)
	},
	"fmtDate": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(dateLayout)
	},
	// due says where a deadline stands as a person weighs it: "overdue 11 months", "due in
	// 40 min"; the exact time goes beside it.
	"due": func(deadline, now time.Time) string {
		if deadline.IsZero() {
			return ""
		}
		if now.After(deadline) {
			return "overdue " + forewarn.Ago(now.Sub(deadline))
		}
		return "due in " + forewarn.Ago(deadline.Sub(now))
	},
	// ago says how long ago t was: "11 months".
	"ago": func(t, now time.Time) string { return forewarn.Ago(now.Sub(t)) },
	// rel says when t is from now: "in 3 h", "5 days ago".
	"rel": func(t, now time.Time) string {
		if t.IsZero() {
			return ""
		}
		return forewarn.Relative(t, now)
	},
	"score":  func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"signed": func(f float64) string { return fmt.Sprintf("%+.2f", f) },
	"join":   strings.Join,
	"roles":  rolesText,
	"alertCount": func(n int) string {
		if n >= maxAlertCount {
			return strconv.Itoa(maxAlertCount) + "+"
		}
		return strconv.Itoa(n)
	},
	// active marks the nav item of the page shown, and of the pages under it.
	"active": func(path, href string) bool { return path == href || strings.HasPrefix(path, href+"/") },
	"tlpClass": func(t forewarn.TLP) string {
		return strings.ToLower(strings.ReplaceAll(string(t), "+", "-"))
	},
	"outcomeLabel": func(o string) string {
		switch o {
		case forewarn.OutcomeActionTaken:
			return "Action taken"
		case forewarn.OutcomeNoAction:
			return "No action needed"
		case forewarn.OutcomeForwarded:
			return "Forwarded to the competent service"
		case forewarn.OutcomeNotKnown:
			return "Person not known to us"
		case forewarn.OutcomeDuplicate:
			return "Duplicate of another message"
		case forewarn.OutcomeAnswered:
			return "Answered by a response"
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
	"add":       func(a, b int) int { return a + b },
	"thousands": thousands,
	"msgTable":  func(rows []messageRow) msgTable { return msgTable{Rows: rows} },
	"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
	"list":      func(s ...string) []string { return s },
	"conflictLabel": func(k forewarn.ConflictKind) string {
		if k == forewarn.ConflictNoExit {
			return "no exit record"
		}
		return string(k)
	},
	"claimKind":        func(k forewarn.ClaimKind) string { return label(k) },
	"gradeText":        gradeText,
	"label":            label,
	"tlpText":          tlpText,
	"messageName":      messageName,
	"matchStatusLabel": func(st forewarn.MatchStatus) string { return label(st) },
}
