package main

import (
	"context"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
	"github.com/gorotop/gorotop/tui"
)

// maxTargets is how many targets the UI takes: a tab each, reached with
// the keys 1 to 9; the combined view follows them.
const maxTargets = 9

// runWatch is the interactive UI: gorotop [flags] TARGET...
func runWatch(ctx context.Context, o options, rest []string, e env) error {
	switch {
	case o.record != "" && len(rest) > 1:
		return usagef("", "--record takes one TARGET; run one gorotop record per target")
	case o.record != "" && kube.IsTarget(rest[0]):
		return usagef("", "--record takes no Kubernetes target: record its pods with gorotop record -o DIR %s", rest[0])
	case len(rest) == 0:
		return usagef("", "no TARGET given: try 'gorotop localhost:6060', or 'gorotop demo' to see it work")
	case len(rest) > maxTargets:
		return usagef("", "at most %d TARGETs, a tab each; got %d", maxTargets, len(rest))
	}
	stdins := 0
	for _, t := range rest {
		if t == "-" {
			stdins++
		}
	}
	if stdins > 1 {
		return usagef("", "standard input (-) can be only one TARGET")
	}
	return watchTargets(ctx, rest, o, e)
}

// watchTargets opens the UI on targets: a tab each, with its own poll
// loop, and with several a combined tab. A Kubernetes target is a tab per
// pod, as its pods come and go. The UI is e.ui; standard input is e.stdin.
func watchTargets(ctx context.Context, targets []string, o options, e env) error {
	if o.interval <= 0 {
		return usagef("", "--interval must be positive")
	}
	g, err := stackparse.ParseGrouping(o.group)
	if err != nil {
		return usagef("", "--group: %v", err)
	}
	srcDir := o.src
	if srcDir == "" {
		srcDir = "."
	}
	cfg := tui.Config{
		Interval:  o.interval,
		ExportDir: o.exportDir,
		SrcDir:    srcDir,
		Now:       time.Now,
		NoColor:   o.noColorWanted(),
		Grouping:  g,
	}
	var fleets []string
	for _, target := range targets {
		if kube.IsTarget(target) {
			fleets = append(fleets, target)
			continue
		}
		// Every grouping is tracked from the first poll on, so that g
		// switches at once and keeps each one's history.
		l, format, err := o.open("", target, e.stdin, poll.Options{Groupings: stackparse.Groupings, Stream: true})
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Targets = append(cfg.Targets, targetConfig(l, format))
	}
	if len(fleets) > 0 {
		// Checked now, as for the other targets: a pod's loop opens later.
		if err := writableDir(o.exportDir); err != nil {
			return usagef("", "--export-dir %s: %v", stackparse.Clean(o.exportDir, 200), err)
		}
		changes := make(chan tui.Change)
		cfg.Changes = changes
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		var pumps sync.WaitGroup
		// The UI ends first; then every fleet, and every kubectl with it.
		defer pumps.Wait()
		defer cancel()
		for _, target := range fleets {
			f, err := startFleet(ctx, target, true)
			if err != nil {
				return err
			}
			pumps.Go(func() {
				defer f.Close()
				pumpFleet(ctx, f, o, changes)
			})
		}
	}
	return e.ui(ctx, cfg)
}

// targetConfig wires one target's loop into the UI: its samples, and its
// exports.
func targetConfig(l *poll.Loop, format export.Format) tui.TargetConfig {
	return namedTarget(l.Source().String(), l, format)
}

// namedTarget is targetConfig for a target whose header and exports name
// it name.
func namedTarget(name string, l *poll.Loop, format export.Format) tui.TargetConfig {
	exporter := func(dir string, snap *stackparse.Snapshot, v *track.View, at time.Time) (string, error) {
		return export.ToDir(dir, format, export.Input{Source: name, TakenAt: at, Snap: snap, History: v, Polls: l.Log()})
	}
	total, _ := source.Len(l.Source())
	return tui.TargetConfig{
		Target:    name,
		Fetch:     l.Next,
		Replay:    !l.Source().Live(),
		Total:     total,
		Export:    exporter,
		Groupings: l.Groupings(),
		Recording: recordingOf(l.Source()),
	}
}

// pumpFleet tells the UI what happens to a fleet's pods, until its events
// end or ctx is done: a pod that comes gets a loop of its own (every
// grouping tracked, as for any target) and a tab; a pod gone has its tab
// marked gone and its loop closed; problems go to the pod's tab, or to
// the fleet's when the pod has none.
func pumpFleet(ctx context.Context, f *kube.Fleet, o options, changes chan<- tui.Change) {
	fleet := f.Target().String()
	loops := map[string]*poll.Loop{} // by pod UID
	defer func() {
		for _, l := range loops {
			l.Close()
		}
	}()
	// problemPod is the pod whose problem is the fleet's: a pod that had
	// none yet, and whose coming ends it.
	problemPod := ""
	for {
		var ev kube.Event
		select {
		case e, ok := <-f.Events():
			if !ok {
				return
			}
			ev = e
		case <-ctx.Done():
			return
		}
		uid := ev.Pod.UID
		var cs []tui.Change
		switch ev.Kind {
		case kube.Added:
			l, format, err := o.open("", "http://"+ev.Addr, nil, poll.Options{Groupings: stackparse.Groupings})
			if err != nil {
				cs = append(cs, tui.Change{Fleet: fleet, Problem: "pod " + ev.Pod.Name + ": " + err.Error()})
				break
			}
			loops[uid] = l
			tc := namedTarget(podTarget(f, ev.Pod), l, format)
			tc.ID, tc.Name, tc.Fleet = uid, ev.Pod.Name, fleet
			cs = append(cs, tui.Change{Add: &tc})
			if problemPod == uid {
				cs = append(cs, tui.Change{Fleet: fleet})
				problemPod = ""
			}
		case kube.Gone:
			if l := loops[uid]; l != nil {
				l.Close()
				delete(loops, uid)
			}
			cs = append(cs, tui.Change{Gone: uid})
		case kube.Problem:
			if loops[uid] != nil {
				cs = append(cs, tui.Change{Target: uid, Problem: ev.String()})
			} else {
				cs = append(cs, tui.Change{Fleet: fleet, Problem: ev.String()})
				problemPod = uid
			}
		case kube.Resolved:
			cs = append(cs, tui.Change{Fleet: fleet})
			problemPod = ""
		}
		for _, c := range cs {
			select {
			case changes <- c:
			case <-ctx.Done():
				return
			}
		}
	}
}
