package e2e

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// shapeCase is a real process in a shape that real servers show, and
// `gorotop check` run against it at its default --interval and
// --max-stall, as a user would run it.
type shapeCase struct {
	name string
	// leaky is the command line of testdata/leaky, started after delay.
	leaky []string
	delay time.Duration
	// late is how long the process runs before the check starts.
	late   time.Duration
	forDur time.Duration
	// timeout, when set, is check's --timeout (one fetch).
	timeout time.Duration
	// observeEvery, when set, is the floor between the polls beside
	// check, in place of check's default --interval.
	observeEvery time.Duration
	// leak is the own function (see ownFunc) of the group check must
	// flag, suspected or rising; none for a healthy process (exit 0).
	// With confirm set it must be suspected: full dumps confirmed it.
	leak    string
	confirm bool
	// stuck are the own functions of the groups that must be stuck at
	// the end; no other group may be stuck at any poll.
	stuck []string
	// settled, when set, is when a healthy shape that grew has been flat
	// long enough, from the check's start: until then it may be marked,
	// as a leak that went on would be (steps 7 s apart that stopped 9 s
	// ago are what a step leak looks like between two steps); never after.
	settled time.Duration
}

// serverCases are the shapes of small servers (a few dozen goroutines,
// so a full dump at every poll): healthy ones a careless rule calls leaks
// or stuck, and a leak hidden among long-lived goroutines of its group.
var serverCases = []shapeCase{
	// Four clients connect 7 s apart, each opening 4 streams that stay
	// (etcd's LeaseKeepAlive): growth that stopped. The newcomers that
	// stay arrived over 14 s, from 7 s to 21 s: the growth has ended once
	// it has been flat as long, at about 37 s.
	{name: "steps that stop", leaky: []string{"-mode", "stepstop"}, forDur: time.Minute, settled: 45 * time.Second},
	// 1 → 4 helpers over 20 s (etcd's sendKeepAliveLoop), then no more:
	// 3 newcomers, fewer than a suspect needs, so never marked.
	{name: "lazy helpers", leaky: []string{"-mode", "lazy"}, forDur: time.Minute},
	// 20 write loops in sync.Cond.Wait, each woken every second
	// (nats-server's writeLoop): caught at the same line at every poll,
	// never blocked for a minute. Beside them 3 goroutines truly blocked
	// for good on a lock, for a minute when the check starts, which the
	// runtime says at every full dump: those, and only those, are stuck.
	{name: "busy condition waiters", leaky: []string{"-mode", "condwait,deadlock"}, late: time.Minute, forDur: time.Minute,
		stuck: []string{"main.deadlocked"}},
	// A main-like goroutine parked in select {} for good.
	{name: "select {}", leaky: []string{"-mode", "select"}, forDur: 90 * time.Second},
	// Connections leaked at 1 a second whose read loops wait at the line
	// where 5 long-lived connections' read loops wait too; those get a
	// message about every second and are sometimes caught handling it,
	// away from the group. Checked from the start, and from 75 s in.
	{name: "leak beside members that flap", leaky: []string{"-mode", "flap"}, forDur: time.Minute,
		leak: "main.connReader", confirm: true},
	{name: "leak beside members that flap, late", leaky: []string{"-mode", "flap"}, late: 75 * time.Second, forDur: time.Minute,
		leak: "main.connReader", confirm: true},
}

// bigCases are a big service: 100 000 goroutines parked for good, whose
// full dumps (20 MB) the stall budget spaces minutes apart, with cheap
// count-only polls every few seconds between. The story's leak (a
// goroutine per batch of 8 events: 40 events a second is 300 a minute,
// 400 is 3 000) must fail the check, named, within --for 150s, rising
// from the counts or confirmed; healthy shapes whose counts move must not.
//
// Their first full dumps stall the targets for a second or more each, so
// the cases start 10 s apart, and a fetch may take 30 s (a 20 MB dump on
// a loaded machine can take longer than the default 10 s). A ?debug=1
// poll of such a target costs it a tenth of a second and more, and the
// budget paces check's cheap polls by that cost: the polling beside takes
// them half as often, so as not to slow the target's answers to check.
var bigCases = []shapeCase{
	{name: "big, leak 300/min", leaky: []string{"-mode", "park,queue", "-queue-rate", "40"}, forDur: 150 * time.Second,
		timeout: 30 * time.Second, observeEvery: 4 * time.Second, leak: testproc.QueueFlush},
	{name: "big, leak 3 000/min", leaky: []string{"-mode", "park,queue", "-queue-rate", "400"}, forDur: 150 * time.Second,
		delay: 10 * time.Second, timeout: 30 * time.Second, observeEvery: 4 * time.Second, leak: testproc.QueueFlush},
	// A fixed pool, churn at 300/s, bursts of 200 every 5 s, a pool that
	// warms up over 20 s and holds, waiters that pile up for 20 s and are
	// released together every 30 s, and a backlog of 2 000 that drains at
	// 10/s.
	{name: "big, healthy", leaky: []string{"-mode", "park,pool,churn,burst,warmup,sawtooth,backlog"}, forDur: 150 * time.Second,
		delay: 20 * time.Second, timeout: 30 * time.Second, observeEvery: 4 * time.Second},
}

// TestCheckShapes runs `gorotop check --format json` at its default
// --interval and --max-stall against real processes in the shapes real
// servers show and against a big service, and checks its verdict: exit
// 1 naming the leak, exit 0 with nothing flagged for healthy shapes, and
// stuck groups only where the runtime says their goroutines have been
// blocked for a minute or more. Beside it, the same polling in this
// process (a poll.Loop at check's defaults) checks every poll, not only
// the last one: a healthy group is never marked (growth that stopped,
// once it has settled), nothing but c.stuck is ever stuck, and the leak,
// once marked, stays marked and ranked first; it notes when the leak was
// first marked rising and suspected.
//
// The cases mostly wait, so they all run at once, started from
// goroutines: about three minutes in all, beside the tests of other
// packages. The stall budget spaces cheap polls of a big target by what
// they cost it, so a target starved of CPU by other work is polled too
// seldom to judge, and check rightly says so (exit 3); such a case is
// skipped, saying so.
func TestCheckShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("watches live targets for up to 170 s, three of 100 000 goroutines")
	}
	bin := testproc.BuildGorotop(t)
	cases := slices.Concat(serverCases, bigCases)
	rows := make([]string, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				var skip string
				rows[i], skip = c.run(t, bin)
				if skip != "" {
					t.Skip(skip)
				}
			})
		})
	}
	wg.Wait()
	rows = slices.DeleteFunc(rows, func(r string) bool { return r == "" })
	t.Logf("case | exit | verdict | flagged (count, reason) | stuck | beside: leak first marked | first suspected | not marked after | a healthy group last marked | polls (full/cheap) | stall share\n%s",
		strings.Join(rows, "\n"))
}

// observeAfter is how long after check the polling beside it starts.
const observeAfter = 5 * time.Second

// run runs one case and returns its row of the table, and why the case
// could not be judged, if it could not: the stall budget spaces the
// cheap polls of a big target by what they cost it, so on a machine so
// loaded that its answers take half a second and more they come too
// seldom to show a climb, and check rightly says it could not judge
// (exit 3, "cheap polls every 11s" on this project's machine at a load of
// 20).
func (c shapeCase) run(t *testing.T, bin string) (row, skip string) {
	time.Sleep(c.delay)
	addr := testproc.StartLeaky(t, c.leaky...)
	time.Sleep(c.late)

	ctx, cancel := context.WithTimeout(context.Background(), c.forDur+2*time.Minute)
	defer cancel()
	start := time.Now()
	args := []string{"check", "--format", "json", "--for", c.forDur.String()}
	if c.timeout > 0 {
		args = append(args, "--timeout", c.timeout.String())
	}
	cmd := exec.CommandContext(ctx, bin, append(args, addr)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	obsCtx, stopObs := context.WithTimeout(ctx, c.forDur)
	defer stopObs()
	seen := make(chan verdicts, 1)
	go func() {
		// Not at once: two full dumps of a big target at the same
		// moment stall it twice as long, and the leak with it.
		time.Sleep(observeAfter)
		seen <- watchVerdicts(obsCtx, addr, start, c)
	}()

	code, report := testproc.WaitReport(t, cmd, &out, &errOut)
	obs := <-seen

	// What check says at the end.
	wantCode, wantVerdicts := 0, []string{string(track.Clean)}
	switch {
	case c.confirm:
		wantCode, wantVerdicts = 1, []string{string(track.Leak)}
	case c.leak != "":
		wantCode, wantVerdicts = 1, []string{string(track.Leak), string(track.Rising)}
	}
	starved := code == 3 && strings.Contains(errOut.String(), "cheap polls every")
	if starved {
		skip = "the machine is too loaded to judge a big target within the stall budget: " + strings.TrimSpace(errOut.String())
	}
	if !starved && (code != wantCode || !slices.Contains(wantVerdicts, report.Verdict)) {
		t.Errorf("exit %d, verdict %q; want exit %d, verdict %s; stderr %q", code, report.Verdict, wantCode, strings.Join(wantVerdicts, " or "), errOut.String())
	}
	var flagged, stuck []string
	leaks := 0
	for _, g := range report.Groups {
		tr := g.Trend
		if tr == nil {
			t.Errorf("group %s has no trend", g.Key)
			continue
		}
		fn := ownFunc(g.Frames)
		if tr.Suspect && tr.Rising {
			t.Errorf("%s (%s): both suspect and rising", fn, g.Key)
		}
		if tr.Suspect || tr.Rising || tr.Proven {
			flagged = append(flagged, fmt.Sprintf("%s %s (%d, %s)", markOf(tr), stackparse.ShortFunc(fn), g.Count, tr.Reason))
			switch {
			case fn != c.leak:
				t.Errorf("flagged %s (%s): %s, which is not a leak here (counts %v)", fn, g.Key, tr.Reason, tail(tr.Counts))
			case c.confirm && !tr.Suspect:
				t.Errorf("the leak %s is %s, not confirmed: %s (counts %v)", fn, markOf(tr), tr.Reason, tail(tr.Counts))
			default:
				leaks++
			}
		}
		if tr.Stuck {
			stuck = append(stuck, fmt.Sprintf("%s (%d, %s)", stackparse.ShortFunc(fn), g.Count, tr.Reason))
		}
		if tr.Stuck != slices.Contains(c.stuck, fn) {
			t.Errorf("%s (%s, %s, waits %d–%d min): stuck %v, want %v", fn, g.Key, g.State, g.WaitMinutes.Min, g.WaitMinutes.Max, tr.Stuck, !tr.Stuck)
		}
	}
	// The leak may show as two groups of one stack: a ?debug=1 poll
	// counts stacks, not states, and its counts are shared out among the
	// groups of that stack at the last full dump (stackparse's Estimate),
	// so a leak whose first full dump caught one goroutine just started
	// (runnable) and one waiting gives each half of its growth.
	if c.leak != "" && leaks == 0 && !starved {
		t.Errorf("no group of %s flagged", c.leak)
	}
	for _, fn := range c.stuck {
		if !slices.ContainsFunc(report.Groups, func(g export.Group) bool { return ownFunc(g.Frames) == fn }) {
			t.Errorf("no group of %s in the report", fn)
		}
	}

	// What the polling beside saw at every poll.
	switch {
	case obs.err != nil && starved:
		t.Logf("polling beside check: %v", obs.err)
	case obs.err != nil:
		t.Errorf("polling beside check: %v", obs.err)
	}
	for _, n := range obs.notes {
		t.Log(n)
	}
	for _, p := range obs.problems {
		t.Error(p)
	}
	switch {
	case c.leak != "" && obs.marked < 0 && obs.judged:
		t.Errorf("the tracker beside never marked %s", c.leak)
	case !obs.judged:
		t.Logf("the polling beside could not judge: %d polls (%d cheap), %d failed", obs.polls, obs.cheap, obs.failed)
	}
	if obs.dropNote != "" {
		t.Errorf("%s; dropped at %d polls in all", obs.dropNote, len(obs.dropped))
	}
	if obs.failed > 0 {
		t.Logf("%d polls beside check failed, the latest: %v", obs.failed, obs.lastErr)
	}
	if t.Failed() {
		t.Logf("gorotop check output:\n%s\nstderr: %s", out.String(), errOut.String())
	}

	at := func(d time.Duration) string {
		if d < 0 {
			return "—"
		}
		return fmt.Sprintf("%.0fs", d.Seconds())
	}
	name := c.name
	if c.late > 0 {
		name += fmt.Sprintf(" (check %v after the start)", c.late)
	}
	dropped := "—"
	if n := len(obs.dropped); n > 0 {
		dropped = fmt.Sprintf("%d polls, %s–%s", n, at(obs.dropped[0]), at(obs.dropped[n-1]))
	}
	row = fmt.Sprintf("%s: %s, check --for %v | %d | %s | %s | %s | %s | %s | %s | %s | %d (%d/%d) | %.2f %%",
		name, strings.Join(c.leaky, " "), c.forDur, code, report.Verdict,
		cmp.Or(strings.Join(flagged, "; "), "none"), cmp.Or(strings.Join(stuck, "; "), "none"),
		at(obs.marked), at(obs.suspected), dropped, at(obs.healthy), obs.polls, obs.polls-obs.cheap, obs.cheap, 100*obs.share)
	return row, skip
}

// markOf names a flagged group's mark.
func markOf(tr *export.Trend) string {
	switch {
	case tr.Suspect:
		return "suspect"
	case tr.Rising:
		return "rising"
	case tr.Proven:
		return "proven"
	}
	return "none"
}

// ownFunc is the innermost function of a stack that is this module's
// (testdata/leaky's main, or the demo's queue): what tells groups apart
// where the blocking frame is the standard library's (a connection's
// read), or "" if none is.
func ownFunc(frames []stackparse.Frame) string {
	for _, f := range frames {
		if strings.HasPrefix(f.Func, "main.") || strings.HasPrefix(f.Func, "github.com/gorotop/gorotop/") {
			return f.Func
		}
	}
	return ""
}

// tail returns the latest counts, for failure messages.
func tail(counts []int) []int { return counts[max(len(counts)-40, 0):] }

// verdicts is what polling a target in this process, as check polls it,
// saw of the tracker's verdicts at every poll.
type verdicts struct {
	// marked and suspected are when the leak was first marked (rising or
	// suspected) and first suspected, from the start of the check; -1 if
	// never.
	marked, suspected time.Duration
	// healthy is the last time a healthy group was marked, -1 if never.
	healthy time.Duration
	// dropped are the polls after the first mark where the leak was not
	// marked, and dropNote what the first of them saw.
	dropped      []time.Duration
	dropNote     string
	polls, cheap int
	share        float64  // the stall share at the last poll
	notes        []string // what the target did that the verdicts followed
	problems     []string
	// judged says whether its polls could have shown a leak at the end
	// (track.Tracker.Judged).
	judged bool
	// failed counts the polls that failed, and lastErr says why the
	// latest did; err is set when no poll succeeded.
	failed       int
	lastErr, err error
}

// watchVerdicts polls addr until ctx ends as check does, at its default
// --max-stall and --interval (or c.observeEvery), into a tracker, and checks the verdicts of
// every poll against c: no group but the leak marked, the leak ranked
// first once marked and never dropped after, no group stuck but c.stuck.
func watchVerdicts(ctx context.Context, addr string, start time.Time, c shapeCase) verdicts {
	v := verdicts{marked: -1, suspected: -1, healthy: -1}
	tg, err := source.ParseTarget(addr)
	if err != nil {
		v.err = err
		return v
	}
	src, err := source.Open(tg, source.Options{Timeout: c.timeout})
	if err != nil {
		v.err = err
		return v
	}
	l := poll.NewLoop(src, poll.Options{Interval: cmp.Or(c.observeEvery, poll.DefaultInterval), MaxShare: poll.DefaultMaxShare})
	defer l.Close()
	var view *track.View
	// blocked holds the groups of the latest full dump whose every
	// goroutine the runtime said had waited a minute or more.
	blocked := map[string]bool{}
	problem := func(format string, args ...any) {
		if len(v.problems) < 10 {
			v.problems = append(v.problems, fmt.Sprintf(format, args...))
		}
	}
	for {
		smp, err := l.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			v.failed++
			v.lastErr = err
			continue
		}
		view = smp.View()
		if !smp.Snap.CountOnly {
			clear(blocked)
			for _, g := range smp.Snap.Groups {
				blocked[g.Key] = runtimeSaysBlocked(g)
			}
		}
		v.polls, v.cheap = l.Polls()
		v.share = smp.Pace.Share
		elapsed := smp.Meta.At.Sub(start).Round(100 * time.Millisecond)
		leakMarked := false
		for i, trend := range view.Trends() {
			if !trend.Present || trend.Group == nil {
				continue
			}
			fn := ownFunc(trend.Group.Frames)
			marked := trend.Rising || trend.Suspect
			switch {
			case marked && fn != c.leak:
				v.healthy = elapsed
				if elapsed >= c.settled {
					problem("at %v: %s (%s) marked: %s (counts %v)", elapsed, fn, trend.Key, trend.Reason, counts(trend.History))
				}
			case marked:
				leakMarked = true
				if v.marked < 0 {
					v.marked = elapsed
				}
				if trend.Suspect && v.suspected < 0 {
					v.suspected = elapsed
				}
				if i != 0 {
					problem("at %v: the leak %s marked but ranked %d", elapsed, fn, i+1)
				}
			}
			if trend.Stuck && !slices.Contains(c.stuck, fn) {
				// Stuck follows the runtime's wait minutes. Where the
				// dump itself says each goroutine has waited a minute,
				// the target was not run for that long (seen once, on
				// a machine loaded with three big targets beside):
				// gorotop said what the runtime said.
				if blocked[trend.Key] {
					v.notes = append(v.notes, fmt.Sprintf("at %v: %s stuck, the runtime itself printing a wait of a minute or more on each: %s", elapsed, fn, trend.Reason))
				} else {
					problem("at %v: %s (%s) stuck: %s", elapsed, fn, trend.Key, trend.Reason)
				}
			}
		}
		if v.marked >= 0 && !leakMarked {
			v.dropped = append(v.dropped, elapsed)
			if len(v.dropped) > 1 {
				continue
			}
			var h []string
			for _, trend := range view.Trends() {
				if trend.Group != nil && ownFunc(trend.Group.Frames) == c.leak {
					h = append(h, fmt.Sprintf("%s %s: net %d, kept %d, born %d, exited %d, moved in %d, out %d: %s",
						trend.Group.State, trend.Key, trend.Net, trend.Kept, trend.Born, trend.Exited, trend.MovedIn, trend.MovedOut,
						pointsOf(trend.History, start)))
				}
			}
			v.dropNote = fmt.Sprintf("at %v: the leak %s, marked at %v, dropped (counts at seconds: %s)", elapsed, c.leak, v.marked, strings.Join(h, "; "))
		}
	}
	if v.polls == 0 {
		v.err = v.lastErr
	}
	v.judged = view != nil && view.Judged()
	return v
}

// counts lists the latest counts of a history, for failure messages.
func counts(h []track.Point) []int {
	out := make([]int, 0, 40)
	for _, p := range h[max(len(h)-40, 0):] {
		out = append(out, p.Count)
	}
	return out
}

// pointsOf lists the latest points of a history as count@seconds from
// start, for failure messages.
func pointsOf(h []track.Point, start time.Time) string {
	var b strings.Builder
	for _, p := range h[max(len(h)-40, 0):] {
		fmt.Fprintf(&b, " %d@%.1f", p.Count, p.At.Sub(start).Seconds())
	}
	return strings.TrimSpace(b.String())
}

// runtimeSaysBlocked reports whether the dump gave every goroutine of g a
// wait of a minute or more.
func runtimeSaysBlocked(g *stackparse.Group) bool {
	for _, gr := range g.Goroutines {
		if gr.WaitMinutes < 1 {
			return false
		}
	}
	return len(g.Goroutines) > 0
}
