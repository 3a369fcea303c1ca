package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

// leakedDump is what a goroutineleak profile of Go 1.26 looks like: the
// runtime marks goroutines it proved leaked.
const leakedDump = `goroutine 1 [running]:
main.main()
	/src/main.go:10 +0x1d

goroutine 21 [chan send (leaked)]:
main.produce(...)
	/src/prod.go:14
created by main.start in goroutine 1
	/src/prod.go:9 +0x25

goroutine 22 [chan send (leaked)]:
main.produce(...)
	/src/prod.go:14
created by main.start in goroutine 1
	/src/prod.go:9 +0x25
`

func TestProvenLeakIsMarked(t *testing.T) {
	snap, err := stackparse.Parse(strings.NewReader(leakedDump), stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{NoColor: true}, result{sample: smp(snap, t0)})
	h.poll()
	r := h.m.table.rows[0]
	if r.fn() != "main.produce" || r.mark() != "L" || !strings.Contains(r.reason, "2 proven leaked") {
		t.Fatalf("first row %s mark %q reason %q", r.fn(), r.mark(), r.reason)
	}
	v := h.view()
	for _, want := range []string{"\n>L", " send (leaked) ", "2 proven leaked", "! 1 suspect"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	h.press("enter")
	if v := h.view(); !strings.Contains(v, "L the runtime proved 2 of them leaked") {
		t.Errorf("detail:\n%s", v)
	}
}

func TestRestartIsShown(t *testing.T) {
	all := dumps(t)
	h := newHarness(t, Config{NoColor: true},
		result{sample: smp(all[5], t0)},
		result{sample: smp(all[0], t0.Add(20*time.Second))})
	h.polls(2)
	if len(h.m.current().latest.Restarts()) == 0 {
		t.Skip("the tracker does not read this as a restart")
	}
	if v := h.view(); !strings.Contains(v, "↻ restarted just now") {
		t.Errorf("header lacks the restart:\n%s", v)
	}
}
