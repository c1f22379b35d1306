package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/web"
)

// TestEnglishHasNoFrench: an English user meets no French on any page of the site, nor in
// the errors of the forms and the sign-in page, now that errors, dates and old alerts go
// through the catalogue.
func TestEnglishHasNoFrench(t *testing.T) {
	f := newFixture(t)
	var french []phraseLook
	for _, v := range web.FrenchPhrases() {
		french = append(french, newPhraseLook(v, `\W`))
	}
	if len(french) < 200 {
		t.Fatalf("only %d French phrases to look for", len(french))
	}
	tags := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
	look := func(name, body string) {
		t.Helper()
		text := tags.ReplaceAllString(body, " ")
		for _, l := range french {
			if m := l.find(text); m != "" {
				t.Errorf("%s: French on an English page: %q", name, strings.TrimSpace(m))
			}
		}
	}
	ids := strings.NewReplacer("{warning}", f.warningID, "{subject}", f.subjectID, "{second}", f.warningID)
	browsers := map[string]*browser{}
	for _, p := range everyPage {
		b := browsers[p.user]
		if b == nil {
			b = f.browser(t)
			if p.user != "" {
				b.login(p.user)
			}
			browsers[p.user] = b
		}
		_, body := b.get(ids.Replace(p.path))
		look(p.name, body)
	}
	b := browsers["analyst"]
	_, body, _ := b.post("/subjects/"+f.subjectID+"/watch", url.Values{"watch": {"1"}, "reason": {"again"}})
	look("a conflict", body)
	if !strings.Contains(body, "is already watch-listed") {
		t.Errorf("the conflict in English: %s", body)
	}
	_, body = b.get("/messages/0149a3e2-7c00-7000-8000-000000000001?purpose=investigation")
	look("not found", body)

	// Before sign-in, the browser's language: French for Accept-Language fr, English
	// otherwise; the wrong password is said in it.
	for _, tt := range []struct{ accept, lang, want string }{
		{"fr-FR,fr;q=0.9,en;q=0.5", "fr", "Identifiant ou mot de passe erroné."},
		{"en-GB,en;q=0.9", "en", "Wrong username or password."},
		{"de-DE", "en", "Wrong username or password."},
	} {
		c := f.browser(t)
		req, _ := http.NewRequest("GET", f.srv.URL+"/login", nil)
		req.Header.Set("Accept-Language", tt.accept)
		res, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var token string
		for _, ck := range c.c.Jar.Cookies(req.URL) {
			if ck.Name == web.LoginCookie {
				token = ck.Value
			}
		}
		form := url.Values{"username": {"liaison"}, "password": {"not the password"}, "csrf": {token}}
		req, _ = http.NewRequest("POST", f.srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", tt.accept)
		res, err = c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data := new(strings.Builder)
		_, _ = io.Copy(data, res.Body)
		res.Body.Close()
		page := data.String()
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(page, `<html lang="`+tt.lang+`">`) || !strings.Contains(page, tt.want) {
			t.Errorf("sign-in with Accept-Language %s: %d, want 401 in %s saying %q\n%s", tt.accept, res.StatusCode, tt.lang, tt.want, page)
		}
		if tt.lang == "en" {
			look("sign-in "+tt.accept, page)
		}
	}
}

// TestFrenchFormErrors: a French user's form errors beside the field, in the page and
// on the sign-in page are French, over plain HTTP (the browser test shows them in
// Chromium).
func TestFrenchFormErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.node.Store.UserByUsername(ctx, "analyst")
	if err != nil {
		t.Fatal(err)
	}
	u.Language = "fr"
	if err := f.node.Store.UpdateUser(ctx, forewarn.UserActor("analyst"), u); err != nil {
		t.Fatal(err)
	}
	b := f.browser(t)
	b.login("analyst")
	for _, tt := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"a nationality beside its field", "/subjects", url.Values{"name": {"Samy Amimour"}, "nat": {"France"}}, "donnez un code pays à deux lettres, comme FR"},
		{"a conflict", "/subjects/" + f.subjectID + "/watch", url.Values{"watch": {"1"}, "reason": {"encore"}}, "est déjà : sous surveillance"},
		{"a link to itself", "/subjects/" + f.subjectID + "/links", url.Values{"to": {f.subjectID}, "kind": {"associate_of"}, "grading": {"B2"}}, "autre fiche : une fiche ne peut pas être liée à elle-même"},
	} {
		st, body, _ := b.post(tt.path, tt.form)
		if st < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want an error saying %q\n%s", tt.name, st, tt.want, body)
		}
	}
	st, body := b.get("/messages/0149a3e2-7c00-7000-8000-000000000001?purpose=investigation")
	if st != http.StatusNotFound || !strings.Contains(body, "Introuvable") || !strings.Contains(body, "aucun message") {
		t.Errorf("a message that is not: %d\n%s", st, body)
	}
}
