package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A dump is one file of testdata/dumps and how it is made.
type dump struct {
	file  string
	child string   // the child process that makes it
	env   []string // its environment beside GOMAXPROCS=2
	how   string   // how the child makes it, for the README
	what  string   // what it exercises, for the README
	make  func(r *runner, d dump) ([]byte, error)
	wants []want // groups it must hold; nil: not checked this way

	total func(b []byte) string // goroutine total; default: headers counted
	facts func(b []byte) string // facts for the README; default: factsTable
}

// dumps are the files dumpgen makes, in README order.
var dumps = []dump{
	{
		file: "pprof-debug2.txt", child: "debug2", make: fromChild, wants: coreWants,
		how:  "`GOMAXPROCS=2 dumpgen -child debug2`: `pprof.Lookup(\"goroutine\").WriteTo(w, 2)`",
		what: "every common wait state: chan receive/send, select, select (no cases), nil chan, sync.Mutex/RWMutex/Cond/WaitGroup, sleep, locked to thread; closures created in a loop by 3 parents (`created by main.spawner in goroutine N`, 3 distinct N)",
	},
	{
		file: "pprof-debug1.txt", child: "debug2", make: fromChild,
		how:   "same process as pprof-debug2.txt, right after it: `WriteTo(w, 1)`",
		what:  "the cheap `?debug=1` format: `goroutine profile: total N`, `N @ 0x…` records, `#\\t0x…\\tfunc+0x…\\tfile:line` frames",
		total: debug1Total, facts: debug1Facts,
	},
	{
		file: "pprof-debug0.pb.gz", child: "debug2", make: fromChild,
		how:   "same process as pprof-debug2.txt, after pprof-debug1.txt: `WriteTo(w, 0)`, what `/debug/pprof/goroutine` serves without `?debug`",
		what:  "the pprof protobuf goroutine profile, gzipped: a sample per stack and label set, valued goroutine/count, with inlined frames as lines of one location",
		total: pprofTotal, facts: pprofFacts,
	},
	{
		file: "labels.txt", child: "labels", env: []string{"GODEBUG=tracebacklabels=1"}, make: fromChild, wants: labelWants(),
		how:  "`GOMAXPROCS=2 GODEBUG=tracebacklabels=1 dumpgen -child labels`: `WriteTo(w, 2)`",
		what: "`labels:{…}` in headers (Go 1.26, tracebacklabels=1): values with `]` `\"` `\\` `}` `, ` and non-ASCII, an empty value, an odd key, labels inherited by child goroutines, nested `pprof.Do` merging, unlabelled goroutines beside labelled ones",
	},
	{
		file: "labels-debug1.txt", child: "labels", env: []string{"GODEBUG=tracebacklabels=1"}, make: fromChild,
		how:   "same process as labels.txt, right after it: `WriteTo(w, 1)`",
		what:  "`# labels: {…}` lines in `?debug=1` records: runtime/pprof's labelMap, Go-quoted keys and values",
		total: debug1Total, facts: debug1Facts,
	},
	{
		file: "labels.pb.gz", child: "labels", env: []string{"GODEBUG=tracebacklabels=1"}, make: fromChild,
		how:   "same process as labels.txt, after labels-debug1.txt: `WriteTo(w, 0)`",
		what:  "pprof labels as the string labels of protobuf samples",
		total: pprofTotal, facts: pprofFacts,
	},
	{
		file: "leaked.txt", child: "leaked", make: fromChild, wants: leakWants,
		how:  "`GOEXPERIMENT=goroutineleakprofile go build -o dumpgen-leak ./testdata/dumpgen && GOMAXPROCS=2 ./dumpgen-leak -child leaked`: GET `/debug/pprof/goroutineleak?debug=2` from its own server",
		what: "`(leaked)` states proven by the GC (chan receive/send, select, sync.Mutex.Lock, sync.WaitGroup.Wait) beside live goroutines of the same states; the net/http server's own goroutines (IO wait)",
	},
	{
		file: "leaked-debug1.txt", child: "leaked", make: fromChild,
		how:   "same process as leaked.txt, right after it: GET `/debug/pprof/goroutineleak?debug=1`",
		what:  "the leak profile at debug=1: `goroutineleak profile: total N` counts only the leaked goroutines",
		total: debug1Total, facts: debug1Facts,
	},
	{
		file: "leaked-then-goroutine.txt", child: "leaked", make: fromChild, wants: leakWants,
		how:  "same process, after leaked-debug1.txt: GET `/debug/pprof/goroutine?debug=2` (the ordinary profile)",
		what: "goroutines stay `(leaked)` in the ordinary goroutine profile once a leak profile has marked them",
	},
	{
		file: "elided.txt", child: "elided", make: fromChild,
		wants: []want{{3, "chan receive", "main.recurse"}},
		how:   "`GOMAXPROCS=2 dumpgen -child elided`: `WriteTo(w, 2)`",
		what:  fmt.Sprintf("`...N frames elided...`: 2 goroutines %d calls deep, 1 goroutine %d deep (not elided)", deepRecursion, shallowRecursion),
	},
	{
		file: "gotraceback-all.txt", child: "crash", env: []string{"GOTRACEBACK=all"}, make: crashed,
		wants: append(append([]want{}, coreWants...), want{1, "running", "main.crasher"}, want{1, "chan receive", "main.childCrash"}),
		how:   "`GOMAXPROCS=2 GOTRACEBACK=all dumpgen -child crash 2>gotraceback-all.txt` (exit status 2)",
		what:  "log lines (text and JSON) before `panic: …` + `goroutine N [running]:` of the panicking goroutine, then every goroutine; same groups as pprof-debug2.txt",
	},
	{
		file: "sigquit-system.txt", child: "sigquit", env: []string{"GOTRACEBACK=system"}, make: quitted,
		wants: append(append([]want{}, coreWants...), want{1, "chan receive", "main.childSigquit"}),
		how:   "`GOMAXPROCS=2 GOTRACEBACK=system dumpgen -child sigquit 2>sigquit-system.txt`, SIGQUIT 300 ms after it prints `ready` (exit status 2)",
		what:  "`SIGQUIT: quit`, `PC=… m=… sigcode=…`, `goroutine N gp=… m=… mp=… [state]:` headers, `fp= sp= pc=` on every frame, runtime frames and system goroutines (GC workers, bgsweep, …), goroutine 0 [idle], register dump",
	},
	{
		file: "sigquit-timestamps.txt", child: "sigquit", env: []string{"GOTRACEBACK=system"}, make: inLog(timestampLog),
		how:   "the stderr of sigquit-system.txt's run, each line prefixed as `kubectl logs --timestamps` and `docker logs -t` print it: the time in RFC 3339 with nanoseconds and a space",
		what:  "a dump inside a container log; empty lines carry the time and a space",
		total: logTotal, facts: logFacts,
	},
	{
		file: "sigquit-cri.log", child: "sigquit", env: []string{"GOTRACEBACK=system"}, make: inLog(criLog),
		how:   "the stderr of sigquit-system.txt's run, written as the kubelet writes a container's log file on the node (CRI logging format: `TIME STREAM TAG content`), the child's stdout beside its stderr, lines over 48 bytes split into `P` parts",
		what:  "a dump in a node's CRI log file: `stderr F` lines, partial `P` lines to join, `stdout` lines between",
		total: logTotal, facts: logFacts,
	},
	{
		file: "sigquit-journald.txt", child: "sigquit", env: []string{"GOTRACEBACK=system"}, make: inLog(journalLog),
		how:   "the stderr of sigquit-system.txt's run, each line as `journalctl -u app` prints it (`Dec 06 07:00:00 host dumpgen[PID]: `), after a `-- Boot … --` line",
		what:  "a dump in journald's short output",
		total: logTotal, facts: logFacts,
	},
	{
		file: "ancestors.txt", child: "ancestors", env: []string{"GODEBUG=tracebackancestors=5"}, make: fromChild,
		wants: []want{{chainLeaves, "chan receive", "main.blockedRecv"}, {directKids, "chan send", "main.blockedSend"}},
		how:   "`GOMAXPROCS=2 GODEBUG=tracebackancestors=5 dumpgen -child ancestors`: `runtime.Stack(buf, true)`",
		what:  fmt.Sprintf("`[originating from goroutine N]:` blocks with `(...)` args and `created by` lines without `in goroutine`: %d leaves at the end of a chain of %d goroutines that have exited (cut at 5 ancestors), %d goroutines created by main (1 ancestor)", chainLeaves, chainDepth+1, directKids),
	},
	{
		file: "multi.txt", child: "multi", make: fromChild,
		how:   "`GOMAXPROCS=2 dumpgen -child multi`: three `WriteTo(w, 2)` one second apart into one file, log lines between",
		what:  fmt.Sprintf("a stream of dumps (`cmd | gorotop -`): a pool of %d that stays, a leak growing by %d per dump (`main.(*memQueue).scheduleFlush.func1`, a flush goroutine waiting on a stopped ticker), a burst of %d in the second dump only", multiPool, multiLeak, multiBurst),
		total: multiTotal, facts: multiFacts,
	},
	{
		file: "truncated.txt", child: "debug2", make: truncate,
		how:   "pprof-debug2.txt cut in the middle of the blocking frame's file line of its 30th goroutine (the cut offset is the file size)",
		what:  "a dump that ends mid-frame, without a final newline",
		total: truncatedTotal, facts: truncatedFacts,
	},
	{
		file: "escapes.txt", child: "escapes", make: func(r *runner, _ dump) ([]byte, error) { return runEscapes(r.tmp) },
		how:   "dumpgen writes a small program (escapes.go: escapesSource) to a temp dir, `go build`s it, runs it with `GOMAXPROCS=2 GOTRACEBACK=all GODEBUG=tracebacklabels=1` and keeps stderr",
		what:  "bytes a terminal acts on: raw in the log line, the panic message (ESC, BEL, CR, invalid UTF-8) and a file path (set by a `//line` directive); quoted by the runtime in label keys and values",
		facts: escapesFacts,
	},
	{
		file: "waitminutes.txt", child: "waitminutes", make: fromChild,
		wants: []want{{4, "chan receive, 1 minutes", "main.blockedRecv"}, {2, "chan send", "main.blockedSend"}},
		how:   "`GOMAXPROCS=2 dumpgen -child waitminutes`: block, `runtime.GC()` twice, sleep 61 s, `WriteTo(w, 2)`",
		what:  "`, 1 minutes` in headers (the runtime's plural), beside goroutines blocked for less than a minute",
	},
}

// fromChild is d.file as written by child d.child.
func fromChild(r *runner, d dump) ([]byte, error) {
	files, err := r.child(d.child, d.env)
	if err != nil {
		return nil, err
	}
	b, ok := files[d.file]
	if !ok {
		return nil, fmt.Errorf("child %s wrote no %s", d.child, d.file)
	}
	return b, nil
}

// crashed is the stderr of child d.child, which panics.
func crashed(r *runner, d dump) ([]byte, error) { return r.crash(d.child, d.env, false) }

// quitted is the stderr of child d.child after SIGQUIT.
func quitted(r *runner, d dump) ([]byte, error) { return r.crash(d.child, d.env, true) }

// truncatedAt is the goroutine (from 1, in dump order) truncated.txt cuts.
const truncatedAt = 30

// truncate cuts pprof-debug2.txt halfway through the file line of the
// blocking frame of goroutine truncatedAt.
func truncate(r *runner, _ dump) ([]byte, error) {
	files, err := r.child("debug2", nil)
	if err != nil {
		return nil, err
	}
	b := files["pprof-debug2.txt"]
	header := 0
	for i := 1; i < truncatedAt; i++ {
		next := bytes.Index(b[header+1:], []byte("\ngoroutine "))
		if next < 0 {
			return nil, fmt.Errorf("fewer than %d goroutines", truncatedAt)
		}
		header += next + 1
	}
	// The first "\t…/dumpgen/…" line after the header is the blocking frame's.
	at := bytes.Index(b[header:], []byte("/dumpgen/"))
	if at < 0 {
		return nil, fmt.Errorf("goroutine %d has no dumpgen frame", truncatedAt)
	}
	start := header + bytes.LastIndexByte(b[header:header+at], '\n') + 1
	end := header + at + bytes.IndexByte(b[header+at:], '\n')
	return b[:start+(end-start)/2], nil
}

// debug1Header matches the first line of a debug=1 profile.
var debug1Header = regexp.MustCompile(`(?m)^(goroutine|goroutineleak) profile: total (\d+)$`)

// debug1Total is the total of a debug=1 profile's first line.
func debug1Total(b []byte) string {
	m := debug1Header.FindSubmatch(b)
	if m == nil {
		return "?"
	}
	return string(m[2])
}

// debug1Facts lists the records of a debug=1 profile: count, labels and
// the innermost frame of package main.
func debug1Facts(b []byte) string {
	var out strings.Builder
	m := debug1Header.FindSubmatch(b)
	if m != nil {
		fmt.Fprintf(&out, "First line `%s`.\n\n", m[0])
	}
	out.WriteString("| count | labels | first main frame | site |\n|---:|---|---|---|\n")
	for _, rec := range strings.Split(string(b), "\n\n") {
		lines := strings.Split(rec, "\n")
		head := lines[0]
		if debug1Header.MatchString(head) {
			lines = lines[1:]
			if len(lines) == 0 {
				continue
			}
			head = lines[0]
		}
		count, _, ok := strings.Cut(head, " @ ")
		if !ok {
			continue
		}
		labels, fn, site := "", "", ""
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "# labels: ") {
				labels = "`" + strings.TrimPrefix(l, "# labels: ") + "`"
			}
			f := strings.FieldsFunc(strings.TrimPrefix(l, "#"), func(r rune) bool { return r == '\t' })
			if fn == "" && len(f) == 3 && strings.HasPrefix(f[1], "main.") {
				fn, _, _ = strings.Cut(f[1], "+")
				site = f[2][strings.LastIndexByte(f[2], '/')+1:]
			}
		}
		if fn == "" {
			fn, site = "(none in main)", ""
		} else {
			fn = "`" + fn + "`"
		}
		fmt.Fprintf(&out, "| %s | %s | %s | %s |\n", count, labels, fn, site)
	}
	return out.String()
}

// multiTotal is the goroutine total of each dump of a stream.
func multiTotal(b []byte) string {
	var totals []string
	for _, gs := range byDump(parseDump(b)) {
		totals = append(totals, strconv.Itoa(len(gs)))
	}
	return strings.Join(totals, " + ")
}

// multiFacts is a facts table for each dump of a stream.
func multiFacts(b []byte) string {
	var out strings.Builder
	for i, gs := range byDump(parseDump(b)) {
		fmt.Fprintf(&out, "Dump %d (%d goroutines):\n\n%s\n", i+1, len(gs), factsTable(gs))
	}
	return out.String()
}

// byDump splits gs by the dump of the stream they come from.
func byDump(gs []goroutine) [][]goroutine {
	var out [][]goroutine
	for _, g := range gs {
		for len(out) <= g.dump {
			out = append(out, nil)
		}
		out[g.dump] = append(out[g.dump], g)
	}
	return out
}

// truncatedTotal counts the headers of a cut dump.
func truncatedTotal(b []byte) string {
	return fmt.Sprintf("%d headers (%d whole, 1 cut)", len(parseDump(b)), len(parseDump(b))-1)
}

// truncatedFacts says where a cut dump ends.
func truncatedFacts(b []byte) string {
	last := b[bytes.LastIndexByte(b, '\n')+1:]
	gs := parseDump(b)
	return fmt.Sprintf("Cut at byte offset %d (the file size): the last line is the partial `%s` "+
		"(no newline), in goroutine %s `[%s]`, whose function line `%s` is whole.\n\n"+
		"Groups, the cut goroutine included (a frame without its file line does not count, so its site is the frame before):\n\n%s",
		len(b), strings.TrimPrefix(string(last), "\t"), gs[len(gs)-1].id, gs[len(gs)-1].header,
		lastFuncLine(b), factsTable(gs))
}

// lastFuncLine is the function line before the cut line of b.
func lastFuncLine(b []byte) string {
	lines := strings.Split(string(b), "\n")
	return lines[len(lines)-2]
}

// escapesFacts lists where escapes.txt holds which control bytes.
func escapesFacts(b []byte) string {
	var out strings.Builder
	out.WriteString("Lines holding raw control bytes (shown Go-quoted):\n\n")
	for i, line := range strings.Split(string(b), "\n") {
		if strings.ContainsFunc(line, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f || r == 0xfffd }) {
			fmt.Fprintf(&out, "- line %d: `%s`\n", i+1, strconv.Quote(line))
		}
	}
	fmt.Fprintf(&out, "\nThe panic message, written by `panic(%s)`, reaches the dump raw; after its `\\n` the runtime indents with a tab.\n", strconv.Quote(escapesPanic))
	out.WriteString("\nLabel values (`tracebacklabels=1`) are quoted by the runtime, so headers hold no control byte:\n\n")
	for _, v := range escapesLabelValues {
		fmt.Fprintf(&out, "- value %s is printed `%s`\n", "`"+strconv.Quote(v)+"`", runtimeQuote(v))
	}
	fmt.Fprintf(&out, "- key `%s` is printed `%s`\n", strconv.Quote(escapesKey), runtimeQuote(escapesKey))
	out.WriteString("\nGroups:\n\n" + factsTable(parseDump(b)))
	return out.String()
}
