package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // the leaked child serves /debug/pprof/goroutineleak
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// A child makes the goroutines of one or more dumps inside this process and
// writes the dumps into dir (or, for crashes, lets the runtime write them
// to stderr). The parent re-executes this program with -child NAME.
var children = map[string]func(dir string) error{
	"debug2":      childDebug2,
	"labels":      childLabels,
	"leaked":      childLeaked,
	"elided":      childElided,
	"crash":       childCrash,
	"sigquit":     childSigquit,
	"ancestors":   childAncestors,
	"multi":       childMulti,
	"waitminutes": childWaitMinutes,
}

// coreWants are the groups startCore makes.
var coreWants = []want{
	{12, "chan receive", "main.blockedRecv"},
	{7, "select", "main.blockedSelect"},
	{1, "chan receive", "main.holdMutex"},
	{9, "sync.Mutex.Lock", "main.lockMutex"},
	{5, "sleep", "main.sleeper"},
	{6, "chan send", "main.blockedSend"},
	{1, "chan receive, locked to thread", "main.lockedThread"},
	{3, "select (no cases)", "main.spawner"},
	{12, "sync.WaitGroup.Wait", "main.spawner.func1"},
	{2, "sync.Cond.Wait", "main.condWait"},
	{2, "chan receive (nil chan)", "main.nilRecv"},
	{2, "chan receive", "main.drain[...]"},
	{1, "chan receive", "main.rwReader"},
	{1, "sync.RWMutex.Lock", "main.rwWriter"},
	{2, "sync.RWMutex.RLock", "main.rwLateReader"},
}

// startCore starts the goroutines of coreWants, in an order that makes
// every lock pile up the same way each run.
func startCore() error {
	for i := 0; i < 12; i++ {
		go blockedRecv(i)
	}
	for i := 0; i < 7; i++ {
		go blockedSelect(i, make(chan string))
	}
	go holdMutex()
	if err := settle(coreWants[2:3]); err != nil {
		return err
	}
	for i := 0; i < 9; i++ {
		go lockMutex(i)
	}
	for i := 0; i < 5; i++ {
		go sleeper(time.Hour)
	}
	for i := 0; i < 6; i++ {
		go blockedSend(i)
	}
	go lockedThread()
	for i := 0; i < 3; i++ {
		go spawner(4)
	}
	for i := 0; i < 2; i++ {
		go condWait()
		go nilRecv()
		go drain(make(chan []string))
	}
	go rwReader()
	if err := settle(coreWants[12:13]); err != nil {
		return err
	}
	go rwWriter()
	if err := settle(coreWants[13:14]); err != nil {
		return err
	}
	for i := 0; i < 2; i++ {
		go rwLateReader()
	}
	return settle(coreWants)
}

// stacks returns runtime.Stack of all goroutines.
func stacks() []byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// settle waits until the goroutines of this process meet wants.
func settle(wants []want) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check(parseDump(stacks()), wants)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutines did not settle: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeProfile writes the goroutine profile at debug level debug to
// dir/name.
func writeProfile(dir, name string, debug int) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// childDebug2 writes pprof-debug2.txt, pprof-debug1.txt and
// pprof-debug0.pb.gz.
func childDebug2(dir string) error {
	if err := startCore(); err != nil {
		return err
	}
	if err := writeProfile(dir, "pprof-debug2.txt", 2); err != nil {
		return err
	}
	if err := writeProfile(dir, "pprof-debug1.txt", 1); err != nil {
		return err
	}
	return writeProfile(dir, "pprof-debug0.pb.gz", 0)
}

// A labelCase is one label set the labels child runs goroutines under.
type labelCase struct {
	n      int
	labels []string // key, value, ...
}

// labelCases are the label sets of labels.txt. Values hold the bytes the
// runtime quotes: ] " \ } ", " and non-ASCII.
var labelCases = []labelCase{
	{4, []string{"handler", "/api/v1/users", "method", "GET"}},
	{2, []string{"handler", "/api/v1/orders", "method", "POST"}},
	{1, []string{"case", "bracket", "v", "a]b"}},
	{1, []string{"case", "quote", "v", `say "hi"`}},
	{1, []string{"case", "backslash", "v", `C:\temp\new`}},
	{1, []string{"case", "brace", "v", "}{"}},
	{1, []string{"case", "comma", "v", `a, "b": c`}},
	{1, []string{"case", "latin1", "v", "héllo wörld"}},
	{1, []string{"case", "cjk", "v", "日本語"}},
	{1, []string{"case", "astral", "v", "rocket 🚀"}},
	{1, []string{"case", "empty", "v", ""}},
	{1, []string{`odd key "]}, `, "x"}},
}

// labelsHeader is the header Go 1.26 prints for a goroutine in state with
// labels (key, value, ...): keys sorted, keys and values quoted.
func labelsHeader(state string, labels []string) string {
	type kv struct{ k, v string }
	var kvs []kv
	for i := 0; i < len(labels); i += 2 {
		kvs = append(kvs, kv{labels[i], labels[i+1]})
	}
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	var parts []string
	for _, p := range kvs {
		parts = append(parts, runtimeQuote(p.k)+": "+runtimeQuote(p.v))
	}
	return state + " labels:{" + strings.Join(parts, ", ") + "}"
}

// runtimeQuote quotes s the way runtime.printquoted does (Go 1.26): \n \r
// \t \\ \" escaped, printable ASCII as is, other runes below 127 as \xNN,
// the rest as \uNNNN or \UNNNNNNNN, invalid UTF-8 as \ufffd.
func runtimeQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r < 127:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// labelWants are the groups of labels.txt.
func labelWants() []want {
	wants := []want{
		{3, "chan receive", "main.blockedRecv"},
		{1, labelsHeader("select (no cases)", []string{"job", "inherit"}), "main.spawner"},
		{3, labelsHeader("sync.WaitGroup.Wait", []string{"job", "inherit"}), "main.spawner.func1"},
		{2, labelsHeader("chan send", []string{"layer", "inner", "outer", "kept", "shared", "inner"}), "main.blockedSend"},
	}
	for _, c := range labelCases {
		wants = append(wants, want{c.n, labelsHeader("chan receive", c.labels), "main.blockedRecv"})
	}
	return wants
}

// childLabels writes labels.txt; run it with GODEBUG=tracebacklabels=1.
func childLabels(dir string) error {
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		go blockedRecv(i)
	}
	for _, c := range labelCases {
		pprof.Do(ctx, pprof.Labels(c.labels...), func(context.Context) {
			for i := 0; i < c.n; i++ {
				go blockedRecv(i)
			}
		})
	}
	// Labels are inherited by goroutines started under them...
	pprof.Do(ctx, pprof.Labels("job", "inherit"), func(context.Context) {
		go spawner(3)
	})
	// ...and nested pprof.Do calls merge, the inner value winning.
	pprof.Do(ctx, pprof.Labels("outer", "kept", "shared", "outer"), func(ctx context.Context) {
		pprof.Do(ctx, pprof.Labels("layer", "inner", "shared", "inner"), func(context.Context) {
			for i := 0; i < 2; i++ {
				go blockedSend(i)
			}
		})
	})
	if err := settle(labelWants()); err != nil {
		return err
	}
	if err := writeProfile(dir, "labels.txt", 2); err != nil {
		return err
	}
	if err := writeProfile(dir, "labels-debug1.txt", 1); err != nil {
		return err
	}
	return writeProfile(dir, "labels.pb.gz", 0)
}

// leakWants are the groups of leaked.txt.
var leakWants = []want{
	{5, "chan receive (leaked)", "main.leakRecv"},
	{3, "chan send (leaked)", "main.leakSend"},
	{2, "select (leaked)", "main.leakSelect"},
	{2, "sync.Mutex.Lock (leaked)", "main.leakMutex"},
	{1, "sync.WaitGroup.Wait (leaked)", "main.leakWait"},
	{4, "chan receive", "main.blockedRecv"},
	{2, "chan send", "main.blockedSend"},
}

// childLeaked writes leaked.txt, leaked-debug1.txt and
// leaked-then-goroutine.txt from its own pprof server; build it with
// GOEXPERIMENT=goroutineleakprofile.
func childLeaked(dir string) error {
	if pprof.Lookup("goroutineleak") == nil {
		return fmt.Errorf("no goroutineleak profile: build with GOEXPERIMENT=goroutineleakprofile")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, nil)
	for i := 0; i < 4; i++ {
		go blockedRecv(i)
	}
	for i := 0; i < 2; i++ {
		go blockedSend(i)
	}
	startLeaks()
	var before []want
	for _, w := range leakWants {
		w.header = strings.TrimSuffix(w.header, " (leaked)")
		before = append(before, w)
	}
	if err := settle(before); err != nil {
		return err
	}
	base := "http://" + ln.Addr().String() + "/debug/pprof/"
	for _, f := range []struct{ name, path string }{
		{"leaked.txt", "goroutineleak?debug=2"},
		{"leaked-debug1.txt", "goroutineleak?debug=1"},
		{"leaked-then-goroutine.txt", "goroutine?debug=2"},
	} {
		if err := fetch(base+f.path, filepath.Join(dir, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// fetch writes the body of url to file.
func fetch(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

// Depths of the elided child's recursions.
const (
	deepRecursion    = 150
	shallowRecursion = 40
)

// childElided writes elided.txt.
func childElided(dir string) error {
	for i := 0; i < 2; i++ {
		go recurse(deepRecursion)
	}
	go recurse(shallowRecursion)
	if err := settle([]want{{3, "chan receive", "main.recurse"}}); err != nil {
		return err
	}
	return writeProfile(dir, "elided.txt", 2)
}

// crashMessage is the panic message of gotraceback-all.txt.
const crashMessage = "dumpgen: deliberate crash: queue full (4096 pending)"

// childCrash logs a little, then panics in a goroutine; run it with
// GOTRACEBACK=all and keep its stderr.
func childCrash(string) error {
	logJunk("crash")
	if err := startCore(); err != nil {
		return err
	}
	log.Printf("worker %d: queue full, giving up", 7)
	go crasher(crashMessage)
	<-never
	return nil
}

// childSigquit logs a little, prints "ready" on stdout and waits for the
// parent's SIGQUIT; run it with GOTRACEBACK=system and keep its stderr.
func childSigquit(string) error {
	logJunk("sigquit")
	if err := startCore(); err != nil {
		return err
	}
	runtime.GC() // so that the GC workers (one per P) are in the dump
	log.Printf("serving; send SIGQUIT for a dump")
	fmt.Println("ready")
	<-never
	return nil
}

// logJunk writes the log lines that come before a crash.
func logJunk(what string) {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetOutput(os.Stderr)
	log.Printf("dumpgen %s: starting, pid %d", what, os.Getpid())
	log.Printf("config loaded: workers=%d queue=%d", 12, 4096)
	fmt.Fprintln(os.Stderr, `{"level":"info","msg":"listening","addr":"127.0.0.1:6060"}`)
}

// Shape of ancestors.txt.
const (
	chainDepth  = 7
	chainLeaves = 4
	directKids  = 2
)

// childAncestors writes ancestors.txt with runtime.Stack; run it with
// GODEBUG=tracebackancestors=5.
func childAncestors(dir string) error {
	go chain(chainDepth, chainLeaves)
	for i := 0; i < directKids; i++ {
		go blockedSend(i)
	}
	err := settle([]want{
		{chainLeaves, "chan receive", "main.blockedRecv"},
		{directKids, "chan send", "main.blockedSend"},
		{0, "runnable", "main.chain"},
		{0, "running", "main.chain"},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "ancestors.txt"), stacks(), 0o644)
}

// Shape of multi.txt: a pool that stays, a leak that grows, a burst that
// comes and goes.
const (
	multiPool  = 8
	multiLeak  = 10 // new leaked flush goroutines per dump
	multiBurst = 5  // burstWorkers in the second dump only
)

// multiWants are the groups of dump i (0, 1, 2) of multi.txt.
func multiWants(i int) []want {
	burst := 0
	if i == 1 {
		burst = multiBurst
	}
	return []want{
		{multiPool, "chan receive", "main.blockedRecv"},
		{multiLeak * (i + 1), "chan receive", "main.(*memQueue).scheduleFlush.func1"},
		{burst, "chan receive", "main.burstWorker"},
	}
}

// childMulti writes multi.txt: three dumps one second apart with log lines
// before, between and after them, as `cmd | gorotop -` would read them.
func childMulti(dir string) error {
	f, err := os.Create(filepath.Join(dir, "multi.txt"))
	if err != nil {
		return err
	}
	defer f.Close()
	logger := log.New(f, "", log.LstdFlags)
	logger.Printf("service starting, pid %d", os.Getpid())
	for i := 0; i < multiPool; i++ {
		go blockedRecv(i)
	}
	burst := make(chan struct{})
	for i := 0; i < 3; i++ {
		for j := 0; j < multiLeak; j++ {
			new(memQueue).scheduleFlush()
		}
		if i == 1 {
			for j := 0; j < multiBurst; j++ {
				go burstWorker(burst)
			}
		}
		if i == 2 {
			close(burst)
		}
		if err := settle(multiWants(i)); err != nil {
			return err
		}
		logger.Printf("dump %d of 3 follows", i+1)
		if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
			return err
		}
		logger.Printf("flushed %d batches", 100*(i+1))
		fmt.Fprintln(f, `{"level":"warn","msg":"slow flush","ms":1250}`)
		if i < 2 {
			time.Sleep(time.Second)
		}
	}
	logger.Printf("shutting down")
	return f.Close()
}

// How long the waitminutes child waits before its dump.
const minuteWait = 61 * time.Second

// childWaitMinutes writes waitminutes.txt: goroutines blocked for more than
// a minute. The runtime stamps a blocked goroutine's wait start when a GC
// scans its stack, with the end time of the GC before that one (zero
// before the first GC ends): it takes two GCs.
func childWaitMinutes(dir string) error {
	for i := 0; i < 4; i++ {
		go blockedRecv(i)
	}
	if err := settle([]want{{4, "chan receive", "main.blockedRecv"}}); err != nil {
		return err
	}
	runtime.GC()
	runtime.GC()
	time.Sleep(minuteWait)
	for i := 0; i < 2; i++ {
		go blockedSend(i)
	}
	if err := settle([]want{{2, "chan send", "main.blockedSend"}}); err != nil {
		return err
	}
	return writeProfile(dir, "waitminutes.txt", 2)
}
