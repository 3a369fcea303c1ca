// Command gorotop is top for goroutines: it polls a Go service's
// /debug/pprof/goroutine?debug=2, groups the stacks, and lights up the
// groups that keep growing.
//
// Usage:
//
//	gorotop [flags] TARGET...              interactive terminal UI (a tab per target)
//	gorotop demo [flags]                   start a built-in leaky service and watch it
//	gorotop snapshot [flags] TARGET        take one snapshot, print or write it grouped
//	gorotop check [flags] TARGET           watch headless for a while; exit 1 if anything leaks
//	gorotop record -o FILE [flags] TARGET  watch headless and record every dump
//	gorotop watch --metrics ADDR TARGET... watch headless until stopped, serving Prometheus metrics
//	gorotop diff [flags] BASE CURRENT      what grew and shrank between two snapshots
//	gorotop completion bash|zsh|fish
//	gorotop version
//
// Run "gorotop help" or "gorotop COMMAND --help" for flags and examples.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gorotop/gorotop/internal/demo"
	"github.com/gorotop/gorotop/tui"
)

// Exit codes.
const (
	exitOK      = 0
	exitLeak    = 1 // check: a group is suspected, rising or proven leaked
	exitProblem = 2
	// exitNotJudged: check's polls could not have shown a leak (too few,
	// too far apart), so it cannot say there is none.
	exitNotJudged = 3
)

// stopGrace is how long a headless command may wind down after ctrl-c or
// SIGTERM before gorotop exits anyway: a read of a terminal, or another
// wait no signal interrupts, must not keep it running.
const stopGrace = 3 * time.Second

// memoryLimit is the soft limit gorotop holds its heap to, unless
// GOMEMLIMIT says otherwise. What gorotop keeps between polls is bounded
// and small, but reading a dump whose stacks are all new takes a passing
// heap many times the dump's size, and the collector's default pace lets
// the process grow to twice that; past the limit it collects sooner,
// spending CPU instead.
const memoryLimit = 512 << 20

// limitMemory sets the soft memory limit, unless the user set one with
// GOMEMLIMIT (env), which the runtime has already applied.
func limitMemory(env string) {
	if env == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func main() {
	demo.MaybeRunChild()
	// net/http writes some of its troubles to the standard logger (a
	// port that spoke before it was asked, quoted): gorotop says what
	// went wrong in its own words, and nothing may scribble over the UI.
	log.SetOutput(io.Discard)
	limitMemory(os.Getenv("GOMEMLIMIT"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if c, _ := lookup(os.Args[1:]); c.headless {
		go func() {
			<-ctx.Done()
			stop() // a second ctrl-c or SIGTERM ends gorotop at once
			time.Sleep(stopGrace)
			fmt.Fprintf(os.Stderr, "gorotop: interrupted, and still waiting %s later: stopped\n", stopGrace)
			os.Exit(exitProblem)
		}()
	}
	code := runMain(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, ui: tui.Run})
	stop()
	os.Exit(code)
}

// runMain runs a command and turns its outcome into an exit code and at
// most one line on stderr. A panic becomes that one line too, never a
// stack trace.
func runMain(ctx context.Context, args []string, e env) (code int) {
	stderr := e.stderr
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "gorotop: internal error: %v (please report this, with the command line, at https://github.com/gorotop/gorotop/issues)\n", r)
			if os.Getenv("GOROTOP_DEBUG") != "" {
				stderr.Write(debug.Stack())
			}
			code = exitProblem
		}
	}()
	err := run(ctx, args, e)
	var leak *leakError
	var notJudged *notJudgedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &leak):
		return exitLeak
	case errors.As(err, &notJudged):
		fmt.Fprintf(stderr, "gorotop: %s\n", oneLine(err.Error()))
		return exitNotJudged
	default:
		fmt.Fprintf(stderr, "gorotop: %s\n", oneLine(err.Error()))
		return exitProblem
	}
}
