package diff

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/stackparse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const dumps = "../../testdata/dumps"

// multi returns the three dumps of testdata/dumps/multi.txt: a pool of 8
// that stays, a leak growing by 10 a dump, a burst of 5 in the second
// only, and the goroutine writing each dump.
func multi(t *testing.T) []*stackparse.Snapshot {
	t.Helper()
	f, err := os.Open(filepath.Join(dumps, "multi.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var snaps []*stackparse.Snapshot
	err = stackparse.NewParser(stackparse.GroupCode).ParseEach(f, func(s *stackparse.Snapshot) error {
		snaps = append(snaps, s)
		return nil
	})
	if err != nil || len(snaps) != 3 {
		t.Fatalf("multi.txt: %d dumps, %v", len(snaps), err)
	}
	return snaps
}

// parse reads one dump of testdata/dumps.
func parse(t *testing.T, name string) *stackparse.Snapshot {
	t.Helper()
	f, err := os.Open(filepath.Join(dumps, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := stackparse.Parse(f, stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

var (
	t0 = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	t1 = t0.Add(10 * time.Minute)
)

// row is a group of a Result as a test expects it.
type row struct {
	fn            string // blocking function, else innermost
	change        Change
	base, current int
}

func rows(r *Result) []row {
	out := make([]row, len(r.Groups))
	for i, g := range r.Groups {
		out[i] = row{g.Group.Top().Func, g.Change, g.Base, g.Current}
	}
	return out
}

func TestCompare(t *testing.T) {
	m := multi(t)
	const (
		leak   = "main.(*memQueue).scheduleFlush.func1"
		pool   = "main.blockedRecv"
		burst  = "main.burstWorker"
		writer = "main.childMulti" // the goroutine writing the dumps
	)
	cases := []struct {
		name          string
		base, current *stackparse.Snapshot
		want          []row // in Result order
		counts        Counts
		delta         int
	}{
		{
			name: "leak grows, burst appears", base: m[0], current: m[1],
			want:   []row{{leak, Grew, 10, 20}, {burst, Appeared, 0, 5}, {pool, Same, 8, 8}, {writer, Same, 1, 1}},
			counts: Counts{Grew: 1, Appeared: 1, Same: 2}, delta: 15,
		},
		{
			name: "leak grows, burst vanishes", base: m[1], current: m[2],
			want:   []row{{leak, Grew, 20, 30}, {burst, Vanished, 5, 0}, {pool, Same, 8, 8}, {writer, Same, 1, 1}},
			counts: Counts{Grew: 1, Vanished: 1, Same: 2}, delta: 5,
		},
		{
			name: "first to last", base: m[0], current: m[2],
			want:   []row{{leak, Grew, 10, 30}, {pool, Same, 8, 8}, {writer, Same, 1, 1}},
			counts: Counts{Grew: 1, Same: 2}, delta: 20,
		},
		{
			name: "backwards: the leak shrinks", base: m[2], current: m[0],
			want:   []row{{leak, Shrank, 30, 10}, {pool, Same, 8, 8}, {writer, Same, 1, 1}},
			counts: Counts{Shrank: 1, Same: 2}, delta: -20,
		},
		{
			name: "backwards over the burst", base: m[1], current: m[0],
			want:   []row{{leak, Shrank, 20, 10}, {burst, Vanished, 5, 0}, {pool, Same, 8, 8}, {writer, Same, 1, 1}},
			counts: Counts{Shrank: 1, Vanished: 1, Same: 2}, delta: -15,
		},
		{
			name: "itself", base: m[1], current: m[1],
			want:   []row{{leak, Same, 20, 20}, {pool, Same, 8, 8}, {burst, Same, 5, 5}, {writer, Same, 1, 1}},
			counts: Counts{Same: 4}, delta: 0,
		},
		{
			// Two processes of the same program: the same code has the same
			// keys. Only the goroutine that made the dump differs: the
			// profile writer is gone, the crash's goroutines came.
			name: "another process of the same code", base: parse(t, "pprof-debug2.txt"), current: parse(t, "gotraceback-all.txt"),
			want:   []row{{"main.childCrash", Appeared, 0, 1}, {"main.crasher", Appeared, 0, 1}, {"main.writeProfile", Vanished, 1, 0}},
			counts: Counts{Appeared: 2, Vanished: 1, Same: 15}, delta: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Compare(Side{Source: "base", TakenAt: t0, Snap: c.base}, Side{Source: "current", TakenAt: t1, Snap: c.current})
			got := rows(r)
			if len(c.want) < len(got) {
				// Only the first rows are listed: the rest must be unchanged.
				for _, g := range got[len(c.want):] {
					if g.change != Same {
						t.Errorf("unexpected change %+v", g)
					}
				}
				got = got[:len(c.want)]
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("groups:\n got %+v\nwant %+v", got, c.want)
			}
			if r.Counts != c.counts {
				t.Errorf("counts %+v, want %+v", r.Counts, c.counts)
			}
			if r.Delta() != c.delta {
				t.Errorf("delta %d, want %d", r.Delta(), c.delta)
			}
			sum := 0
			for _, g := range r.Groups {
				sum += g.Delta()
			}
			if sum != r.Delta() {
				t.Errorf("group deltas add up to %d, the totals differ by %d", sum, r.Delta())
			}
		})
	}
}

// TestCompareByKeyOnly: a group whose blocking line moved is another
// group, even with the same function and count.
func TestCompareByKeyOnly(t *testing.T) {
	base := &stackparse.Snapshot{Total: 3, Groups: []*stackparse.Group{
		{Key: "a", State: "chan receive", Frames: []stackparse.Frame{{Func: "main.f", File: "/src/f.go", Line: 10}}, Goroutines: make([]stackparse.Goroutine, 3)},
	}}
	current := &stackparse.Snapshot{Total: 3, Groups: []*stackparse.Group{
		{Key: "b", State: "chan receive", Frames: []stackparse.Frame{{Func: "main.f", File: "/src/f.go", Line: 11}}, Goroutines: make([]stackparse.Goroutine, 3)},
	}}
	r := Compare(Side{Snap: base}, Side{Snap: current})
	want := []row{{"main.f", Appeared, 0, 3}, {"main.f", Vanished, 3, 0}}
	if got := rows(r); !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestOrder: growth by size, then loss by size, then the unchanged by
// size; equal changes by size in CURRENT.
func TestOrder(t *testing.T) {
	group := func(key string, n int) *stackparse.Group {
		return &stackparse.Group{Key: key, Blocking: -1, Frames: []stackparse.Frame{{Func: key}}, Goroutines: make([]stackparse.Goroutine, n)}
	}
	snap := func(gs ...*stackparse.Group) *stackparse.Snapshot {
		s := &stackparse.Snapshot{Groups: gs}
		for _, g := range gs {
			s.Total += g.Count()
		}
		return s
	}
	base := snap(group("grew2", 1), group("shrank1", 5), group("vanished9", 9), group("same4", 4), group("same7", 7), group("grew5", 5))
	current := snap(group("grew2", 3), group("shrank1", 4), group("same4", 4), group("same7", 7), group("grew5", 10), group("appeared2", 2))
	r := Compare(Side{Snap: base}, Side{Snap: current})
	var keys []string
	for _, g := range r.Groups {
		keys = append(keys, g.Key)
	}
	want := []string{"grew5", "grew2", "appeared2", "vanished9", "shrank1", "same7", "same4"}
	if !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
}

// TestJSON checks the gorotop/diff/v1 document: its names and values.
func TestJSON(t *testing.T) {
	m := multi(t)
	r := Compare(Side{Source: "before.txt", TakenAt: t0, Snap: m[1]}, Side{Source: "after.txt", TakenAt: t1, Snap: m[2]})
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != "gorotop/diff/v1" || doc["delta"] != 5.0 {
		t.Errorf("schema %v delta %v", doc["schema"], doc["delta"])
	}
	base := doc["base"].(map[string]any)
	if base["source"] != "before.txt" || base["taken_at"] != "2026-11-25T19:00:00Z" || base["total"] != 34.0 {
		t.Errorf("base %v", base)
	}
	if cur := doc["current"].(map[string]any); cur["source"] != "after.txt" || cur["taken_at"] != "2026-11-25T19:10:00Z" || cur["total"] != 39.0 {
		t.Errorf("current %v", cur)
	}
	if s := doc["summary"].(map[string]any); s["grew"] != 1.0 || s["vanished"] != 1.0 || s["same"] != 2.0 || s["appeared"] != 0.0 || s["shrank"] != 0.0 {
		t.Errorf("summary %v", s)
	}
	groups := doc["groups"].([]any)
	if len(groups) != 4 {
		t.Fatalf("%d groups, want 4", len(groups))
	}
	first := groups[0].(map[string]any)
	for _, name := range []string{"key", "state", "blocked_at", "created_by", "base_count", "current_count", "delta", "change"} {
		if _, ok := first[name]; !ok {
			t.Errorf("group has no %q: %v", name, first)
		}
	}
	blocked := first["blocked_at"].(map[string]any)
	created := first["created_by"].(map[string]any)
	if first["change"] != "grew" || first["base_count"] != 20.0 || first["current_count"] != 30.0 || first["delta"] != 10.0 ||
		first["state"] != "chan receive" || blocked["func"] != "main.(*memQueue).scheduleFlush.func1" || blocked["line"] != 160.0 ||
		created["func"] != "main.(*memQueue).scheduleFlush" {
		t.Errorf("first group %v", first)
	}
	if second := groups[1].(map[string]any); second["change"] != "vanished" || second["current_count"] != 0.0 || second["delta"] != -5.0 {
		t.Errorf("second group %v", second)
	}
}

// TestText compares the text of two diffs with golden files; rewrite them
// with go test ./internal/diff -update.
func TestText(t *testing.T) {
	m := multi(t)
	cases := []struct {
		golden        string
		base, current *stackparse.Snapshot
	}{
		{"multi-2-3.txt", m[1], m[2]},
		{"multi-1-2.txt", m[0], m[1]},
		{"same.txt", m[0], m[0]},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			r := Compare(Side{Source: "before.txt", TakenAt: t0, Snap: c.base}, Side{Source: "after.txt", TakenAt: t1, Snap: c.current})
			var buf bytes.Buffer
			if err := Text(&buf, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/diff -update)", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("text differs from %s:\n%s", path, got)
			}
			if strings.ContainsAny(buf.String(), "\x1b\r") {
				t.Errorf("control bytes in the text")
			}
		})
	}
}

// TestJSONSourceClean diffs snapshots whose sources (a recording's stored
// source, a file name) carry escapes and a line separator: the document
// holds them as visible text, so that `jq -r .base.source` prints no
// control sequence.
func TestJSONSourceClean(t *testing.T) {
	m := multi(t)
	r := Compare(Side{Source: "before\x1b]52;c;eA==\x07.txt", TakenAt: t0, Snap: m[1]}, Side{Source: "after\u2028\x1b[2J.txt", TakenAt: t1, Snap: m[2]})
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Base, Current struct{ Source string } }
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Base.Source != `before\x1b]52;c;eA==\x07.txt` || doc.Current.Source != `after\u2028\x1b[2J.txt` {
		t.Fatalf("sources %q and %q, want the escapes shown", doc.Base.Source, doc.Current.Source)
	}
}

// TestCompareWithProfile: a dump against a ?debug=1 or pprof profile of
// the same process, taken a moment after, is compared by stack: every
// group is the same but the goroutine writing each, which ran other code.
func TestCompareWithProfile(t *testing.T) {
	dump := parse(t, "pprof-debug2.txt")
	for _, name := range []string{"pprof-debug1.txt", "pprof-debug0.pb.gz"} {
		prof := parse(t, name)
		for _, r := range []*Result{
			Compare(Side{Source: "dump", TakenAt: t0, Snap: dump}, Side{Source: name, TakenAt: t1, Snap: prof}),
			Compare(Side{Source: name, TakenAt: t0, Snap: prof}, Side{Source: "dump", TakenAt: t1, Snap: dump}),
		} {
			if !r.ByStack || r.Counts != (Counts{Appeared: 1, Vanished: 1, Same: 15}) || r.Delta() != 0 {
				t.Errorf("%s: by stack %v, counts %+v, delta %d", name, r.ByStack, r.Counts, r.Delta())
			}
			for _, g := range r.Groups {
				if g.Change != Same && g.Group.Top().Func != "main.writeProfile" {
					t.Errorf("%s: %s %s", name, g.Group.Top(), g.Change)
				}
			}
		}
	}
	// Two profiles, or two dumps, are compared as they are.
	if r := Compare(Side{Snap: dump}, Side{Snap: dump}); r.ByStack {
		t.Error("two dumps compared by stack")
	}
}
