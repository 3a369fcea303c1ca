package source

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := DefaultBackoff
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		if got := b.Delay(i, nil); got != w*time.Second {
			t.Errorf("Delay(%d, nil) = %v, want %v", i, got, w*time.Second)
		}
	}
	if got := b.Delay(1000, nil); got != 30*time.Second {
		t.Errorf("Delay(1000) = %v", got)
	}
	if got := b.Delay(-1, nil); got != time.Second {
		t.Errorf("Delay(-1) = %v", got)
	}
	if got := (Backoff{Min: time.Second, Max: 1 << 62}).Delay(100, nil); got <= 0 {
		t.Errorf("huge Max: Delay(100) = %v", got)
	}

	r := rand.New(rand.NewPCG(1, 2))
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		attempt := i % 8
		full := b.Delay(attempt, nil)
		got := b.Delay(attempt, r)
		if got > full || got < full*8/10 {
			t.Fatalf("Delay(%d) = %v, want within [80%%, 100%%] of %v", attempt, got, full)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays: no jitter?", len(seen))
	}
	a := b.Delay(3, rand.New(rand.NewPCG(7, 7)))
	if c := b.Delay(3, rand.New(rand.NewPCG(7, 7))); a != c {
		t.Errorf("same random state gave %v and %v", a, c)
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                  "plain",
		"a\x1b[31mb":             "a?[31mb",
		"two\nlines":             "two lines",
		"bidi\u202etxt":          "bidi?txt",
		"caf\u00e9 \xff":         "caf\u00e9 ?",
		"\x07bell\x9b":           "?bell?",
		"arrow \u2190 ok \u2014": "arrow \u2190 ok \u2014",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := echo("  caf\u00e9\r\n \x1b]0;x\x07  "); got != "caf?? ?]0;x?" {
		t.Errorf("echo = %q", got)
	}
}
