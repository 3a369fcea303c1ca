// Package export writes grouped snapshots, with their history when there
// is one, to files people and programs read: JSON (the gorotop/v1 schema,
// Schema) and text for tickets.
package export

import (
	"time"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Schema names the JSON format.
const Schema = "gorotop/v1"

// Input is what an export shows: one snapshot, and what the tracker that
// saw it knew then (nil when there is no history, as for a one-off
// snapshot).
type Input struct {
	Source  string
	TakenAt time.Time
	Snap    *stackparse.Snapshot
	History *track.View
	// Polls are what the latest polls cost the target, oldest first; the
	// HTML report sums them up. Nil when not known.
	Polls []poll.Cost
}

// trendOf returns the group's trend, or nil without history.
func (in Input) trendOf(g *stackparse.Group) *track.Trend {
	if in.History == nil {
		return nil
	}
	return in.History.Trend(g.Key)
}

// groups returns the snapshot's groups in report order: by suspicion when
// there is history, else by count as the snapshot holds them.
func (in Input) groups() []*stackparse.Group {
	if in.History == nil {
		return in.Snap.Groups
	}
	present := make(map[string]*stackparse.Group, len(in.Snap.Groups))
	for _, g := range in.Snap.Groups {
		present[g.Key] = g
	}
	out := make([]*stackparse.Group, 0, len(in.Snap.Groups))
	for _, tr := range in.History.Trends() {
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
