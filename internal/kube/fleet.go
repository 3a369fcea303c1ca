package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/source"
)

// Options tune a Fleet. The zero value is ready to use.
type Options struct {
	// Kubectl is kubectl's path, or a command name looked up on PATH.
	// Empty means "kubectl".
	Kubectl string
	// Relist is the time between listings of the pods. Zero means 5s.
	Relist time.Duration
	// Timeout bounds one `kubectl get`. Zero means 30s.
	Timeout time.Duration
	// StartTimeout bounds how long a `kubectl port-forward` may take to
	// listen. Zero means 30s.
	StartTimeout time.Duration
	// Backoff spaces the restarts of a port-forward that ended. The zero
	// value means source.DefaultBackoff (1s doubling to 30s).
	Backoff source.Backoff
	// MaxPods is how many pods are forwarded at once, at most (each is a
	// kubectl process); the others are named in a Problem event. Zero
	// means 10.
	MaxPods int
	// MaxOutput bounds what one `kubectl get` may print. Zero means
	// 64 MiB.
	MaxOutput int64
	// WaitForPods lets Start succeed when no pod of the target runs yet
	// (a deployment scaled to zero, pods pending): the Fleet reports that
	// as a Problem and forwards to pods as they start. Without it, Start
	// fails then.
	WaitForPods bool
}

func (o Options) withDefaults() Options {
	if o.Kubectl == "" {
		o.Kubectl = "kubectl"
	}
	if o.Relist <= 0 {
		o.Relist = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Backoff == (source.Backoff{}) {
		o.Backoff = source.DefaultBackoff
	}
	if o.MaxPods <= 0 {
		o.MaxPods = 10
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = 64 << 20
	}
	return o
}

// EventKind says what an Event tells.
type EventKind int

// The kinds of Event.
const (
	// Added: a pod is reachable at Event.Addr. Its history starts here;
	// a pod that replaced another (a new UID) is a new pod, even under
	// the same name.
	Added EventKind = iota + 1
	// Gone: an Added pod is gone (deleted, replaced, stopped running,
	// or no longer selected); its address is closed.
	Gone
	// Problem: something failed; Event.Err says what in one line.
	Problem
	// Resolved: the problem of the whole fleet last reported (a Problem
	// with a zero Pod) is over: a listing succeeded again, a pod runs,
	// no pod is left out any more.
	Resolved
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case Added:
		return "added"
	case Gone:
		return "gone"
	case Problem:
		return "problem"
	case Resolved:
		return "resolved"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is what a Fleet reports. For one pod (one UID), Added comes
// before Gone, and nothing comes after Gone. A pod's Problem is not
// withdrawn when it is over: polls through its address that succeed
// again tell. A Problem of the whole fleet is, by a Resolved event.
type Event struct {
	Kind EventKind
	// Pod is the pod concerned; zero for a Problem of the whole fleet
	// (a listing failed, no pod runs).
	Pod Pod
	// Addr is, for Added, the pod's local address, "127.0.0.1:PORT": it
	// reaches the pod's pprof port and stays the same until Gone, across
	// restarts of the port-forward. Poll
	// http://ADDR/debug/pprof/goroutine?debug=2 there.
	Addr string
	// Err is, for Problem, an *Error: one clean line.
	Err error
	// Retry is, for a Problem of a port-forward, when it is started
	// again; zero for other errors (the next listing retries).
	Retry time.Duration
}

// String writes the event as one log line.
func (e Event) String() string {
	switch e.Kind {
	case Added:
		return fmt.Sprintf("pod %s: forwarded at %s", e.Pod.Name, e.Addr)
	case Gone:
		return fmt.Sprintf("pod %s: gone", e.Pod.Name)
	case Resolved:
		return "the problem of the fleet is over"
	case Problem:
		s := e.Err.Error()
		if e.Retry > 0 {
			s += fmt.Sprintf(" (kubectl port-forward starts again in %s)", e.Retry.Round(100*time.Millisecond))
		}
		return s
	}
	return e.Kind.String()
}

// Fleet keeps a port-forward to every running pod of a target, and
// reports pods that come and go on its Events channel.
type Fleet struct {
	target   Target
	opts     Options
	k        *kubectl
	selector string
	svcPorts []servicePort

	events chan Event
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// relists asks for a listing now; the channel sent is closed once
	// the Fleet has listed and synced.
	relists chan chan struct{}

	// Owned by the run goroutine.
	fwds     map[string]*forward // by UID
	problem  string              // the fleet's latest reported problem
	portErrs map[string]string   // by UID: the latest port error reported
}

// Start lists the target's pods with the user's kubectl and starts
// forwarding to the running ones; their Added events follow on Events as
// each forward listens. It fails, with one line that says what to do, when
// kubectl is missing (the error wraps ErrNoKubectl), when the target
// cannot be read (not found, no access, cluster unreachable) and, unless
// Options.WaitForPods, when no pod of it is running; after Start, such
// problems are Problem events and the Fleet keeps trying.
//
// The Fleet stops when ctx is done or Close is called.
func Start(ctx context.Context, t Target, opts Options) (*Fleet, error) {
	opts = opts.withDefaults()
	path, err := findKubectl(opts.Kubectl)
	if err != nil {
		return nil, err
	}
	k := &kubectl{path: path, target: t, timeout: opts.Timeout, maxOut: opts.MaxOutput}
	selector, svcPorts, err := k.resolve(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := k.list(ctx, selector)
	if err != nil {
		return nil, err
	}
	if !opts.WaitForPods && !slices.ContainsFunc(ms, func(m member) bool { return m.running }) {
		return nil, k.noPods(ms, selector)
	}
	f := &Fleet{
		target: t, opts: opts, k: k, selector: selector, svcPorts: svcPorts,
		events:   make(chan Event, 16),
		done:     make(chan struct{}),
		relists:  make(chan chan struct{}, 16),
		fwds:     map[string]*forward{},
		portErrs: map[string]string{},
	}
	f.ctx, f.cancel = context.WithCancel(ctx)
	go f.run(ms)
	return f, nil
}

// Target returns the target the Fleet watches.
func (f *Fleet) Target() Target { return f.target }

// Events delivers what happens to the fleet. It is closed once the Fleet
// has stopped. A Fleet waits for its events to be received (it does not
// drop them), so read them until the channel closes or call Close.
func (f *Fleet) Events() <-chan Event { return f.events }

// Close stops the Fleet: it ends every kubectl it started and waits for
// them, and closes Events. It is safe to call more than once, and from
// any goroutine. Pending events are dropped.
//
// kubectl children end with this process however it ends: they run in
// process groups of their own (Close kills each group, helpers kubectl
// started included), and on Linux the kernel kills them when this process
// dies, kill -9 included. Elsewhere, a process killed outright leaves its
// port-forwards running, and so does, on Linux, a kubectl on PATH that is
// a wrapper script starting the real one without exec.
func (f *Fleet) Close() error {
	f.cancel()
	<-f.done
	return nil
}

// run lists the pods every Relist and keeps the forwards in step.
func (f *Fleet) run(first []member) {
	defer close(f.done)
	defer close(f.events)
	defer f.stopAll()
	f.sync(first)
	tick := time.NewTicker(f.opts.Relist)
	defer tick.Stop()
	for {
		var asked []chan struct{}
		select {
		case <-f.ctx.Done():
			return
		case <-tick.C:
		case r := <-f.relists:
			asked = append(asked, r)
		}
		for len(f.relists) > 0 {
			asked = append(asked, <-f.relists)
		}
		ms, err := f.k.list(f.ctx, f.selector)
		if f.ctx.Err() != nil {
			return
		}
		if err != nil {
			f.report(err.Error())
		} else {
			f.sync(ms)
		}
		for _, r := range asked {
			close(r)
		}
	}
}

// relist asks for a listing now and waits until it is done, or ctx is.
func (f *Fleet) relist(ctx context.Context) {
	r := make(chan struct{})
	select {
	case f.relists <- r:
	case <-ctx.Done():
		return
	}
	select {
	case <-r:
	case <-ctx.Done():
	}
}

// sync starts forwards to new running pods and stops those to pods gone.
func (f *Fleet) sync(ms []member) {
	running := map[string]member{}
	for _, m := range ms {
		if m.running {
			running[m.UID] = m
		}
	}
	for uid, fw := range f.fwds {
		if _, ok := running[uid]; !ok {
			f.stop(fw)
			delete(f.fwds, uid)
		}
	}
	for uid := range f.portErrs {
		if _, ok := running[uid]; !ok {
			delete(f.portErrs, uid)
		}
	}
	var fresh []member
	for uid, m := range running {
		if f.fwds[uid] == nil {
			fresh = append(fresh, m)
		}
	}
	slices.SortFunc(fresh, func(a, b member) int { return strings.Compare(a.Name, b.Name) })
	var left []string
	for _, m := range fresh {
		if len(f.fwds) >= f.opts.MaxPods {
			left = append(left, m.Name)
			continue
		}
		port, err := f.k.port(m, f.svcPorts)
		if err != nil {
			if msg := err.Error(); f.portErrs[m.UID] != msg {
				f.portErrs[m.UID] = msg
				f.emit(Event{Kind: Problem, Pod: m.Pod, Err: err})
			}
			continue
		}
		delete(f.portErrs, m.UID)
		fw, err := f.startForward(m.Pod, port)
		if err != nil {
			f.emit(Event{Kind: Problem, Pod: m.Pod, Err: err})
			continue
		}
		f.fwds[m.UID] = fw
	}
	switch {
	case len(running) == 0:
		f.report(f.k.noPods(ms, f.selector).Error())
	case len(left) > 0:
		f.report(fmt.Sprintf("%d pods of %s run; gorotop forwards to %d at most, so not to %s", len(running), f.target.what(), f.opts.MaxPods, strings.Join(left, ", ")))
	case f.problem != "":
		f.problem = ""
		f.emit(Event{Kind: Resolved})
	}
}

// report emits a problem of the whole fleet, once until it changes.
func (f *Fleet) report(msg string) {
	if msg == f.problem {
		return
	}
	f.problem = msg
	f.emit(Event{Kind: Problem, Err: &Error{Msg: msg}})
}

// emit sends an event unless the Fleet is stopping.
func (f *Fleet) emit(ev Event) bool {
	select {
	case f.events <- ev:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// stop ends a forward and reports its pod gone if it was added.
func (f *Fleet) stop(fw *forward) {
	fw.stop()
	if fw.added {
		f.emit(Event{Kind: Gone, Pod: fw.pod})
	}
}

// stopAll ends every forward, reporting nothing: the Fleet is stopping.
func (f *Fleet) stopAll() {
	for uid, fw := range f.fwds {
		fw.stop()
		delete(f.fwds, uid)
	}
}
