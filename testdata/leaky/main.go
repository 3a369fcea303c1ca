// Command leaky is a Go process that leaks goroutines on purpose, in the
// shapes gorotop must flag, beside healthy shapes it must not flag. The
// end-to-end tests run it (see internal/testproc) and watch it over its
// net/http/pprof handlers.
//
// Usage:
//
//	leaky [-addr 127.0.0.1:0] [-mode steady,pool,...] [-labels] [-exit-on-stdin-eof] [-exit-after D] [rate flags]
//
// Once its HTTP server is up it prints exactly one line on stdout,
// "listening on HOST:PORT", and then runs until it is killed, or for
// -exit-after when that is set: it then exits at once with status 0, as a
// pod that restarts does, and a new leaky can listen on the same -addr.
// Each mode has its own function, so that a test can find its goroutines
// by name:
//
//	steady    main.steadyLeak       -steady-rate a second blocked on <-ch forever
//	slow      main.slowLeak         -slow-rate a minute blocked on <-ch forever
//	step      main.stepLeak         -step-size every -step-every, never back
//	mutex     main.mutexWaiter      -mutex-rate a second piling up on a Mutex never unlocked
//	chansend  main.chanSender       -chansend-rate a second sending on a channel nobody reads
//	ctxwatch  main.ctxWatcher       -ctxwatch-rate a second waiting for a context never cancelled
//	httpbody  main.httpBodyLeak     -httpbody-rate a second GETs whose bodies are never closed:
//	                                net/http.(*persistConn).readLoop and writeLoop pile up
//	                                (at most -httpbody-max connections)
//	orphan    main.orphanSender     -orphan-rate a second answering callers that gave up, on
//	                                channels nobody else holds: the runtime can prove these
//	                                leaked (GOEXPERIMENT=goroutineleakprofile, Go 1.26+)
//	queue     (*MemQueue).scheduleFlush.func1 of internal/demo, a stopped ticker:
//	                                -queue-rate events a second, a leak per batch of 8
//	pool      main.poolWorker       -pool-workers workers waiting for jobs (healthy)
//	churn     main.churnTask        -churn-rate a second, each gone within 20 ms (healthy)
//	burst     main.burstTask        -burst-size every -burst-every, gone within 1.5 s (healthy)
//	waiters   main.fixedWaiter      -waiters goroutines blocked forever from the start (healthy)
//	healthy   pool,churn,burst,waiters
//	shapes    main.shapeStep0…15    -shapes-n goroutines alive, each for -shapes-life, each
//	                                down a random path of its own through 16 functions
//	                                (6 deep: 16.7 million stacks), so that nearly every
//	                                stack in a dump is new, as in a service that generates
//	                                a function per request (healthy, but hard on memory)
//
// Shapes of a big service:
//
//	park      main.parked           -park-n goroutines parked for good, all started (from one
//	                                spawner per CPU) before the server listens
//	warmup    main.warmWorker       a pool of -warmup-workers started one by one over
//	                                -warmup-over, then held (healthy)
//	sawtooth  main.barrierWaiter    -sawtooth-rate a second pile up on a WaitGroup for
//	                                -sawtooth-pile, released together; again after
//	                                -sawtooth-gap (healthy)
//	backlog   main.backlogTask      -backlog-n tasks queued on a Mutex at the start, done
//	                                -backlog-rate a second: a backlog that drains (healthy)
//
// Shapes real servers show:
//
//	stepstop  main.stepStream       -stepstop-size streams that stay, every -stepstop-every,
//	                                -stepstop-steps times, then no more: clients connecting
//	                                one after another (healthy)
//	lazy      main.lazyHelper       -lazy-n helpers made on first use over -lazy-over, then
//	                                no more (healthy)
//	condwait  main.condWaiter       -condwait-n write loops in sync.Cond.Wait, each woken
//	                                every -condwait-every (healthy: busy, not stuck)
//	select    main.selectForever    one goroutine parked in select {}, as a main that has
//	                                started its servers is (healthy; the goroutineleak
//	                                profile proves it leaked)
//	deadlock  main.deadlocked       -deadlock-n goroutines blocked from the start on a Mutex
//	                                never unlocked: truly stuck (two garbage collections
//	                                just after they block date their wait minutes)
//	flap      main.connReader       the read loops of -flap-conns long-lived loopback
//	                                connections, each sent a message about every -flap-every,
//	                                handling it for -flap-work in main.handleMessage (so a
//	                                dump sometimes catches it there), and of -flap-rate
//	                                connections a second leaked beside them, which never get
//	                                a message (at most -flap-max): a leak in a group whose
//	                                long-lived members step out of it and come back
//
// Each leak stops at -max goroutines. With -labels every goroutine a mode
// starts carries the pprof labels route=MODE and tenant=tN, which its
// traceback header shows when GODEBUG=tracebacklabels=1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorotop/gorotop/internal/demo"
)

// leaky holds the flags and what the modes share.
type leaky struct {
	steadyRate, slowRate, mutexRate, chansendRate    float64
	ctxwatchRate, httpbodyRate, queueRate, churnRate float64
	orphanRate                                       float64
	stepSize, httpbodyMax, poolWorkers               int
	burstSize, waiters, max                          int
	stepEvery, burstEvery                            time.Duration
	shapesN                                          int
	shapesLife                                       time.Duration
	labels                                           bool

	parkN, warmupWorkers, backlogN                int
	warmupOver, sawtoothPile, sawtoothGap         time.Duration
	sawtoothRate, backlogRate                     float64
	stepstopSize, stepstopSteps, lazyN, condwaitN int
	stepstopEvery, lazyOver, condwaitEvery        time.Duration
	deadlockN, flapConns, flapMax                 int
	flapEvery, flapWork                           time.Duration
	flapRate                                      float64
	leakedConns                                   []net.Conn // flap: held, never closed

	base        string             // URL of this process's own HTTP server
	cancelWatch context.CancelFunc // never called: the ctxwatch leak
	never       chan struct{}      // never closed: what waiters, streams and helpers wait for
}

// modes maps each -mode name to the function that runs it.
var modes = map[string]func(*leaky){
	"steady":   (*leaky).steady,
	"slow":     (*leaky).slow,
	"step":     (*leaky).step,
	"mutex":    (*leaky).mutex,
	"chansend": (*leaky).chansend,
	"ctxwatch": (*leaky).ctxwatch,
	"orphan":   (*leaky).orphan,
	"httpbody": (*leaky).httpbody,
	"queue":    (*leaky).queue,
	"pool":     (*leaky).pool,
	"churn":    (*leaky).churn,
	"burst":    (*leaky).burst,
	"waiters":  (*leaky).waitForever,
	"shapes":   (*leaky).shapes,
	"park":     (*leaky).park,
	"warmup":   (*leaky).warmup,
	"sawtooth": (*leaky).sawtooth,
	"backlog":  (*leaky).backlog,
	"stepstop": (*leaky).stepstop,
	"lazy":     (*leaky).lazy,
	"condwait": (*leaky).condwait,
	"select":   (*leaky).selectNone,
	"deadlock": (*leaky).deadlock,
	"flap":     (*leaky).flap,
}

// before are the modes set up before the server listens, so that the
// first poll sees them whole.
var before = []string{"park"}

// aliases are -mode names that stand for several modes.
var aliases = map[string][]string{
	"healthy": {"pool", "churn", "burst", "waiters"},
}

const (
	queueBatch = 8
	bodySize   = 1 << 10
)

func main() {
	var l leaky
	addr := flag.String("addr", "127.0.0.1:0", "listen `address` of the HTTP server with net/http/pprof")
	modeList := flag.String("mode", "steady", "comma-separated `modes` to run (see the package doc)")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when standard input reaches end of file")
	exitAfter := flag.Duration("exit-after", 0, "exit this long after listening (0: never)")
	flag.BoolVar(&l.labels, "labels", false, "give each started goroutine the pprof labels route and tenant")
	flag.IntVar(&l.max, "max", 50_000, "stop each leak at `n` goroutines")
	flag.Float64Var(&l.steadyRate, "steady-rate", 10, "steady: leaks a second")
	flag.Float64Var(&l.slowRate, "slow-rate", 3, "slow: leaks a minute")
	flag.IntVar(&l.stepSize, "step-size", 20, "step: goroutines leaked in each step")
	flag.DurationVar(&l.stepEvery, "step-every", 5*time.Second, "step: time between steps")
	flag.Float64Var(&l.mutexRate, "mutex-rate", 5, "mutex: goroutines a second queueing on the held lock")
	flag.Float64Var(&l.chansendRate, "chansend-rate", 5, "chansend: blocked senders a second")
	flag.Float64Var(&l.ctxwatchRate, "ctxwatch-rate", 5, "ctxwatch: watchers a second")
	flag.Float64Var(&l.orphanRate, "orphan-rate", 5, "orphan: abandoned senders a second")
	flag.Float64Var(&l.httpbodyRate, "httpbody-rate", 2, "httpbody: unclosed responses a second")
	flag.IntVar(&l.httpbodyMax, "httpbody-max", 300, "httpbody: stop at `n` connections (each holds two file descriptors)")
	flag.Float64Var(&l.queueRate, "queue-rate", 40, "queue: events a second (a leak per 8)")
	flag.IntVar(&l.poolWorkers, "pool-workers", 8, "pool: workers")
	flag.Float64Var(&l.churnRate, "churn-rate", 300, "churn: short-lived goroutines a second")
	flag.IntVar(&l.burstSize, "burst-size", 200, "burst: goroutines in each burst")
	flag.DurationVar(&l.burstEvery, "burst-every", 5*time.Second, "burst: time between bursts")
	flag.IntVar(&l.waiters, "waiters", 5, "waiters: goroutines blocked forever from the start")
	flag.IntVar(&l.shapesN, "shapes-n", 20_000, "shapes: goroutines alive, each with a stack of its own")
	flag.DurationVar(&l.shapesLife, "shapes-life", time.Second, "shapes: how long each lives")
	flag.IntVar(&l.parkN, "park-n", 100_000, "park: goroutines parked for good")
	flag.IntVar(&l.warmupWorkers, "warmup-workers", 60, "warmup: workers in the pool once warm")
	flag.DurationVar(&l.warmupOver, "warmup-over", 20*time.Second, "warmup: time to start them all")
	flag.Float64Var(&l.sawtoothRate, "sawtooth-rate", 10, "sawtooth: waiters a second while they pile up")
	flag.DurationVar(&l.sawtoothPile, "sawtooth-pile", 20*time.Second, "sawtooth: how long they pile up before their release")
	flag.DurationVar(&l.sawtoothGap, "sawtooth-gap", 10*time.Second, "sawtooth: time from a release to the next pile-up")
	flag.IntVar(&l.backlogN, "backlog-n", 2000, "backlog: tasks queued at the start")
	flag.Float64Var(&l.backlogRate, "backlog-rate", 10, "backlog: tasks done a second")
	flag.IntVar(&l.stepstopSize, "stepstop-size", 4, "stepstop: streams opened at each step")
	flag.DurationVar(&l.stepstopEvery, "stepstop-every", 7*time.Second, "stepstop: time between steps")
	flag.IntVar(&l.stepstopSteps, "stepstop-steps", 4, "stepstop: steps, the first at the start")
	flag.IntVar(&l.lazyN, "lazy-n", 4, "lazy: helpers in all")
	flag.DurationVar(&l.lazyOver, "lazy-over", 20*time.Second, "lazy: time from the first helper to the last")
	flag.IntVar(&l.condwaitN, "condwait-n", 20, "condwait: write loops")
	flag.DurationVar(&l.condwaitEvery, "condwait-every", time.Second, "condwait: time between wake-ups of each")
	flag.IntVar(&l.deadlockN, "deadlock-n", 3, "deadlock: goroutines blocked for good")
	flag.IntVar(&l.flapConns, "flap-conns", 5, "flap: long-lived connections")
	flag.DurationVar(&l.flapEvery, "flap-every", time.Second, "flap: time between messages on each long-lived connection")
	flag.DurationVar(&l.flapWork, "flap-work", 25*time.Millisecond, "flap: time a reader takes to handle a message")
	flag.Float64Var(&l.flapRate, "flap-rate", 1, "flap: connections leaked a second")
	flag.IntVar(&l.flapMax, "flap-max", 500, "flap: stop at `n` leaked connections (each holds two file descriptors)")
	flag.Parse()

	run, err := l.check(*modeList)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leaky: %v\n", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leaky: %v\n", err)
		os.Exit(1)
	}
	l.base = "http://" + ln.Addr().String()
	body := []byte(strings.Repeat("x", bodySize))
	http.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	if *exitOnEOF {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	if *exitAfter > 0 {
		time.AfterFunc(*exitAfter, func() { os.Exit(0) })
	}
	l.never = make(chan struct{})
	for _, mode := range run {
		if slices.Contains(before, mode) {
			modes[mode](&l)
		} else {
			go modes[mode](&l)
		}
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	// Serve on main, as services do: a main blocked in select {} would be
	// proven leaked by the goroutineleak profile.
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "leaky: serve: %v\n", err)
	os.Exit(1)
}

// check validates the flags and returns the modes to run, aliases expanded.
func (l *leaky) check(modeList string) ([]string, error) {
	var run []string
	for _, name := range strings.Split(modeList, ",") {
		name = strings.TrimSpace(name)
		names, ok := aliases[name]
		if !ok {
			names = []string{name}
		}
		for _, name := range names {
			if modes[name] == nil {
				return nil, fmt.Errorf("-mode: unknown mode %q", name)
			}
			if !slices.Contains(run, name) {
				run = append(run, name)
			}
		}
	}
	for _, v := range []float64{l.steadyRate, l.slowRate, l.mutexRate, l.chansendRate,
		l.ctxwatchRate, l.orphanRate, l.httpbodyRate, l.queueRate, l.churnRate,
		l.sawtoothRate, l.backlogRate, l.flapRate} {
		if v <= 0 {
			return nil, fmt.Errorf("rates must be above 0, got %v", v)
		}
	}
	if l.stepEvery <= 0 || l.burstEvery <= 0 || l.shapesLife <= 0 || l.shapesN <= 0 {
		return nil, fmt.Errorf("-step-every, -burst-every, -shapes-life and -shapes-n must be above 0")
	}
	for _, d := range []time.Duration{l.warmupOver, l.sawtoothPile, l.stepstopEvery, l.lazyOver,
		l.condwaitEvery, l.flapEvery} {
		if d <= 0 {
			return nil, fmt.Errorf("-warmup-over, -sawtooth-pile, -stepstop-every, -lazy-over, -condwait-every and -flap-every must be above 0")
		}
	}
	return run, nil
}

// label gives the calling goroutine, and so the goroutines it starts next,
// the labels route and tenant, when -labels is on.
func (l *leaky) label(route string, i int) {
	if !l.labels {
		return
	}
	labels := pprof.Labels("route", route, "tenant", fmt.Sprintf("t%d", i%3))
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), labels))
}

// ticker paces a loop: wait returns at once for i == 0, then on each tick.
type ticker struct{ *time.Ticker }

func every(period time.Duration) ticker { return ticker{time.NewTicker(period)} }

func perSecond(rate float64) time.Duration { return time.Duration(float64(time.Second) / rate) }

func (t ticker) wait(i int) {
	if i > 0 {
		<-t.C
	}
}

func (l *leaky) steady() {
	ch := make(chan struct{})
	tick := every(perSecond(l.steadyRate))
	for i := range l.max {
		tick.wait(i)
		l.label("steady", i)
		go steadyLeak(ch)
	}
}

// steadyLeak waits for a value that is never sent.
func steadyLeak(ch <-chan struct{}) { <-ch }

func (l *leaky) slow() {
	ch := make(chan struct{})
	tick := every(perSecond(l.slowRate / 60))
	for i := range l.max {
		tick.wait(i)
		l.label("slow", i)
		go slowLeak(ch)
	}
}

// slowLeak waits for a value that is never sent.
func slowLeak(ch <-chan struct{}) { <-ch }

func (l *leaky) step() {
	ch := make(chan struct{})
	tick := every(l.stepEvery)
	for i := 0; i+l.stepSize <= l.max; i += l.stepSize {
		tick.wait(i)
		for j := range l.stepSize {
			l.label("step", i+j)
			go stepLeak(ch)
		}
	}
}

// stepLeak waits for a value that is never sent.
func stepLeak(ch <-chan struct{}) { <-ch }

func (l *leaky) mutex() {
	var mu sync.Mutex
	mu.Lock() // never unlocked
	tick := every(perSecond(l.mutexRate))
	for i := range l.max {
		tick.wait(i)
		l.label("mutex", i)
		go mutexWaiter(&mu)
	}
}

// mutexWaiter queues for a lock that is never released.
func mutexWaiter(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}

func (l *leaky) chansend() {
	ch := make(chan int)
	tick := every(perSecond(l.chansendRate))
	for i := range l.max {
		tick.wait(i)
		l.label("chansend", i)
		go chanSender(ch, i)
	}
}

// chanSender sends on a channel nobody reads.
func chanSender(ch chan<- int, v int) { ch <- v }

func (l *leaky) ctxwatch() {
	var ctx context.Context
	ctx, l.cancelWatch = context.WithCancel(context.Background())
	tick := every(perSecond(l.ctxwatchRate))
	for i := range l.max {
		tick.wait(i)
		l.label("ctxwatch", i)
		go ctxWatcher(ctx)
	}
}

// ctxWatcher waits for a context nobody cancels.
func ctxWatcher(ctx context.Context) { <-ctx.Done() }

func (l *leaky) orphan() {
	tick := every(perSecond(l.orphanRate))
	for i := range l.max {
		tick.wait(i)
		l.label("orphan", i)
		askAndGiveUp(i)
	}
}

// askAndGiveUp starts a goroutine to answer it and gives up without
// waiting, the way a caller whose deadline passed does: the channel was
// only ever known to the two of them.
func askAndGiveUp(v int) {
	answer := make(chan int)
	go orphanSender(answer, v)
	select {
	case <-answer:
	default:
	}
}

// orphanSender answers on a channel whose reader is gone: it blocks
// forever, on a channel no other goroutine can reach.
func orphanSender(answer chan<- int, v int) {
	time.Sleep(time.Millisecond) // the caller has given up by then
	answer <- v
}

func (l *leaky) httpbody() {
	// No http.Client.Timeout: its timer keeps running after Get returns
	// and closes the unread body when it fires, which would end the leak
	// after 10 s. Only the wait for the response header is bounded.
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second}}
	tick := every(perSecond(l.httpbodyRate))
	for i := range min(l.max, l.httpbodyMax) {
		tick.wait(i)
		l.label("httpbody", i)
		httpBodyLeak(client, l.base+"/body")
	}
}

// httpBodyLeak gets url and never closes the response body, so the
// connection stays busy for good: its (*persistConn).readLoop and
// writeLoop goroutines, and the server's side of it, are never freed.
func httpBodyLeak(client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "leaky: httpbody: %v\n", err)
		return
	}
	_ = resp.StatusCode
}

func (l *leaky) queue() {
	q := demo.NewMemQueue(queueBatch, time.Second, func([]demo.Event) {})
	tick := every(perSecond(l.queueRate))
	for i := range l.max * queueBatch {
		tick.wait(i)
		l.label("queue", i/queueBatch)
		q.Push(demo.Event{Tenant: fmt.Sprintf("t%d", i%3), At: time.Now()})
	}
}

func (l *leaky) pool() {
	jobs := make(chan int)
	for i := range l.poolWorkers {
		l.label("pool", i)
		go poolWorker(jobs)
	}
	tick := every(10 * time.Millisecond)
	for i := 0; ; i++ {
		tick.wait(i)
		jobs <- i
	}
}

// poolWorker is one of a fixed set of workers waiting for jobs.
func poolWorker(jobs <-chan int) {
	for job := range jobs {
		_ = fmt.Sprint(job)
	}
}

func (l *leaky) churn() {
	tick := every(perSecond(l.churnRate))
	for i := 0; ; i++ {
		tick.wait(i)
		l.label("churn", i)
		go churnTask()
	}
}

// churnTask is a short-lived request goroutine.
func churnTask() { time.Sleep(time.Duration(1+rand.IntN(20)) * time.Millisecond) }

func (l *leaky) burst() {
	tick := every(l.burstEvery)
	for i := 0; ; i++ {
		tick.wait(i)
		for j := range l.burstSize {
			l.label("burst", j)
			go burstTask()
		}
	}
}

// burstTask is one goroutine of a burst that drains within 1.5 s.
func burstTask() { time.Sleep(time.Duration(200+rand.IntN(1300)) * time.Millisecond) }

func (l *leaky) waitForever() {
	// Kept where the process can still reach it, as signal.Notify keeps
	// its channel: waiters on a channel nobody could ever close would be
	// proven leaked by the goroutineleak profile.
	for i := range l.waiters {
		l.label("waiters", i)
		go fixedWaiter(l.never)
	}
}

// fixedWaiter is one of a fixed set of goroutines that wait for the life
// of the process, like a signal handler.
func fixedWaiter(never <-chan struct{}) { <-never }
