// Command kubectl is a stand-in for kubectl in tests: no cluster runs
// here, so the tests of internal/kube put this program on PATH under the
// name kubectl. It answers from a world the test writes (pods,
// deployments, statefulsets and services as the API server serves them),
// and its port-forward does real TCP forwarding to real local processes
// (testdata/leaky), so that gorotop polls real goroutine dumps through it.
//
// The world is the JSON file world.json in the directory named by
// $GOROTOP_FAKE_KUBE (see package internal/kubeworld). Each run appends
// one line to calls.log there: its process ID and its arguments.
//
// What it copies from kubectl, and where kubectl's behaviour was read
// (kubernetes/kubernetes: staging/src/k8s.io/kubectl/pkg/cmd/get/get.go,
// …/cmd/portforward/portforward.go, staging/src/k8s.io/client-go/tools/
// portforward/portforward.go; the kubectl reference page for
// port-forward; error texts as users report them in kubectl's issues):
//
//   - Global flags --context and -n/--namespace, before or after the
//     verb; an unknown context fails with "Error in configuration: context
//     was not found for specified context: NAME".
//   - get TYPE NAME -o json prints the object itself; get TYPE -l SELECTOR
//     -o json prints {"apiVersion": "v1", "items": [...], "kind": "List",
//     "metadata": {…}} (printGeneric), also when it is empty: with -o json
//     kubectl does not print "No resources found" (that is for its
//     human-readable printers only). JSON is indented by
//     four spaces. Types: pods/pod/po, deployments/deployment/deploy,
//     statefulsets/statefulset/sts, services/service/svc, also as
//     TYPE/NAME. Label selectors: =, ==, !=, in, notin, key, !key.
//   - Errors go to standard error and exit with status 1, worded as
//     kubectl's are: `Error from server (NotFound): deployments.apps "x"
//     not found`; `Error from server (Forbidden): pods is forbidden: User
//     "U" cannot list resource "pods" in API group "" in the namespace
//     "NS"`; `error: You must be logged in to the server (Unauthorized)`;
//     `Unable to connect to the server: …`.
//   - port-forward pod/NAME [--address=A,B] [LOCAL]:REMOTE: a pod that is
//     not Running fails with "error: unable to forward port because pod is
//     not running. Current status=PHASE"; a forbidden port-forward fails at
//     once with "error: error upgrading connection: …" (kubectl upgrades
//     the connection before it listens). It listens on each address
//     (localhost: 127.0.0.1 and ::1, in that order), LOCAL 0 or empty
//     meaning a random port, and prints "Forwarding from 127.0.0.1:N ->
//     REMOTE" (and "Forwarding from [::1]:N -> REMOTE") on standard
//     output; at each connection it prints "Handling connection for N".
//     When the pod's port cannot be reached it logs, klog-style on
//     standard error, "E… portforward.go:…] an error occurred forwarding N
//     -> REMOTE: error forwarding port REMOTE to pod UID, uid : … connect:
//     connection refused", then ends with "error: lost connection to pod"
//     and status 1, as kubectl does since 1.23 (kubernetes#103526). When
//     the pod is deleted or stops running it ends the same way.
//
// Unlike kubectl, its port-forward also ends when world.json is gone, so
// that none outlives the test that started it.
//
// What it does not copy: the API server, authentication and kubeconfig
// files (the world says who is refused); the SPDY/WebSocket tunnel
// through the API server and the kubelet (a local TCP connection stands
// in); its latency; named ports in port-forward arguments; every other
// verb and flag; the log format of the newest kubectl releases, which
// wrap the forwarding error in structured logging ("Unhandled Error"
// err="an error occurred forwarding …").
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/kubeworld"
)

// resource is one kind of object kubectl gets.
type resource struct {
	kind   string // the object's kind
	plural string // as the API names it in errors: "deployments.apps"
	group  string // its API group
	short  string // the resource name in Forbidden errors
}

var resources = map[string]resource{}

func init() {
	for _, r := range []struct {
		res   resource
		names []string
	}{
		{resource{"Pod", "pods", "", "pods"}, []string{"pods", "pod", "po"}},
		{resource{"Deployment", "deployments.apps", "apps", "deployments"}, []string{"deployments", "deployment", "deploy", "deployments.apps"}},
		{resource{"StatefulSet", "statefulsets.apps", "apps", "statefulsets"}, []string{"statefulsets", "statefulset", "sts", "statefulsets.apps"}},
		{resource{"Service", "services", "", "services"}, []string{"services", "service", "svc"}},
	} {
		for _, n := range r.names {
			resources[n] = r.res
		}
	}
}

// exitError ends the program with kubectl's exit status 1 after printing
// its message to standard error.
type exitError string

func (e exitError) Error() string { return string(e) }

func main() {
	dir := os.Getenv(kubeworld.Env)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "stand-in kubectl: $%s is not set\n", kubeworld.Env)
		os.Exit(2)
	}
	logCall(dir)
	if err := run(dir, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// logCall appends "PID ARGS…" to calls.log.
func logCall(dir string) {
	f, err := os.OpenFile(filepath.Join(dir, kubeworld.Calls), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), strings.Join(os.Args[1:], " "))
	f.Close()
}

// invocation is a parsed command line.
type invocation struct {
	context, namespace string
	nsGiven            bool
	selector, output   string
	address            []string
	args               []string // the verb and its arguments
}

func parse(argv []string) (*invocation, error) {
	inv := &invocation{address: []string{"localhost"}}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			inv.args = append(inv.args, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue {
			if i+1 >= len(argv) {
				return nil, exitError("error: flag needs an argument: " + name)
			}
			i++
			value = argv[i]
		}
		switch name {
		case "--context":
			inv.context = value
		case "-n", "--namespace":
			inv.namespace, inv.nsGiven = value, true
		case "-l", "--selector":
			inv.selector = value
		case "-o", "--output":
			inv.output = value
		case "--address":
			inv.address = strings.Split(value, ",")
		default:
			return nil, exitError(fmt.Sprintf("error: unknown flag: %s\nSee 'kubectl --help' for usage.", name))
		}
	}
	return inv, nil
}

func run(dir string, argv []string) error {
	inv, err := parse(argv)
	if err != nil {
		return err
	}
	w, err := kubeworld.Read(dir)
	if err != nil {
		return err
	}
	ctx := inv.context
	if ctx == "" {
		ctx = w.CurrentContext
	}
	defaultNS, ok := w.Contexts[ctx]
	if !ok {
		return exitError("Error in configuration: context was not found for specified context: " + ctx)
	}
	if !inv.nsGiven {
		inv.namespace = defaultNS
		if inv.namespace == "" {
			inv.namespace = "default"
		}
	}
	switch {
	case w.Unreachable != "":
		return exitError("Unable to connect to the server: " + w.Unreachable)
	case w.Unauthorized:
		return exitError("error: You must be logged in to the server (Unauthorized)")
	case len(inv.args) == 0:
		return exitError("error: stand-in kubectl: no command")
	}
	switch inv.args[0] {
	case "get":
		return get(w, inv)
	case "port-forward":
		return portForward(dir, w, inv)
	}
	return exitError(fmt.Sprintf("error: unknown command %q for \"kubectl\"", inv.args[0]))
}

// get prints objects as `kubectl get … -o json` does.
func get(w *kubeworld.World, inv *invocation) error {
	if inv.output != "json" {
		return exitError("error: stand-in kubectl prints -o json only")
	}
	args := inv.args[1:]
	if len(args) == 0 {
		return exitError("error: you must specify the type of resource to get")
	}
	typ, name, _ := strings.Cut(args[0], "/")
	if name == "" && len(args) > 1 {
		name = args[1]
	}
	res, ok := resources[typ]
	if !ok {
		return exitError(fmt.Sprintf("error: the server doesn't have a resource type %q", typ))
	}
	verb := "list"
	if name != "" {
		verb = "get"
	}
	if slices.Contains(w.Forbidden, inv.namespace) {
		what := res.plural
		if name != "" {
			what += fmt.Sprintf(" %q", name)
		}
		return exitError(fmt.Sprintf("Error from server (Forbidden): %s is forbidden: User %q cannot %s resource %q in API group %q in the namespace %q",
			what, w.User, verb, res.short, res.group, inv.namespace))
	}
	if name != "" {
		for _, o := range w.Objects {
			if kindOf(o) == res.kind && nameOf(o) == name && namespaceOf(o) == inv.namespace {
				return printJSON(o)
			}
		}
		return exitError(fmt.Sprintf("Error from server (NotFound): %s %q not found", res.plural, name))
	}
	reqs, err := parseSelector(inv.selector)
	if err != nil {
		return exitError("error: " + err.Error())
	}
	items := []map[string]any{}
	for _, o := range w.Objects {
		if kindOf(o) == res.kind && namespaceOf(o) == inv.namespace && matches(reqs, labelsOf(o)) {
			items = append(items, o)
		}
	}
	return printJSON(map[string]any{
		"apiVersion": "v1",
		"items":      items,
		"kind":       "List",
		"metadata":   map[string]any{"resourceVersion": ""},
	})
}

func printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(b, '\n'))
	return err
}

// portForward forwards local connections to the pod's endpoint in the
// world, printing what kubectl prints.
func portForward(dir string, w *kubeworld.World, inv *invocation) error {
	if len(inv.args) < 3 {
		return exitError("error: TYPE/NAME and list of ports are required for port-forward")
	}
	typ, name, ok := strings.Cut(inv.args[1], "/")
	if !ok {
		typ, name = "pod", inv.args[1]
	}
	if resources[typ].kind != "Pod" {
		return exitError("error: stand-in kubectl forwards to pods only")
	}
	if slices.Contains(w.Forbidden, inv.namespace) {
		return exitError(fmt.Sprintf("Error from server (Forbidden): pods %q is forbidden: User %q cannot get resource \"pods\" in API group \"\" in the namespace %q", name, w.User, inv.namespace))
	}
	pod := findPod(w, inv.namespace, name)
	if pod == nil {
		return exitError(fmt.Sprintf("Error from server (NotFound): pods %q not found", name))
	}
	if phase := phaseOf(pod); phase != "Running" {
		return exitError("error: unable to forward port because pod is not running. Current status=" + phase)
	}
	if slices.Contains(w.ForbidForward, inv.namespace) {
		return exitError(fmt.Sprintf("error: error upgrading connection: pods %q is forbidden: User %q cannot create resource \"pods/portforward\" in API group \"\" in the namespace %q", name, w.User, inv.namespace))
	}
	localText, remoteText, ok := strings.Cut(inv.args[2], ":")
	if !ok {
		localText, remoteText = inv.args[2], inv.args[2]
	}
	if localText == "" {
		localText = "0"
	}
	local, err1 := strconv.ParseUint(localText, 10, 16)
	remote, err2 := strconv.ParseUint(remoteText, 10, 16)
	if err1 != nil || err2 != nil || remote == 0 {
		return exitError(fmt.Sprintf("error: error parsing port %q", inv.args[2]))
	}
	uid := uidOf(pod)

	var hosts []string
	for _, a := range inv.address {
		if a == "localhost" {
			hosts = append(hosts, "127.0.0.1", "::1")
		} else {
			hosts = append(hosts, a)
		}
	}
	slices.Sort(hosts)
	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(int(local))))
		if err != nil {
			fmt.Fprintf(os.Stderr, "Unable to listen on port %d: Listeners failed to create with the following errors: [unable to create listener: Error %v]\n", local, err)
			continue
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		fmt.Printf("Forwarding from %s -> %d\n", net.JoinHostPort(h, port), remote)
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return exitError(fmt.Sprintf("error: unable to listen on any of the requested ports: [{%d %d}]", local, remote))
	}

	lost := make(chan struct{})
	var once sync.Once
	loseConnection := func() { once.Do(func() { close(lost) }) }
	endpoint := w.Endpoints[fmt.Sprintf("%s/%s:%d", inv.namespace, name, remote)]
	for _, ln := range lns {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					fmt.Printf("Handling connection for %s\n", port)
					if !handle(c, endpoint) {
						klog(fmt.Sprintf("an error occurred forwarding %s -> %d: error forwarding port %d to pod %s, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-%s\": failed to connect to localhost:%d inside namespace %q, IPv4: dial tcp4 127.0.0.1:%d: connect: connection refused IPv6 dial tcp6 [::1]:%d: connect: connection refused ",
							port, remote, remote, uid, uid, remote, uid, remote, remote))
						loseConnection()
					}
				}()
			}
		}()
	}
	// The pod's end: it is deleted, replaced or stops running.
	go func() {
		for {
			time.Sleep(100 * time.Millisecond)
			w, err := kubeworld.Read(dir)
			if errors.Is(err, os.ErrNotExist) {
				loseConnection() // the test is over: end with it
				return
			}
			if err != nil {
				continue
			}
			if p := findPod(w, inv.namespace, name); p == nil || uidOf(p) != uid || phaseOf(p) != "Running" {
				loseConnection()
				return
			}
		}
	}()
	<-lost
	return exitError("error: lost connection to pod")
}

// handle copies between c and the endpoint, and reports false when the
// endpoint cannot be reached.
func handle(c net.Conn, endpoint string) bool {
	defer c.Close()
	if endpoint == "" {
		return false
	}
	up, err := net.Dial("tcp", endpoint)
	if err != nil {
		return false
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		close(done)
	}()
	io.Copy(c, up)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	<-done
	return true
}

// klog prints an error line as kubectl's logger does.
func klog(msg string) {
	now := time.Now()
	fmt.Fprintf(os.Stderr, "E%s %7d portforward.go:424] %s\n", now.Format("0102 15:04:05.000000"), os.Getpid(), msg)
}

func findPod(w *kubeworld.World, ns, name string) map[string]any {
	for _, o := range w.Objects {
		if kindOf(o) == "Pod" && nameOf(o) == name && namespaceOf(o) == ns {
			return o
		}
	}
	return nil
}

// field walks nested maps: field(o, "metadata", "name").
func field(o map[string]any, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(o map[string]any, path ...string) string {
	s, _ := field(o, path...).(string)
	return s
}

func kindOf(o map[string]any) string      { return str(o, "kind") }
func nameOf(o map[string]any) string      { return str(o, "metadata", "name") }
func namespaceOf(o map[string]any) string { return str(o, "metadata", "namespace") }
func uidOf(o map[string]any) string       { return str(o, "metadata", "uid") }

func phaseOf(o map[string]any) string {
	if field(o, "metadata", "deletionTimestamp") != nil {
		return "Terminating"
	}
	return str(o, "status", "phase")
}

func labelsOf(o map[string]any) map[string]string {
	out := map[string]string{}
	m, _ := field(o, "metadata", "labels").(map[string]any)
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// requirement is one term of a label selector.
type requirement struct {
	key, op string // op: "=", "!=", "in", "notin", "exists", "!exists"
	values  []string
}

// parseSelector reads a label selector as kubectl's -l does.
func parseSelector(s string) ([]requirement, error) {
	var reqs []requirement
	depth, start := 0, 0
	var terms []string
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				terms = append(terms, s[start:i])
				start = i + 1
			}
		}
	}
	terms = append(terms, s[start:])
	for _, t := range terms {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		var r requirement
		switch {
		case strings.HasPrefix(t, "!"):
			r = requirement{key: strings.TrimSpace(t[1:]), op: "!exists"}
		case strings.Contains(t, "!="):
			k, v, _ := strings.Cut(t, "!=")
			r = requirement{key: strings.TrimSpace(k), op: "!=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(t, "=="):
			k, v, _ := strings.Cut(t, "==")
			r = requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(t, "="):
			k, v, _ := strings.Cut(t, "=")
			r = requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}
		case strings.Contains(t, " notin "), strings.Contains(t, " in "):
			op := "in"
			k, rest, _ := strings.Cut(t, " in ")
			if strings.Contains(t, " notin ") {
				op = "notin"
				k, rest, _ = strings.Cut(t, " notin ")
			}
			rest = strings.TrimSpace(rest)
			if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
				return nil, fmt.Errorf("unable to parse requirement: %q", t)
			}
			var vals []string
			for _, v := range strings.Split(rest[1:len(rest)-1], ",") {
				vals = append(vals, strings.TrimSpace(v))
			}
			r = requirement{key: strings.TrimSpace(k), op: op, values: vals}
		default:
			r = requirement{key: t, op: "exists"}
		}
		if r.key == "" || strings.ContainsAny(r.key, " ()") {
			return nil, errors.New("unable to parse requirement: " + strconv.Quote(t))
		}
		reqs = append(reqs, r)
	}
	return reqs, nil
}

func matches(reqs []requirement, labels map[string]string) bool {
	for _, r := range reqs {
		v, has := labels[r.key]
		var ok bool
		switch r.op {
		case "=":
			ok = has && v == r.values[0]
		case "!=":
			ok = !has || v != r.values[0]
		case "in":
			ok = has && slices.Contains(r.values, v)
		case "notin":
			ok = !has || !slices.Contains(r.values, v)
		case "exists":
			ok = has
		case "!exists":
			ok = !has
		}
		if !ok {
			return false
		}
	}
	return true
}
