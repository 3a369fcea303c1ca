package tui

import "strings"

// legend explains the marks and columns, for the help overlay.
var legend = []string{
	"Marks",
	"  >  the selected row",
	"  !  suspected leak: grows, few exit (the reason line says why)",
	"  L  goroutines the runtime proved leaked (goroutineleak profile)",
	"  s  stuck: nobody comes or goes while they wait",
	"",
	"Columns",
	"  COUNT     goroutines in the group now",
	"  TREND     the count at each poll",
	"  /MIN      growth per minute over the window",
	"  STATE     what they wait for, as the runtime says",
	"  WAIT      how long the oldest has waited: runtime minutes or what gorotop saw",
	"  SITE      file:line of the first frame outside the runtime",
	"  FUNCTION  the function there",
	"  CREATOR   the function that started them",
}

// helpView draws the help overlay: every key, then the legend.
func (m Model) helpView(w, h int) []string {
	lines := []string{"", m.styles.Section.Render("Keys"), ""}
	m.help.SetWidth(w)
	for _, l := range strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "")
	for _, l := range legend {
		if l != "" && l[0] != ' ' {
			l = m.styles.Section.Render(l)
		}
		lines = append(lines, l)
	}
	lines = append(lines, "", m.styles.Dim.Render("? or esc closes this help"))
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	if len(lines) > h {
		lines = lines[:max(h, 0)]
	}
	return lines
}
