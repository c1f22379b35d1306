package httpapi

import (
	"log/slog"
	"os"
	"path/filepath"
)

// spoolPattern names the directories uploads are spooled to.
const spoolPattern = "forewarn-upload-*"

// spoolHeld is the file in a spool directory whose lock says a live process still uses it.
const spoolHeld = ".held"

// spool is the directory one upload is spooled to, held (locked) while its import may
// read it, so that a node starting later tells it from one a killed process left behind.
type spool struct {
	dir  string
	held *os.File
}

// newSpool makes and holds a fresh spool directory in dir ("" for the system's temporary
// directory).
func newSpool(dir string) (*spool, error) {
	d, err := os.MkdirTemp(dir, spoolPattern)
	if err != nil {
		return nil, err
	}
	held, err := holdSpool(filepath.Join(d, spoolHeld))
	if err != nil {
		os.RemoveAll(d)
		return nil, err
	}
	return &spool{dir: d, held: held}, nil
}

// remove deletes the spool directory and lets go of it.
func (s *spool) remove() error {
	err := os.RemoveAll(s.dir)
	s.held.Close()
	return err
}

// sweepSpools removes the spool directories in dir that no live process holds: what a
// process killed during an upload or an import left behind, which nothing else would
// ever delete. A directory another node (on the same machine) still holds is left alone.
func sweepSpools(dir string, log *slog.Logger) {
	if dir == "" {
		dir = os.TempDir()
	}
	found, err := filepath.Glob(filepath.Join(dir, spoolPattern))
	if err != nil {
		return
	}
	for _, d := range found {
		if !spoolAbandoned(filepath.Join(d, spoolHeld)) {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			log.Warn("could not remove an upload a stopped process left spooled", "path", d, "err", err)
			continue
		}
		log.Info("removed an upload a stopped process left spooled", "path", d)
	}
}
