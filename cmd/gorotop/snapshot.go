package main

import (
	"context"
	"io"

	"github.com/gorotop/gorotop/internal/export"
)

const snapshotUsage = `Usage: gorotop snapshot [flags] TARGET

Take one snapshot of TARGET and print it grouped (text for people, json for
programs), or write it atomically to a file with -o.

Examples:
  gorotop snapshot :6060
  gorotop snapshot --format json -o goroutines.json http://10.0.0.7:6060
  gorotop snapshot crash.log
  curl -s 'localhost:6060/debug/pprof/goroutine?debug=2' | gorotop snapshot -
`

func runSnapshot(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	var o options
	fs := newFlags("snapshot", snapshotUsage)
	o.register(fs, commandFlags["snapshot"])
	rest, err := parseArgs(fs, "snapshot", args, stdout)
	if err != nil {
		return err
	}
	target, err := oneTarget("snapshot", rest)
	if err != nil {
		return err
	}
	s, format, err := o.open(ctx, "snapshot", target, stdin, false)
	if err != nil {
		return err
	}
	defer s.close()
	smp, err := s.next(ctx)
	if err != nil {
		return err
	}
	in := export.Input{Source: smp.meta.Source, TakenAt: smp.meta.At, Snap: smp.snap}
	return writeOutput(o.output, o.force, stdout, func(w io.Writer) error { return export.Write(w, format, in) })
}

// writeOutput writes to stdout, or atomically to path.
func writeOutput(path string, force bool, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	return export.WriteFile(path, force, 0o644, write)
}
