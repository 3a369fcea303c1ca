package tui

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/gorotop/gorotop/stackparse"
)

// clean makes text from a dump or an error safe, one line long, and as
// wide on every terminal as the UI measures it: what joins characters into
// one (zero-width joiners, variation selectors, skin tones, combining
// marks, Hangul vowel and final jamo) shows escaped, as \u200d, since a
// terminal that measures each character and one that measures the whole
// cluster disagree on its width, and the columns after it would shift.
func clean(s string) string {
	if strings.ContainsAny(s, "\r\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	s = stackparse.Clean(s, 0)
	if !strings.ContainsFunc(s, joins) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !joins(r):
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// joins reports the characters that join the one before them into one
// cluster on screen.
func joins(r rune) bool {
	return r == 0x200d || r >= 0xfe00 && r <= 0xfe0f || r >= 0xe0100 && r <= 0xe01ef ||
		r >= 0x1f3fb && r <= 0x1f3ff || r >= 0x1160 && r <= 0x11ff || r >= 0xd7b0 && r <= 0xd7ff ||
		unicode.In(r, unicode.Mn, unicode.Me)
}

// blocks are the sparkline levels, lowest first.
var blocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last width values, one block each, right-aligned in
// width cells. The scale runs from the smallest value shown over the
// values' range, but never less than wobbleScale times their wobble nor
// four goroutines: a group that wobbles (19, 21, 20, 19, 21…) moves a
// block by a level or so, while a climb, a step or a burst, however small
// beside the group's size, spans the scale.
func sparkline(values []int, width int) string {
	if width <= 0 {
		return ""
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	if len(values) == 0 {
		return strings.Repeat(" ", width)
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := max(hi-lo, int(wobbleScale*wobble(values)), 4)
	var b strings.Builder
	b.Grow(width * 3)
	b.WriteString(strings.Repeat(" ", width-len(values)))
	top := len(blocks) - 1
	for _, v := range values {
		i := (v - lo) * top / span
		b.WriteRune(blocks[min(max(i, 0), top)])
	}
	return b.String()
}

// wobbleScale is how many times their wobble a sparkline's scale spans
// at least.
const wobbleScale = 8

// wobble is how far values stray from their trend from one to the next:
// the median distance of their steps from the mean step. A steady climb
// (every step alike) has none; a group that goes up and down by two has
// about two; a burst that came and went, once, barely moves the median.
func wobble(values []int) float64 {
	if len(values) < 3 {
		return 0
	}
	steps := make([]float64, len(values)-1)
	mean := float64(values[len(values)-1]-values[0]) / float64(len(steps))
	for i := range steps {
		steps[i] = math.Abs(float64(values[i+1]-values[i]) - mean)
	}
	slices.Sort(steps)
	return steps[len(steps)/2]
}

// fit cuts s to width cells with "…", or pads it with spaces to width.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		s = ansi.Truncate(s, width, "…")
		w = ansi.StringWidth(s)
	}
	if w < width {
		s += strings.Repeat(" ", width-w)
	}
	return s
}

// fitRight is fit, aligned right.
func fitRight(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return strings.Repeat(" ", width-w) + s
}

// truncate cuts a line, styled or not, to width cells.
func truncate(s string, width int) string {
	if ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}
