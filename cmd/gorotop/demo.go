package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gorotop/gorotop/internal/demo"
)

const demoUsage = `Usage: gorotop demo [flags]

Start a built-in service with a goroutine leak (a batching queue whose flush
timer goroutine waits on a stopped ticker forever) beside healthy worker
pools and short-lived requests, as a child process on loopback, and watch it.
Within seconds the leak is the top highlighted row. Quitting stops the
service.

Examples:
  gorotop demo
  gorotop demo --interval 1s
`

func runDemo(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := newFlags("demo", demoUsage)
	o.register(fs, commandFlags["demo"])
	rest, err := parseArgs(fs, "demo", args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("demo", "demo takes no TARGET")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	child, err := demo.Start(ctx)
	if err != nil {
		return fmt.Errorf("start the demo service: %w", err)
	}
	defer child.Stop()
	return watchTarget(ctx, "http://"+child.Addr, o, nil)
}
