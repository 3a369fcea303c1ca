package tui

import (
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// input is the one-line filter editor. (bubbles/textinput would do, but it
// needs github.com/atotto/clipboard, which go.mod does not have yet.) It
// draws no cursor of its own: View's tea.Cursor puts the terminal's cursor
// at Cursor().
type input struct {
	prompt string
	value  []rune
	pos    int
	limit  int
}

// Value returns the text.
func (in *input) Value() string { return string(in.value) }

// Reset empties the text.
func (in *input) Reset() { in.value, in.pos = nil, 0 }

// Update edits the text with a key press or a paste; it reports whether
// the text changed.
func (in *input) Update(msg tea.Msg) bool {
	before := in.Value()
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(strings.Join(strings.Fields(msg.Content), " "))
	case tea.KeyPressMsg:
		switch msg.String() {
		case "left", "ctrl+b":
			in.pos = max(in.pos-1, 0)
		case "right", "ctrl+f":
			in.pos = min(in.pos+1, len(in.value))
		case "home", "ctrl+a":
			in.pos = 0
		case "end", "ctrl+e":
			in.pos = len(in.value)
		case "backspace", "ctrl+h":
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
			}
		case "delete", "ctrl+d":
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
			}
		case "ctrl+u":
			in.value, in.pos = in.value[in.pos:], 0
		case "ctrl+k":
			in.value = in.value[:in.pos]
		case "ctrl+w", "alt+backspace":
			start := in.pos
			for start > 0 && in.value[start-1] == ' ' {
				start--
			}
			for start > 0 && in.value[start-1] != ' ' {
				start--
			}
			in.value = append(in.value[:start], in.value[in.pos:]...)
			in.pos = start
		default:
			if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
				in.insert(msg.Text)
			}
		}
	}
	return in.Value() != before
}

// insert puts printable text at the cursor, up to the limit.
func (in *input) insert(s string) {
	var add []rune
	for _, r := range s {
		if r >= ' ' && r != 0x7f && (r < 0x80 || r >= 0xa0) && r != utf8.RuneError {
			add = append(add, r)
		}
	}
	if in.limit > 0 {
		add = add[:max(min(len(add), in.limit-len(in.value)), 0)]
	}
	rest := append(add, in.value[in.pos:]...)
	in.value = append(in.value[:in.pos:in.pos], rest...)
	in.pos += len(add)
}

// View draws the prompt and the text.
func (in *input) View() string { return in.prompt + clean(in.Value()) }

// Cursor is where the terminal's cursor goes, relative to the start of
// the line.
func (in *input) Cursor() *tea.Cursor {
	x := ansi.StringWidth(in.prompt) + ansi.StringWidth(clean(string(in.value[:in.pos])))
	return tea.NewCursor(x, 0)
}
