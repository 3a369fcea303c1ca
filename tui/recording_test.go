package tui

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestRecordingState shows a recording in the header while it goes, its
// failure from then on, whatever the polls after it do, and returns the
// failure when the UI ends.
func TestRecordingState(t *testing.T) {
	var mu sync.Mutex
	rec := Recording{Path: "/tmp/sessions/api.rec", Dumps: 3, Bytes: 12 << 10}
	state := func() Recording {
		mu.Lock()
		defer mu.Unlock()
		return rec
	}
	h := newHarness(t, Config{Recording: state}, samples(dumps(t))...)
	h.polls(1)
	if v := h.view(); !strings.Contains(v, "● rec api.rec: 3 snapshots, 12 KiB") || strings.Contains(v, "not recording") {
		t.Fatalf("no recording state in the header:\n%s", v)
	}
	if err := recordingFailure(h.m.cfg.targets()); err != nil {
		t.Fatalf("a recording that goes on: %v", err)
	}
	mu.Lock()
	rec.Dumps, rec.Err = 4, errors.New("/tmp/sessions/api.rec: cannot write recording: no space left on device; recording stopped")
	mu.Unlock()
	h.send(windowSize(160, 30))
	for range 3 {
		h.polls(1)
		v := h.view()
		if !strings.Contains(v, "✗ not recording: /tmp/sessions/api.rec: cannot write recording: no space left on device; recording stopped (4 snapshots kept)") || strings.Contains(v, "● rec") {
			t.Fatalf("the failure is not in the header:\n%s", v)
		}
	}
	err := recordingFailure(h.m.cfg.targets())
	if err == nil || err.Error() != "/tmp/sessions/api.rec: cannot write recording: no space left on device; recording stopped (it holds the 4 snapshots recorded before)" {
		t.Fatalf("at the end: %v", err)
	}
}
