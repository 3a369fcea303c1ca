package main

import (
	"runtime/debug"
	"testing"
)

// TestLimitMemory: gorotop holds its heap to memoryLimit unless GOMEMLIMIT
// set a limit of its own.
func TestLimitMemory(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	debug.SetMemoryLimit(1 << 40) // what GOMEMLIMIT=1TiB would have set
	limitMemory("1TiB")
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set, the limit is %d, want the user's %d", got, int64(1<<40))
	}
	limitMemory("")
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT, the limit is %d, want %d", got, memoryLimit)
	}
}
