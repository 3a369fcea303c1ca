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

// maxTargets is how many targets the UI takes: a tab each, reached with
// the keys 1 to 9; the combined view follows them.
const maxTargets = 9

// runUI runs the terminal UI; tests replace it.
var runUI = tui.Run

// runWatch is the interactive UI: gorotop [flags] TARGET...
func runWatch(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	var o options
	fs := newFlags("gorotop", rootUsage)
	o.register(fs, commandFlags[""])
	rest, err := parseArgs(fs, "", args, stdout)
	if err != nil {
		return err
	}
	switch {
	case o.record != "" && len(rest) > 1:
		return usagef("", "--record takes one TARGET; run one gorotop record per target")
	case len(rest) == 0:
		return usagef("", "no TARGET given: try 'gorotop localhost:6060', or 'gorotop demo' to see it work")
	case len(rest) > maxTargets:
		return usagef("", "at most %d TARGETs, a tab each; got %d", maxTargets, len(rest))
	}
	stdins := 0
	for _, t := range rest {
		if t == "-" {
			stdins++
		}
	}
	if stdins > 1 {
		return usagef("", "standard input (-) can be only one TARGET")
	}
	return watchTargets(ctx, rest, o, stdin)
}

// watchTarget opens the UI on one target.
func watchTarget(ctx context.Context, target string, o options, stdin io.Reader) error {
	return watchTargets(ctx, []string{target}, o, stdin)
}

// watchTargets opens the UI on targets: a tab each, with its own poll
// loop, and with several a combined tab.
func watchTargets(ctx context.Context, targets []string, o options, stdin io.Reader) error {
	if o.interval <= 0 {
		return usagef("", "--interval must be positive")
	}
	srcDir := o.src
	if srcDir == "" {
		srcDir = "."
	}
	cfg := tui.Config{
		Interval:  o.interval,
		ExportDir: o.exportDir,
		SrcDir:    srcDir,
		Now:       time.Now,
		NoColor:   o.noColorWanted(),
	}
	for _, target := range targets {
		s, format, err := o.open(ctx, "", target, stdin, true)
		if err != nil {
			return err
		}
		defer s.close()
		s.spare(o.interval, float64(o.maxStall))
		cfg.Grouping = s.parser.Grouping()
		cfg.Targets = append(cfg.Targets, targetConfig(s, format))
	}
	return runUI(ctx, cfg)
}

// targetConfig wires one opened target into the UI: its Fetch, its
// exports and, unless it is a stream read once, its regrouping.
func targetConfig(s *sampler, format export.Format) tui.TargetConfig {
	fetchWith := func(p *stackparse.Parser) tui.Fetch {
		return func(ctx context.Context) (tui.Sample, error) {
			smp, err := s.nextWith(ctx, p)
			if err != nil {
				return tui.Sample{}, err
			}
			return tui.Sample{
				Snap:     smp.snap,
				At:       smp.meta.At,
				Duration: smp.meta.Duration,
				Bytes:    smp.meta.Bytes,
				Source:   smp.meta.Source,
				Interval: smp.interval(),
				Cost:     smp.cost(),
			}, nil
		}
	}
	var regroup func(g stackparse.Grouping) tui.Fetch
	if s.stream == nil {
		// A stream's dumps go by once; anything else can be read again
		// with another grouping.
		regroup = func(g stackparse.Grouping) tui.Fetch { return fetchWith(stackparse.NewParser(g)) }
	}
	exporter := func(dir string, snap *stackparse.Snapshot, tr *track.Tracker, at time.Time) (string, error) {
		return export.ToDir(dir, format, export.Input{Source: s.src.String(), TakenAt: at, Snap: snap, Tracker: tr, Polls: s.log.list()})
	}
	return tui.TargetConfig{
		Target:  s.src.String(),
		Fetch:   fetchWith(s.parser),
		Replay:  !s.src.Live(),
		Export:  exporter,
		Regroup: regroup,
	}
}
