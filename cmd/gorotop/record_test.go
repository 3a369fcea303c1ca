package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/record"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// recordServe makes this test process a Go service to record: a few
// goroutines parked on a channel, and net/http/pprof on a loopback
// server.
func recordServe(t *testing.T) string {
	t.Helper()
	stop := make(chan struct{})
	for range 40 {
		go func() { <-stop }()
	}
	srv := httptest.NewServer(pprof.Handler("goroutine"))
	t.Cleanup(func() {
		srv.Close()
		close(stop)
	})
	return srv.URL
}

// slowServe serves this test process's goroutine dumps over loopback
// HTTP, each answered delay late: the wait a large service's dump costs,
// which the stall budget charges. /debug/pprof/cmdline, the round-trip
// probe, is answered at once.
func slowServe(t *testing.T, delay time.Duration) string {
	t.Helper()
	pp := pprof.Handler("goroutine")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/cmdline") {
			pprof.Cmdline(w, r)
			return
		}
		time.Sleep(delay)
		pp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// recordRun runs gorotop in this process with ctx.
func recordRun(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runMain(ctx, args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

// TestRecord records a real pprof server for two seconds, then replays the
// recording with snapshot and check. The stall budget is off so that the
// recording keeps the asked cadence even when the race detector makes a
// dump slow (TestRecordSparesTarget checks the budget).
func TestRecord(t *testing.T) {
	url := recordServe(t)
	path := filepath.Join(t.TempDir(), "api.rec")
	ctx := context.Background()
	start := time.Now()
	code, stdout, stderr := recordRun(ctx, "record", "-o", path, "--for", "2s", "--interval", "200ms", "--max-stall", "off", url)
	t.Logf("stderr:\n%s", stderr)
	if code != exitOK || stdout != "" {
		t.Fatalf("record: exit %d, stdout %q", code, stdout)
	}
	progress := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d  \d+ goroutines  [\d.]+ KiB  → `+regexp.QuoteMeta(path)+`: (\d+) snapshots?, [\d.]+ KiB(  \(stalled it \d+ms: next in [\d.]+m?s, to keep its stall share ≤ 1%\))?$`).FindAllStringSubmatch(stderr, -1)
	if len(progress) < 6 || len(progress) > 11 || time.Since(start) > 5*time.Second {
		t.Fatalf("%d progress lines in %v, want about 10 in 2s", len(progress), time.Since(start))
	}
	polls := len(progress)
	if !strings.Contains(stderr, fmt.Sprintf("recorded %d snapshots of %s/debug/pprof/goroutine?debug=2 in %s: ", polls, url, path)) {
		t.Errorf("no summary line")
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("recording: %v, mode %v; want 0600", err, info.Mode().Perm())
	}

	code, stdout, stderr = recordRun(ctx, "snapshot", "--format", "json", path)
	var snap struct {
		Source  string    `json:"source"`
		TakenAt time.Time `json:"taken_at"`
		Total   int       `json:"total"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &snap) != nil {
		t.Fatalf("snapshot of the recording: exit %d, %s\n%.300s", code, stderr, stdout)
	}
	if snap.Total < 40 || !strings.HasPrefix(snap.Source, url) || snap.TakenAt.Before(start.Truncate(time.Second)) || snap.TakenAt.After(time.Now()) {
		t.Errorf("snapshot: %+v", snap)
	}

	code, stdout, stderr = recordRun(ctx, "check", path)
	if code != exitOK && code != exitLeak && code != exitNotJudged || !strings.Contains(stdout, fmt.Sprintf(": %d polls, ", polls)) {
		t.Errorf("check of the recording: exit %d\n%s%s", code, stdout, stderr)
	}

	code, _, stderr = recordRun(ctx, "record", "-o", path, "--for", "1s", url)
	if code != exitProblem || !strings.Contains(stderr, path+": file exists (use --force to replace it)") {
		t.Errorf("record over a recording: exit %d, %s", code, stderr)
	}
	code, _, stderr = recordRun(ctx, "record", "--force", "-o", path, "--for", "1s", "-i", "1s", url)
	if code != exitOK || !strings.Contains(stderr, "recorded 1 snapshot of") {
		t.Errorf("record --force: exit %d, %s", code, stderr)
	}
}

// TestRecordSparesTarget: record spaces its dumps to keep the target's
// stall share within --max-stall, and says so; with the budget off it
// keeps the asked interval. The target answers its dumps 30 ms late (the
// time a large service takes to start writing one), so at 10 % no two
// polls may start less than 300 ms apart: at most 7 in two seconds,
// however loaded the machine.
func TestRecordSparesTarget(t *testing.T) {
	url := slowServe(t, 30*time.Millisecond)
	count := func(budget string) (int, string) {
		path := filepath.Join(t.TempDir(), "slow.rec")
		code, _, stderr := recordRun(context.Background(), "record", "-o", path, "--for", "2s", "-i", "100ms", "--max-stall", budget, url)
		if code != exitOK {
			t.Fatalf("record --max-stall %s: exit %d\n%s", budget, code, stderr)
		}
		n, _ := strconv.Atoi(regexp.MustCompile(`recorded (\d+) snapshots? of`).FindStringSubmatch(stderr + "recorded 0 snapshots of")[1])
		return n, stderr
	}
	spaced, stderr := count("10%")
	if n := strings.Count(stderr, "to keep its stall share ≤ 10%)"); spaced < 2 || spaced > 7 || n < spaced-1 {
		t.Errorf("--max-stall 10%%: %d snapshots, %d saying why they were spaced, want 2 to 7, each spaced\n%s", spaced, n, stderr)
	}
	all, stderr := count("off")
	t.Logf("in 2 s: %d snapshots at --max-stall 10%%, %d with it off", spaced, all)
	if all <= spaced || strings.Contains(stderr, "stall share") {
		t.Errorf("--max-stall off: %d snapshots (%d with the budget), want more, none spaced\n%s", all, spaced, stderr)
	}
}

// TestRecordInterrupted: ctrl-c (the context ends) stops a recording
// cleanly, with every poll done so far in a complete file.
func TestRecordInterrupted(t *testing.T) {
	t.Parallel()
	url := recordServe(t)
	path := filepath.Join(t.TempDir(), "api.rec")
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	code, _, stderr := recordRun(ctx, "record", "-o", path, "--for", "1m", "-i", "200ms", url)
	if code != exitOK || !strings.Contains(stderr, "recorded ") {
		t.Fatalf("interrupted record: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := recordRun(context.Background(), "check", path)
	if code == exitProblem || strings.Contains(stderr, "warning") {
		t.Errorf("check of an interrupted recording: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestRecordRefuses: bodies that are not dumps are not recorded, and a
// recording of nothing is not left behind; usage mistakes exit 2.
func TestRecordRefuses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "none.rec")
	code, _, stderr := recordRun(context.Background(), "record", "-o", path, "--for", "500ms", "-i", "100ms", srv.URL)
	if code != exitProblem || !strings.Contains(stderr, "no goroutine dump found") || !strings.Contains(stderr, "no goroutine dump recorded") {
		t.Errorf("record of a non-dump: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("an empty recording was left: %v", err)
	}

	for _, args := range [][]string{
		{"record", srv.URL},
		{"record", "-o", "x.rec"},
		{"record", "-o", "-", srv.URL},
		{"record", "-o", "x.rec", "--for", "0s", srv.URL},
	} {
		if code, _, stderr := recordRun(context.Background(), args...); code != exitProblem || !strings.Contains(stderr, "gorotop record --help") {
			t.Errorf("%q: exit %d, %s", args, code, stderr)
		}
	}
	code, stdout, _ := recordRun(context.Background(), "record", "--help")
	if code != exitOK || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--for") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}

// TestLastSample: the last dump of a recording is what snapshot shows, and
// a torn tail is a warning.
func TestLastSample(t *testing.T) {
	t.Parallel()
	url := recordServe(t)
	path := filepath.Join(t.TempDir(), "three.rec")
	w, err := record.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	for i := range 3 {
		resp, err := http.Get(url + "/debug/pprof/goroutine?debug=2")
		if err != nil {
			t.Fatal(err)
		}
		err = w.Add(record.Meta{Source: url, At: at.Add(time.Duration(i) * time.Minute)}, resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	info, _ := os.Stat(path)
	os.Truncate(path, info.Size()-1) // the third dump is cut off

	l, _, err := (&options{group: "code", format: "text"}).open("snapshot", path, nil, poll.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s, err := lastSample(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Add(time.Minute); !s.Meta.At.Equal(want) || s.Snap.Total < 40 {
		t.Errorf("last sample at %v with %d goroutines, want the second dump, at %v", s.Meta.At, s.Snap.Total, want)
	}
	var stderr bytes.Buffer
	printWarnings(&stderr, l.Source())
	if want := "gorotop: warning: " + path + ": recording ends with an incomplete snapshot ("; !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("warnings %q, want %q…", stderr.String(), want)
	}
}

// TestReplayMatchesLive watches a real leaking process as the UI does
// with --record (its Fetch, which files each sample with its trackers),
// then replays the recording the same way: every sample has the same
// time, goroutines and groups, and the trackers end with the same history
// and verdicts. The process serves the goroutineleak profile: the session's
// first dump comes from there, is recorded like the others, and the
// proof it brings is replayed too.
func TestReplayMatchesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a live target for 15 s")
	}
	t.Parallel()
	addr := testproc.StartLeakyProof(t, "-mode", "steady,orphan,pool,churn", "-churn-rate", "100")
	time.Sleep(time.Second) // a few orphans before the first, leak-checked, dump
	path := filepath.Join(t.TempDir(), "session.rec")
	ctx := context.Background()

	session := func(target string, record string, polls int) ([]poll.Sample, *track.View) {
		t.Helper()
		var o options
		commands[0].flagSet(&o)
		o.interval, o.record = 500*time.Millisecond, record
		l, format, err := o.open("", target, nil, poll.Options{Groupings: stackparse.Groupings})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		fetch := targetConfig(l, format).Fetch
		var got []poll.Sample
		for len(got) < polls {
			s, err := fetch(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Logf("%s: %v", target, err)
				continue
			}
			got = append(got, s)
		}
		if len(got) == 0 {
			t.Fatalf("%s: no sample", target)
		}
		return got, got[len(got)-1].View()
	}

	live, liveTr := session(addr, path, 30)
	replay, replayTr := session(path, "", 1000)
	if len(replay) != len(live) {
		t.Fatalf("%d samples live, %d replayed", len(live), len(replay))
	}
	for i := range live {
		l, r := live[i], replay[i]
		if !l.Meta.At.Equal(r.Meta.At) || l.Snap.Total != r.Snap.Total || groupsOf(l.Snap) != groupsOf(r.Snap) {
			t.Fatalf("sample %d: live %v, %d goroutines, %s\nreplayed %v, %d goroutines, %s", i, l.Meta.At, l.Snap.Total, groupsOf(l.Snap), r.Meta.At, r.Snap.Total, groupsOf(r.Snap))
		}
		for _, g := range stackparse.Groupings[1:] {
			ls, lv := l.For(g)
			rs, rv := r.For(g)
			if groupsOf(ls) != groupsOf(rs) || trendsOf(lv) != trendsOf(rv) {
				t.Fatalf("sample %d under grouping %s: live and replayed differ", i, g)
			}
		}
	}
	if a, b := trendsOf(liveTr), trendsOf(replayTr); a != b {
		t.Errorf("trackers differ\nlive:\n%s\nreplayed:\n%s", a, b)
	}
	var suspects, proven []string
	for _, tr := range liveTr.Trends() {
		if tr.Suspect {
			suspects = append(suspects, tr.Group.Top().Func)
		}
		if tr.Proven {
			proven = append(proven, tr.Group.Top().Func)
		}
	}
	slices.Sort(suspects)
	if !slices.Equal(suspects, []string{"main.orphanSender", "main.steadyLeak"}) || !slices.Equal(proven, []string{"main.orphanSender"}) {
		t.Errorf("live suspects %v, proven %v; want orphanSender and steadyLeak, orphanSender proven:\n%s", suspects, proven, trendsOf(liveTr))
	}
	t.Logf("%d samples over %v, the same live and replayed; %d groups tracked", len(live), live[len(live)-1].Meta.At.Sub(live[0].Meta.At).Round(time.Second), len(liveTr.Trends()))
}

// groupsOf lists a snapshot's groups: key and count.
func groupsOf(snap *stackparse.Snapshot) string {
	var b strings.Builder
	for _, g := range snap.Groups {
		fmt.Fprintf(&b, "%s=%d ", g.Key, g.Count())
	}
	return b.String()
}

// trendsOf prints a tracker's verdicts and every group's history.
func trendsOf(tr *track.View) string {
	var b strings.Builder
	fmt.Fprintf(&b, "restarts %v\n", tr.Restarts())
	for _, t := range tr.Trends() {
		fmt.Fprintf(&b, "%s %s suspect=%v rising=%v stuck=%v proven=%v %q:", t.Key, t.Group.Top().Func, t.Suspect, t.Rising, t.Stuck, t.Proven, t.Reason)
		for _, p := range t.History {
			fmt.Fprintf(&b, " %d+%d-%d", p.Count, p.Born, p.Exited)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRecordKeepsProof records a process that serves the goroutineleak
// profile: its first dump comes from there, and a snapshot of the
// recording shows the goroutines the runtime proved leaked.
func TestRecordKeepsProof(t *testing.T) {
	t.Parallel()
	addr := testproc.StartLeakyProof(t, "-mode", "orphan,pool")
	time.Sleep(time.Second) // a few orphans before the first dump
	path := filepath.Join(t.TempDir(), "proof.rec")
	ctx := context.Background()
	if code, _, stderr := recordRun(ctx, "record", "-o", path, "--for", "2s", "--interval", "500ms", addr); code != exitOK {
		t.Fatalf("record: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := recordRun(ctx, "snapshot", "--format", "json", path)
	var report export.Report
	if code != exitOK || json.Unmarshal([]byte(stdout), &report) != nil {
		t.Fatalf("snapshot of the recording: exit %d, %s\n%.300s", code, stderr, stdout)
	}
	g := findGroup(report, "main.orphanSender")
	if g == nil || g.Leaked == 0 || g.Leaked > g.Count {
		t.Errorf("orphans in the recording's last snapshot: %+v, want some proven leaked", g)
	}
	if pool := findGroup(report, "main.poolWorker"); pool == nil || pool.Leaked != 0 {
		t.Errorf("pool: %+v, want 8 workers, none proven", pool)
	}
}

// TestRecordConcurrentForce runs three recorders into the same file with
// --force at once: one recording is left, and only its recorder reports
// success; the others say theirs was replaced.
func TestRecordConcurrentForce(t *testing.T) {
	t.Parallel()
	url := recordServe(t)
	path := filepath.Join(t.TempDir(), "same.rec")
	codes := make([]int, 3)
	errs := make([]string, 3)
	done := make(chan struct{})
	for i := range codes {
		go func() {
			defer func() { done <- struct{}{} }()
			codes[i], _, errs[i] = recordRun(context.Background(), "record", "--force", "-o", path, "--for", "2s", "--interval", "200ms", "--max-stall", "off", url)
		}()
	}
	for range codes {
		<-done
	}
	ok := 0
	for i, code := range codes {
		switch {
		case code == exitOK:
			ok++
		case code != exitProblem || !strings.Contains(errs[i], "the recording was replaced by another file at its path"):
			t.Errorf("recorder %d: exit %d\n%s", i, code, errs[i])
		}
	}
	if ok != 1 {
		t.Fatalf("%d recorders report success, want 1: exits %v", ok, codes)
	}
	if code, _, stderr := recordRun(context.Background(), "snapshot", path); code != exitOK {
		t.Fatalf("the recording left: exit %d, %s", code, stderr)
	}
}
