package main

import (
	"flag"
	"io"
	"testing"
)

func TestParseFlagsInterspersed(t *testing.T) {
	m := &Main{Stderr: io.Discard, Getenv: func(k string) string {
		return map[string]string{"FOREWARN_STAGE": "read", "FOREWARN_DATA": "/from/env"}[k]
	}}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	reason := fs.String("reason", "", "")
	stage := fs.String("stage", "actioned", "")
	data := fs.String("data", "", "")
	m.positional(fs, "ID...") // a command that takes none refuses them (TestEveryCommandRefusesStrayArguments)
	if err := m.parseFlags(fs, []string{"ID-1", "--reason", "because", "ID-2"}); err != nil {
		t.Fatal(err)
	}
	if *reason != "because" || fs.NArg() != 2 || fs.Arg(0) != "ID-1" || fs.Arg(1) != "ID-2" {
		t.Fatalf("reason=%q args=%v", *reason, fs.Args())
	}
	if *stage != "actioned" {
		t.Errorf("stage = %q: a command's own flag took FOREWARN_STAGE; only node-wide flags fall back to the environment", *stage)
	}
	if *data != "/from/env" {
		t.Errorf("data = %q, want the node-wide FOREWARN_DATA", *data)
	}
}
