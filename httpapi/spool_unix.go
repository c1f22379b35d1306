//go:build unix

package httpapi

import (
	"os"
	"syscall"
)

// holdSpool creates path and takes an exclusive lock on it, which the kernel releases
// when the process ends, however it ends. The file is locked under another name and then
// renamed, so a sweep never finds it there unlocked.
func holdSpool(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".new", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(path+".new", path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// spoolAbandoned says whether the spool whose lock file is path is held by no process.
// A spool without its lock file yet is being made, so it is not abandoned.
func spoolAbandoned(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	// flock locks belong to the open file: this open conflicts with a holder in this
	// very process as with one in another.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return false // EWOULDBLOCK: held
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}
