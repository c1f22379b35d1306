//go:build unix

package httpapi_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/forewarn/forewarn/httpapi"
)

// TestStartSweepsAbandonedUploads: a server that takes imports removes, as it starts, the
// spooled uploads no live process holds (a process killed during an upload or an import
// leaves them, and nothing else would delete them), and leaves alone the ones a live
// process holds, one still being made and anything else in the directory.
func TestStartSweepsAbandonedUploads(t *testing.T) {
	dir := t.TempDir()
	spool := func(name string, held bool) string {
		t.Helper()
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sdn.csv"), []byte("6365,BIN LADEN\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if held {
			f, err := os.Create(filepath.Join(d, ".held"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
		}
		return d
	}
	dead := spool("forewarn-upload-dead", true)
	live := spool("forewarn-upload-live", true)
	making := spool("forewarn-upload-making", false)
	other := spool("not-an-upload", true)
	// The live one is locked as a running import holds it; the kernel lets go when the
	// holder's process ends, as closing it does here.
	holder, err := os.Open(filepath.Join(live, ".held"))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	start := func() {
		t.Helper()
		s := newServer(t)
		s.Importer = &httpapi.Importer{Dir: dir}
		if err := s.Open("127.0.0.1:0", nil); err != nil {
			t.Fatal(err)
		}
		s.Close(context.Background())
	}
	exists := func(d string) bool { _, err := os.Stat(d); return err == nil }

	start()
	if exists(dead) {
		t.Errorf("the upload no process holds is still spooled at %s", dead)
	}
	for _, d := range []string{live, making, other} {
		if !exists(d) {
			t.Errorf("the start removed %s; want it left alone", d)
		}
	}
	holder.Close()
	start()
	if exists(live) {
		t.Errorf("the upload whose holder ended is still spooled at %s", live)
	}
	if !exists(making) || !exists(other) {
		t.Errorf("the second start removed the upload being made or another directory")
	}
}
