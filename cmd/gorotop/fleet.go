package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/poll"
)

// Kubernetes targets (k8s:deploy/api and the like) stand for every pod
// behind them, each reached through the user's own kubectl port-forward
// (package kube). Every command that watches takes them: the UI gives
// each pod a tab, and the headless commands (check, record, watch) run a
// loop per pod, concurrently, through a roster. Every kubectl gorotop
// starts ends when the command does: each path that starts a Fleet
// closes it.

// startFleet parses a Kubernetes target and starts its Fleet. Without
// waitForPods, a target with no pod running fails at once.
func startFleet(ctx context.Context, target string, waitForPods bool) (*kube.Fleet, error) {
	t, err := kube.ParseTarget(target)
	if err != nil {
		return nil, err
	}
	return kube.Start(ctx, t, kube.Options{WaitForPods: waitForPods})
}

// oneProcess refuses a Kubernetes target where a command reads one
// process (snapshot, diff): it is a pod each.
func oneProcess(cmd, target string) error {
	if !kube.IsTarget(target) {
		return nil
	}
	return usagef(cmd, "%s reads one process, and %s is a pod each: watch them with gorotop %s or gorotop check %s, or run kubectl port-forward pod/NAME 6060 and %s :6060",
		cmd, oneLine(target), oneLine(target), oneLine(target), cmd)
}

// podTarget is the target that names one pod of a fleet: what headers,
// reports and metric labels call it, and what gorotop reads back to
// watch that pod alone.
func podTarget(f *kube.Fleet, p kube.Pod) string {
	t := f.Target()
	pt := kube.Target{Kind: kube.KindPod, Name: p.Name, Namespace: p.Namespace, Context: t.Context}
	if t.Kind != kube.KindService {
		pt.Port = t.Port // a service's port names its own, not the pod's
	}
	return pt.String()
}

// member is one target a roster watches: a target of its own, or a pod
// of a Kubernetes target.
type member struct {
	// name is what reports and metrics call it: the target, or the pod's
	// k8s:pod/… target.
	name string
	// addr is what its loop polls: the target, or the address of the
	// pod's port-forward.
	addr string
	// fleet is the Kubernetes target it is a pod of, pod the pod; empty
	// for a target of its own.
	fleet string
	pod   kube.Pod

	// Set by the roster. joined and left are when it came and went (left
	// is zero while it runs, or when it ran to the end).
	loop         *poll.Loop
	joined, left time.Time
	gone         bool
	cancel       context.CancelFunc
	// Guarded by the roster's lock: the latest sample (Snap is nil before
	// the first), what its dumps warned of, why its watch ended without
	// one, and when it ended.
	last   poll.Sample
	warned warnings
	err    error
	ended  time.Time
}

// roster runs the loops of a headless command concurrently, a member
// each: its targets, and the pods of its Kubernetes targets, which join
// and leave as their fleets report them. Each loop is driven by
// poll.Watch until the roster's end (or, with no end, until its context
// is done).
type roster struct {
	// end is when the watch ends; zero means when the context is done.
	end time.Time
	// open opens a member's loop.
	open func(m *member) (*poll.Loop, error)
	// each, if not nil, is called with every poll of every member, one
	// call at a time; an error it returns ends that member's watch.
	each func(m *member, s poll.Sample, err error) error
	// event, if not nil, is told what happens to the members and fleets,
	// in one line each, one call at a time with each.
	event func(m *member, line string)
	// left, if not nil, is called when a member's pod is gone.
	left func(m *member)
	// keepGone keeps the members whose pods are gone, for a report;
	// without it they are dropped once their watch ends, so that a
	// roster that runs for days holds only the pods that run.
	keepGone bool

	mu      sync.Mutex
	members []*member
	sealed  bool // no member joins any more
	wg      sync.WaitGroup
	// problems are each fleet's latest unresolved problem.
	problems map[string]string
}

// span is how long a member that joins now is watched.
func (r *roster) span() time.Duration {
	if r.end.IsZero() {
		return 100 * 365 * 24 * time.Hour // until the context is done
	}
	return time.Until(r.end)
}

// join opens a member's loop and watches it until the roster's end, its
// leave or ctx, whichever comes first. It does nothing once the roster is
// sealed or past its end.
func (r *roster) join(ctx context.Context, m *member) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	span := r.span()
	if r.sealed || span <= 0 {
		return nil
	}
	l, err := r.open(m)
	if err != nil {
		return err
	}
	m.loop, m.joined = l, time.Now()
	ctx, m.cancel = context.WithCancel(ctx)
	r.members = append(r.members, m)
	r.wg.Go(func() {
		defer l.Close()
		defer m.cancel()
		_, err := poll.Watch(ctx, l, span, func(s poll.Sample, err error) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if m.gone {
				return nil
			}
			if err == nil {
				m.last = s
				m.warned.add(s)
			}
			if r.each != nil {
				return r.each(m, s, err)
			}
			return nil
		})
		r.mu.Lock()
		m.err, m.ended = err, time.Now()
		if m.gone && !r.keepGone {
			r.members = slices.DeleteFunc(r.members, func(x *member) bool { return x == m })
		}
		r.mu.Unlock()
	})
	return nil
}

// leave ends the watch of the member that is the pod p of a fleet: the
// pod is gone.
func (r *roster) leave(fleet string, p kube.Pod) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.members {
		if m.fleet == fleet && m.pod.UID == p.UID && !m.gone {
			m.gone, m.left = true, time.Now()
			m.cancel()
			r.tell(m, "gone")
			if r.left != nil {
				r.left(m)
			}
		}
	}
}

// tell passes a line to event; the lock is held.
func (r *roster) tell(m *member, line string) {
	if r.event != nil {
		r.event(m, line)
	}
}

// follow makes the pods of fleet f (the Kubernetes target named fleet)
// members as they come, and ends their watch as they go, until f's
// events end or ctx is done.
func (r *roster) follow(ctx context.Context, f *kube.Fleet, fleet string) {
	for {
		var ev kube.Event
		var ok bool
		select {
		case ev, ok = <-f.Events():
		case <-ctx.Done():
			return
		}
		if !ok {
			return
		}
		switch ev.Kind {
		case kube.Added:
			m := &member{name: podTarget(f, ev.Pod), addr: "http://" + ev.Addr, fleet: fleet, pod: ev.Pod}
			if err := r.join(ctx, m); err != nil {
				r.problem(fleet, fmt.Sprintf("pod %s: %v", ev.Pod.Name, err))
				continue
			}
			r.mu.Lock()
			if m.loop != nil {
				r.tell(m, "watching it through kubectl port-forward at "+ev.Addr)
			}
			r.mu.Unlock()
		case kube.Gone:
			r.leave(fleet, ev.Pod)
		case kube.Problem:
			r.problem(fleet, ev.String())
		case kube.Resolved:
			r.problem(fleet, "")
		}
	}
}

// problem notes a fleet's problem (empty: it is over) and tells it.
func (r *roster) problem(fleet, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.problems == nil {
		r.problems = map[string]string{}
	}
	switch {
	case msg != "":
		r.problems[fleet] = msg
		r.tell(&member{name: fleet, fleet: fleet}, msg)
	case r.problems[fleet] != "":
		delete(r.problems, fleet)
		r.tell(&member{name: fleet, fleet: fleet}, "the problem is over")
	}
}

// seal lets no member join any more, and waits for every watch to end.
func (r *roster) seal() {
	r.mu.Lock()
	r.sealed = true
	r.mu.Unlock()
	r.wg.Wait()
}

// all returns the members, each with its latest sample and error: once
// the roster is sealed, what each watch ended with.
func (r *roster) all() []*member {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*member(nil), r.members...)
}

// runFleets watches a roster's targets and fleets: it starts each fleet,
// joins each target, follows the fleets until the roster's end (or ctx),
// then seals the roster and closes the fleets, which ends every kubectl
// they started. With waitForPods, a fleet with no pod running yet is a
// problem to tell, not a failure.
func runFleets(ctx context.Context, r *roster, targets []string, waitForPods bool) error {
	var fleets []*kube.Fleet
	defer func() {
		for _, f := range fleets {
			f.Close()
		}
	}()
	for _, target := range targets {
		if !kube.IsTarget(target) {
			continue
		}
		f, err := startFleet(ctx, target, waitForPods)
		if err != nil {
			return err
		}
		fleets = append(fleets, f)
	}
	for _, target := range targets {
		if !kube.IsTarget(target) {
			if err := r.join(ctx, &member{name: target, addr: target}); err != nil {
				return err
			}
		}
	}
	fctx, stop := context.WithCancel(ctx)
	var following sync.WaitGroup
	for _, f := range fleets {
		following.Go(func() { r.follow(fctx, f, f.Target().String()) })
	}
	if r.end.IsZero() {
		<-ctx.Done()
	} else {
		t := time.NewTimer(time.Until(r.end))
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	r.seal()
	stop()
	following.Wait()
	return nil
}

// lineLog writes the roster's lines to w, "gorotop: NAME: LINE".
func lineLog(w io.Writer) func(m *member, line string) {
	return func(m *member, line string) {
		fmt.Fprintf(w, "%s gorotop: %s: %s\n", time.Now().Format("15:04:05"), m.name, oneLine(line))
	}
}
