// Package e2e holds end-to-end tests of gorotop that watch real services
// for minutes: check at its defaults against the shapes real servers show
// and against services of 100 000 goroutines. They are a test binary of
// their own so that their waiting runs beside cmd/gorotop's tests rather
// than after them. The package has no code outside its tests.
package e2e
