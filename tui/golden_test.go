package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
)

// TestGolden compares View().Content with testdata/TestGolden/*.golden at
// two sizes, with and without colour. Regenerate with
// `go test ./tui -update`.
func TestGolden(t *testing.T) {
	scenarios := []struct {
		name string
		// pods watches two targets (twoPods) rather than one.
		pods bool
		run  func(h *harness)
	}{
		{"table", false, func(h *harness) {}},
		{"detail", false, func(h *harness) { h.press("enter") }},
		{"help", false, func(h *harness) { h.press("?") }},
		{"filter", false, func(h *harness) {
			h.press("/")
			h.typeText("chan main")
		}},
		{"error", false, func(h *harness) {
			h.fetch.results = append(h.fetch.results, result{err: errRefused}, result{err: errRefused})
			h.polls(2)
			h.press("j")
		}},
		{"creator", false, func(h *harness) { h.press("g") }},
		{"step", false, func(h *harness) { h.press("left", "left", "left") }},
		{"diff", false, func(h *harness) { h.press("[", "m", "]", "d") }},
		{"combined", true, func(h *harness) {}},
		{"tab", true, func(h *harness) { h.press("2") }},
	}
	sizes := [][2]int{{80, 24}, {160, 48}}
	for _, sc := range scenarios {
		for _, sz := range sizes {
			for _, noColor := range []bool{false, true} {
				name := fmt.Sprintf("%s_%dx%d_color", sc.name, sz[0], sz[1])
				if noColor {
					name = fmt.Sprintf("%s_%dx%d_nocolor", sc.name, sz[0], sz[1])
				}
				t.Run(name, func(t *testing.T) {
					var h *harness
					if sc.pods {
						h = twoPods(t, Config{NoColor: noColor})
					} else {
						h = newHarness(t, Config{NoColor: noColor}, samples(dumps(t))...)
						h.polls(nDumps)
					}
					h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
					sc.run(h)
					view := h.m.View().Content
					if noColor && strings.ContainsRune(view, 0x1b) {
						t.Error("an escape sequence in a view without colour")
					}
					golden.RequireEqual(t, view)
				})
			}
		}
	}
}
