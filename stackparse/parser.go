package stackparse

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/maruel/panicparse/v2/stack"
)

// Parser parses dumps and keeps what it learnt of their stack shapes, so
// that polling the same service again costs little. A Parser is not safe
// for concurrent use.
type Parser struct {
	grouping Grouping
	seed     maphash.Seed
	gen      int

	shapes map[uint64]*shape // read-only while scanners run
	kept   int               // the shapes' cost against the cache's bound
	bound  int               // the cache's bound; 0: lim.keepFrames
	lim    limits
	other  *shape // the shape of the group of other stacks

	names interner // function and file names of the shapes

	mu     sync.Mutex // guards states and labels
	states map[string]internedState
	labels map[string][]Label
	seq    int // numbers scanners, for their per-shape group caches

	last stats
}

// stats says how much work the last Parse did (for the tests of the
// cache and of the parallel scan).
type stats struct {
	// Shapes is the number of distinct stack shapes in the input.
	Shapes int
	// Parsed is how many of them were new and went to panicparse.
	Parsed int
	// Cached is how many shapes the Parser keeps.
	Cached int
	// Evicted is how many shapes the last Parse dropped from the cache
	// to keep it within its bound, and of them how many the parse had
	// seen: the next parse reads those again.
	Evicted, EvictedInUse int
	// Helped is how many parts of the input a second core read.
	Helped int
}

type internedState struct{ raw, base string }

// shape is a goroutine body with argument values, goroutine IDs and wait
// times masked out: the stack as code.
type shape struct {
	rep       []byte // representative body text, until resolved
	frameHint int    // number of frames the scanner counted

	frames    []Frame
	createdBy *Frame
	blocking  int
	elided    bool
	digest    [16]byte // stable across processes: frames and creator
	used      int      // the Parser's gen when last seen
	// groups caches, per scanner slot, the groups of the shape that a
	// scanner is filling, so that most goroutines find theirs without
	// hashing a key. owner says which scanner filled the slot.
	groups [2][]shapeGroup
	owner  [2]int
	// Capacity hints for the shape's first group in a scanner, so that a
	// warm parse (a service polled again has about as many goroutines of
	// each shape) grows no slice of goroutines: total is how many the
	// shape had in the latest snapshot, the capacity in slot 0, where
	// the helper's groups are appended in the end; the helper in slot 1
	// counts what it read itself (read), for the next parse (hint).
	total      int
	read, hint int
	fallback   bool // panicparse did not read it; read by the scanner
}

type shapeGroup struct {
	id groupID
	g  *Group
}

// lookup finds the group for id that scanner owner, in slot, filled.
func (sh *shape) lookup(slot, owner int, id groupID) *Group {
	if sh.owner[slot] != owner {
		return nil
	}
	for i := range sh.groups[slot] {
		if e := &sh.groups[slot][i]; e.id.state == id.state && e.id.args == id.args {
			return e.g
		}
	}
	return nil
}

// remember notes a group of the shape for scanner owner; a few are
// enough.
func (sh *shape) remember(slot, owner int, id groupID, g *Group) {
	if sh.owner[slot] != owner {
		sh.groups[slot], sh.owner[slot] = sh.groups[slot][:0], owner
		capacity := sh.total
		if slot == 1 {
			sh.hint, sh.read = sh.read, 0
			capacity = sh.hint
		}
		g.Goroutines = make([]Goroutine, 0, capacity)
	}
	if len(sh.groups[slot]) < 8 {
		sh.groups[slot] = append(sh.groups[slot], shapeGroup{id, g})
	}
}

// limits bound what a parse holds, whatever the input. A Parser has
// defaultLimits; tests make them small to reach them, or turn parallel
// off to compare.
type limits struct {
	// window is the scanner's usual buffer. It holds the goroutine being
	// read, so that its text can go to panicparse without a copy.
	window int
	// maxWindow bounds the buffer: a goroutine larger than this is cut.
	maxWindow int
	// groups bounds the groups of one dump, and newFrames the frames of
	// the stack shapes first seen in it: the goroutines past either are
	// counted in one group of other stacks. A service has hundreds or
	// thousands of groups; a target that names a function per request
	// has a new shape per goroutine, and each costs memory in every poll.
	groups, newFrames int
	// keepFrames bounds the shape cache between parses, counting a shape
	// as its frames and one: past it, the shapes unused for longest go
	// first.
	keepFrames int
	// counted bounds the goroutines of a profile: each is held as a
	// placeholder (see Estimate), some 80 bytes. Counts beyond it are
	// left out, with a warning.
	counted int
	// parallel lets a parse use a second core.
	parallel bool
}

// defaultLimits returns the limits of every Parser.
func defaultLimits() limits {
	return limits{
		window:     4 << 20,
		maxWindow:  256 << 20,
		groups:     1 << 16,
		newFrames:  1 << 19,
		keepFrames: 1 << 19,
		counted:    1 << 22,
		parallel:   true,
	}
}

// keepParses is how many parses a shape unused since stays cached: a
// service's shapes come back at every poll, and a target that makes new
// ones at every poll must not fill the cache with the old.
const keepParses = 8

// NewParser returns a Parser that groups goroutines by g.
func NewParser(g Grouping) *Parser {
	other := []Frame{{Func: OtherStacks}}
	return &Parser{
		grouping: g,
		lim:      defaultLimits(),
		seed:     maphash.MakeSeed(),
		shapes:   map[uint64]*shape{},
		other:    &shape{frames: other, blocking: -1, digest: shapeDigest(other, nil)},
		states:   map[string]internedState{},
		labels:   map[string][]Label{},
	}
}

// OtherStacks names the one frame of the group that holds the goroutines
// of a dump past the bounds on its groups and new stack shapes; a warning
// says when there is one.
const OtherStacks = "(other stacks)"

// mixedState is the state of the group of other stacks when its
// goroutines are in several.
const mixedState = "(various)"

// Grouping returns the grouping the Parser was made with.
func (p *Parser) Grouping() Grouping { return p.grouping }

// ShareCache makes the Parser keep a share of the usual bound on its
// cache of stack shapes: one of n parsers that read the same dumps under
// other groupings, so that together they keep no more than one would.
func (p *Parser) ShareCache(n int) { p.bound = p.lim.keepFrames / max(n, 1) }

// Parse reads all of r as one snapshot, whether it holds one dump or
// several (a log with many panics). The error is from reading r; what was
// read before it is still returned.
func (p *Parser) Parse(r io.Reader) (*Snapshot, error) {
	var snap *Snapshot
	err := p.parse(r, false, func(s *Snapshot) error { snap = s; return nil })
	return snap, err
}

// ParseEach reads r as a stream of dumps, one after another (a goroutine ID
// seen again starts the next dump), and calls fn with each as soon as it is
// complete. It stops at the first error from fn or from reading r.
func (p *Parser) ParseEach(r io.Reader, fn func(*Snapshot) error) error {
	return p.parse(r, true, fn)
}

func (p *Parser) parse(r io.Reader, split bool, fn func(*Snapshot) error) error {
	return p.parseInput(r, split, fn, input{})
}

// parseDump reads a dump with the scanner; head is what was read of r
// already, rerr the error that read returned.
func (p *Parser) parseDump(r io.Reader, head []byte, rerr error, split bool, fn func(*Snapshot) error) error {
	p.gen++
	s := p.newScanner(r, 0)
	s.start(head, rerr)
	s.parallel = p.lim.parallel && !split && runtime.GOMAXPROCS(0) > 1
	var before int64
	emitted := false
	emit := func() error {
		if emitted && s.total == 0 && len(s.warnings) == 0 {
			return nil
		}
		emitted = true
		snap := p.build(s)
		snap.Bytes = s.offset() - before
		before = s.offset()
		s.reset()
		p.evict()
		return fn(snap)
	}
	return s.run(split, emit)
}

// internState returns the state as printed and without its marks, both
// made safe to show.
func (p *Parser) internState(b []byte) internedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.states[string(b)]; ok {
		return st
	}
	st := internedState{raw: Clean(string(b), 200), base: Clean(string(baseState(bytes.Clone(b))), 200)}
	if len(p.states) < 4096 {
		p.states[string(b)] = st
	}
	return st
}

func (p *Parser) internLabels(b []byte) []Label {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l, ok := p.labels[string(b)]; ok {
		return l
	}
	l := parseLabels(b)
	for i := range l {
		l[i].Key = Clean(l[i].Key, 200)
		l[i].Value = Clean(l[i].Value, 500)
	}
	if len(p.labels) >= 1<<16 {
		clear(p.labels)
	}
	p.labels[string(b)] = l
	return l
}

// evict drops the shapes unused for keepParses parses, and keeps the
// cache within its bound: the shapes unused for longest go first, those
// of the latest dump last.
func (p *Parser) evict() {
	p.last.Evicted, p.last.EvictedInUse = 0, 0
	for fp, sh := range p.shapes {
		if p.gen-sh.used > keepParses {
			delete(p.shapes, fp)
			p.kept -= sh.cost()
			p.last.Evicted++
		}
	}
	p.last.Cached = len(p.shapes)
	bound := p.bound
	if bound <= 0 {
		bound = p.lim.keepFrames
	}
	if p.kept <= bound {
		return
	}
	all := make([]*shape, 0, len(p.shapes))
	for _, sh := range p.shapes {
		all = append(all, sh)
	}
	slices.SortFunc(all, func(a, b *shape) int { return cmp.Compare(b.used, a.used) })
	kept := 0
	keep := make(map[*shape]bool, len(all))
	for _, sh := range all {
		if kept+sh.cost() > bound {
			break
		}
		kept += sh.cost()
		keep[sh] = true
	}
	for fp, sh := range p.shapes {
		if !keep[sh] {
			delete(p.shapes, fp)
			p.last.Evicted++
			if sh.used == p.gen {
				p.last.EvictedInUse++
			}
		}
	}
	p.kept = kept
	p.last.Cached = len(p.shapes)
}

// cost is what a cached shape counts against the cache's bound.
func (sh *shape) cost() int { return len(sh.frames) + 1 }

// groupID is what puts two goroutines in the same group.
type groupID struct {
	shape *shape
	state string
	args  uint64
}

// build resolves new shapes and completes the scanner's groups.
func (p *Parser) build(s *scanner) *Snapshot {
	p.resolve(s)
	if s.others > 0 {
		s.warn(0, fmt.Sprintf("more distinct stacks than gorotop keeps of one dump (%d groups, or %d frames of stacks not seen before): %d goroutines past that are counted together as %s", p.lim.groups, p.lim.newFrames, s.others, OtherStacks))
	}
	if s.deep > 0 {
		what := "1 goroutine is"
		if s.deep > 1 {
			what = fmt.Sprintf("%d goroutines are", s.deep)
		}
		s.warn(0, fmt.Sprintf("%s deeper than %d frames (the runtime prints at most 100): the innermost %d of each are kept, %d more left out", what, maxFrames, maxFrames, s.deepFrames))
	}
	snap := &Snapshot{
		Total:     s.total,
		Groups:    s.order,
		Warnings:  s.warningText(),
		Truncated: s.truncated,
		Dumps:     s.dumps,
	}
	if snap.Dumps == 0 && s.total > 0 {
		snap.Dumps = 1
	}
	seen := map[*shape]struct{}{}
	for _, id := range s.ids {
		id.shape.total = 0
	}
	for i, g := range s.order {
		id := s.ids[i]
		sh := id.shape
		seen[sh] = struct{}{}
		sh.total += len(g.Goroutines)
		sh.used = p.gen
		// The caches point at this snapshot's groups: drop them, so the
		// Parser keeps nothing of a snapshot between polls.
		sh.groups, sh.owner = [2][]shapeGroup{}, [2]int{}
		g.Frames = sh.frames
		g.Blocking = sh.blocking
		g.CreatedBy = sh.createdBy
		g.Elided = sh.elided
		g.Key = groupKey(sh.digest, id.state, p.grouping, id.args)
	}
	slices.SortFunc(snap.Groups, func(a, b *Group) int {
		if c := cmp.Compare(len(b.Goroutines), len(a.Goroutines)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	p.last = stats{Shapes: len(seen), Parsed: p.last.Parsed, Cached: len(p.shapes), Helped: s.helps}
	return snap
}

// scanRounds has panicparse read a synthetic dump into parsed, by
// goroutine ID, in at most rounds rounds: each round reads up to a line
// panicparse rejects, and the next starts after it (every round consumes
// at least one line). It reports false if panicparse panicked, as it does
// on some function names ("a/b.c%41%41%41()": Func.Init slices at a
// negative index after unescaping); what it read before is in parsed.
func scanRounds(in io.Reader, rounds int, parsed map[int]*stack.Goroutine) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	for range rounds {
		snap, suffix, err := stack.ScanSnapshot(in, io.Discard, &stack.Opts{})
		if snap != nil {
			for _, g := range snap.Goroutines {
				parsed[g.ID] = g
			}
		}
		if len(suffix) == 0 && (err != nil || snap == nil) {
			break
		}
		in = io.MultiReader(bytes.NewReader(suffix), in)
	}
	return true
}

// groupKey derives a group's key from what defines it, so that the same
// code gets the same key in every dump and every process.
func groupKey(digest [16]byte, state string, g Grouping, args uint64) string {
	h := sha256.New()
	h.Write(digest[:])
	h.Write([]byte(state))
	if g != GroupCode {
		var b [9]byte
		b[0] = byte(g)
		binary.LittleEndian.PutUint64(b[1:], args)
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// resolveBatch is how many shapes panicparse reads in one synthetic dump:
// what it builds of them is held until they are all read.
const resolveBatch = 2048

// resolve has panicparse parse the shapes first seen in this input, in
// synthetic dumps of resolveBatch shapes.
func (p *Parser) resolve(s *scanner) {
	p.last.Parsed = len(s.freshList)
	if len(s.freshList) == 0 {
		return
	}
	failed := 0
	for list := s.freshList; len(list) > 0; {
		n := min(len(list), resolveBatch)
		failed += resolveShapes(list[:n], &p.names)
		list = list[n:]
	}
	for fp, sh := range s.fresh {
		p.shapes[fp] = sh
		p.kept += sh.cost()
	}
	if failed > 0 {
		s.warn(0, fmt.Sprintf("panicparse could not read %d of %d stack shapes; they were read line by line", failed, len(s.freshList)))
	}
	clear(s.fresh)
	clear(s.freshList)
	s.freshList = s.freshList[:0]
}

// resolveShapes fills in the frames of shapes from their representative
// text, all in one synthetic dump, and reports how many panicparse could
// not read. Function and file names come from names: a string held by a
// frame would otherwise hold the whole line panicparse read it from.
func resolveShapes(list []*shape, names *interner) (failed int) {
	synthetic := func(buf *bytes.Buffer, i int, sh *shape) {
		buf.WriteString("goroutine ")
		buf.WriteString(strconv.Itoa(i + 1))
		buf.WriteString(" [running]:\n")
		buf.Write(sh.rep)
		buf.WriteByte('\n')
	}
	var buf bytes.Buffer
	for i, sh := range list {
		synthetic(&buf, i, sh)
	}
	parsed := make(map[int]*stack.Goroutine, len(list))
	if !scanRounds(&buf, len(list)+8, parsed) {
		// panicparse panicked on a shape: read each alone, so that only
		// the shapes it cannot take are read line by line, and every
		// other gets the same frames (and group key) as in any dump.
		clear(parsed)
		for i, sh := range list {
			buf.Reset()
			synthetic(&buf, i, sh)
			scanRounds(&buf, 8, parsed)
		}
	}
	for i, sh := range list {
		g := parsed[i+1]
		if g == nil && sh.frameHint == 0 {
			// A header with no stack under it.
			sh.frames, sh.createdBy, sh.elided = readRep(sh.rep)
		} else if g == nil || len(g.Stack.Calls) != sh.frameHint || !whole(g) {
			sh.fallback = true
			failed++
			sh.frames, sh.createdBy, sh.elided = readRep(sh.rep)
		} else {
			sh.frames = make([]Frame, len(g.Stack.Calls))
			for j, c := range g.Stack.Calls {
				sh.frames[j] = Frame{Func: names.get(Clean(c.Func.Complete, 500)), File: names.get(Clean(c.RemoteSrcPath, 500)), Line: c.Line}
			}
			if len(g.CreatedBy.Calls) > 0 {
				c := g.CreatedBy.Calls[0]
				sh.createdBy = &Frame{Func: names.get(Clean(c.Func.Complete, 500)), File: names.get(Clean(c.RemoteSrcPath, 500)), Line: c.Line}
			}
			sh.elided = g.Stack.Elided
		}
		sh.blocking = blockingFrame(sh.frames)
		sh.digest = shapeDigest(sh.frames, sh.createdBy)
		sh.rep = nil
	}
	return failed
}

// interner keeps one copy of each function and file name of the stack
// shapes: a service's thousands of shapes name a few hundred functions in
// a few dozen files. It forgets all it holds past maxNames, so that a
// target that makes new names at every poll cannot fill it.
type interner struct{ m map[string]string }

// maxNames bounds an interner.
const maxNames = 1 << 16

func (in *interner) get(s string) string {
	if c, ok := in.m[s]; ok {
		return c
	}
	if in.m == nil || len(in.m) >= maxNames {
		in.m = make(map[string]string, 1024)
	}
	c := strings.Clone(s)
	in.m[c] = c
	return c
}

// whole reports whether panicparse read every frame of g: a function
// name with a "/" after its package's last dot leaves it an empty frame.
func whole(g *stack.Goroutine) bool {
	for _, c := range append(g.Stack.Calls, g.CreatedBy.Calls...) {
		if c.Func.Complete == "" || c.RemoteSrcPath == "" {
			return false
		}
	}
	return true
}

// readRep reads a representative body without panicparse.
func readRep(rep []byte) (frames []Frame, createdBy *Frame, elided bool) {
	lines := bytes.Split(rep, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case bytes.HasPrefix(line, []byte("...")):
			elided = true
		case len(line) > 0 && line[0] != '\t' && i+1 < len(lines):
			path, n := splitFile(trimIndent(lines[i+1]))
			num, _ := strconv.Atoi(string(n))
			f := Frame{File: Clean(string(path), 500), Line: num}
			if bytes.HasPrefix(line, createdByPrefix) {
				f.Func = Clean(string(line[len(createdByPrefix):]), 500)
				createdBy = &f
			} else {
				open := bytes.LastIndexByte(line, '(')
				if open < 0 {
					open = len(line)
				}
				f.Func = Clean(string(line[:open]), 500)
				frames = append(frames, f)
			}
			i++
		}
	}
	return frames, createdBy, elided
}

// shapeDigest hashes a stack's code locations.
func shapeDigest(frames []Frame, createdBy *Frame) [16]byte {
	h := sha256.New()
	write := func(f Frame) {
		h.Write([]byte(f.Func))
		h.Write([]byte{0})
		h.Write([]byte(f.File))
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(f.Line)))
		h.Write([]byte{'\n'})
	}
	for _, f := range frames {
		write(f)
	}
	if createdBy != nil {
		h.Write([]byte("created by\n"))
		write(*createdBy)
	}
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

// representative turns a goroutine's body, as read, into the text
// panicparse is given for its shape: the frames the scanner fingerprinted,
// with "in goroutine N" and file offsets dropped, and no ancestry.
func representative(body []byte, indent int) []byte {
	var out []byte
	var pending []byte
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) >= indent {
			line = line[indent:]
		}
		kind, path, num := classify(line)
		switch kind {
		case lineFunc:
			pending = line
		case lineCreated:
			pending = line
			if i := bytes.Index(line, inGoroutine); i >= 0 {
				pending = line[:i]
			}
		case lineFile:
			if pending == nil {
				return out
			}
			out = append(out, pending...)
			out = append(out, "\n\t"...)
			out = append(out, path...)
			out = append(out, ':')
			out = append(out, num...)
			out = append(out, '\n')
			pending = nil
		case lineElided:
			pending = nil
			out = append(out, line...)
			out = append(out, '\n')
		case lineUnavailable:
			out = append(out, '\t')
			out = append(out, unavailable...)
			out = append(out, '\n')
		default:
			return out
		}
	}
	return out
}
