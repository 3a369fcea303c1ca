//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/kubeworld"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/tui"
)

// The tests here run gorotop on Kubernetes targets end to end: the real
// binary, testdata/kubectl (the stand-in for kubectl: its package doc
// says what of kubectl it copies) first on PATH, forwarding to real
// leaking processes. Checks run with --max-stall off: a full dump at
// every poll, so that on a loaded machine (whose waits the stall budget
// charges) a pod watched long enough is judged, and one watched too
// briefly is not, as the test means.

// cluster is a world for the stand-in kubectl: a Deployment "api" in
// namespace "default" (the current context's), its pods, and where each
// pod's port 6060 leads.
type cluster struct {
	t   *testing.T
	dir string
	w   kubeworld.World
	// env runs gorotop with the stand-in kubectl on PATH and this world.
	env []string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	bin := testproc.KubectlDir(t)
	c := &cluster{t: t, dir: t.TempDir()}
	c.env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), kubeworld.Env+"="+c.dir)
	c.w = kubeworld.World{
		CurrentContext: "test",
		Contexts:       map[string]string{"test": "default"},
		User:           "tester",
		Endpoints:      map[string]string{},
		Objects: []map[string]any{{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "api", "namespace": "default"},
			"spec":     map[string]any{"selector": map[string]any{"matchLabels": map[string]string{"app": "api"}}},
		}},
	}
	c.write()
	return c
}

// pod adds a running pod of deploy/api whose port 6060 leads to addr.
func (c *cluster) pod(name, addr string) {
	c.w.Objects = append(c.w.Objects, map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": "default", "uid": "uid-" + name, "labels": map[string]string{"app": "api"}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "app"}}},
		"status":   map[string]any{"phase": "Running"},
	})
	c.w.Endpoints["default/"+name+":6060"] = addr
}

// remove deletes a pod.
func (c *cluster) remove(name string) {
	var keep []map[string]any
	for _, o := range c.w.Objects {
		if o["kind"] != "Pod" || o["metadata"].(map[string]any)["name"] != name {
			keep = append(keep, o)
		}
	}
	c.w.Objects = keep
}

// write writes the world for the next kubectl runs.
func (c *cluster) write() {
	c.t.Helper()
	if err := c.w.Write(c.dir); err != nil {
		c.t.Fatal(err)
	}
}

// kubectls returns the process IDs of every kubectl run so far.
func (c *cluster) kubectls() []int {
	b, err := os.ReadFile(filepath.Join(c.dir, kubeworld.Calls))
	if err != nil {
		c.t.Fatal(err)
	}
	var pids []int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		pid, _, _ := strings.Cut(line, " ")
		if n, err := strconv.Atoi(pid); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// afterForward calls f d after kubectl port-forward to pod first ran:
// after the command's fleet started, however long the machine took to
// start it. It returns a channel that gets the time f returned.
func (c *cluster) afterForward(pod string, d time.Duration, f func()) <-chan time.Time {
	done := make(chan time.Time, 1)
	go func() {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			b, _ := os.ReadFile(filepath.Join(c.dir, kubeworld.Calls))
			if strings.Contains(string(b), "port-forward pod/"+pod+" ") {
				time.Sleep(d)
				f()
				done <- time.Now()
				return
			}
		}
	}()
	return done
}

// allDead fails the test unless every kubectl run so far has ended.
func (c *cluster) allDead(after string) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range c.kubectls() {
		for !procGone(pid) {
			if time.Now().After(deadline) {
				c.t.Fatalf("kubectl %d still runs %s", pid, after)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// gorotop runs the real binary in the cluster and returns its exit code,
// stdout and stderr.
func (c *cluster) gorotop(args ...string) (int, string, string) {
	c.t.Helper()
	cmd := exec.Command(testproc.BuildGorotop(c.t), args...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code := testproc.ExitCode(c.t, cmd.Run())
	return code, out.String(), errOut.String()
}

// TestCheckFleet checks a Deployment of two pods, one of which leaks: the
// check fails, naming the pod and its leak, and judges the other clean;
// every kubectl it started has ended with it.
func TestCheckFleet(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.pod("api-7d9c-leaky", testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "10"))
	c.pod("api-7d9c-quiet", testproc.StartLeaky(t, "-mode", "pool,churn"))
	c.write()
	code, out, errOut := c.gorotop("check", "--for", "20s", "--interval", "500ms", "--max-stall", "off", "k8s:deploy/api")
	if code != exitLeak {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLeak, out, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^gorotop check of k8s:deploy/api: 2 pods over 20s: 1 leaking, 1 clean\n`),
		regexp.MustCompile(`(?m)^  LEAK        api-7d9c-leaky$`),
		regexp.MustCompile(`(?m)^  clean       api-7d9c-quiet$`),
		regexp.MustCompile(`(?m)^pod api-7d9c-leaky \(k8s:pod/api-7d9c-leaky -n default\):\ngorotop check of k8s:pod/api-7d9c-leaky -n default: \d+ polls.*\n1 suspected leak\(s\):\n  LEAK [\d ]+ goroutines  chan receive  main.go:\d+  main.steadyLeak$`),
		regexp.MustCompile(`(?m)^pod api-7d9c-quiet \(k8s:pod/api-7d9c-quiet -n default\):\n.*\nno suspected leak$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the report does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "main.poolWorker") {
		t.Errorf("the report names a healthy group:\n%s", out)
	}
	if !strings.Contains(errOut, "k8s:pod/api-7d9c-leaky -n default: watching it through kubectl port-forward at 127.0.0.1:") {
		t.Errorf("stderr does not say which pods it watches:\n%s", errOut)
	}
	c.allDead("after check ended")
}

// TestCheckFleetPodReplaced replaces a pod while the check runs, as a
// rollout does: the pod gone is reported with what it showed until it
// went, its successor is watched from when it came, too briefly to be
// judged, and the report and the JSON say so per pod. The leaking pod
// fails the check.
func TestCheckFleetPodReplaced(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	quiet := testproc.StartLeaky(t, "-mode", "pool")
	c.pod("api-old", quiet)
	c.pod("api-leaky", testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "10"))
	c.write()
	// Past 12 s of the 20, the successor cannot be watched the 10 s a
	// verdict on goroutine IDs takes.
	replaced := c.afterForward("api-old", 12*time.Second, func() {
		c.remove("api-old")
		c.pod("api-new", quiet)
		c.write()
	})
	report := filepath.Join(t.TempDir(), "check.json")
	code, out, errOut := c.gorotop("check", "--for", "20s", "--interval", "500ms", "--max-stall", "off", "--format", "json", "-o", report, "k8s:deploy/api")
	if code != exitLeak {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitLeak, out, errOut)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r export.FleetReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if r.Schema != export.FleetSchema || r.Target != "k8s:deploy/api" || r.Verdict != "leak" || len(r.Pods) != 3 {
		t.Fatalf("report %s %s %s with %d pods, want the leak and 3 pods:\n%s", r.Schema, r.Target, r.Verdict, len(r.Pods), b)
	}
	pods := map[string]export.PodReport{}
	for _, p := range r.Pods {
		pods[p.Pod] = p
		if p.Report == nil || p.Report.Source != p.Target || p.Target != "k8s:pod/"+strings.TrimPrefix(p.Pod, "default/")+" -n default" {
			t.Errorf("pod %s: target %q, report %v", p.Pod, p.Target, p.Report != nil)
		}
	}
	leaky, old, fresh := pods["default/api-leaky"], pods["default/api-old"], pods["default/api-new"]
	if leaky.Verdict != "leak" || findGroup(*leaky.Report, "main.steadyLeak") == nil || !findGroup(*leaky.Report, "main.steadyLeak").Trend.Suspect {
		t.Errorf("api-leaky: verdict %q, want its steady leak suspected", leaky.Verdict)
	}
	if old.Left == "" || old.UID != "uid-api-old" || old.WatchedSeconds < 10 || old.WatchedSeconds > 19 || old.Verdict == "leak" {
		t.Errorf("api-old: left %q after %.1fs, verdict %q: want it gone after 12 s to 17 s, no leak", old.Left, old.WatchedSeconds, old.Verdict)
	}
	var replacedAt time.Time
	select {
	case replacedAt = <-replaced:
	default:
		t.Fatal("api-old was not replaced during the check")
	}
	joined, err := time.Parse(time.RFC3339, fresh.Joined)
	if err != nil || fresh.Left != "" || fresh.Verdict != "not-judged" || fresh.WatchedSeconds >= 10 || joined.Before(replacedAt.Truncate(time.Second)) {
		t.Errorf("api-new: joined %s (replaced at %s), watched %.1fs, verdict %q: want it watched from when it came, not judged", fresh.Joined, replacedAt.Format(time.RFC3339), fresh.WatchedSeconds, fresh.Verdict)
	}
	if !strings.Contains(errOut, "k8s:pod/api-old -n default: gone") || !strings.Contains(errOut, "k8s:pod/api-new -n default: watching it") {
		t.Errorf("stderr does not tell the pods that came and went:\n%s", errOut)
	}
	c.allDead("after check ended")
}

// TestCheckFleetLatePodNotJudged: when no pod leaks and one came too late
// to be judged, the check passes on the others' verdict, and says so: the
// report names the pod not judged and why, and a warning too.
func TestCheckFleetLatePodNotJudged(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	quiet := testproc.StartLeaky(t, "-mode", "pool,churn")
	c.pod("api-a", quiet)
	c.write()
	c.afterForward("api-a", 13*time.Second, func() {
		c.pod("api-b", quiet)
		c.write()
	})
	code, out, errOut := c.gorotop("check", "--for", "20s", "--interval", "500ms", "--max-stall", "off", "k8s:deploy/api")
	if code != exitOK {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitOK, out, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^gorotop check of k8s:deploy/api: 2 pods over 20s: 1 clean, 1 not judged\n`),
		regexp.MustCompile(`(?m)^  not judged  api-b, came 1[3-9]s into the check: watched [1-7]s$`),
		regexp.MustCompile(`(?m)^  A pod not judged was not watched long enough: one that came during the check \(a rollout\) may run other code than those it replaced; check it again\.$`),
		regexp.MustCompile(`(?m)^could not judge: --for [1-7]s took \d+ full dumps`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the report does not match %s:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "gorotop: warning: 1 of 2 pods not judged (api-b): the others are clean; see the report") {
		t.Errorf("no warning names the pod not judged:\n%s", errOut)
	}
}

// TestFleetErrors: what a Kubernetes target cannot do is one line, and
// exit 2.
func TestFleetErrors(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.pod("api-a", testproc.StartLeaky(t, "-mode", "pool"))
	c.write()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "k8s:deploy/nope"}, `gorotop: deploy/nope not found in the current context's namespace (kubectl: Error from server (NotFound): deployments.apps "nope" not found): check the name and -n`},
		{[]string{"check", "--format", "html", "k8s:deploy/api"}, "gorotop: --format html: a Kubernetes target is checked pod by pod, in text or json; for a html of one pod, check k8s:pod/NAME"},
		{[]string{"snapshot", "k8s:deploy/api"}, "gorotop: snapshot reads one process, and k8s:deploy/api is a pod each"},
		{[]string{"diff", "k8s:deploy/api", "before.txt"}, "gorotop: diff reads one process, and k8s:deploy/api is a pod each"},
		{[]string{"record", "-o", "api.rec", "k8s:deploy/api"}, "gorotop: -o api.rec: k8s:deploy/api is recorded pod by pod, a file each: give a directory, such as -o api/"},
		{[]string{"--record", "api.rec", "k8s:deploy/api"}, "gorotop: --record takes no Kubernetes target: record its pods with gorotop record -o DIR k8s:deploy/api"},
		{[]string{"watch", "k8s:deploy/api"}, "gorotop: give --metrics ADDR: watch serves what it sees there, such as --metrics :9464"},
		{[]string{"check", "k8s:deploy/api -n Prod"}, `gorotop: k8s target "k8s:deploy/api -n Prod": "Prod" is not a namespace name`},
	} {
		code, out, errOut := c.gorotop(tc.args...)
		if code != exitProblem || out != "" || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("gorotop %s: exit %d, stdout %q, stderr %q; want exit 2 and one line %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}

// TestRecordFleet records each pod of a Deployment into a directory, a
// recording each, which replays.
func TestRecordFleet(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.pod("api-a", testproc.StartLeaky(t, "-mode", "steady", "-steady-rate", "20"))
	c.pod("api-b", testproc.StartLeaky(t, "-mode", "pool"))
	c.write()
	dir := filepath.Join(t.TempDir(), "recs")
	code, _, errOut := c.gorotop("record", "-o", dir, "--for", "3s", "--interval", "500ms", "k8s:deploy/api")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for pod, fn := range map[string]string{"api-a": "main.steadyLeak", "api-b": "main.poolWorker"} {
		rec := filepath.Join(dir, pod+".rec")
		if !strings.Contains(errOut, " of k8s:pod/"+pod+" -n default in "+rec+": ") {
			t.Errorf("stderr does not say what was recorded of %s:\n%s", pod, errOut)
		}
		code, out, errOut := c.gorotop("snapshot", "--format", "json", rec)
		var r export.Report
		if code != exitOK || json.Unmarshal([]byte(out), &r) != nil || findGroup(r, fn) == nil {
			t.Errorf("snapshot of %s: exit %d, %s; want a group in %s", rec, code, errOut, fn)
		}
	}
	// A second run records beside the first, replacing nothing.
	if code, _, errOut := c.gorotop("record", "-o", dir, "--for", "1s", "--interval", "500ms", "k8s:deploy/api"); code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"api-a.rec", "api-a-2.rec", "api-b.rec", "api-b-2.rec"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("after two runs: %v", err)
		}
	}
	c.allDead("after record ended")
}

// TestWatchMetrics runs gorotop watch on a Deployment and scrapes its
// /metrics as Prometheus does: each pod is a target, the leaking pod's
// leak is a suspect with its growth, the healthy pod's groups are not; a
// pod that goes takes its series with it; and a SIGKILL of gorotop ends
// every kubectl it started.
func TestWatchMetrics(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.pod("api-leaky", testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "20"))
	quiet := testproc.StartLeaky(t, "-mode", "pool")
	c.pod("api-quiet", quiet)
	c.write()
	cmd := exec.Command(testproc.BuildGorotop(t), "watch", "--metrics", "127.0.0.1:0", "--interval", "500ms", "k8s:deploy/api")
	cmd.Env = c.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	var log syncLines
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.add(sc.Text())
		}
	}()
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; time.Sleep(50 * time.Millisecond) {
		for _, l := range log.all() {
			if u, ok := strings.CutPrefix(l, "gorotop: serving metrics at "); ok {
				url = u
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics address within 30s:\n%s", strings.Join(log.all(), "\n"))
		}
	}
	const leakyPod, quietPod = "k8s:pod/api-leaky -n default", "k8s:pod/api-quiet -n default"
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(60 * time.Second)
	for {
		fams = scrapeMetrics(t, url)
		if value(fams, "gorotop_group_suspect", map[string]string{"target": leakyPod, "function": "main.steadyLeak"}) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no suspect series for the leak within 60s")
		}
		time.Sleep(500 * time.Millisecond)
	}
	labels := map[string]string{"target": leakyPod, "function": "main.steadyLeak", "state": "chan receive", "site": fmt.Sprintf("main.go:%d", leakyLine(t, "steadyLeak"))}
	if g := value(fams, "gorotop_group_growth_per_minute", labels); g < 300 || g > 2400 {
		t.Errorf("the leak grows by %.1f/min, want about 1200 (20 a second)", g)
	}
	if n := value(fams, "gorotop_group_goroutines", labels); n < 20 {
		t.Errorf("the leak holds %.0f goroutines", n)
	}
	if n := value(fams, "gorotop_goroutines", map[string]string{"target": quietPod}); n < 8 {
		t.Errorf("the quiet pod has %.0f goroutines, want its pool of 8 and more", n)
	}
	for _, m := range fams["gorotop_group_suspect"].GetMetric() {
		if labelOf(m, "target") == quietPod && m.GetGauge().GetValue() != 0 {
			t.Errorf("the quiet pod's %s is a suspect", labelOf(m, "function"))
		}
	}
	if value(fams, "gorotop_polls", map[string]string{"target": quietPod, "kind": "full"}) < 1 {
		t.Errorf("no full polls counted for the quiet pod")
	}

	// The quiet pod is replaced: its series go, its successor's come.
	c.remove("api-quiet")
	c.pod("api-next", quiet)
	c.write()
	deadline = time.Now().Add(30 * time.Second)
	for {
		fams = scrapeMetrics(t, url)
		gone := value(fams, "gorotop_goroutines", map[string]string{"target": quietPod}) < 0
		came := value(fams, "gorotop_goroutines", map[string]string{"target": "k8s:pod/api-next -n default"}) > 0
		if gone && came {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after the pod was replaced: its series gone %v, its successor's there %v", gone, came)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// kill -9: every kubectl ends with gorotop.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	c.allDead("after gorotop watch was killed with SIGKILL")
	<-read
	all := strings.Join(log.all(), "\n")
	for _, want := range []string{
		leakyPod + ": watching it through kubectl port-forward at 127.0.0.1:",
		quietPod + ": gone",
		leakyPod + ": leak: main.steadyLeak at main.go:",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("stderr lacks %q:\n%s", want, all)
		}
	}
}

// syncLines collects lines from another goroutine.
type syncLines struct {
	mu    sync.Mutex
	lines []string
}

func (s *syncLines) add(l string) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
}

func (s *syncLines) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// scrapeMetrics GETs url as Prometheus does, asking for OpenMetrics, and
// decodes it with Prometheus' own parser; metric families by name (a
// counter's without _total).
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("GET %s: %s, %s", url, resp.Status, ct)
	}
	fams := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.ResponseFormat(resp.Header))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode: %v\n%s", err, body)
		}
		fams[strings.TrimSuffix(mf.GetName(), "_total")] = mf
	}
	return fams
}

// value returns the value of the one series of a family with labels, or
// -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	for _, m := range fams[strings.TrimSuffix(name, "_total")].GetMetric() {
		ok := true
		for k, v := range labels {
			ok = ok && labelOf(m, k) == v
		}
		if !ok {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

func labelOf(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestTmuxFleet runs the UI on a Deployment in tmux: a tab per pod and
// the combined tab; when a pod is replaced its tab is marked gone and
// keeps the leak it showed, and its successor gets a tab; q ends gorotop
// and every kubectl with it.
func TestTmuxFleet(t *testing.T) {
	c := newCluster(t)
	leaky := testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "20")
	c.pod("api-leaky", leaky)
	c.pod("api-quiet", testproc.StartLeaky(t, "-mode", "pool"))
	c.write()
	var env strings.Builder
	for _, kv := range c.env {
		if k, v, _ := strings.Cut(kv, "="); k == "PATH" || k == kubeworld.Env {
			fmt.Fprintf(&env, "%s=%q ", k, v)
		}
	}
	p := startPane(t, fmt.Sprintf(`%s%s --interval 500ms --no-color k8s:deploy/api`, env.String(), testproc.BuildGorotop(t)))
	p.waitFor(30*time.Second, "a tab per pod", func(s string) bool {
		return strings.HasPrefix(s, " 1 api-leaky   2 api-quiet  [3 all]") || strings.HasPrefix(s, " 1 api-quiet   2 api-leaky  [3 all]")
	})
	p.waitFor(60*time.Second, "the leak flagged on its pod's tab", func(s string) bool {
		return regexp.MustCompile(`\d api-leaky !1`).MatchString(s)
	})
	c.remove("api-leaky")
	c.pod("api-next", leaky)
	c.write()
	screen := p.waitFor(30*time.Second, "the pod marked gone and its successor's tab", func(s string) bool {
		return strings.HasPrefix(s, " 1 api-quiet   2 api-next   3 api-leaky ○ !1  [4 all]")
	})
	if !strings.Contains(screen, "all 2 targets (1 gone)") {
		t.Errorf("the combined view does not count the gone pod apart:\n%s", screen)
	}
	p.keys("3")
	screen = p.waitFor(5*time.Second, "the gone pod's tab", func(s string) bool { return strings.Contains(s, "○ gone") })
	if !strings.Contains(screen, "k8s:pod/api-leaky -n default") || !regexp.MustCompile(`(?m)^>!.*main\.steadyLeak`).MatchString(screen) {
		t.Errorf("the gone pod's tab does not keep its leak:\n%s", screen)
	}
	pid := p.pid()
	p.keys("q")
	for deadline := time.Now().Add(10 * time.Second); !p.dead(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGQUIT)
			time.Sleep(time.Second)
			t.Fatalf("q did not end gorotop:\n%s", p.run("capture-pane", "-p", "-J", "-S", "-3000", "-t", p.name))
		}
	}
	c.allDead("after q")
}

// setEnv puts the cluster's PATH and world in this process's environment,
// for gorotop run in it (runIn, the UI's wiring), so that the race
// detector sees the code that follows the fleet.
func (c *cluster) setEnv() {
	for _, kv := range c.env {
		if k, v, _ := strings.Cut(kv, "="); k == "PATH" || k == kubeworld.Env {
			c.t.Setenv(k, v)
		}
	}
}

// TestWatchFleetWiring runs the UI's wiring on a Deployment, in this
// process, with the terminal UI replaced by a reader of its Changes: each
// pod comes as a target with a Fetch that polls it through its
// port-forward; a replaced pod goes, its successor comes; when the UI
// ends, every kubectl ends.
func TestWatchFleetWiring(t *testing.T) {
	c := newCluster(t)
	c.setEnv()
	leaky := testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "20")
	c.pod("api-a", leaky)
	c.pod("api-b", testproc.StartLeaky(t, "-mode", "pool"))
	c.write()
	ui := func(ctx context.Context, cfg tui.Config) error {
		if len(cfg.Targets) != 0 || cfg.Changes == nil {
			t.Errorf("config: %d targets, changes %v; want none, and changes", len(cfg.Targets), cfg.Changes != nil)
			return nil
		}
		next := func(what string) tui.Change {
			t.Helper()
			select {
			case ch := <-cfg.Changes:
				return ch
			case <-time.After(30 * time.Second):
				t.Fatalf("no change within 30s: want %s", what)
			}
			return tui.Change{}
		}
		added := map[string]*tui.TargetConfig{}
		for len(added) < 2 {
			if ch := next("api-a and api-b added"); ch.Add != nil {
				added[ch.Add.Name] = ch.Add
			}
		}
		a := added["api-a"]
		if a.ID != "uid-api-a" || a.Target != "k8s:pod/api-a -n default" || a.Fleet != "k8s:deploy/api" || a.Replay || a.Export == nil || len(a.Groupings) != 3 {
			t.Errorf("api-a's target: %+v", a)
		}
		for range 2 {
			s, err := a.Fetch(ctx)
			if err != nil || s.View() == nil || s.Snap.Total == 0 {
				t.Fatalf("a poll of api-a through its port-forward: %v", err)
			}
		}
		c.remove("api-a")
		c.pod("api-c", leaky)
		c.write()
		var gone, came bool
		for !gone || !came {
			ch := next("api-a gone and api-c added")
			gone = gone || ch.Gone == "uid-api-a"
			came = came || ch.Add != nil && ch.Add.Name == "api-c"
			if ch.Add != nil && ch.Add.Name == "api-c" {
				if s, err := ch.Add.Fetch(ctx); err != nil || s.View().Polls() != 1 {
					t.Errorf("api-c's first poll: %v; want a history of its own", err)
				}
			}
		}
		return nil
	}
	if code, _, errOut := runWithUI(t, ui, "", "--interval", "500ms", "k8s:deploy/api"); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	c.allDead("after the UI ended")
}

// TestCheckFleetInProcess runs check of a Deployment in this process,
// serving --metrics, while a pod is replaced: the roster's loops, its
// following of the fleet and the metrics, under the race detector.
func TestCheckFleetInProcess(t *testing.T) {
	c := newCluster(t)
	c.setEnv()
	quiet := testproc.StartLeaky(t, "-mode", "pool")
	c.pod("api-a", quiet)
	c.pod("api-b", testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "20"))
	c.write()
	c.afterForward("api-a", 3*time.Second, func() {
		c.remove("api-a")
		c.pod("api-c", quiet)
		c.write()
	})
	code, out, errOut := runIn(t, "", "check", "--for", "20s", "--interval", "500ms", "--max-stall", "off", "--metrics", "127.0.0.1:0", "k8s:deploy/api")
	if code != exitLeak || !regexp.MustCompile(`(?m)^  LEAK        api-b$`).MatchString(out) {
		t.Errorf("exit %d, want %d, naming api-b:\n%s\n%s", code, exitLeak, out, errOut)
	}
	for _, want := range []string{"gorotop: serving metrics at http://127.0.0.1:", "k8s:pod/api-a -n default: gone", "k8s:pod/api-c -n default: watching it"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !regexp.MustCompile(`(?m)^pod api-a \(k8s:pod/api-a -n default\), gone before the end: watched \ds:$`).MatchString(out) {
		t.Errorf("the report does not say api-a went:\n%s", out)
	}
	c.allDead("after check ended")
}

// TestRosterDropsGone: a roster that runs until stopped (gorotop watch)
// keeps the members whose pods run, and drops those whose pods went, so
// that days of rollouts do not pile up loops and their histories.
func TestRosterDropsGone(t *testing.T) {
	c := newCluster(t)
	c.setEnv()
	quiet := testproc.StartLeaky(t, "-mode", "pool")
	c.pod("api-a", quiet)
	c.pod("api-b", quiet)
	c.write()
	var o options
	watch, _ := lookup([]string{"watch"})
	watch.flagSet(&o)
	o.interval = 500 * time.Millisecond
	polled := map[string]int{}
	r := &roster{
		open: func(m *member) (*poll.Loop, error) {
			l, _, err := o.open("watch", m.addr, nil, poll.Options{})
			return l, err
		},
		each: func(m *member, s poll.Sample, err error) error {
			if err == nil {
				polled[m.pod.Name]++
			}
			return nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runFleets(ctx, r, []string{"k8s:deploy/api"}, true) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		c.allDead("after the roster ended")
	}()
	names := func() []string {
		var out []string
		for _, m := range r.all() {
			out = append(out, m.pod.Name)
		}
		slices.Sort(out)
		return out
	}
	await := func(what string, want ...string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !slices.Equal(names(), want); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("members %v, want %v: %s", names(), want, what)
			}
		}
	}
	await("both pods", "api-a", "api-b")
	c.remove("api-a")
	c.pod("api-c", quiet)
	c.write()
	await("api-a gone, api-c come", "api-b", "api-c")
	r.mu.Lock()
	defer r.mu.Unlock()
	if polled["api-a"] == 0 || polled["api-b"] == 0 {
		t.Errorf("polls: %v", polled)
	}
}
