package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// TestPrivateRefusalInFrench: when a partner refuses a private question (here, over the
// limit it sets for France), the refusal arrives with the partner's error code, and the
// asker's page says what it means in its reader's language, not "internal error" nor the
// partner's English; the partner's audit trail, read in French, says its refusal in
// French too.
func TestPrivateRefusalInFrench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv}
	c, err := m.startCluster(ctx, t.TempDir(), day("2015-06-05 09:00"), []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	for _, rt := range []*liveNode{tr, fr} {
		if !webMounted(rt) {
			mountWeb(rt)
		}
	}
	mine := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}}
	if err := fr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), mine); err != nil {
		t.Fatal(err)
	}
	// Turkey lets France ask about no one.
	if err := tr.node.Store.SetPrivateLimit(ctx, forewarn.UserActor("admin"), agencyFR.Code, 0); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		rt   *liveNode
		user string
	}{{fr, "liaison"}, {tr, "oversight"}} {
		u, err := w.rt.node.Store.UserByUsername(ctx, w.user)
		if err != nil {
			t.Fatal(err)
		}
		u.Language = "fr"
		if err := w.rt.node.Store.UpdateUser(ctx, forewarn.SystemActor("test"), u); err != nil {
			t.Fatal(err)
		}
	}
	st, body := signedIn(t, fr, "liaison")("/private", url.Values{"peer": {agencyTR.Code}, "subjects": {mine.ID}})
	want := "TR-MIT n’a pas répondu à la requête confidentielle : le partenaire ne l’autorise pas"
	if st != http.StatusConflict || !strings.Contains(body, want) {
		t.Errorf("the refused question: %d, want 409 and %q:\n%s", st, want, body)
	}
	for _, bad := range []string{"erreur interne", "refused the message", "HTTP 403"} {
		if strings.Contains(body, bad) {
			t.Errorf("the French page says %q about the refusal", bad)
		}
	}
	// Turkey's trail: the refusal, said in French.
	st, body = signedIn(t, tr, "oversight")("/audit?action=private_match.refuse", nil)
	want = "FR-DGSI peut interroger confidentiellement sur 0 personnes par jour"
	if st != http.StatusOK || !strings.Contains(body, want) || strings.Contains(body, "may ask privately about") {
		t.Errorf("Turkey's trail of the refusal: %d, want %q and no English:\n%s", st, want, body)
	}
}

// signedIn signs user in to rt's pages and returns a function that opens a page (form
// nil) or posts a form to it, with the page's CSRF token, and returns the status and body.
func signedIn(t *testing.T, rt *liveNode, user string) func(path string, form url.Values) (int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	open := func(path string, form url.Values) (int, string) {
		t.Helper()
		res, err := client.Get(rt.url + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if form == nil {
			return res.StatusCode, string(page)
		}
		if m := csrfRE.FindSubmatch(page); m != nil {
			form.Set("csrf", string(m[1]))
		}
		req, _ := http.NewRequest("POST", rt.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", rt.url)
		res, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(body)
	}
	if st, _ := open("/login", url.Values{"username": {user}, "password": {demoPassword}}); st != http.StatusOK {
		t.Fatalf("signing in as %s: %d", user, st)
	}
	return open
}
