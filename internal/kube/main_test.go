package kube_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/gorotop/gorotop/internal/kube"
)

// helperEnv, when set to a target, turns the test binary into a process
// that runs a Fleet on it: it prints "added ADDR" for each pod forwarded
// and runs until it is killed or its standard input ends.
const helperEnv = "GOROTOP_KUBE_TEST_HELPER"

func TestMain(m *testing.M) {
	if target := os.Getenv(helperEnv); target != "" {
		os.Exit(helper(target))
	}
	os.Exit(m.Run())
}

func helper(target string) int {
	t, err := kube.ParseTarget(target)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f, err := kube.Start(context.Background(), t, fastOptions)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		f.Close()
		os.Exit(0)
	}()
	out := bufio.NewWriter(os.Stdout)
	for ev := range f.Events() {
		if ev.Kind == kube.Added {
			fmt.Fprintf(out, "added %s\n", ev.Addr)
			out.Flush()
		}
	}
	return 0
}
