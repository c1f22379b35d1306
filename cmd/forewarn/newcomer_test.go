package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestGroupSummariesNameEverySubcommand: 'forewarn --help' lists each group's subcommands
// in brackets; a newcomer reading it must find every one the group's own help lists, and
// each with a line saying what it does.
func TestGroupSummariesNameEverySubcommand(t *testing.T) {
	top, _, _ := runCLI(t, nil, "--help")
	bracket := regexp.MustCompile(`\(([a-z-]+(?:\|[a-z-]+)*)\)$`)
	for name, c := range commands() {
		out, _, err := runCLI(t, nil, name, "--help")
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("forewarn %s --help: %v", name, err)
		}
		if !strings.Contains(out, "SUBCOMMAND") {
			continue
		}
		member := regexp.MustCompile(`(?m)^  forewarn ` + regexp.QuoteMeta(name) + ` ([a-z-]+) .*\n      (.*)$`)
		var members []string
		for _, sm := range member.FindAllStringSubmatch(out, -1) {
			members = append(members, sm[1])
			if strings.TrimSpace(sm[2]) == "" {
				t.Errorf("forewarn %s --help says nothing about %s", name, sm[1])
			}
		}
		sm := bracket.FindStringSubmatch(c.summary)
		if sm == nil {
			t.Errorf("the summary of %s in 'forewarn --help' names no subcommands: %q", name, c.summary)
			continue
		}
		if got, want := sm[1], strings.Join(members, "|"); got != want {
			t.Errorf("'forewarn --help' says %s has (%s); 'forewarn %s --help' lists (%s)", name, got, name, want)
		}
	}
	if !strings.Contains(top, "private-limit") {
		t.Errorf("'forewarn --help' does not mention peer private-limit:\n%s", top)
	}
}

// TestAPIErrorsNameTheFieldOnce: an API-based command shows the node's refusal naming the
// flag (or nothing internal) once, not "message_id: message_id: …", and a refused token
// says where a token comes from.
func TestAPIErrorsNameTheFieldOnce(t *testing.T) {
	var answer string
	status := http.StatusBadRequest
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(answer))
	}))
	defer node.Close()
	id := "01a2369c-7c65-7be6-ab83-95df9ed10c10"
	for _, c := range []struct {
		answer, want string
		args         []string
	}{
		{`{"error":{"code":"invalid","field":"message_id","message":"message_id: message ` + id + ` was sent by this node; only its recipients acknowledge it"}}`,
			"message " + id + " was sent by this node; only its recipients acknowledge it",
			[]string{"message", "ack", id, "--outcome", "action_taken", "--reason", "checked"}},
		{`{"error":{"code":"invalid","field":"reason","message":"ack.reason: an actioned acknowledgement must give its reason"}}`,
			"--reason: an actioned acknowledgement must give its reason",
			[]string{"message", "ack", id, "--outcome", "action_taken", "--reason", " "}},
		{`{"error":{"code":"invalid","field":"agreement.kinds","message":"agreement.kinds: FR-DGSI has not agreed to receive requests"}}`,
			"agreement.kinds: FR-DGSI has not agreed to receive requests",
			[]string{"message", "send", "--kind", "request", "--to", "FR-DGSI", "--subject", "s", "--questions", "q", "--person", "A B; born=1985"}},
	} {
		answer = c.answer
		_, _, err := runCLI(t, nil, append(c.args, "--node", node.URL, "--token", "fw_x")...)
		if err == nil || err.Error() != c.want {
			t.Errorf("forewarn %s: %v, want %q", strings.Join(c.args[:2], " "), err, c.want)
		}
	}
	status, answer = http.StatusUnauthorized, `{"error":{"code":"unauthorized","message":"the API token is unknown or revoked"}}`
	_, _, err := runCLI(t, nil, "message", "list", "--node", node.URL, "--token", "fw_x")
	if err == nil || !strings.Contains(err.Error(), "unknown or revoked") || !strings.Contains(err.Error(), "forewarn token create") {
		t.Errorf("a refused token: %v; want the refusal and where a token comes from", err)
	}
}

// TestBrokenDataDirectories: a data directory that lost its key, a store that is not a
// database and a PostgreSQL server that does not answer are each named with what to do,
// never answered "create a node" (which would make a node the peers do not know).
func TestBrokenDataDirectories(t *testing.T) {
	dir, _ := newNode(t)
	// The key is gone, the store is there.
	nokey := filepath.Join(t.TempDir(), "nokey")
	os.MkdirAll(nokey, 0o700)
	data, err := os.ReadFile(filepath.Join(dir, dbFileName))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(nokey, dbFileName), data, 0o600)
	for _, args := range [][]string{{"subject", "list", "--data", nokey}, {"serve", "--data", nokey, "--listen", "127.0.0.1:0"}, {"backup", "--data", nokey, "--to", filepath.Join(t.TempDir(), "b.db")}} {
		_, _, err := runCLI(t, nil, args...)
		if err == nil || strings.Contains(err.Error(), "forewarn init") || !strings.Contains(err.Error(), "node.key") || !strings.Contains(err.Error(), "put back") {
			t.Errorf("forewarn %s without node.key beside the store: %v", strings.Join(args[:2], " "), err)
		}
	}
	// The store is not a database.
	corrupt := filepath.Join(t.TempDir(), "corrupt")
	os.MkdirAll(corrupt, 0o700)
	key, _ := os.ReadFile(filepath.Join(dir, keyFileName))
	os.WriteFile(filepath.Join(corrupt, keyFileName), key, 0o600)
	os.WriteFile(filepath.Join(corrupt, dbFileName), []byte(strings.Repeat("not a database\n", 400)), 0o600)
	_, _, err = runCLI(t, nil, "subject", "list", "--data", corrupt)
	if err == nil || !strings.Contains(err.Error(), "forewarn restore") {
		t.Errorf("a damaged store: %v; want the way back from a backup", err)
	}
	// PostgreSQL does not answer (port 1 on loopback refuses); the DSN's password is not shown.
	_, _, err = runCLI(t, nil, "init", "--data", filepath.Join(t.TempDir(), "pg"), "--db", "postgres://forewarn:s3cret@127.0.0.1:1/forewarn", "--agency", "DE-BFV", "--name", "BfV")
	if err == nil || !strings.Contains(err.Error(), "no PostgreSQL server answers there") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("PostgreSQL down: %v; want it said, without the password", err)
	}
}

// TestServeFirstStartKeepsThePasswordInSight: the first 'serve' in the default directory,
// at its default log level, does not bury the one-time password under a line for every
// database migration it applied to the new store.
func TestServeFirstStartKeepsThePasswordInSight(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_DATA_HOME", home)
	var out, logs syncBuffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &logs, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--listen", "127.0.0.1:0"}) }()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "serving on") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(out.String(), "one-time password") {
		t.Fatalf("the first start printed no password:\n%s", out.String())
	}
	if n := strings.Count(logs.String(), "applied database migration"); n > 0 {
		t.Errorf("the first start logged %d migrations beside the one-time password:\n%s", n, logs.String())
	}
}

// TestWhatWasAddedIsSaidAsAdded: the confirmation of 'claim add --negative' says it is a
// negative claim (it read exactly as the positive one), and 'user set --language default'
// says in words what the user now gets.
func TestWhatWasAddedIsSaidAsAdded(t *testing.T) {
	dir, subject := newNode(t)
	out := mustCLI(t, "claim", "add", "--data", dir, "--subject", subject, "--kind", "travel_exit", "--value", "TR", "--from", "2013", "--source-agency", "TR-MIT", "--grading", "B2", "--negative")
	if !strings.Contains(out, "no record of travel_exit TR") {
		t.Errorf("a negative claim is confirmed as %q", out)
	}
	mustCLI(t, "user", "add", "--data", dir, "--username", "desk", "--role", "liaison")
	out = mustCLI(t, "user", "set", "--data", dir, "--username", "desk", "--language", "default")
	if !strings.Contains(out, "the node's language") {
		t.Errorf("user set --language default says %q", out)
	}
}
