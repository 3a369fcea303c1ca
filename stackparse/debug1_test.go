package stackparse

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func parseProfile(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := ParseProfile(bytes.NewReader(readDump(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestParseProfile reads pprof-debug1.txt, whose README table lists its
// records.
func TestParseProfile(t *testing.T) {
	p := parseProfile(t, "pprof-debug1.txt")
	if p.Name != "goroutine" || p.Total != 67 || p.Sum() != 67 || len(p.Records) != 16 {
		t.Fatalf("name %q total %d sum %d records %d, want goroutine 67 67 16", p.Name, p.Total, p.Sum(), len(p.Records))
	}
	if len(p.Warnings) != 0 || p.Bytes != int64(len(readDump(t, "pprof-debug1.txt"))) {
		t.Errorf("warnings %q, bytes %d", p.Warnings, p.Bytes)
	}
	first := p.Records[0]
	want := Frame{Func: "main.blockedRecv", File: "shapes.go", Line: 37}
	if first.Count != 12 || len(first.Frames) != 1 || first.Frames[0].Func != want.Func || first.Frames[0].Site() != "shapes.go:37" {
		t.Errorf("first record %+v, want 12 × %v", first, want)
	}
	// Tabwriter padding: several tabs between fields.
	mutex := p.Records[2]
	if mutex.Count != 9 || len(mutex.Frames) != 5 || mutex.Frames[3].Func != "sync.(*Mutex).Lock" || mutex.Frames[3].Line != 46 || !strings.HasSuffix(mutex.Frames[3].File, "/sync/mutex.go") {
		t.Errorf("mutex record %+v", mutex)
	}
	leak := parseProfile(t, "leaked-debug1.txt")
	if leak.Name != "goroutineleak" || leak.Total != 13 || leak.Sum() != 13 {
		t.Errorf("leak profile %q total %d sum %d, want goroutineleak 13 13", leak.Name, leak.Total, leak.Sum())
	}
}

// TestProfileMatchesDump checks that the ?debug=1 profile counts, per
// stack, what the ?debug=2 dump of the same process holds in the groups
// of that stack: the profile's frames are the dump's without the leading
// runtime frames. The goroutine writing each profile is the exception:
// it ran writeGoroutineStacks for the dump and writeRuntimeProfile for
// the profile, from different lines of the program.
func TestProfileMatchesDump(t *testing.T) {
	full := parseDump(t, "pprof-debug2.txt")
	p := parseProfile(t, "pprof-debug1.txt")
	dump := map[stackKey]int{}
	for _, g := range full.Groups {
		dump[keyOf(g.Frames)] += g.Count()
	}
	stacks, _ := p.byStack()
	matched := 0
	for k, sc := range stacks {
		if sc.profiler {
			if _, ok := dump[k]; ok {
				t.Errorf("the profiler's own stack %v matched the dump", sc.frames[0])
			}
			continue
		}
		if dump[k] != sc.count {
			t.Errorf("stack %v: profile counts %d, dump %d", sc.frames, sc.count, dump[k])
		}
		matched += sc.count
	}
	if matched != 66 {
		t.Errorf("%d goroutines matched, want 66 (all but the profiler)", matched)
	}

	est := p.Estimate(full, GroupCode)
	if est.Total != 67 || sumCounts(est) != 67 {
		t.Fatalf("estimate total %d, groups %d, want 67", est.Total, sumCounts(est))
	}
	byKey := map[string]*Group{}
	for _, g := range full.Groups {
		byKey[g.Key] = g
	}
	unknown := 0
	for _, g := range est.Groups {
		f := byKey[g.Key]
		if f == nil {
			if g.State != NotKnownState || g.CreatedBy != nil || g.Top().Func != "main.writeProfile" {
				t.Errorf("unmatched group %s %v", g.State, g.Top())
			}
			unknown += g.Count()
			continue
		}
		if g.Count() != f.Count() || g.State != f.State || g.CreatedBy == nil || *g.CreatedBy != *f.CreatedBy {
			t.Errorf("group %s %v: estimate %d %s, dump %d %s", g.Key, g.Top(), g.Count(), g.State, f.Count(), f.State)
		}
		for _, gr := range g.Goroutines {
			if gr.ID != 0 {
				t.Fatalf("estimate holds goroutine ID %d", gr.ID)
			}
		}
	}
	if unknown != 1 {
		t.Errorf("%d goroutines in unknown groups, want 1 (the profiler)", unknown)
	}
}

// count is g's count, or -1 for no group.
func count(g *Group) int {
	if g == nil {
		return -1
	}
	return g.Count()
}

func sumCounts(s *Snapshot) int {
	n := 0
	for _, g := range s.Groups {
		n += g.Count()
	}
	return n
}

// TestEstimateShares checks the distribution of one stack's count over
// the groups that share it: the same code in two states, 30 and 10
// goroutines at the full dump, then 60 in the profile.
func TestEstimateShares(t *testing.T) {
	frames := []Frame{{Func: "main.work", File: "/src/main.go", Line: 10}, {Func: "main.loop", File: "/src/main.go", Line: 20}}
	last := &Snapshot{Total: 40, Groups: []*Group{
		fakeGroup("a", "chan receive", frames, 30),
		fakeGroup("b", "select", frames, 10),
	}}
	// The dump shows runtime frames at the top (GOTRACEBACK=system); the
	// profile never does.
	last.Groups[1].Frames = append([]Frame{{Func: "runtime.gopark", File: "/go/proc.go", Line: 1}}, frames...)
	p := profileText(t, "goroutine profile: total 61\n"+
		record(60, frames, `{"k":"v"}`)+
		record(1, []Frame{{Func: "main.other", File: "/src/other.go", Line: 5}}, ""))
	est := p.Estimate(last, GroupCode)
	got := map[string]int{}
	for _, g := range est.Groups {
		got[g.Key] = g.Count()
		if g.Key == "a" && (g.States["chan receive"] != 45 || g.State != "chan receive") {
			t.Errorf("group a states %v", g.States)
		}
	}
	if got["a"] != 45 || got["b"] != 15 || len(got) != 3 {
		t.Errorf("estimate %v, want a 45, b 15 and one unknown", got)
	}
	// 7 over 3:1 is 5.25 and 1.75: the larger remainder gets the odd one.
	p = profileText(t, "goroutine profile: total 7\n"+record(7, frames, ""))
	est = p.Estimate(last, GroupCode)
	if est.Groups[0].Count() != 5 || est.Groups[1].Count() != 2 {
		t.Errorf("7 split %d + %d, want 5 + 2", est.Groups[0].Count(), est.Groups[1].Count())
	}
}

// TestComplete builds a dump cut the way runtime/pprof cuts one (at
// exactly 64 MiB) and completes it from a profile of the same process.
func TestComplete(t *testing.T) {
	recv := []Frame{{Func: "main.recv", File: "/src/main.go", Line: 10}}
	send := []Frame{{Func: "main.send", File: "/src/main.go", Line: 20}}
	late := []Frame{{Func: "main.late", File: "/src/late.go", Line: 30}}
	var dump strings.Builder
	id := 1
	write := func(state string, f Frame, n int) {
		for range n {
			fmt.Fprintf(&dump, "goroutine %d [%s]:\n%s(0x%x)\n\t%s:%d +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:5 +0x25\n\n", id, state, f.Func, id, f.File, f.Line)
			id++
		}
	}
	write("chan receive", recv[0], 100)
	write("chan send", send[0], 50)
	for dump.Len() < 64<<20 {
		write("chan send", send[0], 1000)
	}
	cutAt := 64 << 20
	seen := strings.Count(dump.String()[:cutAt], "]:\n")
	cut, err := Parse(strings.NewReader(dump.String()[:cutAt]), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	if !cut.Truncated || cut.Total != seen {
		t.Fatalf("cut dump: truncated %v, total %d, want true, %d", cut.Truncated, cut.Total, seen)
	}
	sendGroup := groupAt(cut, "main.send", "chan send")
	if sendGroup == nil {
		t.Fatal("no chan send group in the cut dump")
	}
	sendSeen := sendGroup.Count()
	// The whole process: the 100 receivers, every sender the dump began to
	// write (the last one is cut mid-stack) and 70 000 more, and 500
	// goroutines in code the cut dump never reached.
	senders := seen - 100
	total := 100 + senders + 70000 + 500
	p := profileText(t, fmt.Sprintf("goroutine profile: total %d\n", total)+
		record(senders+70000, send, "")+
		record(500, late, "")+
		record(100, recv, ""))
	done := p.Complete(cut, GroupCode)
	if done.Total != total || !done.Truncated {
		t.Errorf("completed total %d truncated %v, want %d true", done.Total, done.Truncated, total)
	}
	// The goroutine cut mid-stack lost its creator: it is a group of its
	// own with the senders' stack, and shares their count.
	sent := 0
	for _, g := range done.Groups {
		if g.Top().Func == "main.send" {
			sent += g.Count()
		}
	}
	if g := groupAt(done, "main.send", "chan send"); g == nil || g.Key != sendGroup.Key || sent != senders+70000 {
		t.Errorf("senders: %d in all, want %d; key %s", sent, senders+70000, sendGroup.Key)
	} else if g.Goroutines[0].ID == 0 || g.Goroutines[sendSeen-1].ID == 0 || g.Goroutines[sendSeen].ID != 0 {
		t.Errorf("senders: the cut dump's goroutines should keep their IDs, the rest be placeholders")
	}
	if g := groupAt(done, "main.late", NotKnownState); g == nil || g.Count() != 500 {
		t.Errorf("late: %d, want 500 of state not seen yet", count(g))
	}
	if g := groupAt(done, "main.recv", "chan receive"); g == nil || g.Count() != 100 || g.Goroutines[99].ID == 0 {
		t.Errorf("receivers: %d, want the 100 of the dump", count(g))
	}
	w := strings.Join(done.Warnings, "\n")
	if !strings.Contains(w, "70500 more were counted from ?debug=1") || strings.Contains(w, "lower bound") {
		t.Errorf("warnings %q", done.Warnings)
	}
}

func TestParseProfileErrors(t *testing.T) {
	for _, in := range []string{"", "\n\n", "goroutine 1 [running]:\nmain.main()\n", "<html>"} {
		if _, err := ParseProfile(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	p := profileText(t, "goroutine profile: total 3\n2 @ 0x1\n#\t0x1\n#\tjunk\nwhat\n1 @ 0x2\n#\t0x2\tmain.f+0x1\t/a b/c.go:7\n")
	if p.Sum() != 3 || len(p.Warnings) != 2 || p.Records[0].Frames[0].Func != "?" || p.Records[1].Frames[0].File != "/a b/c.go" {
		t.Errorf("profile %+v", p)
	}
	p = profileText(t, "goroutine profile: total 1\n1 @ 0x1\n# labels: {\"a\":\"x\\\"y\", \"b\":\"\"}\n#\t0x1\tmain.f+0x1\t/c.go:7\n")
	if l := p.Records[0].Labels; len(l) != 2 || l[0] != (Label{"a", `x"y`}) || l[1] != (Label{"b", ""}) {
		t.Errorf("labels %+v", l)
	}
}

func TestDistribute(t *testing.T) {
	for _, c := range []struct {
		n       int
		weights []int
		want    string
	}{
		{60, []int{30, 10}, "[45 15]"},
		{7, []int{3, 1}, "[5 2]"},
		{1, []int{1, 1}, "[1 0]"},
		{5, []int{0, 0}, "[3 2]"},
		{0, []int{4}, "[0]"},
		{10, nil, "[]"},
	} {
		if got := fmt.Sprint(distribute(c.n, c.weights)); got != c.want {
			t.Errorf("distribute(%d, %v) = %s, want %s", c.n, c.weights, got, c.want)
		}
	}
}

func fakeGroup(key, state string, frames []Frame, n int) *Group {
	return &Group{Key: key, State: state, States: map[string]int{state: n}, Frames: frames,
		CreatedBy: &Frame{Func: "main.main", File: "/src/main.go", Line: 1}, Goroutines: make([]Goroutine, n)}
}

// record prints one record of a ?debug=1 profile.
func record(n int, frames []Frame, labels string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d @ 0x1 0x2\n", n)
	if labels != "" {
		fmt.Fprintf(&b, "# labels: %s\n", labels)
	}
	for _, f := range frames {
		fmt.Fprintf(&b, "#\t0x1\t%s+0x1\t\t%s:%d\n", f.Func, f.File, f.Line)
	}
	b.WriteString("\n")
	return b.String()
}

func profileText(t *testing.T, s string) *Profile {
	t.Helper()
	p, err := ParseProfile(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
