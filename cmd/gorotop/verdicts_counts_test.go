package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/gorotop/gorotop/internal/testproc"
)

// profileSeries fetches n ?debug=1 profiles of each process of addrs,
// every gap, into files of a new directory per process named in time
// order; each file's modification time is when it was fetched, as curl
// in a loop leaves it.
func profileSeries(t *testing.T, n int, gap time.Duration, addrs ...string) []string {
	t.Helper()
	dirs := make([]string, len(addrs))
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	for i := range n {
		if i > 0 {
			time.Sleep(gap)
		}
		for j, addr := range addrs {
			body := testproc.Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=1")
			if err := os.WriteFile(filepath.Join(dirs[j], fmt.Sprintf("goroutines-%03d.txt", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dirs
}

// TestCheckProfileSeries: a check over a directory of ?debug=1 profiles,
// fetched 3 s apart for 36 s as a cron job would, judges growth from the
// counts alone: a leaking process fails it, naming the leak; a healthy
// one (a pool, churn, bursts that drain, fixed waiters) passes.
func TestCheckProfileSeries(t *testing.T) {
	t.Parallel()
	leaking := testproc.StartLeaky(t, "-mode", "steady,pool,churn", "-steady-rate", "20")
	healthy := testproc.StartLeaky(t, "-mode", "healthy", "-burst-every", "3s")
	waitGoroutines(t, leaking, 10)
	waitGoroutines(t, healthy, 10)
	dirs := profileSeries(t, 13, 3*time.Second, leaking, healthy)
	leakDir, healthyDir := dirs[0], dirs[1]

	code, out, errOut := runIn(t, "", "check", leakDir)
	if code != exitLeak || !strings.Contains(out, "main.steadyLeak") || strings.Contains(out, "main.poolWorker") || strings.Contains(out, "main.churnTask") {
		t.Errorf("check of a leaking process's profiles: exit %d (want 1 naming main.steadyLeak only), stderr %q:\n%s", code, errOut, out)
	}
	// The pprof of that check marks the leak's sample rising.
	pb := filepath.Join(t.TempDir(), "check.pb.gz")
	if code, _, errOut := runIn(t, "", "check", "--format", "pprof", "-o", pb, leakDir); code != exitLeak {
		t.Errorf("check --format pprof: exit %d, stderr %q", code, errOut)
	} else if f, err := os.Open(pb); err != nil {
		t.Error(err)
	} else {
		defer f.Close()
		p, err := profile.Parse(f)
		if err != nil {
			t.Fatal(err)
		}
		rising := map[string]string{}
		for _, s := range p.Sample {
			for _, loc := range s.Location {
				for _, l := range loc.Line {
					if r := s.Label["rising"]; len(r) == 1 && strings.HasPrefix(l.Function.Name, "main.") {
						rising[l.Function.Name] = r[0]
					}
				}
			}
		}
		if rising["main.steadyLeak"] != "true" || rising["main.poolWorker"] != "false" {
			t.Errorf("rising labels by function: %v", rising)
		}
	}
	code, out, errOut = runIn(t, "", "check", healthyDir)
	if code != exitOK {
		t.Errorf("check of a healthy process's profiles: exit %d (want 0), stderr %q:\n%s", code, errOut, out)
	}

	// The UI replays both directories: the leak's row is marked rising,
	// and nothing of the healthy process is.
	bin := testproc.BuildGorotop(t)
	leakPane := startPane(t, bin+" --no-color "+leakDir)
	healthyPane := startPane(t, bin+" --no-color "+healthyDir)
	rising := regexp.MustCompile(`(?m)^[> ]?↑ +[\d ]+ .*counts only +- +main\.go:\d+ +main\.steadyLeak`)
	leakPane.waitFor(90*time.Second, "the leak marked rising", func(s string) bool {
		return rising.MatchString(s) && strings.Contains(s, "replay ended")
	})
	s := healthyPane.waitFor(30*time.Second, "the healthy replay's end", func(s string) bool { return strings.Contains(s, "replay ended") })
	if strings.Contains(s, "↑") || strings.Contains(s, "rising") {
		t.Errorf("the healthy process's profiles are marked:\n%s", s)
	}
}
