package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gorotop/gorotop/internal/testproc"
)

// BenchmarkHostileMemory takes a snapshot with the real binary of dumps no
// Go runtime prints but a hostile or broken target can serve, written by
// testdata/hostiledump, and reports gorotop's peak resident set and the
// dump's size:
//
//	go test ./cmd/gorotop -run '^$' -bench HostileMemory -benchtime 1x
func BenchmarkHostileMemory(b *testing.B) {
	bin := testproc.BuildGorotop(b)
	gen := testproc.BuildHostileDump(b)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"one-goroutine-3M-frames", []string{"deep", "-frames", "3000000"}},
		{"1M-distinct-stacks", []string{"shapes", "-n", "1000000"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			dump := filepath.Join(dir, "dump.txt")
			f, err := os.Create(dump)
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(gen, c.args...)
			cmd.Stdout = f
			if err := cmd.Run(); err != nil {
				b.Fatalf("hostiledump %v: %v", c.args, err)
			}
			f.Close()
			info, _ := os.Stat(dump)
			var rss int64
			for b.Loop() {
				code, _, stderr, _, peak := runBin(b, bin, nil, "snapshot", "--format", "json", "--force", "-o", filepath.Join(dir, "out.json"), dump)
				if code != exitOK {
					b.Fatalf("exit %d: %s", code, stderr)
				}
				rss = max(rss, peak)
			}
			b.ReportMetric(float64(info.Size())/1e6, "dump-MB")
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
		})
	}
}
