package main

import (
	"testing"

	"github.com/gorotop/gorotop/internal/poll"
)

func TestStallBudget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1%", 0.01, true}, {"0.5%", 0.005, true}, {"off", 0, true}, {"0", 0, true},
		{"1", 0, false}, {"200%", 0, false}, {"-1%", 0, false}, {"x%", 0, false},
	} {
		var b stallBudget
		err := b.Set(c.in)
		if (err == nil) != c.ok || err == nil && float64(b) != c.want {
			t.Errorf("%q: %v, %v", c.in, float64(b), err)
		}
	}
	b := stallBudget(poll.DefaultMaxShare)
	if b.String() != "1%" {
		t.Errorf("default %s, want 1%%", b.String())
	}
}
