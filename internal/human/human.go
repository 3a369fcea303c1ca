// Package human prints figures for people: counts, sizes, durations,
// rates and percentages, the one place where gorotop decides how a figure
// reads. Where the screen and a printed report show the same kind of
// figure differently (the screen is narrow; a report lines figures up),
// each variant is named for where it is used.
//
// The package imports only the standard library's formatting, so that
// the pure packages (track's reasons) may use it.
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Count prints n with a space between groups of three digits: 41 212,
// -1 500.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Delta prints a change of a count with its sign, thousands spaced:
// +1 024, -5, 0.
func Delta(n int) string {
	if n > 0 {
		return "+" + Count(n)
	}
	return Count(n)
}

// Size prints a byte count for the screen, in two or three figures:
// 812 B, 4.5 KiB, 25 MiB.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB"} {
		f /= unit
		if f < unit || u == "GiB" {
			if f < 10 {
				return fmt.Sprintf("%.1f %s", f, u)
			}
			return fmt.Sprintf("%.0f %s", f, u)
		}
	}
	return ""
}

// ReportSize prints a byte count for a report, with one decimal from KiB
// up so that sizes line up in a table: 812 B, 4.5 KiB, 25.0 MiB.
func ReportSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ProgressSize prints a byte count for the lines a recording prints as it
// goes: KiB below a MiB and MiB above, with one decimal, so that a file's
// size keeps its unit from one line to the next: 0.8 KiB, 25.0 MiB.
func ProgressSize(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// FlagSize prints a byte count the way the --max-bytes flag accepts it:
// 100B, 1KiB, 1.5GiB, 512MiB.
func FlagSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i, whole := 0, n
	for i < len(units)-1 && whole >= 1024 && whole%1024 == 0 {
		whole /= 1024
		i++
	}
	if whole < 1024 || i == len(units)-1 {
		return strconv.FormatInt(whole, 10) + units[i]
	}
	f := float64(n)
	for i = 0; i < len(units)-1 && f >= 1024; i++ {
		f /= 1024
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + units[i]
}

// Age prints a duration in its largest whole unit, the way a leak's
// reasons and ages read: 40s, 12m, 3h (up to two days), 2d.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// Ago prints how long ago something happened: "just now" under a second,
// else its Age: "3s ago", "12m ago".
func Ago(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return Age(d) + " ago"
}

// Took prints how long a fetch took: 850µs, 38ms, 1.2s, and from a
// minute on its Age.
func Took(d time.Duration) string {
	switch {
	case d <= 0:
		return "0ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	default:
		return Age(d)
	}
}

// Pace prints the time between polls: to the second from ten seconds on
// ("5m42s", "1h0m5s", "2m"), to a tenth below ("2s", "1.5s").
func Pace(d time.Duration) string {
	if d >= 10*time.Second {
		d = d.Round(time.Second)
	} else {
		d = d.Round(100 * time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	return s
}

// Until says when something due in d comes, at its Pace: "in 2m10s", or
// "due" once d is not positive.
func Until(d time.Duration) string {
	if d <= 0 {
		return "due"
	}
	return "in " + Pace(d)
}

// Seconds prints a countdown in whole seconds, rounded up: "2 s".
func Seconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d s", max(s, 0))
}

// Rate prints the size of a rate per minute, without a sign, the way a
// leak's reasons read (the reason writes the sign): 310, 12, 2.5, 0.2.
func Rate(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f", r)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", r), ".0")
}

// Growth prints a growth per minute for the screen, signed and at most
// five cells wide: +310, -4, +1.5, +12k, 0.
func Growth(r float64) string {
	sign := "+"
	if r < 0 {
		sign = "-"
		r = -r
	}
	switch {
	case r < 0.05:
		return "0"
	case r >= 100000:
		return fmt.Sprintf("%s%.0fk", sign, r/1000)
	case r >= 10000:
		return fmt.Sprintf("%s%.1fk", sign, r/1000)
	case r >= 10 || r == math.Trunc(r):
		return fmt.Sprintf("%s%.0f", sign, r)
	default:
		return fmt.Sprintf("%s%.1f", sign, r)
	}
}

// ReportGrowth prints a growth per minute for a report, signed, with one
// decimal: +1.5, +0.0, -0.3.
func ReportGrowth(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	if f >= 0 {
		return "+" + s
	}
	return s
}

// Percent prints a share (0.25 for a quarter) as a percentage for the
// screen, with two significant digits at most: 12%, 1.5%, 0.25%.
func Percent(f float64) string {
	p := f * 100
	switch {
	case p >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case p >= 1:
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.2f%%", p)
}

// ReportPercent prints a share as a percentage for a report, with two
// decimals: 0.61 %, 12.00 %.
func ReportPercent(f float64) string {
	return fmt.Sprintf("%.2f %%", 100*f)
}
