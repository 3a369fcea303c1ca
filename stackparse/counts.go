package stackparse

import (
	"fmt"
	"slices"
)

// Counted reports whether the group's goroutines were counted from a
// profile rather than seen in a dump: its state, wait times and creator
// are not known (states CountsOnlyState and NotKnownState).
func (g *Group) Counted() bool { return CountedState(g.State) }

// CountedState reports whether state is that of goroutines counted from
// a profile, whose wait is not known: CountsOnlyState or NotKnownState.
func CountedState(state string) bool {
	return state == CountsOnlyState || state == NotKnownState
}

// countRecord is a stack and how many goroutines share it, as a profile
// tells it: a ?debug=1 record or a pprof sample.
type countRecord struct {
	count  int
	frames []Frame // innermost first
	labels []Label // shared by the record's goroutines
	leaked bool    // every goroutine of it was proven leaked
	// What a profile gorotop wrote itself (--format pprof) carries beside
	// the stack; zero otherwise.
	key       string
	state     string
	createdBy *Frame
	wait      int
}

// countGroup makes a group of placeholder goroutines (ID 0) for a record,
// in state unless the record has its own. Its key depends on the frames
// as a ?debug=1 profile prints them (without runtime.goexit and the
// leading runtime frames), the state and the grouping, so that the same
// stack read from a ?debug=1 profile, from a pprof profile, or mapped from
// cheap polls gets the same key. room is how many goroutines the group
// will hold in all.
func countGroup(r countRecord, state string, g Grouping, room int) *Group {
	key, state := r.keyIn(state, g)
	grp := &Group{
		Key:        key,
		State:      state,
		States:     map[string]int{},
		Frames:     r.frames,
		Blocking:   blockingFrame(r.frames),
		CreatedBy:  r.createdBy,
		WaitMin:    r.wait,
		WaitMax:    r.wait,
		Goroutines: make([]Goroutine, 0, max(room, r.count)),
	}
	grp.add(r, state)
	return grp
}

// keyIn returns the key and state of the record's group, in state unless
// the record has its own.
func (r countRecord) keyIn(state string, g Grouping) (string, string) {
	if r.state != "" {
		state = r.state
	}
	if r.key != "" {
		return r.key, state
	}
	// A profile has no argument values: every grouping groups its
	// records alike, under the same key.
	return groupKey(shapeDigest(profileStack(r.frames), r.createdBy), state, GroupCode, 0), state
}

// key0 is the key of the record's group in state NotKnownState.
func (r countRecord) key0() string {
	key, _ := r.keyIn(NotKnownState, GroupCode)
	return key
}

// add puts the record's goroutines in the group.
func (g *Group) add(r countRecord, state string) {
	n := len(g.Goroutines)
	g.Goroutines = slices.Grow(g.Goroutines, r.count)[:n+r.count]
	if r.count > 0 {
		// One, then copies of what is filled, doubling.
		fresh := g.Goroutines[n:]
		fresh[0] = Goroutine{State: state, Labels: r.labels, Leaked: r.leaked, WaitMinutes: r.wait}
		for done := 1; done < len(fresh); done *= 2 {
			copy(fresh[done:], fresh[:done])
		}
	}
	g.States[state] += r.count
	if r.leaked {
		g.Leaked += r.count
	}
	g.WaitMin, g.WaitMax = min(g.WaitMin, r.wait), max(g.WaitMax, r.wait)
}

// countSnapshot groups the records of a profile read on its own: records
// of the same stack (they differ in labels) make one group. It is
// CountOnly, with Total the sum of the records. Past maxGroups groups,
// the goroutines of further stacks are counted in one group of other
// stacks, as a dump's are.
func countSnapshot(recs []countRecord, g Grouping, format Format, maxGroups int) *Snapshot {
	snap := &Snapshot{Dumps: 1, CountOnly: true, Format: format}
	// First the groups' sizes, so that each holds its goroutines in one
	// allocation.
	keys := make([]string, len(recs))
	room := map[string]int{}
	for i, r := range recs {
		if r.count <= 0 {
			continue
		}
		keys[i], _ = r.keyIn(CountsOnlyState, g)
		if _, ok := room[keys[i]]; ok || len(room) < maxGroups {
			room[keys[i]] += r.count
		} else {
			room[OtherStacks] += r.count
		}
	}
	byKey := make(map[string]*Group, len(room))
	for i, r := range recs {
		if r.count <= 0 {
			continue
		}
		snap.Total += r.count
		key := keys[i]
		if _, ok := room[key]; !ok {
			key, r = OtherStacks, countRecord{count: r.count, frames: []Frame{{Func: OtherStacks}}, leaked: r.leaked}
		}
		if grp := byKey[key]; grp != nil {
			grp.add(r, grp.State)
			continue
		}
		grp := countGroup(r, CountsOnlyState, g, room[key])
		byKey[key] = grp
		snap.Groups = append(snap.Groups, grp)
	}
	sortGroups(snap.Groups)
	if lacks := format.Lacks(); lacks != "" {
		snap.Warnings = append(snap.Warnings, lacks)
	}
	if n := room[OtherStacks]; n > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("the profile holds more than %d stacks: the goroutines of the rest, %d, are counted in one group, %s", maxGroups, n, OtherStacks))
	}
	return snap
}

// Counts returns the snapshot as a profile of the same moment tells it:
// groups by stack (frames as a ?debug=1 profile prints them), in state
// CountsOnlyState, without creators, goroutine IDs or waits, with the
// goroutines' labels; CountOnly, keyed as a profile's groups are. It
// makes a dump comparable with a profile. A count-only snapshot of a
// profile is returned as it is.
func (s *Snapshot) Counts() *Snapshot {
	if s.CountOnly && s.Format != FormatDump {
		return s
	}
	var recs []countRecord
	for _, g := range s.Groups {
		// A record per label set: the goroutines of a group share their
		// label slices (the Parser interns them).
		bySet := map[*Label]int{}
		var none int
		first := map[*Label][]Label{}
		var order []*Label
		for _, gr := range g.Goroutines {
			if len(gr.Labels) == 0 {
				none++
				continue
			}
			k := &gr.Labels[0]
			if _, ok := bySet[k]; !ok {
				order = append(order, k)
				first[k] = gr.Labels
			}
			bySet[k]++
		}
		if none > 0 {
			recs = append(recs, countRecord{count: none, frames: g.Frames})
		}
		for _, k := range order {
			recs = append(recs, countRecord{count: bySet[k], frames: g.Frames, labels: first[k]})
		}
	}
	out := countSnapshot(recs, GroupCode, s.Format, defaultLimits().groups)
	out.Warnings = append(out.Warnings, s.Warnings...)
	out.Truncated, out.Bytes, out.Dumps, out.Log, out.TakenAt = s.Truncated, s.Bytes, s.Dumps, s.Log, s.TakenAt
	return out
}

// Snapshot makes the profile a snapshot on its own, for a profile read as
// input rather than mapped onto a full dump (see Estimate): one group per
// stack, named by the profile's frames, in state CountsOnlyState, without
// creators, holding placeholder goroutines (ID 0) with the records'
// labels. A goroutineleak profile's goroutines are all proven leaked. The
// snapshot is CountOnly; its first warning says what the format lacks.
// Total is what its records hold (a warning says when the profile's first
// line says otherwise).
func (p *Profile) Snapshot(g Grouping) *Snapshot {
	recs := make([]countRecord, len(p.Records))
	for i, r := range p.Records {
		recs[i] = countRecord{count: r.Count, frames: r.Frames, labels: r.Labels, leaked: p.Name == "goroutineleak"}
	}
	snap := countSnapshot(recs, g, FormatDebug1, p.limits().groups)
	snap.Bytes = p.Bytes
	snap.Warnings = append(snap.Warnings, p.Warnings...)
	return snap
}

// CountedKey returns the key a group of a full dump would have had, had a
// cheap poll counted its goroutines before any full dump saw them (state
// NotKnownState, see Profile.Estimate; the same under every grouping,
// since a profile has no argument values): where a tracker finds the
// history of a stack first counted, then seen.
func CountedKey(grp *Group) string {
	return countRecord{frames: grp.Frames}.key0()
}
