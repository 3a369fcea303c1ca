package tui

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// runOpts runs the program without a terminal.
func runOpts(in string) (*bytes.Buffer, []tea.ProgramOption) {
	var out bytes.Buffer
	return &out, []tea.ProgramOption{
		tea.WithInput(strings.NewReader(in)), tea.WithOutput(&out),
		tea.WithWindowSize(80, 24), tea.WithoutSignals(),
	}
}

func TestRunQuits(t *testing.T) {
	fetch := &script{results: samples(dumps(t))}
	_, opts := runOpts("q")
	if err := run(context.Background(), Config{Fetch: fetch.fetch}, opts...); err != nil {
		t.Fatal(err)
	}
}

func TestRunEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	fetch := &script{results: samples(dumps(t))}
	r, w := ioPipe()
	defer w.Close()
	_, opts := runOpts("")
	opts = append(opts, tea.WithInput(r))
	if err := run(ctx, Config{Fetch: fetch.fetch}, opts...); err != nil {
		t.Errorf("a cancelled context is a normal end, got %v", err)
	}
}

func TestRunTurnsPanicsIntoErrors(t *testing.T) {
	var calls atomic.Int32
	now := func() time.Time {
		if calls.Add(1) > 3 {
			panic("clock broke")
		}
		return t0
	}
	fetch := &script{results: samples(dumps(t))}
	r, w := ioPipe()
	defer w.Close()
	_, opts := runOpts("")
	opts = append(opts, tea.WithInput(r))
	err := run(context.Background(), Config{Fetch: fetch.fetch, Now: now}, opts...)
	// The error carries no prefix of its own: the command adds "gorotop: ".
	if err == nil || !strings.HasPrefix(err.Error(), "internal error: clock broke") {
		t.Errorf("err = %v", err)
	}
	if err := run(context.Background(), Config{}); err == nil {
		t.Error("no Fetch: no error")
	}
}
