package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/poll"
	dumpsource "github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// TestCountOnlyGroupsShowTheirStack: a cheap ?debug=1 poll between full
// dumps counts stacks the last full dump did not hold. Their rows show
// the function and site of the profile's frames and the state "not known
// yet"; a stack the profile printed no frame of shows as "(no frames)" at
// "-". Their detail says what is not known.
func TestCountOnlyGroupsShowTheirStack(t *testing.T) {
	full := dumps(t)[0]
	prof, err := stackparse.ParseProfile(strings.NewReader("goroutine profile: total 8\n" +
		"5 @ 0x1 0x2\n#\t0x1\texample.com/app/late.(*Queue).wait+0x1\t/src/app/late/queue.go:412\n#\t0x2\texample.com/app/late.run+0x2\t/src/app/late/run.go:9\n\n" +
		"3 @ 0x491321\n"))
	if err != nil {
		t.Fatal(err)
	}
	counts := prof.Estimate(full, stackparse.GroupCode)
	h := newHarness(t, Config{NoColor: true},
		result{sample: smp(full, t0)},
		result{sample: poll.Sample{Snap: counts, Meta: dumpsource.Meta{At: t0.Add(2 * time.Second)}, Cost: poll.Cost{Kind: poll.Counts}}})
	h.polls(2)
	view := h.view()
	for _, row := range []string{
		`not seen yet\s+\S+\s+queue\.go:412\s+late\.\(\*Queue\)\.wait`,
		`not seen yet\s+\S+\s+-\s+\(no frames\)`,
	} {
		if !regexp.MustCompile(row).MatchString(view) {
			t.Errorf("no row %q:\n%s", row, view)
		}
	}
	if strings.Contains(view, ":0 ") || strings.Contains(view, "unknown") || regexp.MustCompile(`(?m) \?\s*$`).MatchString(view) {
		t.Errorf("a row without its stack:\n%s", view)
	}
	h.press("/")
	h.typeText("late")
	h.press("enter", "enter")
	h.send(tea.WindowSizeMsg{Width: 100, Height: 60})
	for _, want := range []string{"for a time not known (counts only)", "not known: the goroutines were counted from a profile", "counted, not listed"} {
		if v := h.view(); !strings.Contains(v, want) {
			t.Errorf("the detail lacks %q:\n%s", want, v)
		}
	}
}
