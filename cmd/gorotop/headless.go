package main

import (
	"context"
	"fmt"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

const watchUsage = `Usage: gorotop watch --metrics ADDR [flags] TARGET...

Watch TARGETs headless until stopped (ctrl-c or SIGTERM), polling each as
the UI does (the stall budget included), and serve what gorotop sees at
http://ADDR/metrics for Prometheus (OpenMetrics, or the Prometheus text
format): per target its goroutines, groups, groups per verdict, what
polling costs it and its stall share; per group (the 20 largest, and up to
100 more with a verdict) its goroutines, growth per minute, and suspect,
rising, proven and stuck as 0 or 1. Every series is prefixed gorotop_ and
labelled with the target; a group's also with its key, function, site and
state.

A Kubernetes target is every pod behind it, each a target of its own
named k8s:pod/NAME -n NAMESPACE, watched as the pod comes and dropped
when it goes (a pod with no pod running yet is waited for). Standard
error gets a line for each pod that comes or goes, each problem, each
target whose polls start failing or succeed again, and each change of
verdict.

ADDR is host:port or :port (every interface: the metrics name functions
and files of the targets' code).

Examples:
  gorotop watch --metrics :9464 k8s:deploy/api
  gorotop watch --metrics 127.0.0.1:9464 --interval 10s :6060 http://10.0.0.7:6060
  gorotop watch --metrics :9464 'k8s:sts/db -n shop' k8s:deploy/api
`

// runHeadless is gorotop watch: the targets' metrics, until stopped.
func runHeadless(ctx context.Context, o options, rest []string, e env) error {
	switch {
	case len(rest) == 0:
		return usagef("watch", "no TARGET given")
	case o.metrics == "":
		return usagef("watch", "give --metrics ADDR: watch serves what it sees there, such as --metrics :9464")
	case o.interval <= 0:
		return usagef("watch", "--interval must be positive")
	}
	if _, err := stackparse.ParseGrouping(o.group); err != nil {
		return usagef("watch", "--group: %v", err)
	}
	ms, err := o.serveMetrics(ctx, "watch", e.stderr)
	if err != nil {
		return err
	}
	defer ms.Close()
	log := lineLog(e.stderr)
	// What each member's log last said: its failure, its verdict.
	failing := map[*member]string{}
	verdicts := map[*member]track.Verdict{}
	r := &roster{
		open: func(m *member) (*poll.Loop, error) {
			l, _, err := o.open("watch", m.addr, e.stdin, poll.Options{Stream: true})
			if err == nil && m.fleet == "" {
				m.name = l.Source().String()
			}
			return l, err
		},
		each: func(m *member, s poll.Sample, err error) error {
			if err != nil {
				if msg := oneLine(err.Error()); msg != failing[m] {
					failing[m] = msg
					log(m, msg)
				}
				return nil
			}
			if failing[m] != "" {
				delete(failing, m)
				log(m, "polls succeed again")
			}
			ms.observe(m.name, s)
			if v := s.View(); v != nil {
				if verdict := v.Verdict(); verdict != verdicts[m] {
					if verdicts[m] != "" || verdict != track.NotJudged {
						log(m, verdictLine(v))
					}
					verdicts[m] = verdict
				}
			}
			return nil
		},
		event: log,
		left: func(m *member) {
			ms.forget(m.name)
			delete(failing, m)
			delete(verdicts, m)
		},
	}
	return runFleets(ctx, r, rest, true)
}

// verdictLine says a target's verdict, and which groups make it.
func verdictLine(v *track.View) string {
	verdict := v.Verdict()
	var flagged []*track.Trend
	switch verdict {
	case track.Leak:
		flagged = append(v.Suspects(), provenOnly(v)...)
	case track.Rising:
		flagged = v.Rises()
	}
	line := string(verdict)
	for i, tr := range flagged {
		if i == 3 {
			line += fmt.Sprintf(" and %d more", len(flagged)-i)
			break
		}
		sep := ";"
		if i == 0 {
			sep = ":"
		}
		top := tr.Group.Top()
		line += fmt.Sprintf("%s %s at %s (%s) %+.1f/min", sep, top.Func, top.Site(), tr.Group.State, tr.GrowthPerMin)
	}
	return line
}
