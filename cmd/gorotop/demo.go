package main

import (
	"context"
	"fmt"

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

func runDemo(ctx context.Context, o options, rest []string, e env) error {
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
	e.stdin = nil // the demo's target is its service alone
	return watchTargets(ctx, []string{"http://" + child.Addr}, o, e)
}
