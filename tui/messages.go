package tui

import "github.com/gorotop/gorotop/internal/poll"

// Messages about one tab name it by its id (tab.id), which stays the
// same while tabs come, go and move.

// pollMsg asks tab for its next fetch (or, in a replay playing back
// through kept snapshots, its next step). It is dropped unless gen is the
// tab's current generation, so a timer armed before a pause, a resume, a
// speed change or a regroup does not start a second poll loop. once asks
// for one fetch while paused: stepping forward past the last snapshot of a
// replay reads the next one.
type pollMsg struct {
	tab  int
	gen  int
	once bool
}

// fetchedMsg carries a fetch's result. Results of an older generation are
// stale and dropped.
type fetchedMsg struct {
	tab    int
	gen    int
	sample poll.Sample
	err    error
}

// slowMsg comes a while after fetch seq of tab started: if that fetch is
// still running, the header spins.
type slowMsg struct {
	tab int
	seq int
}

// clockMsg refreshes the clock once a second: poll age, retry countdown,
// notices that expire.
type clockMsg struct{}

// exportedMsg carries the result of an export of tab.
type exportedMsg struct {
	tab  int
	path string
	err  error
}

// sourceMsg carries the source lines around a blocking frame.
type sourceMsg struct {
	key string
	src source
}

// changeMsg carries a change to the targets (Config.Changes); changesEnd
// says the channel is closed.
type changeMsg struct{ c Change }

type changesEndMsg struct{}
