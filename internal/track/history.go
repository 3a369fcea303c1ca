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
	compactEvery   = time.Minute
)

// compact downsamples every history once a minute of observed time.
func (t *Tracker) compact(now time.Time) {
	if now.Sub(t.compacted) < compactEvery {
		return
	}
	t.compacted = now
	for _, gs := range t.groups {
		if gs != nil {
			gs.tr.History = downsample(gs.tr.History, now)
		}
	}
	t.totals = downsample(t.totals, now)
}

// downsample merges the points of h older than fullResolution into one per
// minute, and those older than minuteTier into one per coarseStep. Buckets
// are aligned on the clock, so compacting again changes nothing until
// points age into the next tier.
func downsample(h []Point, now time.Time) []Point {
	end, _ := slices.BinarySearchFunc(h, now.Add(-fullResolution), func(p Point, at time.Time) int { return p.At.Compare(at) })
	if end == 0 {
		return h
	}
	out := h[:0]
	var lastTier, lastBucket int64
	for _, p := range h[:end] {
		tier, b := bucketOf(p.At, now)
		if len(out) > 0 && tier == lastTier && b == lastBucket {
			q := &out[len(out)-1]
			q.At, q.Count = p.At, p.Count
			q.Born += p.Born
			q.Exited += p.Exited
			q.MovedIn += p.MovedIn
			q.MovedOut += p.MovedOut
			q.Restart = q.Restart || p.Restart
			continue
		}
		out = append(out, p)
		lastTier, lastBucket = tier, b
	}
	n := len(h)
	out = append(out, h[end:]...) // overlapping, to the left: copied as memmove does
	clear(h[len(out):n])
	if cap(out) > 2*len(out)+64 {
		out = slices.Clip(slices.Clone(out))
	}
	return out
}

// bucketOf returns the tier and clock-aligned bucket of a point older than
// fullResolution.
func bucketOf(at, now time.Time) (tier, bucket int64) {
	if now.Sub(at) <= minuteTier {
		return 1, at.Unix() / 60
	}
	return 2, at.Unix() / int64(coarseStep/time.Second)
}
