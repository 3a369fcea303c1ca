package tui

import "strings"

// legend explains the marks and the columns, for the help overlay.
var legend = [][2]string{
	{"Marks", "> selected   ! suspected leak, with its reason below the row"},
	{"", "↑ rising: its count climbs, not yet confirmed by a full dump"},
	{"", "L proven leaked by the runtime   s stuck: none come or go"},
	{"Columns", "COUNT goroutines now · TREND count per poll · /MIN growth last minute"},
	{"", "STATE what they wait for · WAIT how long the oldest has waited"},
	{"", "STATE (this dump): the request writing the dump, gorotop's own poll"},
	{"", "SITE file:line where they block · FUNCTION · CREATOR who started them"},
	{"", "ΔMARK change since the mark · BORN EXITED OLDEST on wide terminals"},
	{"Time", "←/→ step when paused or in a replay; 1× replays at the recorded pace"},
	{"Mouse", "wheel scrolls · click selects a row · double click opens it"},
}

// tabsLegend explains the tabs, with several targets.
var tabsLegend = [][2]string{
	{"Tabs", "one per target; all: a count per target, ! where it suspects"},
	{"", "○ gone (a pod replaced): its history kept · 0 the all tab"},
}

// helpView draws the help overlay: every key, then the legend.
func (m Model) helpView(w, h int) []string {
	lines := []string{""}
	m.help.SetWidth(w - 2)
	for _, l := range strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "")
	leg := legend
	if m.multi() {
		leg = append(leg[:len(leg):len(leg)], tabsLegend...)
	}
	for _, l := range leg {
		lines = append(lines, "  "+m.styles.Section.Render(fit(l[0], 8))+" "+l[1])
	}
	lines = append(lines, "", "  "+m.styles.Dim.Render("? or esc closes this help"))
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	if len(lines) > h {
		lines = lines[:max(h, 0)]
	}
	return lines
}
