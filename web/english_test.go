package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/web"
)

// TestEnglishHasNoFrench: an English user meets no French on any page of the site, nor in
// the errors of the forms and the sign-in page, now that errors, dates and old alerts go
// through the catalogue.
func TestEnglishHasNoFrench(t *testing.T) {
	f := newFixture(t)
	var french []*regexp.Regexp
	for _, v := range web.FrenchPhrases() {
		french = append(french, regexp.MustCompile(`(^|\W)`+regexp.QuoteMeta(v)+`($|\W)`))
	}
	if len(french) < 200 {
		t.Fatalf("only %d French phrases to look for", len(french))
	}
	tags := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
	look := func(name, body string) {
		t.Helper()
		text := tags.ReplaceAllString(body, " ")
		for _, re := range french {
			if m := re.FindString(text); m != "" {
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
		{"fr-FR,fr;q=0.9,en;q=0.5", "fr", "Identifiant ou mot de passe incorrect."},
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
