// Package testproc builds and runs the project's own programs for tests:
// testdata/leaky, a Go process that leaks goroutines on purpose over real
// loopback HTTP, testdata/kubectl, a stand-in for kubectl,
// testdata/hostiledump, the writer of dumps no runtime prints, and
// cmd/gorotop. Each program is built once per test binary with the go
// command found on PATH; without one, the tests that need it are skipped.
package testproc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/export"
)

const (
	listenPrefix = "listening on "
	startTimeout = 30 * time.Second
)

var (
	leaky   = &program{pkg: "./testdata/leaky", name: "leaky"}
	gorotop = &program{pkg: "./cmd/gorotop", name: "gorotop"}
	hostile = &program{pkg: "./testdata/hostiledump", name: "hostiledump"}
	// kubectl is built alone in a directory of its own, to be put on PATH.
	kubectl = &program{pkg: "./testdata/kubectl", name: "kubectl", dir: "kubectl"}
	// leakyProof is leaky built to serve /debug/pprof/goroutineleak.
	leakyProof = &program{pkg: "./testdata/leaky", name: "leaky-goroutineleak", env: []string{"GOEXPERIMENT=goroutineleakprofile"}}
)

// StartLeaky starts testdata/leaky with args (see its package doc for the
// modes and flags), waits until it listens and returns its address,
// host:port on loopback. The process ends with the test: t.Cleanup kills
// it, and it exits by itself when the test binary dies (it is started with
// -exit-on-stdin-eof). It inherits the environment, so t.Setenv reaches it
// (GODEBUG=tracebacklabels=1 for -labels). Its standard error is logged if
// the test fails.
func StartLeaky(t testing.TB, args ...string) (addr string) {
	t.Helper()
	return start(t, leaky.build(t), args)
}

// StartLeakyProof is StartLeaky with testdata/leaky built with
// GOEXPERIMENT=goroutineleakprofile (Go 1.26+), so that it serves
// /debug/pprof/goroutineleak. The first build compiles the runtime with
// the experiment: a minute or two on two cores.
func StartLeakyProof(t testing.TB, args ...string) (addr string) {
	t.Helper()
	return start(t, leakyProof.build(t), args)
}

// start runs a built leaky with args; see StartLeaky.
func start(t testing.TB, bin string, args []string) (addr string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-exit-on-stdin-eof"}, args...)...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testproc: start leaky: %v", err)
	}

	addrs := make(chan string, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listenPrefix); ok {
				select {
				case addrs <- a:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
		if t.Failed() {
			t.Logf("leaky %s: stderr:\n%s", strings.Join(args, " "), stderr)
		}
	})

	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	select {
	case addr := <-addrs:
		return addr
	case <-drained:
		t.Fatalf("testproc: leaky %s exited before it listened", strings.Join(args, " "))
	case <-timeout.C:
		t.Fatalf("testproc: leaky %s did not listen within %v", strings.Join(args, " "), startTimeout)
	}
	return ""
}

// BuildGorotop builds ./cmd/gorotop once per test binary and returns the
// path of the binary.
func BuildGorotop(t testing.TB) string {
	t.Helper()
	return gorotop.build(t)
}

// KubectlDir builds testdata/kubectl, the stand-in for kubectl (see its
// package doc), once per test binary, and returns a directory that holds
// it alone under the name kubectl (kubectl.exe on Windows): put the
// directory first on PATH, and point $GOROTOP_FAKE_KUBE at a directory
// holding its world.json.
func KubectlDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(kubectl.build(t))
}

// BuildHostileDump builds ./testdata/hostiledump, the writer of dumps no
// Go runtime prints (a goroutine millions of frames deep, a million
// distinct stacks), once per test binary and returns its path.
func BuildHostileDump(t testing.TB) string {
	t.Helper()
	return hostile.build(t)
}

// Fetch GETs url on a fresh client and returns the body; it fails t on an
// error or a status other than 200 OK.
func Fetch(t testing.TB, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("testproc: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testproc: read %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("testproc: GET %s: %s", url, resp.Status)
	}
	return string(body)
}

// program is a main package of this module, built at most once.
type program struct {
	pkg  string // relative to the module root
	name string
	env  []string // added to the go command's environment
	dir  string   // a subdirectory of the build directory to put it in, if any

	once sync.Once
	path string
	err  error
}

// build returns the path of the built program, building it on first use.
// It skips t without a go command and fails t if the build fails.
func (p *program) build(t testing.TB) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("testproc: building %s needs the go command on PATH: %v", p.pkg, err)
	}
	p.once.Do(func() { p.path, p.err = p.compile(goCmd) })
	if p.err != nil {
		t.Fatalf("testproc: %v", p.err)
	}
	return p.path
}

// compile builds the program into a per-user cache directory: to a name of
// its own first, then renamed into place, so that test binaries running
// side by side never run a half-written file and no run leaves a copy
// behind.
func (p *program) compile(goCmd string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := binDir()
	if err != nil {
		return "", err
	}
	if p.dir != "" {
		dir = filepath.Join(dir, p.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("make a directory for %s: %w", p.name, err)
		}
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	// Named after the checkout too: test binaries of two checkouts
	// (worktrees) running side by side must not run each other's build.
	sum := sha256.Sum256([]byte(root))
	name := p.name + "-" + hex.EncodeToString(sum[:4])
	final := filepath.Join(dir, name+exe)
	tmp := filepath.Join(dir, fmt.Sprintf("%s-%d.tmp%s", name, os.Getpid(), exe))
	cmd := exec.Command(goCmd, "build", "-o", tmp, p.pkg)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), p.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", p.pkg, err, out)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Windows will not replace a binary that is running: use our own.
		return tmp, nil
	}
	return final, nil
}

// binDir is where built programs go: the user's cache directory if there
// is one, a new temporary directory otherwise.
func binDir() (string, error) {
	if cache, err := os.UserCacheDir(); err == nil {
		dir := filepath.Join(cache, "gorotop-testproc")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			return dir, nil
		}
	}
	dir, err := os.MkdirTemp("", "gorotop-testproc-")
	if err != nil {
		return "", fmt.Errorf("make a directory for test binaries: %w", err)
	}
	return dir, nil
}

// moduleRoot walks up from the working directory (a test's package
// directory) to the directory holding go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find module root: %w", err)
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("find module root: no go.mod above %s", wd)
		}
	}
}

// syncBuffer collects a child's standard error while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// QueueFlush is the function of the goroutines the demo's queue leaks
// (leaky -mode queue, the stopped ticker of gorotop's demo).
const QueueFlush = "github.com/gorotop/gorotop/internal/demo.(*MemQueue).scheduleFlush.func1"

// WaitReport waits for a `gorotop check --format json` whose standard
// output and error go to out and errOut, and returns its exit status and
// its report. It fails t if check did not run or printed no report.
func WaitReport(t testing.TB, cmd *exec.Cmd, out, errOut *bytes.Buffer) (code int, report export.Report) {
	t.Helper()
	code = ExitCode(t, cmd.Wait())
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("exit %d, stdout not JSON (%v):\n%s\nstderr: %s", code, err, out.String(), errOut.String())
	}
	return code, report
}

// ExitCode returns the exit status of a command that ran, given what its
// Run or Wait returned: 0 for nil. It fails t if the command did not run.
func ExitCode(t testing.TB, err error) int {
	t.Helper()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("the command did not run: %v", err)
	}
	return 0
}
