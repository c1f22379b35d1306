package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// TestDemoLoginsWork signs in, through the sign-in form, as every user the demo prints,
// on every node, with the password it prints: a newcomer's first step must not fail.
func TestDemoLoginsWork(t *testing.T) {
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	c, err := m.startCluster(ctx, t.TempDir(), parisStart, []forewarn.Agency{agencyTR, agencyFR}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var printed bytes.Buffer
	c.logins(&printed)
	line := regexp.MustCompile(`users on every node: ([a-z, ]+); password "([^"]+)"`).FindStringSubmatch(printed.String())
	if line == nil {
		t.Fatalf("the demo prints no logins:\n%s", printed.String())
	}
	users, password := strings.Split(line[1], ", "), line[2]
	if len(users) < 5 || !strings.Contains(line[1], "admin") {
		t.Fatalf("the demo prints the users %q; want one per role, admin among them", line[1])
	}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for _, code := range c.order {
		rt := c.node(code)
		if !webMounted(rt) {
			mountWeb(rt)
		}
		for _, u := range users {
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			res, err := client.Get(rt.url + "/login")
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			form := url.Values{"username": {u}, "password": {password}}
			if m := csrfRE.FindSubmatch(page); m != nil {
				form.Set("csrf", string(m[1]))
			}
			req, _ := http.NewRequest("POST", rt.url+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", rt.url)
			res, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			switch {
			case res.StatusCode != http.StatusOK:
				t.Errorf("%s on %s: signing in answered %d", u, code, res.StatusCode)
			case res.Request.URL.Path == "/login" || res.Request.URL.Path == "/password":
				t.Errorf("%s on %s: signing in with the printed password ends on %s", u, code, res.Request.URL.Path)
			case !bytes.Contains(body, []byte(`action="/logout"`)):
				t.Errorf("%s on %s: not signed in after the form", u, code)
			}
		}
	}
}
