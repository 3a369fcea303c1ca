package track

import (
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Sample is one snapshot and the time it was taken.
type Sample struct {
	At   time.Time
	Snap *stackparse.Snapshot
}

// Replay feeds samples, oldest first, to a new Tracker and returns it: the
// way to judge a recorded or scripted series of snapshots.
func Replay(opts Options, samples ...Sample) *Tracker {
	t := New(opts)
	for _, s := range samples {
		t.Observe(s.At, s.Snap)
	}
	return t
}
