//go:build unix

package limits

import (
	"syscall"
	"time"
)

// ProcessCPU returns the CPU time this process has used, user and system: what a
// benchmark reports per message beside the wall time, which the neighbours set.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
