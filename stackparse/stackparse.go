// Package stackparse turns the text of a Go goroutine dump into groups of
// goroutines that share a stack.
//
// It reads what the Go runtime prints: /debug/pprof/goroutine?debug=2,
// runtime.Stack(buf, true), SIGQUIT and panic output, with junk before,
// between and after dumps. Frames are parsed by
// github.com/maruel/panicparse/v2, once per distinct stack shape: a Parser
// scans the bytes in one pass, finds goroutine boundaries, reads each header
// itself (state, wait minutes, labels, leaked, locked) and fingerprints each
// body with the argument values and goroutine IDs masked out. Only bodies
// whose fingerprint it has not seen before go to panicparse; shapes are kept
// between calls, so a steady service's second dump parses almost nothing.
//
// The package is pure: no network, terminal, file system or clock.
package stackparse

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Frame is one call in a stack.
type Frame struct {
	Func string `json:"func"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// String returns "file.go:line func" with the file's base name.
func (f Frame) String() string {
	return fmt.Sprintf("%s %s", f.Site(), f.Func)
}

// Site returns "file.go:line" with the file's base name, or "-" when the
// file is not known.
func (f Frame) Site() string {
	if f.File == "" {
		return "-"
	}
	file := f.File
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		file = file[i+1:]
	}
	return fmt.Sprintf("%s:%d", file, f.Line)
}

// Label is one pprof label of a goroutine, as printed in its header with
// GODEBUG=tracebacklabels=1 (Go 1.26; the default from Go 1.27).
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Goroutine holds what differs between the goroutines of one group.
type Goroutine struct {
	ID int64
	// Parent is the ID of the goroutine that created this one, from
	// "created by F in goroutine N" (Go 1.21+); 0 when unknown.
	Parent int64
	// WaitMinutes is how long the runtime says it has been blocked.
	WaitMinutes int
	// Leaked is set when the garbage collector proved the goroutine leaked
	// ("[chan receive (leaked)]", Go 1.26 goroutineleak profile).
	Leaked bool
	// State is the state as printed, with "(leaked)" and other marks.
	State string
	// Labels are shared between goroutines with the same label set; do not
	// modify them.
	Labels []Label
}

// Group is a set of goroutines with the same signature under a Grouping.
type Group struct {
	// Key identifies the group; it is the same for the same code in every
	// dump, whichever process or poll it came from.
	Key string
	// State is the goroutines' state without marks such as "(leaked)".
	State string
	// States counts the goroutines by state as printed.
	States map[string]int
	// Leaked counts goroutines the runtime proved leaked.
	Leaked int
	// WaitMin and WaitMax bound the runtime's wait minutes.
	WaitMin, WaitMax int
	// Frames is the stack, innermost first.
	Frames []Frame
	// Blocking indexes Frames at the first frame outside the runtime, the
	// internal/ packages and sync: where the goroutine waits. -1 if none.
	Blocking int
	// CreatedBy is the site that started these goroutines; nil for the main
	// goroutine and runtime ones.
	CreatedBy *Frame
	// Locked is set when the goroutines are locked to an OS thread.
	Locked bool
	// Elided is set when the runtime left frames out of the stack.
	Elided bool
	// Goroutines are the members, in the order of the dump.
	Goroutines []Goroutine
}

// Count is the number of goroutines in the group.
func (g *Group) Count() int { return len(g.Goroutines) }

// BlockedAt returns the blocking frame, or nil when every frame is in the
// runtime.
func (g *Group) BlockedAt() *Frame {
	if g.Blocking < 0 || g.Blocking >= len(g.Frames) {
		return nil
	}
	return &g.Frames[g.Blocking]
}

// Top returns the frame to name the group by: the blocking frame, else the
// innermost one; for a group without frames (a profile's record of a
// goroutine whose stack held only runtime.goexit, a goroutine running on
// another thread), one whose function is NoFrames.
func (g *Group) Top() Frame {
	if f := g.BlockedAt(); f != nil {
		return *f
	}
	if len(g.Frames) > 0 {
		return g.Frames[0]
	}
	return Frame{Func: NoFrames}
}

// NoFrames stands for the function of a group without frames.
const NoFrames = "(no frames)"

// IDs returns the goroutine IDs, ascending, without ID 0: the
// placeholders of a count-only snapshot have no ID (see
// Profile.Estimate), and the "goroutine 0 [idle]" of a SIGQUIT dump is
// the runtime's scheduler stack, not a goroutine a program started.
func (g *Group) IDs() []int64 {
	ids := make([]int64, 0, len(g.Goroutines))
	for _, gr := range g.Goroutines {
		if gr.ID != 0 {
			ids = append(ids, gr.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Snapshot is one dump, grouped.
type Snapshot struct {
	// Total is the number of goroutines found.
	Total int
	// Groups are sorted by count, largest first, then by key.
	Groups []*Group
	// Warnings say what could not be read as it should, one line each:
	// text that looked like part of a dump, a cut-off dump, a race report.
	Warnings []string
	// Truncated is set when the input ended in the middle of a goroutine.
	Truncated bool
	// Bytes is how many bytes were read.
	Bytes int64
	// Dumps is how many separate dumps the input held.
	Dumps int
	// CountOnly says the groups' counts are known but not which
	// goroutines they hold: the goroutines carry no IDs, or only some of
	// them do (a profile's counts mapped onto groups, a cut dump). Such a
	// snapshot says nothing of goroutines born or exited.
	CountOnly bool
	// Format is what the input was: a dump, a ?debug=1 profile or a
	// pprof profile (whose snapshots are CountOnly).
	Format Format
	// Log is the log format whose per-line prefix the input was read
	// under (LogNone for an input without one).
	Log LogFormat
	// TakenAt is when the input says it was taken (a pprof profile's
	// time); zero when it does not say.
	TakenAt time.Time
}

// Grouping says which goroutines share a group.
type Grouping int

const (
	// GroupCode puts goroutines with the same state, frames (function, file,
	// line) and creation site together; argument values are ignored.
	GroupCode Grouping = iota
	// GroupExact also requires the same argument values.
	GroupExact
	// GroupPointer requires the same argument values except pointers, as
	// panicparse's AnyPointer similarity does.
	GroupPointer
)

// Groupings lists every grouping, in the order the UI cycles them.
var Groupings = []Grouping{GroupCode, GroupExact, GroupPointer}

func (g Grouping) String() string {
	switch g {
	case GroupExact:
		return "exact"
	case GroupPointer:
		return "pointer"
	default:
		return "code"
	}
}

// ParseGrouping reads "code", "exact" or "pointer".
func ParseGrouping(s string) (Grouping, error) {
	for _, g := range Groupings {
		if g.String() == s {
			return g, nil
		}
	}
	return GroupCode, fmt.Errorf("unknown grouping %q: want code, exact or pointer", s)
}

// Parse reads one input (which may hold several dumps) and groups it. It
// keeps nothing between calls; use a Parser to poll the same service.
func Parse(r io.Reader, g Grouping) (*Snapshot, error) {
	return NewParser(g).Parse(r)
}
