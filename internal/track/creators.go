package track

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gorotop/gorotop/stackparse"
)

// CreatorStat is what one creation site (a "created by" frame) started, for
// the creator view.
type CreatorStat struct {
	// Site is the frame that started the goroutines.
	Site stackparse.Frame
	// Spawned counts the goroutines from this site gorotop saw born (not
	// those already there at the first poll or at a restart).
	Spawned int
	// Exited counts goroutines from this site that left the process while
	// gorotop watched.
	Exited int
	// Alive counts goroutines from this site in the latest snapshot.
	Alive int
	// Groups are the keys of the present groups started here, largest
	// first.
	Groups []string
	// GrowthPerMin sums the growth of those groups.
	GrowthPerMin float64
	// Suspect is set when one of those groups is a suspected or proven
	// leak.
	Suspect bool
}

type creatorKey struct {
	fn, file string
	line     int
}

type creatorState struct {
	site            stackparse.Frame
	spawned, exited int
	alive           int
	groups          []*groupState
	growth          float64
	suspect         bool
}

// creator returns the state of a creation site, adding it when new; nil
// for goroutines without one (main, runtime).
func (t *Tracker) creator(f *stackparse.Frame) *creatorState {
	if f == nil {
		return nil
	}
	k := creatorKey{f.Func, f.File, f.Line}
	c := t.creators[k]
	if c == nil {
		c = &creatorState{site: *f}
		t.creators[k] = c
	}
	return c
}

// tallyCreators adds the poll's births and exits to the creation sites and
// recounts what is alive.
func (t *Tracker) tallyCreators() {
	for _, c := range t.creators {
		c.alive, c.groups, c.growth, c.suspect = 0, c.groups[:0], 0, false
	}
	for _, gs := range t.groups {
		if gs == nil || gs.creator == nil {
			continue
		}
		c := gs.creator
		c.spawned += gs.poll.Born
		c.exited += gs.poll.Exited
		if gs.present {
			c.alive += gs.poll.Count
			c.groups = append(c.groups, gs)
			c.growth += gs.tr.GrowthPerMin
			c.suspect = c.suspect || gs.tr.Suspect || gs.tr.Proven
		}
	}
}

// Creators returns the creation sites seen: suspects first, then by
// goroutines alive.
func (t *Tracker) Creators() []CreatorStat {
	out := make([]CreatorStat, 0, len(t.creators))
	for _, c := range t.creators {
		groups := slices.Clone(c.groups)
		slices.SortFunc(groups, func(a, b *groupState) int {
			if n := cmp.Compare(b.tr.Count, a.tr.Count); n != 0 {
				return n
			}
			return cmp.Compare(a.tr.Key, b.tr.Key)
		})
		cs := CreatorStat{
			Site:         c.site,
			Spawned:      c.spawned,
			Exited:       c.exited,
			Alive:        c.alive,
			GrowthPerMin: c.growth,
			Suspect:      c.suspect,
		}
		for _, gs := range groups {
			cs.Groups = append(cs.Groups, gs.tr.Key)
		}
		out = append(out, cs)
	}
	slices.SortFunc(out, func(a, b CreatorStat) int {
		if n := trueFirst(a.Suspect, b.Suspect); n != 0 {
			return n
		}
		if n := cmp.Compare(b.Alive, a.Alive); n != 0 {
			return n
		}
		if n := cmp.Compare(b.Spawned, a.Spawned); n != 0 {
			return n
		}
		return cmp.Compare(a.Site.String(), b.Site.String())
	})
	return out
}

// ParentStat says whether the goroutines that started a group's
// goroutines ("created by … in goroutine N") are still alive.
type ParentStat struct {
	// Goroutines counts the group's goroutines whose parent is known.
	Goroutines int
	// Parents counts their distinct parents; Alive how many of those are
	// in the latest snapshot.
	Parents, Alive int
	// Groups are the keys of the groups holding the live parents, most
	// parents first.
	Groups []string
}

// Gone returns how many parents are no longer alive.
func (p ParentStat) Gone() int { return p.Parents - p.Alive }

// String says it in a few words: "spawned by 2500 parents, all gone",
// "spawned by one live parent".
func (p ParentStat) String() string {
	switch {
	case p.Parents == 0:
		return "parent unknown"
	case p.Parents == 1 && p.Alive == 1:
		return "spawned by one live parent"
	case p.Parents == 1:
		return "spawned by one parent, gone"
	case p.Alive == 0:
		return fmt.Sprintf("spawned by %d parents, all gone", p.Parents)
	case p.Alive == p.Parents:
		return fmt.Sprintf("spawned by %d parents, all alive", p.Parents)
	default:
		return fmt.Sprintf("spawned by %d parents, %d alive, %d gone", p.Parents, p.Alive, p.Gone())
	}
}

// Parents tells whether the parents of a present group's goroutines are
// alive, and where.
func (v *View) Parents(key string) ParentStat {
	tr := v.byKey[key]
	if tr == nil || !tr.Present || tr.Group == nil {
		return ParentStat{}
	}
	var ids []int64
	for _, g := range tr.Group.Goroutines {
		if g.Parent != 0 {
			ids = append(ids, g.Parent)
		}
	}
	p := ParentStat{Goroutines: len(ids)}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	p.Parents = len(ids)
	byGroup := map[string]int{}
	for _, id := range ids {
		if e, ok := lookup(v.ids, id); ok {
			p.Alive++
			byGroup[v.keys[e.group]]++
		}
	}
	for k := range byGroup {
		p.Groups = append(p.Groups, k)
	}
	slices.SortFunc(p.Groups, func(a, b string) int {
		if n := cmp.Compare(byGroup[b], byGroup[a]); n != 0 {
			return n
		}
		return cmp.Compare(a, b)
	})
	return p
}
