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

// everyCommand is every command and subcommand as 'forewarn --help' and the groups' own
// help list them, with the usage line each gives ("forewarn subject show [flags] SUBJECT-ID").
func everyCommand(t *testing.T) map[string]string {
	t.Helper()
	usage := map[string]string{}
	line := regexp.MustCompile(`(?m)^(?:Usage: |  )forewarn ([a-z-]+(?: [a-z-]+)*) \[flags\](.*)$`)
	var walk func(path []string)
	walk = func(path []string) {
		out, _, err := runCLI(t, nil, append(path, "--help")...)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("forewarn %s --help: %v", strings.Join(path, " "), err)
		}
		if !strings.Contains(out, "SUBCOMMAND") {
			if sm := line.FindStringSubmatch(out); sm != nil {
				usage[sm[1]] = strings.TrimSpace(sm[2])
			}
			return
		}
		for _, sm := range line.FindAllStringSubmatch(out, -1) {
			if sm[1] != strings.Join(path, " ") {
				walk(strings.Fields(sm[1]))
			}
		}
		for _, sm := range regexp.MustCompile(`(?m)^  forewarn ([a-z -]+) SUBCOMMAND`).FindAllStringSubmatch(out, -1) {
			walk(strings.Fields(sm[1]))
		}
	}
	for name := range commands() {
		walk([]string{name})
	}
	return usage
}

// TestEveryCommandRefusesStrayArguments: a command that takes no arguments refuses one
// rather than dropping it unseen (an unquoted --name Ismaël Omar Mostefaï added a subject
// named "Ismaël"), and says how to quote the value it most likely belongs to.
func TestEveryCommandRefusesStrayArguments(t *testing.T) {
	cmds := everyCommand(t)
	if len(cmds) < 50 {
		t.Fatalf("found only %d commands in the help: %v", len(cmds), cmds)
	}
	for cmd, args := range cmds {
		if args != "" {
			continue
		}
		_, _, err := runCLI(t, nil, append(strings.Fields(cmd), "stray")...)
		if err == nil || !strings.Contains(err.Error(), "takes no arguments") {
			t.Errorf("forewarn %s stray: %v; want it refused as an argument the command does not take", cmd, err)
		}
	}
	dir, _ := newNode(t)
	_, _, err := runCLI(t, nil, "subject", "add", "--data", dir, "--name", "Ismaël", "Omar", "Mostefaï", "--birth-date", "1985")
	if err == nil || !strings.Contains(err.Error(), "--name 'Ismaël Omar Mostefaï'") {
		t.Errorf("an unquoted name: %v; want the quoted form shown", err)
	}
	if out := mustCLI(t, "subject", "list", "--data", dir); strings.Contains(out, "2 of 2") || !strings.Contains(out, "1 of 1") {
		t.Errorf("the refused subject was added anyway:\n%s", out)
	}
	if _, _, err := runCLI(t, nil, "import", "--data", dir); err == nil || !strings.Contains(err.Error(), "forewarn import [flags] FILE") {
		t.Errorf("import without a file: %v; want its usage line naming FILE", err)
	}
}

// TestNewcomerErrorsNameTheFlag: what a newcomer met on a fresh clone in session 7, each
// error naming the flag once, in words a user can act on.
func TestNewcomerErrorsNameTheFlag(t *testing.T) {
	dir, _ := newNode(t)
	other := filepath.Join(t.TempDir(), "tr")
	mustCLI(t, "init", "--data", other, "--agency", "TR-MIT", "--name", "MIT")
	trKey := strings.TrimSpace(mustCLI(t, "key", "show", "--data", other))
	backup := filepath.Join(t.TempDir(), "fr.db")
	mustCLI(t, "backup", "--data", dir, "--to", backup)
	for _, c := range []struct {
		args      []string
		want, not string
	}{
		// The store names the field in its text alone: the flag is named instead.
		{[]string{"claim", "add", "--data", dir, "--subject", "ID", "--kind", "travel_entry", "--value", "TR", "--from", "2012", "--source-agency", "FR-DGSI", "--grading", "B2"},
			`--subject: no subject with id "ID"`, "subject_id"},
		{[]string{"message", "send", "--node", "http://127.0.0.1:1", "--token", "fw_x", "--kind", "notfication", "--to", "TR-MIT", "--summary", "s"},
			"did you mean notification?", "--kind: --kind"},
		{[]string{"subject", "list", "--data", dir, "--checkpoint-every", "0"}, "1 or more", "whole number"},
		{[]string{"init", "--data", filepath.Join(t.TempDir(), "de"), "--agency", "DE-BFV", "--name", "BfV", "--country", "XX"}, `--country: "XX" is not`, "--agency"},
		// A key 'forewarn key show' printed for TR-MIT is not DE-BFV's.
		{[]string{"peer", "add", "--data", dir, "--agency", "DE-BFV", "--name", "BfV", "--url", "http://127.0.0.1:9", "--key", trKey},
			"--key: that is TR-MIT's key", ""},
		{[]string{"backup", "--data", dir, "--to", backup}, "--to: " + backup + " already exists", "sqlite"},
		{[]string{"audit", "verify", "--file", backup + ".missing", "--key", trKey}, "--file: ", "sqlite"},
		{[]string{"audit", "verify", "--data", dir, "--key", trKey}, "--key: it goes with --file", "--key: --key"},
		// A typo in --action listed nothing, as if nothing had happened.
		{[]string{"audit", "list", "--data", dir, "--action", "subjct.create"}, "did you mean subject.create?", ""},
	} {
		_, _, err := runCLI(t, nil, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.not != "" && strings.Contains(err.Error(), c.not)) {
			t.Errorf("forewarn %s: %v; want %q without %q", strings.Join(c.args[:2], " "), err, c.want, c.not)
		}
	}
	// --actor takes an actor as the list shows it (user:admin, system:cli:root) as well as its ID.
	for _, actor := range []string{"system:init", "init"} {
		if out := mustCLI(t, "audit", "list", "--data", dir, "--actor", actor); !strings.Contains(out, "node.init") {
			t.Errorf("audit list --actor %s does not list the node's creation:\n%s", actor, out)
		}
	}
	if out := mustCLI(t, "peer", "list", "--data", dir); strings.Contains(out, "DE-BFV") {
		t.Errorf("the refused peer was added:\n%s", out)
	}
	// serve creates a node by itself only in the default data directory, and says so.
	if help, _, _ := runCLI(t, nil, "serve", "--help"); !strings.Contains(strings.Join(strings.Fields(help), " "), "When the default data directory (no --data) holds no node yet") {
		t.Errorf("serve --help does not say that only the default data directory is filled by itself:\n%s", help)
	}
	// restore reads the checkpoint policy from the backup, as audit verify does.
	help, _, _ := runCLI(t, nil, "restore", "--help")
	if strings.Contains(help, "default 1000") || !strings.Contains(help, "--from FILE") {
		t.Errorf("restore --help:\n%s", help)
	}
}

// TestGroupHelpSaysWholeSentences: a group's help says what each member does in a whole
// sentence, not the first line of a wrapped description cut mid-phrase.
func TestGroupHelpSaysWholeSentences(t *testing.T) {
	member := regexp.MustCompile(`(?m)^  forewarn [a-z -]+\[flags\].*\n((?:      .*\n)+)`)
	for _, g := range [][]string{{"retention", "policy"}, {"peer"}, {"subject"}, {"message"}, {"retention"}, {"taxii"}, {"purpose"}} {
		out, _, _ := runCLI(t, nil, append(g, "--help")...)
		for _, sm := range member.FindAllStringSubmatch(out, -1) {
			does := strings.TrimSpace(sm[1])
			if !strings.HasSuffix(does, ".") && !strings.HasSuffix(does, ")") {
				t.Errorf("forewarn %s --help cuts a description short: %q", strings.Join(g, " "), does)
			}
		}
	}
}

// TestVersionSaysWhyNoCommit: a binary built without a VCS stamp (this machine's
// GOFLAGS=-buildvcs=false, or a test binary) says that no commit was recorded, rather than
// a bare "(devel)" a newcomer cannot place.
func TestVersionSaysWhyNoCommit(t *testing.T) {
	out := mustCLI(t, "version")
	if !strings.Contains(out, "commit") {
		t.Errorf("forewarn version: %q; want the commit, or why there is none", out)
	}
}

// TestNodeAddressAsPasted: --node given as the API's root reaches the API; a wrong address
// gets the URL that was asked and what --node should be; a node that never answered says
// how long it was tried.
func TestNodeAddressAsPasted(t *testing.T) {
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/messages" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"unauthorized","message":"the API token is unknown or revoked"}}`))
	}))
	defer node.Close()
	for _, c := range []struct{ node, want string }{
		{node.URL + "/api/v1", "unknown or revoked"},
		{node.URL + "/api/v1/", "unknown or revoked"},
		{node.URL + "/elsewhere", "GET " + node.URL + "/elsewhere/api/v1/messages?limit=50: HTTP 404 (is --node the node's address"},
		{"http://127.0.0.1:1", "in 100ms of trying (--wait)"},
	} {
		_, _, err := runCLI(t, nil, "message", "list", "--node", c.node, "--token", "fw_x", "--wait", "100ms")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("message list --node %s: %v; want %q", c.node, err, c.want)
		}
	}
}

// TestRefusedEnvironmentValueSaysWhereItCameFrom: a node-wide setting refused when it came
// from FOREWARN_* rather than the command line names the variable, which the user may have
// exported long ago for another command.
func TestRefusedEnvironmentValueSaysWhereItCameFrom(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothere")
	_, _, err := runCLI(t, map[string]string{"FOREWARN_DATA": missing}, "subject", "list")
	if err == nil || !strings.Contains(err.Error(), "it came from FOREWARN_DATA") {
		t.Errorf("subject list with FOREWARN_DATA=%s: %v; want the variable named", missing, err)
	}
	_, _, err = runCLI(t, nil, "subject", "list", "--data", missing)
	if err == nil || strings.Contains(err.Error(), "FOREWARN_DATA") {
		t.Errorf("subject list --data %s: %v; want no variable named", missing, err)
	}
}
