//go:build unix && !linux

package kube

import (
	"os/exec"
	"syscall"
)

// startChild starts cmd in a process group of its own, which killChild
// ends whole. Here the kernel has no parent-death signal: a kubectl child
// outlives this process if it is killed with SIGKILL (Close, a cancelled
// context, SIGINT and SIGTERM handled by the caller all end it).
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}
