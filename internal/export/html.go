package export

import (
	"bufio"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
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
		Total:     human.Count(in.Snap.Total),
		Dumps:     in.Snap.Dumps,
		DumpSize:  human.ReportSize(in.Snap.Bytes),
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
			p.Span = human.Age(h[len(h)-1].At.Sub(h[0].At))
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
		left = fmt.Sprintf("%s more groups", human.Count(len(rest)))
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
	c.Biggest = human.ReportSize(biggest)
	last := polls[len(polls)-1]
	c.Last = fmt.Sprintf("%s, %s, %s", pollKind(last), last.Duration.Round(time.Millisecond), human.ReportSize(last.Bytes))
	if last.Share > 0 && len(polls) > 1 {
		// A share of wall time over polls: none for one poll alone.
		c.Share = human.ReportPercent(last.Share)
	}
	for _, p := range polls[max(len(polls)-costRows, 0):] {
		row := costRow{At: p.At.UTC().Format("15:04:05"), Kind: pollKind(p), Duration: p.Duration.Round(time.Millisecond).String(), Bytes: human.ReportSize(p.Bytes)}
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
		Count:  human.Count(g.Count()),
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
		gv.Leaked = human.Count(g.Leaked)
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
	window := fmt.Sprintf("%s/min; %s born, %s exited", human.ReportGrowth(tr.GrowthPerMin), human.Count(tr.Born), human.Count(tr.Exited))
	if tr.MovedIn+tr.MovedOut > 0 {
		window += fmt.Sprintf(", %s moved in, %s moved out", human.Count(tr.MovedIn), human.Count(tr.MovedOut))
	}
	return &trendView{
		Window:    window + " within the " + human.Age(span) + " window",
		FirstSeen: tr.FirstSeen.UTC().Format("2006-01-02 15:04:05 UTC"),
		Oldest:    human.Age(tr.OldestAge),
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
		parts = append(parts, stackparse.Clean(s, 0)+" ×"+human.Count(n))
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
		out[i] = bucketView{Label: track.WaitBucketLabels[i], Count: human.Count(n), Pct: (n*100 + total - 1) / total}
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
			lv.Values = append(lv.Values, valueView{Value: stackparse.Clean(v, 0), Count: human.Count(n)})
			with += n
		}
		slices.SortFunc(lv.Values, func(a, b valueView) int {
			return cmp.Or(cmp.Compare(sets[k][b.Value], sets[k][a.Value]), cmp.Compare(a.Value, b.Value))
		})
		if unset := g.Count() - with; unset > 0 {
			lv.Values = append(lv.Values, valueView{Count: human.Count(unset), Unset: true})
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
			Alive:   human.Count(c.Alive),
			Spawned: human.Count(c.Spawned),
			Exited:  human.Count(c.Exited),
			Growth:  human.ReportGrowth(c.GrowthPerMin) + "/min",
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
	c := &chart{Max: human.Count(hi), Min: human.Count(lo)}
	for i, p := range h {
		fmt.Fprintf(&line, "%d,%d ", x(i), y(p.Count))
		if p.Restart {
			c.Restarts = append(c.Restarts, x(i))
		}
	}
	c.Line = strings.TrimSpace(line.String())
	c.Area = fmt.Sprintf("0,100 %s %d,100", c.Line, x(len(h)-1))
	c.From, c.To = clock(h[0].At, span), clock(h[len(h)-1].At, span)
	c.Caption = fmt.Sprintf("%d polls over %s, from %s to %s", len(h), human.Age(span), c.Min, c.Max)
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

// htmlReport is the page, report.html.tmpl with report.css inlined. Its
// CSS is light by default, dark under prefers-color-scheme, and plain
// black on white in print; its one script opens every <details> before
// printing.
var htmlReport = template.Must(template.ParseFS(reportFiles, "report.html.tmpl", "report.css"))

//go:embed report.html.tmpl report.css
var reportFiles embed.FS
