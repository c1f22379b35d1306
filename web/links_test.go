package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// linkRE finds the links of a page (anchors and stylesheets alike; only paths on the node
// are followed).
var linkRE = regexp.MustCompile(`<a [^>]*href="([^"#]*)"`)

// TestEveryLinkOpens signs in as each role and follows every link its pages show, as a new
// user clicking around would: none may lead to a page the role is refused (401, 403), one
// that is not there (404) or an error. A link to something a role may not open is a dead
// end that tells the user nothing; it must not be shown.
func TestEveryLinkOpens(t *testing.T) {
	f := newFixture(t)
	for _, role := range forewarn.Roles {
		user := string(role)
		if role == forewarn.RoleAdmin {
			user = "admin2"
		}
		t.Run(user, func(t *testing.T) {
			b := f.browser(t)
			b.login(user)
			seen := map[string]bool{}
			perPath := map[string]int{}
			type link struct{ path, from string }
			queue := []link{{"/", ""}}
			for len(queue) > 0 && len(seen) < 300 {
				l := queue[0]
				queue = queue[1:]
				if seen[l.path] {
					continue
				}
				seen[l.path] = true
				u, err := url.Parse(l.path)
				if err != nil {
					t.Errorf("%s links to %q, which is no URL", l.from, l.path)
					continue
				}
				// A few of each path (list pages with their sorts and filters) are enough.
				if perPath[u.Path]++; perPath[u.Path] > 3 {
					continue
				}
				st, body, h := b.do("GET", l.path, nil)
				if st == http.StatusSeeOther || st == http.StatusFound {
					queue = append(queue, link{h.Get("Location"), l.path})
					continue
				}
				if st != http.StatusOK {
					t.Errorf("%s: the link to %s answers %d", l.from, l.path, st)
					continue
				}
				for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
					h := html.UnescapeString(m[1])
					if !strings.HasPrefix(h, "/") || strings.HasPrefix(h, "//") || strings.HasPrefix(h, "/static/") {
						continue
					}
					if !seen[h] {
						queue = append(queue, link{h, l.path})
					}
				}
			}
			if len(seen) < 5 {
				t.Errorf("only %d pages reached from the start page", len(seen))
			}
		})
	}
}

// TestOversightCSVFromThePage: the oversight page's CSV link downloads the report with the
// reader's session (a browser has no API token, so a link into /api/v1 answered 401).
func TestOversightCSVFromThePage(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("oversight")
	_, page := b.get("/oversight")
	m := regexp.MustCompile(`href="([^"]*format=csv[^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the oversight page has no CSV link")
	}
	st, body, h := b.do("GET", html.UnescapeString(m[1]), nil)
	if st != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("the CSV link answers %d %s", st, h.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "section,time,user,peer,action") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("the CSV link does not download the report:\n%.300s", body)
	}
}

// TestRefusalSaysWhoMay: a page refused to a role says which roles it is for, so the user
// knows whom to ask rather than meeting a permission code alone.
func TestRefusalSaysWhoMay(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.login("liaison")
	st, body := b.get("/audit")
	if st != http.StatusForbidden || !strings.Contains(body, "it is for: oversight, admin") {
		t.Errorf("the audit trail refused to a liaison officer: %d, and it does not say who may read it:\n%.2000s", st, body)
	}
}
