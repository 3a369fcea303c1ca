package track

import (
	"slices"
	"time"
)

// History tiers: every poll for the last fullResolution, one point per
// minute up to minuteTier old, one per coarseStep beyond. Compaction runs
// once per compactEvery of observed time.
const (
	fullResolution = time.Hour
	minuteTier     = 24 * time.Hour
	coarseStep     = 15 * time.Minute
	compactEvery   = 10 * time.Minute
)

// compact downsamples every history once a minute of observed time.
func (t *Tracker) compact(now time.Time) {
	if now.Sub(t.compacted) < compactEvery {
		return
	}
	// Buckets whose newest possible point was older than minuteTier at the
	// previous compaction were final then.
	final := t.compacted.Add(-minuteTier - coarseStep)
	t.compacted = now
	for _, gs := range t.groups {
		if gs != nil {
			gs.tr.History = downsample(gs.tr.History, now, final)
		}
	}
	t.totals = downsample(t.totals, now, final)
}

// downsample merges the points of h older than fullResolution into one per
// minute, and those older than minuteTier into one per coarseStep; points
// before final are already merged and left alone. Buckets are aligned on
// the clock, so compacting again changes nothing until points age into the
// next tier. It returns a new slice when it merges anything, and never
// changes h: Views share it.
func downsample(h []Point, now, final time.Time) []Point {
	end := searchAt(h, now.Add(-fullResolution))
	lo := max(searchAt(h, final)-1, 0)
	if end-lo < 2 {
		return h
	}
	nowSec := now.Unix()
	out := make([]Point, 0, len(h)-end+lo+64)
	out = append(out, h[:lo+1]...)
	tier, b := bucketOf(h[lo].At.Unix(), nowSec)
	for _, p := range h[lo+1 : end] {
		pt, pb := bucketOf(p.At.Unix(), nowSec)
		if pt == tier && pb == b {
			q := &out[len(out)-1]
			q.At, q.Count = p.At, p.Count
			q.Born += p.Born
			q.Exited += p.Exited
			q.MovedIn += p.MovedIn
			q.MovedOut += p.MovedOut
			q.Restart = q.Restart || p.Restart
			q.Full = q.Full || p.Full
			continue
		}
		out = append(out, p)
		tier, b = pt, pb
	}
	return append(out, h[end:]...)
}

// searchAt returns the index of the first point at or after at.
func searchAt(h []Point, at time.Time) int {
	i, _ := slices.BinarySearchFunc(h, at, func(p Point, at time.Time) int { return p.At.Compare(at) })
	return i
}

// bucketOf returns the tier and clock-aligned bucket of a point older than
// fullResolution, in Unix seconds.
func bucketOf(at, now int64) (tier, bucket int64) {
	if now-at <= int64(minuteTier/time.Second) {
		return 1, at / 60
	}
	return 2, at / int64(coarseStep/time.Second)
}
