package tui

import "strings"

// legend explains the marks and the columns, for the help overlay.
var legend = [][2]string{
	{"Marks", "> selected   ! suspected leak, with its reason below the row"},
	{"", "L proven leaked by the runtime   s stuck: none come or go"},
	{"Columns", "COUNT goroutines now · TREND count per poll · /MIN growth per minute"},
	{"", "STATE what they wait for · WAIT how long the oldest has waited"},
	{"", "SITE file:line where they block · FUNCTION · CREATOR who started them"},
}

// helpView draws the help overlay: every key, then the legend.
func (m Model) helpView(w, h int) []string {
	lines := []string{""}
	m.help.SetWidth(w - 2)
	for _, l := range strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "")
	for _, l := range legend {
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
