package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/stackparse"
)

// segment is one piece of a header line. When a line is too wide, the
// pieces with the lowest prio go first.
type segment struct {
	text  string
	style lipgloss.Style
	prio  int
}

// fitLine joins segments with two spaces, dropping low-priority ones until
// the line fits width, then cuts what is still too long.
func fitLine(width int, segs []segment) string {
	for {
		n := 0
		for i, s := range segs {
			if i > 0 {
				n += 2
			}
			n += ansi.StringWidth(s.text)
		}
		if n <= width || len(segs) <= 1 {
			break
		}
		low := -1
		for i, s := range segs {
			if s.prio < 100 && (low < 0 || s.prio < segs[low].prio) {
				low = i
			}
		}
		if low < 0 {
			break
		}
		segs = append(segs[:low:low], segs[low+1:]...)
	}
	var b strings.Builder
	used := 0
	for i, s := range segs {
		if i > 0 {
			if used+2 >= width {
				break
			}
			b.WriteString("  ")
			used += 2
		}
		text := truncate(s.text, width-used)
		used += ansi.StringWidth(text)
		b.WriteString(s.style.Render(text))
	}
	return b.String()
}

// headerView draws the header: the tab bar with several targets, what is
// watched and how polling goes, the totals, and a line for the last error
// or a damaged dump when there is one.
func (m Model) headerView(w int) []string {
	var lines []string
	if m.multi() {
		lines = append(lines, m.tabBar(w))
	}
	if t := m.tab(); t != nil {
		return append(lines, m.targetHeader(t, w)...)
	}
	return append(lines, m.combinedHeader(w)...)
}

// targetHeader is the header of one target's tab.
func (m Model) targetHeader(t *tab, w int) []string {
	st := &m.styles
	ds := t.sets[m.grouping]
	var f *frame
	if ds != nil {
		f = ds.frame()
	}
	target := t.cfg.Target
	if target == "" && ds != nil {
		target = ds.sample.Meta.Source
	}
	stepped := ds != nil && ds.stepped()

	state, stateStyle := "● live", st.Live
	switch {
	case t.gone:
		state, stateStyle = "○ gone "+human.Ago(m.now.Sub(t.goneAt)), st.Ended
	case m.paused:
		state, stateStyle = "‖ paused", st.Paused
	case t.ended && !stepped:
		state, stateStyle = "■ replay ended", st.Ended
	case t.lastErr != "":
		state, stateStyle = "✗ error, retrying in "+human.Seconds(t.retryAt.Sub(m.now)), st.Error
		if t.failures > 1 {
			state += fmt.Sprintf(" (%s failures in a row)", human.Count(t.failures))
		}
	case t.problem != "":
		state, stateStyle = "✗ error", st.Error
	case t.cfg.Replay:
		state, stateStyle = "▶ replay", st.Ended
	}
	if f != nil && (t.cfg.Replay || stepped) {
		of := ds.polls
		if t.cfg.Replay {
			of = max(of, t.cfg.Total) // the snapshots it holds, read or not
		}
		state += fmt.Sprintf(" %s/%s", human.Count(f.poll), human.Count(of))
	}
	playing := t.cfg.Replay && !m.paused && (!t.ended || stepped)
	if playing {
		state += " " + speedText(m.speed)
	}
	line1 := []segment{
		{text: "gorotop", style: st.Title, prio: 100},
		{text: cutMiddle(shortTarget(clean(target)), max(w/2, 20)), style: lipgloss.Style{}, prio: 95},
		{text: state, style: stateStyle, prio: 100},
	}
	// What space does to a replay, which plays from the start on its own.
	switch {
	case playing:
		line1 = append(line1, segment{text: "space pauses", style: st.Dim, prio: 92})
	case t.cfg.Replay && m.paused && (!t.ended || stepped):
		line1 = append(line1, segment{text: "space plays", style: st.Dim, prio: 92})
	}
	if t.fetching && t.slow {
		line1 = append(line1, segment{text: m.spin.View() + " fetching " + human.Took(m.now.Sub(t.fetchStart)), style: lipgloss.Style{}, prio: 90})
	}
	every := "every " + human.Pace(t.interval)
	stretched := t.interval != m.cfg.Interval
	switch {
	case t.cfg.Replay:
		every = "a snapshot every " + human.Pace(m.pace(t)) // at the speed chosen
		if m.pace(t) == 0 {
			every = "snapshots as fast as they read"
		}
		stretched = false
	case stretched:
		every += " (stretched to spare the target)"
	}
	if ds != nil && ds.polls > 0 {
		s := ds.sample
		if !t.cfg.Replay {
			line1 = append(line1, segment{text: "polled " + human.Ago(m.now.Sub(ds.gotAt)), style: lipgloss.Style{}, prio: 80})
		}
		line1 = append(line1, segment{text: costText(s), style: st.Dim, prio: 60})
		if p := s.Pace; p.FullEvery > 0 && !t.cfg.Replay {
			// The stall share, and the pace of full dumps when cheap
			// polls come between them.
			text := "stall " + human.Percent(p.Share)
			if p.FullEvery != t.interval {
				text += " · full dump every " + human.Pace(p.FullEvery)
				every = "polls " + every
			}
			switch {
			case p.Confirming != "":
				// A rising group: the next full dump, brought forward,
				// confirms or clears it.
				line1 = append(line1, segment{text: "confirming " + clean(stackparse.ShortFunc(p.Confirming)) + ": full dump " + human.Until(p.NextFull.Sub(m.now)), style: st.Rising, prio: 88})
			case s.Cost.Kind == poll.Counts && !p.NextFull.IsZero():
				// Counts only between full dumps: new goroutines are
				// told from old ones, and leaks confirmed, at the next.
				text += ", next " + human.Until(p.NextFull.Sub(m.now))
			}
			line1 = append(line1, segment{text: text, style: st.Dim, prio: 55})
		}
		if rs := ds.latest.Restarts(); len(rs) > 0 {
			line1 = append(line1, segment{text: "↻ restarted " + human.Ago(m.now.Sub(rs[len(rs)-1])), style: st.Warn, prio: 85})
		}
		switch {
		case t.cfg.Replay && f != nil && !f.at.IsZero():
			line1 = append(line1, segment{text: "at " + f.at.Format("2006-01-02 15:04:05"), style: st.Dim, prio: 70})
		case stepped:
			line1 = append(line1, segment{text: "from " + human.Ago(m.now.Sub(f.at)), style: st.Paused, prio: 90})
		}
		if mk := ds.mark; mk != nil {
			text := "mark " + human.Count(mk.poll)
			if m.table.diff {
				text = "Δ since mark " + human.Count(mk.poll)
			}
			line1 = append(line1, segment{text: text, style: st.Prompt, prio: 75})
		}
	}
	if !t.ended && !t.gone {
		// Kept before the poll's cost on a narrow screen when stretched:
		// it is why the screen stands still a while.
		prio := 40
		if stretched {
			prio = 65
		}
		line1 = append(line1, segment{text: every, style: st.Dim, prio: prio})
	}
	var rec *Recording
	if t.cfg.Recording != nil {
		r := t.cfg.Recording()
		rec = &r
		if r.Err == nil {
			text := fmt.Sprintf("● rec %s: %s, %s", clean(filepath.Base(r.Path)), plural(r.Dumps, "snapshot"), human.Size(r.Bytes))
			line1 = append(line1, segment{text: text, style: st.Live, prio: 88})
		}
	}

	var line2 []segment
	if f != nil {
		counts := ds.hist.totals(min(ds.pos()+1, len(ds.hist.frames)), 24)
		line2 = append(line2,
			segment{text: "goroutines " + human.Count(f.total), style: st.Title, prio: 100},
			segment{text: sparkline(counts, min(len(counts), 24)), style: st.Spark, prio: 70},
		)
		line2 = append(line2, m.groupSegments()...)
	} else {
		line2 = append(line2, segment{text: "goroutines -", style: st.Title, prio: 100})
	}
	line2 = append(line2, m.viewSegments()...)

	lines := []string{fitLine(w, line1), fitLine(w, line2)}
	if rec != nil && rec.Err != nil {
		// Until the end: the session is not being recorded.
		text := fmt.Sprintf("✗ not recording: %s (%s kept)", clean(rec.Err.Error()), plural(rec.Dumps, "snapshot"))
		lines = append(lines, st.Error.Render(cutMiddle(text, w)))
	}
	if trouble := t.trouble(); trouble != "" {
		// The header names the target already: the error need not.
		msg := strings.TrimPrefix(clean(trouble), clean(target)+": ")
		for _, l := range errorLines("✗ "+msg, w) {
			lines = append(lines, st.Error.Render(l))
		}
	} else if p := m.problemOf(t.cfg.Fleet); p != "" && !t.gone {
		for _, l := range errorLines("✗ "+clean(t.cfg.Fleet)+": "+clean(p), w) {
			lines = append(lines, st.Error.Render(l))
		}
	} else if ds != nil && ds.snap != nil {
		if warn := dumpWarning(ds); warn != "" {
			lines = append(lines, st.Warn.Render(truncate(warn, w)))
		}
	}
	return lines
}

// groupSegments count the groups and suspects on screen.
func (m Model) groupSegments() []segment {
	st := &m.styles
	noun := "group"
	if m.creator {
		noun = "creator"
	}
	groups := plural(m.table.total, noun)
	if m.table.filter != "" {
		groups = human.Count(len(m.table.rows)) + " of " + groups
	}
	sus, susStyle := "no suspects", st.Dim
	switch n := m.table.suspects; {
	case n == 1:
		sus, susStyle = "! 1 suspect", st.Suspect
	case n > 1:
		sus, susStyle = "! "+human.Count(n)+" suspects", st.Suspect
	}
	segs := []segment{{text: groups, prio: 90}, {text: sus, style: susStyle, prio: 95}}
	if n := m.table.rising; n > 0 {
		segs = append(segs, segment{text: "↑ " + human.Count(n) + " rising", style: st.Rising, prio: 94})
	}
	return segs
}

// viewSegments say how the table is sorted, grouped and filtered.
func (m Model) viewSegments() []segment {
	st := &m.styles
	view := m.grouping.String()
	if m.creator {
		view = "creator (" + view + ")"
	}
	segs := []segment{
		{text: "sort " + m.table.sort.String(), style: st.Dim, prio: 50},
		{text: "group " + view, style: st.Dim, prio: 45},
	}
	if m.table.filter != "" {
		segs = append(segs, segment{text: fmt.Sprintf("filter %q", clean(m.table.filter)), style: st.Prompt, prio: 85})
	}
	return segs
}

// shortTarget drops the default dump path from a target URL: what is left
// names the service.
func shortTarget(t string) string {
	for _, suffix := range []string{"/debug/pprof/goroutine?debug=2", "?debug=2"} {
		if strings.HasSuffix(t, suffix) && strings.Contains(t, "://") {
			return strings.TrimSuffix(t, suffix)
		}
	}
	return t
}

// errorLinesMax is how many lines an error takes in the header at most.
const errorLinesMax = 3

// errorLines wraps an error over lines of width cells, at spaces where it
// can, so that it is read whole; one too long for errorLinesMax lines
// keeps its start and its end, which says what to try.
func errorLines(s string, width int) []string {
	var lines []string
	for len(lines) < errorLinesMax-1 && ansi.StringWidth(s) > width {
		head := ansi.Truncate(s, width, "")
		if i := strings.LastIndexByte(head, ' '); i > width/2 {
			head = head[:i]
		}
		lines = append(lines, head)
		s = strings.TrimLeft(s[len(head):], " ")
	}
	return append(lines, cutMiddle(s, width))
}

// cutMiddle cuts a line that is too long in its middle: an error's start
// says what failed and its end says why.
func cutMiddle(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	if width < 20 {
		return truncate(s, width)
	}
	head := width / 3
	tail := width - head - 1
	return ansi.Truncate(s, head, "") + "…" + lastCells(s, tail)
}

// dumpWarning says what was wrong with the last dump, if anything.
func dumpWarning(ds *dataset) string {
	snap := ds.snap
	var parts []string
	if snap.Truncated {
		parts = append(parts, "the dump was cut off: counts may be low")
	}
	warnings := snap.Warnings
	if w := ds.latest.Warning(); w != "" {
		warnings = append([]string{w}, warnings...)
	}
	if n := len(warnings); n > 0 {
		w := clean(warnings[0])
		if n > 1 {
			w += " (+" + human.Count(n-1) + " more)"
		}
		parts = append(parts, w)
	}
	if len(parts) == 0 {
		return ""
	}
	return "! " + strings.Join(parts, " · ")
}

// costText says what the last poll fetched and what it cost: how long it
// took and how big it was, and for a full dump measured against a stall
// budget how many stopped-world stack walks it took.
func costText(s poll.Sample) string {
	c, d, n := s.Cost, s.Meta.Duration, s.Meta.Bytes
	full := "full dump"
	if c.Proof {
		full = "leak-checked dump"
	}
	switch {
	case c.Kind == poll.Counts:
		return fmt.Sprintf("counts %s, %s", human.Took(d), human.Size(n))
	case c.Walks > 1:
		return fmt.Sprintf("%s %s, %s, %d walks", full, human.Took(d), human.Size(n), c.Walks)
	case s.Pace.FullEvery > 0:
		return fmt.Sprintf("%s %s, %s", full, human.Took(d), human.Size(n))
	}
	return fmt.Sprintf("cost %s, %s", human.Took(d), human.Size(n))
}
