package benchdump

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// countHeaders counts the goroutine headers of a dump file.
func countHeaders(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(b, []byte("\ngoroutine "))
	if bytes.HasPrefix(b, []byte("goroutine ")) {
		n++
	}
	return n
}

// TestShort100k generates (or finds cached) the ~27 MB dumps; it takes
// about two minutes the first time.
func TestShort100k(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100 000 goroutines")
	}
	if os.Getenv("GOROTOP_BENCHDUMP") != "1" {
		t.Skip("set GOROTOP_BENCHDUMP=1 to generate the benchmark dumps (about 2 minutes)")
	}
	for _, kind := range []Kind{Short100k, Short100kWarm} {
		start := time.Now()
		path, err := Path(kind)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := countHeaders(t, path); got != 100000 {
			t.Errorf("%v: %d goroutine headers, want 100000", kind, got)
		}
		t.Logf("%v: %s, %d bytes, in %v", kind, path, fi.Size(), time.Since(start).Round(time.Millisecond))
	}
}

// TestGenerateSmall runs the generator with few goroutines and no waits,
// so that it cannot rot unnoticed.
func TestGenerateSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the generator")
	}
	for _, tc := range []struct {
		family string
		files  []string
	}{
		{"short", []string{"base.txt", "warm.txt"}},
		{"deep", []string{"base.txt", "warm.txt", "cut.txt"}},
	} {
		t.Run(tc.family, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tc.family)
			if err := generate(tc.family, dir, "-n", "2000", "-settle", "0", "-gap", "0"); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if got := countHeaders(t, filepath.Join(dir, f)); got != 2000 {
					t.Errorf("%s: %d goroutine headers, want 2000", f, got)
				}
			}
			// The profiles of the base dump's moment, labelled.
			d1, err := os.ReadFile(filepath.Join(dir, "base-debug1.txt"))
			if err != nil || !bytes.HasPrefix(d1, []byte("goroutine profile: total 2000\n")) || !bytes.Contains(d1, []byte(`# labels: {"spawner":"s`)) {
				t.Errorf("base-debug1.txt: %.60q, %v", d1, err)
			}
			pb, err := os.ReadFile(filepath.Join(dir, "base.pb.gz"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := profile.ParseData(pb)
			if err != nil {
				t.Fatal(err)
			}
			n := int64(0)
			for _, s := range p.Sample {
				n += s.Value[0]
			}
			if n != 2000 || len(p.Sample[0].Label["tenant"]) != 1 {
				t.Errorf("base.pb.gz: %d goroutines, labels %v", n, p.Sample[0].Label)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for kind, want := range map[Kind]string{
		Short100k: "short100k", Deep100kWarm: "deep100k-warm", Deep100kCut: "deep100k-cut", Kind(9): "Kind(9)",
	} {
		if got := kind.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(kind), got, want)
		}
	}
}
