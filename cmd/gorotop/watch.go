package main

import (
	"context"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
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
		// Every grouping is tracked from the first poll on, so that g
		// switches at once and keeps each one's history.
		l, format, err := o.open("", target, stdin, poll.Options{Groupings: stackparse.Groupings, Stream: true})
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Grouping = l.Groupings()[0]
		cfg.Targets = append(cfg.Targets, targetConfig(l, format))
	}
	return runUI(ctx, cfg)
}

// targetConfig wires one target's loop into the UI: its samples, and its
// exports.
func targetConfig(l *poll.Loop, format export.Format) tui.TargetConfig {
	exporter := func(dir string, snap *stackparse.Snapshot, v *track.View, at time.Time) (string, error) {
		return export.ToDir(dir, format, export.Input{Source: l.Source().String(), TakenAt: at, Snap: snap, History: v, Polls: l.Log()})
	}
	total, _ := source.Len(l.Source())
	return tui.TargetConfig{
		Target:    l.Source().String(),
		Fetch:     l.Next,
		Replay:    !l.Source().Live(),
		Total:     total,
		Export:    exporter,
		Groupings: l.Groupings(),
		Recording: recordingOf(l.Source()),
	}
}
