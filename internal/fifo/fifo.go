// Package fifo opens files that may be named pipes. Opening a named pipe
// waits for the other end (a writer for a reader, a reader for a writer),
// in a system call no signal interrupts; Open stops waiting when its
// context ends, so that a command on a pipe nobody opens still stops on
// ctrl-c or SIGTERM.
package fifo

import (
	"context"
	"io/fs"
	"os"
	"syscall"
)

// Open opens path as os.OpenFile(path, flag, 0) does. When path is a named
// pipe, the wait for its other end ends with ctx: Open then returns the
// context's cause.
func Open(ctx context.Context, path string, flag int) (*os.File, error) {
	if info, err := os.Stat(path); err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
		return os.OpenFile(path, flag, 0)
	}
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, flag, 0)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
	}
	// Be the other end for a moment, so that the open returns and no
	// thread stays blocked in it; close what it opened.
	other := os.O_WRONLY
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		other = os.O_RDONLY
	}
	if f, err := os.OpenFile(path, other|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
	go func() {
		if o := <-done; o.f != nil {
			o.f.Close()
		}
	}()
	return nil, context.Cause(ctx)
}
