package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sourceErrors reads every non-test Go file of the repository and returns what the errors
// it builds can carry to a page: the rule codes of validation errors (forewarn.Invalid,
// a forewarn.Error literal's Rule, and the literal rules passed to any function that hands
// its own parameter on as a rule), and the formats of forewarn.Errorf by package
// directory (likewise through wrappers that pass their format parameter on). bad lists
// calls whose rule or format could not be read, so the scan cannot miss one silently.
func sourceErrors(t *testing.T) (rules map[string][]string, formats map[string]map[string]string, bad []string) {
	rules, formats, _, _, bad = sourceErrorsAndFields(t)
	return rules, formats, bad
}

// sourceErrorsAndFields is sourceErrors with the fields validation errors name, where the
// source writes them whole, by package directory, and the sentences of forewarn.Invalid
// by package directory, each with where it is written.
func sourceErrorsAndFields(t *testing.T) (rules map[string][]string, formats map[string]map[string]string, fields map[string]map[string]string, sentences map[string]map[string]string, bad []string) {
	t.Helper()
	fset := token.NewFileSet()
	type file struct {
		dir string
		f   *ast.File
	}
	var files []file
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != ".." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "test-output" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel("..", filepath.Dir(path))
		files = append(files, file{filepath.ToSlash(dir), f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rules = map[string][]string{}
	formats = map[string]map[string]string{}
	fields = map[string]map[string]string{}
	sentences = map[string]map[string]string{}
	// wrappers: functions that take a rule (or a format) and pass it on, by name, with the
	// index of that parameter. The builders themselves come first.
	// Wrappers are keyed by directory and name ("app fail"); the builders by the root's
	// directory, which other packages call as forewarn.Invalid and forewarn.Errorf.
	ruleAt := map[string]int{". Invalid": 1}
	formatAt := map[string]int{". Errorf": 1}
	codeAt := map[string]int{". Errorf": 0}
	var dir string                 // the directory of the file being read
	var imported map[string]string // its imports, by the name it calls them
	calleeName := func(c *ast.CallExpr) string {
		switch fn := c.Fun.(type) {
		case *ast.Ident:
			return dir + " " + fn.Name
		case *ast.SelectorExpr:
			if x, ok := fn.X.(*ast.Ident); ok {
				if path, ok := imported[x.Name]; ok {
					if path == "github.com/forewarn/forewarn" {
						return ". " + fn.Sel.Name
					}
					return path + " " + fn.Sel.Name
				}
			}
			return dir + " " + fn.Sel.Name
		}
		return ""
	}
	setFile := func(fl file) {
		dir = fl.dir
		imported = map[string]string{}
		for _, im := range fl.f.Imports {
			path, _ := strconv.Unquote(im.Path.Value)
			name := path[strings.LastIndex(path, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imported[name] = path
		}
	}
	params := func(fd *ast.FuncDecl) map[string]int {
		out := map[string]int{}
		i := 0
		for _, p := range fd.Type.Params.List {
			if len(p.Names) == 0 {
				i++
			}
			for _, n := range p.Names {
				out[n.Name] = i
				i++
			}
		}
		return out
	}
	var str func(e ast.Expr) (string, bool)
	str = func(e ast.Expr) (string, bool) {
		if b, ok := e.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			x, ok1 := str(b.X)
			y, ok2 := str(b.Y)
			return x + y, ok1 && ok2
		}
		if l, ok := e.(*ast.BasicLit); ok && l.Kind == token.STRING {
			s, err := strconv.Unquote(l.Value)
			return s, err == nil
		}
		if c, ok := e.(*ast.CallExpr); ok && calleeName(c) == "web msg" && len(c.Args) == 1 {
			if l, ok := c.Args[0].(*ast.BasicLit); ok {
				s, err := strconv.Unquote(l.Value)
				return s, err == nil
			}
		}
		return "", false
	}
	// Find the wrappers until no new one appears.
	for changed := true; changed; {
		changed = false
		for _, fl := range files {
			setFile(fl)
			for _, d := range fl.f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				ps := params(fd)
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					c, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					name := calleeName(c)
					for _, tbl := range []map[string]int{ruleAt, formatAt} {
						i, ok := tbl[name]
						if !ok || i >= len(c.Args) {
							continue
						}
						if id, ok := c.Args[i].(*ast.Ident); ok {
							if j, ok := ps[id.Name]; ok {
								key := dir + " " + fd.Name.Name
								if _, seen := tbl[key]; !seen {
									tbl[key] = j
									changed = true
									codeAt[key] = -1 // the code is the wrapper's own
								}
							}
						}
					}
					return true
				})
			}
		}
	}
	pos := func(n ast.Node) string { return fset.Position(n.Pos()).String() }
	for _, fl := range files {
		setFile(fl)
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isErrorType(n.Type) {
					return true
				}
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok || kv.Key.(*ast.Ident).Name != "Rule" {
						continue
					}
					if s, ok := str(kv.Value); ok {
						rules[s] = append(rules[s], pos(kv))
					} else if _, ok := kv.Value.(*ast.Ident); ok {
						// forewarn.Invalid itself, whose callers are read
					} else if sel, ok := kv.Value.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Rule" {
						bad = append(bad, pos(kv)+": a rule that is not a literal")
					}
				}
			case *ast.CallExpr:
				name := calleeName(n)
				if name == ". Invalid" && len(n.Args) > 0 {
					if f, ok := str(n.Args[0]); ok {
						if fields[fl.dir] == nil {
							fields[fl.dir] = map[string]string{}
						}
						fields[fl.dir][f] = pos(n)
					}
					if len(n.Args) > 2 {
						if m, ok := str(n.Args[2]); ok {
							if sentences[fl.dir] == nil {
								sentences[fl.dir] = map[string]string{}
							}
							sentences[fl.dir][m] = pos(n)
						}
					}
				}
				if i, ok := ruleAt[name]; ok && i < len(n.Args) {
					if s, ok := str(n.Args[i]); ok {
						rules[s] = append(rules[s], pos(n))
					} else if _, ok := n.Args[i].(*ast.Ident); !ok {
						bad = append(bad, pos(n)+": a rule that is not a literal")
					}
				}
				if i, ok := formatAt[name]; ok && i < len(n.Args) {
					if s, ok := str(n.Args[i]); ok {
						code := ""
						if j := codeAt[name]; j >= 0 && j < len(n.Args) {
							if sel, ok := n.Args[j].(*ast.SelectorExpr); ok {
								code = sel.Sel.Name
							} else if id, ok := n.Args[j].(*ast.Ident); ok {
								code = id.Name
							}
						}
						if formats[fl.dir] == nil {
							formats[fl.dir] = map[string]string{}
						}
						formats[fl.dir][s] = code
					} else if _, ok := n.Args[i].(*ast.Ident); !ok && fl.dir != "envelope" { // (a peer's errors, never a page's)
						bad = append(bad, pos(n)+": a format that is not a literal")
					}
				}
			}
			return true
		})
	}
	for _, ps := range rules {
		sort.Strings(ps)
	}
	return rules, formats, fields, sentences, bad
}

// isErrorType reports whether a composite literal's type is forewarn.Error.
func isErrorType(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "Error"
	case *ast.SelectorExpr:
		return t.Sel.Name == "Error"
	}
	return false
}

// TestEveryRuleHasWords: every rule a validation error of the source can carry has a
// sentence in English and in French, so no page shows a rule as a code or leaves it in
// English.
func TestEveryRuleHasWords(t *testing.T) {
	rules, _, bad := sourceErrors(t)
	for _, b := range bad {
		t.Errorf("%s: the scan cannot read it; pass a literal", b)
	}
	if len(rules) < 100 {
		t.Fatalf("only %d rules found in the source: the scan is broken", len(rules))
	}
	for _, want := range []string{"one_payload", "one_target", "identified_through", "required", "timestamp_millis", "import_taken_over"} {
		if rules[want] == nil {
			t.Errorf("the scan missed the rule %s", want)
		}
	}
	var missing []string
	for r, at := range rules {
		w, ok := ruleTexts[r]
		switch {
		case !ok:
			missing = append(missing, r+" ("+at[0]+")")
		case french.T(w) == w:
			t.Errorf("rule %s: %q has no French", r, w)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("rule %s has no sentence in ruleTexts (web/errors.go)", m)
	}
}

// pageDirs are the packages whose errors a page can show: the domain, the core, the
// store, the API handlers the pages call, and the pages themselves.
var pageDirs = []string{".", "app", "sqlstore", "httpapi", "web"}

// TestEveryErrorHasFrench: every sentence of a not-found, conflict, forbidden,
// unauthorized or invalid error that the packages behind the pages write
// (forewarn.Errorf, directly or through a helper) has its French, so a French user meets
// none in English.
func TestEveryErrorHasFrench(t *testing.T) {
	_, formats, _ := sourceErrors(t)
	n := 0
	var missing []string
	for _, dir := range pageDirs {
		for f, code := range formats[dir] {
			if code == "EINTERNAL" {
				continue
			}
			n++
			if _, ok := french.table[f]; !ok {
				missing = append(missing, dir+": "+strconv.Quote(f))
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d error sentences found in the source: the scan is broken", n)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no French for the error %s", m)
	}
}

// TestEveryFieldHasWords: every field a validation error of the domain, the core, the
// store or the pages names (where the source writes it whole) has a word in fieldWords,
// so a French page never names a field by its English path.
func TestEveryFieldHasWords(t *testing.T) {
	_, _, fields, _, _ := sourceErrorsAndFields(t)
	n := 0
	var missing []string
	for _, dir := range []string{".", "app", "sqlstore", "web"} {
		for f, at := range fields[dir] {
			n++
			w := french.fieldWord(f)
			if _, ok := fieldWords[normalField(f)]; !ok || w == "" {
				missing = append(missing, strconv.Quote(normalField(f))+" ("+at+")")
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d fields found in the source: the scan is broken", n)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the field %s has no word in fieldWords (web/errors.go)", m)
	}
}

// codeInSentenceRE finds what only a programmer reads in an error's sentence: a field's
// path or a stored code (snake_case, dotted), outside the values quoted with %q.
// (An example of what to type, after "like" or "for example", is shown as it is typed.)
var exampleRE = regexp.MustCompile(`\b(like|for example) \S+`)

var codeInSentenceRE = regexp.MustCompile(`\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b`)

// TestValidationSaysNoCodes: the sentence of a validation error a page can show (the
// domain's, the core's, the store's, the pages' own) says its field and the values it
// takes in words, never by their codes (max_tlp, identified_through): the English page
// shows that sentence as it is, after the field's word.
func TestValidationSaysNoCodes(t *testing.T) {
	_, _, _, sentences, _ := sourceErrorsAndFields(t)
	n := 0
	var bad []string
	for _, dir := range []string{".", "app", "sqlstore", "web"} {
		for m, at := range sentences[dir] {
			n++
			if c := codeInSentenceRE.FindString(exampleRE.ReplaceAllString(m, "")); c != "" {
				bad = append(bad, at+": "+strconv.Quote(m)+" names "+c)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d sentences found in the source: the scan is broken", n)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s", b)
	}
}

// idInSentenceRE finds an error's sentence that names a forward, an import, a match, a
// notification, an alert or a private query by its ID: the kind's word followed by a
// bare argument ("match %s was already rejected"), which only its ID can fill. Such an
// object is named by what a reader knows it by: "the match of a person in “%s”".
var idInSentenceRE = regexp.MustCompile(`(?i)\b(?:forward|import(?: job)?|match|notification|alert|(?:private )?query|consent request)(?: of| ID)? %[sqv]`)

// TestErrorsNameNoIDs: no error sentence a page can show (the domain's, the core's, the
// store's, the API's and the pages' own, Errorf's and Invalid's alike) quotes the ID of a
// forward, an import, a match, a notification, an alert or a private query: IDs are
// timestamps to a reader, and everything made in the same minute looks the same.
func TestErrorsNameNoIDs(t *testing.T) {
	_, formats, _, sentences, _ := sourceErrorsAndFields(t)
	n := 0
	var bad []string
	for _, dir := range pageDirs {
		for f := range formats[dir] {
			n++
			if idInSentenceRE.MatchString(f) {
				bad = append(bad, dir+": "+strconv.Quote(f))
			}
		}
		for m, at := range sentences[dir] {
			n++
			if idInSentenceRE.MatchString(m) {
				bad = append(bad, at+": "+strconv.Quote(m))
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d sentences found in the source: the scan is broken", n)
	}
	if !idInSentenceRE.MatchString("match %s was already rejected by %s") || idInSentenceRE.MatchString("the match of a person in “%s” was already rejected") {
		t.Fatal("the pattern does not tell an ID from a name")
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("an error names an object by its ID: %s", b)
	}
}
