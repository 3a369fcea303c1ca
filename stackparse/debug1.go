package stackparse

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Profile is a goroutine profile in the legacy text format that
// /debug/pprof/goroutine?debug=1 serves: how many goroutines share each
// stack, without goroutine IDs, states, wait times or creators. Since Go
// 1.19 the runtime collects it while the program runs, stopping the world
// only briefly, so it is the cheap way to follow counts between full
// ?debug=2 dumps.
//
// The format, as runtime/pprof's printCountProfile writes it through a
// tabwriter (so fields are separated by one or more tabs):
//
//	goroutine profile: total 67
//	12 @ 0x489bee 0x41a5ae 0x41a0d2 0x6d5648 0x4914c1
//	# labels: {"handler":"/api"}
//	#	0x6d5647	main.blockedRecv+0x27	/src/shapes.go:37
//
// Records are separated by a blank line; frames are innermost first, with
// runtime.goexit and the leading runtime frames left out; the labels line
// is there only for goroutines with pprof labels.
type Profile struct {
	// Name is the profile's name from its first line: "goroutine", or
	// "goroutineleak" for the Go 1.26 leak profile (which lists only the
	// proven leaks).
	Name string
	// Total is the number of goroutines the first line states.
	Total int
	// Records are the stacks with their counts, in the order of the
	// profile (largest first).
	Records []Record
	// Warnings say what could not be read, one line each.
	Warnings []string
	// Bytes is how many bytes were read.
	Bytes int64

	sum     int    // the records' counts, as they are added
	clamped bool   // counts beyond lim.counted were left out
	lim     limits // what it was read within
}

// Record is one stack of a Profile and how many goroutines share it.
type Record struct {
	Count int
	// Frames is the stack, innermost first. A frame whose function the
	// runtime could not name has Func "?".
	Frames []Frame
	// Labels are the goroutines' pprof labels, if any.
	Labels []Label
}

// NotKnownState is the State of a group made from a Profile record that
// matches no group of a full dump (Estimate, Complete): a Profile does not
// say what its goroutines wait on, and the next full dump will. It fits
// the UI's STATE column.
const NotKnownState = "not seen yet"

// CountsOnlyState is the State of the groups of a profile read on its own
// (Profile.Snapshot, a pprof profile): such profiles never say what their
// goroutines wait on.
const CountsOnlyState = "counts only"

// maxProfileLine bounds one line of a Profile.
const maxProfileLine = 1 << 20

// ParseProfile reads a ?debug=1 goroutine profile. It fails if the input
// does not start (after blank lines) with "NAME profile: total N"; lines
// it cannot read after that become warnings. An input of several profiles
// one after another (curl appending to a file) gives the last, with a
// warning. The error is from reading r or says the input is not such a
// profile; what was read before it is returned.
func ParseProfile(r io.Reader) (*Profile, error) {
	return parseProfileWithin(r, defaultLimits())
}

// parseProfileWithin is ParseProfile within lim.
func parseProfileWithin(r io.Reader, lim limits) (*Profile, error) {
	var last *Profile
	n := 0
	err := readProfiles(r, lim, func(p *Profile) error {
		last = p
		n++
		return nil
	})
	if last == nil {
		return &Profile{lim: lim}, err
	}
	if n > 1 {
		last.Warnings = append(last.Warnings, fmt.Sprintf("the input holds %d profiles one after another; this is the last", n))
	}
	return last, err
}

// readProfiles reads ?debug=1 profiles one after another, each from its
// header line to the next, and calls fn with each as soon as it is
// complete. It stops at the first error from fn or from reading r.
func readProfiles(r io.Reader, lim limits, fn func(*Profile) error) error {
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	var p *Profile
	var rec *Record
	line := 0
	var before int64
	finish := func() error {
		read := cr.n - int64(br.Buffered())
		p.Bytes, before = read-before, read
		if sum := p.Sum(); sum != p.Total && !p.clamped {
			p.Warnings = append(p.Warnings, fmt.Sprintf("the profile says %d goroutines but its records hold %d", p.Total, sum))
		}
		done := p
		p, rec = nil, nil
		return fn(done)
	}
	for {
		b, long, err := readLine(br)
		if len(b) > 0 || long || err == nil {
			line++
		}
		if long && p != nil {
			p.warn(line, "a line longer than 1 MiB")
			rec = nil
		}
		if len(bytes.TrimSpace(b)) == 0 || long {
			rec = nil
		} else if name, total, ok := profileHeader(b); ok {
			if p != nil {
				if ferr := finish(); ferr != nil {
					return ferr
				}
			}
			p = &Profile{Name: name, Total: total, lim: lim}
		} else if p == nil {
			return errors.New("not a ?debug=1 goroutine profile: it does not start with \"goroutine profile: total N\"")
		} else if b[0] == '#' {
			switch {
			case rec == nil:
				p.warn(line, "a frame outside any record")
			default:
				if text, ok := bytes.CutPrefix(b, []byte("# labels: ")); ok {
					rec.Labels = profileLabels(text)
				} else if f, ok := profileFrame(b); ok {
					if len(rec.Frames) < maxFrames {
						rec.Frames = append(rec.Frames, f)
					}
				} else {
					p.warn(line, "an unreadable frame line")
				}
			}
		} else if n, ok := recordCount(b); !ok {
			p.warn(line, "an unreadable line")
			rec = nil
		} else {
			rec = p.add(n)
		}
		if err == io.EOF {
			if p == nil {
				return errNoProfile
			}
			return finish()
		}
		if err != nil {
			if p != nil {
				p.Bytes = cr.n - int64(br.Buffered()) - before
			}
			return fmt.Errorf("read profile: %w", err)
		}
	}
}

// limits returns the limits p was read within; those of a Parser for a
// Profile made otherwise.
func (p *Profile) limits() limits {
	if p.lim == (limits{}) {
		return defaultLimits()
	}
	return p.lim
}

// add appends a record of n goroutines, as many as the limit on counted
// goroutines leaves room for, and returns it.
func (p *Profile) add(n int) *Record {
	if sum := p.Sum(); sum+n > p.limits().counted {
		n = max(p.limits().counted-sum, 0)
		if !p.clamped {
			p.clamped = true
			p.Warnings = append(p.Warnings, fmt.Sprintf("the profile counts more than %d goroutines: the rest are left out", p.limits().counted))
		}
	}
	p.sum += n
	p.Records = append(p.Records, Record{Count: n})
	return &p.Records[len(p.Records)-1]
}

// readLine returns the next line of br without its line ending. A line
// longer than maxProfileLine is skipped (long is set). err is io.EOF
// after the last line, which may have no newline.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxProfileLine {
			long = true
			buf = buf[:0]
		} else if !long {
			buf = append(buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if long {
			return nil, true, err
		}
		return bytes.TrimRight(buf, "\r\n"), false, err
	}
}

// Sum is the number of goroutines in the records.
func (p *Profile) Sum() int {
	if p.sum > 0 || len(p.Records) == 0 {
		return p.sum
	}
	n := 0
	for _, r := range p.Records {
		n += r.Count
	}
	return n
}

func (p *Profile) warn(line int, what string) {
	if len(p.Warnings) < 20 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("line %d of the profile: %s, skipped", line, what))
	}
}

// profileHeader reads "NAME profile: total N".
func profileHeader(b []byte) (name string, total int, ok bool) {
	before, after, found := bytes.Cut(b, []byte(" profile: total "))
	if !found || len(before) == 0 || len(before) > 64 || bytes.ContainsAny(before, " \t") {
		return "", 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(after)))
	if err != nil || n < 0 {
		return "", 0, false
	}
	return Clean(string(before), 64), n, true
}

// recordCount reads "N @ 0x… 0x…".
func recordCount(b []byte) (int, bool) {
	num, rest, ok := bytes.Cut(b, []byte(" @"))
	if !ok || (len(rest) > 0 && rest[0] != ' ') {
		return 0, false
	}
	n, err := strconv.Atoi(string(num))
	return n, err == nil && n >= 0
}

// profileFrame reads "#\t0xPC\tfunc+0xOFF\tfile:line", the fields
// separated by runs of tabs, or "#\t0xPC" for a function without a name.
func profileFrame(b []byte) (Frame, bool) {
	fields := bytes.FieldsFunc(b[1:], func(r rune) bool { return r == '\t' })
	switch {
	case len(fields) == 1 && bytes.HasPrefix(fields[0], []byte("0x")):
		return Frame{Func: "?"}, true
	case len(fields) < 3 || !bytes.HasPrefix(fields[0], []byte("0x")):
		return Frame{}, false
	}
	fn := fields[1]
	if i := bytes.LastIndex(fn, []byte("+0x")); i > 0 {
		fn = fn[:i]
	}
	loc := bytes.Join(fields[2:], []byte("\t"))
	i := bytes.LastIndexByte(loc, ':')
	if i < 0 {
		return Frame{}, false
	}
	line, err := strconv.Atoi(string(loc[i+1:]))
	if err != nil {
		return Frame{}, false
	}
	return Frame{Func: Clean(string(fn), 500), File: Clean(string(loc[:i]), 500), Line: line}, true
}

// profileLabels reads `{"k":"v", "k2":"v2"}` as runtime/pprof's labelMap
// prints it (Go-quoted keys and values). What it cannot read is kept
// whole under the key "labels".
func profileLabels(text []byte) []Label {
	whole := []Label{{Key: "labels", Value: Clean(string(text), 500)}}
	rest, ok := bytes.CutPrefix(bytes.TrimSpace(text), []byte("{"))
	if !ok {
		return whole
	}
	var out []Label
	for {
		rest = bytes.TrimLeft(rest, " ")
		if bytes.Equal(rest, []byte("}")) {
			return out
		}
		key, r, ok := quotedPrefix(rest)
		if !ok || len(r) == 0 || r[0] != ':' {
			return whole
		}
		val, r, ok := quotedPrefix(bytes.TrimLeft(r[1:], " "))
		if !ok {
			return whole
		}
		out = append(out, Label{Key: Clean(key, 200), Value: Clean(val, 500)})
		rest = bytes.TrimPrefix(r, []byte(","))
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// stackKey identifies a stack as code, the way a Profile prints it: the
// frames (function, file, line) without runtime.goexit and without the
// leading runtime frames. Labels, states and creators are not part of it.
type stackKey [16]byte

// profileStack returns frames as a Profile would print them: without
// runtime.goexit, and without the runtime frames at the start unless the
// stack holds nothing else (runtime/pprof's printStackRecord).
func profileStack(frames []Frame) []Frame {
	out := make([]Frame, 0, len(frames))
	show := false
	for _, f := range frames {
		if f.Func == "runtime.goexit" {
			continue
		}
		if !show && (strings.HasPrefix(f.Func, "runtime.") || strings.HasPrefix(f.Func, "internal/runtime/")) {
			continue
		}
		show = true
		out = append(out, f)
	}
	if !show {
		out = out[:0]
		for _, f := range frames {
			if f.Func != "runtime.goexit" {
				out = append(out, f)
			}
		}
	}
	return out
}

// keyOf returns the stackKey of frames.
func keyOf(frames []Frame) stackKey {
	return stackKey(shapeDigest(profileStack(frames), nil))
}

// profilerKey is keyOf without the frames of package runtime/pprof: the
// goroutine writing a profile runs writeGoroutineStacks for ?debug=2 and
// writeRuntimeProfile for ?debug=1, under the same caller. ok is false
// when the stack has no runtime/pprof frame.
func profilerKey(frames []Frame) (k stackKey, ok bool) {
	var rest []Frame
	for _, f := range frames {
		if strings.HasPrefix(f.Func, "runtime/pprof.") {
			ok = true
			continue
		}
		rest = append(rest, f)
	}
	if !ok {
		return stackKey{}, false
	}
	return keyOf(rest), true
}

// stackCount is the goroutines of a Profile that share one stack, labels
// aside.
type stackCount struct {
	frames   []Frame
	count    int
	profiler bool // the stack has runtime/pprof frames
}

// byStack sums the records of p by stack, in the order of first
// appearance.
func (p *Profile) byStack() (map[stackKey]*stackCount, []stackKey) {
	m := map[stackKey]*stackCount{}
	var order []stackKey
	for _, r := range p.Records {
		k := keyOf(r.Frames)
		sc := m[k]
		if sc == nil {
			sc = &stackCount{frames: r.Frames}
			for _, f := range r.Frames {
				sc.profiler = sc.profiler || strings.HasPrefix(f.Func, "runtime/pprof.")
			}
			m[k] = sc
			order = append(order, k)
		}
		sc.count += r.Count
	}
	return m, order
}

// matcher finds the groups of a full snapshot that a Profile's stack
// stands for.
type matcher struct {
	byStack    map[stackKey][]*Group
	byProfiler map[stackKey][]*Group
}

func newMatcher(snap *Snapshot) *matcher {
	m := &matcher{byStack: map[stackKey][]*Group{}, byProfiler: map[stackKey][]*Group{}}
	if snap == nil {
		return m
	}
	for _, g := range snap.Groups {
		k := keyOf(g.Frames)
		m.byStack[k] = append(m.byStack[k], g)
		if pk, ok := profilerKey(g.Frames); ok {
			m.byProfiler[pk] = append(m.byProfiler[pk], g)
		}
	}
	return m
}

// match returns the groups a stack stands for: those with the same
// frames, or, for the goroutine writing the profile, those with the same
// frames outside runtime/pprof.
func (m *matcher) match(k stackKey, sc *stackCount) []*Group {
	if gs := m.byStack[k]; len(gs) > 0 {
		return gs
	}
	if sc.profiler {
		if pk, ok := profilerKey(sc.frames); ok {
			return m.byProfiler[pk]
		}
	}
	return nil
}

// Estimate maps the profile's counts onto the groups of last, the latest
// full snapshot of the same process parsed with grouping g, and returns a
// count-only snapshot: its groups carry last's keys, stacks, states and
// creators, and their Goroutines are placeholders (ID 0, no parent, no
// wait minutes) as many as the estimated count, so that Count works. Use
// it for counts and growth, not for goroutine IDs.
//
// A record matches a group when their frames (function, file, line) are
// the same, as the Profile prints them. A ?debug=1 profile has no state
// and no creator, so several groups of the full dump (the same code
// waiting in different states, started from different places, or with
// different arguments under the exact and pointer groupings) can share
// one stack: its count is then distributed over them in proportion to
// their counts in last (largest remainder, so that the counts add up).
// It is an estimate: goroutines that moved from one state to another
// under the same stack since last are not seen. States are distributed
// the same way; Leaked is carried over from last, up to the new count
// (proof does not expire); WaitMin and WaitMax are last's.
//
// A stack that matches no group of last becomes its own group, named by
// the profile's frames, with state "not seen yet" and no creator; its key is not that of the group the next
// full dump will find for it. Groups of last that match no stack are
// left out. The goroutine that wrote the profile is matched with the one
// that wrote last through their frames outside runtime/pprof.
//
// The snapshot's Total is the profile's; Bytes are the profile's; it has
// no Warnings of its own beyond the profile's.
func (p *Profile) Estimate(last *Snapshot, g Grouping) *Snapshot {
	stacks, order := p.byStack()
	m := newMatcher(last)
	out := &Snapshot{Total: p.Total, Bytes: p.Bytes, Dumps: 1, Warnings: slices.Clone(p.Warnings), CountOnly: true}
	counts := map[*Group]int{}
	var matched []*Group
	for _, k := range order {
		sc := stacks[k]
		groups := m.match(k, sc)
		if len(groups) == 0 {
			out.Groups = append(out.Groups, unknownGroup(sc.frames, sc.count, g))
			continue
		}
		weights := make([]int, len(groups))
		for i, grp := range groups {
			weights[i] = grp.Count()
		}
		for i, n := range distribute(sc.count, weights) {
			if _, ok := counts[groups[i]]; !ok {
				matched = append(matched, groups[i])
			}
			counts[groups[i]] += n
		}
	}
	for _, grp := range matched {
		if n := counts[grp]; n > 0 {
			out.Groups = append(out.Groups, estimated(grp, n, nil))
		}
	}
	sortGroups(out.Groups)
	return out
}

// Complete fills in a full dump that runtime/pprof cut (at 64 MiB: see
// Snapshot.Truncated) from the profile, fetched right after it: for each
// stack, the goroutines the profile counts beyond those the cut dump
// holds are added to the cut dump's groups of that stack, in proportion
// to their counts there, as placeholders (ID 0); stacks the cut dump does
// not hold at all become groups of state "not seen yet", as in Estimate. The
// goroutines the cut dump holds keep their IDs and are never taken away,
// even where the profile, taken a moment later, counts fewer. Total is
// the sum of the groups. The snapshot stays Truncated, and a warning says
// how many goroutines came from the profile, in place of the cut dump's
// warning that counts are a lower bound.
func (p *Profile) Complete(cut *Snapshot, g Grouping) *Snapshot {
	stacks, order := p.byStack()
	m := newMatcher(cut)
	out := &Snapshot{Truncated: cut.Truncated, Bytes: cut.Bytes, Dumps: cut.Dumps, CountOnly: true}
	for _, w := range cut.Warnings {
		if !strings.HasPrefix(w, "the dump is exactly 64 MiB") {
			out.Warnings = append(out.Warnings, w)
		}
	}
	added := map[*Group]int{}
	extra, unknown := 0, 0
	for _, k := range order {
		sc := stacks[k]
		groups := m.match(k, sc)
		if len(groups) == 0 {
			out.Groups = append(out.Groups, unknownGroup(sc.frames, sc.count, g))
			extra += sc.count
			unknown++
			continue
		}
		weights := make([]int, len(groups))
		seen := 0
		for i, grp := range groups {
			weights[i] = grp.Count()
			seen += weights[i]
		}
		if sc.count <= seen {
			continue
		}
		for i, n := range distribute(sc.count-seen, weights) {
			added[groups[i]] += n
		}
		extra += sc.count - seen
	}
	for _, grp := range cut.Groups {
		n := added[grp]
		if n == 0 {
			out.Groups = append(out.Groups, grp)
			continue
		}
		out.Groups = append(out.Groups, estimated(grp, grp.Count()+n, grp.Goroutines))
	}
	for _, grp := range out.Groups {
		out.Total += grp.Count()
	}
	sortGroups(out.Groups)
	out.Warnings = append(out.Warnings, fmt.Sprintf(
		"the dump was cut at 64 MiB by runtime/pprof after %d goroutines; %d more were counted from ?debug=1 (%d in stacks the dump did not reach, state not known)",
		cut.Total, extra, unknownCount(out.Groups, unknown)))
	return out
}

// unknownCount sums the counts of the groups of state NotKnownState; n says
// whether there are any.
func unknownCount(groups []*Group, n int) int {
	if n == 0 {
		return 0
	}
	sum := 0
	for _, g := range groups {
		if g.State == NotKnownState {
			sum += g.Count()
		}
	}
	return sum
}

// estimated returns a copy of g holding n goroutines: keep (the
// goroutines really seen, at most n) and placeholders for the rest, with
// States and Leaked estimated as Estimate says.
func estimated(g *Group, n int, keep []Goroutine) *Group {
	out := *g
	keep = keep[:min(len(keep), n)]
	gs := make([]Goroutine, n)
	copy(gs, keep)
	states := slices.Sorted(func(yield func(string) bool) {
		for s := range g.States {
			if !yield(s) {
				return
			}
		}
	})
	weights := make([]int, len(states))
	for i, s := range states {
		weights[i] = g.States[s]
	}
	out.States = map[string]int{}
	for _, gr := range keep {
		out.States[gr.State]++
	}
	rest := gs[len(keep):]
	leaked := max(g.Leaked-countLeaked(keep), 0)
	i := 0
	for si, k := range distribute(len(rest), weights) {
		for range k {
			rest[i].State = states[si]
			if leaked > 0 && strings.Contains(states[si], "(leaked)") {
				rest[i].Leaked = true
				leaked--
			}
			i++
		}
	}
	for ; i < len(rest); i++ {
		rest[i].State = g.State
	}
	for _, gr := range rest {
		out.States[gr.State]++
	}
	out.Leaked = countLeaked(gs)
	out.Goroutines = gs
	return &out
}

func countLeaked(gs []Goroutine) int {
	n := 0
	for _, g := range gs {
		if g.Leaked {
			n++
		}
	}
	return n
}

// unknownGroup makes a group of n placeholder goroutines for a stack
// that no group of the full dump has: named by the profile's frames, in
// the state NotKnownState until a full dump says more.
func unknownGroup(frames []Frame, n int, g Grouping) *Group {
	return countGroup(countRecord{count: n, frames: frames}, NotKnownState, g, n)
}

// distribute splits n over the weights in proportion, by largest
// remainder (earlier entries win ties), so that the parts add up to n.
// With no positive weight it splits evenly.
func distribute(n int, weights []int) []int {
	out := make([]int, len(weights))
	if len(weights) == 0 || n <= 0 {
		return out
	}
	total := 0
	for _, w := range weights {
		total += max(w, 0)
	}
	if total == 0 {
		weights = slices.Repeat([]int{1}, len(weights))
		total = len(weights)
	}
	type rem struct{ i, r int }
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		w = max(w, 0)
		out[i] = n * w / total
		rems[i] = rem{i, n * w % total}
		given += out[i]
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.r, a.r) })
	for j := 0; given < n; j++ {
		out[rems[j%len(rems)].i]++
		given++
	}
	return out
}

// sortGroups orders groups as a Parser does: by count, largest first,
// then by key.
func sortGroups(groups []*Group) {
	slices.SortFunc(groups, func(a, b *Group) int {
		if c := cmp.Compare(len(b.Goroutines), len(a.Goroutines)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}
