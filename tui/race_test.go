package tui

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// raceSenders is how many goroutines send messages at random.
const raceSenders = 4

// TestRaceProgram runs the real program loop on two live targets polled
// every few milliseconds, while goroutines hammer it with resizes, pauses,
// exports (which read a tracker on another goroutine), regroupings, tab
// switches, steps, marks and filters. Under -race it must hold no data
// race; it must not panic, must keep polling and must export.
func TestRaceProgram(t *testing.T) {
	dir := t.TempDir()
	var exports atomic.Int64
	var targets []TargetConfig
	var lives []*poll.Loop
	for i := range 2 {
		srv := httptest.NewServer(&soakTarget{})
		t.Cleanup(srv.Close)
		live := liveLoop(t, srv.URL, nil)
		lives = append(lives, live)
		target := liveTarget(live)
		target.Name = fmt.Sprintf("svc%d", i+1)
		target.Export = func(dir string, snap *stackparse.Snapshot, v *track.View, at time.Time) (string, error) {
			exports.Add(1)
			format := []export.Format{export.FormatJSON, export.FormatText, export.FormatHTML, export.FormatPprof}[exports.Load()%4]
			return export.ToDir(dir, format, export.Input{Source: srv.URL, TakenAt: at, Snap: snap, History: v})
		}
		targets = append(targets, target)
	}
	in, inW := io.Pipe()
	defer inW.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := tea.NewProgram(newModel(ctx, Config{Targets: targets, Interval: 3 * time.Millisecond, ExportDir: dir, NoColor: true}),
		tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithWindowSize(100, 30),
		tea.WithoutSignals(), tea.WithColorProfile(colorprofile.NoTTY))
	type result struct {
		m   tea.Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := p.Run()
		done <- result{m, err}
	}()

	keys := []string{"e", "j", "k", "enter", "esc", "s", "m", "d", "left", "right", "tab", "1", "2", "3", "?", "?", "pgdown", "home", "end", "+", "-"}
	var wg sync.WaitGroup
	stop := time.Now().Add(2 * time.Second)
	// One goroutine pauses and resumes, one regroups (each regrouping
	// starts the fetches over), one exports from each tab, and four more
	// send whatever comes.
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(stop); i++ {
			time.Sleep(150 * time.Millisecond)
			p.Send(keyPress([]string{"p", "space"}[i%2]))
		}
	}()
	go func() {
		defer wg.Done()
		for time.Now().Before(stop) {
			time.Sleep(400 * time.Millisecond)
			p.Send(keyPress("g"))
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; time.Now().Before(stop); i++ {
			p.Send(keyPress("esc"))
			p.Send(keyPress([]string{"1", "2"}[i%2]))
			p.Send(keyPress("e"))
			time.Sleep(40 * time.Millisecond)
		}
	}()
	for w := range raceSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(stop) {
				switch rnd.IntN(6) {
				case 0:
					p.Send(tea.WindowSizeMsg{Width: 20 + rnd.IntN(200), Height: 5 + rnd.IntN(60)})
				case 1:
					p.Send(keyPress("/"))
					p.Send(keyPress("t"))
					p.Send(tea.PasteMsg{Content: "ask\x1b[2J"})
					p.Send(keyPress("esc"))
				default:
					p.Send(keyPress(keys[rnd.IntN(len(keys))]))
				}
				time.Sleep(time.Duration(rnd.IntN(2000)) * time.Microsecond)
			}
		}()
	}
	fetches := func() int64 {
		n0, _ := lives[0].Polls()
		n1, _ := lives[1].Polls()
		return int64(n0 + n1)
	}
	wg.Wait()
	hammered := fetches()
	// Then, calm: polling goes on (once resumed: whether the last key
	// paused is not known, as a filter may have taken some), and an
	// export is written.
	p.Send(keyPress("esc"))
	p.Send(keyPress("esc"))
	p.Send(keyPress("1"))
	deadline := time.Now().Add(15 * time.Second)
	last, resumes := fetches(), 0
	for {
		time.Sleep(300 * time.Millisecond)
		if files, _ := os.ReadDir(dir); len(files) > 0 && fetches() > hammered+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no export or no polling after the hammering: %d fetches then %d, %d resumes", hammered, fetches(), resumes)
		}
		if n := fetches(); n == last {
			p.Send(keyPress("p"))
			resumes++
		} else {
			last = n
		}
		p.Send(keyPress("e"))
	}
	p.Quit()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the program did not end")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	m := r.m.(Model)
	if m.fatal != nil {
		t.Fatal(m.fatal)
	}
	files, _ := os.ReadDir(dir)
	t.Logf("%d fetches while hammered, %d in all; %d exports asked, %d files written", hammered, fetches(), exports.Load(), len(files))
	if hammered < 5 {
		t.Errorf("%d fetches while hammered: polling stalled", hammered)
	}
}
