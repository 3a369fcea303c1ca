package testproc

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

func TestStartLeakySteadyGrows(t *testing.T) {
	addr := StartLeaky(t, "-mode", "steady", "-steady-rate", "20")
	url := "http://" + addr + "/debug/pprof/goroutine?debug=1"
	first := countDebug1(Fetch(t, url), "main.steadyLeak+")
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(500 * time.Millisecond)
		n := countDebug1(Fetch(t, url), "main.steadyLeak+")
		if n > first {
			t.Logf("main.steadyLeak: %d, then %d", first, n)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("main.steadyLeak stayed at %d goroutines for 20s", n)
		}
	}
}

// TestLeakyModes runs every mode at once and waits until each one's
// goroutines have shown up in a debug=2 dump, with their labels.
func TestLeakyModes(t *testing.T) {
	t.Setenv("GODEBUG", "tracebacklabels=1")
	addr := StartLeaky(t, "-mode", "steady,slow,step,mutex,chansend,ctxwatch,httpbody,queue,healthy",
		"-labels", "-burst-every", "1s")
	missing := map[string]bool{
		"main.steadyLeak(":                          true,
		"main.slowLeak(":                            true,
		"main.stepLeak(":                            true,
		"main.mutexWaiter(":                         true,
		"main.chanSender(":                          true,
		"main.ctxWatcher(":                          true,
		"net/http.(*persistConn).readLoop(":         true,
		"net/http.(*persistConn).writeLoop(":        true,
		".(*MemQueue).scheduleFlush.func1(":         true,
		"main.poolWorker(":                          true,
		"main.churnTask(":                           true,
		"main.burstTask(":                           true,
		"main.fixedWaiter(":                         true,
		`[sync.Mutex.Lock labels:{"route": "mutex"`: true,
		`[chan send labels:{"route": "chansend"`:    true,
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		dump := Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=2")
		for s := range missing {
			if strings.Contains(dump, s) {
				delete(missing, s)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s, no goroutine dump has shown %q", keys(missing))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// countDebug1 adds up the goroutines of the records of a debug=1 dump
// whose stack mentions fn.
func countDebug1(dump, fn string) int {
	total, count, counted := 0, 0, false
	for line := range strings.Lines(dump) {
		if head, _, ok := strings.Cut(line, " @ "); ok {
			if n, err := strconv.Atoi(head); err == nil {
				count, counted = n, false
				continue
			}
		}
		if !counted && strings.Contains(line, fn) {
			total += count
			counted = true
		}
	}
	return total
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestLeakyShapes runs the shapes mode: its goroutines stay at about
// -shapes-n, nearly each with a stack of its own, and the stacks of one
// dump are gone by the next.
func TestLeakyShapes(t *testing.T) {
	addr := StartLeaky(t, "-mode", "shapes", "-shapes-n", "2000", "-shapes-life", "300ms")
	keys := func() (goroutines int, groups map[string]bool) {
		time.Sleep(time.Second)
		snap, err := stackparse.Parse(strings.NewReader(Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=2")), stackparse.GroupCode)
		if err != nil {
			t.Fatal(err)
		}
		groups = map[string]bool{}
		for _, g := range snap.Groups {
			// Those still on their way down their path (runnable on a
			// busy machine) may share a stack; those at its end, asleep,
			// have one each.
			if g.CreatedBy != nil && strings.HasSuffix(g.CreatedBy.Func, ".shapes") && g.State == "sleep" {
				goroutines += g.Count()
				groups[g.Key] = true
			}
		}
		return goroutines, groups
	}
	n1, first := keys()
	n2, second := keys()
	if n1 < 1000 || n2 < 1000 || len(first) < n1*9/10 || len(second) < n2*9/10 {
		t.Fatalf("shapes goroutines: %d in %d groups, then %d in %d; want about 2000, nearly a group each", n1, len(first), n2, len(second))
	}
	both := 0
	for k := range second {
		if first[k] {
			both++
		}
	}
	if both > len(second)/10 {
		t.Fatalf("%d of %d stacks were in the dump before", both, len(second))
	}
}
