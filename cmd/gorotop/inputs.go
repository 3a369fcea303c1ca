package main

import "time"

// takenAt is when the sample was taken: the time its input says, for a
// file that says it (a pprof profile), else when it was fetched (for a
// file, its modification time). A directory of profiles copied from a
// continuous profiler keeps its timeline that way.
func (smp sample) takenAt() time.Time {
	if t := smp.snap.TakenAt; !t.IsZero() && smp.safe == nil {
		return t
	}
	return smp.meta.At
}
