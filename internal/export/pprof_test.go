package export

import (
	"bytes"
	"compress/gzip"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// readProfile writes in as pprof and parses it back.
func readProfile(t *testing.T, in Input) *profile.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := Pprof(&buf, in); err != nil {
		t.Fatal(err)
	}
	if _, err := gzip.NewReader(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("not gzip-compressed: %v", err)
	}
	p, err := profile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleAt returns the sample whose innermost frame is in function fn.
func sampleAt(t *testing.T, p *profile.Profile, fn string) *profile.Sample {
	t.Helper()
	for _, s := range p.Sample {
		if len(s.Location) > 0 && s.Location[0].Line[0].Function.Name == fn {
			return s
		}
	}
	t.Fatalf("no sample with %s innermost", fn)
	return nil
}

func TestPprofProfile(t *testing.T) {
	in := richInput(t)
	p := readProfile(t, in)
	if len(p.SampleType) != 1 || p.SampleType[0].Type != "goroutine" || p.SampleType[0].Unit != "count" {
		t.Errorf("sample types %v", p.SampleType)
	}
	if len(p.Sample) != len(in.Snap.Groups) || p.TimeNanos != reportAt.UnixNano() {
		t.Errorf("%d samples at %d, want %d at %d", len(p.Sample), p.TimeNanos, len(in.Snap.Groups), reportAt.UnixNano())
	}
	var total int64
	for _, s := range p.Sample {
		total += s.Value[0]
	}
	if total != int64(in.Snap.Total) {
		t.Errorf("samples sum to %d, want %d", total, in.Snap.Total)
	}

	leak := sampleAt(t, p, "example.com/app/queue.(*MemQueue).scheduleFlush.func1")
	line := leak.Location[0].Line[0]
	if leak.Value[0] != 80 || line.Line != 88 || line.Function.Filename != "/src/app/queue/queue.go" {
		t.Errorf("leak sample: %d goroutines at %s:%d", leak.Value[0], line.Function.Filename, line.Line)
	}
	want := map[string]string{
		"state":      "chan receive",
		"suspect":    "true",
		"proven":     "false",
		"stuck":      "false",
		"created_by": "queue.go:84 example.com/app/queue.(*MemQueue).scheduleFlush",
		"reason":     "+30/min (+75 in 2m), 0 exited, oldest 2m",
		"group":      in.Snap.Groups[0].Key,
	}
	for k, v := range want {
		if got := leak.Label[k]; len(got) != 1 || got[0] != v {
			t.Errorf("leak label %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := leak.Label["tenant"]; ok {
		t.Error("a label whose value differs between goroutines is on the sample")
	}
	if got := leak.NumLabel["wait_minutes"]; len(got) != 1 || got[0] != 0 || leak.NumUnit["wait_minutes"][0] != "minutes" {
		t.Errorf("leak wait_minutes = %v %v", got, leak.NumUnit)
	}

	stuck := sampleAt(t, p, "internal/sync.runtime_SemacquireMutex")
	if len(stuck.Location) != 4 || stuck.Location[3].Line[0].Function.Name != "example.com/app/cache.(*Cache).Refresh" {
		t.Errorf("the stuck group's stack is not innermost first: %v", stuck.Location)
	}
	if stuck.Label["stuck"][0] != "true" || stuck.NumLabel["wait_minutes"][0] != 5 {
		t.Errorf("stuck sample labels %v %v", stuck.Label, stuck.NumLabel)
	}
	proven := sampleAt(t, p, "example.com/app/rpc.(*Client).notify")
	if proven.Label["proven"][0] != "true" || proven.NumLabel["leaked"][0] != 2 {
		t.Errorf("proven sample labels %v %v", proven.Label, proven.NumLabel)
	}

	// Without history there is no verdict but the runtime's proof.
	in.History = nil
	p = readProfile(t, in)
	leak = sampleAt(t, p, "example.com/app/queue.(*MemQueue).scheduleFlush.func1")
	for _, k := range []string{"suspect", "rising", "proven", "stuck", "reason"} {
		if _, ok := leak.Label[k]; ok {
			t.Errorf("label %s without history", k)
		}
	}
	if sampleAt(t, p, "example.com/app/rpc.(*Client).notify").NumLabel["leaked"][0] != 2 {
		t.Error("no leaked count without history")
	}
}

func TestPprofSharedLabel(t *testing.T) {
	snap := parse(t, dump(4, 50, "acme"))
	p := readProfile(t, Input{Source: "s", TakenAt: reportAt, Snap: snap})
	leak := sampleAt(t, p, "example.com/app/queue.(*MemQueue).scheduleFlush.func1")
	if got := leak.Label["tenant"]; len(got) != 1 || got[0] != "acme" {
		t.Errorf("tenant = %q, want the label all goroutines share", got)
	}
}

// profileStrings lists every string of a profile.
func profileStrings(p *profile.Profile) []string {
	out := append([]string{}, p.Comments...)
	for _, f := range p.Function {
		out = append(out, f.Name, f.SystemName, f.Filename)
	}
	for _, s := range p.Sample {
		for k, vs := range s.Label {
			out = append(out, k)
			out = append(out, vs...)
		}
	}
	return out
}

func TestPprofEscapes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "escapes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	evil := evilSnapshot()
	evil.Groups = append(evil.Groups, &stackparse.Group{Key: "k", State: "x", Blocking: -1, Goroutines: []stackparse.Goroutine{
		{ID: 9, Labels: []stackparse.Label{{Key: "v\x1b[2J", Value: "\x1b]52;c;ZXZpbA==\x07"}}},
	}})
	for name, in := range map[string]Input{
		"escapes.txt": {Source: "escapes.txt", TakenAt: reportAt, Snap: parse(t, string(raw)), History: track.New(track.Options{}).View()},
		"synthetic":   {Source: "x\x1b[2J", TakenAt: reportAt, Snap: evil},
	} {
		t.Run(name, func(t *testing.T) {
			for _, s := range profileStrings(readProfile(t, in)) {
				if s != stackparse.Clean(s, 0) {
					t.Errorf("unclean string %q", s)
				}
			}
		})
	}
}

func TestFormatsRegistered(t *testing.T) {
	for _, c := range []struct {
		name, ext string
		binary    bool
	}{{"text", ".txt", false}, {"json", ".json", false}, {"html", ".html", false}, {"pprof", ".pb.gz", true}} {
		f, err := ParseFormat(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Ext() != c.ext || f.Binary() != c.binary {
			t.Errorf("%s: ext %q binary %v", c.name, f.Ext(), f.Binary())
		}
	}
	if _, err := ParseFormat("svg"); err == nil || !strings.Contains(err.Error(), "html or pprof") {
		t.Errorf("ParseFormat(svg) = %v", err)
	}
	dir := t.TempDir()
	in := richInput(t)
	for _, f := range []Format{FormatHTML, FormatPprof} {
		path, err := ToDir(dir, f, in)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(path) != "gorotop-20261125-190000"+f.Ext() {
			t.Errorf("%s export named %s", f, path)
		}
		b, _ := os.ReadFile(path)
		if f == FormatHTML && !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) || f == FormatPprof && !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s export starts %q", f, b[:min(len(b), 16)])
		}
	}
}

// goToolPprof runs `go tool pprof` with args and returns its output.
func goToolPprof(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "pprof"}, args...)...)
	cmd.Env = append(os.Environ(), "PPROF_TMPDIR="+t.TempDir(), "PPROF_BINARY_PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestGoToolPprof(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH: go tool pprof not tried")
	}
	path, err := ToDir(t.TempDir(), FormatPprof, richInput(t))
	if err != nil {
		t.Fatal(err)
	}
	top := goToolPprof(t, "-top", path)
	t.Logf("go tool pprof -top:\n%s", top)
	if !regexp.MustCompile(`(?m)^\s+80\s+90\.91%\s+90\.91%\s+80\s+90\.91%\s+example\.com/app/queue\.\(\*MemQueue\)\.scheduleFlush\.func1$`).MatchString(top) {
		t.Errorf("-top does not show the leak's 80 goroutines:\n%s", top)
	}
	if !strings.Contains(top, "Type: goroutine") || strings.Contains(top, "rror") || strings.Contains(top, "not available") {
		t.Errorf("-top:\n%s", top)
	}
	traces := goToolPprof(t, "-traces", "-tagfocus", "suspect=true", path)
	for _, want := range []string{"suspect:  true", "state:  chan receive", "reason:  +30/min (+75 in 2m), 0 exited, oldest 2m", "wait_minutes:  0", "80   example.com/app/queue.(*MemQueue).scheduleFlush.func1"} {
		if !strings.Contains(traces, want) {
			t.Errorf("-traces -tagfocus suspect=true lacks %q:\n%s", want, traces)
		}
	}
	if strings.Contains(traces, "cache.(*Cache).Refresh") {
		t.Errorf("-tagfocus suspect=true kept a healthy group:\n%s", traces)
	}
}

// TestPprofReadsBack: gorotop reads its own --format pprof as it reads
// any pprof goroutine profile, and gets back each group's key, count,
// state, creation site, wait minutes and labels; the snapshot is
// count-only and says so.
func TestPprofReadsBack(t *testing.T) {
	in := richInput(t)
	in.History = nil
	var buf bytes.Buffer
	if err := Pprof(&buf, in); err != nil {
		t.Fatal(err)
	}
	back, err := stackparse.Parse(&buf, stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	if back.Format != stackparse.FormatPprof || !back.CountOnly || back.Total != in.Snap.Total || !back.TakenAt.Equal(reportAt) || back.Warnings[0] != stackparse.FormatPprof.Lacks() {
		t.Errorf("format %v, count-only %v, total %d (want %d), taken at %v, warnings %q", back.Format, back.CountOnly, back.Total, in.Snap.Total, back.TakenAt, back.Warnings)
	}
	byKey := map[string]*stackparse.Group{}
	for _, g := range back.Groups {
		byKey[g.Key] = g
	}
	for _, want := range in.Snap.Groups {
		g := byKey[want.Key]
		if g == nil {
			t.Errorf("group %s (%v) did not come back", want.Key, want.Top())
			continue
		}
		if g.Count() != want.Count() || g.State != want.State || g.WaitMax != want.WaitMax || (g.CreatedBy == nil) != (want.CreatedBy == nil) ||
			g.CreatedBy != nil && g.CreatedBy.Site() != want.CreatedBy.Site() || g.Top() != want.Top() {
			t.Errorf("group %s: %d %q wait %d by %v at %v; want %d %q wait %d by %v at %v", g.Key, g.Count(), g.State, g.WaitMax, g.CreatedBy, g.Top(),
				want.Count(), want.State, want.WaitMax, want.CreatedBy, want.Top())
		}
		if got, w := labelCounts(g), labelCounts(want); len(w) > 0 && len(w["tenant"]) == 1 && !maps.Equal(got["tenant"], w["tenant"]) {
			t.Errorf("group %s: labels %v, want %v", g.Key, got, w)
		}
	}
}
