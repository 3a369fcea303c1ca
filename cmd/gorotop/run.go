package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

const rootUsage = `gorotop is top for goroutines: it polls a Go service's goroutine dump,
groups the stacks, and lights up the groups that keep growing — the leaks.

Usage:
  gorotop [flags] TARGET...              interactive terminal UI (several targets: a tab each)
  gorotop demo [flags]                   start a built-in leaky service and watch it
  gorotop snapshot [flags] TARGET        take one snapshot, print or write it grouped
  gorotop check [flags] TARGET           watch headless for a while; exit 1 if anything leaks
  gorotop record -o FILE [flags] TARGET  watch headless and record every dump
  gorotop watch --metrics ADDR TARGET... watch headless until stopped, serving Prometheus metrics
  gorotop diff [flags] BASE CURRENT      what grew and shrank between two snapshots
  gorotop completion bash|zsh|fish       shell completion script
  gorotop version                        print the version

TARGET is one of:
  k8s:deploy/NAME, k8s:sts/NAME,         every pod behind it, each through your own kubectl
  k8s:svc/NAME, k8s:pod/NAME,            port-forward, a tab each; one argument, quoted when
  'k8s:-l SELECTOR'                      it holds -n NAMESPACE or --context NAME; :PORT after
                                         the name (default: the container port named pprof,
                                         else 6060)
  http://host:port[/path], https://…     (a bare host or /debug/pprof/ means
                                         /debug/pprof/goroutine?debug=2)
  host:port, :port, 6060                 (":port" and a bare port are loopback)
  FILE                                   a saved debug=2 dump, SIGQUIT output or panic log;
                                         a ?debug=1 or pprof profile (.pb.gz); a dump inside
                                         kubectl, docker, CRI or journald logs
  DIR                                    a directory of such files, replayed in name order
  RECORDING                              a file made by --record or gorotop record, replayed
  -                                      standard input

Examples:
  gorotop k8s:deploy/api
  gorotop 'k8s:deploy/api -n prod --context staging'
  gorotop check --for 5m k8s:deploy/api || echo "a replica leaks"
  gorotop watch --metrics :9464 k8s:deploy/api           (for Prometheus)
  gorotop localhost:6060
  gorotop snapshot --format json -o goroutines.json :6060
  gorotop check --for 2m --interval 1s :6060 || echo "leak!"
  gorotop pod-a:6060 pod-b:6061                     (kubectl port-forward to each replica)
  gorotop --max-stall 0.5% :6060                    (stall a busy service for 0.5% of the time at most)
  gorotop record -o api.rec --for 10m :6060 && gorotop api.rec
  gorotop diff before.txt after.txt
  gorotop crash.log

Run 'gorotop COMMAND --help' for a command's flags.
`

// run dispatches to a command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			return runDemo(ctx, args[1:], stdout)
		case "snapshot":
			return runSnapshot(ctx, args[1:], stdin, stdout, stderr)
		case "check":
			return runCheck(ctx, args[1:], stdin, stdout, stderr)
		case "record":
			return runRecord(ctx, args[1:], stdin, stdout, stderr)
		case "watch":
			return runHeadless(ctx, args[1:], stdin, stdout, stderr)
		case "diff":
			return runDiff(ctx, args[1:], stdin, stdout)
		case "completion":
			return runCompletion(args[1:], stdout)
		case "version", "--version", "-version":
			fmt.Fprintf(stdout, "gorotop %s\n", version())
			return nil
		case "help":
			return runWatch(ctx, []string{"--help"}, stdin, stdout)
		}
	}
	return runWatch(ctx, args, stdin, stdout)
}

// newFlags returns a flag set whose usage prints the command's text and
// its flags.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, usage)
		fmt.Fprintln(w, "\nFlags:")
		fs.VisitAll(func(f *flag.Flag) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "  %s%s\n      %s%s\n", dash, f.Name, f.Usage, def)
		})
	}
	return fs
}

// oneTarget checks that exactly one TARGET was given.
func oneTarget(cmd string, rest []string) (string, error) {
	switch len(rest) {
	case 0:
		return "", usagef(cmd, "no TARGET given")
	case 1:
		return rest[0], nil
	}
	return "", usagef(cmd, "one TARGET expected, got %d: %s", len(rest), strings.Join(rest, " "))
}
