package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Limits of the detail view.
const (
	detailIDs    = 64 // goroutine IDs listed
	detailPolls  = 20 // polls in the born/exited table
	detailLabels = 20 // label values listed
	detailGroups = 30 // member groups listed in the creator view
)

// detail is the view of one group (or one creation site in the creator
// view), scrolled with a viewport. Its text is rebuilt when data comes in
// or the terminal is resized.
type detail struct {
	open    bool
	rowKey  string
	creator bool
	vp      viewport.Model
}

func newDetail() detail {
	vp := viewport.New()
	vp.SoftWrap = false
	return detail{vp: vp}
}

// show opens the detail of a row.
func (d *detail) show(key string, creator bool) {
	d.open, d.rowKey, d.creator = true, key, creator
	d.vp.GotoTop()
}

// close goes back to the table.
func (d *detail) close() { d.open = false }

// key scrolls the detail, or closes it.
func (d *detail) key(msg tea.KeyPressMsg, k KeyMap) {
	switch {
	case key.Matches(msg, k.Back):
		d.close()
	case key.Matches(msg, k.Up):
		d.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		d.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		d.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		d.vp.PageDown()
	case key.Matches(msg, k.Home):
		d.vp.GotoTop()
	case key.Matches(msg, k.End):
		d.vp.GotoBottom()
	}
}

// refreshDetail rebuilds the open detail's text.
func (m *Model) refreshDetail() {
	if !m.detail.open {
		return
	}
	w, h := m.size()
	m.detail.vp.SetWidth(w)
	m.detail.vp.SetHeight(max(h-len(m.headerView(w))-1, 1))
	m.detail.vp.SetContentLines(m.detailLines(w))
}

// detailView draws the detail in h lines.
func (m Model) detailView(w, h int) []string {
	vp := m.detail.vp
	vp.SetWidth(w)
	vp.SetHeight(max(h, 1))
	return strings.Split(vp.View(), "\n")
}

// detailLines is the text of the detail view, lines cut to w cells.
func (m Model) detailLines(w int) []string {
	ds := m.sets[m.grouping]
	if ds == nil {
		return []string{"no data"}
	}
	var d docWriter
	if m.detail.creator {
		m.creatorDetail(&d, ds)
	} else {
		m.groupDetail(&d, ds)
	}
	for i, l := range d.lines {
		d.lines[i] = truncate(l, w)
	}
	return d.lines
}

// docWriter collects the lines of the detail view.
type docWriter struct{ lines []string }

func (d *docWriter) add(format string, args ...any) {
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

func (d *docWriter) raw(s string) { d.lines = append(d.lines, s) }

func (d *docWriter) section(m *Model, title string) {
	d.lines = append(d.lines, "", m.styles.Section.Render(title))
}

// groupDetail writes the detail of one group.
func (m *Model) groupDetail(d *docWriter, ds *dataset) {
	tr := ds.tracker.Trend(m.detail.rowKey)
	if tr == nil || tr.Group == nil {
		d.raw("this group is not in the data any more")
		return
	}
	st := &m.styles
	g := tr.Group
	r := groupRow(g, tr)
	title := st.Title.Render(clean(stackparse.ShortFunc(g.Top().Func)))
	d.raw(r.mark() + " " + title)
	summary := fmt.Sprintf("%s goroutines · %s · %s/min · blocked %s",
		count(tr.Count), clean(r.state()), rate(tr.GrowthPerMin), waitText(g, tr))
	d.raw(summary)
	if tr.Count == 0 && len(tr.History) > 0 {
		d.raw(st.Dim.Render(fmt.Sprintf("gone: last seen with %s goroutines; none at %s", count(g.Count()), tr.History[len(tr.History)-1].At.Format("15:04:05"))))
	}
	switch {
	case tr.Suspect:
		d.raw(st.Suspect.Render("! suspected leak: " + clean(tr.Reason)))
	case tr.Stuck:
		d.raw(st.Suspect.Render("s stuck: " + clean(tr.Reason)))
	}
	if g.Leaked > 0 {
		d.raw(st.Leaked.Render(fmt.Sprintf("L the runtime proved %s of them leaked", count(g.Leaked))))
	}
	if len(g.States) > 1 {
		d.add("states: %s", countsText(g.States))
	}

	d.section(m, "Stack, innermost first (▶ where it blocks)")
	for i, f := range g.Frames {
		mark := "  "
		text := clean(f.Func)
		if i == g.Blocking {
			mark = "▶ "
			text = st.Marked.Render(text)
		}
		d.raw(mark + text)
		d.add("      %s:%d", clean(f.File), f.Line)
	}
	if g.Elided {
		d.raw("  …more frames left out by the runtime")
	}
	if g.Locked {
		d.raw(st.Dim.Render("  locked to an OS thread"))
	}
	d.section(m, "Created by")
	if c := g.CreatedBy; c != nil {
		d.raw("  " + clean(c.Func))
		d.add("      %s:%d", clean(c.File), c.Line)
		if parents := parentsText(g); parents != "" {
			d.raw(st.Dim.Render("  in goroutine " + parents))
		}
	} else {
		d.raw(st.Dim.Render("  nobody: the main goroutine or the runtime's own"))
	}

	d.section(m, "Wait (runtime minutes)")
	waitHistogram(d, m, g)

	d.section(m, "History")
	historyLines(d, m, tr)

	if labels := labelCounts(g); len(labels) > 0 {
		d.section(m, "pprof labels")
		for i, l := range labels {
			if i == detailLabels {
				d.add("  … %d more", len(labels)-i)
				break
			}
			d.add("  %8s  %s", count(l.n), clean(l.text))
		}
	}

	d.section(m, fmt.Sprintf("Goroutine IDs (%s)", idsTitle(g.Count())))
	sorted := g.IDs()
	slices.Sort(sorted)
	ids := make([]string, 0, min(len(sorted), detailIDs))
	for _, id := range sorted[:min(len(sorted), detailIDs)] {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	w, _ := m.size()
	for _, l := range wrapWords(ids, w-2) {
		d.raw("  " + l)
	}
}

// creatorDetail writes the detail of one creation site: its groups.
func (m *Model) creatorDetail(d *docWriter, ds *dataset) {
	var r *row
	for _, x := range m.table.rows {
		if x.key == m.detail.rowKey {
			r = x
		}
	}
	if r == nil {
		d.raw("no goroutines from this creation site now")
		return
	}
	st := &m.styles
	title := "(no creator: the main goroutine and the runtime's own)"
	if c := r.group.CreatedBy; c != nil {
		title = "created by " + clean(c.Func)
	}
	d.raw(r.mark() + " " + st.Title.Render(title))
	if c := r.group.CreatedBy; c != nil {
		d.add("  %s:%d", clean(c.File), c.Line)
	}
	d.add("%s goroutines in %s · %s/min", count(r.count), plural(len(r.members), "group"), rate(r.growth))
	if r.suspect {
		d.raw(st.Suspect.Render("! suspected leak: " + clean(r.reason)))
	}
	d.section(m, "Count history")
	counts := r.counts()
	if len(counts) > 0 {
		d.add("  %s  %s → %s", st.Spark.Render(sparkline(counts, min(len(counts), 48))), count(counts[0]), count(counts[len(counts)-1]))
	}
	d.section(m, "Groups started here")
	for i, g := range r.members {
		if i == detailGroups {
			d.add("  … %d more", len(r.members)-i)
			break
		}
		line := fmt.Sprintf("%s %8s  %6s/min  %-14s  %s %s", g.mark(), count(g.count), rate(g.growth),
			clean(g.state()), clean(g.site()), clean(stackparse.ShortFunc(g.fn())))
		if g.suspect {
			line = st.Suspect.Render(line)
		}
		d.raw(line)
	}
}

// waitText says how long a group's goroutines have waited: the runtime's
// minutes, and how long gorotop has seen the oldest.
func waitText(g *stackparse.Group, tr *track.Trend) string {
	var parts []string
	switch {
	case g.WaitMax == 0:
		parts = append(parts, "<1m by the runtime")
	case g.WaitMin == g.WaitMax:
		parts = append(parts, fmt.Sprintf("%dm by the runtime", g.WaitMax))
	default:
		parts = append(parts, fmt.Sprintf("%d–%dm by the runtime", g.WaitMin, g.WaitMax))
	}
	parts = append(parts, "oldest ≥"+age(tr.OldestAge))
	return strings.Join(parts, ", ")
}

// parentsText lists the goroutines that created the group's members.
func parentsText(g *stackparse.Group) string {
	seen := map[int64]bool{}
	var ids []int64
	for _, gr := range g.Goroutines {
		if gr.Parent != 0 && !seen[gr.Parent] {
			seen[gr.Parent] = true
			ids = append(ids, gr.Parent)
		}
	}
	slices.Sort(ids)
	var s []string
	for i, id := range ids {
		if i == 8 {
			s = append(s, fmt.Sprintf("and %d more", len(ids)-i))
			break
		}
		s = append(s, strconv.FormatInt(id, 10))
	}
	return strings.Join(s, ", ")
}

// waitBuckets split the runtime's wait minutes.
var waitBuckets = []struct {
	label string
	upTo  int // minutes, exclusive
}{
	{"<1m", 1}, {"1–4m", 5}, {"5–14m", 15}, {"15–59m", 60}, {"1–4h", 240}, {"≥4h", 1 << 62},
}

// waitHistogram draws how long the group's goroutines have waited.
func waitHistogram(d *docWriter, m *Model, g *stackparse.Group) {
	n := make([]int, len(waitBuckets))
	for _, gr := range g.Goroutines {
		for i, b := range waitBuckets {
			if gr.WaitMinutes < b.upTo {
				n[i]++
				break
			}
		}
	}
	most := slices.Max(n)
	for i, b := range waitBuckets {
		if n[i] == 0 {
			continue
		}
		bar := strings.Repeat("█", max(1, n[i]*30/max(most, 1)))
		d.add("  %-7s %s %s", b.label, m.styles.Spark.Render(bar), count(n[i]))
	}
	if n[0] == g.Count() {
		d.raw(m.styles.Dim.Render("  (the runtime counts whole minutes blocked)"))
	}
}

// historyLines draws a group's count over time and its born/exited
// goroutines per poll, newest first.
func historyLines(d *docWriter, m *Model, tr *track.Trend) {
	st := &m.styles
	counts := make([]int, len(tr.History))
	for i, p := range tr.History {
		counts[i] = p.Count
	}
	if len(counts) > 0 {
		d.add("  %s  %s → %s over %s", st.Spark.Render(sparkline(counts, min(len(counts), 48))),
			count(counts[0]), count(counts[len(counts)-1]), age(tr.History[len(tr.History)-1].At.Sub(tr.FirstSeen)))
	}
	d.add("  first seen %s · in the window: %s born, %s exited", ago(m.now.Sub(tr.FirstSeen)), count(tr.Born), count(tr.Exited))
	d.raw(st.Dim.Render(fmt.Sprintf("  %-8s  %8s  %7s  %7s", "poll", "count", "born", "exited")))
	for i := len(tr.History) - 1; i >= 0 && i >= len(tr.History)-detailPolls; i-- {
		p := tr.History[i]
		d.add("  %-8s  %8s  %7s  %7s", p.At.Format("15:04:05"), count(p.Count), "+"+count(p.Born), "-"+count(p.Exited))
	}
	if len(tr.History) > detailPolls {
		d.add("  … %d older polls", len(tr.History)-detailPolls)
	}
}

// labelCount is one key=value set of pprof labels and how many goroutines
// carry it.
type labelCount struct {
	text string
	n    int
}

// labelCounts counts the group's goroutines by label key=value.
func labelCounts(g *stackparse.Group) []labelCount {
	n := map[string]int{}
	for _, gr := range g.Goroutines {
		for _, l := range gr.Labels {
			n[l.Key+"="+l.Value]++
		}
	}
	out := make([]labelCount, 0, len(n))
	for text, c := range n {
		out = append(out, labelCount{text: text, n: c})
	}
	slices.SortFunc(out, func(a, b labelCount) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.text, b.text)
	})
	return out
}

// countsText prints a state count map, largest first.
func countsText(states map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var s []kv
	for k, n := range states {
		s = append(s, kv{k, n})
	}
	slices.SortFunc(s, func(a, b kv) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = fmt.Sprintf("%s %s", clean(x.k), count(x.n))
	}
	return strings.Join(parts, ", ")
}

// plural prints "1 group", "3 groups".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}

// idsTitle says how many IDs are listed.
func idsTitle(n int) string {
	if n <= detailIDs {
		return fmt.Sprintf("all %s", count(n))
	}
	return fmt.Sprintf("first %d of %s", detailIDs, count(n))
}

// wrapWords fills lines of at most width cells with words.
func wrapWords(words []string, width int) []string {
	var lines []string
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > width {
			lines = append(lines, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if b.Len() > 0 {
		lines = append(lines, b.String())
	}
	return lines
}
