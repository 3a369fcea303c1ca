// Package tui is gorotop's terminal user interface: a Bubble Tea program
// that polls goroutine dump sources, follows the groups over time with a
// track.Tracker, and shows them as a table sorted by leak suspicion, with a
// detail view per group, a text filter, sorting, grouping, pause, export and
// help (SPEC §3).
//
// Several targets get a tab each, with its own poll loop, tracker and
// history, and a combined tab that matches each group across the targets
// (group keys are the same for the same code in every process). Each tab
// keeps what its table showed at every poll, within bounds (keepFrames,
// keepRows), so that the user can step back in time while paused or in a
// replay, mark a snapshot and see what grew or shrank since.
//
// The package depends only on stackparse and track: where dumps come from
// is a Fetch function the caller builds, and exports go through an
// Exporter. All I/O runs in tea.Cmds; the model, the tracker and every
// view are touched only in Update and View.
//
// One root Model holds plain child structs: header, table, detail and
// help. Every string that came from a dump or an error goes through
// stackparse.Clean before it is drawn, so no byte of a dump reaches the
// terminal as a control sequence; with Config.NoColor (or NO_COLOR in Run)
// the view holds no escape sequence at all.
package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Sample is one poll's result.
type Sample struct {
	// Snap is the dump, grouped.
	Snap *stackparse.Snapshot
	// At is when the dump was taken; the tracker files the snapshot under
	// it. Zero means when the sample arrived.
	At time.Time
	// Duration is what the fetch took, connect to last byte.
	Duration time.Duration
	// Bytes is the size of the dump.
	Bytes int64
	// Source names where the dump came from (a URL, a file).
	Source string
	// Interval, when positive, replaces Config.Interval until the next
	// sample: the source stretched the interval to spare the target.
	Interval time.Duration
	// Cost says what the poll cost the target, when the source measures
	// it against a stall budget (gorotop --max-stall); zero otherwise.
	Cost PollCost
}

// PollCost is what a poll of a live target cost it, and the pace that
// keeps its stall share within budget.
type PollCost struct {
	// Counts says the poll was a cheap ?debug=1 profile, its counts
	// mapped onto the last full dump's groups.
	Counts bool
	// Completed says a dump cut at 64 MiB was completed from counts.
	Completed bool
	// Proof says the full dump came from the goroutineleak profile: the
	// goroutines the garbage collector proved leaked are marked.
	Proof bool
	// Stall is what the poll is charged as stopping the target.
	Stall time.Duration
	// Walks is how many stopped-world stack walks a full dump took.
	Walks int
	// Share is the share of wall time the target spends stalled at the
	// current pace; FullEvery is the time between full dumps.
	Share     float64
	FullEvery time.Duration
}

// Fetch takes the next sample; it does I/O and runs inside a tea.Cmd.
// io.EOF means a finite source (file, directory, replay) has no more.
type Fetch func(ctx context.Context) (Sample, error)

// Exporter writes the current snapshot with its history to dir and returns
// the file's path. It runs inside a tea.Cmd; the tracker is not changed
// while it runs.
type Exporter func(dir string, snap *stackparse.Snapshot, tr *track.Tracker, at time.Time) (string, error)

// TargetConfig is one watched target: a tab of its own.
type TargetConfig struct {
	// Target names what is watched, for the header.
	Target string
	// Name is the tab's label; empty means Target without its scheme and
	// default path.
	Name string
	// Fetch takes each sample. Required.
	Fetch Fetch
	// Replay says the source is finite (a file, a directory, a
	// recording): the header says "replay" rather than "live", and the
	// speed keys work.
	Replay bool
	// Export writes an export for the `e` key; nil disables the key.
	Export Exporter
	// Regroup, if set, returns a Fetch whose parser groups by g; the `g`
	// key then cycles code, exact and pointer groupings before the creator
	// view. Without it `g` toggles the creator view only.
	Regroup func(g stackparse.Grouping) Fetch
}

// Config sets up the UI.
type Config struct {
	// Targets are the targets watched, a tab each; with more than one, a
	// combined tab follows them. When Targets is empty, Target, Fetch,
	// Replay, Export and Regroup below are the one target.
	Targets []TargetConfig

	// Target, Fetch, Replay, Export and Regroup are as in TargetConfig,
	// for a single target.
	Target  string
	Fetch   Fetch
	Replay  bool
	Export  Exporter
	Regroup func(g stackparse.Grouping) Fetch

	// Interval is the time between polls; zero means 2s. In a replay it
	// is the time between snapshots at speed 1×.
	Interval time.Duration
	// ExportDir is where exports go; empty means ".".
	ExportDir string
	// Grouping is the grouping every Fetch's parser uses.
	Grouping stackparse.Grouping
	// SrcDir is where the detail view looks for the source of a blocking
	// frame: the file's path from the dump, and its tails under SrcDir.
	// Empty means no source lines.
	SrcDir string
	// Track tunes the tracker.
	Track track.Options
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoColor draws without colour or any other escape sequence.
	NoColor bool
}

// targets returns the targets, the single one of the top-level fields when
// Targets is empty.
func (c *Config) targets() []TargetConfig {
	if len(c.Targets) > 0 {
		return c.Targets
	}
	return []TargetConfig{{Target: c.Target, Fetch: c.Fetch, Replay: c.Replay, Export: c.Export, Regroup: c.Regroup}}
}

// Run runs the UI on the terminal until the user quits or ctx is done. It
// restores the terminal on every path and turns a panic into an error.
// NO_COLOR in the environment has the effect of Config.NoColor.
func Run(ctx context.Context, cfg Config) error {
	if os.Getenv("NO_COLOR") != "" {
		cfg.NoColor = true
	}
	return run(ctx, cfg)
}

// run is Run with extra program options, for tests.
func run(ctx context.Context, cfg Config, opts ...tea.ProgramOption) (err error) {
	for i, t := range cfg.targets() {
		if t.Fetch == nil {
			return fmt.Errorf("tui: no Fetch for target %d in Config", i+1)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gorotop: internal error: %v", r)
		}
	}()
	opts = append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)
	if cfg.NoColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.NoTTY))
	}
	final, err := tea.NewProgram(newModel(ctx, cfg), opts...).Run()
	if m, ok := final.(Model); ok && m.fatal != nil {
		return m.fatal
	}
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		return errors.New("gorotop: internal error in the terminal UI")
	case err != nil && ctx.Err() != nil:
		return nil // cancelled from outside: a normal end
	case err != nil:
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}
