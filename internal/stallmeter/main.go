// Command stallmeter measures what polling goroutine dumps costs a big Go
// service, with gorotop's target-safety policy (the target stalled at
// most a share of the time) and without it.
//
// For each policy it starts a fresh target process (itself, re-executed)
// with -goroutines parked goroutines and net/http/pprof, keeps a load of
// cheap /ping requests running against it, and polls it for -for:
//
//	none      no polling: the baseline of the machine
//	naive     a ?debug=2 dump every -interval, parsed (gorotop with --max-stall off)
//	default   gorotop's policy (internal/poll, --max-stall 1%): full dumps
//	          as rare as the stall budget needs, ?debug=1 polls between
//
// and prints one row per policy: polls (full/cheap), the stall the policy
// charged (response-header waits, cheap ones weighted), the time during
// which some /ping was held up longer than -slow, the part of it in
// /ping requests that overlapped a poll (what the polls did, the rest is
// the machine), that part as a share of the run, and the p99 and longest
// /ping latency.
//
// Usage:
//
//	go run ./internal/stallmeter [-goroutines 100000] [-for 180s] [-interval 2s] [-procs 2]
//
// It is a measurement, not a test: numbers depend on the machine and on
// what else runs on it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
)

func main() {
	serveN := flag.Int("serve", 0, "internal: run as the target with this many goroutines")
	leak := flag.Float64("leak", 0, "target: goroutines leaked per second")
	n := flag.Int("goroutines", 100000, "goroutines in the target")
	span := flag.Duration("for", 180*time.Second, "how long each policy runs")
	interval := flag.Duration("interval", 2*time.Second, "gorotop's --interval")
	procs := flag.Int("procs", 2, "the target's GOMAXPROCS")
	clients := flag.Int("clients", 4, "concurrent /ping clients")
	slow := flag.Duration("slow", 20*time.Millisecond, "a /ping slower than this was held up")
	policies := flag.String("policies", "none,naive,default", "policies to run, in order")
	flag.Parse()
	if *serveN > 0 {
		if err := serve(*serveN, *leak); err != nil {
			fmt.Fprintln(os.Stderr, "stallmeter target:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Printf("target: %d goroutines, GOMAXPROCS=%d; %d /ping clients; %v per policy; --interval %v\n\n",
		*n, *procs, *clients, *span, *interval)
	fmt.Println("| policy | polls full/cheap | stall charged | /ping held up > " + slow.String() + " | of it during polls | stall share | /ping p99 | /ping max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range strings.Split(*policies, ",") {
		r, err := measure(name, *n, *leak, *procs, *clients, *span, *interval, *slow)
		if err != nil {
			fmt.Fprintf(os.Stderr, "stallmeter: %s: %v\n", name, err)
			os.Exit(1)
		}
		fmt.Printf("| %s | %d/%d | %.2f s | %.2f s | %.2f s | %.2f %% | %s | %s |\n",
			name, r.full, r.cheap, r.charged.Seconds(), r.held.Seconds(), r.heldPolls.Seconds(),
			100*r.heldPolls.Seconds()/r.wall.Seconds(), ms(r.p99), ms(r.max))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// result is one policy's row.
type result struct {
	full, cheap int
	charged     time.Duration // what the policy charged as stall
	held        time.Duration // time some /ping was held up
	heldPolls   time.Duration // the part of it in pings that overlapped a poll
	polls       []ping        // when each fetch ran
	wall        time.Duration
	p99, max    time.Duration
}

// measure runs one policy against a fresh target.
func measure(name string, n int, leak float64, procs, clients int, span, interval, slow time.Duration) (result, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tg, err := startTarget(ctx, n, leak, procs)
	if err != nil {
		return result{}, err
	}
	defer tg.stop()
	fmt.Fprintf(os.Stderr, "%s: target up at %s\n", name, tg.addr)

	load := startLoad(ctx, "http://"+tg.addr+"/ping", clients)
	start := time.Now()
	var r result
	switch name {
	case "none":
		time.Sleep(span)
	case "naive", "default":
		r, err = pollAs(ctx, name, "http://"+tg.addr, span, interval)
		if err != nil {
			return r, err
		}
	default:
		return r, fmt.Errorf("unknown policy %q: want none, naive or default", name)
	}
	r.wall = time.Since(start)
	lat := load.stop()
	r.held = heldUp(lat, slow, nil, false)
	r.heldPolls = heldUp(lat, slow, r.polls, true)
	r.p99, r.max = quantiles(lat)
	return r, nil
}

// pollAs polls the target as gorotop would for span: naive takes a full
// dump every interval (the budget off), default follows the policy.
func pollAs(ctx context.Context, name, url string, span, interval time.Duration) (result, error) {
	t, err := source.ParseTarget(url)
	if err != nil {
		return result{}, err
	}
	src, err := source.Open(t, source.Options{Timeout: time.Minute})
	if err != nil {
		return result{}, err
	}
	share := poll.DefaultMaxShare
	if name == "naive" {
		share = 0
	}
	// The loop gorotop's UI and check drive, its trackers and all.
	l := poll.NewLoop(src, poll.Options{Interval: interval, MaxShare: share})
	defer l.Close()
	var r result
	end := time.Now().Add(span)
	for time.Now().Before(end) {
		pctx, cancel := context.WithDeadline(ctx, end)
		s, err := l.Next(pctx)
		cancel()
		if err != nil {
			if time.Now().After(end) {
				break
			}
			return r, err
		}
		if s.Cost.Kind == poll.Full {
			r.full++
		} else {
			r.cheap++
		}
		if s.Completed {
			r.cheap++
		}
		r.charged += s.Cost.Stall
		r.polls = append(r.polls, ping{s.Cost.At, s.Cost.Duration})
		fmt.Fprintf(os.Stderr, "%s: %-6s wait %-12v %5.1f MB %d walks, next in %v, full every %v, share %.2f %%\n",
			name, s.Cost.Kind, s.Cost.Wait.Round(time.Millisecond), float64(s.Cost.Bytes)/1e6, s.Cost.Walks,
			s.Pace.Wait.Round(100*time.Millisecond), s.Pace.FullEvery.Round(time.Second), 100*s.Pace.Share)
	}
	return r, nil
}

// ping is one /ping request.
type ping struct {
	start time.Time
	d     time.Duration
}

// loadGen keeps clients sending /ping requests.
type loadGen struct {
	stopAll context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	pings   []ping
}

func startLoad(ctx context.Context, url string, clients int) *loadGen {
	ctx, cancel := context.WithCancel(ctx)
	l := &loadGen{stopAll: cancel}
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := &http.Client{Timeout: time.Minute}
			for ctx.Err() == nil {
				start := time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if ctx.Err() != nil {
					return
				}
				l.mu.Lock()
				l.pings = append(l.pings, ping{start, time.Since(start)})
				l.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *loadGen) stop() []ping {
	l.stopAll()
	l.wg.Wait()
	return l.pings
}

// heldUp is the time during which some request took longer than slow:
// the union of those requests' spans; with during set, only of those
// that overlapped one of polls.
func heldUp(pings []ping, slow time.Duration, polls []ping, during bool) time.Duration {
	var spans []ping
	for _, p := range pings {
		if p.d > slow && (!during || overlaps(p, polls)) {
			spans = append(spans, p)
		}
	}
	slices.SortFunc(spans, func(a, b ping) int { return a.start.Compare(b.start) })
	var total time.Duration
	var end time.Time
	for _, p := range spans {
		e := p.start.Add(p.d)
		switch {
		case !p.start.Before(end):
			total += p.d
		case e.After(end):
			total += e.Sub(end)
		default:
			continue
		}
		end = e
	}
	return total
}

// quantiles returns the p99 and the longest latency.
func quantiles(pings []ping) (p99, most time.Duration) {
	if len(pings) == 0 {
		return 0, 0
	}
	d := make([]time.Duration, len(pings))
	for i, p := range pings {
		d[i] = p.d
	}
	slices.Sort(d)
	return d[len(d)*99/100], d[len(d)-1]
}

// overlaps reports whether p's span meets one of spans'.
func overlaps(p ping, spans []ping) bool {
	for _, s := range spans {
		if p.start.Before(s.start.Add(s.d)) && s.start.Before(p.start.Add(p.d)) {
			return true
		}
	}
	return false
}
