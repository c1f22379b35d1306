//go:build !unix

package limits

import "time"

// ProcessCPU returns 0 where the process's CPU time is not read (getrusage is Unix's):
// the benchmarks then report no CPU per message.
func ProcessCPU() time.Duration { return 0 }
