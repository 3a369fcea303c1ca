package export

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/human"
	"github.com/gorotop/gorotop/stackparse"
)

// idsShown bounds the goroutine IDs listed per group in text.
const idsShown = 20

// Text writes the snapshot for people: a summary line, then each group
// with its state, blocking site, creator, trend and stack. Every string
// from the dump was made safe by stackparse; Text adds no control bytes.
func Text(w io.Writer, in Input) error {
	bw := bufio.NewWriter(w)
	groups := in.groups()
	fmt.Fprintf(bw, "gorotop snapshot of %s at %s\n", stackparse.Clean(in.Source, 0), in.TakenAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(bw, "%s goroutines in %s groups\n", human.Count(in.Snap.Total), human.Count(len(groups)))
	if in.Snap.Truncated {
		fmt.Fprintf(bw, "TRUNCATED: the dump was cut off after %s bytes; counts are a lower bound\n", human.Count(int(in.Snap.Bytes)))
	}
	if log := in.Snap.Log.String(); log != "" {
		fmt.Fprintf(bw, "read from a %s, its per-line prefix taken off\n", log)
	}
	for _, warn := range in.Snap.Warnings {
		fmt.Fprintf(bw, "warning: %s\n", stackparse.Clean(warn, 0))
	}
	if in.History != nil {
		suspects, rises := len(in.History.Suspects()), len(in.History.Rises())
		switch {
		case suspects > 0 && rises > 0:
			fmt.Fprintf(bw, "%d suspected leak(s), %d rising\n", suspects, rises)
		case suspects > 0:
			fmt.Fprintf(bw, "%d suspected leak(s)\n", suspects)
		case rises > 0:
			fmt.Fprintf(bw, "no suspected leak; %d group(s) rising, not yet confirmed\n", rises)
		default:
			fmt.Fprintf(bw, "no suspected leak\n")
		}
	}
	for i, g := range groups {
		fmt.Fprintf(bw, "\n#%d  %s  %s", i+1, human.Count(g.Count()), g.State)
		if g.WritesDump() {
			fmt.Fprintf(bw, ", %s", WriterNote)
		}
		if g.WaitMax > 0 {
			fmt.Fprintf(bw, "  waiting %s", waitRange(g.WaitMin, g.WaitMax))
		}
		if g.Leaked > 0 {
			fmt.Fprintf(bw, "  PROVEN LEAKED: %s", human.Count(g.Leaked))
		}
		if g.Locked {
			fmt.Fprintf(bw, "  locked to thread")
		}
		fmt.Fprintln(bw)
		if tr := in.trendOf(g); tr != nil {
			switch {
			case tr.Suspect:
				fmt.Fprintf(bw, "    SUSPECTED LEAK: %s\n", tr.Reason)
			case tr.Rising:
				fmt.Fprintf(bw, "    RISING: %s\n", tr.Reason)
			case tr.Stuck:
				fmt.Fprintf(bw, "    stuck: %s\n", tr.Reason)
			}
			fmt.Fprintf(bw, "    trend: %s/min over %d polls, %d born, %d exited\n", human.ReportGrowth(tr.GrowthPerMin), len(tr.History), tr.Born, tr.Exited)
		}
		if f := g.BlockedAt(); f != nil {
			fmt.Fprintf(bw, "    %s\n", Where(g, *f))
		}
		if g.CreatedBy != nil {
			fmt.Fprintf(bw, "    created by %s  %s\n", g.CreatedBy.Site(), g.CreatedBy.Func)
		}
		for key, set := range labelCounts(g) {
			fmt.Fprintf(bw, "    label %s: %s\n", key, formatLabelSet(set))
		}
		fmt.Fprintf(bw, "    goroutines: %s\n", idsText(g))
		fmt.Fprintf(bw, "    stack:\n")
		for j, f := range g.Frames {
			mark := "  "
			if j == g.Blocking {
				mark = "> "
			}
			fmt.Fprintf(bw, "    %s%s\n          %s:%d\n", mark, f.Func, f.File, f.Line)
		}
		if g.Elided {
			fmt.Fprintf(bw, "      ...frames elided...\n")
		}
	}
	return bw.Flush()
}

// WriterNote is what exports say of the goroutines that wrote the dump
// (stackparse.Group.WritesDump): the request that fetched it (gorotop's
// own poll, for a live target), which runs rather than waits.
const WriterNote = "writing this dump"

// Where says what a group's goroutines do at frame f, their blocking
// frame: "blocked at queue.go:88  app/queue.(*MemQueue).scheduleFlush.func1",
// or for the goroutines that wrote the dump "writing this dump at
// pprof.go:273  net/http/pprof.handler.ServeHTTP".
func Where(g *stackparse.Group, f stackparse.Frame) string {
	verb := "blocked at"
	if g.WritesDump() {
		verb = "writing this dump at"
	}
	return fmt.Sprintf("%s %s  %s", verb, f.Site(), f.Func)
}

func waitRange(lo, hi int) string {
	if lo == hi {
		return fmt.Sprintf("%dm", hi)
	}
	return fmt.Sprintf("%d-%dm", lo, hi)
}

// idsText lists a group's goroutine IDs, or says why there are none.
func idsText(g *stackparse.Group) string {
	if ids := g.IDs(); len(ids) > 0 || !g.Counted() {
		return formatIDs(ids)
	}
	return "counted, not listed: the input has no goroutine IDs"
}

func formatIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i == idsShown {
			fmt.Fprintf(&b, " … (%s more)", human.Count(len(ids)-idsShown))
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func formatLabelSet(set LabelSet) string {
	var parts []string
	for v, n := range set {
		// v is clean already: quoting it again would escape its escapes.
		parts = append(parts, `"`+strings.ReplaceAll(v, `"`, `\"`)+`"×`+strconv.Itoa(n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
