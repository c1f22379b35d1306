package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/forewarn/forewarn/internal/testdata"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/forewarn/forewarn"
)

// runCLI runs the forewarn program in-process with the given environment and returns what
// it printed and the error it ended with.
func runCLI(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }}
	err = m.Run(context.Background(), args)
	return out.String(), errOut.String(), err
}

// mustCLI runs the program and fails the test when it fails.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, nil, args...)
	if err != nil {
		t.Fatalf("forewarn %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

var idRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

// newNode creates a node in a temporary directory with one subject and one claim.
func newNode(t *testing.T) (dir, subjectID string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "fr")
	out := mustCLI(t, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "Direction générale de la sécurité intérieure", "--log-level", "warn")
	if !strings.Contains(out, "one-time password") {
		t.Fatalf("init did not print the admin's one-time password:\n%s", out)
	}
	out = mustCLI(t, "subject", "add", "--data", dir, "--name", "Ismaël Omar Mostefaï", "--alias", "Omar Ismail Mostefai",
		"--birth-date", "1985-11-21", "--nationality", "FR", "--watch", "--log-level", "warn")
	subjectID = idRE.FindString(out)
	if subjectID == "" {
		t.Fatalf("subject add printed no ID:\n%s", out)
	}
	mustCLI(t, "claim", "add", "--data", dir, "--subject", subjectID, "--kind", "travel_entry", "--value", "TR",
		"--from", "2012", "--source-agency", "FR-DGSI", "--grading", "B2", "--log-level", "warn")
	return dir, subjectID
}

func TestInitSubjectAuditVerify(t *testing.T) {
	dir, id := newNode(t)
	st, err := os.Stat(filepath.Join(dir, keyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("node.key mode = %v, want 0600", st.Mode().Perm())
	}
	show := mustCLI(t, "subject", "show", "--data", dir, "--purpose", "investigation", id)
	for _, want := range []string{"Ismaël Omar Mostefaï", "Omar Ismail Mostefai", "1985-11-21", "watchlisted", "travel_entry", "B2"} {
		if !strings.Contains(show, want) {
			t.Errorf("subject show lacks %q:\n%s", want, show)
		}
	}
	out := mustCLI(t, "audit", "verify", "--data", dir)
	// node.init, subject.create, claim.create, subject.read (show) = at least 4 entries.
	m := regexp.MustCompile(`(\d+) entries verified`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("audit verify: %q", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 4 {
		t.Fatalf("audit verify counted %d entries, want at least 4 (init, subject, claim, read): %q", n, out)
	}
	reads := mustCLI(t, "audit", "list", "--data", dir, "--action", "subject.read")
	if !strings.Contains(reads, id) {
		t.Errorf("the read of subject %s is not in the audit trail:\n%s", id, reads)
	}
	if _, _, err := runCLI(t, nil, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "again"); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("second init: err = %v, want a refusal to overwrite", err)
	}
}

func TestEnvironmentFallback(t *testing.T) {
	dir, _ := newNode(t)
	out, _, err := runCLI(t, map[string]string{"FOREWARN_DATA": dir}, "subject", "list")
	if err != nil || !strings.Contains(out, "Ismaël Omar Mostefaï") {
		t.Fatalf("subject list with FOREWARN_DATA: err=%v\n%s", err, out)
	}
}

func TestInvalidInputWritesNothing(t *testing.T) {
	dir, id := newNode(t)
	countEntries := func() string {
		out := mustCLI(t, "audit", "verify", "--data", dir)
		return regexp.MustCompile(`(\d+) entries`).FindStringSubmatch(out)[1]
	}
	before := countEntries()
	huge := strings.Repeat("a", 10<<20)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown nationality", []string{"subject", "add", "--name", "A B", "--nationality", "XX"}, "--nationality"},
		{"future birth date", []string{"subject", "add", "--name", "A B", "--birth-date", "2999-01-01"}, "--birth-date"},
		{"empty name", []string{"subject", "add", "--name", " "}, "--name"},
		{"non-UTF-8 name", []string{"subject", "add", "--name", "Mostefa\xef"}, "UTF-8"},
		{"10 MB name", []string{"subject", "add", "--name", huge}, "limit is 512"},
		{"grading G", []string{"claim", "add", "--subject", id, "--kind", "residence", "--value", "Paris", "--source", "x", "--grading", "G2"}, "A-F"},
		{"grading 7", []string{"claim", "add", "--subject", id, "--kind", "residence", "--value", "Paris", "--source", "x", "--grading", "B7"}, "1-6"},
		{"unknown subject", []string{"claim", "add", "--subject", "nope", "--kind", "residence", "--value", "Paris", "--source", "x", "--grading", "B2"}, "nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "--data", dir, "--log-level", "error")
			_, _, err := runCLI(t, nil, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	// The verify runs themselves are not audited, so the count is exactly unchanged.
	if after := countEntries(); after != before {
		t.Errorf("rejected input changed the audit trail: %s entries before, %s after", before, after)
	}
}

// sqlite3 runs the sqlite3 command-line tool on db, as an administrator tampering with the
// file would.
func sqlite3(t *testing.T, db, sql string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", db, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the sqlite3 tool is missing; .ci/run installs it")
		}
		testdata.Skip(t, "tamper tests", "install the sqlite3 tool (apt-get install sqlite3)")
	}
	base, _ := newNode(t)
	for i := 0; i < 3; i++ {
		mustCLI(t, "subject", "add", "--data", base, "--name", "Person "+string(rune('A'+i)), "--log-level", "warn")
	}
	cols := strings.Split(sqlite3(t, filepath.Join(base, dbFileName), "SELECT group_concat(name, ' ') FROM pragma_table_info('audit_entries')"), " ")
	if len(cols) < 10 {
		t.Fatalf("audit_entries has columns %v", cols)
	}
	type tamper struct {
		name string
		sql  string
		seq  string // the entry the verifier must name
	}
	var cases []tamper
	for _, c := range cols {
		if c == "seq" {
			// Renumbering an entry: 3 becomes 1003.
			cases = append(cases, tamper{name: "modify seq", sql: `UPDATE audit_entries SET seq = 1003 WHERE seq = 3`, seq: "3"})
			continue
		}
		// Change one byte of the column in entry 3: flip the last character of its text
		// form, or append one to an empty value.
		cases = append(cases, tamper{
			name: "modify " + c,
			sql: `UPDATE audit_entries SET ` + c + ` = CASE WHEN length(CAST(` + c + ` AS TEXT)) = 0 THEN 'x'
				WHEN substr(CAST(` + c + ` AS TEXT), -1) = '1' THEN substr(CAST(` + c + ` AS TEXT), 1, length(CAST(` + c + ` AS TEXT)) - 1) || '2'
				ELSE substr(CAST(` + c + ` AS TEXT), 1, length(CAST(` + c + ` AS TEXT)) - 1) || '1' END WHERE seq = 3`,
			seq: "3",
		})
	}
	cases = append(cases,
		tamper{"delete", `DELETE FROM audit_entries WHERE seq = 3`, "3"},
		tamper{"swap", `UPDATE audit_entries SET seq = -1 WHERE seq = 3; UPDATE audit_entries SET seq = 3 WHERE seq = 4; UPDATE audit_entries SET seq = 4 WHERE seq = -1`, "3"},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "copy")
			copyDir(t, base, dir)
			sqlite3(t, filepath.Join(dir, dbFileName), tc.sql)
			_, _, err := runCLI(t, nil, "audit", "verify", "--data", dir, "--log-level", "error")
			var ee exitError
			if !errors.As(err, &ee) || ee.code != 2 {
				t.Fatalf("audit verify after %s: err = %v, want exit status 2", tc.name, err)
			}
			if !strings.Contains(err.Error(), "entry "+tc.seq+":") && !strings.Contains(err.Error(), "entry "+tc.seq+" ") {
				t.Errorf("audit verify after %s does not name entry %s: %v", tc.name, tc.seq, err)
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditVerifyKnowsThePolicy: a node made with --checkpoint-every 3 records it, its
// later commands sign by it without the flag, and "audit verify", given no flag, enforces
// it: a deleted checkpoint shows, with a count that does not contradict the entry named.
func TestAuditVerifyKnowsThePolicy(t *testing.T) {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the sqlite3 tool is missing; .ci/run installs it")
		}
		testdata.Skip(t, "tests that edit the store with the sqlite3 tool", "apt-get install sqlite3")
	}
	dir := filepath.Join(t.TempDir(), "fr")
	mustCLI(t, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI", "--checkpoint-every", "3", "--log-level", "warn")
	for i := 0; i < 4; i++ {
		mustCLI(t, "subject", "add", "--data", dir, "--name", "Person "+string(rune('A'+i)), "--log-level", "warn")
	}
	db := filepath.Join(dir, dbFileName)
	if got := sqlite3(t, db, "SELECT checkpoint_every FROM audit_policy"); got != "3" {
		t.Fatalf("recorded policy %q, want 3", got)
	}
	if out := mustCLI(t, "audit", "verify", "--data", dir, "--log-level", "error"); !strings.Contains(out, "audit trail OK") {
		t.Fatalf("an honest trail: %s", out)
	}
	sqlite3(t, db, "DELETE FROM audit_checkpoints WHERE seq = (SELECT MIN(seq) FROM audit_checkpoints)")
	_, _, err := runCLI(t, nil, "audit", "verify", "--data", dir, "--log-level", "error")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg, "BROKEN at entry 3:") || !strings.Contains(ee.msg, "(2 entries verified before it)") {
		t.Fatalf("a deleted checkpoint: %v, want entry 3 named with 2 verified before it", err)
	}
}

// TestAsIsRecordedAsTheCLI: --as NAME is who the CLI acts for, recorded as the CLI acting
// as NAME, never as the node's user NAME, whom anyone with the data directory could name.
func TestAsIsRecordedAsTheCLI(t *testing.T) {
	dir, _ := newNode(t)
	mustCLI(t, "subject", "add", "--data", dir, "--name", "Omar Ismail Mostefai", "--as", "analyst1", "--log-level", "warn")
	out := mustCLI(t, "audit", "list", "--data", dir, "--action", "subject.create", "--json")
	var es []forewarn.AuditEntry
	if err := json.Unmarshal([]byte(out), &es); err != nil || len(es) != 2 {
		t.Fatalf("audit list: %v\n%s", err, out)
	}
	a := es[1].Actor
	if a.Kind != forewarn.ActorSystem || !strings.HasPrefix(a.ID, "cli:") || !strings.HasSuffix(a.ID, " as analyst1") {
		t.Errorf("--as analyst1 is recorded as %s, want the CLI acting as analyst1", a)
	}
}

// TestAuditListEscapesControlCharacters: a line break, tab or terminal escape held in an
// audit entry is printed escaped, so it cannot forge a line of the listing.
func TestAuditListEscapesControlCharacters(t *testing.T) {
	dir, _ := newNode(t)
	db := filepath.Join(dir, "forewarn.db")
	sqlite3(t, db, `INSERT INTO audit_entries (seq, time, actor_kind, actor_id, action, object_type, object_id, before_digest, after_digest, detail, prev_hash, hash)
		SELECT MAX(seq)+1, '2015-01-01T00:00:00.000000000Z', 'system', 'anonymous@192.0.2.1', 'access.denied', 'route', 'GET /x' || char(10) || '99  2015-01-01 12:00:00  user:admin  subject.delete', '', '', 'why' || char(27) || '[2K', '', '' FROM audit_entries`)
	out := mustCLI(t, "audit", "list", "--data", db[:len(db)-len("/forewarn.db")], "--action", "access.denied")
	if strings.Contains(out, "\n99 ") || strings.ContainsRune(out, 0x1b) {
		t.Fatalf("audit list printed a control character raw:\n%s", out)
	}
	if !strings.Contains(out, `GET /x\x0a99`) || !strings.Contains(out, `why\x1b[2K`) {
		t.Errorf("audit list does not show the escapes:\n%s", out)
	}
}
