package main

import (
	"strings"
	"testing"
)

// TestPurposeCLI: the node's purposes are listed and changed from the command line
// (audited); subject show refuses without --purpose, naming the flag and the purposes,
// and records the one given in the audit entry of the read.
func TestPurposeCLI(t *testing.T) {
	dir, id := newNode(t)
	out := mustCLI(t, "purpose", "list", "--data", dir)
	for _, want := range []string{"investigation", "threat-assessment", "liaison-request", "oversight", "other", "required", "only for a purpose"} {
		if !strings.Contains(out, want) {
			t.Errorf("purpose list lacks %q:\n%s", want, out)
		}
	}
	_, _, err := runCLI(t, nil, "subject", "show", "--data", dir, id)
	if err == nil || !strings.Contains(err.Error(), "--purpose") {
		t.Errorf("subject show without a purpose: %v; want a refusal naming --purpose", err)
	}
	_, _, err = runCLI(t, nil, "subject", "show", "--data", dir, "--purpose", "other", id, "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "--purpose-text") {
		t.Errorf("subject show for other without text: %v; want a refusal naming --purpose-text", err)
	}
	mustCLI(t, "purpose", "set", "--data", dir, "--code", "court-order", "--label", "Court order", "--text-required", "--log-level", "error")
	mustCLI(t, "purpose", "default", "--data", dir, "--role", "analyst", "--code", "court-order", "--log-level", "error")
	out = mustCLI(t, "purpose", "search", "--data", dir, "off", "--log-level", "error")
	if !strings.Contains(out, "court-order") || !strings.Contains(out, "without a purpose") {
		t.Errorf("after set, default and search off the list is:\n%s", out)
	}
	_, _, err = runCLI(t, nil, "purpose", "default", "--data", dir, "--role", "analyst", "--code", "nonesuch", "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "nonesuch") {
		t.Errorf("a default that is not on the list: %v", err)
	}
	mustCLI(t, "subject", "show", "--data", dir, "--purpose", "court-order", "--purpose-text", "warrant 2015/77", id, "--log-level", "error")
	mustCLI(t, "purpose", "remove", "--data", dir, "court-order", "--log-level", "error")
	if out := mustCLI(t, "purpose", "list", "--data", dir); strings.Contains(out, "court-order") {
		t.Errorf("purpose remove left it on the list:\n%s", out)
	}
	audit := mustCLI(t, "audit", "list", "--data", dir)
	for _, want := range []string{"purpose.policy", "purpose: court-order — warrant 2015/77"} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, audit)
		}
	}
}
