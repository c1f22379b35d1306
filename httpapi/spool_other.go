//go:build !unix

package httpapi

import "os"

// holdSpool creates path; without flock a spool cannot be held, so none is swept.
func holdSpool(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// spoolAbandoned cannot tell a live spool from a dead one here, so it says none is.
func spoolAbandoned(string) bool { return false }
