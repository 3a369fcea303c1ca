// Package export writes grouped snapshots, with their history when there
// is one, to files people and programs read: JSON (the gorotop/v1 schema of
// SPEC §5) and text for tickets.
package export

import (
	"time"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Schema names the JSON format.
const Schema = "gorotop/v1"

// Input is what an export shows: one snapshot, and the tracker that saw it
// (nil when there is no history, as for a one-off snapshot).
type Input struct {
	Source  string
	TakenAt time.Time
	Snap    *stackparse.Snapshot
	Tracker *track.Tracker
	// Polls are what the latest polls cost the target, oldest first; the
	// HTML report sums them up. Nil when not known.
	Polls []Poll
}

// Poll is what one poll cost the target.
type Poll struct {
	At time.Time
	// Kind is "full" (a ?debug=2 dump), "proof" (a full dump from the
	// goroutineleak profile) or "counts" (a cheap ?debug=1 poll).
	Kind     string
	Duration time.Duration // request to last byte
	Bytes    int64
	// Stall is what the poll is charged as stopping the target: the wait
	// for a full dump's first byte, a tenth of a cheap poll's; zero when
	// not measured.
	Stall time.Duration
	// Share is the target's stall share at the pace after this poll;
	// zero when not measured.
	Share float64
}

// trendOf returns the group's trend, or nil without history.
func (in Input) trendOf(g *stackparse.Group) *track.Trend {
	if in.Tracker == nil {
		return nil
	}
	return in.Tracker.Trend(g.Key)
}

// groups returns the snapshot's groups in report order: by suspicion when
// there is history, else by count as the snapshot holds them.
func (in Input) groups() []*stackparse.Group {
	if in.Tracker == nil {
		return in.Snap.Groups
	}
	present := make(map[string]*stackparse.Group, len(in.Snap.Groups))
	for _, g := range in.Snap.Groups {
		present[g.Key] = g
	}
	out := make([]*stackparse.Group, 0, len(in.Snap.Groups))
	for _, tr := range in.Tracker.Trends() {
		if g, ok := present[tr.Key]; ok {
			out = append(out, g)
			delete(present, tr.Key)
		}
	}
	for _, g := range in.Snap.Groups {
		if _, ok := present[g.Key]; ok {
			out = append(out, g)
		}
	}
	return out
}
