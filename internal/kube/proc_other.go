//go:build !unix

package kube

import "os/exec"

// startChild starts cmd. Here the kubectl children outlive this process
// if it is killed outright (Close and a cancelled context end them).
func startChild(cmd *exec.Cmd) error { return cmd.Start() }

// killChild kills a child started by startChild.
func killChild(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}
