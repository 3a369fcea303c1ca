//go:build unix

package kube_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/kubeworld"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/internal/testproc"
)

// cluster is a world for testdata/kubectl, the stand-in kubectl the tests
// put on PATH: what `kubectl get` lists, and where each pod's ports lead
// (real local processes).
type cluster struct {
	t   testing.TB
	dir string
	w   kubeworld.World
}

// newCluster puts the stand-in kubectl first on PATH and gives it an
// empty world with one context, "test", whose namespace is "default".
func newCluster(t testing.TB) *cluster {
	t.Helper()
	bin := testproc.KubectlDir(t)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	c := &cluster{t: t, dir: t.TempDir()}
	t.Setenv(kubeworld.Env, c.dir)
	c.w = kubeworld.World{
		CurrentContext: "test",
		Contexts:       map[string]string{"test": "default", "staging": "shop"},
		User:           "tester",
		Endpoints:      map[string]string{},
	}
	c.write()
	return c
}

// write writes the world, for the next kubectl runs.
func (c *cluster) write() {
	c.t.Helper()
	if err := c.w.Write(c.dir); err != nil {
		c.t.Fatal(err)
	}
}

// pod adds a pod; its container declares ports (name=number pairs).
func (c *cluster) pod(ns, name, uid, phase string, labels map[string]string, ports ...string) {
	var cports []map[string]any
	for _, p := range ports {
		n, num, _ := strings.Cut(p, "=")
		v, _ := strconv.Atoi(num)
		cports = append(cports, map[string]any{"name": n, "containerPort": v, "protocol": "TCP"})
	}
	c.w.Objects = append(c.w.Objects, map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": name, "namespace": ns, "uid": uid, "labels": labels},
		"spec":       map[string]any{"containers": []any{map[string]any{"name": "app", "ports": cports}}},
		"status":     map[string]any{"phase": phase},
	})
}

// remove deletes the objects of a kind with a name.
func (c *cluster) remove(kind, name string) {
	var keep []map[string]any
	for _, o := range c.w.Objects {
		if o["kind"] == kind && o["metadata"].(map[string]any)["name"] == name {
			continue
		}
		keep = append(keep, o)
	}
	c.w.Objects = keep
}

// workload adds a Deployment or StatefulSet selecting matchLabels.
func (c *cluster) workload(kind, ns, name string, matchLabels map[string]string) {
	c.w.Objects = append(c.w.Objects, map[string]any{
		"apiVersion": "apps/v1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"selector": map[string]any{"matchLabels": matchLabels}},
	})
}

// serve makes a pod's port lead to addr.
func (c *cluster) serve(ns, pod string, port int, addr string) {
	c.w.Endpoints[fmt.Sprintf("%s/%s:%d", ns, pod, port)] = addr
}

// calls returns the kubectl command lines run so far, by process ID.
func (c *cluster) calls() []call {
	b, err := os.ReadFile(filepath.Join(c.dir, kubeworld.Calls))
	if err != nil && !os.IsNotExist(err) {
		c.t.Fatal(err)
	}
	var out []call
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		pid, args, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.Atoi(pid)
		out = append(out, call{pid: n, args: args})
	}
	return out
}

type call struct {
	pid  int
	args string
}

// forwards returns the port-forward calls to a pod.
func (c *cluster) forwards(pod string) []call {
	var out []call
	for _, cl := range c.calls() {
		if strings.Contains(cl.args, "port-forward pod/"+pod+" ") {
			out = append(out, cl)
		}
	}
	return out
}

// fastOptions relist and restart quickly, for tests.
var fastOptions = kube.Options{
	Relist:  200 * time.Millisecond,
	Backoff: source.Backoff{Min: 100 * time.Millisecond, Max: time.Second},
}

// start parses target and starts a Fleet that stops with the test.
func start(t testing.TB, target string, opts kube.Options) *kube.Fleet {
	t.Helper()
	tg, err := kube.ParseTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	f, err := kube.Start(context.Background(), tg, opts)
	if err != nil {
		t.Fatalf("Start(%s): %v", target, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// await reads events until want accepts one, and returns that one; it
// fails the test after a while. Every event read is logged.
func await(t testing.TB, f *kube.Fleet, what string, want func(kube.Event) bool) kube.Event {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-f.Events():
			if !ok {
				t.Fatalf("events closed while waiting for %s", what)
			}
			t.Logf("event: %s %s", ev.Kind, ev)
			if want(ev) {
				return ev
			}
		case <-timeout.C:
			t.Fatalf("no event %s within 30s", what)
		}
	}
}

// isKind accepts events of a kind about a pod.
func isKind(kind kube.EventKind, pod string) func(kube.Event) bool {
	return func(ev kube.Event) bool { return ev.Kind == kind && ev.Pod.Name == pod }
}

// alive reports whether a process runs (a zombie does not).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc here: a zombie counts as running
	}
	// pid (comm) STATE …: the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// awaitDead fails the test unless each process has ended within a while.
func awaitDead(t testing.TB, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("kubectl process %d still runs", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
