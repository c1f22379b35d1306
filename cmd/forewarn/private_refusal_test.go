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
// partner's English.
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
	if !webMounted(fr) {
		mountWeb(fr)
	}
	mine := &forewarn.Subject{Names: []forewarn.Name{{Value: "Ismaël Omar Mostefaï", Kind: forewarn.NamePrimary}}, BirthDate: forewarn.PartialDate{Year: 1985}}
	if err := fr.node.Store.CreateSubject(ctx, actor(forewarn.RoleAnalyst), mine); err != nil {
		t.Fatal(err)
	}
	// Turkey lets France ask about no one.
	if err := tr.node.Store.SetPrivateLimit(ctx, forewarn.UserActor("admin"), agencyFR.Code, 0); err != nil {
		t.Fatal(err)
	}
	u, err := fr.node.Store.UserByUsername(ctx, "liaison")
	if err != nil {
		t.Fatal(err)
	}
	u.Language = "fr"
	if err := fr.node.Store.UpdateUser(ctx, forewarn.SystemActor("test"), u); err != nil {
		t.Fatal(err)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		res, err := client.Get(fr.url + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if m := csrfRE.FindSubmatch(page); m != nil {
			form.Set("csrf", string(m[1]))
		}
		req, _ := http.NewRequest("POST", fr.url+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", fr.url)
		res, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(body)
	}
	if st, _ := post("/login", url.Values{"username": {"liaison"}, "password": {demoPassword}}); st != http.StatusOK {
		t.Fatalf("signing in: %d", st)
	}
	st, body := post("/private", url.Values{"peer": {agencyTR.Code}, "subjects": {mine.ID}})
	want := "TR-MIT n’a pas répondu à la requête confidentielle : le partenaire ne l’autorise pas"
	if st != http.StatusConflict || !strings.Contains(body, want) {
		t.Errorf("the refused question: %d, want 409 and %q:\n%s", st, want, body)
	}
	for _, bad := range []string{"erreur interne", "refused the message", "HTTP 403"} {
		if strings.Contains(body, bad) {
			t.Errorf("the French page says %q about the refusal", bad)
		}
	}
}
