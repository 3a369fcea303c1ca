package main

import (
	"context"
	"io"
	"os"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
)

const snapshotUsage = `Usage: gorotop snapshot [flags] TARGET

Take one snapshot of TARGET and print it grouped (text for people, json for
programs), or write it atomically to a file with -o.

Examples:
  gorotop snapshot :6060
  gorotop snapshot --format json -o goroutines.json http://10.0.0.7:6060
  gorotop snapshot --format html -o report.html :6060
  gorotop snapshot --format pprof -o goroutines.pb.gz :6060 && go tool pprof -top goroutines.pb.gz
  gorotop snapshot session.rec                       # the last dump of a recording
  gorotop snapshot crash.log
  curl -s 'localhost:6060/debug/pprof/goroutine?debug=2' | gorotop snapshot -
`

func runSnapshot(ctx context.Context, o options, rest []string, e env) error {
	target, err := oneTarget("snapshot", rest)
	if err != nil {
		return err
	}
	l, format, err := o.open("snapshot", target, e.stdin, poll.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	if format.Binary() && (o.output == "" || o.output == "-") && isTerminal(e.stdout) {
		return usagef("snapshot", "--format %s is binary: write it to a file with -o FILE", format)
	}
	next := l.Next
	if t, err := source.ParseTarget(target); err == nil && t.Kind == source.Recording {
		// A recording's snapshot is its last dump: where the session ended.
		next = func(ctx context.Context) (poll.Sample, error) { return lastSample(ctx, l) }
	}
	s, err := next(ctx)
	printWarnings(e.stderr, l.Source())
	if err != nil {
		return err
	}
	in := export.Input{Source: s.Meta.Source, TakenAt: s.Meta.At, Snap: s.Snap, Polls: l.Log()}
	return writeOutput(ctx, o.output, o.force, e.stdout, func(w io.Writer) error { return export.Write(w, format, in) })
}

// writeOutput writes to stdout, or atomically to path (see
// export.WriteFile).
func writeOutput(ctx context.Context, path string, force bool, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	return export.WriteFile(ctx, path, force, 0o644, write)
}

// isTerminal reports whether w is a terminal, where binary output would
// land as garbage.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
