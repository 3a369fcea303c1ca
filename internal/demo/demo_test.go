package demo

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/testproc"
)

// crashParentEnv makes the test binary a parent that starts the demo child
// and then waits to be killed.
const crashParentEnv = "GOROTOP_DEMO_TEST_CRASH_PARENT"

func TestMain(m *testing.M) {
	MaybeRunChild()
	if os.Getenv(crashParentEnv) == "1" {
		os.Exit(runCrashParent())
	}
	os.Exit(m.Run())
}

// Function names as they appear in a debug=2 dump, one frame a goroutine.
const (
	leakFrame   = ".(*MemQueue).scheduleFlush.func1("
	workerFrame = ".(*pool).worker("
)

func TestServeLeaksOnlyTheQueue(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	url := "http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=2"
	// The workers are started with wg.Go: until each has run, its stack
	// is wg.Go's closure, not (*pool).worker. Wait for all of them once.
	deadline := time.Now().Add(15 * time.Second)
	for n := 0; n != poolWorkers; {
		n = strings.Count(testproc.Fetch(t, url), workerFrame)
		if n > poolWorkers || time.Now().After(deadline) {
			t.Fatalf("%d pool workers, want %d", n, poolWorkers)
		}
		if n != poolWorkers {
			time.Sleep(50 * time.Millisecond)
		}
	}
	var leaks []int
	for {
		dump := testproc.Fetch(t, url)
		leaks = append(leaks, strings.Count(dump, leakFrame))
		if n := strings.Count(dump, workerFrame); n != poolWorkers {
			t.Fatalf("fetch %d: %d pool workers, want a flat %d", len(leaks), n, poolWorkers)
		}
		if n := len(leaks); n > 1 && leaks[n-1] < leaks[n-2]-1 {
			// One flush goroutine is the live timer of the open batch.
			t.Fatalf("leaked flush goroutines went down: %v", leaks)
		}
		if len(leaks) >= 4 && leaks[len(leaks)-1] >= leaks[0]+10 {
			t.Logf("leaked flush goroutines per fetch: %v", leaks)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaked flush goroutines did not grow by 10 within 15s: %v", leaks)
		}
		time.Sleep(750 * time.Millisecond)
	}
}

func TestStartStop(t *testing.T) {
	c, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	dump := testproc.Fetch(t, "http://"+c.Addr+"/debug/pprof/goroutine?debug=2")
	if !strings.Contains(dump, workerFrame) {
		t.Fatalf("child's goroutine dump has no %q:\n%.2000s", workerFrame, dump)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 || c.killed {
		t.Errorf("child exit code %d (killed by Stop: %v), want 0 on stdin EOF", code, c.killed)
	}
	if _, err := get(c.Addr); err == nil {
		t.Errorf("child still answers on %s after Stop", c.Addr)
	}
}

func TestChildDiesWithParent(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), crashParentEnv+"=1")
	parent.Stderr = os.Stderr
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		parent.Process.Kill()
		parent.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("test parent printed %q: %v", line, err)
	}
	addr := strings.TrimSpace(line)
	if _, err := get(addr); err != nil {
		t.Fatalf("child of the test parent: %v", err)
	}
	parent.Process.Kill()

	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := get(addr); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("child on %s still answers 15s after its parent was killed", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runCrashParent starts the demo child, prints its address and waits to
// be killed.
func runCrashParent() int {
	c, err := Start(context.Background())
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	os.Stdout.WriteString(c.Addr + "\n")
	select {}
}

// get asks addr for its pprof index on a fresh connection.
func get(addr string) (int, error) {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	resp, err := client.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
