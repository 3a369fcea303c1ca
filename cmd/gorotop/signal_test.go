//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/testproc"
)

// TestHeadlessStopsOnSignal runs headless commands of the real binary on
// inputs that never come: a named pipe nobody writes (alone, and inside a
// directory of dumps) and a standard input nobody writes. Ctrl-c and
// SIGTERM stop each within seconds, with one line on stderr.
func TestHeadlessStopsOnSignal(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	dir := t.TempDir()
	pipe := filepath.Join(dir, "dump.fifo")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	dumps := filepath.Join(dir, "dumps")
	os.Mkdir(dumps, 0o755)
	os.WriteFile(filepath.Join(dumps, "1.txt"), []byte(goroutineText(1)), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dumps, "2.fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		args  []string
		stdin bool // an open pipe nobody writes
	}{
		{"snapshot fifo", []string{"snapshot", pipe}, false},
		{"check dir with a fifo", []string{"check", "--for", "1m", dumps}, false},
		{"diff fifo", []string{"diff", pipe, pipe}, false},
		{"snapshot stdin", []string{"snapshot", "-"}, true},
	}
	for _, c := range cases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(c.name+" "+sig.String(), func(t *testing.T) {
				cmd := exec.Command(bin, c.args...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if c.stdin {
					r, w, err := os.Pipe()
					if err != nil {
						t.Fatal(err)
					}
					defer w.Close()
					defer r.Close()
					cmd.Stdin = r
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				time.Sleep(500 * time.Millisecond) // waiting for the input by now
				cmd.Process.Signal(sig)
				select {
				case err := <-done:
					line := strings.TrimSpace(stderr.String())
					if err == nil || strings.Count(line, "\n") > 0 || !strings.HasPrefix(line, "gorotop: ") {
						t.Fatalf("exit %v, stderr %q: want a failure and one line", err, stderr.String())
					}
					t.Logf("%v: %s", err, line)
				case <-time.After(stopGrace + 10*time.Second):
					cmd.Process.Kill()
					t.Fatalf("still running %v after %v", stopGrace+10*time.Second, sig)
				}
			})
		}
	}
}
