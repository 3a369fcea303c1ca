package export

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

var update = flag.Bool("update", false, "rewrite testdata/report.html")

// richDump prints a service with leak goroutines (IDs from 1000) in
// queue.go labelled by tenant, a pool of two workers, three goroutines
// stuck behind a mutex for five minutes, two senders the runtime proved
// leaked, and main.
func richDump(leak int) string {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:20 +0x1d\n\n")
	for i := range 2 {
		fmt.Fprintf(&b, "goroutine %d [chan receive, 3 minutes]:\nexample.com/app/pool.(*Pool).worker(0xc000010000)\n\t/src/app/pool/pool.go:41 +0x25\n"+
			"created by example.com/app/pool.New in goroutine 1\n\t/src/app/pool/pool.go:30 +0x4f\n\n", 2+i)
	}
	for i := range 3 {
		fmt.Fprintf(&b, "goroutine %d [sync.Mutex.Lock, 5 minutes]:\ninternal/sync.runtime_SemacquireMutex(0x1?, 0x0?, 0x0?)\n\t/usr/lib/go/src/runtime/sema.go:95 +0x25\n"+
			"internal/sync.(*Mutex).lockSlow(0xc000012345)\n\t/usr/lib/go/src/internal/sync/mutex.go:149 +0x15d\n"+
			"sync.(*Mutex).Lock(...)\n\t/usr/lib/go/src/sync/mutex.go:46\n"+
			"example.com/app/cache.(*Cache).Refresh(0xc000012340)\n\t/src/app/cache/cache.go:112 +0x45\n"+
			"created by example.com/app/cache.Start in goroutine 1\n\t/src/app/cache/cache.go:60 +0x7a\n\n", 10+i)
	}
	for i := range 2 {
		fmt.Fprintf(&b, "goroutine %d [chan send (leaked)]:\nexample.com/app/rpc.(*Client).notify(0xc000020000)\n\t/src/app/rpc/client.go:203 +0x31\n"+
			"created by example.com/app/rpc.(*Client).Call in goroutine 1\n\t/src/app/rpc/client.go:180 +0x88\n\n", 20+i)
	}
	tenants := []string{"acme", "acme", "globex"}
	for i := range leak {
		fmt.Fprintf(&b, "goroutine %d [chan receive labels:{\"tenant\": %q}]:\n", 1000+i, tenants[i%len(tenants)])
		b.WriteString("example.com/app/queue.(*MemQueue).scheduleFlush.func1()\n\t/src/app/queue/queue.go:88 +0x2a\n")
		fmt.Fprintf(&b, "created by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine %d\n\t/src/app/queue/queue.go:84 +0x9c\n\n", 100+i%4)
	}
	return b.String()
}

// reportAt is when the fixtures' last snapshot was taken.
var reportAt = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

// richInput is richDump watched for 16 polls 10 s apart, the leak growing
// by 5 a poll.
func richInput(t *testing.T) Input {
	t.Helper()
	tr := track.New(track.Options{})
	var snap *stackparse.Snapshot
	for i := range 16 {
		snap = parse(t, richDump(5+5*i))
		tr.Observe(reportAt.Add(time.Duration(i-15)*10*time.Second), snap)
	}
	var polls []poll.Cost
	for i := range 16 {
		p := poll.Cost{At: reportAt.Add(time.Duration(i-15) * 10 * time.Second), Kind: poll.Counts, Duration: 12 * time.Millisecond, Bytes: 2 << 10, Stall: time.Millisecond, Share: 0.0061}
		if i%8 == 0 {
			p.Kind, p.Duration, p.Bytes, p.Stall = poll.Full, 1800*time.Millisecond, 22<<20, 1700*time.Millisecond
		}
		p.Proof = i == 0
		polls = append(polls, p)
	}
	return Input{Source: "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2", TakenAt: reportAt, Snap: snap, History: tr.View(), Polls: polls}
}

func renderHTML(t *testing.T, in Input) string {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// sectionClasses returns the class attribute of each group section, in
// page order.
func sectionClasses(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<section id="g\d+" class="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, strings.TrimSpace(m[1]))
	}
	return out
}

func TestHTMLReport(t *testing.T) {
	page := renderHTML(t, richInput(t))
	golden := filepath.Join("testdata", "report.html")
	if *update {
		if err := os.WriteFile(golden, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/export -update)", err)
	}
	if page != string(want) {
		t.Errorf("page differs from %s; look at it, then run go test ./internal/export -update", golden)
	}

	classes := sectionClasses(page)
	// The proven senders print no wait minutes: not stuck, however long
	// gorotop saw them.
	wantClasses := []string{"group proven", "group suspect", "group stuck", "group", "group"}
	if strings.Join(classes, "|") != strings.Join(wantClasses, "|") {
		t.Errorf("sections %q, want %q (proven, then suspect, then stuck first)", classes, wantClasses)
	}
	leak := page[strings.Index(page, `<section id="g2"`):strings.Index(page, `<section id="g3"`)]
	for _, want := range []string{
		`<span class="n">80</span>`,
		"&#43;30/min (&#43;75 in 2m), 0 exited, oldest 2m",
		`<svg viewBox="0 0 1000 100"`,
		"queue.go:88",
		"created by <code>example.com/app/queue.(*MemQueue).scheduleFlush</code>",
		"<code>tenant=acme</code> <span class=\"num\">×54</span>",
		"<code>tenant=globex</code> <span class=\"num\">×26</span>",
		"spawned by 4 parents, all gone",
		"1000 1001 1002",
		"(60 more)",
		`<li class="blocking"><strong class="mark">▶ blocked here:</strong> <span class="fn">example.com/app/queue.(*MemQueue).scheduleFlush.func1</span>`,
		"<th scope=\"row\">&lt;1m</th><td class=\"num\">80</td>",
		"<details class=\"stack\" open>",
	} {
		if !strings.Contains(leak, want) {
			t.Errorf("the leak's section lacks %q", want)
		}
	}
	for _, want := range []string{"88</strong> in 5 groups", "1 suspected", "1 proven", "1 stuck", "16 polls over 2m", "Creation sites", "All goroutines: 16 polls",
		"last: cheap ?debug=1, 12ms, 2.0 KiB; the target stalled <strong>0.61 %</strong> of the time",
		"16: 2 full, 14 cheap; fetch median 12ms, max 1.8s; biggest 22.0 MiB",
		"<h2>Poll costs</h2> <span class=\"muted\">the latest 16 of 16</span>",
		"<td>leak-checked dump</td><td class=\"num\">1.8s</td><td class=\"num\">22.0 MiB</td><td class=\"num\">1.7s</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("%d charts, want 6 (the total and one per group)", n)
	}
	stuck := page[strings.Index(page, `<section id="g3"`):strings.Index(page, `<section id="g4"`)]
	if !strings.Contains(stuck, "cache.go:112") || !strings.Contains(stuck, "same 3 for") {
		t.Errorf("the stuck group's section lacks its site or reason:\n%s", stuck)
	}
	if !strings.Contains(page, `<section id="g4" class="group">`+"\n"+`<details class="group-body">`) {
		t.Error("a healthy group is open")
	}
}

func TestHTMLWithoutHistory(t *testing.T) {
	in := richInput(t)
	in.History = nil
	page := renderHTML(t, in)
	if strings.Contains(page, `<figure class="chart`) {
		t.Error("a chart without history")
	}
	// The groups' sizes are bars instead, the proven group first, each
	// as wide as its share of the largest group, linked to its section.
	bars := regexp.MustCompile(`<li(?: class="(\w+)")?><a href="#(g\d)"><span class="n">(\d+)</span><svg viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label="\d+ goroutines"><rect width="(\d+)" height="10"/></svg><span class="what">([^<]*)</span></a></li>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, b := range bars {
		got = append(got, strings.Join(b[1:], " "))
	}
	want := []string{
		"proven g1 2 25 chan send  client.go:203  rpc.(*Client).notify",
		" g2 80 1000 chan receive  queue.go:88  queue.(*MemQueue).scheduleFlush.func1",
		" g3 3 37 sync.Mutex.Lock  cache.go:112  cache.(*Cache).Refresh",
		" g4 2 25 chan receive  pool.go:41  pool.(*Pool).worker",
		" g5 1 12 running  main.go:20  main.main",
	}
	if !slices.Equal(got, want) || strings.Count(page, "<svg") != len(want) {
		t.Errorf("bars:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(page, "no history") || !strings.Contains(page, "2 proven leaked by the runtime") {
		t.Error("the summary does not say there is no history, or the runtime's proof is missing")
	}
	classes := sectionClasses(page)
	if strings.Join(classes, "|") != "group proven|group|group|group|group" {
		t.Errorf("sections %q, want the proven group first, then the rest", classes)
	}
	if !strings.Contains(page, "<th scope=\"row\">5–60m</th><td class=\"num\">3</td>") {
		t.Error("no wait-age distribution from the runtime's minutes")
	}
	if !strings.Contains(page, `<section id="g2" class="group">`+"\n"+`<details class="group-body">`) {
		t.Error("a healthy group is open")
	}
	// With nothing flagged, the largest group is open.
	in.Snap = parse(t, richDump(8)[:strings.Index(richDump(8), "goroutine 20 ")])
	page = renderHTML(t, in)
	if !strings.Contains(page, `<section id="g1" class="group">`+"\n"+`<details class="group-body" open>`) {
		t.Error("the largest group is closed")
	}
}

// evilSnapshot is a snapshot built by hand, bypassing stackparse.Clean,
// with control bytes and markup in every string a dump can hold.
func evilSnapshot() *stackparse.Snapshot {
	const esc = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u009b31m\u202e"
	frame := stackparse.Frame{Func: "main.evil" + esc + "</script><script>alert(1)</script>", File: "/src/<img src=x onerror=alert(1)>" + esc + ".go", Line: 7}
	creator := stackparse.Frame{Func: "main.spawn\"><svg onload=alert(2)>", File: "/src/a'b\".go", Line: 3}
	g := &stackparse.Group{
		Key:       "</title><script>alert(3)</script>",
		State:     "chan receive" + esc + "<b>",
		States:    map[string]int{"chan receive" + esc: 1, "<i>x</i>": 1},
		Frames:    []stackparse.Frame{frame, {Func: "main.main\x00", File: "/src/main.go\x7f", Line: 1}},
		Blocking:  0,
		CreatedBy: &creator,
		Goroutines: []stackparse.Goroutine{
			{ID: 1, Labels: []stackparse.Label{{Key: "k\"><script>alert(4)</script>", Value: "</style><style>*{display:none}" + esc}}},
			{ID: 2, Labels: []stackparse.Label{{Key: "tenant", Value: "\u2066<a href=javascript:alert(5)>x</a>"}}},
		},
	}
	return &stackparse.Snapshot{Total: 2, Groups: []*stackparse.Group{g}, Warnings: []string{"bad line " + esc + "<script>alert(6)</script>"}}
}

// checkNoMarkupOrControl fails when page holds a control byte, a C1 or
// bidi control, or markup that came from a dump.
func checkNoMarkupOrControl(t *testing.T, page string) {
	t.Helper()
	for i, r := range page {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			t.Errorf("control %U at byte %d: %q", r, i, page[max(i-40, 0):min(i+40, len(page))])
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want only the page's own", n)
	}
	if n := strings.Count(page, "<style"); n != 1 {
		t.Errorf("%d <style elements, want only the page's own", n)
	}
	for _, bad := range []string{"<img", "<svg onload", "<b>", "<i>", "<a href=javascript", "</title><", `"><svg`, `"><script`} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q from a dump", bad)
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "dumps", "escapes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	snap := parse(t, string(raw))
	tr := track.New(track.Options{})
	tr.Observe(reportAt.Add(-time.Second), snap)
	tr.Observe(reportAt, snap)
	for name, in := range map[string]Input{
		"escapes.txt":           {Source: "escapes.txt", TakenAt: reportAt, Snap: snap, History: tr.View()},
		"synthetic":             {Source: "http://x/\x1b[2J<script>alert(0)</script>", TakenAt: reportAt, Snap: evilSnapshot()},
		"synthetic, no history": {Source: "-", TakenAt: reportAt, Snap: evilSnapshot(), History: track.New(track.Options{}).View()},
	} {
		t.Run(name, func(t *testing.T) {
			page := renderHTML(t, in)
			checkNoMarkupOrControl(t, page)
			for _, want := range []string{`\x1b]52;c;`, `\x1b[2J`} {
				if !strings.Contains(page, want) {
					t.Errorf("the escape %q is not shown", want)
				}
			}
		})
	}
	page := renderHTML(t, Input{Source: "s", TakenAt: reportAt, Snap: evilSnapshot()})
	for _, want := range []string{"&lt;/script&gt;&lt;script&gt;alert(1)", "&lt;img src=x", `\u202e`, `\u2066`, `\x00`, `\x7f`, `\x9b`, "k&#34;&gt;&lt;script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks the escaped %q", want)
		}
	}
}

func TestChartScales(t *testing.T) {
	at := reportAt
	h := []track.Point{{At: at, Count: 0}, {At: at.Add(time.Minute), Count: 50, Restart: true}, {At: at.Add(2 * time.Minute), Count: 100}}
	c := newChart(h)
	if c.Line != "0,100 500,53 1000,6" || c.Area != "0,100 0,100 500,53 1000,6 1000,100" {
		t.Errorf("line %q area %q", c.Line, c.Area)
	}
	if len(c.Restarts) != 1 || c.Restarts[0] != 500 || c.Max != "100" || c.From != "19:00:00" || c.To != "19:02:00" {
		t.Errorf("chart %+v", c)
	}
	if newChart(h[:1]) != nil {
		t.Error("a chart of one point")
	}
}
