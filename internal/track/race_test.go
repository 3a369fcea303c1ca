//go:build race

package track

// raceEnabled skips the day-long simulation under the race detector: the
// tracker runs on one goroutine, and the detector makes that test minutes
// long.
const raceEnabled = true
