package source

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff spaces out the retries of a failing poll: the delay doubles
// from Min with each attempt up to Max, and each delay is shortened at
// random by up to Jitter of itself, so that many pollers do not retry in
// step.
type Backoff struct {
	Min, Max time.Duration
	Jitter   float64 // 0 to 1
}

// DefaultBackoff waits about 1s, 2s, 4s, … up to 30s, each up to 20%
// shorter.
var DefaultBackoff = Backoff{Min: time.Second, Max: 30 * time.Second, Jitter: 0.2}

// Delay returns how long to wait before retry number attempt (0 for the
// first retry after a failure). r supplies the jitter; nil means none.
// Delay is pure: the same attempt and random state give the same delay.
func (b Backoff) Delay(attempt int, r *rand.Rand) time.Duration {
	d := max(b.Min, 1)
	for i := 0; i < attempt && d < b.Max && d <= math.MaxInt64/2; i++ {
		d *= 2
	}
	d = min(d, max(b.Max, b.Min))
	if r != nil && b.Jitter > 0 {
		d -= time.Duration(float64(d) * min(b.Jitter, 1) * r.Float64())
	}
	return d
}
