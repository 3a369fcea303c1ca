package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
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

// headerView draws the header: what is watched and how polling goes, the
// totals, and a line for the last error or a damaged dump when there is
// one.
func (m Model) headerView(w int) []string {
	st := &m.styles
	ds := m.sets[m.grouping]
	target := m.cfg.Target
	if target == "" && ds != nil {
		target = ds.sample.Source
	}

	state, stateStyle := "● live", st.Live
	switch {
	case m.ended:
		state, stateStyle = "■ replay ended", st.Ended
	case m.paused:
		state, stateStyle = "‖ paused", st.Paused
	case m.lastErr != "":
		state, stateStyle = "✗ error, retrying in "+retryIn(m.retryAt.Sub(m.now)), st.Error
		if m.failures > 1 {
			state += fmt.Sprintf(" (%d failures in a row)", m.failures)
		}
	case m.cfg.Replay:
		state, stateStyle = "▶ replay", st.Ended
	}
	line1 := []segment{
		{text: "gorotop", style: st.Title, prio: 100},
		{text: cutMiddle(shortTarget(clean(target)), max(w/2, 20)), style: lipgloss.Style{}, prio: 95},
		{text: state, style: stateStyle, prio: 100},
	}
	if ds != nil && ds.polls > 0 {
		s := ds.sample
		line1 = append(line1,
			segment{text: "polled " + ago(m.now.Sub(ds.gotAt)), style: lipgloss.Style{}, prio: 80},
			segment{text: fmt.Sprintf("cost %s, %s", cost(s.Duration), size(s.Bytes)), style: st.Dim, prio: 60},
		)
		if rs := ds.tracker.Restarts(); len(rs) > 0 {
			line1 = append(line1, segment{text: "↻ restarted " + ago(m.now.Sub(rs[len(rs)-1])), style: st.Warn, prio: 85})
		}
		if m.cfg.Replay && !s.At.IsZero() {
			line1 = append(line1, segment{text: "at " + s.At.Format("2006-01-02 15:04:05"), style: st.Dim, prio: 50})
		}
	}
	every := "every " + m.interval.Round(100*time.Millisecond).String()
	if m.interval != m.cfg.Interval {
		every += " (stretched to spare the target)"
	}
	if !m.ended {
		line1 = append(line1, segment{text: every, style: st.Dim, prio: 40})
	}

	var line2 []segment
	if ds != nil && ds.sample.Snap != nil {
		snap := ds.sample.Snap
		totals := ds.tracker.Totals()
		counts := make([]int, 0, min(len(totals), 24))
		for _, p := range totals[max(len(totals)-24, 0):] {
			counts = append(counts, p.Count)
		}
		line2 = append(line2,
			segment{text: "goroutines " + count(snap.Total), style: st.Title, prio: 100},
			segment{text: sparkline(counts, min(len(counts), 24)), style: st.Spark, prio: 70},
		)
		noun := "group"
		if m.creator {
			noun = "creator"
		}
		groups := plural(m.table.total, noun)
		if m.table.filter != "" {
			groups = count(len(m.table.rows)) + " of " + groups
		}
		line2 = append(line2, segment{text: groups, style: lipgloss.Style{}, prio: 90})
		sus, susStyle := "no suspects", st.Dim
		switch n := m.table.suspects; {
		case n == 1:
			sus, susStyle = "! 1 suspect", st.Suspect
		case n > 1:
			sus, susStyle = "! "+count(n)+" suspects", st.Suspect
		}
		line2 = append(line2, segment{text: sus, style: susStyle, prio: 95})
	} else {
		line2 = append(line2, segment{text: "goroutines -", style: st.Title, prio: 100})
	}
	view := m.grouping.String()
	if m.creator {
		view = "creator (" + view + ")"
	}
	line2 = append(line2,
		segment{text: "sort " + m.table.sort.String(), style: st.Dim, prio: 50},
		segment{text: "group " + view, style: st.Dim, prio: 45},
	)
	if m.table.filter != "" {
		line2 = append(line2, segment{text: fmt.Sprintf("filter %q", clean(m.table.filter)), style: st.Prompt, prio: 85})
	}

	lines := []string{fitLine(w, line1), fitLine(w, line2)}
	if m.lastErr != "" {
		lines = append(lines, st.Error.Render(cutMiddle("✗ "+clean(m.lastErr), w)))
	} else if ds != nil && ds.sample.Snap != nil {
		if warn := dumpWarning(ds); warn != "" {
			lines = append(lines, st.Warn.Render(truncate(warn, w)))
		}
	}
	return lines
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
	r := []rune(s)
	end := string(r[max(len(r)-tail, 0):])
	for ansi.StringWidth(end) > tail {
		end = string([]rune(end)[1:])
	}
	return ansi.Truncate(s, head, "") + "…" + end
}

// retryIn prints the time to the next try in whole seconds, rounded up.
func retryIn(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d s", max(s, 0))
}

// dumpWarning says what was wrong with the last dump, if anything.
func dumpWarning(ds *dataset) string {
	snap := ds.sample.Snap
	var parts []string
	if snap.Truncated {
		parts = append(parts, "the dump was cut off: counts may be low")
	}
	if n := len(snap.Warnings); n > 0 {
		w := clean(snap.Warnings[0])
		if n > 1 {
			w += fmt.Sprintf(" (+%d more)", n-1)
		}
		parts = append(parts, w)
	}
	if len(parts) == 0 {
		return ""
	}
	return "! " + strings.Join(parts, " · ")
}
