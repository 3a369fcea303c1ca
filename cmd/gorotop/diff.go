package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/gorotop/gorotop/internal/diff"
	"github.com/gorotop/gorotop/internal/poll"
	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

const diffUsage = `Usage: gorotop diff [flags] BASE CURRENT

Compare two snapshots group by group: which groups appeared, grew, shrank
or vanished from BASE to CURRENT, biggest growth first, with each group's
state, blocking site, function and creator; unchanged groups are counted.
BASE and CURRENT are anything 'gorotop snapshot' reads (a saved dump, a
SIGQUIT or panic log, a URL or host:port, - for standard input in one of
the two), each grouped with --group, and compared the way snapshot shows
them (of a directory or a recording, its first dump). Groups are matched
by key: the same code locations, lines included, and state. When one side
is a profile (?debug=1 or pprof: counts per stack, no states or creators),
the other is compared as its profile would be: by stack alone.

--format json writes one gorotop/diff/v1 object: base and current
(source, taken_at, total), the total's delta, a summary of the changes,
and every group (key, state, blocked_at, created_by, base_count,
current_count, delta, change: appeared, grew, shrank, vanished or same).

Exit status: 0 when the diff was written, whatever it shows; 2 on a usage
error or input that is not a goroutine dump.

Examples:
  gorotop snapshot -o before.txt :6060; sleep 600; gorotop snapshot -o after.txt :6060
  gorotop diff before.txt after.txt
  curl -s 'localhost:6060/debug/pprof/goroutine?debug=2' | gorotop diff before.txt -
  gorotop diff before.txt :6060
  gorotop diff --format json -o growth.json before.txt after.txt
`

func runDiff(ctx context.Context, o options, rest []string, e env) error {
	if len(rest) != 2 {
		return usagef("diff", "want BASE and CURRENT, got %d argument(s)", len(rest))
	}
	if rest[0] == "-" && rest[1] == "-" {
		return usagef("diff", "only one of BASE and CURRENT can be - (standard input)")
	}
	if !slices.Contains(diff.Formats, o.format) {
		return usagef("diff", "--format: diff writes %s, not %q", orList(diff.Formats), o.format)
	}
	g, err := stackparse.ParseGrouping(o.group)
	if err != nil {
		return usagef("diff", "--group: %v", err)
	}
	base, err := diffSide(ctx, rest[0], &o, g, e.stdin)
	if err != nil {
		return err
	}
	current, err := diffSide(ctx, rest[1], &o, g, e.stdin)
	if err != nil {
		return err
	}
	r := diff.Compare(base, current)
	return writeOutput(ctx, o.output, o.force, e.stdout, func(w io.Writer) error { return diff.Write(w, o.format, r) })
}

// diffSide reads one side of a diff: the snapshot `gorotop snapshot`
// would show of target.
func diffSide(ctx context.Context, target string, o *options, g stackparse.Grouping, stdin io.Reader) (diff.Side, error) {
	if err := oneProcess("diff", target); err != nil {
		return diff.Side{}, err
	}
	t, err := source.ParseTarget(target)
	if err != nil {
		return diff.Side{}, err
	}
	src, err := source.Open(t, o.sourceOptions(stdin))
	if err != nil {
		return diff.Side{}, err
	}
	l := poll.NewLoop(src, poll.Options{Groupings: []stackparse.Grouping{g}})
	defer l.Close()
	s, err := l.Next(ctx)
	if errors.Is(err, io.EOF) {
		return diff.Side{}, fmt.Errorf("%s: no goroutine dump found", src)
	}
	if err != nil {
		return diff.Side{}, err
	}
	return diff.Side{Source: s.Meta.Source, TakenAt: s.Meta.At, Snap: s.Snap}, nil
}
