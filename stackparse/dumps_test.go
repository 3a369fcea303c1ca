package stackparse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dumps in ../testdata/dumps were made by ../testdata/dumpgen, the
// project's own program; their README lists how and what each holds.

func readDump(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "dumps", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseDump(t *testing.T, name string) *Snapshot {
	t.Helper()
	snap, err := Parse(bytes.NewReader(readDump(t, name)), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// groupAt finds the group blocked in fn with the given state.
func groupAt(s *Snapshot, fn, state string) *Group {
	for _, g := range s.Groups {
		if g.Top().Func == fn && g.State == state {
			return g
		}
	}
	return nil
}

// fact is what a table row says of one group.
type fact struct {
	count     int
	state     string
	fn        string
	site      string
	createdBy string
}

func TestDumps(t *testing.T) {
	cases := []struct {
		file  string
		total int
		facts []fact
	}{
		{"pprof-debug2.txt", 67, []fact{
			{12, "chan receive", "main.blockedRecv", "shapes.go:37", "main.startCore"},
			{12, "sync.WaitGroup.Wait", "main.spawner.func1", "shapes.go:91", "main.spawner"},
			{9, "sync.Mutex.Lock", "main.lockMutex", "shapes.go:63", "main.startCore"},
			{7, "select", "main.blockedSelect", "shapes.go:46", "main.startCore"},
			{6, "chan send", "main.blockedSend", "shapes.go:77", "main.startCore"},
			{5, "sleep", "main.sleeper", "shapes.go:70", "main.startCore"},
			{3, "select (no cases)", "main.spawner", "shapes.go:95", "main.startCore"},
			{2, "sync.Cond.Wait", "main.condWait", "shapes.go:101", "main.startCore"},
			{2, "chan receive", "main.drain[...]", "shapes.go:169", "main.startCore"},
			{2, "chan receive (nil chan)", "main.nilRecv", "shapes.go:108", "main.startCore"},
			{1, "chan receive", "main.lockedThread", "shapes.go:83", "main.startCore"},
			{1, "sync.RWMutex.Lock", "main.rwWriter", "shapes.go:120", "main.startCore"},
		}},
		{"gotraceback-all.txt", 68, []fact{
			{12, "chan receive", "main.blockedRecv", "shapes.go:37", "main.startCore"},
			{1, "running", "main.crasher", "shapes.go:179", "main.childCrash"},
		}},
		{"sigquit-system.txt", 76, []fact{
			{12, "chan receive", "main.blockedRecv", "shapes.go:37", "main.startCore"},
			{12, "sync.WaitGroup.Wait", "main.spawner.func1", "shapes.go:91", "main.spawner"},
			{1, "finalizer wait", "runtime.gopark", "proc.go:462", "runtime.createfing"},
		}},
		{"leaked.txt", 25, []fact{
			{5, "chan receive", "main.leakRecv", "leaks.go:45", "main.startLeaks"},
			{4, "chan receive", "main.blockedRecv", "shapes.go:37", "main.childLeaked"},
			{2, "sync.Mutex.Lock", "main.leakMutex", "leaks.go:63", "main.startLeaks"},
			{1, "select", "net/http.(*persistConn).writeLoop", "transport.go:2652", "net/http.(*Transport).dialConn"},
		}},
		{"ancestors.txt", 7, []fact{
			{4, "chan receive", "main.blockedRecv", "shapes.go:37", "main.chain"},
			{2, "chan send", "main.blockedSend", "shapes.go:77", "main.childAncestors"},
		}},
		{"elided.txt", 4, nil},
		{"waitminutes.txt", 7, []fact{
			{4, "chan receive", "main.blockedRecv", "shapes.go:37", "main.childWaitMinutes"},
		}},
		{"escapes.txt", 8, nil},
		{"labels.txt", 26, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			snap := parseDump(t, c.file)
			if snap.Total != c.total || snap.Truncated {
				t.Errorf("total %d truncated %v, want %d whole", snap.Total, snap.Truncated, c.total)
			}
			for _, f := range c.facts {
				g := groupAt(snap, f.fn, f.state)
				if g == nil {
					t.Errorf("no %q group blocked in %s", f.state, f.fn)
					continue
				}
				created := ""
				if g.CreatedBy != nil {
					created = g.CreatedBy.Func
				}
				if g.Count() != f.count || g.Top().Site() != f.site || created != f.createdBy {
					t.Errorf("%s: count %d site %s created by %q, want %d %s %q", f.fn, g.Count(), g.Top().Site(), created, f.count, f.site, f.createdBy)
				}
			}
		})
	}
}

func TestDumpDetails(t *testing.T) {
	snap := parseDump(t, "pprof-debug2.txt")
	spawned := groupAt(snap, "main.spawner.func1", "sync.WaitGroup.Wait")
	parents := map[int64]bool{}
	for _, g := range spawned.Goroutines {
		parents[g.Parent] = true
	}
	if len(parents) != 3 || parents[0] {
		t.Errorf("spawner.func1 has parents %v, want 3 distinct goroutines", parents)
	}
	if g := groupAt(snap, "main.lockedThread", "chan receive"); g == nil || !g.Locked {
		t.Errorf("lockedThread group %+v is not locked to its thread", g)
	}
	if g := groupAt(snap, "main.lockMutex", "sync.Mutex.Lock"); g.Blocking < 1 || g.Frames[g.Blocking].Func != "main.lockMutex" || !strings.HasPrefix(g.Frames[0].Func, "internal/sync.") {
		t.Errorf("lockMutex: blocking frame %d of %v, want the first frame past the runtime's", g.Blocking, g.Frames)
	}

	leaked := parseDump(t, "leaked.txt")
	if g := groupAt(leaked, "main.leakRecv", "chan receive"); g.Leaked != 5 || g.States["chan receive (leaked)"] != 5 {
		t.Errorf("leakRecv: leaked %d states %v, want 5 proven", g.Leaked, g.States)
	}
	if g := groupAt(leaked, "main.blockedRecv", "chan receive"); g.Leaked != 0 {
		t.Errorf("blockedRecv: leaked %d, want 0", g.Leaked)
	}

	elided := parseDump(t, "elided.txt")
	var deep, shallow *Group
	for _, g := range elided.Groups {
		if g.Top().Func == "main.recurse" {
			if g.Elided {
				deep = g
			} else {
				shallow = g
			}
		}
	}
	if deep == nil || deep.Count() != 2 || shallow == nil || shallow.Count() != 1 {
		t.Errorf("elided: deep %v shallow %v, want 2 elided and 1 whole", deep, shallow)
	}

	waits := parseDump(t, "waitminutes.txt")
	if g := groupAt(waits, "main.blockedRecv", "chan receive"); g.WaitMin != 1 || g.WaitMax != 1 {
		t.Errorf("blockedRecv waits %d-%d minutes, want 1", g.WaitMin, g.WaitMax)
	}
	if g := groupAt(waits, "main.blockedSend", "chan send"); g.WaitMax != 0 {
		t.Errorf("blockedSend waits %d minutes, want 0", g.WaitMax)
	}
}

func TestDumpLabels(t *testing.T) {
	snap := parseDump(t, "labels.txt")
	values := map[string][]string{}
	unlabelled := 0
	for _, g := range snap.Groups {
		for _, gr := range g.Goroutines {
			if len(gr.Labels) == 0 {
				unlabelled++
			}
			for _, l := range gr.Labels {
				values[l.Key] = append(values[l.Key], l.Value)
			}
		}
	}
	for _, want := range []string{"a]b", "}{", `a, "b": c`, `say "hi"`, `C:\temp\new`, "rocket 🚀", "日本語", "héllo wörld", ""} {
		if !slices.Contains(values["v"], want) {
			t.Errorf("no goroutine with label v=%q; values %q", want, values["v"])
		}
	}
	if !slices.Contains(values[`odd key "]}, `], "x") {
		t.Errorf("the odd key is lost: keys %v", values)
	}
	if len(values["handler"]) != 6 || len(values["job"]) != 4 {
		t.Errorf("handler labels %d, job labels %d, want 6 and 4", len(values["handler"]), len(values["job"]))
	}
	if unlabelled != 4 {
		t.Errorf("%d goroutines without labels, want 4", unlabelled)
	}
}

func TestDumpTruncated(t *testing.T) {
	snap := parseDump(t, "truncated.txt")
	if !snap.Truncated || snap.Total != 30 || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "cut off") {
		t.Errorf("truncated %v total %d warnings %q", snap.Truncated, snap.Total, snap.Warnings)
	}
	if size := len(readDump(t, "truncated.txt")); snap.Bytes != int64(size) {
		t.Errorf("read %d bytes, want all %d", snap.Bytes, size)
	}
	// A whole dump is not reported as cut.
	if s := parseDump(t, "pprof-debug2.txt"); s.Truncated || len(s.Warnings) != 0 {
		t.Errorf("a whole dump: truncated %v warnings %q", s.Truncated, s.Warnings)
	}
}

func TestDumpStream(t *testing.T) {
	in := readDump(t, "multi.txt")
	all, _ := Parse(bytes.NewReader(in), GroupCode)
	if all.Total != 92 || all.Dumps != 3 {
		t.Errorf("whole file: total %d dumps %d, want 92 in 3", all.Total, all.Dumps)
	}
	var totals, leaks []int
	err := NewParser(GroupCode).ParseEach(bytes.NewReader(in), func(s *Snapshot) error {
		totals = append(totals, s.Total)
		g := groupAt(s, "main.(*memQueue).scheduleFlush.func1", "chan receive")
		if g == nil {
			t.Fatalf("no leak group in a dump of %d", s.Total)
		}
		leaks = append(leaks, g.Count())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(totals, []int{19, 34, 39}) || !slices.Equal(leaks, []int{10, 20, 30}) {
		t.Errorf("dumps of %v with leaks %v, want [19 34 39] and [10 20 30]", totals, leaks)
	}
}

func TestDumpEscapes(t *testing.T) {
	snap := parseDump(t, "escapes.txt")
	var all []string
	for _, g := range snap.Groups {
		all = append(all, g.State, g.Key)
		for st := range g.States {
			all = append(all, st)
		}
		for _, f := range g.Frames {
			all = append(all, f.Func, f.File)
		}
		for _, gr := range g.Goroutines {
			all = append(all, gr.State)
			for _, l := range gr.Labels {
				all = append(all, l.Key, l.Value)
			}
		}
	}
	all = append(all, snap.Warnings...)
	sawEscaped := false
	for _, s := range all {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f {
				t.Errorf("control byte %#x in %q", c, s)
			}
		}
		sawEscaped = sawEscaped || strings.Contains(s, `\x1b]52`)
	}
	if !sawEscaped {
		t.Error("the OSC 52 label is not shown, escaped")
	}
	if g := groupAt(snap, "main.evil", "chan receive"); g == nil || !strings.Contains(g.Top().File, `\x1b[2J`) {
		t.Errorf("main.evil's file should show its escapes as text: %v", g)
	}
}

// TestDebug1AfterJunkIsExplained: a ?debug=1 profile that does not start
// the input is not read as one, and a warning says what it is.
func TestDebug1AfterJunkIsExplained(t *testing.T) {
	in := append([]byte("$ curl -s localhost:6060/debug/pprof/goroutine?debug=1\n"), readDump(t, "pprof-debug1.txt")...)
	snap, err := Parse(bytes.NewReader(in), GroupCode)
	if err != nil || snap.Total != 0 || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "debug=2") {
		t.Errorf("total %d warnings %q, error %v", snap.Total, snap.Warnings, err)
	}
}

// TestDumpsMatchReference compares with plain panicparse where it can read
// the dump: not where labels hold "]", which its header pattern rejects,
// and not the cut dump, where panicparse keeps a last function line
// without its file line as a frame of line 0 and we do not.
func TestDumpsMatchReference(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "dumps", "*.txt"))
	if len(files) < 10 {
		t.Fatalf("only %d dumps in testdata/dumps", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		if name == "labels.txt" || name == "escapes.txt" || name == "truncated.txt" || strings.Contains(name, "debug1") || strings.HasPrefix(name, "sigquit-") && name != "sigquit-system.txt" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			in := readDump(t, name)
			got, _ := Parse(bytes.NewReader(in), GroupCode)
			compareSnapshots(t, got, referenceParse(t, in))
		})
	}
}

// TestCutAt64MiB: a ?debug=2 dump of exactly 64 MiB was cut by
// runtime/pprof even when the cut falls between two lines.
func TestCutAt64MiB(t *testing.T) {
	one := "goroutine %d [chan receive]:\nmain.leak()\n\t/src/main.go:9 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:5 +0x25\n\n"
	var b bytes.Buffer
	for n := 1; b.Len() < pprofLimit; n++ {
		fmt.Fprintf(&b, one, n)
	}
	// Cut after a whole frame, so that nothing looks cut but the size.
	in := b.Bytes()[:pprofLimit-1000]
	in = in[:bytes.LastIndex(in, []byte("+0x25\n"))+6]
	whole, _ := Parse(bytes.NewReader(in), GroupCode)
	if whole.Truncated {
		t.Fatalf("a dump of %d bytes ending with a whole line is reported cut: %q", len(in), whole.Warnings)
	}
	padded := append(bytes.Clone(in), bytes.Repeat([]byte("\n"), pprofLimit-len(in))...)
	cut, _ := Parse(bytes.NewReader(padded), GroupCode)
	if !cut.Truncated || !strings.Contains(strings.Join(cut.Warnings, " "), "64 MiB") {
		t.Errorf("a dump of exactly 64 MiB: truncated %v, warnings %q", cut.Truncated, cut.Warnings)
	}
}
