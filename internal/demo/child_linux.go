package demo

import (
	"os/exec"
	"syscall"
)

// setParentDeath asks the kernel to kill the child when its parent dies.
// Linux sends the signal when the thread that started the child exits,
// which the Go runtime rarely does; stdin end of file covers the rest.
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
