package diff

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/gorotop/gorotop/internal/export"
	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/stackparse"
)

// Text writes the diff for people: both snapshots, the change of the
// total, then each group that changed, biggest growth first and biggest
// loss after it, with its state, blocking site, function and creator.
// Unchanged groups are counted, not listed. Every string from a dump was
// made safe by stackparse; Text adds no control bytes.
func Text(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "gorotop diff\n")
	writeSide(bw, "base:   ", r.Base)
	writeSide(bw, "current:", r.Current)
	if r.ByStack {
		fmt.Fprintf(bw, "compared by stack, states and creators aside: one side is a profile\n")
	}
	c := r.Counts
	fmt.Fprintf(bw, "%s goroutines; groups: %d grew, %d appeared, %d shrank, %d vanished, %d unchanged\n",
		human.Delta(r.Delta()), c.Grew, c.Appeared, c.Shrank, c.Vanished, c.Same)
	if c.Grew+c.Appeared+c.Shrank+c.Vanished == 0 {
		fmt.Fprintf(bw, "\nno group changed\n")
		return bw.Flush()
	}
	for _, g := range r.Groups {
		if g.Change == Same {
			continue
		}
		fmt.Fprintf(bw, "\n%s  %s  %s → %s  %s\n", human.Delta(g.Delta()), g.Change,
			human.Count(g.Base), human.Count(g.Current), g.Group.State)
		top := g.Group.Top()
		fmt.Fprintf(bw, "    %s\n", export.Where(g.Group, top))
		if cb := g.Group.CreatedBy; cb != nil {
			fmt.Fprintf(bw, "    created by %s  %s\n", cb.Site(), cb.Func)
		}
	}
	return bw.Flush()
}

func writeSide(w io.Writer, label string, s Side) {
	fmt.Fprintf(w, "  %s %s at %s: %s goroutines in %s groups\n", label, stackparse.Clean(s.Source, 0),
		s.TakenAt.UTC().Format(time.RFC3339), human.Count(s.Snap.Total), human.Count(len(s.Snap.Groups)))
	if s.Snap.Truncated {
		fmt.Fprintf(w, "           TRUNCATED: the dump was cut off; counts are a lower bound\n")
	}
	for _, warn := range s.Snap.Warnings {
		fmt.Fprintf(w, "           warning: %s\n", stackparse.Clean(warn, 0))
	}
}
