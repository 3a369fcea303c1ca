//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gorotop/gorotop/internal/testproc"
)

// TestUIWithoutTerminal runs the real binary's terminal UI on a dump file
// in a session of its own, so that it has no terminal to open: it exits 2
// with one line on stderr that carries gorotop's prefix once, and Bubble
// Tea's own error right after it.
func TestUIWithoutTerminal(t *testing.T) {
	bin := testproc.BuildGorotop(t)
	dump := filepath.Join(t.TempDir(), "dump.txt")
	if err := os.WriteFile(dump, plainDump(3), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, dump)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitProblem {
		t.Fatalf("exit: %v, want code %d (stderr %q)", err, exitProblem, stderr.String())
	}
	line := stderr.String()
	if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "gorotop: ") || strings.Count(line, "gorotop:") != 1 {
		t.Errorf("stderr %q: want one line with the prefix \"gorotop: \" once", line)
	}
	// Nothing between the prefix and the error of Bubble Tea, which
	// failed to open the terminal.
	if !strings.HasPrefix(line, "gorotop: bubbletea: ") || !strings.Contains(line, "TTY") {
		t.Errorf("stderr %q: want the UI's error about the terminal right after the prefix", line)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q: want nothing", stdout.String())
	}
}
