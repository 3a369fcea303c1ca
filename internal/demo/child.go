package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// childEnv marks a process started by Start.
	childEnv      = "GOROTOP_DEMO_CHILD"
	listenPrefix  = "listening on "
	startTimeout  = 30 * time.Second
	stopTimeout   = 5 * time.Second
	stderrKeepLen = 4 << 10
)

// Child is the demo service running in a child process started by Start.
type Child struct {
	// Addr is the child's HTTP address on loopback, host:port; its pprof
	// handlers are under /debug/pprof/.
	Addr string

	ctx     context.Context
	cmd     *exec.Cmd
	stdin   io.Closer
	stderr  *tailBuffer
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error

	stopOnce sync.Once
	killed   bool
}

// Start runs the demo service (see Serve) in a child process and returns
// once it listens. The child is the current executable run again, whose
// main must call MaybeRunChild first.
//
// The child ends when Stop is called, when ctx is done, and when this
// process ends in any way, SIGKILL included: it exits when its standard
// input, a pipe from this process, reaches end of file, and on Linux the
// kernel also kills it when its parent dies. Its standard error is kept
// for error messages and never reaches the terminal.
func Start(ctx context.Context) (*Child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("demo: find own executable: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.WaitDelay = time.Second
	setParentDeath(cmd)
	c := &Child{ctx: ctx, cmd: cmd, stderr: &tailBuffer{max: stderrKeepLen}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: start %s: %w", exe, err)
	}

	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()

	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	select {
	case line := <-lines:
		if addr, ok := strings.CutPrefix(strings.TrimSpace(line), listenPrefix); ok {
			c.Addr = addr
			return c, nil
		}
		c.Stop()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("demo: start: %w", ctx.Err())
		}
		return nil, fmt.Errorf("demo: child process %s did not start: %v%s", exe, c.waitErr, c.stderr.note())
	case <-timeout.C:
		c.Stop()
		return nil, fmt.Errorf("demo: child process %s did not listen within %v%s", exe, startTimeout, c.stderr.note())
	}
}

// Stop ends the child: it closes the child's standard input, gives it a
// few seconds to exit and kills it if it has not. It returns an error only
// if the child had failed on its own; calling it again returns the same.
func (c *Child) Stop() error {
	c.stopOnce.Do(func() {
		c.stdin.Close()
		t := time.NewTimer(stopTimeout)
		defer t.Stop()
		select {
		case <-c.exited:
		case <-t.C:
			c.killed = true
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	if c.waitErr == nil || c.killed || c.ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("demo: child process: %w%s", c.waitErr, c.stderr.note())
}

// MaybeRunChild turns this process into the demo service if Start started
// it, and then never returns; otherwise it returns at once. A program that
// calls Start must call MaybeRunChild first thing in main.
func MaybeRunChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(runChild())
}

// runChild serves the demo on a loopback port, announced on stdout, until
// stdin reaches end of file or a signal asks it to stop.
func runChild() int {
	os.Unsetenv(childEnv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "gorotop demo: %v\n", err)
		return 1
	}
	fmt.Printf("%s%s\n", listenPrefix, ln.Addr())
	if err := Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(os.Stderr, "gorotop demo: %v\n", err)
		return 1
	}
	return 0
}

// tailBuffer keeps the last max bytes written to it. exec.Cmd writes to it
// from one goroutine; read it only after the command has been waited for.
type tailBuffer struct {
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

// note is the kept output as the end of an error message, or "".
func (b *tailBuffer) note() string {
	s := strings.TrimSpace(string(b.buf))
	if s == "" {
		return ""
	}
	return "; its stderr: " + s
}
