package main

import (
	"context"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
	"github.com/gorotop/gorotop/tui"
)

// runWatch is the interactive UI: gorotop [flags] TARGET.
func runWatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	var o options
	fs := newFlags("gorotop", rootUsage)
	o.register(fs, withFetch|withPoll|withUI)
	rest, err := parseArgs(fs, "", args, stdout)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("", "no TARGET given: try 'gorotop localhost:6060', or 'gorotop demo' to see it work")
	}
	target, err := oneTarget("", rest)
	if err != nil {
		return err
	}
	return watchTarget(ctx, target, o, stdin)
}

// watchTarget opens the UI on one target.
func watchTarget(ctx context.Context, target string, o options, stdin io.Reader) error {
	if o.interval <= 0 {
		return usagef("", "--interval must be positive")
	}
	s, format, err := o.open(ctx, "", target, stdin, true)
	if err != nil {
		return err
	}
	defer s.close()
	fetchWith := func(p *stackparse.Parser) tui.Fetch {
		return func(ctx context.Context) (tui.Sample, error) {
			smp, err := s.nextWith(ctx, p)
			if err != nil {
				return tui.Sample{}, err
			}
			return tui.Sample{Snap: smp.snap, At: smp.meta.At, Duration: smp.meta.Duration, Bytes: smp.meta.Bytes, Source: smp.meta.Source}, nil
		}
	}
	var regroup func(g stackparse.Grouping) tui.Fetch
	if s.stream == nil {
		// A stream's dumps go by once; anything else can be read again
		// with another grouping.
		regroup = func(g stackparse.Grouping) tui.Fetch { return fetchWith(stackparse.NewParser(g)) }
	}
	srcDir := o.src
	if srcDir == "" {
		srcDir = "."
	}
	exporter := func(dir string, snap *stackparse.Snapshot, tr *track.Tracker, at time.Time) (string, error) {
		return export.ToDir(dir, format, export.Input{Source: s.src.String(), TakenAt: at, Snap: snap, Tracker: tr})
	}
	return tui.Run(ctx, tui.Config{
		Target:    s.src.String(),
		Fetch:     fetchWith(s.parser),
		Interval:  o.interval,
		Replay:    !s.src.Live(),
		Export:    exporter,
		ExportDir: o.exportDir,
		Grouping:  s.parser.Grouping(),
		Regroup:   regroup,
		SrcDir:    srcDir,
		Now:       time.Now,
		NoColor:   o.noColorWanted(),
	})
}
