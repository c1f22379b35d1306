package childproc

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

func TestDieWithParentSetsTheSignalOnLinux(t *testing.T) {
	cmd := exec.Command("true")
	DieWithParent(cmd)
	if runtime.GOOS != "linux" {
		t.Skip("only Linux offers a parent-death signal")
	}
	if cmd.SysProcAttr == nil || cmd.SysProcAttr.Pdeathsig != syscall.SIGKILL {
		t.Fatalf("SysProcAttr = %+v, want Pdeathsig SIGKILL", cmd.SysProcAttr)
	}
}
