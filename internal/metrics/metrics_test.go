package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/gorotop/gorotop/internal/metrics"
	"github.com/gorotop/gorotop/internal/testproc"
	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// families are a scrape, by metric family name.
type families map[string]*dto.MetricFamily

// scrape GETs url with an Accept header ("" for none) and decodes the
// body in the format the response names.
func scrape(t *testing.T, url, accept string) (families, *http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	fams := families{}
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.ResponseFormat(resp.Header))
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode %s (%s): %v\n%s", url, resp.Header.Get("Content-Type"), err, body)
		}
		fams[strings.TrimSuffix(mf.GetName(), "_total")] = mf
	}
	return fams, resp, body
}

// series returns the samples of a family (named without "_total") whose
// labels include want.
func (f families) series(name string, want map[string]string) []*dto.Metric {
	mf := f[strings.TrimSuffix(name, "_total")]
	if mf == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, m)
		}
	}
	return out
}

// value returns the value of the one sample of a family with labels
// want, and fails the test unless there is exactly one.
func (f families) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	ms := f.series(name, want)
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d samples, want 1", name, want, len(ms))
	}
	m := ms[0]
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s%v: no value", name, want)
	return 0
}

// labelsOf returns a sample's labels.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// poll fetches a full dump of a real process over HTTP, parses it and
// observes it at time at; it returns the snapshot and what the poll cost.
func poll(t *testing.T, addr string, p *stackparse.Parser, tr *track.Tracker, at time.Time) (*stackparse.Snapshot, metrics.Cost) {
	t.Helper()
	began := time.Now()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=2")
	if err != nil {
		t.Fatal(err)
	}
	wait := time.Since(began)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := p.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tr.Observe(at, snap)
	return snap, metrics.Cost{Kind: "full", Duration: time.Since(began), Stall: wait, Bytes: int64(len(body))}
}

// countsPoll fetches the target's ?debug=1 profile, as a cheap poll does,
// and files its counts, mapped onto the last full dump's groups, with
// the tracker.
func countsPoll(t *testing.T, addr string, last *stackparse.Snapshot, g stackparse.Grouping, tr *track.Tracker, at time.Time) *stackparse.Snapshot {
	t.Helper()
	prof, err := stackparse.ParseProfile(strings.NewReader(testproc.Fetch(t, "http://"+addr+"/debug/pprof/goroutine?debug=1")))
	if err != nil {
		t.Fatal(err)
	}
	snap := prof.Estimate(last, g)
	tr.ObserveCounts(at, snap)
	return snap
}

// TestScrapeLeakyTarget polls a real leaking process, feeds a tracker,
// and scrapes the exporter over HTTP in both formats: the series say what
// the tracker says, the leak is a suspect and the worker pool is not.
func TestScrapeLeakyTarget(t *testing.T) {
	addr := testproc.StartLeaky(t, "-mode", "steady,pool", "-steady-rate", "40", "-pool-workers", "6")
	parser := stackparse.NewParser(stackparse.GroupCode)
	tr := track.New(track.Options{})
	e := metrics.New(metrics.Options{})
	// The tracker's clock is a parameter: polls a few hundred
	// milliseconds apart are observed 5 s apart, so that a leak of 40 a
	// second shows as spread over time, as a slower one polled every 5 s
	// would.
	start := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	var (
		last          *stackparse.Snapshot
		stall, lastCt metrics.Cost
		polls         int
	)
	for i := 0; polls < 6 || len(tr.View().Suspects()) == 0; i++ {
		if i == 20 {
			t.Fatal("no suspect after 20 polls of a steady leak")
		}
		time.Sleep(200 * time.Millisecond)
		last, lastCt = poll(t, addr, parser, tr, start.Add(time.Duration(i)*5*time.Second))
		lastCt.Share = 0.0042
		stall.Stall += lastCt.Stall
		polls++
		if err := e.Update("leaky", tr.View(), lastCt); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()

	for _, accept := range []string{"", "application/openmetrics-text;version=1.0.0"} {
		fams, resp, body := scrape(t, srv.URL, accept)
		ct := resp.Header.Get("Content-Type")
		t.Logf("Accept %q: %s, %d bytes, %d families", accept, ct, len(body), len(fams))
		if accept != "" && (!strings.HasPrefix(ct, "application/openmetrics-text") || !bytes.HasSuffix(body, []byte("# EOF\n"))) {
			t.Errorf("Accept %s: Content-Type %s, ends %q: want OpenMetrics", accept, ct, body[max(0, len(body)-20):])
		}
		target := map[string]string{"target": "leaky"}
		if got := fams.value(t, "gorotop_goroutines", target); got != float64(last.Total) {
			t.Errorf("gorotop_goroutines = %v, want the last dump's %d", got, last.Total)
		}
		if got := fams.value(t, "gorotop_polls_total", map[string]string{"target": "leaky", "kind": "full"}); got != float64(polls) {
			t.Errorf("gorotop_polls_total = %v, want %d", got, polls)
		}
		if got := fams.value(t, "gorotop_stall_seconds_total", target); got != stall.Stall.Seconds() {
			t.Errorf("gorotop_stall_seconds_total = %v, want %v", got, stall.Stall.Seconds())
		}
		if got := fams.value(t, "gorotop_poll_bytes", target); got != float64(lastCt.Bytes) {
			t.Errorf("gorotop_poll_bytes = %v, want %d", got, lastCt.Bytes)
		}
		if got := fams.value(t, "gorotop_stall_share", target); got != 0.0042 {
			t.Errorf("gorotop_stall_share = %v, want 0.0042", got)
		}
		if got := fams.value(t, "gorotop_groups_flagged", map[string]string{"target": "leaky", "verdict": "suspect"}); got != float64(len(tr.View().Suspects())) {
			t.Errorf("suspect groups = %v, want the tracker's %d", got, len(tr.View().Suspects()))
		}
		if got := fams.value(t, "gorotop_last_poll_timestamp_seconds", target); got != float64(tr.View().Last().Unix()) {
			t.Errorf("last poll at %v, want %v", got, tr.View().Last().Unix())
		}

		// Every group of the tracker has its series, with its count and
		// verdicts; the leak is suspected, the pool is not.
		var present int
		for _, tn := range tr.View().Trends() {
			if !tn.Present {
				continue
			}
			present++
			g := map[string]string{"target": "leaky", "group": tn.Key}
			ms := fams.series("gorotop_group_goroutines", g)
			if len(ms) != 1 {
				t.Errorf("group %s (%s): %d series, want 1", tn.Key, tn.Group.Top().Func, len(ms))
				continue
			}
			l := labelsOf(ms[0])
			if l["function"] != tn.Group.Top().Func || l["site"] != tn.Group.Top().Site() || l["state"] != tn.Group.State {
				t.Errorf("group %s labels %v: want %s at %s, %s", tn.Key, l, tn.Group.Top().Func, tn.Group.Top().Site(), tn.Group.State)
			}
			if got := fams.value(t, "gorotop_group_goroutines", g); got != float64(tn.Count) {
				t.Errorf("group %s: %v goroutines, want %d", l["function"], got, tn.Count)
			}
			if got := fams.value(t, "gorotop_group_growth_per_minute", g); got != tn.GrowthPerMin {
				t.Errorf("group %s: growth %v, want %v", l["function"], got, tn.GrowthPerMin)
			}
			wantSuspect := 0.0
			if tn.Suspect {
				wantSuspect = 1
			}
			if got := fams.value(t, "gorotop_group_suspect", g); got != wantSuspect {
				t.Errorf("group %s: suspect %v, want %v", l["function"], got, wantSuspect)
			}
			switch tn.Group.Top().Func {
			case "main.steadyLeak":
				if !tn.Suspect || tn.GrowthPerMin <= 0 {
					t.Errorf("main.steadyLeak: suspect %v, %+.1f/min: want a suspected leak", tn.Suspect, tn.GrowthPerMin)
				}
			case "main.poolWorker":
				if tn.Suspect || tn.Count != 6 {
					t.Errorf("main.poolWorker: %d goroutines, suspect %v: want 6, not suspected", tn.Count, tn.Suspect)
				}
			}
		}
		if n := len(fams.series("gorotop_group_goroutines", target)); n != present {
			t.Errorf("%d group series, want the tracker's %d present groups", n, present)
		}
		if got := fams.value(t, "gorotop_groups_omitted", target); got != 0 {
			t.Errorf("%v groups omitted, want none", got)
		}
		for _, name := range []string{"main.steadyLeak", "main.poolWorker"} {
			if len(fams.series("gorotop_group_goroutines", map[string]string{"function": name})) != 1 {
				t.Errorf("no series for %s", name)
			}
		}
	}

	e.Forget("leaky")
	fams, _, _ := scrape(t, srv.URL, "")
	if n := len(fams.series("gorotop_goroutines", nil)); n != 0 {
		t.Errorf("%d gorotop_goroutines series after Forget, want none", n)
	}

	// A cheap poll after them: the target's goroutines are the profile's
	// count, not the last full dump's.
	time.Sleep(200 * time.Millisecond)
	counts := countsPoll(t, addr, last, parser.Grouping(), tr, start.Add(time.Duration(polls)*5*time.Second))
	if err := e.Update("leaky", tr.View(), metrics.Cost{Kind: "counts"}); err != nil {
		t.Fatal(err)
	}
	fams, _, _ = scrape(t, srv.URL, "")
	if got := fams.value(t, "gorotop_goroutines", map[string]string{"target": "leaky"}); got != float64(counts.Total) || counts.Total <= last.Total {
		t.Errorf("after a cheap poll gorotop_goroutines = %v, want the profile's %d (more than the dump's %d)", got, counts.Total, last.Total)
	}
}

// hostileDump writes a dump of n groups whose function names carry
// control characters, invalid UTF-8 and great length; the first suspects
// groups grow by one goroutine at each poll i.
func hostileDump(n, suspects, i int) string {
	var b strings.Builder
	for g := range n {
		k := 1
		if g < suspects {
			k = 1 + i
		}
		name := fmt.Sprintf("evil/pkg.F%d\x1b[2J\xff%s", g, strings.Repeat("x", 500))
		for j := range k { // each goroutine keeps its ID from poll to poll
			fmt.Fprintf(&b, "goroutine %d [chan receive]:\n%s()\n\t/src/evil/f%d.go:%d +0x1\ncreated by main.main in goroutine 1\n\t/src/main.go:1 +0x1\n\n", 100+g*100+j, name, g, 10+g)
		}
	}
	return b.String()
}

// TestBounds feeds a target with thousands of groups named to break
// terminals and label values: the series stay within the bounds, every
// label value is clean, and what is left out is counted.
func TestBounds(t *testing.T) {
	const groups, suspects = 1000, 12
	opts := metrics.Options{TopGroups: 5, MaxFlagged: 8, MaxTargets: 3}
	e := metrics.New(opts)
	tr := track.New(track.Options{})
	start := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	for i := range 8 {
		snap, err := stackparse.Parse(strings.NewReader(hostileDump(groups, suspects, i)), stackparse.GroupCode)
		if err != nil {
			t.Fatal(err)
		}
		tr.Observe(start.Add(time.Duration(i)*5*time.Second), snap)
	}
	if n := len(tr.View().Suspects()); n != suspects {
		t.Fatalf("the tracker suspects %d groups, want %d", n, suspects)
	}
	for i := range 5 {
		err := e.Update(fmt.Sprintf("pod-%d\x1b]0;owned\x07", i), tr.View(), metrics.Cost{Kind: "\x1bevil"})
		if (i < 3) != (err == nil) || i >= 3 && !errors.Is(err, metrics.ErrTooManyTargets) {
			t.Errorf("Update of target %d: %v", i, err)
		}
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	fams, _, body := scrape(t, srv.URL, "")

	if n := len(fams.series("gorotop_goroutines", nil)); n != 3 {
		t.Errorf("%d targets served, want 3", n)
	}
	if got := fams.value(t, "gorotop_targets_dropped_total", nil); got != 2 {
		t.Errorf("%v targets dropped, want 2", got)
	}
	// Per target: the 5 largest groups (the suspects are the largest)
	// and flagged ones up to 8: 8 series, the others counted.
	for _, m := range fams.series("gorotop_groups_omitted", nil) {
		target := labelsOf(m)["target"]
		rows := fams.series("gorotop_group_goroutines", map[string]string{"target": target})
		if len(rows) != 8 {
			t.Errorf("target %q: %d group series, want 8", target, len(rows))
		}
		if got := m.GetGauge().GetValue(); got != groups-8 {
			t.Errorf("target %q: %v groups omitted, want %d", target, got, groups-8)
		}
		if got := fams.value(t, "gorotop_groups_flagged", map[string]string{"target": target, "verdict": "suspect"}); got != suspects {
			t.Errorf("target %q: %v suspects counted, want all %d", target, got, suspects)
		}
	}
	if n := len(fams.series("gorotop_polls_total", map[string]string{"kind": "other"})); n != 3 {
		t.Errorf("%d polls_total series of kind other, want 3 (an unknown kind is not a label value)", n)
	}
	for _, mf := range fams {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if !utf8.ValidString(v) || strings.ContainsAny(v, "\x1b\x07\n") || utf8.RuneCountInString(v) > 161 {
					t.Errorf("%s: label %s=%q is not clean and short", mf.GetName(), l.GetName(), v)
				}
			}
		}
	}
	if lines := bytes.Count(body, []byte("\n")); lines > 400 {
		t.Errorf("%d lines scraped: the bounds do not hold", lines)
	}
}

// TestServe serves /metrics on a listener until the context ends.
func TestServe(t *testing.T) {
	e := metrics.New(metrics.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, ln) }()
	fams, _, _ := scrape(t, "http://"+ln.Addr().String()+"/metrics", "")
	if _, ok := fams["gorotop_targets_dropped"]; !ok {
		t.Errorf("scrape of an empty exporter: %v, want gorotop_targets_dropped_total", fams)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the context ended")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/metrics"); err == nil {
		t.Error("the listener still serves after Serve returned")
	}
}
