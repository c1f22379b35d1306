package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestUserLanguage: 'user add --language' and 'user set --language' store the language of a
// user's pages; an unknown one is refused, naming the flag, and writes nothing.
func TestUserLanguage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fr")
	mustCLI(t, "init", "--data", dir, "--agency", "FR-DGSI", "--name", "DGSI", "--log-level", "error")
	if _, _, err := runCLI(t, nil, "user", "add", "--data", dir, "--username", "analyste", "--role", "analyst", "--language", "de", "--log-level", "error"); err == nil || !strings.Contains(err.Error(), "--language") {
		t.Fatalf("user add --language de: %v; want a refusal naming --language", err)
	}
	if n := count(t, dir, "SELECT COUNT(*) FROM users WHERE username = 'analyste'"); n != 0 {
		t.Fatalf("a refused user add wrote the user")
	}
	mustCLI(t, "user", "add", "--data", dir, "--username", "analyste", "--role", "analyst", "--language", "fr", "--log-level", "error")
	if n := count(t, dir, "SELECT COUNT(*) FROM users WHERE username = 'analyste' AND language = 'fr'"); n != 1 {
		t.Errorf("user add --language fr did not record French")
	}
	if _, _, err := runCLI(t, nil, "user", "set", "--data", dir, "--username", "analyste", "--language", "xx", "--log-level", "error"); err == nil || !strings.Contains(err.Error(), "--language") {
		t.Errorf("user set --language xx: %v; want a refusal naming --language", err)
	}
	out := mustCLI(t, "user", "set", "--data", dir, "--username", "analyste", "--language", "en", "--log-level", "error")
	if n := count(t, dir, "SELECT COUNT(*) FROM users WHERE username = 'analyste' AND language = 'en'"); n != 1 || !strings.Contains(out, "en") {
		t.Errorf("user set --language en: %q; the language was not changed", out)
	}
	mustCLI(t, "user", "set", "--data", dir, "--username", "analyste", "--language", "default", "--log-level", "error")
	if n := count(t, dir, "SELECT COUNT(*) FROM users WHERE username = 'analyste' AND language = ''"); n != 1 {
		t.Errorf("user set --language default did not clear the choice")
	}
	if n := count(t, dir, "SELECT COUNT(*) FROM audit_entries WHERE action = 'user.update'"); n < 2 {
		t.Errorf("language changes audited %d times, want 2", n)
	}
}
