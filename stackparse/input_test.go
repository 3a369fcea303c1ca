package stackparse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
)

// perStack sums a snapshot's counts by stack as a ?debug=1 profile prints
// it (keyOf), leaving out the goroutine that wrote the profile: it ran
// other code for each of a process's dumps and profiles.
func perStack(s *Snapshot) map[stackKey]int {
	out := map[stackKey]int{}
	for _, g := range s.Groups {
		if _, ok := profilerKey(g.Frames); ok {
			continue
		}
		out[keyOf(g.Frames)] += g.Count()
	}
	return out
}

// checkCountOnly checks what every snapshot of a profile read on its own
// holds: the format, no goroutine IDs, the state, and a first warning
// that says what the format lacks.
func checkCountOnly(t *testing.T, s *Snapshot, f Format) {
	t.Helper()
	if !s.CountOnly || s.Format != f || len(s.Warnings) == 0 || s.Warnings[0] != f.Lacks() || s.Dumps != 1 {
		t.Errorf("count-only %v, format %v, dumps %d, warnings %q", s.CountOnly, s.Format, s.Dumps, s.Warnings)
	}
	sum := 0
	for _, g := range s.Groups {
		sum += g.Count()
		if g.CreatedBy != nil || len(g.IDs()) > 0 || g.State != CountsOnlyState {
			t.Errorf("group %v: created by %v, IDs %v, state %q", g.Top(), g.CreatedBy, g.IDs(), g.State)
		}
	}
	if sum != s.Total {
		t.Errorf("groups hold %d goroutines, total %d", sum, s.Total)
	}
}

// TestDebug1Input reads a ?debug=1 profile as a snapshot of its own: the
// same counts per stack as the ?debug=2 dump of the same process, named
// by the profile's frames.
func TestDebug1Input(t *testing.T) {
	dump := parseDump(t, "pprof-debug2.txt")
	snap := parseDump(t, "pprof-debug1.txt")
	checkCountOnly(t, snap, FormatDebug1)
	if snap.Total != 67 || snap.Bytes != int64(len(readDump(t, "pprof-debug1.txt"))) {
		t.Errorf("total %d bytes %d", snap.Total, snap.Bytes)
	}
	if got, want := perStack(snap), perStack(dump); !maps.Equal(got, want) {
		t.Errorf("counts per stack %v, the dump's %v", got, want)
	}
	g := groupAt(snap, "main.blockedRecv", CountsOnlyState)
	if g == nil || g.Count() != 12 || g.Top().Site() != "shapes.go:37" || len(g.Frames) != 1 {
		t.Errorf("main.blockedRecv: %+v", g)
	}
}

// TestDebug1Variants: Windows line endings, no final newline and a record
// with no frame lines (a goroutine whose stack held only runtime.goexit)
// read as the profile does; a record without frames is named so.
func TestDebug1Variants(t *testing.T) {
	orig := string(readDump(t, "pprof-debug1.txt"))
	want := parseDump(t, "pprof-debug1.txt")
	for name, in := range map[string]string{
		"crlf":       strings.ReplaceAll(orig, "\n", "\r\n"),
		"no-newline": strings.TrimRight(orig, "\n"),
		"crlf-cut":   strings.TrimRight(strings.ReplaceAll(orig, "\n", "\r\n"), "\r\n"),
	} {
		got, err := Parse(strings.NewReader(in), GroupCode)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Total != want.Total || len(got.Groups) != len(want.Groups) || !slices.Equal(got.Warnings, want.Warnings) {
			t.Errorf("%s: total %d, %d groups, warnings %q", name, got.Total, len(got.Groups), got.Warnings)
		}
		for i := range min(len(got.Groups), len(want.Groups)) {
			if got.Groups[i].Key != want.Groups[i].Key || got.Groups[i].Count() != want.Groups[i].Count() {
				t.Errorf("%s: group %d %v ×%d, want %v ×%d", name, i, got.Groups[i].Top(), got.Groups[i].Count(), want.Groups[i].Top(), want.Groups[i].Count())
			}
		}
	}
	bare := strings.Replace(orig, "goroutine profile: total 67\n", "goroutine profile: total 70\n3 @ 0x491321\n\n", 1)
	snap, err := Parse(strings.NewReader(strings.ReplaceAll(bare, "\n", "\r\n")), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	checkCountOnly(t, snap, FormatDebug1)
	g := groupAt(snap, NoFrames, CountsOnlyState)
	if snap.Total != 70 || g == nil || g.Count() != 3 || g.Top().Site() != "-" || len(g.Frames) != 0 {
		t.Errorf("total %d; the record without frames: %+v", snap.Total, g)
	}
}

// TestDebug1Stream: profiles one after another (curl appending to a file,
// or piped in) are one snapshot each as a stream; read whole, the last,
// with a warning.
func TestDebug1Stream(t *testing.T) {
	one := string(readDump(t, "pprof-debug1.txt"))
	second := strings.Replace(one, "\n12 @ ", "\n15 @ ", 1)
	second = strings.Replace(second, "total 67", "total 70", 1)
	in := one + "\n" + second + one
	var totals []int
	err := NewParser(GroupCode).ParseEach(strings.NewReader(in), func(s *Snapshot) error {
		checkCountOnly(t, s, FormatDebug1)
		totals = append(totals, s.Total)
		return nil
	})
	if err != nil || !slices.Equal(totals, []int{67, 70, 67}) {
		t.Errorf("totals %v, error %v", totals, err)
	}
	snap, err := Parse(strings.NewReader(in[:len(in)-len(one)]), GroupCode)
	if err != nil || snap.Total != 70 || !strings.Contains(strings.Join(snap.Warnings, "\n"), "holds 2 profiles") {
		t.Errorf("whole: total %d, warnings %q, error %v", snap.Total, snap.Warnings, err)
	}
}

// labelSets counts a snapshot's goroutines by label set, in one string
// per set; without labels whose value is empty when noEmpty is set.
func labelSets(s *Snapshot, noEmpty bool) map[string]int {
	out := map[string]int{}
	for _, g := range s.Groups {
		if _, ok := profilerKey(g.Frames); ok {
			continue
		}
		for _, gr := range g.Goroutines {
			var b strings.Builder
			for _, l := range gr.Labels {
				if noEmpty && l.Value == "" {
					continue
				}
				b.WriteString(l.Key + "=" + l.Value + ";")
			}
			out[b.String()]++
		}
	}
	return out
}

// TestProfileLabels: the labels of a ?debug=1 profile and of a pprof
// profile are those the dump of the same process shows in its headers;
// but a pprof profile cannot hold a label whose value is empty (pprof's
// reader drops it: the empty string is its "no value").
func TestProfileLabels(t *testing.T) {
	dump := parseDump(t, "labels.txt")
	if want := labelSets(dump, false); len(want) < 10 || !maps.Equal(labelSets(parseDump(t, "labels-debug1.txt"), false), want) {
		t.Errorf("labels-debug1.txt: label sets %v\nlabels.txt: %v", labelSets(parseDump(t, "labels-debug1.txt"), false), want)
	}
	if got, want := labelSets(parseDump(t, "labels.pb.gz"), true), labelSets(dump, true); !maps.Equal(got, want) {
		t.Errorf("labels.pb.gz: label sets %v\nlabels.txt: %v", got, want)
	}
}

// TestLeakDebug1: the goroutines of a goroutineleak profile are proven
// leaked, all of them.
func TestLeakDebug1(t *testing.T) {
	snap := parseDump(t, "leaked-debug1.txt")
	checkCountOnly(t, snap, FormatDebug1)
	leaked := 0
	for _, g := range snap.Groups {
		if g.Leaked != g.Count() {
			t.Errorf("group %v: %d of %d leaked", g.Top(), g.Leaked, g.Count())
		}
		leaked += g.Leaked
	}
	if leaked != 13 {
		t.Errorf("%d leaked, want 13", leaked)
	}
}

// TestPprofInput reads the protobuf profile of the process that wrote
// pprof-debug2.txt, gzipped as served and not: the dump's counts per
// stack, with the dump's frames, runtime frames included; the same keys
// as the ?debug=1 profile of the same process gives.
func TestPprofInput(t *testing.T) {
	dump := parseDump(t, "pprof-debug2.txt")
	zipped := readDump(t, "pprof-debug0.pb.gz")
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	debug1 := map[string]int{}
	for _, g := range parseDump(t, "pprof-debug1.txt").Groups {
		debug1[g.Key] = g.Count()
	}
	frames := map[stackKey][]Frame{}
	for _, g := range dump.Groups {
		frames[keyOf(g.Frames)] = g.Frames
	}
	for name, in := range map[string][]byte{"gzipped": zipped, "raw": raw} {
		snap, err := Parse(bytes.NewReader(in), GroupCode)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkCountOnly(t, snap, FormatPprof)
		if snap.Total != 67 || snap.TakenAt.IsZero() || snap.Bytes != int64(len(in)) {
			t.Errorf("%s: total %d, taken at %v, bytes %d", name, snap.Total, snap.TakenAt, snap.Bytes)
		}
		if got, want := perStack(snap), perStack(dump); !maps.Equal(got, want) {
			t.Errorf("%s: counts per stack %v, the dump's %v", name, got, want)
		}
		for _, g := range snap.Groups {
			if _, ok := profilerKey(g.Frames); ok {
				continue
			}
			if f := frames[keyOf(g.Frames)]; !slices.Equal(f, g.Frames) {
				t.Errorf("%s: frames %v, the dump's %v", name, g.Frames, f)
			}
			if debug1[g.Key] != g.Count() {
				t.Errorf("%s: group %v ×%d: key %s holds %d in the ?debug=1 profile", name, g.Top(), g.Count(), g.Key, debug1[g.Key])
			}
		}
	}
}

// TestNotGoroutines: profiles of other things, and binary data that is no
// profile, are refused with an error that says what they are.
func TestNotGoroutines(t *testing.T) {
	var heap bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&heap, 0); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"heap profile":          {heap.Bytes(), "a pprof profile of alloc_objects"},
		"threadcreate":          {[]byte("threadcreate profile: total 3\n3 @\n#\t0x1\tmain.f+0x1\t/a.go:1\n"), "a ?debug=1 threadcreate profile"},
		"a cut profile":         {[]byte("\x0a\x04\x08\x01\x10\x02\x00\xff\xfe"), "binary data that is no pprof profile"},
		"a gzipped cut profile": {gzipped([]byte("\x0a\x04\x08\x01\x10\x02\x00\xff\xfe")), "binary data that is no pprof profile"},
	} {
		_, err := Parse(bytes.NewReader(c.in), GroupCode)
		var ng *NotGoroutinesError
		if !errors.As(err, &ng) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", name, err, c.want)
		}
	}
	// Other binary data holds no goroutine.
	for _, in := range [][]byte{[]byte("\x00\x01\x02\xff junk"), gzipped([]byte("\x00\x01 junk"))} {
		if snap, err := Parse(bytes.NewReader(in), GroupCode); err != nil || snap.Total != 0 {
			t.Errorf("%q: %v, error %v", in, snap, err)
		}
	}
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestGzippedDump: a gzipped ?debug=2 dump reads as the dump.
func TestGzippedDump(t *testing.T) {
	want := parseDump(t, "pprof-debug2.txt")
	got, err := Parse(bytes.NewReader(gzipped(readDump(t, "pprof-debug2.txt"))), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	compareSnapshots(t, got, want)
}

// TestDumpsInLogs reads SIGQUIT dumps written into logs as kubectl logs
// --timestamps and docker logs -t print them, as the kubelet keeps a
// container's log on the node (CRI, with lines split in parts), and as
// journalctl shows them; with Windows line endings too, and as a stream.
// Each holds exactly the plain SIGQUIT dump they were made of.
func TestDumpsInLogs(t *testing.T) {
	plain := parseDump(t, "sigquit-system.txt")
	for name, kind := range map[string]LogFormat{
		"sigquit-timestamps.txt": LogTimestamp,
		"sigquit-cri.log":        LogCRI,
		"sigquit-journald.txt":   LogJournal,
	} {
		in := readDump(t, name)
		for variant, b := range map[string][]byte{"": in, "crlf": bytes.ReplaceAll(in, []byte("\n"), []byte("\r\n"))} {
			snap, err := Parse(bytes.NewReader(b), GroupCode)
			if err != nil {
				t.Fatalf("%s %s: %v", name, variant, err)
			}
			if snap.Log != kind || snap.Format != FormatDump || snap.Truncated || len(snap.Warnings) > 0 {
				t.Errorf("%s %s: log %v format %v truncated %v warnings %q", name, variant, snap.Log, snap.Format, snap.Truncated, snap.Warnings)
			}
			compareSnapshots(t, snap, plain)
		}
		n := 0
		err := NewParser(GroupCode).ParseEach(bytes.NewReader(in), func(s *Snapshot) error {
			n++
			compareSnapshots(t, s, plain)
			return nil
		})
		if err != nil || n != 1 {
			t.Errorf("%s as a stream: %d snapshots, error %v", name, n, err)
		}
	}
}

// TestPlainDumpsAreNoLogs: no dump of testdata/dumps but those written
// into logs is read as a log.
func TestPlainDumpsAreNoLogs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "dumps", "*.txt"))
	for _, f := range files {
		name := filepath.Base(f)
		if snap := parseDump(t, name); snap.Log != LogNone && !strings.HasPrefix(name, "sigquit-") || name == "sigquit-system.txt" && snap.Log != LogNone {
			t.Errorf("%s read as a %v", name, snap.Log)
		}
	}
}

// TestLogPrefixes checks each prefix on lines as the tools write them.
func TestLogPrefixes(t *testing.T) {
	for _, c := range []struct {
		line string
		kind LogFormat
		n    int
	}{
		{"2026-12-06T07:00:00.123456789Z goroutine 1 [running]:", LogTimestamp, 31},
		{"2026-12-06T07:00:00Z \t/src/main.go:3 +0x1", LogTimestamp, 21},
		{"2026-12-06T07:00:00.5+01:00 main.main()", LogTimestamp, 28},
		{"2026-12-06T07:00:00.123456789Z ", LogTimestamp, 31},
		{"2026-12-06T07:00:00.123456789Z", LogTimestamp, 30},
		{"2026-12-06T07:00:00.12345Z stderr F goroutine 1 [running]:", LogCRI, 36},
		{"2026-12-06T07:00:00.12345Z stdout P part", LogCRI, 36},
		{"2026-12-06T07:00:00.12345Z stderr F", LogCRI, 35},
		{"Dec 06 07:00:00 host app[123]: goroutine 1 [running]:", LogJournal, 31},
		{"Dec  6 07:00:00.123456 host app[123]: main.main()", LogJournal, 38},
		{"2026-12-06T07:00:00+0000 host app[123]: main.main()", LogJournal, 40},
		{"Dec 06 07:00:00 host app[123]:", LogJournal, 30},
		{"goroutine 1 [running]:", LogNone, 0},
		{"2026/12/06 07:00:00 log line", LogNone, 0},
		{"\t/src/main.go:3 +0x1", LogNone, 0},
	} {
		kind := logKind([]byte(c.line))
		n := 0
		if kind != LogNone {
			n, _, _ = kind.prefix([]byte(c.line))
		}
		if kind != c.kind || n != c.n {
			t.Errorf("%q: %v, prefix %d; want %v, %d", c.line, kind, n, c.kind, c.n)
		}
	}
}

// TestCountOnlyGroupsAreNamed: stacks a cheap poll counts that the last
// full dump did not hold are named by the profile's frames, in a state
// that says it is not known yet; a record without frames is named so.
func TestCountOnlyGroupsAreNamed(t *testing.T) {
	dump := parseDump(t, "pprof-debug2.txt")
	prof := profileText(t, string(readDump(t, "pprof-debug1.txt"))+"\n2 @ 0x491321\n\n1 @ 0x1 0x2\n#\t0x1\tmain.late+0x1\t/src/late.go:12\n")
	est := prof.Estimate(dump, GroupCode)
	late := groupAt(est, "main.late", NotKnownState)
	none := groupAt(est, NoFrames, NotKnownState)
	if late == nil || late.Top().Site() != "late.go:12" || none == nil || none.Count() != 2 || none.Top().Site() != "-" {
		t.Errorf("main.late %+v; without frames %+v", late, none)
	}
	if len(NotKnownState) > 12 {
		t.Errorf("state %q is wider than the STATE column at 80 columns", NotKnownState)
	}
}

// TestProfileBounds: a profile of more stacks than a snapshot keeps
// groups counts the rest in one group of other stacks; counts beyond
// what is held are left out; a record's frames are cut as a dump's are;
// each with a warning.
func TestProfileBounds(t *testing.T) {
	lim := defaultLimits()
	lim.groups, lim.counted = 10, 1000
	maxCounted := lim.counted
	var b strings.Builder
	b.WriteString("goroutine profile: total 60\n")
	for i := range 15 {
		fmt.Fprintf(&b, "4 @ 0x1\n#\t0x1\tmain.f%d+0x1\t/src/f.go:%d\n\n", i, i+1)
	}
	fmt.Fprintf(&b, "%d @ 0x1\n", 5*maxCounted)
	for i := range maxFrames + 10 {
		fmt.Fprintf(&b, "#\t0x1\tmain.deep%d+0x1\t/src/deep.go:%d\n", i, i+1)
	}
	snap, err := parseWith(lim, strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	other := groupAt(snap, OtherStacks, CountsOnlyState)
	w := strings.Join(snap.Warnings, "\n")
	if len(snap.Groups) != 11 || other == nil || other.Count() != maxCounted-40 || snap.Total != maxCounted ||
		!strings.Contains(w, "more than 10 stacks") || !strings.Contains(w, "left out") {
		t.Errorf("%d groups, other stacks %d, total %d, warnings %q", len(snap.Groups), count(other), snap.Total, snap.Warnings)
	}
	prof, _ := parseProfileWithin(strings.NewReader(b.String()), lim)
	if last := prof.Records[len(prof.Records)-1]; len(last.Frames) != maxFrames || last.Count != maxCounted-60 {
		t.Errorf("the deep record: %d goroutines, %d frames", last.Count, len(last.Frames))
	}
}
