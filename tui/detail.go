package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Limits of the detail view.
const (
	detailIDs       = 64 // goroutine IDs listed
	detailPolls     = 20 // polls in the born/exited table
	detailLabels    = 20 // values listed per label key
	detailLabelKeys = 20 // label keys listed
	detailGroups    = 30 // member groups listed in the creator view
)

// detail is the view of one group (or one creation site in the creator
// view), scrolled with a viewport. Its text is rebuilt when data comes in
// or the terminal is resized. What costs a walk of every goroutine of the
// group per label key is counted only once its lines come on screen, and
// kept until the next poll: a group of a million goroutines stays quick
// to scroll.
type detail struct {
	open    bool
	rowKey  string
	creator bool
	vp      viewport.Model
	labels  *labelCache
	// pending are the lines, after the last rebuild, of label keys not
	// counted yet: coming on screen, they are.
	pending []int
}

// labelCache keeps the label values counted for one group at one poll.
type labelCache struct {
	group  string
	at     time.Time
	values map[string][]track.ValueCount
}

// labelValues returns the values of label key k in the group, counted
// now if visible, else from the cache; ok is false when neither.
func (d *detail) labelValues(tr *track.View, group, k string, visible bool) (vals []track.ValueCount, ok bool) {
	if c := d.labels; c == nil || c.group != group || !c.at.Equal(tr.Last()) {
		d.labels = &labelCache{group: group, at: tr.Last(), values: map[string][]track.ValueCount{}}
	}
	if vals, ok = d.labels.values[k]; ok || !visible {
		return vals, ok
	}
	vals = tr.LabelValues(group, k)
	d.labels.values[k] = vals
	return vals, true
}

// visible reports whether line i of the text is on screen.
func (d *detail) visible(i int) bool {
	top := d.vp.YOffset()
	return i >= top && i < top+max(d.vp.Height(), 1)
}

// stale reports whether a label key not counted yet is on screen.
func (d *detail) stale() bool {
	for _, i := range d.pending {
		if d.visible(i) {
			return true
		}
	}
	return false
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
	// Counting the keys on screen lengthens the text, which can bring
	// more on screen: a few rounds settle it. At the end of the text,
	// the view stays at its end.
	bottom := m.detail.vp.TotalLineCount() > 0 && m.detail.vp.AtBottom()
	for range 8 {
		m.detail.pending = m.detail.pending[:0]
		m.detail.vp.SetContentLines(m.detailLines(w))
		if bottom {
			m.detail.vp.GotoBottom()
		}
		if !m.detail.stale() {
			break
		}
	}
}

// detailView draws the detail in h lines.
func (m Model) detailView(w, h int) []string {
	vp := m.detail.vp
	vp.SetWidth(w)
	vp.SetHeight(max(h, 1))
	return strings.Split(vp.View(), "\n")
}

// detailLines is the text of the detail view, lines cut to w cells.
func (m *Model) detailLines(w int) []string {
	ds := m.current()
	if ds == nil {
		return []string{"no data"}
	}
	d := docWriter{width: w}
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

// docWriter collects the lines of the detail view, width cells wide.
type docWriter struct {
	lines []string
	width int
}

func (d *docWriter) add(format string, args ...any) {
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

func (d *docWriter) raw(s string) { d.lines = append(d.lines, s) }

// wrap adds plain text s word-wrapped to the width, its lines after the
// first indented by two cells, each rendered in style: a verdict's reason
// is read whole, not cut.
func (d *docWriter) wrap(style lipgloss.Style, s string) {
	for i, l := range strings.Split(ansi.Wordwrap(s, max(d.width-2, 20), ""), "\n") {
		if i > 0 {
			l = "  " + l
		}
		d.raw(style.Render(l))
	}
}

func (d *docWriter) section(m *Model, title string) {
	d.lines = append(d.lines, "", m.styles.Section.Render(title))
}

// groupDetail writes the detail of one group.
func (m *Model) groupDetail(d *docWriter, ds *dataset) {
	tr := ds.latest.Trend(m.detail.rowKey)
	if tr == nil || tr.Group == nil {
		d.raw("this group is not in the data any more")
		return
	}
	st := &m.styles
	g := tr.Group
	r := groupRow(g, tr)
	d.raw(r.mark() + " " + st.Title.Render(clean(stackparse.ShortFunc(g.Top().Func))))
	writer := g.WritesDump()
	if writer {
		d.add("%s · %s · %s/min now", plural(tr.Count, "goroutine"), clean(r.state()), human.Growth(tr.RecentPerMin))
		d.raw(st.Dim.Render("writing this dump for the request that fetched it: not waiting"))
	} else {
		d.add("%s goroutines · %s · %s/min now · %s", human.Count(tr.Count), clean(r.state()), human.Growth(tr.RecentPerMin), waitText(g))
	}
	if f := ds.frame(); ds.stepped() && f != nil {
		d.raw(st.Paused.Render(fmt.Sprintf("the table shows snapshot %s of %s; this detail is of the latest", human.Count(f.poll), human.Count(ds.polls))))
	}
	if !tr.Present {
		d.raw(st.Dim.Render("gone: last seen " + human.Ago(ds.latest.Last().Sub(tr.LastSeen)) + " before the latest poll"))
	}
	switch {
	case tr.Suspect:
		d.wrap(st.Suspect, "! suspected leak: "+clean(tr.Reason))
	case tr.Rising:
		d.wrap(st.Rising, "↑ "+clean(tr.Reason))
		if why := tr.NotSuspected(); why != "" {
			d.wrap(st.Dim, "not confirmed: "+clean(why))
		}
	case tr.Stuck:
		d.wrap(st.Suspect, "s stuck: "+clean(tr.Reason))
	default:
		if why := tr.NotSuspected(); why != "" {
			d.wrap(st.Dim, "not suspected: "+clean(why))
		}
	}
	if tr.Proven {
		d.raw(st.Leaked.Render(fmt.Sprintf("L the runtime proved %s of them leaked", human.Count(tr.Leaked))))
	}
	if len(g.States) > 1 {
		d.add("states: %s", countsText(g.States))
	}

	if writer {
		d.section(m, "Stack, innermost first")
	} else {
		d.section(m, "Stack, innermost first (▶ where it blocks)")
	}
	for i, f := range g.Frames {
		mark, text := "  ", clean(f.Func)
		if i == g.Blocking && !writer {
			mark, text = "▶ ", st.Marked.Render(text)
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
	if f := g.BlockedAt(); f != nil && m.cfg.SrcDir != "" {
		sourceLines(d, m, f.File, f.Line)
	}
	d.section(m, "Created by")
	if c := g.CreatedBy; c != nil {
		d.raw("  " + clean(c.Func))
		d.add("      %s:%d", clean(c.File), c.Line)
		if p := ds.latest.Parents(tr.Key); p.Parents > 0 {
			d.raw(st.Dim.Render("  " + p.String()))
		}
	} else if g.Counted() {
		d.raw(st.Dim.Render("  not known: the goroutines were counted from a profile, which does not say"))
	} else {
		d.raw(st.Dim.Render("  nobody: the main goroutine or the runtime's own"))
	}

	if !writer {
		d.section(m, "Waiting for")
		most := slices.Max(tr.WaitAges[:])
		for i, n := range tr.WaitAges {
			if n == 0 {
				continue
			}
			bar := strings.Repeat("█", max(1, n*30/max(most, 1)))
			d.add("  %-6s %s %s", track.WaitBucketLabels[i], st.Spark.Render(bar), human.Count(n))
		}
	}

	d.section(m, "History")
	historyLines(d, m, tr)

	if keys := labelKeys(g); tr.Present && len(keys) > 0 {
		d.section(m, fmt.Sprintf("pprof labels (goroutines; joined in the last %s)", human.Age(ds.latest.Options().Window)))
		for j, k := range keys {
			if j == detailLabelKeys {
				d.add("  … %s more label keys", human.Count(len(keys)-j))
				break
			}
			vals, ok := m.detail.labelValues(ds.latest, tr.Key, k, m.detail.visible(len(d.lines)))
			if !ok {
				m.detail.pending = append(m.detail.pending, len(d.lines))
				d.add("  %s: …", clean(k))
				continue
			}
			for i, v := range vals {
				if i == detailLabels {
					d.add("  …")
					break
				}
				text := k + "=" + v.Value
				if v.Unset {
					text = k + " not set"
				}
				joined := ""
				if v.Joined > 0 {
					joined = "+" + human.Count(v.Joined)
				}
				d.add("  %8s %8s  %s", human.Count(v.Count), joined, clean(text))
			}
		}
	}

	d.section(m, fmt.Sprintf("Goroutine IDs (%s)", idsTitle(g.Count())))
	lowest := lowestIDs(g, detailIDs)
	if len(lowest) == 0 {
		d.raw("  not known: the group's goroutines were counted, not listed (a cheap ?debug=1 poll, or a profile)")
		return
	}
	ids := make([]string, 0, len(lowest))
	for _, id := range lowest {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	w, _ := m.size()
	for _, l := range wrapWords(ids, w-2) {
		d.raw("  " + l)
	}
}

// labelKeys returns the pprof label keys of a group's goroutines, sorted.
// Goroutines with the same label set share it (stackparse interns them),
// so each set is read once.
func labelKeys(g *stackparse.Group) []string {
	sets := map[*stackparse.Label]bool{}
	keys := map[string]bool{}
	for _, gr := range g.Goroutines {
		if len(gr.Labels) == 0 || sets[&gr.Labels[0]] {
			continue
		}
		sets[&gr.Labels[0]] = true
		for _, l := range gr.Labels {
			keys[l.Key] = true
		}
	}
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// lowestIDs returns the n lowest goroutine IDs of a group, ascending and
// without ID 0 as Group.IDs, without sorting them all.
func lowestIDs(g *stackparse.Group, n int) []int64 {
	if g.Count() <= n {
		return g.IDs()
	}
	low := make([]int64, 0, n+1) // ascending
	for _, gr := range g.Goroutines {
		if gr.ID == 0 || len(low) == n && gr.ID >= low[n-1] {
			continue
		}
		i, _ := slices.BinarySearch(low, gr.ID)
		low = slices.Insert(low, i, gr.ID)
		if len(low) > n {
			low = low[:n]
		}
	}
	return low
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
	d.add("%s goroutines in %s · %s/min", human.Count(r.count), plural(len(r.members), "group"), human.Growth(r.growth))
	if r.stat != nil {
		d.add("while watched: %s spawned, %s exited", human.Count(r.stat.Spawned), human.Count(r.stat.Exited))
	}
	switch {
	case r.suspect:
		d.raw(st.Suspect.Render("! suspected leak: " + clean(r.reason)))
	case r.rising:
		d.raw(st.Rising.Render("↑ " + clean(r.reason)))
	}
	d.section(m, "Count history")
	if counts := r.counts(); len(counts) > 0 {
		d.add("  %s  %s → %s", st.Spark.Render(sparkline(counts, min(len(counts), 48))), human.Count(counts[0]), human.Count(counts[len(counts)-1]))
	}
	d.section(m, "Groups started here")
	for i, g := range r.members {
		if i == detailGroups {
			d.add("  … %s more", human.Count(len(r.members)-i))
			break
		}
		line := fmt.Sprintf("%s %8s  %6s/min  %-14s  %s %s", g.mark(), human.Count(g.count), human.Growth(g.growth),
			clean(g.state()), clean(g.site()), clean(stackparse.ShortFunc(g.fn())))
		switch {
		case g.suspect:
			line = st.Suspect.Render(line)
		case g.rising:
			line = st.Rising.Render(line)
		}
		d.raw(line)
	}
}

// sourceLines shows the source around the blocking line, when found.
func sourceLines(d *docWriter, m *Model, file string, line int) {
	src, ok := m.sources[sourceKey(file, line)]
	if !ok {
		return
	}
	d.section(m, "Source")
	switch {
	case src == nil:
		d.raw(m.styles.Dim.Render("  reading the source…"))
		return
	case src.err != nil:
		d.raw(m.styles.Dim.Render("  source: " + clean(src.err.Error())))
		return
	}
	d.raw(m.styles.Dim.Render("  " + clean(src.path)))
	for i, text := range src.lines {
		n := src.first + i
		mark := "   "
		text = clean(strings.ReplaceAll(text, "\t", "    "))
		if n == line {
			mark, text = " ▶ ", m.styles.Marked.Render(text)
		}
		d.add("%s%5d  %s", mark, n, text)
	}
}

// waitText says how long a group's goroutines have been blocked, as the
// runtime's wait minutes say (it prints none under a minute).
func waitText(g *stackparse.Group) string {
	switch {
	case g.Counted():
		return "blocked for a time not known (counts only)"
	case !parked(g.State):
		return "not blocked"
	case g.WaitMax == 0:
		return "blocked <1m by the runtime"
	case g.WaitMin == g.WaitMax:
		return fmt.Sprintf("blocked %dm by the runtime", g.WaitMax)
	}
	return fmt.Sprintf("blocked %d–%dm by the runtime", g.WaitMin, g.WaitMax)
}

// historyLines draws a group's count over time and its goroutines born,
// exited, moved and survived per poll, newest first.
func historyLines(d *docWriter, m *Model, tr *track.Trend) {
	st := &m.styles
	counts := make([]int, len(tr.History))
	for i, p := range tr.History {
		counts[i] = p.Count
	}
	if len(counts) > 0 {
		d.add("  %s  %s → %s over %s", st.Spark.Render(sparkline(counts, min(len(counts), 48))),
			human.Count(counts[0]), human.Count(counts[len(counts)-1]), human.Age(tr.LastSeen.Sub(tr.FirstSeen)))
	}
	d.add("  first seen %s · in the window: %s born, %s exited, %s moved in, %s moved out",
		human.Ago(m.now.Sub(tr.FirstSeen)), human.Count(tr.Born), human.Count(tr.Exited), human.Count(tr.MovedIn), human.Count(tr.MovedOut))
	d.raw(st.Dim.Render(fmt.Sprintf("  %-8s  %8s  %7s  %7s  %7s  %8s", "poll", "count", "born", "exited", "moved", "survived")))
	latest := m.current().latest.Last()
	for i := len(tr.History) - 1; i >= 0 && i >= len(tr.History)-detailPolls; i-- {
		p := tr.History[i]
		moved := ""
		if p.MovedIn > 0 || p.MovedOut > 0 {
			moved = fmt.Sprintf("+%s/-%s", human.Count(p.MovedIn), human.Count(p.MovedOut))
		}
		when := "latest"
		if age := latest.Sub(p.At); age >= time.Second {
			when = "-" + human.Age(age)
		}
		line := fmt.Sprintf("  %-8s  %8s  %7s  %7s  %7s  %8s", when, human.Count(p.Count),
			"+"+human.Count(p.Born), "-"+human.Count(p.Exited), moved, human.Count(p.Survived()))
		if p.Restart {
			line += st.Warn.Render("  ↻ target restarted")
		}
		d.raw(line)
	}
	if len(tr.History) > detailPolls {
		d.add("  … %s older polls", human.Count(len(tr.History)-detailPolls))
	}
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
		parts[i] = fmt.Sprintf("%s %s", clean(x.k), human.Count(x.n))
	}
	return strings.Join(parts, ", ")
}

// plural prints "1 group", "3 groups".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return human.Count(n) + " " + noun + "s"
}

// idsTitle says how many IDs are listed.
func idsTitle(n int) string {
	if n <= detailIDs {
		return fmt.Sprintf("all %s", human.Count(n))
	}
	return fmt.Sprintf("first %d of %s", detailIDs, human.Count(n))
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
