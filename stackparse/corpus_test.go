package stackparse

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// corpusDir is the shared corpus of real dumps; it is not part of the
// repository and may be absent.
const corpusDir = "../../shared/corpus"

type corpusFile struct {
	name  string
	total int
}

// loadCorpus reads MANIFEST.tsv, skipping the test when the corpus is not
// there.
func loadCorpus(t testing.TB) []corpusFile {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("shared corpus not found (%v): skipping the corpus tests", err)
	}
	defer f.Close()
	var out []corpusFile
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 {
			continue
		}
		n, err := strconv.Atoi(cols[4])
		if err != nil {
			t.Fatalf("MANIFEST.tsv: %s: goroutines column %q", cols[0], cols[4])
		}
		out = append(out, corpusFile{name: cols[0], total: n})
	}
	if len(out) == 0 {
		t.Fatal("MANIFEST.tsv lists no files")
	}
	return out
}

func TestCorpusTotals(t *testing.T) {
	for _, cf := range loadCorpus(t) {
		t.Run(cf.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(corpusDir, cf.name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			snap, err := Parse(f, GroupCode)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Total != cf.total {
				t.Errorf("total = %d, MANIFEST.tsv says %d", snap.Total, cf.total)
			}
			sum := 0
			for _, g := range snap.Groups {
				sum += g.Count()
				if len(g.Frames) == 0 {
					t.Errorf("group %s (%s) has no frames", g.Key, g.State)
				}
			}
			if sum != snap.Total {
				t.Errorf("groups hold %d goroutines, total says %d", sum, snap.Total)
			}
			for _, w := range snap.Warnings {
				t.Logf("warning: %s", w)
			}
			if cf.total == 0 && len(snap.Warnings) == 0 {
				t.Errorf("no goroutines and no warning saying why")
			}
		})
	}
}

// TestCorpusMatchesReference checks that the Parser's groups are those of
// the plain panicparse path on every corpus file.
func TestCorpusMatchesReference(t *testing.T) {
	for _, cf := range loadCorpus(t) {
		t.Run(cf.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(corpusDir, cf.name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(bytes.NewReader(in), GroupCode)
			if err != nil {
				t.Fatal(err)
			}
			compareSnapshots(t, got, referenceParse(t, in))
		})
	}
}

// compareSnapshots fails the test where two snapshots' groups differ.
func compareSnapshots(t *testing.T, got, want *Snapshot) {
	t.Helper()
	if got.Total != want.Total {
		t.Errorf("total = %d, reference %d", got.Total, want.Total)
	}
	if len(got.Groups) != len(want.Groups) {
		t.Errorf("%d groups, reference %d", len(got.Groups), len(want.Groups))
	}
	for i := range min(len(got.Groups), len(want.Groups)) {
		g, w := got.Groups[i], want.Groups[i]
		if g.Key != w.Key {
			t.Errorf("group %d: key %s (%s), reference %s (%s)", i, g.Key, g.Top(), w.Key, w.Top())
			continue
		}
		if !slices.Equal(g.IDs(), w.IDs()) {
			t.Errorf("group %s: IDs %v, reference %v", g.Key, g.IDs(), w.IDs())
		}
		if !maps.Equal(g.States, w.States) || g.State != w.State {
			t.Errorf("group %s: state %q %v, reference %q %v", g.Key, g.State, g.States, w.State, w.States)
		}
		if g.WaitMin != w.WaitMin || g.WaitMax != w.WaitMax {
			t.Errorf("group %s: wait %d-%d, reference %d-%d", g.Key, g.WaitMin, g.WaitMax, w.WaitMin, w.WaitMax)
		}
		if !slices.Equal(g.Frames, w.Frames) || g.Blocking != w.Blocking {
			t.Errorf("group %s: frames differ:\n%v\nreference:\n%v", g.Key, g.Frames, w.Frames)
		}
		if (g.CreatedBy == nil) != (w.CreatedBy == nil) || g.CreatedBy != nil && *g.CreatedBy != *w.CreatedBy {
			t.Errorf("group %s: created by %v, reference %v", g.Key, g.CreatedBy, w.CreatedBy)
		}
		if g.Leaked != w.Leaked || g.Locked != w.Locked || g.Elided != w.Elided {
			t.Errorf("group %s: leaked/locked/elided %d/%v/%v, reference %d/%v/%v", g.Key, g.Leaked, g.Locked, g.Elided, w.Leaked, w.Locked, w.Elided)
		}
		ga, wa := slices.Clone(g.Goroutines), slices.Clone(w.Goroutines)
		slices.SortFunc(ga, byID)
		slices.SortFunc(wa, byID)
		for j := range min(len(ga), len(wa)) {
			a, b := ga[j], wa[j]
			if a.Parent != b.Parent || a.WaitMinutes != b.WaitMinutes || a.State != b.State {
				t.Errorf("group %s: goroutine %d: %+v, reference %+v", g.Key, a.ID, a, b)
				break
			}
		}
	}
}

// TestCorpusSmallWindows parses the corpus through windows so small that
// every goroutine crosses the edge of one, and reads one byte at a time.
func TestCorpusSmallWindows(t *testing.T) {
	files := loadCorpus(t)
	for _, size := range []int{16, 97, 1000} {
		for _, cf := range files {
			in, err := os.ReadFile(filepath.Join(corpusDir, cf.name))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Parse(bytes.NewReader(in), GroupCode)
			lim := defaultLimits()
			lim.window = size
			got, err := parseWith(lim, iotest.OneByteReader(bytes.NewReader(in)))
			if err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("%d/%s", size, cf.name), func(t *testing.T) {
				compareSnapshots(t, got, want)
				if got.Bytes != int64(len(in)) {
					t.Errorf("read %d bytes of %d", got.Bytes, len(in))
				}
			})
		}
	}
}
