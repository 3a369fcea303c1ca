package export

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// HTML writes the snapshot as one self-contained page: no network, no
// external assets, readable on a phone and in print. It holds a summary,
// then every group, suspects first, with its reason, a chart of its count
// over time (with history), its wait-age distribution, labels, goroutine
// IDs and its stack, collapsible, the blocking frame marked.
//
// Every string from the dump goes through html/template's escaping, after
// stackparse.Clean has turned control bytes into visible escapes.
func HTML(w io.Writer, in Input) error {
	bw := bufio.NewWriter(w)
	if err := htmlReport.Execute(bw, newPage(in)); err != nil {
		return err
	}
	return bw.Flush()
}

// creatorsShown bounds the creation sites listed.
const creatorsShown = 10

// page is what the HTML template shows.
type page struct {
	Title    string
	Source   string
	TakenAt  string
	Taken    string
	Total    string
	Groups   []groupView
	Polls    int
	Span     string
	Dumps    int
	DumpSize string
	// History is set when a tracker saw the snapshot.
	History   bool
	Suspects  int
	Rising    int
	Proven    int
	Stuck     int
	Truncated bool
	Warnings  []string
	TotalLine *chart
	Creators  []creatorView
	Cost      *costView
	// Input says what the snapshot was read from when it is not a plain
	// dump: a profile, a dump under a log's prefix.
	Input string
	// Bars are the groups' sizes, in the report's order (suspects
	// first); BarsLeft counts the groups left out of them.
	Bars     []barView
	BarsLeft string
}

// barView is one group's bar: its width a share of the largest group's.
type barView struct {
	Anchor, Count, Label, Class string
	Width                       int // of 1000
}

// barsShown bounds the groups drawn as bars.
const barsShown = 30

// costView sums up what the polls cost the target.
type costView struct {
	Last               string // the latest poll
	Polls, Full, Cheap int
	Median, Max        string // fetch durations
	Biggest            string
	Share              string // at the latest pace; empty when not measured
	Rows               []costRow
}

// costRow is one poll in the table of the latest ones.
type costRow struct {
	At, Kind, Duration, Bytes, Stall string
}

// costRows bounds the polls listed one by one.
const costRows = 30

// groupView is one group on the page.
type groupView struct {
	Anchor   string
	Index    int
	N        int // goroutines
	Count    string
	State    string
	States   string
	Verdicts []string
	Class    string
	Reason   string
	Open     bool
	Wait     string
	Top      frameView
	Blocked  *frameView
	Creator  *frameView
	Parents  string
	Trend    *trendView
	Chart    *chart
	WaitAges []bucketView
	AgeNote  string
	Labels   []labelView
	IDs      string
	Frames   []frameView
	Elided   bool
	Locked   bool
	Leaked   string
	Key      string
}

// trendView is a group's figures over the tracker's window.
type trendView struct {
	Window            string
	FirstSeen, Oldest string
}

// frameView is one frame, cleaned.
type frameView struct {
	Func, File, Site string
	Line             int
	Blocking         bool
}

// bucketView is one bar of a wait-age distribution.
type bucketView struct {
	Label string
	Count string
	Pct   int
}

// labelView is one pprof label key with its values' counts.
type labelView struct {
	Key    string
	Values []valueView
}

// valueView is one label value and how many goroutines carry it.
type valueView struct {
	Value string
	Count string
	Unset bool
}

// creatorView is one creation site.
type creatorView struct {
	Func, Site                     string
	Alive, Spawned, Exited, Growth string
	Suspect                        bool
}

// chart is an inline SVG line of counts over time, in a 1000×100 box
// stretched to the page's width.
type chart struct {
	Line, Area string
	Restarts   []int
	Max, Min   string
	From, To   string
	Caption    string
}

// newPage builds the page of an Input.
func newPage(in Input) page {
	p := page{
		Source:    stackparse.Clean(in.Source, 0),
		TakenAt:   in.TakenAt.UTC().Format(time.RFC3339),
		Taken:     in.TakenAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Total:     Thousands(in.Snap.Total),
		Dumps:     in.Snap.Dumps,
		DumpSize:  byteSize(in.Snap.Bytes),
		Truncated: in.Snap.Truncated,
		History:   in.History != nil,
	}
	for _, w := range in.Snap.Warnings {
		p.Warnings = append(p.Warnings, stackparse.Clean(w, 0))
	}
	for i, g := range htmlOrder(in) {
		gv := newGroupView(in, g, i)
		p.Groups = append(p.Groups, gv)
		p.count(gv.Verdicts)
	}
	if len(p.Groups) > 0 && !p.Groups[0].Open && p.Suspects+p.Rising+p.Proven+p.Stuck == 0 {
		p.Groups[0].Open = true
	}
	if tr := in.History; tr != nil {
		p.Polls = tr.Polls()
		p.TotalLine = newChart(tr.Totals())
		if h := tr.Totals(); len(h) > 0 {
			p.Span = track.FormatAge(h[len(h)-1].At.Sub(h[0].At))
		}
		p.Creators = creatorViews(tr.Creators())
	}
	p.Cost = newCostView(in.Polls)
	p.Input = inputLine(in.Snap)
	if in.History == nil {
		// Without history there is no chart of counts: the sizes of the
		// groups are the picture.
		p.Bars, p.BarsLeft = bars(p.Groups)
	}
	p.Title = fmt.Sprintf("gorotop: %s goroutines, %d suspected leaks", p.Total, p.Suspects)
	return p
}

// inputLine says what a snapshot was read from, "" for a plain dump.
func inputLine(s *stackparse.Snapshot) string {
	var what string
	switch s.Format {
	case stackparse.FormatDebug1:
		what = "a ?debug=1 goroutine profile (counts per stack)"
	case stackparse.FormatPprof:
		what = "a pprof goroutine profile (counts per stack)"
	default:
		if s.Log == stackparse.LogNone {
			return ""
		}
		what = "a goroutine dump"
	}
	if log := s.Log.String(); log != "" {
		what += " in a " + log
	}
	return what
}

// bars draws the first barsShown groups of a page without history as
// bars, in its order: groups the runtime proved leaked first, then by
// size.
func bars(groups []groupView) ([]barView, string) {
	if len(groups) == 0 {
		return nil, ""
	}
	shown := groups[:min(len(groups), barsShown)]
	most := 1
	for _, g := range groups {
		most = max(most, g.N)
	}
	out := make([]barView, 0, len(shown))
	for _, g := range shown {
		n := g.N
		out = append(out, barView{
			Anchor: g.Anchor,
			Count:  g.Count,
			Label:  g.State + "  " + g.Top.Site + "  " + stackparse.ShortFunc(g.Top.Func),
			Class:  strings.TrimSpace(strings.TrimPrefix(g.Class, "group")),
			Width:  max(n*1000/most, 2),
		})
	}
	left := ""
	if rest := groups[len(shown):]; len(rest) > 0 {
		left = fmt.Sprintf("%s more groups", Thousands(len(rest)))
	}
	return out, left
}

// newCostView sums up polls; nil without any.
func newCostView(polls []poll.Cost) *costView {
	if len(polls) == 0 {
		return nil
	}
	c := &costView{Polls: len(polls)}
	durations := make([]time.Duration, len(polls))
	var biggest int64
	for i, p := range polls {
		durations[i] = p.Duration
		biggest = max(biggest, p.Bytes)
		if p.Kind == poll.Counts {
			c.Cheap++
		} else {
			c.Full++
		}
	}
	slices.Sort(durations)
	c.Median = durations[len(durations)/2].Round(time.Millisecond).String()
	c.Max = durations[len(durations)-1].Round(time.Millisecond).String()
	c.Biggest = byteSize(biggest)
	last := polls[len(polls)-1]
	c.Last = fmt.Sprintf("%s, %s, %s", pollKind(last), last.Duration.Round(time.Millisecond), byteSize(last.Bytes))
	if last.Share > 0 && len(polls) > 1 {
		// A share of wall time over polls: none for one poll alone.
		c.Share = fmt.Sprintf("%.2f %%", 100*last.Share)
	}
	for _, p := range polls[max(len(polls)-costRows, 0):] {
		row := costRow{At: p.At.UTC().Format("15:04:05"), Kind: pollKind(p), Duration: p.Duration.Round(time.Millisecond).String(), Bytes: byteSize(p.Bytes)}
		if p.Stall > 0 {
			row.Stall = p.Stall.Round(time.Millisecond).String()
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// pollKind names what a poll fetched, for people.
func pollKind(c poll.Cost) string {
	switch {
	case c.Kind == poll.Counts:
		return "cheap ?debug=1"
	case c.Proof:
		return "leak-checked dump"
	}
	return "full dump"
}

// htmlOrder is the report's order of groups, with those the runtime
// proved leaked first when there is no history to judge by.
func htmlOrder(in Input) []*stackparse.Group {
	groups := in.groups()
	if in.History == nil {
		groups = slices.Clone(groups)
		slices.SortStableFunc(groups, func(a, b *stackparse.Group) int {
			return cmp.Compare(min(b.Leaked, 1), min(a.Leaked, 1))
		})
	}
	return groups
}

// count tallies a group's verdicts into the summary.
func (p *page) count(verdicts []string) {
	for _, v := range verdicts {
		switch v {
		case "proven":
			p.Proven++
		case "suspect":
			p.Suspects++
		case "rising":
			p.Rising++
		case "stuck":
			p.Stuck++
		}
	}
}

// newGroupView builds the view of the i-th group.
func newGroupView(in Input, g *stackparse.Group, i int) groupView {
	tr := in.trendOf(g)
	gv := groupView{
		Anchor: "g" + strconv.Itoa(i+1),
		Index:  i + 1,
		N:      g.Count(),
		Count:  Thousands(g.Count()),
		State:  stackparse.Clean(g.State, 0),
		States: statesLine(g.States),
		Labels: labelViews(g),
		IDs:    idsText(g),
		Frames: frameViews(g),
		Elided: g.Elided,
		Locked: g.Locked,
		Key:    stackparse.Clean(g.Key, 0),
		Top:    *newFrameView(g.Top()),
	}
	if g.WaitMax > 0 {
		gv.Wait = waitRange(g.WaitMin, g.WaitMax) + " (runtime)"
	}
	if g.Leaked > 0 {
		gv.Leaked = Thousands(g.Leaked)
	}
	switch f := g.BlockedAt(); {
	case g.WritesDump():
		gv.State += ", " + WriterNote
	case f != nil:
		gv.Blocked = newFrameView(*f)
	}
	if g.CreatedBy != nil {
		gv.Creator = newFrameView(*g.CreatedBy)
	}
	gv.Verdicts, gv.Reason = verdicts(g, tr)
	gv.Class = strings.Join(append([]string{"group"}, gv.Verdicts...), " ")
	gv.Open = len(gv.Verdicts) > 0
	gv.WaitAges, gv.AgeNote = waitAges(g, tr)
	if tr != nil {
		gv.Trend = newTrendView(tr, in.History.Options().Window)
		gv.Chart = newChart(tr.History)
		if ps := in.History.Parents(g.Key); ps.Parents > 0 {
			gv.Parents = ps.String()
		}
	}
	return gv
}

// verdicts names what is wrong with a group, most serious first, and why.
// Without history only the runtime's proof counts.
func verdicts(g *stackparse.Group, tr *track.Trend) ([]string, string) {
	if tr == nil {
		if g.Leaked > 0 {
			return []string{"proven"}, fmt.Sprintf("%d proven leaked by the runtime", g.Leaked)
		}
		return nil, ""
	}
	var v []string
	if tr.Proven {
		v = append(v, "proven")
	}
	if tr.Suspect {
		v = append(v, "suspect")
	}
	if tr.Rising {
		v = append(v, "rising")
	}
	if tr.Stuck {
		v = append(v, "stuck")
	}
	return v, stackparse.Clean(tr.Reason, 0)
}

// newTrendView formats a group's figures over the tracker's window.
func newTrendView(tr *track.Trend, span time.Duration) *trendView {
	window := fmt.Sprintf("%s/min; %s born, %s exited", signed(tr.GrowthPerMin), Thousands(tr.Born), Thousands(tr.Exited))
	if tr.MovedIn+tr.MovedOut > 0 {
		window += fmt.Sprintf(", %s moved in, %s moved out", Thousands(tr.MovedIn), Thousands(tr.MovedOut))
	}
	return &trendView{
		Window:    window + " within the " + track.FormatAge(span) + " window",
		FirstSeen: tr.FirstSeen.UTC().Format("2006-01-02 15:04:05 UTC"),
		Oldest:    track.FormatAge(tr.OldestAge),
	}
}

// newFrameView cleans a frame.
func newFrameView(f stackparse.Frame) *frameView {
	c := stackparse.Frame{Func: stackparse.Clean(f.Func, 0), File: stackparse.Clean(f.File, 0), Line: f.Line}
	return &frameView{Func: c.Func, File: c.File, Line: c.Line, Site: c.Site()}
}

// frameViews cleans a group's stack and marks its blocking frame.
func frameViews(g *stackparse.Group) []frameView {
	out := make([]frameView, len(g.Frames))
	for i, f := range g.Frames {
		out[i] = *newFrameView(f)
		out[i].Blocking = i == g.Blocking
	}
	return out
}

// statesLine lists a group's states as printed when there is more than
// one: "chan receive ×3, chan receive (leaked) ×2".
func statesLine(states map[string]int) string {
	if len(states) < 2 {
		return ""
	}
	parts := make([]string, 0, len(states))
	for s, n := range states {
		parts = append(parts, stackparse.Clean(s, 0)+" ×"+Thousands(n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// waitAges is a group's distribution of the runtime's wait minutes in
// track's buckets: the tracker's when there is history (after a cheap
// count-only poll, those of the latest full dump), else the snapshot's.
func waitAges(g *stackparse.Group, tr *track.Trend) ([]bucketView, string) {
	var counts [4]int
	note := "runtime wait minutes"
	if tr != nil {
		counts = tr.WaitAges
	} else {
		for _, gr := range g.Goroutines {
			counts[bucketOf(time.Duration(gr.WaitMinutes)*time.Minute)]++
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return nil, ""
	}
	out := make([]bucketView, len(counts))
	for i, n := range counts {
		out[i] = bucketView{Label: track.WaitBucketLabels[i], Count: Thousands(n), Pct: (n*100 + total - 1) / total}
	}
	return out, note
}

// bucketOf returns the index of the wait-age bucket of d.
func bucketOf(d time.Duration) int {
	for i, bound := range track.WaitBuckets {
		if d < bound {
			return i
		}
	}
	return len(track.WaitBuckets)
}

// labelViews counts a group's label values per key, keys sorted, values
// most common first, then the goroutines without the label.
func labelViews(g *stackparse.Group) []labelView {
	sets := labelCounts(g)
	keys := make([]string, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]labelView, 0, len(keys))
	for _, k := range keys {
		lv := labelView{Key: stackparse.Clean(k, 0)}
		with := 0
		for v, n := range sets[k] {
			lv.Values = append(lv.Values, valueView{Value: stackparse.Clean(v, 0), Count: Thousands(n)})
			with += n
		}
		slices.SortFunc(lv.Values, func(a, b valueView) int {
			return cmp.Or(cmp.Compare(sets[k][b.Value], sets[k][a.Value]), cmp.Compare(a.Value, b.Value))
		})
		if unset := g.Count() - with; unset > 0 {
			lv.Values = append(lv.Values, valueView{Count: Thousands(unset), Unset: true})
		}
		out = append(out, lv)
	}
	return out
}

// creatorViews formats the first creation sites.
func creatorViews(cs []track.CreatorStat) []creatorView {
	out := make([]creatorView, 0, min(len(cs), creatorsShown))
	for _, c := range cs[:min(len(cs), creatorsShown)] {
		f := newFrameView(c.Site)
		out = append(out, creatorView{
			Func:    f.Func,
			Site:    f.Site,
			Alive:   Thousands(c.Alive),
			Spawned: Thousands(c.Spawned),
			Exited:  Thousands(c.Exited),
			Growth:  signed(c.GrowthPerMin) + "/min",
			Suspect: c.Suspect,
		})
	}
	return out
}

// newChart draws counts over time; nil with fewer than two points.
func newChart(h []track.Point) *chart {
	if len(h) < 2 {
		return nil
	}
	lo, hi := h[0].Count, h[0].Count
	for _, p := range h {
		lo, hi = min(lo, p.Count), max(hi, p.Count)
	}
	t0, span := h[0].At, h[len(h)-1].At.Sub(h[0].At)
	x := func(i int) int {
		if span <= 0 {
			return i * 1000 / (len(h) - 1)
		}
		return int(int64(h[i].At.Sub(t0)) * 1000 / int64(span))
	}
	y := func(n int) int { return 100 - n*94/max(hi, 1) }
	var line strings.Builder
	c := &chart{Max: Thousands(hi), Min: Thousands(lo)}
	for i, p := range h {
		fmt.Fprintf(&line, "%d,%d ", x(i), y(p.Count))
		if p.Restart {
			c.Restarts = append(c.Restarts, x(i))
		}
	}
	c.Line = strings.TrimSpace(line.String())
	c.Area = fmt.Sprintf("0,100 %s %d,100", c.Line, x(len(h)-1))
	c.From, c.To = clock(h[0].At, span), clock(h[len(h)-1].At, span)
	c.Caption = fmt.Sprintf("%d polls over %s, from %s to %s", len(h), track.FormatAge(span), c.Min, c.Max)
	return c
}

// clock prints a chart's time axis: the time of day, with the date when
// the chart spans more than a day.
func clock(t time.Time, span time.Duration) string {
	if span > 24*time.Hour {
		return t.UTC().Format("Jan 2 15:04")
	}
	return t.UTC().Format("15:04:05")
}

// byteSize prints a size in bytes: 812 B, 4.5 KiB, 25.0 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// htmlReport is the page. Its CSS is light by default, dark under
// prefers-color-scheme, and plain black on white in print; its one script
// opens every <details> before printing.
var htmlReport = template.Must(template.New("report").Parse(htmlSource))

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="gorotop">
<title>{{.Title}}</title>
<style>` + htmlCSS + `</style>
</head>
<body>
<header>
<h1>gorotop snapshot</h1>
<p class="source"><code>{{.Source}}</code></p>
<dl class="facts summary">
<dt>taken</dt><dd><time datetime="{{.TakenAt}}">{{.Taken}}</time></dd>
<dt>goroutines</dt><dd><strong>{{.Total}}</strong> in {{len .Groups}} groups</dd>
{{- if .History}}
<dt>verdicts</dt><dd class="verdicts">
<span class="badge{{if .Suspects}} suspect{{end}}">{{.Suspects}} suspected</span>
<span class="badge{{if .Rising}} rising{{end}}">{{.Rising}} rising</span>
<span class="badge{{if .Proven}} proven{{end}}">{{.Proven}} proven</span>
<span class="badge{{if .Stuck}} stuck{{end}}">{{.Stuck}} stuck</span>
</dd>
<dt>history</dt><dd>{{.Polls}} polls{{if .Span}} over {{.Span}}{{end}}</dd>
{{- else}}
<dt>verdicts</dt><dd>{{if .Proven}}<span class="badge proven">{{.Proven}} proven leaked</span> {{end}}no history: one snapshot cannot show growth</dd>
{{- end}}
<dt>dump</dt><dd>{{.DumpSize}}{{if gt .Dumps 1}} in {{.Dumps}} dumps{{end}}</dd>
{{- with .Cost}}
<dt>poll cost</dt><dd>last: {{.Last}}{{if .Share}}; the target stalled <strong>{{.Share}}</strong> of the time{{end}}</dd>
{{- if gt .Polls 1}}
<dt>polls</dt><dd>{{.Polls}}: {{.Full}} full{{if .Cheap}}, {{.Cheap}} cheap{{end}}; fetch median {{.Median}}, max {{.Max}}; biggest {{.Biggest}}</dd>
{{- end}}
{{- end}}
</dl>
{{- if .Truncated}}
<p class="alert"><strong>Truncated:</strong> the dump was cut off; counts are a lower bound.</p>
{{- end}}
{{- if .Warnings}}
<ul class="warnings">
{{- range .Warnings}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Input}}
<p class="input">Read from {{.Input}}.</p>
{{- end}}
{{- if .Bars}}
<figure class="bars">
<figcaption>Groups by size, proven leaks first</figcaption>
<ol>
{{- range .Bars}}
<li{{if .Class}} class="{{.Class}}"{{end}}><a href="#{{.Anchor}}"><span class="n">{{.Count}}</span><svg viewBox="0 0 1000 10" preserveAspectRatio="none" role="img" aria-label="{{.Count}} goroutines"><rect width="{{.Width}}" height="10"/></svg><span class="what">{{.Label}}</span></a></li>
{{- end}}
</ol>
{{- if .BarsLeft}}
<p class="muted">… and {{.BarsLeft}} below.</p>
{{- end}}
</figure>
{{- end}}
{{- with .TotalLine}}
<figure class="chart total">
<figcaption>All goroutines: {{.Caption}}</figcaption>
{{template "chart" .}}
</figure>
{{- end}}
</header>
<main>
<nav aria-label="groups">
<h2>Groups</h2>
<ol class="overview">
{{- range .Groups}}
<li><a href="#{{.Anchor}}"><span class="n">{{.Count}}</span> <span class="state">{{.State}}</span> <span class="site">{{.Top.Site}}</span> {{.Top.Func}}</a>{{range .Verdicts}} <span class="badge {{.}}">{{.}}</span>{{end}}</li>
{{- end}}
</ol>
</nav>
{{- range .Groups}}
<section id="{{.Anchor}}" class="{{.Class}}">
<details class="group-body"{{if .Open}} open{{end}}>
<summary><h2><span class="idx">#{{.Index}}</span> <span class="n">{{.Count}}</span> <span class="state">{{.State}}</span>{{range .Verdicts}} <span class="badge {{.}}">{{.}}</span>{{end}}</h2>
<span class="where"><span class="site">{{.Top.Site}}</span> <code>{{.Top.Func}}</code>{{with .Creator}} <span class="from">← created by <code>{{.Func}}</code></span>{{end}}</span></summary>
{{- if .Reason}}
<p class="reason">{{.Reason}}</p>
{{- end}}
{{- with .Chart}}
<figure class="chart">
<figcaption>Count: {{.Caption}}</figcaption>
{{template "chart" .}}
</figure>
{{- end}}
<dl class="facts">
<dt>state</dt><dd>{{.State}}{{if .States}} ({{.States}}){{end}}{{if .Locked}}, locked to thread{{end}}</dd>
{{- if .Leaked}}
<dt>proven leaked</dt><dd>{{.Leaked}}</dd>
{{- end}}
{{- with .Wait}}
<dt>waiting</dt><dd>{{.}}</dd>
{{- end}}
{{- with .Blocked}}
<dt>blocked at</dt><dd><code>{{.Func}}</code><br><span class="file">{{.File}}:{{.Line}}</span></dd>
{{- end}}
{{- with .Creator}}
<dt>created by</dt><dd><code>{{.Func}}</code><br><span class="file">{{.File}}:{{.Line}}</span></dd>
{{- end}}
{{- if .Parents}}
<dt>parents</dt><dd>{{.Parents}}</dd>
{{- end}}
{{- with .Trend}}
<dt>trend</dt><dd>{{.Window}}</dd>
<dt>first seen</dt><dd>{{.FirstSeen}}, oldest {{.Oldest}}</dd>
{{- end}}
<dt>goroutines</dt><dd class="ids">{{.IDs}}</dd>
<dt>key</dt><dd><code>{{.Key}}</code></dd>
</dl>
{{- if .WaitAges}}
<h3>Wait age <small>({{.AgeNote}})</small></h3>
<table class="ages">
{{- range .WaitAges}}
<tr><th scope="row">{{.Label}}</th><td class="num">{{.Count}}</td><td class="bar">{{if .Pct}}<span style="width: {{.Pct}}%"></span>{{end}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Labels}}
<h3>Labels</h3>
<ul class="labels">
{{- range .Labels}}
{{- $key := .Key}}
{{- range .Values}}
<li>{{if .Unset}}<span class="muted">no <code>{{$key}}</code></span>{{else}}<code>{{$key}}={{.Value}}</code>{{end}} <span class="num">×{{.Count}}</span></li>
{{- end}}
{{- end}}
</ul>
{{- end}}
<details class="stack"{{if .Open}} open{{end}}>
<summary>Stack, {{len .Frames}} frame{{if ne (len .Frames) 1}}s{{end}}{{if .Elided}} (some elided by the runtime){{end}}, innermost first</summary>
<ol class="frames">
{{- range .Frames}}
<li{{if .Blocking}} class="blocking"{{end}}>{{if .Blocking}}<strong class="mark">▶ blocked here:</strong> {{end}}<span class="fn">{{.Func}}</span>
<span class="file">{{.File}}:{{.Line}}</span></li>
{{- end}}
{{- if .Elided}}
<li class="muted">…frames elided…</li>
{{- end}}
{{- with .Creator}}
<li class="creator"><span class="fn">created by {{.Func}}</span>
<span class="file">{{.File}}:{{.Line}}</span></li>
{{- end}}
</ol>
</details>
</details>
</section>
{{- end}}
{{- if .Creators}}
<section class="creators">
<h2>Creation sites</h2>
<table>
<thead><tr><th scope="col">site</th><th scope="col" class="num">alive</th><th scope="col" class="num">spawned</th><th scope="col" class="num">exited</th><th scope="col" class="num">growth</th></tr></thead>
<tbody>
{{- range .Creators}}
<tr{{if .Suspect}} class="suspect"{{end}}><td><code>{{.Func}}</code> <span class="site">{{.Site}}</span>{{if .Suspect}} <span class="badge suspect">suspect</span>{{end}}</td><td class="num">{{.Alive}}</td><td class="num">{{.Spawned}}</td><td class="num">{{.Exited}}</td><td class="num">{{.Growth}}</td></tr>
{{- end}}
</tbody>
</table>
</section>
{{- end}}
{{- with .Cost}}
{{- if gt .Polls 1}}
<section class="costs">
<details>
<summary><h2>Poll costs</h2> <span class="muted">the latest {{len .Rows}} of {{.Polls}}</span></summary>
<table>
<thead><tr><th scope="col">at</th><th scope="col">kind</th><th scope="col" class="num">fetch</th><th scope="col" class="num">size</th><th scope="col" class="num">stall</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr><td>{{.At}}</td><td>{{.Kind}}</td><td class="num">{{.Duration}}</td><td class="num">{{.Bytes}}</td><td class="num">{{.Stall}}</td></tr>
{{- end}}
</tbody>
</table>
</details>
</section>
{{- end}}
{{- end}}
</main>
<footer><p>Written by gorotop. Stacks are innermost first; ▶ marks the frame where the goroutines wait.</p></footer>
<script>
addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
</script>
</body>
</html>
{{define "chart"}}<div class="plot"><span class="ymax">{{.Max}}</span><svg viewBox="0 0 1000 100" preserveAspectRatio="none" role="img" aria-label="count over time, {{.Caption}}"><polygon class="area" points="{{.Area}}"/><polyline class="line" points="{{.Line}}"/>{{range .Restarts}}<line class="restart" x1="{{.}}" y1="0" x2="{{.}}" y2="100"><title>target restarted</title></line>{{end}}</svg><span class="ymin">0</span></div>
<div class="axis"><span>{{.From}}</span><span>{{.To}}</span></div>{{end}}`

const htmlCSS = `
:root {
  --bg: #ffffff; --fg: #1b1d21; --muted: #5d636c; --border: #d4d8de; --card: #f5f6f8;
  --accent: #0b5cad; --area: rgba(11, 92, 173, 0.14);
  --suspect: #b42318; --suspect-bg: #fdecea; --proven: #7a1fa2; --proven-bg: #f5e8fb;
  --stuck: #8a5a00; --stuck-bg: #fff4d6; --mark: #b42318;
  --rising: #b54708; --rising-bg: #fef0e6;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121418; --fg: #e4e6ea; --muted: #9aa1ab; --border: #343a43; --card: #1b1e24;
    --accent: #6cb0ff; --area: rgba(108, 176, 255, 0.18);
    --suspect: #ff8f84; --suspect-bg: #3b1a17; --proven: #dba2f7; --proven-bg: #2f1c3a;
    --stuck: #f2c25b; --stuck-bg: #352a10; --mark: #ff8f84;
    --rising: #f9a66c; --rising-bg: #3a2414;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0 auto; max-width: 72rem; padding: 1rem;
  background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  overflow-wrap: anywhere;
}
code, .file, .site, .ids, .frames { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
h1 { font-size: 1.4rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.1rem; margin: 0; display: inline; }
h3 { font-size: 0.95rem; margin: 1rem 0 0.4rem; }
h3 small, .muted { color: var(--muted); font-weight: normal; }
a { color: var(--accent); }
.source { margin: 0 0 0.75rem; color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.2rem 0.9rem; margin: 0.75rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; min-width: 0; }
.file { color: var(--muted); }
.badge {
  display: inline-block; padding: 0 0.45em; border: 1px solid var(--border); border-radius: 0.6em;
  font-size: 0.8rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted);
  white-space: nowrap;
}
.badge.suspect { color: var(--suspect); border-color: var(--suspect); background: var(--suspect-bg); }
.badge.proven { color: var(--proven); border-color: var(--proven); background: var(--proven-bg); }
.badge.stuck { color: var(--stuck); border-color: var(--stuck); background: var(--stuck-bg); }
.badge.rising { color: var(--rising); border-color: var(--rising); background: var(--rising-bg); }
.alert, .warnings { border-left: 4px solid var(--suspect); background: var(--suspect-bg); padding: 0.5rem 0.75rem; margin: 0.75rem 0; }
.warnings { padding-left: 2rem; }
nav h2 { display: block; margin: 1.25rem 0 0.4rem; }
.overview { padding-left: 2.2rem; margin: 0; }
.overview li { margin: 0.15rem 0; }
.overview a { text-decoration: none; color: inherit; }
.overview a:hover .state, .overview a:focus .state { text-decoration: underline; }
.n { font-weight: 700; font-variant-numeric: tabular-nums; }
.state { color: var(--accent); }
.site { font-weight: 600; }
.group { border: 1px solid var(--border); border-left: 5px solid var(--border); border-radius: 6px; margin: 1rem 0; padding: 0.6rem 0.9rem; background: var(--bg); }
.group.suspect { border-left-color: var(--suspect); }
.group.stuck { border-left-color: var(--stuck); }
.group.rising { border-left-color: var(--rising); }
.group.proven { border-left-color: var(--proven); }
.group > details > summary { cursor: pointer; list-style-position: inside; }
.group > details > summary h2 { font-size: 1.05rem; }
.idx { color: var(--muted); font-weight: normal; }
.where { display: block; margin: 0.2rem 0 0; }
.from { color: var(--muted); }
.reason { font-weight: 600; color: var(--suspect); margin: 0.6rem 0; }
.group.stuck .reason { color: var(--stuck); }
.group.proven .reason { color: var(--proven); }
figure.chart { margin: 0.75rem 0; }
.input { color: var(--muted); margin: 0.5rem 0; }
figure.bars { margin: 0.75rem 0; }
figure.bars figcaption { color: var(--muted); font-size: 0.85rem; margin-bottom: 0.3rem; }
.bars ol { list-style: none; padding: 0; margin: 0; }
.bars li a { display: grid; grid-template-columns: 5rem minmax(4rem, 1fr) minmax(0, 2fr); gap: 0.6rem; align-items: center; color: inherit; text-decoration: none; padding: 0.05rem 0; }
.bars li a:hover .what, .bars li a:focus .what { text-decoration: underline; }
.bars .n { text-align: right; }
.bars svg { display: block; width: 100%; height: 0.8rem; }
.bars rect { fill: var(--accent); }
.bars li.suspect rect { fill: var(--suspect); }
.bars li.proven rect { fill: var(--proven); }
.bars li.stuck rect { fill: var(--stuck); }
.bars .what { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.85rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
figure.chart figcaption { color: var(--muted); font-size: 0.85rem; margin-bottom: 0.2rem; }
.plot { position: relative; padding-left: 3.2rem; }
.plot svg { display: block; width: 100%; height: 90px; border-left: 1px solid var(--border); border-bottom: 1px solid var(--border); overflow: visible; }
.plot .ymax, .plot .ymin { position: absolute; left: 0; width: 2.9rem; text-align: right; font-size: 0.75rem; line-height: 1; color: var(--muted); font-variant-numeric: tabular-nums; }
.plot .ymax { top: 0; }
.plot .ymin { bottom: 0; }
.axis { display: flex; justify-content: space-between; margin-left: 3.2rem; font-size: 0.75rem; color: var(--muted); }
.area { fill: var(--area); stroke: none; }
.line { fill: none; stroke: var(--accent); stroke-width: 2; vector-effect: non-scaling-stroke; stroke-linejoin: round; }
.restart { stroke: var(--stuck); stroke-width: 1; stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
.group.stuck .line { stroke: var(--stuck); }
.group.suspect .line { stroke: var(--suspect); }
.group.proven .line { stroke: var(--proven); }
.ages { border-collapse: collapse; width: 100%; max-width: 32rem; }
.ages th { text-align: left; font-weight: normal; color: var(--muted); width: 4.5rem; white-space: nowrap; }
.ages td.num { width: 5rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; padding-right: 0.6rem; }
.bar span { display: block; height: 0.8rem; background: var(--accent); border-radius: 2px; }
.labels { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.3rem 0.6rem; }
.labels li { border: 1px solid var(--border); border-radius: 4px; padding: 0 0.4rem; max-width: 100%; }
details.stack { margin-top: 0.9rem; }
details.stack > summary { cursor: pointer; font-weight: 600; }
.frames {
  margin: 0.4rem 0 0; padding: 0.5rem 0.75rem 0.5rem 2.6rem; background: var(--card); border: 1px solid var(--border); border-radius: 4px;
  overflow-x: auto; white-space: nowrap; overflow-wrap: normal; font-size: 0.85rem; line-height: 1.35;
}
.frames li { margin: 0 0 0.25rem; }
.frames .file { display: block; }
.frames li.blocking { color: var(--mark); font-weight: 700; }
.frames li.blocking .file { color: var(--mark); font-weight: normal; }
.frames li.creator { border-top: 1px dashed var(--border); padding-top: 0.25rem; list-style: none; }
.mark { font-family: system-ui, sans-serif; font-size: 0.8rem; }
.creators table, .costs table { border-collapse: collapse; width: 100%; margin-top: 0.4rem; }
.creators th, .creators td, .costs th, .costs td { border-bottom: 1px solid var(--border); padding: 0.2rem 0.3rem; text-align: left; vertical-align: top; }
.creators th.num, .creators td.num, .costs th.num, .costs td.num { text-align: right; font-variant-numeric: tabular-nums; }
.creators th, .costs th, .creators td.num, .costs td.num { white-space: nowrap; }
.creators td:first-child { overflow-wrap: anywhere; }
.costs td:first-child { white-space: nowrap; }
.creators, .costs { margin-top: 1.5rem; }
.costs summary { cursor: pointer; }
.costs summary h2 { display: inline; }
.creators tr.suspect td:first-child { border-left: 3px solid var(--suspect); }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 2rem; }
@media (max-width: 600px) {
  body { padding: 0.6rem; font-size: 14px; }
  .group { padding: 0.5rem 0.6rem; }
  .facts { gap: 0.2rem 0.6rem; }
  .creators th:nth-child(4), .creators td:nth-child(4) { display: none; }
}
@media print {
  :root {
    --bg: #fff; --fg: #000; --muted: #333; --border: #888; --card: #fff; --accent: #000; --area: transparent;
    --suspect: #000; --suspect-bg: #fff; --proven: #000; --proven-bg: #fff; --stuck: #000; --stuck-bg: #fff; --mark: #000;
  }
  body { max-width: none; padding: 0; font-size: 11pt; }
  nav, script { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  summary { list-style: none; }
  summary::-webkit-details-marker { display: none; }
  h2, h3, summary { break-after: avoid; }
  summary, figure.chart, .facts, .ages, .frames li { break-inside: avoid; }
  .group.suspect, .group.proven { border-left-style: double; border-left-width: 6px; }
  .frames { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
  .frames li.blocking { text-decoration: underline; }
  .bar span { background: none; border: 1px solid #000; }
  a { color: inherit; text-decoration: none; }
}
`
