package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Styles holds every style the UI draws with; colours appear nowhere else.
// Colours are the sixteen ANSI ones, so the terminal's theme decides the
// shades, dark or light.
type Styles struct {
	Title  lipgloss.Style // "gorotop" in the header
	Dim    lipgloss.Style // secondary text
	Live   lipgloss.Style // state: live
	Paused lipgloss.Style // state: paused
	Ended  lipgloss.Style // state: replay, replay ended
	Error  lipgloss.Style // error text
	Warn   lipgloss.Style // warnings about the dump
	Spark  lipgloss.Style // sparklines
	Column lipgloss.Style // column titles
	Cursor lipgloss.Style // the selected row
	// CursorSuspect is the selected row when it is a suspect.
	CursorSuspect lipgloss.Style
	Suspect       lipgloss.Style // a suspected leak
	Leaked        lipgloss.Style // goroutines the runtime proved leaked
	Reason        lipgloss.Style // the reason line under a suspect
	Notice        lipgloss.Style // transient notices
	Section       lipgloss.Style // section titles in the detail view
	Marked        lipgloss.Style // the blocking frame in the detail view
	Prompt        lipgloss.Style // the filter prompt

	Help help.Styles
}

// DefaultStyles returns the colour styles.
func DefaultStyles() Styles {
	s := Styles{
		Title:         lipgloss.NewStyle().Bold(true),
		Dim:           lipgloss.NewStyle().Faint(true),
		Live:          lipgloss.NewStyle().Foreground(lipgloss.Green).Bold(true),
		Paused:        lipgloss.NewStyle().Foreground(lipgloss.Yellow).Bold(true),
		Ended:         lipgloss.NewStyle().Foreground(lipgloss.Blue).Bold(true),
		Error:         lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		Warn:          lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		Spark:         lipgloss.NewStyle().Foreground(lipgloss.Cyan),
		Column:        lipgloss.NewStyle().Bold(true),
		Cursor:        lipgloss.NewStyle().Reverse(true),
		CursorSuspect: lipgloss.NewStyle().Reverse(true).Foreground(lipgloss.Red).Bold(true),
		Suspect:       lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		Leaked:        lipgloss.NewStyle().Foreground(lipgloss.Magenta).Bold(true),
		Reason:        lipgloss.NewStyle().Foreground(lipgloss.Red),
		Notice:        lipgloss.NewStyle().Foreground(lipgloss.Yellow).Bold(true),
		Section:       lipgloss.NewStyle().Bold(true),
		Marked:        lipgloss.NewStyle().Foreground(lipgloss.Yellow).Bold(true),
		Prompt:        lipgloss.NewStyle().Foreground(lipgloss.Cyan).Bold(true),
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
// state words) carry what colour would.
func PlainStyles() Styles {
	p := lipgloss.NewStyle()
	return Styles{
		Title: p, Dim: p, Live: p, Paused: p, Ended: p, Error: p, Warn: p,
		Spark: p, Column: p, Cursor: p, CursorSuspect: p, Suspect: p, Leaked: p,
		Reason: p, Notice: p, Section: p, Marked: p, Prompt: p,
		Help: help.Styles{
			Ellipsis: p, ShortKey: p, ShortDesc: p, ShortSeparator: p,
			FullKey: p, FullDesc: p, FullSeparator: p,
		},
	}
}
