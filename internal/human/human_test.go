package human

import (
	"testing"
	"time"
)

func TestCounts(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1 000", 41212: "41 212", 1234567: "1 234 567", -1500: "-1 500", -41212: "-41 212"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{0: "0", 5: "+5", 1024: "+1 024", -5: "-5", -1500: "-1 500"} {
		if got := Delta(n); got != want {
			t.Errorf("Delta(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, c := range []struct {
		f    func(int64) string
		name string
		want map[int64]string
	}{
		{Size, "Size", map[int64]string{0: "0 B", 812: "812 B", 4608: "4.5 KiB", 12 << 10: "12 KiB", 25 << 20: "25 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5120 GiB"}},
		{ReportSize, "ReportSize", map[int64]string{0: "0 B", 812: "812 B", 4608: "4.5 KiB", 25 << 20: "25.0 MiB", 3 << 30: "3.0 GiB"}},
		{ProgressSize, "ProgressSize", map[int64]string{812: "0.8 KiB", 4608: "4.5 KiB", 25 << 20: "25.0 MiB", 3 << 30: "3072.0 MiB"}},
		{FlagSize, "FlagSize", map[int64]string{
			100: "100B", 1024: "1KiB", 1 << 30: "1GiB", 512 << 20: "512MiB",
			3 << 29: "1.5GiB", 1500: "1.5KiB", 1 << 50: "1024TiB",
		}},
	} {
		for n, want := range c.want {
			if got := c.f(n); got != want {
				t.Errorf("%s(%d) = %q, want %q", c.name, n, got, want)
			}
		}
	}
}

func TestDurations(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	for _, c := range []struct {
		f    func(time.Duration) string
		name string
		want map[time.Duration]string
	}{
		{Age, "Age", map[time.Duration]string{-s: "0s", 0: "0s", 40 * s: "40s", 12*m + 30*s: "12m", 3 * h: "3h", 47 * h: "47h", 50 * h: "2d"}},
		{Ago, "Ago", map[time.Duration]string{0: "just now", 999 * time.Millisecond: "just now", 3 * s: "3s ago", 12 * m: "12m ago"}},
		{Took, "Took", map[time.Duration]string{0: "0ms", 850 * time.Microsecond: "850µs", 38 * time.Millisecond: "38ms", 1200 * time.Millisecond: "1.2s", 3 * m: "3m"}},
		{Pace, "Pace", map[time.Duration]string{2 * s: "2s", 1500 * time.Millisecond: "1.5s", 5*m + 42*s: "5m42s", 2 * m: "2m", h + 5*s: "1h0m5s", 12*s + 400*time.Millisecond: "12s"}},
		{Until, "Until", map[time.Duration]string{0: "due", -s: "due", 2*m + 10*s: "in 2m10s"}},
		{Seconds, "Seconds", map[time.Duration]string{1500 * time.Millisecond: "2 s", 2 * s: "2 s", 0: "0 s", -3 * s: "0 s"}},
	} {
		for d, want := range c.want {
			if got := c.f(d); got != want {
				t.Errorf("%s(%v) = %q, want %q", c.name, d, got, want)
			}
		}
	}
}

func TestRates(t *testing.T) {
	for _, c := range []struct {
		f    func(float64) string
		name string
		want map[float64]string
	}{
		{Rate, "Rate", map[float64]string{310.4: "310", 12: "12", 2.5: "2.5", 2: "2", 0.2: "0.2"}},
		{Growth, "Growth", map[float64]string{0: "0", 310.4: "+310", 1.5: "+1.5", 2: "+2", -4: "-4", 12345: "+12.3k", 250000: "+250k", 0.01: "0"}},
		{ReportGrowth, "ReportGrowth", map[float64]string{1.5: "+1.5", 0: "+0.0", -0.3: "-0.3", 310.44: "+310.4"}},
		{Percent, "Percent", map[float64]string{0.12: "12%", 0.015: "1.5%", 0.0025: "0.25%"}},
		{ReportPercent, "ReportPercent", map[float64]string{0.0061: "0.61 %", 0.12: "12.00 %"}},
	} {
		for f, want := range c.want {
			if got := c.f(f); got != want {
				t.Errorf("%s(%v) = %q, want %q", c.name, f, got, want)
			}
		}
	}
}
