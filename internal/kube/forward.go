package kube

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// forwardingPrefix starts the line kubectl port-forward prints on
	// standard output once it listens: "Forwarding from 127.0.0.1:40123
	// -> 6060".
	forwardingPrefix = "Forwarding from "
	// maxConns bounds the connections open at once through one pod's
	// address; more are closed at once.
	maxConns = 64
	// dialTimeout bounds a connection to kubectl's local listener.
	dialTimeout = 5 * time.Second
	// lineEvery is the least time between two Problem events made of
	// lines a running kubectl printed.
	lineEvery = time.Second
)

// forward keeps `kubectl port-forward` running to one pod, restarting it
// with backoff when it ends, behind a local listener of its own whose
// address stays the same while the pod lives: kubectl listens on a new
// port at each start, and connections to the stable address are passed to
// the current one.
type forward struct {
	f    *Fleet
	pod  Pod
	port int // in the pod

	ln     net.Listener
	to     atomic.Pointer[string] // kubectl's listen address; nil while down
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}

	// added is set once Added was emitted; read it after stop.
	added bool
}

// startForward listens on a local port for the pod and starts its
// kubectl port-forward.
func (f *Fleet) startForward(pod Pod, port int) (*forward, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, &Error{Pod: pod.Name, Msg: "listen on a local port: " + clean(err.Error())}
	}
	fw := &forward{f: f, pod: pod, port: port, ln: ln, conns: map[net.Conn]struct{}{}}
	fw.ctx, fw.cancel = context.WithCancel(f.ctx)
	fw.wg.Go(fw.serve)
	fw.wg.Go(fw.supervise)
	return fw, nil
}

// stop ends the forward: kubectl, the listener and every connection.
func (fw *forward) stop() {
	fw.cancel()
	fw.ln.Close()
	fw.mu.Lock()
	for c := range fw.conns {
		c.Close()
	}
	fw.mu.Unlock()
	fw.wg.Wait()
}

// emit sends an event unless the forward is stopping.
func (fw *forward) emit(ev Event) bool {
	select {
	case fw.f.events <- ev:
		return true
	case <-fw.ctx.Done():
		return false
	}
}

// supervise runs kubectl port-forward until the forward stops, starting
// it again after a backoff each time it ends. The backoff starts over
// once a run lasted as long as the longest delay.
//
// kubectl port-forward also ends when its pod is deleted ("lost
// connection to pod"), so before saying why it ended the forward has the
// pods listed again: a pod found gone is reported Gone, without a
// problem.
func (fw *forward) supervise() {
	backoff := fw.f.opts.Backoff
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	attempt := 0
	for {
		began := time.Now()
		err := fw.once()
		if fw.ctx.Err() != nil {
			return
		}
		ended := time.Now()
		if ended.Sub(began) >= backoff.Max {
			attempt = 0
		}
		delay := backoff.Delay(attempt, rng)
		attempt++
		fw.f.relist(fw.ctx)
		if fw.ctx.Err() != nil {
			return // the pod is gone
		}
		delay = max(0, delay-time.Since(ended))
		if !fw.emit(Event{Kind: Problem, Pod: fw.pod, Err: err, Retry: delay}) {
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-fw.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// once runs one kubectl port-forward to the end and says why it ended.
// The first time one listens, the pod is Added.
func (fw *forward) once() *Error {
	k := fw.f.k
	args := k.args("port-forward", "pod/"+fw.pod.Name, "--address=127.0.0.1", ":"+strconv.Itoa(fw.port))
	cmd := exec.Command(k.path, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return &Error{Pod: fw.pod.Name, Msg: "run kubectl: " + clean(err.Error())}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return &Error{Pod: fw.pod.Name, Msg: "run kubectl: " + clean(err.Error())}
	}
	if err := startChild(cmd); err != nil {
		return &Error{Pod: fw.pod.Name, Msg: "run kubectl: " + clean(err.Error())}
	}

	ready := make(chan string, 1)
	lines := make(chan string, 1)
	said := &tail{max: 16 << 10}
	var readers sync.WaitGroup
	readers.Go(func() { readListening(stdout, ready) })
	readers.Go(func() { readLines(io.TeeReader(stderr, said), lines) })
	exited := make(chan error, 1)
	go func() {
		readers.Wait()
		exited <- cmd.Wait()
	}()

	start := time.NewTimer(fw.f.opts.StartTimeout)
	defer start.Stop()
	tick := time.NewTicker(lineEvery)
	defer tick.Stop()
	var pending string
	for {
		select {
		case <-fw.ctx.Done():
			fw.to.Store(nil)
			killChild(cmd)
			<-exited
			return nil
		case addr := <-ready:
			start.Stop()
			fw.to.Store(&addr)
			if !fw.added {
				fw.added = fw.emit(Event{Kind: Added, Pod: fw.pod, Addr: fw.ln.Addr().String()})
			}
		case l := <-lines:
			pending = l
		case <-tick.C:
			// A line kubectl printed and lived on after: say it, one a
			// second at most. Lines before an exit are told by the exit.
			if pending != "" {
				fw.emit(Event{Kind: Problem, Pod: fw.pod, Err: &Error{Pod: fw.pod.Name, Msg: "kubectl: " + pending}})
				pending = ""
			}
		case <-start.C:
			fw.to.Store(nil)
			killChild(cmd)
			<-exited
			return &Error{Pod: fw.pod.Name, Msg: fmt.Sprintf("kubectl %s did not listen within %v", strings.Join(args, " "), fw.f.opts.StartTimeout)}
		case err := <-exited:
			fw.to.Store(nil)
			if lastLines(said.String()) == nil {
				return &Error{Pod: fw.pod.Name, Msg: fmt.Sprintf("kubectl port-forward ended (%s) and said nothing", clean(fmt.Sprint(err)))}
			}
			return &Error{Pod: fw.pod.Name, Msg: k.explain(said.String(), fw.pod.Name)}
		}
	}
}

// readListening reads kubectl port-forward's standard output and sends
// the address of its first "Forwarding from ADDR -> PORT" line to ready.
// The rest ("Handling connection for PORT" at each connection) is read
// and dropped.
func readListening(r io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(r)
	sent := false
	for sc.Scan() {
		if sent {
			continue
		}
		rest, ok := strings.CutPrefix(sc.Text(), forwardingPrefix)
		if !ok {
			continue
		}
		addr, _, _ := strings.Cut(rest, " ")
		if host, port, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host) != nil && port != "0" {
			ready <- addr
			sent = true
		}
	}
	io.Copy(io.Discard, r) // a line too long for the scanner
}

// readLines sends each non-empty line of r, cleaned, to lines, replacing
// a line not yet received.
func readLines(r io.Reader, lines chan string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ls := lastLines(sc.Text())
		if len(ls) == 0 {
			continue
		}
		select {
		case <-lines:
		default:
		}
		lines <- brief(ls[0])
	}
	io.Copy(io.Discard, r)
}

// serve passes each connection to the pod's address on to kubectl's
// listener, or closes it while kubectl is down.
func (fw *forward) serve() {
	for {
		c, err := fw.ln.Accept()
		if err != nil {
			return // closed by stop
		}
		to := fw.to.Load()
		if to == nil || !fw.track(c) {
			c.Close()
			continue
		}
		fw.wg.Go(func() { fw.pipe(c, *to) })
	}
}

// track notes an open connection, or refuses one more than maxConns.
func (fw *forward) track(c net.Conn) bool {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if len(fw.conns) >= maxConns || fw.ctx.Err() != nil {
		return false
	}
	fw.conns[c] = struct{}{}
	return true
}

func (fw *forward) untrack(c net.Conn) {
	fw.mu.Lock()
	delete(fw.conns, c)
	fw.mu.Unlock()
	c.Close()
}

// pipe copies both ways between c and kubectl's listener at to.
func (fw *forward) pipe(c net.Conn, to string) {
	defer fw.untrack(c)
	up, err := net.DialTimeout("tcp", to, dialTimeout)
	if err != nil {
		return
	}
	if !fw.track(up) {
		up.Close()
		return
	}
	defer fw.untrack(up)
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		closeWrite(up)
		close(done)
	}()
	io.Copy(c, up)
	closeWrite(c)
	<-done
}

// closeWrite half-closes a TCP connection: the other side reads the end.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
		return
	}
	c.Close()
}
