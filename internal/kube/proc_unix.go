//go:build unix

package kube

import (
	"os/exec"
	"syscall"
)

// killChild kills a child started by startChild and every process in its
// process group (an auth plugin kubectl started, say). Call it only
// before the child has been waited for: until then its process group
// cannot name another.
func killChild(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}
