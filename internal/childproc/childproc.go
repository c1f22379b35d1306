// Package childproc makes the processes that tests and benchmarks start end with them.
// A test that times out or is killed does not run its cleanups, and a node it started
// would otherwise keep serving, and keep a core busy, long after the test is gone.
package childproc

import "os/exec"

// DieWithParent arranges for cmd, once started, to be killed when the process that
// started it exits, where the operating system offers that (Linux); elsewhere it does
// nothing and the test's own cleanup stays the only guard.
func DieWithParent(cmd *exec.Cmd) { dieWithParent(cmd) }
