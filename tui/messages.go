package tui

// pollMsg asks for the next fetch. It is dropped unless gen is the
// model's current generation, so a timer armed before a pause, a resume or
// a regroup does not start a second poll loop.
type pollMsg struct{ gen int }

// fetchedMsg carries a fetch's result. Results of an older generation are
// stale and dropped.
type fetchedMsg struct {
	gen    int
	sample Sample
	err    error
}

// clockMsg refreshes the clock once a second: poll age, retry countdown,
// notices that expire.
type clockMsg struct{}

// exportedMsg carries the result of an export.
type exportedMsg struct {
	path string
	err  error
}

// sourceMsg carries the source lines around a blocking frame.
type sourceMsg struct {
	key string
	src source
}
