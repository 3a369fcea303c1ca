package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gorotop/gorotop/tui"
)

// command is one of gorotop's commands. The table of them, commands,
// drives dispatch, "gorotop help", each command's --help and the shell
// completion scripts.
type command struct {
	name     string  // as typed after gorotop; "" is the terminal UI
	synopsis string  // its arguments, for the usage lines of "gorotop help"
	summary  string  // what it does, in one line; "" leaves it out of "gorotop help"
	help     string  // its --help text, before the flags
	flags    flagSet // the flags it takes; with none, it reads its arguments itself
	headless bool    // it runs without the terminal UI, and ctrl-c stops it within stopGrace
	aliases  []string
	// run runs the command with its flags parsed into o and the other
	// arguments in args (with no flags, args are all of them).
	run func(ctx context.Context, o options, args []string, e env) error
}

// env is what a command runs with: the standard streams, and the terminal
// UI (tui.Run; tests give a function that keeps the UI's Config).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	ui             func(context.Context, tui.Config) error
}

// commands lists gorotop's commands, the UI first. It is filled by init:
// help and completion read it.
var commands []command

func init() {
	commands = []command{
		{name: "", synopsis: "[flags] TARGET...", summary: "interactive terminal UI (several targets: a tab each)",
			flags: withFetch | withPoll | withUI, run: runWatch},
		{name: "demo", synopsis: "demo [flags]", summary: "start a built-in leaky service and watch it",
			help: demoUsage, flags: withPoll | withUI, run: runDemo},
		{name: "snapshot", synopsis: "snapshot [flags] TARGET", summary: "take one snapshot, print or write it grouped",
			help: snapshotUsage, flags: withFetch | withOutput, headless: true, run: runSnapshot},
		{name: "check", synopsis: "check [flags] TARGET", summary: "watch headless for a while; exit 1 if anything leaks",
			help: checkUsage, flags: withFetch | withPoll | withOutput | withFor | withMetrics, headless: true, run: runCheck},
		{name: "record", synopsis: "record -o FILE [flags] TARGET", summary: "watch headless and record every dump",
			help: recordUsage, flags: withFetch | withPoll | withFor | withFile | withMetrics, headless: true, run: runRecord},
		{name: "watch", synopsis: "watch --metrics ADDR TARGET...", summary: "watch headless until stopped, serving Prometheus metrics",
			help: watchUsage, flags: withFetch | withPoll | withMetrics, headless: true, run: runHeadless},
		{name: "diff", synopsis: "diff [flags] BASE CURRENT", summary: "what grew and shrank between two snapshots",
			help: diffUsage, flags: withFetch | withOutput | withDiffFormat, headless: true, run: runDiff},
		{name: "completion", synopsis: "completion " + strings.Join(shells, "|"), summary: "shell completion script",
			help: completionUsage, run: runCompletion},
		{name: "version", synopsis: "version", summary: "print the version", aliases: []string{"--version", "-version"},
			run: func(_ context.Context, _ options, _ []string, e env) error {
				fmt.Fprintf(e.stdout, "gorotop %s\n", version())
				return nil
			}},
		{name: "help", run: func(_ context.Context, _ options, _ []string, e env) error {
			var o options
			fs := commands[0].flagSet(&o)
			fs.SetOutput(e.stdout)
			fs.Usage()
			return errHelp
		}},
	}
	commands[0].help = rootHelp()
}

const rootIntro = `gorotop is top for goroutines: it polls a Go service's goroutine dump,
groups the stacks, and lights up the groups that keep growing — the leaks.

`

const rootTargets = `
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

// rootHelp is "gorotop help": what gorotop is, a usage line per command,
// the targets and examples.
func rootHelp() string {
	var b strings.Builder
	b.WriteString(rootIntro)
	b.WriteString("Usage:\n")
	for _, c := range commands {
		if c.summary != "" {
			fmt.Fprintf(&b, "  gorotop %-30s %s\n", c.synopsis, c.summary)
		}
	}
	b.WriteString(rootTargets)
	return b.String()
}

// lookup returns the command that args name, and the arguments left for
// it: the UI's when the first is no command's name.
func lookup(args []string) (*command, []string) {
	if len(args) > 0 {
		for i := range commands {
			c := &commands[i]
			if c.name != "" && (args[0] == c.name || slices.Contains(c.aliases, args[0])) {
				return c, args[1:]
			}
		}
	}
	return &commands[0], args
}

// flagSet returns c's flags, registered into o, with c's help as usage.
func (c *command) flagSet(o *options) *flag.FlagSet {
	name := c.name
	if name == "" {
		name = "gorotop"
	}
	fs := newFlags(name, c.help)
	o.register(fs, c.flags)
	return fs
}

// run dispatches to a command, with its flags parsed.
func run(ctx context.Context, args []string, e env) error {
	c, args := lookup(args)
	var o options
	if c.flags != 0 {
		var err error
		if args, err = parseArgs(c.flagSet(&o), c.name, args, e.stdout); err != nil {
			return err
		}
	}
	return c.run(ctx, o, args, e)
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
