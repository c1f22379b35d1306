package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestProgressOnlyOnATerminal checks what an import or a screen shows while it runs: on a
// terminal a line with rows, rows/s, percent and ETA, rewritten in place and ended with a
// newline; when standard error is a file or a pipe, nothing at all.
func TestProgressOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]io.Writer{"a file": f, "a buffer": &bytes.Buffer{}} {
		m := &Main{Stderr: w}
		if pw := progressWriter(m); pw != nil {
			t.Errorf("standard error on %s counts as a terminal: progress would pollute it", name)
		}
	}

	var read atomic.Int64
	var out bytes.Buffer
	p := &progress{w: &out, verb: "imported", size: 1000, read: &read, start: time.Now().Add(-10 * time.Second)}
	read.Store(250)
	p.update(5000)
	line := out.String()
	for _, want := range []string{"\rimported 5000 rows", "rows/s", "25%", "ETA 30s"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	p.update(6000) // within half a second of the last: not redrawn
	if out.String() != line {
		t.Errorf("progress redrawn within half a second: %q", out.String())
	}
	read.Store(1000)
	p.done()
	if !strings.HasSuffix(out.String(), "\n") || !strings.Contains(out.String(), "100%") {
		t.Errorf("finished progress %q does not end its line at 100%%", out.String())
	}

	quiet := &progress{verb: "imported", start: time.Now()}
	quiet.update(10)
	quiet.done() // no writer: must neither print nor panic
}
