// Package poll is how gorotop watches a target: one loop (Loop) that the
// terminal UI, check, record, snapshot and diff all drive. It fetches the
// target's goroutine dumps, as often as the target can bear, parses each
// under every grouping asked for, and files it with a tracker per grouping
// (track.Tracker); each poll comes back as one Sample: the snapshot, what
// the fetch was and cost, the pace that follows, and what the trackers
// knew then (track.View, which other goroutines may read while the next
// poll is filed). A newcomer follows one poll from the fetch to a row on
// screen through source (the bytes), this package (pace, parse, file),
// track (verdicts) and tui (the row).
//
// # Sparing the target
//
// A ?debug=2 goroutine dump stops the target's world while runtime/pprof
// writes every stack, and it retries with a doubled buffer from 1 MiB up
// to 64 MiB, walking every stack again each time: every other request of
// the target waits for all those walks, which grow with its goroutines. A
// ?debug=1 profile (counts per stack) is collected while the program
// runs, stopping the world only briefly. So a Poller takes a full dump
// only as often as a stall budget allows, and between full dumps polls the
// cheap profile, whose counts stackparse maps onto the last full dump's
// groups.
//
// The policy, in plain words: every poll is charged what it cost the
// target. A full dump is charged its response-header wait: net/http/pprof
// writes nothing until the last stopped-world walk is done, so the wait
// bounds the stall (it includes the runs between walks, so it is an upper
// bound). The network's round trip is no stall: where the target serves
// /debug/pprof/cmdline (answered at once), probes before and after each
// full dump measure it, and waits are charged net of the smallest of the
// latest probes, but never less than a quarter of the wait. A cheap poll
// is charged a tenth of its wait (CountsWeight):
// most of that wait is one goroutine's CPU work beside the running
// program. Cheap polls get at most half the budget (MaxShare, 1 % of wall
// time by default) and come every --interval unless their charge needs
// more; full dumps get the rest and come every max(--interval, stall /
// (budget − cheap share)): a 0.75 s dump with tiny cheap polls comes every
// 76 s or so. --interval is a floor. Where there is no cheap profile (a
// URL that is not net/http/pprof's), every poll is a full dump and the
// interval stretches to max(--interval, stall / budget). A dump cut at
// 64 MiB is completed from a cheap profile fetched right after it.
//
// The Policy is pure (the clock is a parameter); the Poller does the I/O.
package poll
