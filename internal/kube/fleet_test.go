//go:build unix

package kube_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/kube"
	"github.com/gorotop/gorotop/internal/kubeworld"
	"github.com/gorotop/gorotop/internal/testproc"
)

// dump fetches a goroutine dump from addr.
func dump(addr string) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", resp.Status)
	}
	return string(b), nil
}

// mustDump fetches a dump from addr and checks it is leaky's.
func mustDump(t *testing.T, addr, want string) {
	t.Helper()
	d, err := dump(addr)
	if err != nil {
		t.Fatalf("dump through %s: %v", addr, err)
	}
	if !strings.Contains(d, want) {
		t.Fatalf("dump through %s (%d bytes) holds no %s", addr, len(d), want)
	}
}

// TestFleetDeployment follows a Deployment's pods through the stand-in
// kubectl to two real leaking processes: both are forwarded, a replaced
// pod is reported gone and its successor added, a port-forward that dies
// is restarted behind the same address, and Close ends every kubectl.
func TestFleetDeployment(t *testing.T) {
	c := newCluster(t)
	leakA := testproc.StartLeaky(t, "-mode", "steady", "-steady-rate", "5")
	leakB := testproc.StartLeaky(t, "-mode", "slow,pool")
	api := map[string]string{"app": "api"}
	c.workload("Deployment", "default", "api", api)
	c.pod("default", "api-a", "uid-a", "Running", api)
	c.pod("default", "api-b", "uid-b", "Running", api)
	c.pod("default", "api-pending", "uid-p", "Pending", api)
	c.pod("default", "web-a", "uid-w", "Running", map[string]string{"app": "web"})
	c.serve("default", "api-a", kube.DefaultPort, leakA)
	c.serve("default", "api-b", kube.DefaultPort, leakB)
	c.write()

	f := start(t, "k8s:deploy/api", fastOptions)
	addrs := map[string]string{}
	for len(addrs) < 2 {
		ev := await(t, f, "Added for api-a and api-b", func(ev kube.Event) bool { return ev.Kind == kube.Added })
		if ev.Pod.Name != "api-a" && ev.Pod.Name != "api-b" || ev.Pod.Namespace != "default" {
			t.Fatalf("added %+v: not a running pod of deploy/api", ev.Pod)
		}
		addrs[ev.Pod.Name] = ev.Addr
	}
	mustDump(t, addrs["api-a"], "main.steadyLeak(")
	mustDump(t, addrs["api-b"], "main.poolWorker(")

	var sawGet, sawList bool
	for _, cl := range c.calls() {
		sawGet = sawGet || cl.args == "get deployment api -o json"
		sawList = sawList || cl.args == "get pods --selector=app=api -o json"
		if strings.Contains(cl.args, "port-forward") && !strings.HasSuffix(cl.args, "--address=127.0.0.1 :6060") {
			t.Errorf("kubectl %s: want the pod's port 6060 on a random local port of 127.0.0.1", cl.args)
		}
		if strings.Contains(cl.args, "api-pending") || strings.Contains(cl.args, "web-a") {
			t.Errorf("kubectl %s: that pod is not a running pod of deploy/api", cl.args)
		}
	}
	if !sawGet || !sawList {
		t.Errorf("kubectl calls %v: want get deployment api and get pods by its selector", c.calls())
	}

	// A rollout replaces api-a with api-c.
	oldA := c.forwards("api-a")
	c.remove("Pod", "api-a")
	c.pod("default", "api-c", "uid-c", "Running", api)
	c.serve("default", "api-c", kube.DefaultPort, leakA)
	c.write()
	// kubectl port-forward to api-a ends first ("lost connection to
	// pod"): the pod is found gone, and no problem is reported.
	gone := await(t, f, "api-a gone", func(ev kube.Event) bool {
		if ev.Kind == kube.Problem && ev.Pod.Name == "api-a" {
			t.Errorf("problem %q: api-a was deleted, nothing failed", ev)
		}
		return ev.Kind == kube.Gone && ev.Pod.Name == "api-a"
	})
	if gone.Pod.UID != "uid-a" {
		t.Errorf("gone %+v: want uid-a", gone.Pod)
	}
	added := await(t, f, "api-c added", isKind(kube.Added, "api-c"))
	mustDump(t, added.Addr, "main.steadyLeak(")
	for _, cl := range oldA {
		awaitDead(t, cl.pid)
	}
	if _, err := dump(addrs["api-a"]); err == nil {
		t.Errorf("api-a's address %s still answers after the pod is gone", addrs["api-a"])
	}

	// api-b's kubectl dies: it is restarted, behind the same address.
	fw := c.forwards("api-b")
	if len(fw) != 1 {
		t.Fatalf("port-forwards to api-b: %v, want one", fw)
	}
	if err := syscall.Kill(fw[0].pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	problem := await(t, f, "a problem with api-b", isKind(kube.Problem, "api-b"))
	if !strings.Contains(problem.String(), "pod api-b: kubectl port-forward ended (signal: killed)") {
		t.Errorf("problem %q: want how kubectl port-forward ended", problem)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if d, err := dump(addrs["api-b"]); err == nil && strings.Contains(d, "main.poolWorker(") {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("api-b's address %s did not answer again after the restart: %v", addrs["api-b"], err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(c.forwards("api-b")); n < 2 {
		t.Errorf("%d port-forwards to api-b: want a restart", n)
	}

	// Close ends every kubectl child and the events.
	f.Close()
	for _, cl := range c.calls() {
		awaitDead(t, cl.pid)
	}
	for ev := range f.Events() {
		t.Logf("after Close: %s", ev)
	}
}

// TestFleetSameName: a StatefulSet's pod replaced under the same name is
// a new pod: gone, then added, with a new UID.
func TestFleetSameName(t *testing.T) {
	c := newCluster(t)
	leak := testproc.StartLeaky(t, "-mode", "pool")
	db := map[string]string{"app": "db"}
	c.workload("StatefulSet", "shop", "db", db)
	c.pod("shop", "db-0", "uid-1", "Running", db)
	c.serve("shop", "db-0", 6060, leak)
	c.write()

	f := start(t, "k8s:sts/db --context staging", fastOptions)
	first := await(t, f, "db-0 added", isKind(kube.Added, "db-0"))
	mustDump(t, first.Addr, "main.poolWorker(")
	if got := c.calls()[0].args; got != "--context=staging get statefulset db -o json" {
		t.Errorf("first kubectl call %q: want the context's namespace, by --context", got)
	}

	c.remove("Pod", "db-0")
	c.pod("shop", "db-0", "uid-2", "Running", db)
	c.write()
	gone := await(t, f, "db-0 gone", isKind(kube.Gone, "db-0"))
	again := await(t, f, "db-0 added again", isKind(kube.Added, "db-0"))
	if gone.Pod.UID != "uid-1" || again.Pod.UID != "uid-2" {
		t.Errorf("gone %+v then added %+v: want uid-1 then uid-2", gone.Pod, again.Pod)
	}
	mustDump(t, again.Addr, "main.poolWorker(")
}

// TestFleetPortNotServed: a pod that serves nothing on the pprof port
// gets a problem that says so and how to name the port.
func TestFleetPortNotServed(t *testing.T) {
	c := newCluster(t)
	c.pod("default", "api-x", "uid-x", "Running", map[string]string{"app": "api"})
	c.write()

	f := start(t, "k8s:-l app=api", fastOptions)
	added := await(t, f, "api-x added", isKind(kube.Added, "api-x"))
	if _, err := dump(added.Addr); err == nil {
		t.Fatal("a dump through a port nothing serves")
	}
	p := await(t, f, "a problem with api-x", isKind(kube.Problem, "api-x"))
	msg := p.Err.Error()
	for _, want := range []string{"pod api-x: nothing answers on the pprof port", "connection refused", "k8s:-l app=api:PORT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("problem %q: want %q", msg, want)
		}
	}
	if strings.ContainsAny(msg, "\n\x1b") {
		t.Errorf("problem %q is not one clean line", msg)
	}
}

// TestFleetPorts: the pprof port is the container port named pprof by
// default, a named container port when the target names one, and the
// targetPort of a service port the target names.
func TestFleetPorts(t *testing.T) {
	c := newCluster(t)
	leak := testproc.StartLeaky(t, "-mode", "pool")
	web := map[string]string{"app": "web"}
	c.pod("default", "web-1", "uid-1", "Running", web, "http=8080", "pprof=7070", "debug=7071")
	c.serve("default", "web-1", 7070, leak)
	c.serve("default", "web-1", 7071, leak)
	c.serve("default", "web-1", 7072, leak)
	c.w.Objects = append(c.w.Objects, map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "web", "namespace": "default"},
		"spec": map[string]any{
			"selector": web,
			"ports": []any{
				map[string]any{"name": "http", "port": 80, "targetPort": "http"},
				map[string]any{"name": "prof", "port": 9000, "targetPort": 7072},
			},
		},
	})
	c.write()

	for _, tc := range []struct{ target, port string }{
		{"k8s:pod/web-1", ":7070"},
		{"k8s:pod/web-1:debug", ":7071"},
		{"k8s:svc/web:prof", ":7072"},
		{"k8s:svc/web:9000", ":7072"},
	} {
		before := len(c.forwards("web-1"))
		f := start(t, tc.target, fastOptions)
		ev := await(t, f, "web-1 added", isKind(kube.Added, "web-1"))
		mustDump(t, ev.Addr, "main.poolWorker(")
		fw := c.forwards("web-1")[before:]
		if len(fw) == 0 || !strings.HasSuffix(fw[0].args, " "+tc.port) {
			t.Errorf("%s: kubectl %v: want the pod's port %s", tc.target, fw, tc.port)
		}
		f.Close()
	}

	f := start(t, "k8s:pod/web-1:metrics", fastOptions)
	p := await(t, f, "a problem with web-1", isKind(kube.Problem, "web-1"))
	if msg := p.Err.Error(); !strings.Contains(msg, `no container port named "metrics" (its ports: http=8080, pprof=7070, debug=7071)`) {
		t.Errorf("problem %q: want the ports the pod names", msg)
	}
}

// TestFleetMaxPods: no more kubectl processes than MaxPods, and the user
// is told which pods are left out.
func TestFleetMaxPods(t *testing.T) {
	c := newCluster(t)
	leak := testproc.StartLeaky(t, "-mode", "pool")
	api := map[string]string{"app": "api"}
	for _, name := range []string{"api-1", "api-2", "api-3"} {
		c.pod("default", name, "uid-"+name, "Running", api)
		c.serve("default", name, 6060, leak)
	}
	c.write()
	opts := fastOptions
	opts.MaxPods = 2
	f := start(t, "k8s:-l app=api", opts)
	p := await(t, f, "a problem naming api-3", func(ev kube.Event) bool { return ev.Kind == kube.Problem && ev.Pod.Name == "" })
	if msg := p.Err.Error(); !strings.Contains(msg, "3 pods of pods with app=api run; gorotop forwards to 2 at most, so not to api-3") {
		t.Errorf("problem %q: want the pod left out", msg)
	}
	if n := len(c.forwards("api-3")); n != 0 {
		t.Errorf("%d port-forwards to api-3: want none", n)
	}
}

// TestStartErrors: what goes wrong before any pod is forwarded is one
// line that says what to do.
func TestStartErrors(t *testing.T) {
	c := newCluster(t)
	api := map[string]string{"app": "api"}
	c.workload("Deployment", "default", "api", api)
	c.workload("Deployment", "default", "idle", map[string]string{"app": "idle"})
	c.workload("Deployment", "default", "new", map[string]string{"app": "new"})
	c.pod("default", "new-1", "uid-n", "Pending", map[string]string{"app": "new"})
	base := c.w

	for _, tc := range []struct {
		name, target string
		change       func(*kubeworld.World)
		want         string
	}{
		{"not found", "k8s:deploy/apj", nil,
			`deploy/apj not found in the current context's namespace (kubectl: Error from server (NotFound): deployments.apps "apj" not found): check the name and -n`},
		{"pod not found", "k8s:pod/api-9 -n prod", nil,
			`no pods for pod/api-9 in namespace prod: was it deleted or replaced?`},
		{"forbidden", "k8s:deploy/api -n prod", func(w *kubeworld.World) { w.Forbidden = []string{"prod"} },
			`no access (kubectl: Error from server (Forbidden): deployments.apps "api" is forbidden: User "tester" cannot get resource "deployments" in API group "apps" in the namespace "prod"): gorotop needs get and list on pods and create on pods/portforward in namespace prod`},
		{"unauthorized", "k8s:deploy/api", func(w *kubeworld.World) { w.Unauthorized = true },
			`not logged in to the cluster (kubectl: error: You must be logged in to the server (Unauthorized)): log in again`},
		{"unreachable", "k8s:deploy/api", func(w *kubeworld.World) { w.Unreachable = "dial tcp 10.0.0.1:443: i/o timeout" },
			`cannot reach the cluster (kubectl: Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout): check the context`},
		{"unknown context", "k8s:deploy/api --context prod", nil,
			`kubectl knows no context "prod" (Error in configuration: context was not found for specified context: prod): see kubectl config get-contexts`},
		{"scaled to zero", "k8s:deploy/idle", nil,
			`no pods for deploy/idle in the current context's namespace: is it scaled to zero? (kubectl get pods -l 'app=idle')`},
		{"pending", "k8s:deploy/new", nil,
			`no running pod for deploy/new in the current context's namespace (1 Pending): none to watch yet`},
		{"service without selector", "k8s:svc/ext", func(w *kubeworld.World) {
			w.Objects = append(w.Objects, map[string]any{"kind": "Service", "metadata": map[string]any{"name": "ext", "namespace": "default"}, "spec": map[string]any{}})
		}, `svc/ext in the current context's namespace: the service has no selector`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.w = base
			c.w.Objects = append([]map[string]any(nil), base.Objects...)
			if tc.change != nil {
				tc.change(&c.w)
			}
			c.write()
			tg, err := kube.ParseTarget(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			f, err := kube.Start(context.Background(), tg, fastOptions)
			if err == nil {
				f.Close()
				t.Fatalf("Start(%s) succeeded", tc.target)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start(%s):\n got %s\nwant %s", tc.target, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}

	t.Run("no kubectl", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, err := kube.Start(context.Background(), kube.Target{Kind: kube.KindDeployment, Name: "api"}, fastOptions)
		if !errors.Is(err, kube.ErrNoKubectl) || !strings.Contains(err.Error(), "install kubectl or put it on PATH") {
			t.Errorf("Start without kubectl: %v", err)
		}
	})
}

// TestFleetForbidForward: reading pods is allowed, port-forwarding is
// not: a problem per pod that says which permission is missing.
func TestFleetForbidForward(t *testing.T) {
	c := newCluster(t)
	c.pod("default", "api-1", "uid-1", "Running", map[string]string{"app": "api"})
	c.w.ForbidForward = []string{"default"}
	c.write()
	f := start(t, "k8s:-l app=api", fastOptions)
	p := await(t, f, "a problem with api-1", isKind(kube.Problem, "api-1"))
	if msg := p.Err.Error(); !strings.Contains(msg, `pod api-1: no access (kubectl: error: error upgrading connection: pods "api-1" is forbidden`) ||
		!strings.Contains(msg, "create on pods/portforward") {
		t.Errorf("problem %q: want the missing permission", msg)
	}
}

// TestFleetWaitForPods: with WaitForPods a deployment scaled to zero is a
// problem, not a failure, and its first pod is forwarded when it runs,
// which resolves the problem.
func TestFleetWaitForPods(t *testing.T) {
	c := newCluster(t)
	leak := testproc.StartLeaky(t, "-mode", "pool")
	api := map[string]string{"app": "api"}
	c.workload("Deployment", "prod", "api", api)
	c.write()
	opts := fastOptions
	opts.WaitForPods = true
	f := start(t, "k8s:deploy/api -n prod", opts)
	p := await(t, f, "a problem: no pods", func(ev kube.Event) bool { return ev.Kind == kube.Problem })
	if msg := p.Err.Error(); !strings.Contains(msg, "no pods for deploy/api in namespace prod: is it scaled to zero?") {
		t.Errorf("problem %q: want no pods", msg)
	}
	c.pod("prod", "api-1", "uid-1", "Running", api)
	c.serve("prod", "api-1", 6060, leak)
	c.write()
	var added kube.Event
	resolved := false
	await(t, f, "api-1 added and the problem resolved", func(ev kube.Event) bool {
		switch ev.Kind {
		case kube.Added:
			added = ev
		case kube.Resolved:
			resolved = true
		case kube.Problem:
			t.Errorf("problem %q while api-1 runs", ev)
		}
		return added.Addr != "" && resolved
	})
	if added.Pod.String() != "prod/api-1" {
		t.Errorf("added %s, want prod/api-1", added.Pod)
	}
	mustDump(t, added.Addr, "main.poolWorker(")
}
