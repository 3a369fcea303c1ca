package tui

import (
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Bounds of the snapshots a tab keeps for stepping back: per grouping at
// most keepFrames polls, and keepRows group rows in all, shared by its
// groupings (a row is about 80 bytes: some 40 MB at the most), and older
// frames hold at most an eighth as many groups the latest does not (a
// group's copy holds its stack). The
// latest snapshot is always kept; with 10 000 groups a poll and one
// grouping, the last 52 polls are.
const (
	keepFrames = 1000
	keepRows   = 1 << 19
)

// frame is what the table shows of one poll: every group's count and the
// tracker's verdict at that time, without goroutines or stacks. Frames of
// a dataset share one stack-less copy of each group.
type frame struct {
	at       time.Time // when the dump was taken
	poll     int       // 1 for the dataset's first poll
	total    int       // goroutines
	suspects int       // suspected and proven leaks
	rising   int       // rising groups
	rows     []frameRow
}

// frameRow is one group in a frame.
type frameRow struct {
	group  *stackparse.Group // the shared, stack-less copy
	state  string            // interned
	reason string
	count  int32
	leaked int32
	born   int32
	exited int32
	growth float32
	score  float32
	wait   uint32 // seconds
	oldest uint32 // seconds
	flags  uint8
}

const (
	rowSuspect = 1 << iota
	rowStuck
	rowRising
)

// history holds a dataset's frames, oldest first.
type history struct {
	frames []*frame
	rows   int
	// maxRows bounds rows; zero means keepRows.
	maxRows int
	// groups are the stack-less copies by key; states interns state
	// strings, so that frames hold no part of a dump.
	groups map[string]*stackparse.Group
	states map[string]string
}

// capture files the frame of a poll the tracker has just observed, and
// returns how many of the oldest frames it dropped to stay in bounds.
func (h *history) capture(poll int, at time.Time, snap *stackparse.Snapshot, v *track.View) int {
	if h.groups == nil {
		h.groups, h.states = map[string]*stackparse.Group{}, map[string]string{}
	}
	f := &frame{at: at, poll: poll, total: snap.Total, rows: make([]frameRow, 0, len(snap.Groups))}
	for _, g := range snap.Groups {
		fr := frameRow{group: h.shared(g), state: h.intern(g.State), count: int32(g.Count()), leaked: int32(g.Leaked)}
		if t := v.Trend(g.Key); t != nil {
			fr.growth, fr.score = float32(t.RecentPerMin), float32(t.Score)
			fr.born, fr.exited = int32(t.Born), int32(t.Exited)
			fr.leaked = max(fr.leaked, int32(t.Leaked))
			fr.wait, fr.oldest = seconds(t.WaitAge), seconds(t.OldestAge)
			if t.Suspect {
				fr.flags |= rowSuspect
			}
			if t.Stuck {
				fr.flags |= rowStuck
			}
			if t.Rising {
				fr.flags |= rowRising
			}
			if t.Suspect || t.Rising || t.Stuck || t.Proven {
				fr.reason = t.Reason
			}
		}
		switch {
		case fr.flags&rowSuspect != 0 || fr.leaked > 0:
			f.suspects++
		case fr.flags&rowRising != 0:
			f.rising++
		}
		f.rows = append(f.rows, fr)
	}
	h.frames = append(h.frames, f)
	h.rows += len(f.rows)
	maxRows := h.maxRows
	if maxRows <= 0 {
		maxRows = keepRows
	}
	drop := 0
	for len(h.frames)-drop > 1 && (len(h.frames)-drop > keepFrames || h.rows > maxRows) {
		h.rows -= len(h.frames[drop].rows)
		drop++
	}
	if drop > 0 {
		h.frames = append(h.frames[:0:0], h.frames[drop:]...)
		h.prune(false)
	}
	// The groups' copies hold their stacks: a target whose stacks change
	// at every poll makes a new copy of each, so the copies older frames
	// hold beside the latest one's are bounded too.
	for maxGroups := maxRows / 8; len(h.groups)-len(f.rows) > maxGroups && len(h.frames) > 1; drop++ {
		h.rows -= len(h.frames[0].rows)
		h.frames = append(h.frames[:0:0], h.frames[1:]...)
		h.prune(true)
	}
	return drop
}

// shared returns the stack-less copy of a group, made on first sight.
func (h *history) shared(g *stackparse.Group) *stackparse.Group {
	if s, ok := h.groups[g.Key]; ok {
		return s
	}
	s := *g
	s.Goroutines = nil
	h.groups[g.Key] = &s
	return &s
}

// intern returns the one copy of a state string.
func (h *history) intern(s string) string {
	if c, ok := h.states[s]; ok {
		return c
	}
	c := strings.Clone(s)
	h.states[c] = c
	return c
}

// prune forgets the copies of groups that no frame kept holds any more,
// once they are many.
func (h *history) prune(now bool) {
	if !now && len(h.groups) <= 2*len(h.frames[len(h.frames)-1].rows)+1024 {
		return
	}
	kept := make(map[string]*stackparse.Group, len(h.groups)/2)
	for _, f := range h.frames {
		for _, r := range f.rows {
			kept[r.group.Key] = r.group
		}
	}
	h.groups = kept
}

// latest returns the newest frame, or nil.
func (h *history) latest() *frame {
	if len(h.frames) == 0 {
		return nil
	}
	return h.frames[len(h.frames)-1]
}

// seconds turns a duration into whole seconds that fit a uint32.
func seconds(d time.Duration) uint32 {
	return uint32(min(max(d/time.Second, 0), 1<<32-1))
}

// row makes the table row of a frame row. until, when not zero, cuts the
// count history drawn in the trend column at that time.
func (fr *frameRow) row(v *track.View, until time.Time) *row {
	return &row{
		key: fr.group.Key, group: fr.group, trend: v.Trend(fr.group.Key), until: until,
		gstate: fr.state, count: int(fr.count), leaked: int(fr.leaked),
		born: int(fr.born), exited: int(fr.exited),
		growth: float64(fr.growth), score: float64(fr.score),
		age: time.Duration(fr.wait) * time.Second, oldest: time.Duration(fr.oldest) * time.Second,
		suspect: fr.flags&rowSuspect != 0, rising: fr.flags&rowRising != 0, stuck: fr.flags&rowStuck != 0, reason: fr.reason,
	}
}

// mark is a diff base: the counts of one frame.
type mark struct {
	poll   int
	at     time.Time
	counts map[string]int
	groups map[string]*stackparse.Group
}

// newMark takes the counts of f.
func newMark(f *frame) *mark {
	m := &mark{poll: f.poll, at: f.at, counts: make(map[string]int, len(f.rows)), groups: make(map[string]*stackparse.Group, len(f.rows))}
	for _, r := range f.rows {
		m.counts[r.group.Key] = int(r.count)
		m.groups[r.group.Key] = r.group
	}
	return m
}

// totals returns the goroutine totals of the n frames up to index end
// (excluded), oldest first: full dumps and cheap polls alike.
func (h *history) totals(end, n int) []int {
	out := make([]int, 0, n)
	for _, fr := range h.frames[max(end-n, 0):end] {
		out = append(out, fr.total)
	}
	return out
}
