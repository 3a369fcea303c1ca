// Package tui is gorotop's terminal user interface: a Bubble Tea program
// that shows the groups of goroutines of one or more targets as a table
// sorted by leak suspicion, with a detail view per group, a text filter,
// sorting, grouping, pause, export and help.
//
// Several targets get a tab each, with its own poll loop and history, and
// a combined tab that matches each group across the targets (group keys
// are the same for the same code in every process). Targets may also come
// and go while the UI runs (the pods of a Kubernetes target): Changes
// deliver them, a tea.Cmd waiting on the channel and re-armed after each;
// a target that is gone keeps its tab, marked gone, with what it gathered. Each tab keeps what
// its table showed at every poll, within bounds (keepFrames, keepRows), so
// that the user can step back in time while paused or in a replay, mark a
// snapshot and see what grew or shrank since.
//
// Where samples come from is a Fetch the caller builds (a poll.Loop's
// Next): it fetches, parses and files each dump with its trackers inside
// a tea.Cmd, so that keys never wait for a big target's poll. The model
// reads only what the trackers knew after each poll (track.View, which
// never changes), and exports go through an Exporter, also in a tea.Cmd.
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

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Fetch takes the next sample, filed with a tracker per grouping (a
// poll.Loop's Next): it does I/O and the trackers' work, and runs inside
// a tea.Cmd, so that the screen stays live however big the target. io.EOF
// means a finite source (file, directory, replay) has no more.
type Fetch func(ctx context.Context) (poll.Sample, error)

// Exporter writes a snapshot with what its tracker knew to dir and returns
// the file's path. It runs inside a tea.Cmd.
type Exporter func(dir string, snap *stackparse.Snapshot, v *track.View, at time.Time) (string, error)

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
	// Total is how many snapshots a replay holds, when its source knows
	// (source.Len); zero when it does not. The header counts against it.
	Total int
	// Export writes an export for the `e` key; nil disables the key.
	Export Exporter
	// Groupings are those each sample carries (poll.Sample.For), the
	// first the one shown first; empty means Config.Grouping alone. With
	// several, the `g` key cycles them (each kept with its history) before
	// the creator view; with one it toggles the creator view.
	Groupings []stackparse.Grouping
	// Recording, if set, says how the recording of the target's dumps
	// goes (gorotop --record): the header shows it while it lasts, and a
	// failure until the end; Run returns the failure. It is called from
	// View and must be safe while Fetch runs.
	Recording func() Recording
	// ID names the target in a Change; empty means Target.
	ID string
	// Fleet names what the target is a member of (a Kubernetes target,
	// whose pods come and go); the fleet's problems show on its tab.
	Fleet string
}

// Recording is how a recording of a target's dumps goes.
type Recording struct {
	// Path is the recording's file.
	Path string
	// Dumps and Bytes are what it holds.
	Dumps int
	Bytes int64
	// Err stopped the recording (a full disk); nil while it goes on.
	Err error
}

// id returns the ID a Change names the target by.
func (c TargetConfig) id() string {
	if c.ID != "" {
		return c.ID
	}
	return c.Target
}

// Change is what happens to the targets while the UI runs: a target
// comes (Add), goes (Gone), or has a problem that is not a failed fetch
// (Problem, such as a port-forward that ended).
type Change struct {
	// Add, when not nil, is a new target: a tab of its own, whose history
	// starts clean, polled at once.
	Add *TargetConfig
	// Gone is the ID of a target that is gone: its tab stops polling and
	// is marked gone, and keeps what it gathered (at most the latest
	// MaxGone gone tabs are kept).
	Gone string
	// Problem is one line about the target whose ID is Target, shown in
	// its tab's header until its next poll succeeds; or, with Target
	// empty, about the whole Fleet, shown until the next Change with
	// Problem empty for that Fleet.
	Problem string
	Target  string
	Fleet   string
}

// MaxGone is how many tabs of gone targets are kept: when one more
// goes, the tab of the one gone longest is dropped.
const MaxGone = 10

// Config sets up the UI.
type Config struct {
	// Targets are the targets watched, a tab each; with more than one, a
	// combined tab follows them. When Targets is empty, Target, Fetch,
	// Replay, Total, Export, Groupings and Recording below are the one
	// target.
	Targets []TargetConfig

	// Target, Fetch, Replay, Total, Export, Groupings and Recording are
	// as in TargetConfig, for a single target.
	Target    string
	Fetch     Fetch
	Replay    bool
	Total     int
	Export    Exporter
	Groupings []stackparse.Grouping
	Recording func() Recording

	// Interval is the time between polls; zero means 2s. A replay at
	// speed 1× steps at the pace its snapshots were taken at, and at the
	// Interval where their times do not tell it.
	Interval time.Duration
	// ExportDir is where exports go; empty means ".".
	ExportDir string
	// Grouping is the grouping shown first when a target has no
	// Groupings.
	Grouping stackparse.Grouping
	// SrcDir is where the detail view looks for the source of a blocking
	// frame: the file's path from the dump, and its tails under SrcDir.
	// Empty means no source lines.
	SrcDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NoColor draws without colour or any other escape sequence.
	NoColor bool

	// Changes, when not nil, delivers targets that come and go while the
	// UI runs; the tab bar and the combined view are there from the
	// start, whatever the number of targets (none, at first, is fine).
	// Close it, or end the context Run was given, when no more come.
	Changes <-chan Change
}

// targets returns the targets, the single one of the top-level fields when
// Targets is empty.
func (c *Config) targets() []TargetConfig {
	if len(c.Targets) > 0 || c.Fetch == nil && c.Changes != nil {
		return c.Targets
	}
	return []TargetConfig{{Target: c.Target, Fetch: c.Fetch, Replay: c.Replay, Total: c.Total, Export: c.Export, Groupings: c.Groupings, Recording: c.Recording}}
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
			return fmt.Errorf("no Fetch for target %d in Config", i+1)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
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
		return errors.New("internal error in the terminal UI")
	case err != nil && ctx.Err() == nil:
		return err
	}
	// Cancelled from outside or quit: a normal end, but for a recording
	// that failed on the way.
	return recordingFailure(cfg.targets())
}

// recordingFailure returns the failure of a target's recording, if one
// failed.
func recordingFailure(targets []TargetConfig) error {
	for _, t := range targets {
		if t.Recording == nil {
			continue
		}
		if r := t.Recording(); r.Err != nil {
			return fmt.Errorf("%w (it holds the %s recorded before)", r.Err, plural(r.Dumps, "snapshot"))
		}
	}
	return nil
}
