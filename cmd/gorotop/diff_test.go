package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gorotop/gorotop/internal/diff"
)

// multiDumps writes the three dumps of testdata/dumps/multi.txt (a leak
// growing by 10 a dump, a burst of 5 in the second only) to files of
// their own and returns their paths.
func multiDumps(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/dumps/multi.txt")
	if err != nil {
		t.Fatal(err)
	}
	parts := regexp.MustCompile(`(?m)^.* dump \d of 3 follows$`).Split(string(b), -1)[1:]
	if len(parts) != 3 {
		t.Fatalf("multi.txt: %d dumps, want 3", len(parts))
	}
	dir := t.TempDir()
	paths := make([]string, len(parts))
	for i, p := range parts {
		paths[i] = filepath.Join(dir, fmt.Sprintf("dump%d.txt", i+1))
		if err := os.WriteFile(paths[i], []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// needDiff skips t until run.go dispatches "diff" to runDiff.
func needDiff(t *testing.T) {
	t.Helper()
	if _, out, _ := runIn(t, "", "diff", "--help"); !strings.HasPrefix(out, "Usage: gorotop diff") {
		t.Skip(`run.go does not dispatch "diff" to runDiff yet`)
	}
}

func TestDiffText(t *testing.T) {
	t.Parallel()
	needDiff(t)
	d := multiDumps(t)
	code, out, errOut := runIn(t, "", "diff", d[1], d[2])
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"base:    " + d[1] + " at ",
		"34 goroutines in 4 groups",
		"39 goroutines in 3 groups",
		"+5 goroutines; groups: 1 grew, 0 appeared, 0 shrank, 1 vanished, 2 unchanged",
		"+10  grew  20 → 30  chan receive\n    blocked at shapes.go:160  main.(*memQueue).scheduleFlush.func1\n    created by shapes.go:159  main.(*memQueue).scheduleFlush\n",
		"-5  vanished  5 → 0  chan receive\n    blocked at shapes.go:174  main.burstWorker\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.Index(out, "grew") > strings.Index(out, "vanished  5") {
		t.Errorf("growth is not first:\n%s", out)
	}
}

func TestDiffJSON(t *testing.T) {
	t.Parallel()
	needDiff(t)
	d := multiDumps(t)
	// CURRENT from standard input, as with curl … | gorotop diff base -.
	current, err := os.ReadFile(d[1])
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, string(current), "diff", "--format", "json", d[0], "-")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var r diff.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.Schema != "gorotop/diff/v1" || r.Base.Source != d[0] || r.Current.Source != "stdin" ||
		r.Base.Total != 19 || r.Current.Total != 34 || r.Delta != 15 || r.Base.TakenAt == "" || r.Current.TakenAt == "" {
		t.Errorf("report head: %+v %+v %+v delta %d", r.Schema, r.Base, r.Current, r.Delta)
	}
	if r.Summary != (diff.Counts{Grew: 1, Appeared: 1, Same: 2}) || len(r.Groups) != 4 {
		t.Fatalf("summary %+v, %d groups", r.Summary, len(r.Groups))
	}
	g := r.Groups[0]
	if g.Change != diff.Grew || g.BaseCount != 10 || g.CurrentCount != 20 || g.Delta != 10 || g.State != "chan receive" ||
		g.BlockedAt == nil || g.BlockedAt.Func != "main.(*memQueue).scheduleFlush.func1" ||
		g.CreatedBy == nil || g.CreatedBy.Func != "main.(*memQueue).scheduleFlush" || g.Key == "" {
		t.Errorf("first group %+v", g)
	}
	if g := r.Groups[1]; g.Change != diff.Appeared || g.BaseCount != 0 || g.CurrentCount != 5 || g.BlockedAt.Func != "main.burstWorker" {
		t.Errorf("second group %+v", g)
	}
}

// TestDiffOutput writes with -o: atomically, never over a file without
// --force.
func TestDiffOutput(t *testing.T) {
	t.Parallel()
	needDiff(t)
	d := multiDumps(t)
	out := filepath.Join(t.TempDir(), "diff.json")
	if code, _, errOut := runIn(t, "", "diff", "--format", "json", "-o", out, d[0], d[2]); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r diff.Report
	if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &r) != nil || r.Delta != 20 {
		t.Fatalf("%s: %v, delta %d", out, err, r.Delta)
	}
	if code, _, errOut := runIn(t, "", "diff", "-o", out, d[0], d[2]); code != 2 || !strings.Contains(errOut, "--force") {
		t.Errorf("second write: exit %d %q, want 2 and a hint about --force", code, errOut)
	}
	if code, stdout, _ := runIn(t, "", "diff", "--force", "-o", out, d[0], d[2]); code != 0 || stdout != "" {
		t.Errorf("--force: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "gorotop diff\n") {
		t.Errorf("--force did not replace the file: %q", b)
	}
}

// TestDiffErrors: usage errors and unusable input exit 2 with one line.
func TestDiffErrors(t *testing.T) {
	t.Parallel()
	needDiff(t)
	d := multiDumps(t)
	dir := t.TempDir()
	html := filepath.Join(dir, "page.html")
	os.WriteFile(html, []byte("<!DOCTYPE html><html><body>hi</body></html>"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one argument", []string{d[0]}, "want BASE and CURRENT"},
		{"three arguments", []string{d[0], d[1], d[2]}, "want BASE and CURRENT"},
		{"stdin twice", []string{"-", "-"}, "only one of BASE and CURRENT"},
		{"bad format", []string{"--format", "html", d[0], d[1]}, "diff writes text or json, not \"html\""},
		{"bad group", []string{"--group", "nope", d[0], d[1]}, "unknown grouping"},
		{"missing base", []string{filepath.Join(dir, "nope.txt"), d[1]}, "no such file"},
		{"not a dump", []string{d[0], html}, "no goroutine dump"},
		{"empty directory", []string{empty, d[1]}, "no dump files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runIn(t, "", append([]string{"diff"}, c.args...)...)
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q: want 2 and one line with %q", code, out, errOut, c.want)
			}
		})
	}
}

func TestDiffHelp(t *testing.T) {
	t.Parallel()
	needDiff(t)
	code, out, errOut := runIn(t, "", "diff", "--help")
	if code != 0 || errOut != "" || !strings.Contains(out, "Examples:\n  gorotop snapshot -o before.txt") || !strings.Contains(out, "--force") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
}
