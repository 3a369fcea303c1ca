package tui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestSourceOfTheBlockingLine(t *testing.T) {
	h := newHarness(t, Config{NoColor: true, SrcDir: "."}, samples(dumps(t))...)
	h.polls(nDumps)
	cmd := h.press("enter")
	if cmd == nil {
		t.Fatal("the detail asked for no source")
	}
	h.send(cmd())
	h.send(tea.WindowSizeMsg{Width: 100, Height: 60})
	v := h.view()
	for _, want := range []string{"Source", filepath.Join("testdata", "leaky", "main.go"), " ▶    38  \t\t<-t.C"} {
		want = strings.ReplaceAll(want, "\t", "    ")
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	// Read once: opening the detail again asks for nothing.
	h.press("esc")
	if cmd := h.press("enter"); cmd != nil {
		t.Error("the source was read twice")
	}
}

func TestSourceNotFound(t *testing.T) {
	src := readSource(t.TempDir(), "/nowhere/app/queue.go", 88)
	if src.err == nil || !strings.Contains(src.err.Error(), "queue.go not found") {
		t.Errorf("err = %v", src.err)
	}
	src = readSource(".", "/x/testdata/leaky/main.go", 100000)
	if src.err == nil || !strings.Contains(src.err.Error(), "fewer than 100000 lines") {
		t.Errorf("err = %v", src.err)
	}
	for _, c := range candidates("/src", "/../../etc/passwd") {
		if !strings.HasPrefix(c, "/src") && c != "/../../etc/passwd" {
			t.Errorf("candidate %s escapes the source dir", c)
		}
	}
}
