package stackparse

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// pprofSnapshot reads a pprof goroutine profile (gzipped or not), as
// /debug/pprof/goroutine serves it without ?debug and as `go tool pprof
// -proto` and continuous profilers save it: one group per stack, with the
// samples' pprof labels on its goroutines, in state CountsOnlyState,
// CountOnly, TakenAt the profile's time. A profile gorotop wrote itself
// (--format pprof) gives back its groups' keys, states, creation sites
// and wait minutes. An input that is a profile of something else, or no
// profile, is a *NotGoroutinesError. It holds no more than lim allows.
func pprofSnapshot(data []byte, g Grouping, lim limits) (*Snapshot, error) {
	if isGzip(data) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, unreadable("gzip: " + err.Error())
		}
		if data, err = io.ReadAll(io.LimitReader(zr, maxProto+1)); err != nil {
			return nil, unreadable("gzip: " + err.Error())
		}
		if len(data) > maxProto {
			return nil, notGoroutines(fmt.Sprintf("a pprof profile larger than %d MiB, more than gorotop reads", maxProto>>20))
		}
	}
	prof, err := profile.ParseUncompressed(data)
	if err == nil {
		err = prof.CheckValid()
	}
	if err != nil {
		return nil, unreadable(err.Error())
	}
	value := -1
	var types []string
	for i, st := range prof.SampleType {
		if st.Type == "goroutine" || st.Type == "goroutines" {
			value = i
			break
		}
		types = append(types, Clean(st.Type, 64))
	}
	if value < 0 {
		return nil, notGoroutines("a pprof profile of " + strings.Join(types, ", "))
	}
	recs := make([]countRecord, 0, len(prof.Sample))
	labels := map[string][]Label{}
	counted := 0
	clamped := false
	for _, s := range prof.Sample {
		n := int(min(max(s.Value[value], 0), int64(lim.counted)))
		if counted+n > lim.counted {
			n, clamped = lim.counted-counted, true
		}
		counted += n
		r := countRecord{count: n, frames: sampleFrames(s)}
		r.gorotopLabels(s)
		r.labels = sampleLabels(s, labels)
		recs = append(recs, r)
	}
	snap := countSnapshot(recs, g, FormatPprof, lim.groups)
	if clamped {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("the profile counts more than %d goroutines: the rest are left out", lim.counted))
	}
	if prof.TimeNanos > 0 {
		snap.TakenAt = time.Unix(0, prof.TimeNanos).UTC()
	}
	return snap, nil
}

// sampleFrames returns a sample's stack, innermost first, as a ?debug=2
// dump prints it: the lines of each location (the last is the function
// the others were inlined into), without the runtime's own frames (those
// of unexported functions of package runtime) unless the stack holds
// nothing else, and generic functions named with "[...]"; its innermost
// maxFrames frames.
func sampleFrames(s *profile.Sample) []Frame {
	frames := make([]Frame, 0, len(s.Location))
	all := make([]Frame, 0, len(s.Location))
	for _, loc := range s.Location {
		if len(loc.Line) == 0 {
			f := Frame{Func: fmt.Sprintf("0x%x", loc.Address)}
			frames, all = append(frames, f), append(all, f)
			continue
		}
		for _, l := range loc.Line {
			f := Frame{Line: int(l.Line)}
			if fn := l.Function; fn != nil {
				f.Func, f.File = Clean(printedName(fn.Name), 500), Clean(fn.Filename, 500)
			}
			if f.Func == "runtime.goexit" {
				continue
			}
			all = append(all, f)
			if !hiddenRuntime(f.Func) {
				frames = append(frames, f)
			}
		}
	}
	if len(frames) == 0 {
		frames = all
	}
	return frames[:min(len(frames), maxFrames)]
}

// hiddenRuntime reports whether a traceback leaves a function out unless
// GOTRACEBACK=system: one of package runtime that is not exported.
func hiddenRuntime(fn string) bool {
	name, ok := strings.CutPrefix(fn, "runtime.")
	return ok && name != "" && !(name[0] >= 'A' && name[0] <= 'Z')
}

// printedName is a function's name as a traceback prints it: a generic
// function's type arguments ("main.drain[go.shape.[]string]") shown as
// "[...]".
func printedName(name string) string {
	i := strings.IndexByte(name, '[')
	j := strings.LastIndexByte(name, ']')
	if i < 0 || j <= i {
		return name
	}
	return name[:i] + "[...]" + name[j+1:]
}

// gorotopReserved are the labels gorotop's own pprof export sets on each
// group's sample (internal/export: Pprof); they are no labels of the
// goroutines.
var gorotopReserved = []string{"group", "state", "created_by", "wait_minutes", "leaked", "suspect", "rising", "proven", "stuck", "reason"}

// gorotopLabels reads back what gorotop's own export keeps in labels: a
// sample with both "group" and "state" is one of its groups.
func (r *countRecord) gorotopLabels(s *profile.Sample) {
	key, state := s.Label["group"], s.Label["state"]
	if len(key) != 1 || len(state) != 1 {
		return
	}
	r.key, r.state = Clean(key[0], 64), Clean(state[0], 200)
	if c := s.Label["created_by"]; len(c) == 1 {
		// "file.go:line func", as Frame.String writes it.
		site, fn, _ := strings.Cut(c[0], " ")
		file, line, _ := strings.Cut(site, ":")
		n, _ := strconv.Atoi(line)
		r.createdBy = &Frame{Func: Clean(fn, 500), File: Clean(file, 500), Line: n}
	}
	if w := s.NumLabel["wait_minutes"]; len(w) == 1 && w[0] > 0 {
		r.wait = int(min(w[0], 1<<30))
	}
	if l := s.NumLabel["leaked"]; len(l) == 1 && l[0] > 0 && int(l[0]) >= r.count {
		r.leaked = true
	}
}

// sampleLabels returns a sample's string labels, sorted by key, interned
// in seen; gorotop's own labels are left out of a sample it wrote.
func sampleLabels(s *profile.Sample, seen map[string][]Label) []Label {
	if len(s.Label) == 0 {
		return nil
	}
	_, ours := s.Label["group"]
	_, ours2 := s.Label["state"]
	keys := make([]string, 0, len(s.Label))
	for k := range s.Label {
		if ours && ours2 && slices.Contains(gorotopReserved, k) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var id strings.Builder
	for _, k := range keys {
		for _, v := range s.Label[k] {
			id.WriteString(k)
			id.WriteByte(0)
			id.WriteString(v)
			id.WriteByte(0)
		}
	}
	if l, ok := seen[id.String()]; ok {
		return l
	}
	var out []Label
	for _, k := range keys {
		for _, v := range s.Label[k] {
			out = append(out, Label{Key: Clean(k, 200), Value: Clean(v, 500)})
		}
	}
	if len(seen) < 1<<16 {
		seen[id.String()] = out
	}
	return out
}
