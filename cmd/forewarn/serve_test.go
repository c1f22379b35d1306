package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeFirstStart: 'forewarn serve' without --data on an empty default data directory
// creates the node, says where and what it created and prints the admin's one-time
// password, serves /healthz and /metrics, and shuts down cleanly when told to, leaving an
// audit trail that verifies.
func TestServeFirstStart(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_DATA_HOME", home)
	dir := filepath.Join(home, "forewarn")
	pr, pw := io.Pipe()
	m := &Main{Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--log-level", "error"})
		pw.Close()
	}()

	var out strings.Builder
	url := ""
	sc := bufio.NewScanner(pr)
	for url == "" && sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatalf("serve printed no address:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "created ZZ-LOCAL") || !strings.Contains(out.String(), filepath.Join(dir, keyFileName)) || !strings.Contains(out.String(), filepath.Join(dir, dbFileName)) || !regexp.MustCompile(`one-time password: \S{12,}`).MatchString(out.String()) {
		t.Errorf("first start does not say where it created the node and the admin's password:\n%s", out.String())
	}
	for _, path := range []string{"/healthz", "/metrics", "/api/v1/openapi.json", "/login"} {
		resp, err := http.Get(url + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", path, err, resp)
			continue
		}
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
	verify := mustCLI(t, "audit", "verify", "--data", dir, "--log-level", "error")
	if !strings.Contains(verify, "audit trail OK") || strings.Contains(verify, " 0 signed checkpoints") {
		t.Errorf("after a clean shutdown the trail should verify with a final signed checkpoint: %s", verify)
	}
	// A second start opens the node instead of creating another.
	out2, _, err := runCLI(t, nil, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "x")
	if err == nil {
		t.Errorf("init over a served node succeeded: %s", out2)
	}
}

// TestEveryCommandHelps: --help on every command says what it does and gives an example.
func TestEveryCommandHelps(t *testing.T) {
	sub := map[string][]string{
		"subject": {"add", "list", "show"}, "claim": {"add", "list"}, "audit": {"verify", "list"}, "key": {"show"},
		"peer": {"add", "list", "remove", "private-limit", "private-use"}, "user": {"add", "set"}, "token": {"create"}, "message": {"send", "list", "show", "ack"},
		"feed": {"add", "list", "remove"}, "report": {"oversight"}, "agreement": {"set", "list", "remove"}, "purpose": {"list", "set", "remove", "default", "search"}, "retention": {"policy list", "policy set", "list", "keep", "erase"}, "taxii": {"collection", "collections", "token", "publish"},
	}
	for name := range commands() {
		variants := [][]string{{name}}
		if subs, ok := sub[name]; ok {
			variants = nil
			for _, s := range subs {
				variants = append(variants, append([]string{name}, strings.Fields(s)...)) // "policy set": a group in a group
			}
		}
		for _, v := range variants {
			out, errOut, err := runCLI(t, nil, append(v, "--help")...)
			if err != nil && !errors.Is(err, flag.ErrHelp) {
				t.Errorf("forewarn %s --help: %v", strings.Join(v, " "), err)
			}
			if !strings.Contains(out, "Example:") || !strings.Contains(out, "forewarn "+strings.Join(v, " ")) {
				t.Errorf("forewarn %s --help lacks a description and an example on standard output:\n%s", strings.Join(v, " "), out)
			}
			if errOut != "" {
				t.Errorf("forewarn %s --help wrote to standard error: %s", strings.Join(v, " "), errOut)
			}
			if regexp.MustCompile(`\n  -[a-z]`).MatchString(out) {
				t.Errorf("forewarn %s --help spells a flag with one dash:\n%s", strings.Join(v, " "), out)
			}
		}
	}
}
