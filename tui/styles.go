package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Styles holds every style the UI draws with; colours appear nowhere else.
// On a dark background the colours are the sixteen ANSI ones, so the
// terminal's theme decides the shades; on a light one, darker shades that
// stay readable on white.
type Styles struct {
	Title  lipgloss.Style // "gorotop" in the header
	Dim    lipgloss.Style // secondary text
	Live   lipgloss.Style // state: live
	Paused lipgloss.Style // state: paused
	Ended  lipgloss.Style // state: replay, replay ended
	Error  lipgloss.Style // error text
	Warn   lipgloss.Style // warnings about the dump
	Spark  lipgloss.Style // sparklines and the spinner
	Column lipgloss.Style // column titles
	Cursor lipgloss.Style // the selected row
	// CursorSuspect is the selected row when it is a suspect.
	CursorSuspect lipgloss.Style
	Suspect       lipgloss.Style // a suspected leak
	// Rising is a group whose count climbs, not yet confirmed as a leak;
	// CursorRising the selected row when it is one.
	Rising, CursorRising lipgloss.Style
	Leaked               lipgloss.Style // goroutines the runtime proved leaked
	Reason               lipgloss.Style // the reason line under a suspect
	Notice               lipgloss.Style // transient notices
	Section              lipgloss.Style // section titles in the detail view
	Marked               lipgloss.Style // the blocking frame in the detail view
	Prompt               lipgloss.Style // the filter prompt
	Tab                  lipgloss.Style // a tab in the tab bar
	TabActive            lipgloss.Style // the tab on screen
	Grew                 lipgloss.Style // a count that grew since the mark
	Shrank               lipgloss.Style // a count that shrank since the mark

	Help help.Styles
}

// StylesFor returns the colour styles for a dark or a light background.
func StylesFor(dark bool) Styles {
	pick := lipgloss.LightDark(dark)
	fg := func(light string, ansi color.Color) lipgloss.Style {
		return lipgloss.NewStyle().Foreground(pick(lipgloss.Color(light), ansi))
	}
	red := fg("160", lipgloss.Red)
	yellow := fg("130", lipgloss.Yellow)
	s := Styles{
		Title:         lipgloss.NewStyle().Bold(true),
		Dim:           lipgloss.NewStyle().Faint(true),
		Live:          fg("28", lipgloss.Green).Bold(true),
		Paused:        yellow.Bold(true),
		Ended:         fg("25", lipgloss.Blue).Bold(true),
		Error:         red.Bold(true),
		Warn:          yellow,
		Spark:         fg("30", lipgloss.Cyan),
		Column:        lipgloss.NewStyle().Bold(true),
		Cursor:        lipgloss.NewStyle().Reverse(true),
		CursorSuspect: red.Reverse(true).Bold(true),
		Suspect:       red.Bold(true),
		Rising:        fg("166", lipgloss.BrightYellow).Bold(true),
		CursorRising:  fg("166", lipgloss.BrightYellow).Reverse(true).Bold(true),
		Leaked:        fg("127", lipgloss.Magenta).Bold(true),
		Reason:        red,
		Notice:        yellow.Bold(true),
		Section:       lipgloss.NewStyle().Bold(true),
		Marked:        yellow.Bold(true),
		Prompt:        fg("30", lipgloss.Cyan).Bold(true),
		Tab:           lipgloss.NewStyle().Faint(true),
		TabActive:     lipgloss.NewStyle().Bold(true).Reverse(true),
		Grew:          red,
		Shrank:        fg("28", lipgloss.Green),
	}
	key := lipgloss.NewStyle().Bold(true)
	desc := lipgloss.NewStyle().Faint(true)
	s.Help = help.Styles{
		Ellipsis: desc, ShortKey: key, ShortDesc: desc, ShortSeparator: desc,
		FullKey: key, FullDesc: desc, FullSeparator: desc,
	}
	return s
}

// PlainStyles returns styles that draw no escape sequence at all, for
// NO_COLOR and terminals without colour. Marks in the text (`!`, `>`, the
// state words, the brackets of the active tab) carry what colour would.
func PlainStyles() Styles {
	p := lipgloss.NewStyle()
	return Styles{
		Title: p, Dim: p, Live: p, Paused: p, Ended: p, Error: p, Warn: p,
		Spark: p, Column: p, Cursor: p, CursorSuspect: p, Suspect: p, Rising: p, CursorRising: p, Leaked: p,
		Reason: p, Notice: p, Section: p, Marked: p, Prompt: p, Tab: p, TabActive: p,
		Grew: p, Shrank: p,
		Help: help.Styles{
			Ellipsis: p, ShortKey: p, ShortDesc: p, ShortSeparator: p,
			FullKey: p, FullDesc: p, FullSeparator: p,
		},
	}
}

// inputStyles are the filter editor's styles: the prompt in the prompt's
// style, the text plain, and the terminal's own cursor.
func (s *Styles) inputStyles() textinput.Styles {
	plain := lipgloss.NewStyle()
	state := textinput.StyleState{Text: plain, Placeholder: s.Dim, Suggestion: s.Dim, Prompt: s.Prompt}
	return textinput.Styles{Focused: state, Blurred: state}
}
