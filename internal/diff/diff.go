// Package diff compares two grouped goroutine snapshots, BASE and
// CURRENT, group by group: which groups appeared, grew, shrank or vanished
// between them, and how many stayed the same.
//
// Groups are matched by their key alone (stackparse.Group.Key: the same
// code locations and state under the same grouping). A group whose code
// moved by a line has another key, so it shows as one group vanished and
// another appeared; diff does not guess that they are the same. When one
// side is a profile (?debug=1 or pprof: counts per stack, no states or
// creators), the other is compared as its profile would be: by stack.
//
// The package is pure: it reads two *stackparse.Snapshot values and
// writes a Result, as text for people (Text) or as the gorotop/diff/v1
// JSON document (JSON).
package diff

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Change says what happened to a group between BASE and CURRENT.
type Change string

// The changes, as the JSON document names them.
const (
	Appeared Change = "appeared" // in CURRENT only
	Grew     Change = "grew"     // in both, more goroutines in CURRENT
	Shrank   Change = "shrank"   // in both, fewer goroutines in CURRENT
	Vanished Change = "vanished" // in BASE only
	Same     Change = "same"     // in both, as many goroutines
)

// Side is one of the two snapshots compared, with where and when it was
// taken.
type Side struct {
	// Source names the input: a URL without credentials or a file path.
	Source string
	// TakenAt is when the dump was fetched; for a file, its modification
	// time.
	TakenAt time.Time
	Snap    *stackparse.Snapshot
}

// Group is one group key's change.
type Group struct {
	Key string
	// Group is the group as CURRENT holds it, or as BASE held it when it
	// vanished: its state, stack and creator. Its goroutines are those of
	// that snapshot.
	Group *stackparse.Group
	// Base and Current count the group's goroutines in each snapshot; 0
	// where it is absent.
	Base, Current int
	Change        Change
}

// Delta is Current − Base.
func (g Group) Delta() int { return g.Current - g.Base }

// Counts tallies groups by change.
type Counts struct {
	Appeared int `json:"appeared"`
	Grew     int `json:"grew"`
	Shrank   int `json:"shrank"`
	Vanished int `json:"vanished"`
	Same     int `json:"same"`
}

func (c *Counts) add(ch Change) {
	switch ch {
	case Appeared:
		c.Appeared++
	case Grew:
		c.Grew++
	case Shrank:
		c.Shrank++
	case Vanished:
		c.Vanished++
	default:
		c.Same++
	}
}

// Result is the comparison of two snapshots.
type Result struct {
	Base, Current Side
	// Groups holds every group of either snapshot, most change first:
	// groups that grew or appeared by growth, largest first; then groups
	// that shrank or vanished by loss, largest first; then the unchanged
	// ones by size. Ties go by size in CURRENT, then BASE, then key.
	Groups []Group
	Counts Counts
	// ByStack says the snapshots were compared by stack alone, states and
	// creators aside, because one of them is a profile.
	ByStack bool
}

// Delta is the change of the total goroutine count.
func (r *Result) Delta() int { return r.Current.Snap.Total - r.Base.Snap.Total }

// Compare compares base with current. Both snapshots must have been
// grouped the same way (the same stackparse.Grouping) for their keys to
// match. Neither is modified; the Result points into both.
func Compare(base, current Side) *Result {
	r := &Result{Base: base, Current: current}
	if profile(base.Snap) != profile(current.Snap) {
		// A profile has no states or creators: compare stacks.
		r.ByStack = true
		base.Snap, current.Snap = base.Snap.Counts(), current.Snap.Counts()
	}
	in := make(map[string]int, len(base.Snap.Groups))
	for _, g := range base.Snap.Groups {
		r.Groups = append(r.Groups, Group{Key: g.Key, Group: g, Base: g.Count()})
		in[g.Key] = len(r.Groups) - 1
	}
	for _, g := range current.Snap.Groups {
		if i, ok := in[g.Key]; ok {
			r.Groups[i].Group, r.Groups[i].Current = g, g.Count()
			continue
		}
		r.Groups = append(r.Groups, Group{Key: g.Key, Group: g, Current: g.Count()})
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		g.Change = changeOf(g.Base, g.Current)
		r.Counts.add(g.Change)
	}
	slices.SortFunc(r.Groups, order)
	return r
}

// profile reports whether a snapshot was read from a profile.
func profile(s *stackparse.Snapshot) bool { return s.Format != stackparse.FormatDump }

// changeOf classifies a group by its counts. A group present with no
// goroutine cannot happen in a snapshot; it counts as absent.
func changeOf(base, current int) Change {
	switch {
	case base == 0 && current > 0:
		return Appeared
	case base > 0 && current == 0:
		return Vanished
	case current > base:
		return Grew
	case current < base:
		return Shrank
	default:
		return Same
	}
}

// order sorts groups as Result.Groups says.
func order(a, b Group) int {
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	da, db := a.Delta(), b.Delta()
	if da < 0 {
		da, db = -da, -db
	}
	if c := cmp.Compare(db, da); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Current, a.Current); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Base, a.Base); c != 0 {
		return c
	}
	return cmp.Compare(a.Key, b.Key)
}

// rank puts growth first, then loss, then the unchanged groups.
func rank(g Group) int {
	switch d := g.Delta(); {
	case d > 0:
		return 0
	case d < 0:
		return 1
	default:
		return 2
	}
}

// Formats lists the formats Write knows: text for people, json for
// programs.
var Formats = []string{"text", "json"}

// Write writes r in format, one of Formats.
func Write(w io.Writer, format string, r *Result) error {
	switch format {
	case "text":
		return Text(w, r)
	case "json":
		return JSON(w, r)
	}
	return fmt.Errorf("diff writes %s, not %q", strings.Join(Formats, " or "), format)
}
