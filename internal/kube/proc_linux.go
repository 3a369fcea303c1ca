package kube

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// startChild starts cmd in a process group of its own, which killChild
// ends whole, and has the kernel kill it when this process dies, however
// it dies (kill -9 included).
//
// The kernel sends that signal when the thread that started the child
// ends, not the process (see PR_SET_PDEATHSIG in prctl(2)), and the Go
// runtime ends a thread when a goroutine locked to it returns. So every
// child is started from one goroutine locked to its thread for the life
// of the process: that thread ends only with the process.
func startChild(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	spawnOnce.Do(func() {
		spawns = make(chan spawn)
		go spawner()
	})
	s := spawn{cmd: cmd, done: make(chan error, 1)}
	spawns <- s
	return <-s.done
}

// spawn asks the spawner to start a command.
type spawn struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawns    chan spawn
)

// spawner starts the commands sent to it from a thread it never leaves.
// It never returns, so its thread lives as long as the process.
func spawner() {
	runtime.LockOSThread()
	for s := range spawns {
		s.done <- s.cmd.Start()
	}
}
