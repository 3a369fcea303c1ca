package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/testproc"
)

// The tests here drive the real binary as a person would: `gorotop demo`
// in a tmux pane, read with capture-pane, keys sent with send-keys. They
// need tmux (CI installs it) and skip without it.

const (
	paneLeakRow   = "scheduleFlush.func1"
	paneWidth     = 120
	paneHeight    = 36
	paneSeeLeakIn = 30 * time.Second
)

// tmuxPane is one tmux session with one pane, on a tmux server of the
// test's own.
type tmuxPane struct {
	t    *testing.T
	sock string
	name string
}

// startPane runs command in a new pane of a private tmux server; the pane
// stays after the command ends, so that its last screen can be read.
func startPane(t *testing.T, command string) *tmuxPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the end-to-end UI test needs it (apt-get install tmux, brew install tmux)")
	}
	dir, err := os.MkdirTemp("", "gorotop-tmux-")
	if err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{t: t, sock: filepath.Join(dir, "sock"), name: "gorotop"}
	t.Cleanup(func() {
		exec.Command("tmux", "-S", p.sock, "kill-server").Run()
		os.RemoveAll(dir)
	})
	p.run("-f", "/dev/null", "new-session", "-d", "-s", p.name,
		"-x", strconv.Itoa(paneWidth), "-y", strconv.Itoa(paneHeight), command)
	p.run("set-option", "-t", p.name, "remain-on-exit", "on")
	return p
}

// run runs a tmux command on the pane's server and returns its output.
func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...)
	cmd.Env = append(os.Environ(), "TMUX=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the pane's text now.
func (p *tmuxPane) screen() string { return p.run("capture-pane", "-p", "-t", p.name) }

// keys types keys, in send-keys names (Enter, Escape, q).
func (p *tmuxPane) keys(keys ...string) {
	p.t.Helper()
	p.run(append([]string{"send-keys", "-t", p.name}, keys...)...)
}

// waitFor polls the screen until ok says yes, and fails the test with the
// last screen if it does not within d.
func (p *tmuxPane) waitFor(d time.Duration, what string, ok func(screen string) bool) string {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := p.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s within %v; the screen:\n%s", what, d, s)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pid is the process in the pane: gorotop, which the shell exec'd.
func (p *tmuxPane) pid() int {
	p.t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(p.run("display-message", "-p", "-t", p.name, "#{pane_pid}")))
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// dead reports whether the pane's command has ended.
func (p *tmuxPane) dead() bool {
	return strings.TrimSpace(p.run("display-message", "-p", "-t", p.name, "#{pane_dead}")) == "1"
}

// tableRows returns the rows of the table on a screen: the lines below
// the column titles up to the first blank one.
func paneRows(screen string) []string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.Contains(l, "COUNT") && strings.Contains(l, "FUNCTION") {
			var rows []string
			for _, r := range lines[i+1:] {
				if strings.TrimSpace(r) == "" {
					break
				}
				rows = append(rows, r)
			}
			return rows
		}
	}
	return nil
}

// marked reports whether a table row carries a leak mark (! or L) in its
// gutter.
func leakMarked(row string) bool {
	r := []rune(row)
	return len(r) > 1 && (r[1] == '!' || r[1] == 'L')
}

// paneLeakOnTop reports whether the leak is the top row, marked, with its
// reason line under it.
func paneLeakOnTop(screen string) bool {
	rows := paneRows(screen)
	return len(rows) > 2 && strings.Contains(rows[0], paneLeakRow) && leakMarked(rows[0]) && strings.Contains(rows[1], "↳")
}

var paneDemoPort = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)

// demoAddr reads the demo service's address from the header.
func paneDemoAddr(t *testing.T, screen string) string {
	t.Helper()
	m := paneDemoPort.FindString(strings.SplitN(screen, "\n", 2)[0])
	if m == "" {
		t.Fatalf("no address in the header:\n%s", screen)
	}
	return m
}

// children returns the PIDs of pid's child processes, by pgrep -P.
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	if _, err := exec.LookPath("pgrep"); err != nil {
		t.Log("no pgrep: the child is checked by its port only")
		return nil
	}
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// gone reports whether process pid has ended (an unreaped zombie counts
// as ended).
func procGone(pid int) bool {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
			return s[i+2] == 'Z' || s[i+2] == 'X'
		}
		return false
	} else if _, err := os.Stat("/proc/self"); err == nil {
		return true // /proc works and has no such process
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// serves reports whether a pprof endpoint answers at addr.
func pprofAnswers(addr string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// waitDemoGone waits a few seconds for the demo service to be gone: its
// process and its port.
func waitDemoGone(t *testing.T, addr string, pids []int, after string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		alive := pprofAnswers(addr)
		for _, pid := range pids {
			alive = alive || !procGone(pid)
		}
		if !alive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo service (pids %v, %s) is still there 5 s %s", pids, addr, after)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startDemo runs `gorotop demo --interval 1s` in a pane and waits for its
// table.
func startDemoPane(t *testing.T) *tmuxPane {
	bin := testproc.BuildGorotop(t)
	p := startPane(t, "exec "+bin+" demo --interval 1s")
	p.waitFor(15*time.Second, "table", func(s string) bool { return len(paneRows(s)) > 0 })
	return p
}

// TestTmuxDemo watches the demo as a person would: the leak comes to the
// top, marked, with nothing healthy marked; enter shows its stack with the
// blocking frame; esc, ? and q work; quitting ends the demo service.
func TestTmuxDemo(t *testing.T) {
	p := startDemoPane(t)
	start := time.Now()
	screen := p.waitFor(paneSeeLeakIn, "leak marked on the top row", paneLeakOnTop)
	t.Logf("the leak is on top after %v", time.Since(start).Round(time.Second))
	// Until 30 s have gone by (two reindex bursts come and drain), the
	// leak stays on top and nothing healthy is marked.
	for {
		rows := paneRows(screen)
		if !paneLeakOnTop(screen) {
			t.Errorf("the leak left the top row:\n%s", screen)
		}
		for _, row := range rows[min(2, len(rows)):] {
			if leakMarked(row) {
				t.Errorf("a healthy row is marked: %q", row)
			}
		}
		if !strings.Contains(screen, "! 1 suspect") {
			t.Errorf("the header does not count one suspect:\n%s", screen)
		}
		if t.Failed() {
			// The detail of the row on top says why it is not
			// suspected (or not confirmed), with its figures.
			p.keys("p", "Enter")
			time.Sleep(time.Second)
			t.Logf("its detail:\n%s", p.screen())
			p.keys("Escape", "p")
		}
		if t.Failed() || time.Since(start) >= paneSeeLeakIn {
			break
		}
		time.Sleep(time.Second)
		screen = p.screen()
	}
	t.Logf("after %v:\n%s", time.Since(start).Round(time.Second), screen)
	addr := paneDemoAddr(t, screen)
	pid := p.pid()
	kids := childPIDs(t, pid)
	if !pprofAnswers(addr) {
		t.Fatalf("the demo service does not answer at %s", addr)
	}

	p.keys("Enter")
	detail := p.waitFor(5*time.Second, "detail", func(s string) bool { return strings.Contains(s, "where it blocks") })
	blocking := false
	for _, l := range strings.Split(detail, "\n") {
		blocking = blocking || strings.HasPrefix(l, "▶ ") && strings.Contains(l, paneLeakRow)
	}
	if !blocking || !strings.Contains(detail, "Created by") {
		t.Errorf("the detail does not mark the blocking frame:\n%s", detail)
	}
	p.keys("Escape")
	p.waitFor(5*time.Second, "table after esc", func(s string) bool { return len(paneRows(s)) > 0 })
	p.keys("?")
	p.waitFor(5*time.Second, "help", func(s string) bool { return strings.Contains(s, "closes this help") })
	p.keys("q")
	deadline := time.Now().Add(5 * time.Second)
	for !p.dead() {
		if time.Now().After(deadline) {
			t.Fatalf("q did not end gorotop:\n%s", p.screen())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The pane is dead once gorotop's terminal is closed, which the
	// kernel does before the process is gone: on a busy machine it was
	// still exiting when looked at once. Wait for it as for the demo.
	waitDemoGone(t, addr, append(kids, pid), "after q")
}

// TestTmuxKill kills gorotop with SIGKILL: its demo service must go too.
func TestTmuxKill(t *testing.T) {
	t.Parallel()
	p := startDemoPane(t)
	screen := p.screen()
	addr := paneDemoAddr(t, screen)
	pid := p.pid()
	kids := childPIDs(t, pid)
	if !pprofAnswers(addr) {
		t.Fatalf("the demo service does not answer at %s", addr)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDemoGone(t, addr, kids, "after SIGKILL of gorotop")
}

// TestTmuxRecordFails records a live target with --record while the file
// may grow only so far (ulimit -f: the disk fills): the header shows the
// recording while it goes, then its failure for as long as the UI runs;
// on q gorotop prints the failure and exits 2.
func TestTmuxRecordFails(t *testing.T) {
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	addr := testproc.StartLeaky(t, "-mode", "steady", "-steady-rate", "100")
	rec := filepath.Join(t.TempDir(), "session.rec")
	p := startPane(t, fmt.Sprintf(`ulimit -f 24; %s --record %s --interval 300ms --max-stall off --no-color http://%s; echo "exit $?"`, bin, rec, addr))
	p.waitFor(15*time.Second, "recording state", func(s string) bool { return strings.Contains(s, "● rec session.rec: ") })
	p.waitFor(60*time.Second, "recording failure", func(s string) bool { return strings.Contains(s, "✗ not recording: ") })
	for range 3 {
		time.Sleep(time.Second)
		if s := p.screen(); !strings.Contains(s, "✗ not recording: ") || strings.Contains(s, "● rec ") {
			t.Fatalf("the failure left the header:\n%s", s)
		}
	}
	p.keys("q")
	p.waitFor(10*time.Second, "exit", func(s string) bool { return strings.Contains(s, "exit 2") })
	// The message is long: its start may have scrolled into history.
	all := p.run("capture-pane", "-p", "-J", "-S", "-100", "-t", p.name)
	want := "gorotop: " + rec + ": cannot write recording: file too large; recording stopped (it holds the "
	if !strings.Contains(all, want) {
		t.Fatalf("no %q on exit:\n%s", want, all)
	}
}
