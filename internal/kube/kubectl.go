package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// Error is a failure told in one line: what went wrong, where, and what
// to try. Pod names the pod it concerns, if any.
type Error struct {
	Pod string
	Msg string
	err error // what it wraps, if anything
}

// Unwrap returns the error this one wraps, such as ErrNoKubectl.
func (e *Error) Unwrap() error { return e.err }

func (e *Error) Error() string {
	if e.Pod != "" {
		return "pod " + e.Pod + ": " + e.Msg
	}
	return e.Msg
}

// ErrNoKubectl is wrapped by the error Start returns when kubectl is not
// found.
var ErrNoKubectl = errors.New("kubectl not found")

// errNotFound is wrapped by get's error when the server said NotFound.
var errNotFound = errors.New("not found")

// kubectl runs the user's kubectl with the target's context and
// namespace.
type kubectl struct {
	path    string
	target  Target
	timeout time.Duration // one get
	maxOut  int64         // bytes of one get's output
}

// findKubectl looks kubectl up: name is a path or a command on PATH.
func findKubectl(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &Error{Msg: fmt.Sprintf("%v: gorotop runs your own kubectl to find the pods and port-forward to them; install kubectl or put it on PATH (%s)", ErrNoKubectl, clean(err.Error())), err: ErrNoKubectl}
	}
	return path, nil
}

// args returns kubectl's arguments for a command: global flags first.
func (k *kubectl) args(cmd ...string) []string {
	var a []string
	if k.target.Context != "" {
		a = append(a, "--context="+k.target.Context)
	}
	if k.target.Namespace != "" {
		a = append(a, "--namespace="+k.target.Namespace)
	}
	return append(a, cmd...)
}

// get runs `kubectl get ARGS -o json` and returns what it printed. Its
// error is an *Error that explains kubectl's complaint.
func (k *kubectl) get(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	args = k.args(append(append([]string{"get"}, args...), "-o", "json")...)
	cmd := exec.Command(k.path, args...)
	out := &capped{max: k.maxOut}
	errOut := &tail{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = time.Second // a helper kubectl started may hold its output open
	if err := startChild(cmd); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("run kubectl: %s", clean(err.Error()))}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-ctx.Done():
		killChild(cmd)
		<-exited
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &Error{Msg: fmt.Sprintf("kubectl %s took longer than %v: is the cluster reachable? (try kubectl cluster-info)", strings.Join(args, " "), k.timeout)}
		}
		return nil, ctx.Err()
	}
	if out.over {
		return nil, &Error{Msg: fmt.Sprintf("kubectl %s printed more than %d MiB: name fewer pods (a narrower selector)", strings.Join(args, " "), k.maxOut>>20)}
	}
	if err != nil {
		e := &Error{Msg: k.explain(errOut.String(), "")}
		if strings.Contains(errOut.String(), "(NotFound)") {
			e.err = errNotFound
		}
		return nil, e
	}
	return out.Bytes(), nil
}

// klogPrefix is the header klog puts before kubectl's log lines:
// "E0125 16:35:32.441184   17073 portforward.go:400] ".
var klogPrefix = regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]]*\] `)

// lastLines returns the non-empty lines of kubectl's standard error,
// cleaned of klog headers and control bytes.
func lastLines(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(klogPrefix.ReplaceAllString(strings.TrimSpace(l), ""))
		if l != "" {
			lines = append(lines, stackparse.Clean(l, 0))
		}
	}
	return lines
}

// brief cuts a long line in its middle: kubectl's errors say what failed
// first and why last ("an error occurred forwarding … connect: connection
// refused").
func brief(s string) string {
	const head, tail = 100, 140
	r := []rune(s)
	if len(r) <= head+tail+3 {
		return s
	}
	return string(r[:head]) + " … " + string(r[len(r)-tail:])
}

// explain turns what kubectl printed on standard error into one line that
// says what is wrong and what to do. pod is the pod a port-forward was
// for, or "".
func (k *kubectl) explain(stderr, pod string) string {
	lines := lastLines(stderr)
	if len(lines) == 0 {
		return "kubectl failed and said nothing"
	}
	said := brief(lines[len(lines)-1])
	all := strings.ToLower(strings.Join(lines, "\n"))
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(all, x) {
				return true
			}
		}
		return false
	}
	// The most telling line: the one that names the cause.
	pick := func(s ...string) string {
		for i := len(lines) - 1; i >= 0; i-- {
			for _, x := range s {
				if strings.Contains(strings.ToLower(lines[i]), x) {
					return brief(lines[i])
				}
			}
		}
		return said
	}
	t := k.target
	switch {
	case has("context was not found", "context \"") && has("does not exist", "not found for specified context"):
		return fmt.Sprintf("kubectl knows no context %s (%s): see kubectl config get-contexts", quote(t.Context), pick("context"))
	case has("unable to connect to the server", "connection to the server", "no such host", "i/o timeout"):
		return fmt.Sprintf("cannot reach the cluster (kubectl: %s): check the context (--context) and your network or VPN", pick("server", "host", "timeout"))
	case has("unauthorized", "must be logged in", "provide credentials"):
		return fmt.Sprintf("not logged in to the cluster (kubectl: %s): log in again (your cloud CLI or kubelogin) and retry", pick("unauthorized", "logged in", "credentials"))
	case has("forbidden"):
		return fmt.Sprintf("no access (kubectl: %s): gorotop needs get and list on pods and create on pods/portforward in %s; ask for them or pick another --context", pick("forbidden"), t.where())
	case has("(notfound)", "not found"):
		if pod != "" {
			return fmt.Sprintf("the pod is gone (kubectl: %s)", pick("not found"))
		}
		return fmt.Sprintf("%s not found in %s (kubectl: %s): check the name and -n", t.what(), t.where(), pick("not found"))
	case has("pod is not running"):
		return fmt.Sprintf("not running yet (kubectl: %s)", pick("not running"))
	case has("connection refused") && pod != "":
		return fmt.Sprintf("nothing answers on the pprof port in the pod (kubectl: %s): serve net/http/pprof there, or name the port: %s", pick("refused"), t.withPort("PORT"))
	case has("unable to listen", "address already in use"):
		return fmt.Sprintf("kubectl could not listen on a local port (kubectl: %s)", pick("listen", "in use"))
	}
	return "kubectl: " + said
}

// withPort returns the target with a port placeholder, for hints.
func (t Target) withPort(p string) string {
	t.Port = p
	return t.String()
}

// capped keeps what is written to it up to max bytes and notes more.
type capped struct {
	bytes.Buffer
	max  int64
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - int64(c.Len()); int64(len(p)) > room {
		c.over = true
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// tail keeps the last max bytes written to it; safe for concurrent use.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
