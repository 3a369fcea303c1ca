package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// A check of a Kubernetes target watches every pod behind it for --for,
// a loop each, concurrently, and judges each pod on its own: the check
// fails if any pod leaks (or rises), naming it. A pod that came during
// the check (a rollout, a restart elsewhere) is watched from then on and
// may not have been watched long enough to be judged; so may a pod that
// went early. The check is not judged only when no pod was judged: a
// clean verdict on the others says nothing about such a pod, and the
// report and a warning name it. In a rollout, a pod that came may run
// other code than those it replaced: the report says to check again.

// podCheck is one pod's part in a check of a fleet.
type podCheck struct {
	m       *member
	verdict track.Verdict // "" when no poll succeeded
	watched time.Duration
	late    time.Duration // how far into the check it came
}

// judged reports whether the pod's polls could have shown a leak.
func (p podCheck) judged() bool { return p.verdict != "" && p.verdict != track.NotJudged }

// fleetVerdict is the verdict on every pod: the worst (leak, rising),
// else clean when any pod was judged, else not judged.
func fleetVerdict(pods []podCheck) track.Verdict {
	verdict := track.NotJudged
	for _, p := range pods {
		switch {
		case p.verdict == track.Leak:
			return track.Leak
		case p.verdict == track.Rising:
			verdict = track.Rising
		case p.verdict == track.Clean && verdict == track.NotJudged:
			verdict = track.Clean
		}
	}
	return verdict
}

// checkFleet is check of a Kubernetes target.
func checkFleet(ctx context.Context, o options, target string, ms *metricsServer, stdout, stderr io.Writer) error {
	if _, err := stackparse.ParseGrouping(o.group); err != nil {
		return usagef("check", "--group: %v", err)
	}
	format, err := export.ParseFormat(o.format)
	if err != nil {
		return usagef("check", "--format: %v", err)
	}
	if format != export.FormatText && format != export.FormatJSON {
		return usagef("check", "--format %s: a Kubernetes target is checked pod by pod, in text or json; for a %s of one pod, check k8s:pod/NAME", format, format)
	}
	start := time.Now()
	r := &roster{
		end:      start.Add(o.forDur),
		keepGone: true,
		open: func(m *member) (*poll.Loop, error) {
			l, _, err := o.open("check", m.addr, nil, poll.Options{})
			return l, err
		},
		each: func(m *member, s poll.Sample, err error) error {
			if err == nil {
				ms.observe(m.name, s)
			}
			return nil
		},
		event: lineLog(stderr),
		left:  func(m *member) { ms.forget(m.name) },
	}
	if err := runFleets(ctx, r, []string{target}, false); err != nil {
		return err
	}
	var pods []podCheck
	var failed error
	for _, m := range r.all() {
		p := podCheck{m: m, late: m.joined.Sub(start)}
		end := m.ended
		if !m.left.IsZero() {
			end = m.left
		}
		p.watched = end.Sub(m.joined)
		if v := m.last.View(); m.last.Snap != nil && v != nil {
			p.verdict = v.Verdict()
		} else if failed == nil {
			failed = m.err
		}
		pods = append(pods, p)
	}
	canonical := target
	if t, err := kube.ParseTarget(target); err == nil {
		canonical = t.String()
	}
	if len(pods) == 0 {
		msg := "no pod of " + canonical + " could be watched"
		if p := r.problems[canonical]; p != "" {
			msg += ": " + p
		}
		return errors.New(msg)
	}
	verdict := fleetVerdict(pods)
	if verdict == track.NotJudged && failed != nil && !anyDump(pods) {
		return failed // no pod gave a single dump: unreachable
	}
	err = writeOutput(ctx, o.output, o.force, stdout, func(w io.Writer) error {
		if format == export.FormatJSON {
			return export.FleetJSON(w, canonical, string(verdict), fleetPods(pods))
		}
		return fleetReport(w, canonical, o.forDur, verdict, pods)
	})
	if err != nil {
		return err
	}
	var unjudged []string
	leaks := 0
	for _, p := range pods {
		if !p.judged() {
			unjudged = append(unjudged, p.m.pod.Name)
		}
		if v := p.m.last.View(); v != nil && (p.verdict == track.Leak || p.verdict == track.Rising) {
			leaks += len(v.Suspects()) + len(v.Rises()) + len(provenOnly(v))
		}
	}
	switch verdict {
	case track.Leak, track.Rising:
		return &leakError{n: leaks}
	case track.NotJudged:
		return &notJudgedError{msg: fmt.Sprintf("could not judge any of the %s of %s: the polls could not have shown a leak; run it --for longer", plural(len(pods), "pod"), canonical)}
	}
	if len(unjudged) > 0 {
		fmt.Fprintf(stderr, "gorotop: warning: %d of %s not judged (%s): the others are clean; see the report\n", len(unjudged), plural(len(pods), "pod"), strings.Join(unjudged, ", "))
	}
	return nil
}

// anyDump reports whether any pod gave a dump.
func anyDump(pods []podCheck) bool {
	for _, p := range pods {
		if p.verdict != "" {
			return true
		}
	}
	return false
}

// fleetPods describes the pods for the JSON report.
func fleetPods(pods []podCheck) []export.Pod {
	var out []export.Pod
	for _, p := range pods {
		m := p.m
		ep := export.Pod{
			Name: m.pod.String(), UID: m.pod.UID, Target: m.name, Verdict: string(p.verdict),
			Joined: m.joined, Left: m.left, Watched: p.watched,
		}
		if p.verdict == "" {
			ep.Verdict, ep.Err = "error", m.err
			if ep.Err == nil {
				ep.Err = errors.New("no poll succeeded")
			}
		} else {
			s := m.last
			ep.In = export.Input{Source: m.name, TakenAt: s.Meta.At, Snap: s.Snap, History: s.View(), Polls: m.loop.Log()}
		}
		out = append(out, ep)
	}
	return out
}

// fleetReport prints the verdict of a check of a fleet for people: a line
// per pod, then each pod's report.
func fleetReport(out io.Writer, target string, span time.Duration, verdict track.Verdict, pods []podCheck) error {
	w := bufio.NewWriter(out)
	counts := map[string]int{}
	for _, p := range pods {
		counts[podStatus(p)]++
	}
	var parts []string
	for _, s := range []string{"LEAK", "RISING", "clean", "not judged", "no dump"} {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, statusWords[s]))
		}
	}
	fmt.Fprintf(w, "gorotop check of %s: %s over %s: %s\n", stackparse.Clean(target, 0), plural(len(pods), "pod"), span, strings.Join(parts, ", "))
	late := false
	for _, p := range pods {
		fmt.Fprintf(w, "  %-10s  %s%s\n", podStatus(p), stackparse.Clean(p.m.pod.Name, 0), podNote(p))
		late = late || p.late > time.Second && !p.judged()
	}
	if late {
		fmt.Fprintln(w, "  A pod not judged was not watched long enough: one that came during the check (a rollout) may run other code than those it replaced; check it again.")
	}
	if verdict == track.NotJudged {
		fmt.Fprintln(w, "could not judge any pod: the polls could not have shown a leak")
	}
	for _, p := range pods {
		fmt.Fprintf(w, "\npod %s (%s)%s:\n", stackparse.Clean(p.m.pod.Name, 0), stackparse.Clean(p.m.name, 0), podNote(p))
		if p.verdict == "" {
			err := p.m.err
			if err == nil {
				err = errors.New("no poll succeeded")
			}
			fmt.Fprintf(w, "no goroutine dump: %s\n", oneLine(err.Error()))
			continue
		}
		s := p.m.last
		all, cheap := p.m.loop.Polls()
		in := export.Input{Source: p.m.name, TakenAt: s.Meta.At, Snap: s.Snap, History: s.View()}
		if err := checkReport(w, in, pollsText(all, cheap, s), p.m.warned); err != nil {
			return err
		}
		if p.verdict == track.NotJudged {
			fmt.Fprintf(w, "%s\n", notJudged(s.View(), s, p.watched.Round(time.Second), true))
		}
	}
	return w.Flush()
}

// statusWords say how many pods have a status: "2 leaking".
var statusWords = map[string]string{"LEAK": "leaking", "RISING": "rising", "clean": "clean", "not judged": "not judged", "no dump": "without a dump"}

// podStatus is a pod's verdict in a word or two.
func podStatus(p podCheck) string {
	switch p.verdict {
	case track.Leak:
		return "LEAK"
	case track.Rising:
		return "RISING"
	case track.Clean:
		return "clean"
	case track.NotJudged:
		return "not judged"
	}
	return "no dump"
}

// podNote says when a pod came and went, when not with the check.
func podNote(p podCheck) string {
	var notes []string
	if p.late > time.Second {
		notes = append(notes, fmt.Sprintf("came %s into the check", p.late.Round(time.Second)))
	}
	if !p.m.left.IsZero() {
		notes = append(notes, "gone before the end")
	}
	if len(notes) == 0 {
		return ""
	}
	return ", " + strings.Join(notes, ", ") + fmt.Sprintf(": watched %s", p.watched.Round(time.Second))
}

// plural is "1 pod", "3 pods".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
