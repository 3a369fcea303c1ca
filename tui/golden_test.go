package tui

import (
	"fmt"
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
		run  func(h *harness)
	}{
		{"table", func(h *harness) {}},
		{"detail", func(h *harness) { h.press("enter") }},
		{"help", func(h *harness) { h.press("?") }},
		{"filter", func(h *harness) {
			h.press("/")
			h.typeText("chan main")
		}},
		{"error", func(h *harness) {
			h.fetch.results = append(h.fetch.results, result{err: errRefused}, result{err: errRefused})
			h.polls(2)
			h.press("j")
		}},
		{"creator", func(h *harness) { h.press("g") }},
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
					h := newHarness(t, Config{NoColor: noColor}, samples(dumps(t))...)
					h.polls(nDumps)
					h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
					sc.run(h)
					golden.RequireEqual(t, h.m.View().Content)
				})
			}
		}
	}
}
