package stackparse

import (
	"strings"
	"testing"
)

// TestCountedKey: a stack a cheap poll counted before any full dump saw it
// has the key CountedKey gives its group once a full dump sees it, under
// every grouping.
func TestCountedKey(t *testing.T) {
	full := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n\n" +
		"goroutine 7 [chan receive]:\nruntime.gopark(0x1?, 0x2?, 0x3?, 0x4?, 0x5?)\n\t/usr/lib/go/src/runtime/proc.go:435 +0xce\n" +
		"runtime.chanrecv1(0xc000010000?, 0x0?)\n\t/usr/lib/go/src/runtime/chan.go:509 +0x12\n" +
		"example.com/app/queue.(*MemQueue).scheduleFlush.func1()\n\t/src/app/queue/queue.go:88 +0x2a\n" +
		"created by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine 1\n\t/src/app/queue/queue.go:84 +0x9c\n\n"
	prof, err := ParseProfile(strings.NewReader("goroutine profile: total 3\n" +
		"2 @ 0x1 0x2\n#\t0x1\texample.com/app/queue.(*MemQueue).scheduleFlush.func1+0x29\t/src/app/queue/queue.go:88\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range Groupings {
		counted := prof.Estimate(&Snapshot{}, g)
		snap, err := Parse(strings.NewReader(full), g)
		if err != nil {
			t.Fatal(err)
		}
		var seen *Group
		for _, grp := range snap.Groups {
			if grp.Top().Func == "example.com/app/queue.(*MemQueue).scheduleFlush.func1" {
				seen = grp
			}
		}
		if seen == nil || len(counted.Groups) != 1 {
			t.Fatalf("%s: no group of the leak", g)
		}
		if k := CountedKey(seen); k != counted.Groups[0].Key || k == seen.Key {
			t.Errorf("%s: counted key %s, the counted group's %s, the seen group's %s", g, k, counted.Groups[0].Key, seen.Key)
		}
	}
}
