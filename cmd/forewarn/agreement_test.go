package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAgreementRefusesSendsOutsideIt: an agreement is set, listed and refused with a
// clear error naming the flag; then, through a serving node and the real CLI, a warning
// within it is queued and sends outside it (a kind, a TLP level, a consent mark it does
// not cover) are refused before they leave, naming the term, audited, nothing stored.
func TestAgreementRefusesSendsOutsideIt(t *testing.T) {
	fr := filepath.Join(t.TempDir(), "fr")
	be := filepath.Join(t.TempDir(), "be")
	mustCLI(t, "init", "--data", fr, "--agency", "FR-DGSI", "--name", "DGSI")
	mustCLI(t, "init", "--data", be, "--agency", "BE-VSSE", "--name", "VSSE")
	key := strings.TrimSpace(mustCLI(t, "key", "show", "--data", be))
	mustCLI(t, "peer", "add", "--data", fr, "--agency", "BE-VSSE", "--name", "VSSE", "--url", "http://127.0.0.1:9", "--key", key)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--agency", "BE-VSSE", "--max-tlp", "AMBER"}, "--kinds"},
		{[]string{"--agency", "BE-VSSE", "--kinds", "gossip", "--max-tlp", "AMBER"}, "--kinds"},
		{[]string{"--agency", "BE-VSSE", "--kinds", "notification", "--max-tlp", "WHITE"}, "--max-tlp"},
		{[]string{"--agency", "NL-AIVD", "--kinds", "notification", "--max-tlp", "AMBER"}, "NL-AIVD"},
	} {
		_, _, err := runCLI(t, nil, append([]string{"agreement", "set", "--data", fr}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("agreement set %v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
	out := mustCLI(t, "agreement", "set", "--data", fr, "--agency", "BE-VSSE", "--kinds", "notification,response", "--max-tlp", "AMBER", "--note", "MoU 2015/3")
	if !strings.Contains(out, "notification, response up to TLP:AMBER") {
		t.Errorf("agreement set said %q", out)
	}
	if out := mustCLI(t, "agreement", "list", "--data", fr); !strings.Contains(out, "BE-VSSE") || !strings.Contains(out, "TLP:AMBER") {
		t.Errorf("agreement list:\n%s", out)
	}
	mustCLI(t, "user", "add", "--data", fr, "--username", "desk", "--role", "liaison")
	secret := lastLine(mustCLI(t, "token", "create", "--data", fr, "--username", "desk", "--role", "liaison"))
	url := serveInProcess(t, "--data", fr, "--listen", "127.0.0.1:0", "--tick", "1h")
	env := map[string]string{"FOREWARN_TOKEN": secret}
	send := func(extra ...string) error {
		args := append([]string{"message", "send", "--node", url, "--to", "BE-VSSE", "--summary", "Fifth man", "--person", "Omar Ismail Mostefai; born=1985"}, extra...)
		_, _, err := runCLI(t, env, args...)
		return err
	}
	if err := send("--kind", "notification", "--tlp", "AMBER"); err != nil {
		t.Fatalf("a warning within the agreement: %v", err)
	}
	for _, tc := range []struct {
		extra []string
		term  string
	}{
		{[]string{"--kind", "request", "--tlp", "AMBER", "--subject", "Who is he?", "--questions", "Known to you?"}, "agreement.kinds"},
		{[]string{"--kind", "notification", "--tlp", "RED"}, "agreement.max_tlp"},
		{[]string{"--kind", "notification", "--tlp", "GREEN", "--consent-required"}, "agreement.consent_required"},
	} {
		err := send(tc.extra...)
		if err == nil || !strings.Contains(err.Error(), "agreement with BE-VSSE") {
			t.Errorf("send %v: %v, want it refused by the agreement (%s)", tc.extra, err, tc.term)
		}
	}
	audit := mustCLI(t, "audit", "list", "--data", fr, "--action", "agreement.refused")
	for _, term := range []string{"agreement.kinds", "agreement.max_tlp", "agreement.consent_required"} {
		if !strings.Contains(audit, term) {
			t.Errorf("the audit trail does not record the refusal naming %s:\n%s", term, audit)
		}
	}
	if n := len(regexp.MustCompile(`message\.send`).FindAllString(mustCLI(t, "audit", "list", "--data", fr, "--action", "message.send"), -1)); n != 1 {
		t.Errorf("%d messages stored, want only the one within the agreement", n)
	}
}
