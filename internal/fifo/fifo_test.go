//go:build unix

package fifo

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	return path
}

// TestOpenStops opens a named pipe nobody else opens, for reading and for
// writing: the open returns once the context ends.
func TestOpenStops(t *testing.T) {
	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY} {
		path := mkfifo(t) // a pipe of its own: the end opened to stop the wait closes later
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		f, err := Open(ctx, path, flag)
		cancel()
		if f != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("flag %d: %v, %v; want the context's error", flag, f, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("flag %d: took %v", flag, took)
		}
	}
}

// TestOpenPipe reads what a writer sends through a named pipe.
func TestOpenPipe(t *testing.T) {
	path := mkfifo(t)
	go func() {
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.Write([]byte("hello"))
			w.Close()
		}
	}()
	f, err := Open(context.Background(), path, os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read %q, %v", b, err)
	}
}
