package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// serve is the target process (stallmeter -serve N): N goroutines parked
// in a dozen shapes of Zipf-like sizes (a few frames each, as in a
// typical service), a slow leak on top when leakPerSec is positive,
// /debug/pprof/ and a cheap /ping. It prints its address on standard
// output and runs until standard input closes.
func serve(n int, leakPerSec float64) error {
	var ready sync.WaitGroup
	shapes := []func(){
		func() { <-forever },
		func() { forever <- struct{}{} },
		func() {
			select {
			case <-forever:
			case <-time.After(time.Hour):
			}
		},
		func() { stuck.Lock() },
		func() { time.Sleep(time.Hour) },
		func() { never.Wait() },
	}
	creators := []func(f func()){spawnWorker, spawnJob}
	// Zipf-like sizes, so that a few groups hold most goroutines.
	nShapes := len(shapes) * len(creators)
	weights, sum := make([]float64, nShapes), 0.0
	for i := range weights {
		weights[i] = 1 / float64(i+1)
		sum += weights[i]
	}
	left := n
	for i := range nShapes {
		k := min(int(float64(n)*weights[i]/sum), left)
		if i == nShapes-1 {
			k = left
		}
		left -= k
		f, spawn := shapes[i%len(shapes)], creators[i/len(shapes)]
		ready.Add(k)
		for range k {
			spawn(func() { ready.Done(); f() })
		}
	}
	ready.Wait()
	time.Sleep(100 * time.Millisecond)
	if leakPerSec > 0 {
		go func() {
			tick := time.NewTicker(time.Duration(float64(time.Second) / leakPerSec))
			for range tick.C {
				spawnLeak()
			}
		}()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "pong\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	return http.Serve(ln, mux)
}

// target is a running target process.
type target struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

// startTarget re-executes this program as a target of n goroutines and
// waits until it listens.
func startTarget(ctx context.Context, n int, leak float64, procs int) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-serve", fmt.Sprint(n), "-leak", fmt.Sprint(leak))
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", procs))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &target{cmd: cmd, stdin: in}
	line, err := bufio.NewReader(out).ReadString('\n')
	if addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening "); ok && err == nil {
		t.addr = addr
		return t, nil
	}
	t.stop()
	return nil, errors.Join(errors.New("target did not start"), err)
}

// stop ends the target.
func (t *target) stop() {
	t.stdin.Close()
	done := make(chan struct{})
	go func() { t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.cmd.Process.Kill()
		<-done
	}
}

// What the target's goroutines block on; nothing ever releases them.
var (
	forever = make(chan struct{})
	stuck   = lockedMutex()
	never   = pendingGroup()
)

func lockedMutex() *sync.Mutex {
	mu := new(sync.Mutex)
	mu.Lock()
	return mu
}

func pendingGroup() *sync.WaitGroup {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	return wg
}

// spawnWorker and spawnJob are two creation sites.
//
//go:noinline
func spawnWorker(f func()) { go f() }

//go:noinline
func spawnJob(f func()) { go f() }

// spawnLeak starts one goroutine that never ends: the leak.
//
//go:noinline
func spawnLeak() { go func() { <-forever }() }
