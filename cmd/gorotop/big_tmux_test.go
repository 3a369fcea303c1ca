package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/testproc"
)

// TestTmuxBigTarget watches a real process of 100 000 parked goroutines
// as a person would, in tmux with the defaults (--interval 2s,
// --max-stall 1%), where full dumps are dear and come minutes apart: with
// a stopped-ticker leak (300 goroutines a minute) the leak becomes the
// top row, marked rising or suspected; without it, beside a pool, churn
// and bursts that drain, no row is marked in 3 minutes. How soon the leak
// is marked is logged, not asserted: on a quiet machine about 40 s, but
// when other tests load the machine the target answers its cheap polls
// slowly and the budget spaces them (seen 43 s apart under -race in CI),
// and a climb needs polls 10 s apart at most to be seen.
func TestTmuxBigTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("watches a 100 000-goroutine process for 3 minutes")
	}
	t.Parallel()
	bin := testproc.BuildGorotop(t)
	cases := []struct {
		name  string
		modes string
		leak  bool
		watch time.Duration
	}{
		{"leak", "waiters,queue", true, 3 * time.Minute},
		{"healthy", "waiters,pool,churn,burst", false, 3 * time.Minute},
	}
	var wg sync.WaitGroup
	for _, c := range cases {
		wg.Go(func() {
			t.Run(c.name, func(t *testing.T) {
				addr := testproc.StartLeaky(t, "-mode", c.modes, "-waiters", "100000", "-queue-rate", "40")
				p := startPane(t, fmt.Sprintf("%s %s", bin, addr))
				start := time.Now()
				if c.leak {
					s := p.waitFor(c.watch, "leak marked on top", func(s string) bool {
						rows := paneRows(s)
						return len(rows) > 0 && strings.Contains(rows[0], paneLeakRow) && bigMarked(rows[0])
					})
					t.Logf("the leak on top, marked, after %v:\n%s", time.Since(start).Round(time.Second), s)
					return
				}
				for time.Since(start) < c.watch {
					s := p.screen()
					for _, row := range paneRows(s) {
						if bigMarked(row) {
							t.Fatalf("after %v a healthy row is marked: %q\n%s", time.Since(start).Round(time.Second), row, s)
						}
					}
					time.Sleep(2 * time.Second)
				}
				t.Logf("nothing marked in %v:\n%s", c.watch, p.screen())
			})
		})
	}
	wg.Wait()
}

// bigMarked reports whether a table row carries a mark in its gutter:
// suspected, rising, proven or stuck.
func bigMarked(row string) bool {
	r := []rune(row)
	return len(r) > 1 && strings.ContainsRune("!↑Ls", r[1])
}
