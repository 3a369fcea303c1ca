package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

const checkUsage = `Usage: gorotop check [flags] TARGET

Watch TARGET headless for --for, polling every --interval, then report the
groups suspected of leaking. Exit status: 0 no leak, and the polls could
have shown one; 1 a group is suspected, rising (its count climbed across
the polls, not yet confirmed by full dumps) or proven leaked (each is
named); 2 unreachable target or unusable input; 3 the polls could not
have shown a leak (too few, or too far apart: it says how long to run).
What a load test or a CI job runs.

A live target is spared as in the UI (--max-stall): cheap ?debug=1 polls
come between full dumps when full dumps are dear. A Go 1.26+ target built
with GOEXPERIMENT=goroutineleakprofile also gives proof: the first and the
last poll (and one a minute) come from /debug/pprof/goroutineleak, and
groups the runtime proved leaked are reported, and fail the check, too.

A directory of dumps or a stream on standard input is checked as the time
series it holds.

A Kubernetes target (k8s:deploy/api and the like: see 'gorotop help') is
every pod behind it, each watched through kubectl port-forward on its own,
concurrently: the check fails if any pod leaks or rises, and the report
says, pod by pod, which. Pods replaced during the check are watched from
when they come, and those that go are judged on what they showed; a pod
watched too briefly is not judged, and the report names it. The check is
not judged (3) only when no pod was. --format is text or json (a
gorotop/fleet/v1 document: the verdict, and each pod's with its report).

--metrics ADDR serves what the check sees as Prometheus metrics while it
runs (see 'gorotop watch --help').

--format text (the default) prints the verdict for people; json writes the
last snapshot with every group's trend; html writes a page with each
group's chart over the run, for a ticket; pprof writes the last snapshot
for go tool pprof, each group's verdict in its labels. The exit status is
the same whatever the format.

Examples:
  gorotop check --for 2m :6060
  gorotop check --for 20s --interval 500ms --format json -o leaks.json :6060
  gorotop check --for 5m --format html -o check.html :6060
  gorotop check --for 5m k8s:deploy/api
  gorotop check ./dumps/
`

func runCheck(ctx context.Context, o options, rest []string, e env) error {
	target, err := oneTarget("check", rest)
	if err != nil {
		return err
	}
	if o.interval <= 0 || o.forDur <= 0 {
		return usagef("check", "--interval and --for must be positive")
	}
	ms, err := o.serveMetrics(ctx, "check", e.stderr)
	if err != nil {
		return err
	}
	defer ms.Close()
	if kube.IsTarget(target) {
		return checkFleet(ctx, o, target, ms, e.stdout, e.stderr)
	}
	l, format, err := o.open("check", target, e.stdin, poll.Options{Stream: true})
	if err != nil {
		return err
	}
	defer l.Close()
	name := l.Source().String()
	var warned warnings
	last, err := poll.Watch(ctx, l, o.forDur, func(s poll.Sample, err error) error {
		if err == nil {
			ms.observe(name, s)
			warned.add(s)
		}
		return nil
	})
	printWarnings(e.stderr, l.Source())
	if err != nil {
		return err
	}
	if format.Binary() && (o.output == "" || o.output == "-") && isTerminal(e.stdout) {
		return usagef("check", "--format %s is binary: write it to a file with -o FILE", format)
	}
	v := last.View()
	in := export.Input{Source: last.Meta.Source, TakenAt: last.Meta.At, Snap: last.Snap, History: v, Polls: l.Log()}
	err = writeOutput(ctx, o.output, o.force, e.stdout, func(w io.Writer) error {
		if format == export.FormatText {
			all, cheap := l.Polls()
			return checkReport(w, in, pollsText(all, cheap, last), warned)
		}
		// JSON, the HTML page (each group's chart over the run) or a
		// pprof profile of the last snapshot with each group's verdict
		// in its labels.
		return export.Write(w, format, in)
	})
	if err != nil {
		return err
	}
	switch v.Verdict() {
	case track.Leak, track.Rising:
		return &leakError{n: len(v.Suspects()) + len(v.Rises()) + len(provenOnly(v))}
	case track.NotJudged:
		return &notJudgedError{msg: notJudged(v, last, o.forDur, l.Source().Live())}
	}
	return nil
}

// checkReport prints the verdict of a check for people. It reports a
// failed write (a full disk), so that -o never leaves a cut report.
func checkReport(out io.Writer, in export.Input, polls string, warned warnings) error {
	w := bufio.NewWriter(out)
	suspects, rises, proven := in.History.Suspects(), in.History.Rises(), provenOnly(in.History)
	fmt.Fprintf(w, "gorotop check of %s: %s, %s goroutines in %d groups at the end\n",
		stackparse.Clean(in.Source, 0), polls, human.Count(in.Snap.Total), len(in.Snap.Groups))
	if lacks := in.Snap.Format.Lacks(); lacks != "" {
		fmt.Fprintf(w, "read from %s\n", lacks)
	}
	if warn := in.History.Warning(); warn != "" {
		fmt.Fprintf(w, "note: %s\n", warn)
	}
	for _, warn := range warned.latest {
		fmt.Fprintf(w, "warning (%d of %d polls): %s\n", warned.polls, warned.of, stackparse.Clean(warn, 0))
	}
	switch verdict := in.History.Verdict(); {
	case verdict == track.NotJudged:
		fmt.Fprintln(w, "could not judge: the polls could not have shown a leak")
	case verdict == track.Clean:
		fmt.Fprintln(w, "no suspected leak")
	case len(suspects) > 0:
		fmt.Fprintf(w, "%d suspected leak(s):\n", len(suspects))
	case len(rises) == 0:
		fmt.Fprintln(w, "no group suspected from its growth")
	}
	for _, tr := range suspects {
		reportGroup(w, "LEAK", tr)
	}
	if len(rises) > 0 {
		fmt.Fprintf(w, "%d group(s) rising, their counts climbing across the polls, not yet confirmed by full dumps:\n", len(rises))
	}
	for _, tr := range rises {
		reportGroup(w, "RISING", tr)
	}
	if len(proven) > 0 {
		fmt.Fprintf(w, "%d group(s) the runtime proved leaked (goroutineleak profile), not yet suspected by their growth:\n", len(proven))
	}
	for _, tr := range proven {
		reportGroup(w, "PROVEN", tr)
	}
	return w.Flush()
}

// warnings keeps what the dumps of a check warned of (a bound hit, a
// dump cut, lines not read): those of the latest poll that warned, and
// how many polls did.
type warnings struct {
	latest    []string
	polls, of int
}

func (w *warnings) add(s poll.Sample) {
	w.of++
	if s.Snap != nil && len(s.Snap.Warnings) > 0 {
		w.latest = s.Snap.Warnings
		w.polls++
	}
}

// reportGroup prints one group of a check's verdict.
func reportGroup(w io.Writer, verdict string, tr *track.Trend) {
	g := tr.Group
	top := g.Top()
	fmt.Fprintf(w, "  %s %s goroutines  %s  %s  %s\n       %s\n", verdict, human.Count(tr.Count), g.State, top.Site(), top.Func, tr.Reason)
	if why := tr.NotSuspected(); tr.Rising && why != "" {
		fmt.Fprintf(w, "       not confirmed: %s\n", why)
	}
	if g.CreatedBy != nil {
		fmt.Fprintf(w, "       created by %s  %s\n", g.CreatedBy.Func, g.CreatedBy.Site())
	}
}

// notJudged says why the polls of a check could not have shown a leak,
// and how long a check of a live target would need. Counts of polls of
// any kind show a rising group once they span Options.RiseFor, each a
// third of it after the one before at most; the goroutine IDs of full
// dumps show a suspect once four of them or more span Options.Sustain
// after the first.
func notJudged(tr *track.View, last poll.Sample, span time.Duration, live bool) string {
	o := tr.Options()
	needs := fmt.Sprintf("a verdict needs polls over %s no more than %s apart, or 4 full dumps over %s", o.RiseFor, o.RiseFor/3, o.Sustain)
	if !live {
		return "could not judge: the input's snapshots could not have shown a leak; " + needs
	}
	totals := tr.Totals()
	dumps := fmt.Sprintf("%d full dumps", len(totals))
	if len(totals) == 1 {
		dumps = "1 full dump"
	}
	if rs := tr.Restarts(); len(rs) > 0 {
		// The window never reaches back across a restart: what came
		// before it says nothing of the process that runs now.
		return fmt.Sprintf("could not judge: the target restarted %s before the end of --for %s (as the dumps tell it), and the polls since could not have shown a leak; %s since the restart; run it again, or longer",
			human.Age(last.Meta.At.Sub(rs[len(rs)-1])), span, needs)
	}
	msg := fmt.Sprintf("could not judge: --for %s took %s", span, dumps)
	pace := span
	switch p := last.Pace; {
	case p.CountsEvery > 0:
		pace = p.CountsEvery
		msg += fmt.Sprintf(" and cheap polls every %s", human.Pace(pace))
	case p.FullEvery > 0:
		pace = p.FullEvery
		msg += fmt.Sprintf(", one every %s", human.Pace(pace))
	}
	msg += "; " + needs
	need := o.RiseFor + 2*pace
	if pace > o.RiseFor/3 {
		need = 4*pace + o.Sustain
		msg += "; run it --for " + need.Round(10*time.Second).String() + " or more, or raise --max-stall"
		return msg
	}
	need = max(need, span+pace) + time.Second - 1
	return msg + "; run it --for " + need.Truncate(time.Second).String() + " or more"
}

// pollsText says how many polls a check took and, when it spared the
// target, how many were cheap and what share of the time they stalled it.
func pollsText(polls, cheap int, last poll.Sample) string {
	text := fmt.Sprintf("%d polls", polls)
	if last.Pace.FullEvery == 0 {
		return text // not polled live
	}
	if cheap > 0 {
		text += fmt.Sprintf(" (%d full, %d cheap ?debug=1)", polls-cheap, cheap)
	}
	return text + ", the target stalled " + human.ReportPercent(last.Pace.Share) + " of the time"
}

// provenOnly returns the groups the runtime proved leaked that are not
// suspects: a check reports them apart, and fails on them too.
func provenOnly(tr *track.View) []*track.Trend {
	var out []*track.Trend
	for _, t := range tr.Trends() {
		if t.Proven && !t.Suspect {
			out = append(out, t)
		}
	}
	return out
}
