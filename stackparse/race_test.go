//go:build race

package stackparse

// raceEnabled says the race detector is on: it allocates beside the
// code under test, so allocation bounds get a window of slack.
const raceEnabled = true
