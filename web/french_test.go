package web_test

import (
	"context"
	"html"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/web"
)

// frenchUsers makes the fixture's people French readers.
func frenchUsers(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"liaison", "analyst", "supervisor", "oversight", "admin2"} {
		u, err := f.node.Store.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		u.Language = "fr"
		if err := f.node.Store.UpdateUser(ctx, forewarn.UserActor(name), u); err != nil {
			t.Fatal(err)
		}
	}
}

// pageText is a page's text as its reader sees it: without scripts, styles and tags,
// without what it marks lang="en" (a partner's or a third party's own words), its
// entities read; titles, placeholders and labels for screen readers are kept.
func pageText(body string) string {
	body = englishSpanRE.ReplaceAllString(body, " ")
	body = codeRE.ReplaceAllString(body, " ")
	var said []string
	for _, m := range attrRE.FindAllStringSubmatch(body, -1) {
		said = append(said, m[1])
	}
	text := tagRE.ReplaceAllString(body, " ")
	return html.UnescapeString(strings.Join(strings.Fields(text), " ") + "\n" + strings.Join(said, "\n"))
}

var (
	tagRE         = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
	englishSpanRE = regexp.MustCompile(`(?s)<(span|p|td|a|option|div|q|code)\b[^>]*\blang="en"[^>]*>.*?</(span|p|td|a|option|div|q|code)>`)
	attrRE        = regexp.MustCompile(`\b(?:title|placeholder|aria-label)="([^"]*)"`)
	// what a page shows as code on purpose: commands and examples (<code>), the dotted
	// names of audit actions and permissions the trail's filter takes (in titles), a
	// document's file name, the keys of key=value syntax
	codeRE = regexp.MustCompile(`(?s)<code>.*?</code>|\bforewarn [a-z]+ [a-z]+\b|\b[a-z_]+(?:\.[a-z_]+)+\b|[\w/-]+\.md\b|\b[a-z_]+=`)
)

// fixtureWords are single English words the fixture's data holds (user names, a
// partner's message in English), which a page rightly shows as they are.
var fixtureWords = map[string]bool{"analyst": true, "liaison": true, "supervisor": true, "oversight": true, "admin": true,
	"test":         true, // the fixture's own component in the audit trail, and a French word
	"notification": true, // a French word too
}

// fixtureData is English the fixture's data holds, taken out of a page before the look.
var fixtureData = strings.NewReplacer("border records", " ", // a claim's named source
	"First administrator", " ", // the display name the node's first user was given
)

// TestFrenchPagesHaveNoEnglish renders every page of the site (everyPage), and the pages
// a French reader meets when refused or when an action conflicts, over plain HTTP as
// French users, and looks for any English the catalogue translates otherwise: whole
// sentences, phrases, and single words too (which the browser test leaves aside), so a
// role, a status or a button left in English is found. Proper names, the codes a page
// shows on purpose (TLP:AMBER, agency codes) and text marked lang="en" are not looked at.
func TestFrenchPagesHaveNoEnglish(t *testing.T) {
	f := newFixture(t)
	frenchUsers(t, f)
	var keys []string
	for _, k := range web.EnglishKeys() {
		if strings.Contains(k, "%") || fixtureWords[k] || len(k) < 3 {
			continue
		}
		keys = append(keys, k)
	}
	keys = append(keys, web.EnglishPhraseParts()...)
	sort.Strings(keys)
	var looks []phraseLook
	for _, k := range keys {
		// case-sensitive, whole words: "Save" is English, "save" inside a word is not
		looks = append(looks, newPhraseLook(k, `[^\pL\pN_]`))
	}
	if len(looks) < 500 {
		t.Fatalf("only %d English words and phrases to look for", len(looks))
	}
	look := func(name, body string) {
		t.Helper()
		if !strings.Contains(body, "<html") { // a redirect (home)
			return
		}
		if !strings.Contains(body, `<html lang="fr">`) {
			t.Errorf("%s: not a French page", name)
			return
		}
		text := fixtureData.Replace(pageText(body))
		for i, l := range looks {
			if at := l.index(text); at != nil {
				from, to := max(0, at[0]-60), min(len(text), at[1]+60)
				t.Errorf("%s: English left on a French page: %q in …%s…", name, keys[i], text[from:to])
			}
		}
	}
	ids := strings.NewReplacer("{warning}", f.warningID, "{subject}", f.subjectID, "{second}", f.warningID)
	browsers := map[string]*browser{}
	as := func(user string) *browser {
		b := browsers[user]
		if b == nil {
			b = f.browser(t)
			b.login(user)
			browsers[user] = b
		}
		return b
	}
	for _, p := range everyPage {
		if p.user == "" {
			continue
		}
		_, body := as(p.user).get(ids.Replace(p.path))
		look(p.name, body)
	}
	// refusals: a page another role opens
	for _, p := range []struct{ name, user, path string }{
		{"refused-peers", "analyst", "/admin/peers"},
		{"refused-audit", "liaison", "/audit"},
		{"refused-users", "liaison", "/admin/users"},
		{"refused-overdue", "analyst", "/overdue"},
		{"refused-compose", "oversight", "/compose"},
	} {
		st, body := as(p.user).get(p.path)
		if st != 403 {
			t.Errorf("%s: %d, want 403", p.name, st)
		}
		look(p.name, body)
	}
}

// TestFrenchRefusalNamesRoles: a page refused for the reader's role names the roles, and
// what the page is for, in French.
func TestFrenchRefusalNamesRoles(t *testing.T) {
	f := newFixture(t)
	frenchUsers(t, f)
	b := f.browser(t)
	b.login("analyst")
	st, body := b.get("/admin/peers")
	want := "Votre rôle (analyste) ne donne pas accès à cette page (la gestion des partenaires) ; elle est réservée aux rôles : administrateur."
	if st != 403 || !strings.Contains(html.UnescapeString(body), want) {
		t.Errorf("the refusal: %d, want %q\n%s", st, want, pageText(body))
	}
}

// TestFrenchErrorsNameObjects: an error about the record a page shows names it by its
// name, not by its ID, and says its state in words.
func TestFrenchErrorsNameObjects(t *testing.T) {
	f := newFixture(t)
	frenchUsers(t, f)
	b := f.browser(t)
	b.login("analyst")
	st, body, _ := b.post("/subjects/"+f.subjectID+"/watch", map[string][]string{"watch": {"1"}, "reason": {"encore"}})
	text := pageText(body)
	want := "la fiche « Ismaël Omar Mostefaï » est déjà : sous surveillance"
	if st != 409 || !strings.Contains(text, want) {
		t.Errorf("watch-listing again: %d, want %q\n%s", st, want, text)
	}
	if i := strings.Index(text, "est déjà"); i > 0 && strings.Contains(text[max(0, i-80):i], f.subjectID) {
		t.Errorf("the error names the subject by its ID: %s", text[max(0, i-80):i+40])
	}
}
