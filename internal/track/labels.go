package track

import (
	"cmp"
	"slices"
)

// ValueCount is how many goroutines of a group carry one value of a label.
type ValueCount struct {
	Value string
	Count int
	// Joined counts those that joined the group within the window
	// (Options.Window) after the first poll: a leak's newcomers, so that
	// the value that leaks stands out from those that only wait.
	Joined int
	// Unset marks the count of goroutines without the label (Value is "").
	Unset bool
}

// LabelValues counts a present group's goroutines by the value of one
// pprof label, and those of them that joined it lately, most common
// first; goroutines without the label are counted in an entry marked
// Unset, last. It is nil for an unknown or absent group.
func (v *View) LabelValues(key, labelKey string) []ValueCount {
	tr := v.byKey[key]
	if tr == nil || !tr.Present || tr.Group == nil {
		return nil
	}
	type tally struct{ count, joined int }
	counts := map[string]*tally{}
	var unset tally
	from := max(v.baseline.UnixNano()+1, v.last.Add(-v.opts.Window).UnixNano())
	for _, g := range tr.Group.Goroutines {
		c := &unset
		for _, l := range g.Labels {
			if l.Key == labelKey {
				if c = counts[l.Value]; c == nil {
					c = &tally{}
					counts[l.Value] = c
				}
				break
			}
		}
		c.count++
		if e, ok := lookup(v.ids, g.ID); ok && e.since >= from {
			c.joined++
		}
	}
	out := make([]ValueCount, 0, len(counts)+1)
	for v, c := range counts {
		out = append(out, ValueCount{Value: v, Count: c.count, Joined: c.joined})
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if unset.count > 0 {
		out = append(out, ValueCount{Count: unset.count, Joined: unset.joined, Unset: true})
	}
	return out
}

// LabelKeys returns the pprof label keys carried by a present group's
// goroutines, sorted; with key "", those of every present group.
func (v *View) LabelKeys(key string) []string {
	seen := map[string]bool{}
	add := func(tr *Trend) {
		if tr == nil || !tr.Present || tr.Group == nil {
			return
		}
		for _, g := range tr.Group.Goroutines {
			for _, l := range g.Labels {
				seen[l.Key] = true
			}
		}
	}
	if key != "" {
		add(v.byKey[key])
	} else {
		for _, tr := range v.trends {
			add(tr)
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
