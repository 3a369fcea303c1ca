package export

import (
	"io"
	"strconv"

	"github.com/google/pprof/profile"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// Binary reports whether a format writes bytes that are not text, which
// have no place on a terminal.
func (f Format) Binary() bool { return f == FormatPprof }

// Pprof writes the grouped snapshot as a gzip-compressed pprof profile, as
// `go tool pprof` reads it: one sample per group, valued by its goroutine
// count (sample type goroutine/count), its stack innermost first, and
// labels:
//
//   - "group": the group's key; "state": its wait state;
//   - "created_by": "func file:line" of the creation site, when known;
//   - "wait_minutes" (numeric, unit minutes): the runtime's longest wait;
//   - "leaked" (numeric): goroutines the runtime proved leaked, when any;
//   - with history, "suspect", "rising", "proven" and "stuck" ("true" or
//     "false"),
//     and "reason" when there is one;
//   - a pprof label of the goroutines themselves when every goroutine of
//     the group carries the same value for it and its key is not one of
//     the above.
//
// Strings from the dump are cleaned as stackparse.Clean does, so `pprof
// -top` never prints a control byte.
func Pprof(w io.Writer, in Input) error {
	return buildProfile(in).Write(w)
}

// pprofReserved are the label keys Pprof sets itself.
var pprofReserved = map[string]bool{
	"group": true, "state": true, "created_by": true, "wait_minutes": true, "leaked": true,
	"suspect": true, "rising": true, "proven": true, "stuck": true, "reason": true,
}

// profileBuilder collects the functions and locations of a profile, each
// once.
type profileBuilder struct {
	p         *profile.Profile
	mapping   *profile.Mapping
	functions map[[2]string]*profile.Function
	locations map[stackparse.Frame]*profile.Location
}

// buildProfile turns an Input into a profile.
func buildProfile(in Input) *profile.Profile {
	count := &profile.ValueType{Type: "goroutine", Unit: "count"}
	// One mapping, marked symbolized, so pprof looks for no binary.
	m := &profile.Mapping{ID: 1, HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	b := &profileBuilder{
		mapping: m,
		p: &profile.Profile{
			SampleType:        []*profile.ValueType{count},
			DefaultSampleType: count.Type,
			PeriodType:        &profile.ValueType{Type: "goroutine", Unit: "count"},
			Period:            1,
			TimeNanos:         in.TakenAt.UnixNano(),
			Comments:          profileComments(in),
			Mapping:           []*profile.Mapping{m},
		},
		functions: map[[2]string]*profile.Function{},
		locations: map[stackparse.Frame]*profile.Location{},
	}
	for _, g := range in.groups() {
		b.p.Sample = append(b.p.Sample, b.sample(g, in.trendOf(g)))
	}
	return b.p
}

// profileComments says where the profile comes from and what went wrong
// reading it; `pprof -comments` prints them.
func profileComments(in Input) []string {
	c := []string{
		"gorotop snapshot of " + stackparse.Clean(in.Source, 0),
		"total goroutines: " + strconv.Itoa(in.Snap.Total),
	}
	if in.Snap.Truncated {
		c = append(c, "TRUNCATED: the dump was cut off; counts are a lower bound")
	}
	for _, w := range in.Snap.Warnings {
		c = append(c, "warning: "+stackparse.Clean(w, 0))
	}
	return c
}

// sample is one group's sample.
func (b *profileBuilder) sample(g *stackparse.Group, tr *track.Trend) *profile.Sample {
	s := &profile.Sample{
		Value: []int64{int64(g.Count())},
		Label: map[string][]string{
			"group": {stackparse.Clean(g.Key, 0)},
			"state": {stackparse.Clean(g.State, 0)},
		},
		NumLabel: map[string][]int64{"wait_minutes": {int64(g.WaitMax)}},
		NumUnit:  map[string][]string{"wait_minutes": {"minutes"}},
	}
	for _, f := range g.Frames {
		s.Location = append(s.Location, b.location(f))
	}
	if g.CreatedBy != nil {
		s.Label["created_by"] = []string{stackparse.Clean(g.CreatedBy.String(), 0)}
	}
	if g.Leaked > 0 {
		s.NumLabel["leaked"] = []int64{int64(g.Leaked)}
	}
	if tr != nil {
		s.Label["suspect"] = []string{strconv.FormatBool(tr.Suspect)}
		s.Label["rising"] = []string{strconv.FormatBool(tr.Rising)}
		s.Label["proven"] = []string{strconv.FormatBool(tr.Proven)}
		s.Label["stuck"] = []string{strconv.FormatBool(tr.Stuck)}
		if tr.Reason != "" {
			s.Label["reason"] = []string{stackparse.Clean(tr.Reason, 0)}
		}
	}
	for key, set := range labelCounts(g) {
		if len(set) != 1 || pprofReserved[key] {
			continue
		}
		for value, n := range set {
			if n == g.Count() {
				s.Label[stackparse.Clean(key, 0)] = []string{stackparse.Clean(value, 0)}
			}
		}
	}
	return s
}

// location returns the location of a frame, adding it when new.
func (b *profileBuilder) location(f stackparse.Frame) *profile.Location {
	if loc := b.locations[f]; loc != nil {
		return loc
	}
	loc := &profile.Location{
		ID:      uint64(len(b.p.Location) + 1),
		Mapping: b.mapping,
		Line:    []profile.Line{{Function: b.function(f), Line: int64(f.Line)}},
	}
	b.p.Location = append(b.p.Location, loc)
	b.locations[f] = loc
	return loc
}

// function returns the function of a frame, adding it when new.
func (b *profileBuilder) function(f stackparse.Frame) *profile.Function {
	k := [2]string{f.Func, f.File}
	if fn := b.functions[k]; fn != nil {
		return fn
	}
	name := stackparse.Clean(f.Func, 0)
	fn := &profile.Function{
		ID:         uint64(len(b.p.Function) + 1),
		Name:       name,
		SystemName: name,
		Filename:   stackparse.Clean(f.File, 0),
	}
	b.p.Function = append(b.p.Function, fn)
	b.functions[k] = fn
	return fn
}
