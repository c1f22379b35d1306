package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/forewarn/forewarn"
)

// sameInFrench are the keys whose French is rightly the English: words French shares,
// and text that is only codes and formats.
var sameInFrench = map[string]bool{
	"source %s, information %s": true, "liaison": true, "Notifications": true, "notifications": true, "improbable": true,
	"%d minutes": true, "association": true, "document": true, "Consultations": true,
	"Message": true, "Pages": true, "Provenance": true, "Source": true, "Questions": true,
	"article": true, "flash": true, "romanisation": true, "routine": true, "urgent": true,
	"message": true, "Notes": true, "Action": true, "Collection": true, "TLP": true, "Document": true,
	"URL": true, "%s": true, "%s %s": true, "%s %s %s": true, "page": true, "session": true, "questions": true, "documents": true, "score %s": true, "%s, %s": true, "alias": true, "webhook %s": true, "webhook": true, "export": true, "messages": true, "source": true, "Webhooks": true, "Date": true, "Message, date": true, "Score": true, "%v": true,
	"secret": true, "code": true, "provenance": true, "version": true, "collections": true, "action": true, "justification": true,
}

// templateKeys returns every key a template passes to t as a literal: {{t "Inbox"}}.
func templateKeys(t *testing.T) map[string][]string {
	keys := map[string][]string{}
	files, _ := fs.Glob(assets, "templates/*.html")
	for _, f := range files {
		src, _ := fs.ReadFile(assets, f)
		tmpl, err := template.New(f).Funcs(funcsFor(english)).Parse(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			walk(tt.Tree.Root, func(n parse.Node) {
				c, ok := n.(*parse.CommandNode)
				if !ok || len(c.Args) < 2 {
					return
				}
				if id, ok := c.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "th") {
					if s, ok := c.Args[1].(*parse.StringNode); ok {
						keys[s.Text] = append(keys[s.Text], f)
					}
				}
			})
		}
	}
	return keys
}

// walk calls fn on every node under n.
func walk(n parse.Node, fn func(parse.Node)) {
	if n == nil {
		return
	}
	fn(n)
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			walk(c, fn)
		}
	case *parse.ActionNode:
		walk(x.Pipe, fn)
	case *parse.PipeNode:
		if x == nil {
			return
		}
		for _, c := range x.Cmds {
			walk(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range x.Args {
			walk(a, fn)
		}
	case *parse.IfNode:
		walk(x.Pipe, fn)
		walk(x.List, fn)
		walk(x.ElseList, fn)
	case *parse.RangeNode:
		walk(x.Pipe, fn)
		walk(x.List, fn)
		walk(x.ElseList, fn)
	case *parse.WithNode:
		walk(x.Pipe, fn)
		walk(x.List, fn)
		walk(x.ElseList, fn)
	case *parse.TemplateNode:
		walk(x.Pipe, fn)
	}
}

// goKeys returns every key the Go code of the package writes: msg("…") and x.T("…", …).
func goKeys(t *testing.T) map[string][]string {
	keys := map[string][]string{}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if name != "msg" && name != "T" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				keys[s] = append(keys[s], fset.Position(lit.Pos()).String())
			}
			return true
		})
	}
	for _, v := range labels {
		keys[v] = append(keys[v], "labels.go")
	}
	// The sentences of audit details are keyed by their English format, written in the
	// root package; the default purposes by their labels.
	for _, k := range forewarn.AuditDetailKinds {
		keys[k.Sentence()] = append(keys[k.Sentence()], "auditdetail.go: "+k.Code)
	}
	for _, k := range forewarn.AuditReasonKinds {
		keys[k.Sentence()] = append(keys[k.Sentence()], "auditdetail.go: reason "+k.Code)
	}
	for _, o := range forewarn.DefaultPurposePolicy().Options {
		keys[o.Label] = append(keys[o.Label], "purpose.go: "+o.Code)
	}
	for code, v := range forewarn.PhraseFormats {
		keys[v] = append(keys[v], "forewarn.PhraseFormats["+code+"]")
	}
	// The sentences of the errors the packages behind the pages write, by their format.
	_, formats, _ := sourceErrors(t)
	for _, dir := range pageDirs {
		for f, code := range formats[dir] {
			if code != "EINTERNAL" {
				keys[f] = append(keys[f], dir+": forewarn.Errorf")
			}
		}
	}
	return keys
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// TestCatalogue: every key the templates and the Go code use has a French translation,
// which is not empty, not the English (unless listed in sameInFrench), and takes the same
// arguments; and no French entry is left that nothing uses.
func TestCatalogue(t *testing.T) {
	used := map[string][]string{}
	for k, v := range templateKeys(t) {
		used[k] = append(used[k], v...)
	}
	for k, v := range goKeys(t) {
		used[k] = append(used[k], v...)
	}
	if len(used) < 100 {
		t.Fatalf("only %d catalogue keys found; the extraction is broken", len(used))
	}
	in := map[string]string{}
	for file, table := range map[string]map[string]string{"catalog_fr.go": frenchText, "catalog_fr_audit.go": frenchAuditText, "catalog_fr_core.go": frenchCoreText, "catalog_fr_errors.go": frenchErrorText, "catalog_fr_failures.go": frenchFailureText} {
		for k := range table {
			if other, ok := in[k]; ok {
				t.Errorf("%q is in both %s and %s; keep it in one", k, other, file)
			}
			in[k] = file
		}
	}
	var missing []string
	for k, where := range used {
		fr, ok := french.table[k]
		switch {
		case !ok:
			missing = append(missing, strconv.Quote(k)+": "+strconv.Quote("")+", // "+where[0])
		case strings.TrimSpace(fr) == "":
			t.Errorf("the French of %q is empty", k)
		case fr == k && !sameInFrench[k]:
			t.Errorf("the French of %q is the English; translate it, or list it in sameInFrench if French writes it so", k)
		}
		if ok && !sameVerbs(k, fr) {
			t.Errorf("the French of %q takes other arguments: %q", k, fr)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d catalogue keys have no French; add them to catalog_fr.go:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	var stale []string
	for k := range french.table {
		if _, ok := used[k]; !ok {
			stale = append(stale, strconv.Quote(k))
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%d French entries are used nowhere; remove them from catalog_fr.go:\n%s", len(stale), strings.Join(stale, "\n"))
	}
}

// sameVerbs reports whether two formats take the same arguments: the same verbs, in any
// order when indexed.
func sameVerbs(en, fr string) bool {
	a, b := verbRE.FindAllString(en, -1), verbRE.FindAllString(fr, -1)
	if len(a) != len(b) {
		return false
	}
	strip := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v[len(v)-1:]
		}
		sort.Strings(out)
		return out
	}
	return strings.Join(strip(a), "") == strings.Join(strip(b), "")
}

// untranslatedTemplates are the templates not yet through the catalogue; the literal-text
// check skips them. It must end empty.
var untranslatedTemplates = map[string]bool{}

var (
	actionRE = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	attrRE   = regexp.MustCompile(`(?i)\s(title|placeholder|aria-label|alt|data-label)="([^"]*)"`)
	entityRE = regexp.MustCompile(`&[a-zA-Z]+;|&#\d+;`)
	// allowedText is literal text every language writes the same: the product's name and
	// the TLP prefix.
	allowedText = regexp.MustCompile(`Forewarn|TLP:|\bUTC\b|\bCSV\b`)
)

// TestTemplatesHaveNoLiteralText parses every template and fails on text a user reads
// that does not go through the catalogue: words between tags, in the attributes people
// read (title, placeholder, aria-label, alt, data-label), and string literals in actions
// that read as words rather than codes ({{or .Title "(untitled)"}}). So the catalogue
// cannot fall behind the pages.
func TestTemplatesHaveNoLiteralText(t *testing.T) {
	files, _ := fs.Glob(assets, "templates/*.html")
	for _, f := range files {
		if untranslatedTemplates[filepath.Base(f)] {
			t.Logf("%s is not yet translated", f)
			continue
		}
		src, _ := fs.ReadFile(assets, f)
		body := actionRE.ReplaceAllString(string(src), "{{}}")
		for _, m := range attrRE.FindAllStringSubmatch(body, -1) {
			if hasWords(m[2]) && !looksLikeExample(m[2]) {
				t.Errorf("%s: literal text in %s=%q; put it through {{t …}}", f, m[1], m[2])
			}
		}
		// <script> and <style> hold no text for people.
		for _, chunk := range tagRE.Split(body, -1) {
			if hasWords(chunk) {
				t.Errorf("%s: literal text %q; put it through {{t …}}", f, strings.TrimSpace(chunk))
			}
		}
		tmpl, err := template.New(f).Funcs(funcsFor(english)).Parse(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tt := range tmpl.Templates() {
			if tt.Tree == nil {
				continue
			}
			walk(tt.Tree.Root, func(n parse.Node) {
				c, ok := n.(*parse.CommandNode)
				if !ok {
					return
				}
				for i, a := range c.Args {
					s, ok := a.(*parse.StringNode)
					if !ok {
						continue
					}
					if i == 1 {
						if id, ok := c.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "t" || id.Ident == "th") {
							continue
						}
					}
					if readsAsWords(s.Text) {
						t.Errorf("%s: the string %q in an action reads as words; put it through t", f, s.Text)
					}
				}
			})
		}
	}
}

func hasWords(s string) bool {
	s = entityRE.ReplaceAllString(allowedText.ReplaceAllString(s, ""), "")
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// looksLikeExample tells a placeholder showing a code, an address or a URL (FR-DGSI, B2,
// "FR, DZ", desk@agency.example) from one written in words.
func looksLikeExample(s string) bool {
	return strings.Contains(s, "@") || strings.Contains(s, "://") || !regexp.MustCompile(`\p{Ll}{3}`).MatchString(s)
}

// readsAsWords tells words from codes: "(untitled)" and "Not now" are words,
// "messages.read", "escalation" and "AMBER+STRICT" are codes.
func readsAsWords(s string) bool {
	if !hasWords(s) || strings.HasPrefix(s, "forewarn ") {
		return false
	}
	if strings.ContainsAny(s, " ()") || strings.HasSuffix(s, ".") {
		return true
	}
	upper, lower := false, false
	for _, r := range s {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
	}
	return upper && lower
}

// TestLocaleFormats: dates, numbers and durations come out as each language writes them.
func TestLocaleFormats(t *testing.T) {
	at := time.Date(2014, 12, 15, 14, 5, 0, 0, time.UTC)
	now := at.Add(3*24*time.Hour + time.Hour)
	for _, tt := range []struct {
		name, got, want string
	}{
		{"en time", english.Time(at), "15 Dec 2014 14:05 UTC"},
		{"fr time", french.Time(at), "15 déc. 2014 14:05 UTC"},
		{"en date", english.Date(at), "15 Dec 2014"},
		{"fr date", french.Date(at), "15 déc. 2014"},
		{"fr date in August", french.Date(at.AddDate(0, -4, 0)), "15 août 2014"},
		{"en number", english.Num(1234567), "1,234,567"},
		{"fr number", french.Num(1234567), "1\u202f234\u202f567"},
		{"fr number in a sentence", french.T("Person line %d: %s", 1234, "x"), "Personne, ligne 1\u202f234 : x"},
		{"en decimal", english.Decimal(1234.5, 1), "1,234.5"},
		{"fr decimal grouped", french.Decimal(1234.5, 1), "1\u202f234,5"},
		{"fr negative decimal", french.Decimal(-0.25, 2), "-0,25"},
		{"fr year", french.PartialDate(forewarn.PartialDate{Year: 1985}), "1985"},
		{"fr month", french.PartialDate(forewarn.PartialDate{Year: 1985, Month: 3}), "mars 1985"},
		{"en month", english.PartialDate(forewarn.PartialDate{Year: 1985, Month: 3}), "March 1985"},
		{"fr day", french.PartialDate(forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}), "21 nov. 1985"},
		{"en day", english.PartialDate(forewarn.PartialDate{Year: 1985, Month: 11, Day: 21}), "21 Nov 1985"},
		{"unknown", french.PartialDate(forewarn.PartialDate{}), ""},
		{"fr decimal", french.Decimal(0.87, 2), "0,87"},
		{"en ago", english.Relative(at, now), "3 days ago"},
		{"fr ago", french.Relative(at, now), "il y a 3 jours"},
		{"fr in", french.Relative(now, at), "dans 3 jours"},
		{"fr one day", french.Ago(30 * time.Hour), "30 h"},
		{"fr months", french.Ago(11 * 30 * 24 * time.Hour), "11 mois"},
		{"fr years", french.Ago(2 * 366 * 24 * time.Hour), "2 ans"},
		{"fr one year", french.Ago(731 * 24 * time.Hour), "2 ans"},
		{"fr minute", french.Ago(20 * time.Second), "moins d’une minute"},
		{"en overdue", english.Due(at, now), "overdue 3 days"},
		{"fr overdue", french.Due(at, now), "en retard de 3 jours"},
		{"fr due", french.Due(now, at), "échéance dans 3 jours"},
		{"fr wait", french.Wait(40 * time.Second), "40 secondes"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestChooseLocale: the user's choice wins, then the node's, then the browser's, then English.
func TestChooseLocale(t *testing.T) {
	s := &Server{}
	req := func(accept string) *http.Request {
		r := httptest.NewRequest("GET", "/login", nil)
		if accept != "" {
			r.Header.Set("Accept-Language", accept)
		}
		return r
	}
	for _, tt := range []struct {
		name, node, user, accept, want string
	}{
		{"nothing chosen", "", "", "", "en"},
		{"browser French", "", "", "fr-CH, fr;q=0.9, en;q=0.8", "fr"},
		{"browser German falls back", "", "", "de-DE", "en"},
		{"browser prefers English", "", "", "en-GB, fr;q=0.5", "en"},
		{"node French", "fr", "", "en-US", "fr"},
		{"user English on a French node", "fr", "en", "fr", "en"},
		{"user French", "", "fr", "en", "fr"},
	} {
		s.Language = tt.node
		var u *forewarn.User
		if tt.user != "" {
			u = &forewarn.User{Language: tt.user}
		}
		if got := s.chooseLocale(req(tt.accept), u).code; got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
