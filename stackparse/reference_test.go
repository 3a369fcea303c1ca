package stackparse

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/maruel/panicparse/v2/stack"
)

// referenceParse is the plain path the Parser must agree with: panicparse's
// ScanSnapshot over the whole input, in a loop over every dump, then the
// same grouping rules applied goroutine by goroutine.
// Only code grouping has a reference: panicparse has no notion of a
// creation site without its parent's ID.
func referenceParse(t testing.TB, in []byte) *Snapshot {
	t.Helper()
	var all []*stack.Goroutine
	var r io.Reader = bytes.NewReader(in)
	for range 10000 {
		snap, suffix, err := stack.ScanSnapshot(r, io.Discard, &stack.Opts{})
		if snap != nil && !snap.IsRace() {
			// A race report's goroutines are not a dump's.
			all = append(all, snap.Goroutines...)
		}
		if len(suffix) == 0 && (err != nil || snap == nil) {
			break
		}
		r = io.MultiReader(bytes.NewReader(suffix), r)
	}
	out := &Snapshot{Total: len(all)}
	index := map[string]*Group{}
	for _, gr := range all {
		var frames []Frame
		for _, c := range gr.Stack.Calls {
			frames = append(frames, Frame{Func: Clean(c.Func.Complete, 500), File: Clean(c.RemoteSrcPath, 500), Line: c.Line})
		}
		var created *Frame
		var parent int64
		if len(gr.CreatedBy.Calls) > 0 {
			c := gr.CreatedBy.Calls[0]
			name := c.Func.Complete
			if i := strings.Index(name, " in goroutine "); i >= 0 {
				parent = atoi64(name[i+len(" in goroutine "):])
				name = name[:i]
			}
			created = &Frame{Func: Clean(name, 500), File: Clean(c.RemoteSrcPath, 500), Line: c.Line}
		}
		state := Clean(string(baseState([]byte(gr.State))), 200)
		key := groupKey(shapeDigest(frames, created), state, GroupCode, 0)
		grp := index[key]
		if grp == nil {
			grp = &Group{Key: key, State: state, States: map[string]int{}, Frames: frames, CreatedBy: created,
				Blocking: blockingFrame(frames), Elided: gr.Stack.Elided, WaitMin: gr.SleepMin, WaitMax: gr.SleepMax}
			index[key] = grp
			out.Groups = append(out.Groups, grp)
		}
		grp.States[Clean(gr.State, 200)]++
		if strings.Contains(gr.State, "(leaked)") {
			grp.Leaked++
		}
		grp.Locked = grp.Locked || gr.Locked
		grp.WaitMin = min(grp.WaitMin, gr.SleepMin)
		grp.WaitMax = max(grp.WaitMax, gr.SleepMax)
		grp.Goroutines = append(grp.Goroutines, Goroutine{ID: int64(gr.ID), Parent: parent, WaitMinutes: gr.SleepMin, State: Clean(gr.State, 200)})
	}
	for _, grp := range out.Groups {
		slices.SortFunc(grp.Goroutines, byID)
	}
	slices.SortFunc(out.Groups, func(a, b *Group) int {
		if c := cmp.Compare(len(b.Goroutines), len(a.Goroutines)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}

func atoi64(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// byID orders goroutines by ID.
func byID(a, b Goroutine) int { return cmp.Compare(a.ID, b.ID) }
