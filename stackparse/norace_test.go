//go:build !race

package stackparse

const raceEnabled = false
