//go:build !linux

package demo

import "os/exec"

// setParentDeath does nothing here: the child exits when its standard
// input reaches end of file, which happens when its parent dies.
func setParentDeath(cmd *exec.Cmd) {}
