package stackparse

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// pprofLimit is where runtime/pprof stops a ?debug=2 dump: it retries
// runtime.Stack with a doubled buffer up to 64 MiB and then writes what
// fits.
const pprofLimit = 64 << 20

// firstWindow is the scanner's first buffer: a small dump needs no more.
// A larger input grows it to window.
const firstWindow = 64 << 10

const (
	// maxFrames bounds the frames kept of one goroutine: the innermost
	// ones, where it waits. The runtime prints at most 100 (50 innermost,
	// "...N frames elided...", 50 outermost); deeper stacks come from
	// hostile or broken targets, and every frame kept costs memory in
	// every poll.
	maxFrames = 256

	// maxLine bounds a line outside goroutines; longer junk is skipped.
	maxLine = 1 << 20
)

// lineKind classifies a line of a goroutine body.
type lineKind int

const (
	lineJunk lineKind = iota
	lineBlank
	lineHeader
	lineFunc
	lineFile
	lineCreated
	lineElided
	lineAncestor
	lineUnavailable
)

var (
	createdByPrefix = []byte("created by ")
	inGoroutine     = []byte(" in goroutine ")
	ancestorPrefix  = []byte("[originating from goroutine ")
	unavailable     = []byte("goroutine running on other thread; stack unavailable")
	additionalElide = []byte("...additional frames elided...")
	framesElided    = []byte(" frames elided...")
	raceWarning     = []byte("WARNING: DATA RACE")
	debug1Header    = []byte("goroutine profile: total ")
)

// scanner walks an input line by line and produces records. It reads into
// a window that always holds the whole goroutine being read: a goroutine's
// fingerprint is computed as its lines go by, and only when the
// fingerprint is new is its text, still in the window, handed on.
type scanner struct {
	p    *Parser
	r    io.Reader
	slot int // 0 for the main scanner, 1 for a helper on the second core
	id   int // tells this scanner's entries in the shapes' group caches

	buf    []byte
	pos    int   // next byte to read in buf
	end    int   // end of the data in buf
	limit  int   // while a helper reads buf[limit:], this scanner stops at limit; else -1
	base   int64 // input offset of buf[0]
	rerr   error // the reader's error (io.EOF at the end)
	skip   bool  // dropping the rest of an overlong line
	lineNo int

	// parallel lets the scanner hand the second half of a full window to
	// a helper scanner on another core.
	parallel bool
	helper   *scanner
	helped   chan struct{}
	helpEnd  int     // where the helper's part of buf ends
	helps    int     // parts helpers read
	seen     []int64 // a helper's goroutine IDs in order, for dump counting

	// The goroutine being read. Offsets index buf and move with it.
	in        bool
	hdr       header // its slices are only valid in begin
	state     string
	baseState string
	labels    []Label
	hdrLine   int
	body      int // offset of the body's first line
	fp        uint64
	args      uint64
	frames    int
	pending   int // offset of a function line waiting for its file line, or -1
	pendEnd   int
	creating  bool // the pending line is a "created by"
	parent    int64
	skipping  bool // inside an [originating from goroutine N] block
	complete  bool // the body so far ends at a whole frame
	// detached says the window no longer holds the body: head holds
	// what its shape needs of it (the frames kept, when the goroutine
	// went past maxFrames or into its ancestry), so that the rest streams
	// through the window; tail holds the creator read after a cut.
	detached bool
	cut      bool // frames past maxFrames are being left out
	head     []byte
	tail     []byte

	// Goroutines of the dump cut at maxFrames, and the frames left out.
	deep       int
	deepFrames int64
	// Frames of the shapes first seen in this dump, and the goroutines
	// put in the group of other stacks, past the limits on groups and new frames.
	newFrames int
	others    int
	// What the scanner may add of either: a helper gets what is left.
	groupBudget, frameBudget int

	// Caches that spare the Parser's locked maps.
	states map[string]internedState
	labelz map[string][]Label

	// Shapes first seen in this input, not yet resolved; the Parser's
	// own map is only read while scanners run.
	fresh     map[uint64]*shape
	freshList []*shape

	// The dump being read.
	dumpIDs idSet
	emitErr error

	// The groups of the dump being read, in order of first appearance,
	// with their shapes; frames and keys are filled in once the shapes
	// are resolved.
	groups    map[groupID]*Group
	ids       []groupID
	order     []*Group
	total     int
	dumps     int
	warnings  []warning
	dropped   int // warnings beyond maxWarnings
	truncated bool
	race      bool
	debug1    bool
}

// warning is one line for Snapshot.Warnings; line is 0 when it concerns
// the whole input.
type warning struct {
	line int
	msg  string
}

func (p *Parser) newScanner(r io.Reader, slot int) *scanner {
	p.seq++
	s := &scanner{
		p: p, r: r, slot: slot, id: p.seq,
		limit:   -1,
		pending: -1,
		states:  map[string]internedState{},
		labelz:  map[string][]Label{},
		fresh:   map[uint64]*shape{},
		groups:  map[groupID]*Group{},

		groupBudget: p.lim.groups,
		frameBudget: p.lim.newFrames,
	}
	if r != nil {
		s.buf = make([]byte, min(p.lim.window, firstWindow))
	}
	return s
}

// start gives the scanner what was read of its input already, as its
// first read, and the error that read returned.
func (s *scanner) start(head []byte, rerr error) {
	if len(head) > len(s.buf) {
		s.buf = make([]byte, len(head))
	}
	s.end = copy(s.buf, head)
	s.rerr = rerr
}

// offset is how many bytes of the input have been read into lines.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// nextLine returns the next line without its line ending, and where it
// starts in buf. The slice is valid until the next call. eol is false for
// a last line without a newline. ok is false at the end of the input.
func (s *scanner) nextLine() (line []byte, start int, eol, ok bool) {
	for {
		end := s.end
		if s.limit >= 0 {
			end = s.limit
		}
		if i := bytes.IndexByte(s.buf[s.pos:end], '\n'); i >= 0 {
			start = s.pos
			s.pos += i + 1
			if s.skip {
				s.skip = false
				continue
			}
			line = s.buf[start : start+i]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			s.lineNo++
			return line, start, true, true
		}
		switch {
		case s.helper != nil:
			s.join()
		case s.r == nil:
			// A helper's part of the window ends with a whole line.
			return nil, 0, false, false
		case s.rerr != nil:
			if s.pos < s.end && !s.skip {
				start = s.pos
				s.pos = s.end
				s.lineNo++
				return s.buf[start:s.end], start, false, true
			}
			s.pos = s.end
			return nil, 0, false, false
		default:
			s.fill()
			s.fork()
		}
	}
}

// fill reads more input, first moving what must be kept (the goroutine
// being read, or the current line) to the front of the window. It reads
// until the window is full or the input ends, so that a helper gets a
// large part.
func (s *scanner) fill() {
	keep := s.pos
	switch {
	case s.in && s.detached:
		if s.pending >= 0 && s.pending < keep {
			keep = s.pending
		}
	case s.in && s.body < keep:
		keep = s.body
	}
	if s.base > 0 && len(s.buf) < s.p.lim.window {
		// The input is larger than the buffer: take the usual window,
		// large enough to share with a helper.
		grown := make([]byte, min(2*len(s.buf), s.p.lim.window))
		s.end = copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	if keep == 0 && s.end == len(s.buf) {
		switch {
		case len(s.buf) < s.p.lim.maxWindow:
			grown := make([]byte, 2*len(s.buf))
			copy(grown, s.buf[:s.end])
			s.buf = grown
		case s.in:
			s.warn(s.hdrLine, fmt.Sprintf("goroutine %d is larger than %d MiB: the rest of it is skipped", s.hdr.id, s.p.lim.maxWindow>>20))
			s.finish(s.pos)
			keep = s.pos
		}
	}
	if keep > 0 {
		copy(s.buf, s.buf[keep:s.end])
		s.end -= keep
		s.pos -= keep
		s.base += int64(keep)
		if s.in {
			s.body = max(s.body-keep, 0)
			if s.pending >= 0 {
				s.pending -= keep
				s.pendEnd -= keep
			}
		}
	}
	if !s.in && s.end-s.pos >= maxLine && bytes.IndexByte(s.buf[s.pos:s.end], '\n') < 0 {
		// An overlong line of junk: drop what is read of it.
		s.base += int64(s.end)
		s.pos, s.end = 0, 0
		s.skip = true
	}
	for s.end < len(s.buf) && s.rerr == nil {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
		}
		if n == 0 || !s.parallel {
			break
		}
	}
}

// minHelp is the least a helper is given: below it, a second core costs
// more than it saves.
const minHelp = 512 << 10

// fork hands the second half of the whole goroutines in the window to a
// helper scanner on another core; this scanner reads the first half and
// then joins it. The helper's part starts where a goroutine header follows
// a blank line, so no goroutine crosses into it; this scanner may be in the
// middle of one, which ends before the helper's part.
func (s *scanner) fork() {
	if !s.parallel || s.end-s.pos < 2*minHelp {
		return
	}
	cut := s.end
	if s.rerr == nil {
		cut = lastBoundary(s.buf[s.pos:s.end])
		if cut < 0 {
			return
		}
		cut += s.pos
	}
	mid := lastBoundary(s.buf[s.pos : s.pos+(cut-s.pos)/2])
	if mid < 0 || cut-(s.pos+mid) < minHelp {
		return
	}
	mid += s.pos
	if cut == s.end && s.end > 0 && s.buf[s.end-1] != '\n' {
		// The last line of the input has no newline: keep it here.
		return
	}
	h := s.p.newScanner(nil, 1)
	h.buf, h.pos, h.end, h.limit = s.buf, mid, cut, cut
	h.base = s.base
	h.seen = make([]int64, 0, 1024)
	h.groupBudget, h.frameBudget = max(s.p.lim.groups-len(s.groups), 0), max(s.p.lim.newFrames-s.newFrames, 0)
	s.helper, s.helpEnd, s.limit = h, cut, mid
	s.helps++
	s.helps++
	s.helped = make(chan struct{})
	go func() {
		defer close(s.helped)
		h.scanPart()
	}()
}

// lastBoundary returns the offset in b of the last goroutine header that
// follows a blank line, or -1.
func lastBoundary(b []byte) int {
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], []byte("\ngoroutine "))
		if i < 1 {
			return -1
		}
		if b[i-1] == '\n' || b[i-1] == '\r' && i >= 2 && b[i-2] == '\n' {
			return i + 1
		}
		end = i
	}
}

// scanPart is a helper's whole job: read its part of the window. A part
// ends where a goroutine header follows a blank line, or at the end of the
// input: there the last goroutine may end with a single newline (as
// net/http/pprof ends a dump), and is finished as at the end of any input.
func (s *scanner) scanPart() {
	for {
		line, start, eol, ok := s.nextLine()
		if !ok {
			if s.in {
				s.endAtEOF()
			}
			return
		}
		if s.in && !s.bodyLine(line, start, eol) {
			continue
		}
		s.outside(line, false, nil)
	}
}

// join waits for the helper and takes in what it found, as if this
// scanner had read the helper's part itself.
func (s *scanner) join() {
	<-s.helped
	h := s.helper
	s.helper, s.limit, s.pos = nil, -1, s.helpEnd
	for _, w := range h.warnings {
		if w.line > 0 {
			w.line += s.lineNo
		}
		s.warn(w.line, w.msg)
	}
	s.dropped += h.dropped
	s.lineNo += h.lineNo
	s.race = s.race || h.race
	s.truncated = s.truncated || h.truncated
	s.debug1 = s.debug1 || h.debug1
	s.deep += h.deep
	s.deepFrames += h.deepFrames
	for _, id := range h.seen {
		s.countDump(id)
	}
	// The helper's new shapes become ours as their groups do; a shape we
	// both found is ours, and its groups merge. Past the limit on groups, the
	// helper's groups new to us join the group of other stacks.
	canon := make(map[*shape]*shape, len(h.freshList))
	theirs := make(map[*shape]uint64, len(h.freshList))
	for fp, sh := range h.fresh {
		if mine, ok := s.fresh[fp]; ok {
			canon[sh] = mine
		} else {
			theirs[sh] = fp
		}
	}
	s.others += h.others
	for i, hg := range h.order {
		id := h.ids[i]
		if c, ok := canon[id.shape]; ok {
			id.shape = c
		}
		g := s.groups[id]
		if g == nil && id.shape != s.p.other && len(s.groups) >= s.p.lim.groups {
			s.others += len(hg.Goroutines)
			id = groupID{shape: s.p.other}
			g = s.groups[id]
		}
		if g == nil {
			if fp, ok := theirs[id.shape]; ok {
				delete(theirs, id.shape)
				s.fresh[fp] = id.shape
				s.freshList = append(s.freshList, id.shape)
				s.newFrames += id.shape.frameHint
			}
			s.groups[id] = hg
			s.ids = append(s.ids, id)
			s.order = append(s.order, hg)
			continue
		}
		if g.State != hg.State {
			g.State = mixedState
		}
		for st, n := range hg.States {
			g.States[st] += n
		}
		g.Leaked += hg.Leaked
		g.Locked = g.Locked || hg.Locked
		g.WaitMin = min(g.WaitMin, hg.WaitMin)
		g.WaitMax = max(g.WaitMax, hg.WaitMax)
		g.Goroutines = append(g.Goroutines, hg.Goroutines...)
	}
	s.total += h.total
}

// run reads the whole input. emit is called at each boundary between dumps
// when split is set, and once at the end.
func (s *scanner) run(split bool, emit func() error) error {
	for {
		line, start, eol, ok := s.nextLine()
		if !ok {
			if s.in {
				s.endAtEOF()
			}
			if s.offset() == pprofLimit && s.total > 0 {
				s.truncated = true
				s.warn(0, "the dump is exactly 64 MiB, where runtime/pprof cuts ?debug=2 dumps without a word: the goroutines after the cut are missing and counts are a lower bound")
			}
			if s.race && s.total == 0 {
				s.warn(0, "a data race report, not a goroutine dump: no goroutines in it")
			}
			if s.debug1 && s.total == 0 {
				s.warn(0, "a ?debug=1 goroutine profile (counts per stack), not a ?debug=2 dump: fetch /debug/pprof/goroutine?debug=2")
			}
			emitErr := emit()
			if s.rerr != io.EOF {
				return s.rerr
			}
			return emitErr
		}
		if s.in && !s.bodyLine(line, start, eol) {
			continue
		}
		// The line is not part of a goroutine body.
		s.outside(line, split, emit)
		if s.emitErr != nil {
			return s.emitErr
		}
	}
}

// outside handles a line that is not part of a goroutine body.
func (s *scanner) outside(line []byte, split bool, emit func() error) {
	if len(line) == 0 || !bytes.Contains(line, goroutinePrefix) {
		if len(line) == len(raceWarning) && bytes.Equal(line, raceWarning) {
			s.race = true
		}
		return
	}
	h, ok := parseHeader(line)
	if !ok {
		if bytes.HasPrefix(line, debug1Header) {
			s.debug1 = true
		}
		return
	}
	if h.bigID != nil {
		s.warn(s.lineNo, fmt.Sprintf("goroutine %s: ID larger than gorotop reads (%d at most), goroutine skipped", h.bigID, int64(math.MaxInt64)))
		return
	}
	if h.badTail {
		s.warn(s.lineNo, fmt.Sprintf("goroutine %d: header not understood, goroutine skipped: %s", h.id, Clean(string(line), 120)))
		return
	}
	if s.seen != nil {
		// A helper: the main scanner counts dumps once it joins.
		s.seen = append(s.seen, h.id)
	} else if s.countDump(h.id) && split {
		s.emitErr = emit()
	}
	s.begin(h)
}

// countDump notes a goroutine ID and reports whether it starts a new dump
// after an earlier one: an ID seen before in the dump starts the next.
func (s *scanner) countDump(id int64) (next bool) {
	if dup := s.dumpIDs.add(id); dup || s.dumps == 0 {
		next = s.dumps > 0
		s.dumps++
		s.dumpIDs.reset()
		s.dumpIDs.add(id)
	}
	return next
}

// internState interns a state through this scanner's cache.
func (s *scanner) internState(b []byte) internedState {
	if st, ok := s.states[string(b)]; ok {
		return st
	}
	st := s.p.internState(b)
	s.states[string(b)] = st
	return st
}

func (s *scanner) internLabels(b []byte) []Label {
	if l, ok := s.labelz[string(b)]; ok {
		return l
	}
	l := s.p.internLabels(b)
	if len(s.labelz) < 1<<14 {
		s.labelz[string(b)] = l
	}
	return l
}

// begin starts a goroutine; its header is the line just read.
func (s *scanner) begin(h header) {
	s.in = true
	s.hdr = h
	st := s.internState(h.state)
	s.state, s.baseState = st.raw, st.base
	s.labels = nil
	if h.labels != nil {
		s.labels = s.internLabels(h.labels)
	}
	s.hdrLine = s.lineNo
	s.body = s.pos
	s.fp = 0
	s.args = fnvOffset
	s.frames = 0
	s.pending = -1
	s.creating = false
	s.parent = 0
	s.skipping = false
	s.complete = false
	s.detached, s.cut = false, false
	s.head, s.tail = s.head[:0], s.tail[:0]
}

// detach copies what the shape needs of the body read so far, up to
// offset stop, out of the window: the rest of the goroutine streams
// through it.
func (s *scanner) detach(stop int) {
	if !s.detached {
		s.detached = true
		s.head = append(s.head[:0], representative(s.buf[s.body:max(stop, s.body)], s.hdr.indent)...)
	}
}

// bodyLine handles a line while inside a goroutine. It returns true when
// the line ended the goroutine without being part of it.
func (s *scanner) bodyLine(line []byte, start int, eol bool) (notOurs bool) {
	if s.hdr.indent > 0 && len(line) > 0 {
		if len(line) < s.hdr.indent || !isBlank(line[:s.hdr.indent]) {
			s.finish(start)
			return true
		}
		line = line[s.hdr.indent:]
		start += s.hdr.indent
	}
	kind, path, num := classify(line)
	switch kind {
	case lineBlank:
		s.finish(start)
		return false
	case lineHeader:
		s.finish(start)
		return true
	case lineAncestor:
		// The shape ends here: what follows is the ancestry.
		if s.pending >= 0 {
			s.detach(s.pending)
		} else {
			s.detach(start)
		}
		s.pending = -1
		s.skipping = true
		return false
	}
	if s.skipping {
		// Ancestry of the goroutine: [originating from goroutine N] blocks.
		return false
	}
	if !eol && kind == lineJunk {
		// The input stops in the middle of a line of this goroutine.
		s.endAtEOF()
		return false
	}
	switch kind {
	case lineFunc, lineCreated:
		if s.pending >= 0 {
			// Two function lines in a row: the first was not a frame.
			s.finish(s.pending)
			return true
		}
		s.pending, s.pendEnd = start, start+len(line)
		s.creating = kind == lineCreated
		s.complete = false
		if !eol {
			s.endAtEOF()
		}
	case lineFile:
		if s.pending < 0 {
			s.finish(start)
			return true
		}
		if !eol && !fileComplete(line) {
			s.endAtEOF()
			return false
		}
		s.frame(s.buf[s.pending:s.pendEnd], path, num)
		s.pending = -1
		s.complete = true
	case lineElided:
		s.pending = -1
		if !s.cut {
			s.mix(maphash.String(s.p.seed, "...elided"))
		}
	case lineUnavailable:
		if s.cut {
			return false
		}
		s.mix(maphash.String(s.p.seed, "unavailable"))
		s.frames++
		s.complete = true
	default:
		s.finish(start)
		return true
	}
	return false
}

// mix adds a piece's hash to the fingerprint.
func (s *scanner) mix(h uint64) {
	s.fp = (bits.RotateLeft64(s.fp, 7) ^ h) * 0x9e3779b97f4a7c15
}

// frame adds a function line and its file line to the fingerprint.
func (s *scanner) frame(fn, path, num []byte) {
	if s.creating {
		name := fn[len(createdByPrefix):]
		if i := bytes.Index(name, inGoroutine); i >= 0 {
			if n := name[i+len(inGoroutine):]; len(n) > 0 && len(n) < 19 {
				s.parent = int64(atoiFast(n))
			}
			name = name[:i]
		}
		s.mix(^maphash.Bytes(s.p.seed, name))
		if s.cut {
			s.tail = append(s.tail[:0], fn[:len(createdByPrefix)+len(name)]...)
			s.tail = append(s.tail, "\n\t"...)
			s.tail = append(s.tail, path...)
			s.tail = append(s.tail, ':')
			s.tail = append(s.tail, num...)
			s.tail = append(s.tail, '\n')
		}
	} else {
		if s.frames >= maxFrames {
			// One frame too many: keep the innermost maxFrames, count
			// the rest, and let them stream by.
			if !s.cut {
				s.detach(s.pending)
				s.head = append(s.head, additionalElide...)
				s.head = append(s.head, '\n')
				s.cut = true
				s.deep++
				s.mix(maphash.String(s.p.seed, "...cut"))
			}
			s.deepFrames++
			return
		}
		open := bytes.LastIndexByte(fn, '(')
		s.mix(maphash.Bytes(s.p.seed, fn[:open]))
		if s.p.grouping != GroupCode {
			s.hashArgs(fn[open:])
		}
		s.frames++
	}
	s.mix(maphash.Bytes(s.p.seed, path) + uint64(atoiFast(num)))
}

// FNV-1a, a hash that is the same in every process: argument fingerprints
// end up in group keys.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (s *scanner) fnv(b []byte) {
	h := s.args
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	s.args = h
}

// hashArgs adds the argument text "(0x1, 0xc000012345, ...)" to the
// argument fingerprint; for pointer grouping, values that look like
// pointers are masked as panicparse's AnyPointer does.
func (s *scanner) hashArgs(args []byte) {
	if s.p.grouping == GroupExact {
		s.fnv(args)
		s.fnv([]byte{0})
		return
	}
	start := -1
	for i := 0; i <= len(args); i++ {
		c := byte(',')
		if i < len(args) {
			c = args[i]
		}
		isTok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '?'
		if isTok {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			tok := args[start:i]
			if v, err := strconv.ParseUint(string(bytes.TrimSuffix(tok, []byte("?"))), 0, 64); err == nil && v > 512*1024 && v < 1<<63 {
				s.fnv([]byte{'*'})
			} else {
				s.fnv(tok)
			}
			start = -1
		}
		s.fnv([]byte{c})
	}
}

// finish ends the goroutine being read; its body ends at offset stop.
func (s *scanner) finish(stop int) {
	s.in = false
	if s.pending >= 0 && s.pending < stop {
		// A function line no file line followed is not part of the stack.
		stop = s.pending
	}
	s.pending = -1
	id := groupID{state: s.baseState}
	if s.p.grouping != GroupCode {
		id.args = s.args
	}
	var g *Group
	if id.shape = s.p.shapes[s.fp]; id.shape == nil {
		id.shape = s.fresh[s.fp]
	}
	if id.shape != nil {
		if g = id.shape.lookup(s.slot, s.id, id); g == nil {
			g = s.groups[id]
		}
	}
	if g == nil && (len(s.groups) >= s.groupBudget || id.shape == nil && s.newFrames+s.frames > s.frameBudget) {
		// Past the bounds: counted, but not told apart.
		id = groupID{shape: s.p.other}
		g = s.groups[id]
		s.others++
	}
	if id.shape == nil {
		var rep []byte
		if s.detached {
			rep = slices.Concat(s.head, s.tail)
		} else {
			rep = representative(s.buf[s.body:max(stop, s.body)], s.hdr.indent)
		}
		id.shape = &shape{rep: rep, frameHint: s.frames}
		s.fresh[s.fp] = id.shape
		s.freshList = append(s.freshList, id.shape)
		s.newFrames += s.frames
	}
	if g == nil {
		g = &Group{State: s.baseState, States: map[string]int{}, WaitMin: s.hdr.wait, WaitMax: s.hdr.wait}
		s.groups[id] = g
		id.shape.remember(s.slot, s.id, id, g)
		s.order = append(s.order, g)
		s.ids = append(s.ids, id)
	}
	if g.State != s.baseState {
		g.State = mixedState // only the group of other stacks mixes states
	}
	if s.slot == 1 {
		id.shape.read++
	}
	g.States[s.state]++
	if s.hdr.leaked {
		g.Leaked++
	}
	g.Locked = g.Locked || s.hdr.locked
	g.WaitMin = min(g.WaitMin, s.hdr.wait)
	g.WaitMax = max(g.WaitMax, s.hdr.wait)
	g.Goroutines = append(g.Goroutines, Goroutine{
		ID:          s.hdr.id,
		Parent:      s.parent,
		WaitMinutes: s.hdr.wait,
		Leaked:      s.hdr.leaked,
		State:       s.state,
		Labels:      s.labels,
	})
	s.total++
}

// endAtEOF finishes a goroutine the input stopped in.
func (s *scanner) endAtEOF() {
	if s.pending >= 0 || !s.complete {
		s.truncated = true
		s.warn(s.hdrLine, fmt.Sprintf("input ends inside goroutine %d after %d bytes: the dump was cut off; its last goroutine is incomplete", s.hdr.id, s.offset()))
	}
	s.finish(s.pos)
}

func (s *scanner) warn(line int, msg string) {
	if len(s.warnings) >= maxWarnings {
		s.dropped++
		return
	}
	s.warnings = append(s.warnings, warning{line, msg})
}

// maxWarnings bounds what hostile input can make a scanner keep.
const maxWarnings = 1000

// warningText formats the warnings, the first few of them.
func (s *scanner) warningText() []string {
	const most = 20
	var out []string
	for i, w := range s.warnings {
		if i == most {
			out = append(out, fmt.Sprintf("%d more warnings left out", len(s.warnings)-most+s.dropped))
			break
		}
		if w.line > 0 {
			out = append(out, fmt.Sprintf("line %d: %s", w.line, w.msg))
		} else {
			out = append(out, w.msg)
		}
	}
	return out
}

// classify says what a body line is; for a file line it also returns the
// path and the line number. Lines here have had the header's indentation
// removed.
func classify(line []byte) (kind lineKind, path, num []byte) {
	if len(line) == 0 {
		return lineBlank, nil, nil
	}
	switch line[0] {
	case '\t', ' ':
		t := trimIndent(line)
		if len(t) == 0 {
			return lineBlank, nil, nil
		}
		if path, num = splitFile(t); path != nil {
			return lineFile, path, num
		}
		if bytes.HasPrefix(t, unavailable) {
			return lineUnavailable, nil, nil
		}
		return lineJunk, nil, nil
	case 'g':
		if bytes.HasPrefix(line, goroutinePrefix) {
			if _, ok := parseHeader(line); ok {
				return lineHeader, nil, nil
			}
		}
	case 'c':
		if bytes.HasPrefix(line, createdByPrefix) {
			return lineCreated, nil, nil
		}
	case '[':
		if bytes.HasPrefix(line, ancestorPrefix) {
			return lineAncestor, nil, nil
		}
	case '.':
		if bytes.Equal(line, additionalElide) || bytes.HasPrefix(line, []byte("...")) && bytes.HasSuffix(line, framesElided) {
			return lineElided, nil, nil
		}
	}
	if n := len(line); line[n-1] == ')' && bytes.IndexByte(line, '(') > 0 {
		return lineFunc, nil, nil
	}
	return lineJunk, nil, nil
}

func trimIndent(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// fileComplete reports whether a file line cut by the end of the input is
// still whole: it has its "+0x…" offset, or nothing after the line number
// was expected.
func fileComplete(t []byte) bool {
	return bytes.Contains(t, []byte(" +0x")) || !bytes.ContainsAny(trimIndent(t), " ")
}

// splitFile splits "path/file.go:123 +0x1f fp=0x1 sp=0x2 pc=0x3" (leading
// white space removed) into the path and the line number; nil if t is not
// a file line.
func splitFile(t []byte) (path, num []byte) {
	// From the end: the line number's colon, its digits, then nothing
	// but " +0x…" and " fp=… sp=… pc=…" tokens.
	colon := bytes.LastIndexByte(t, ':')
	if colon <= 0 {
		return nil, nil
	}
	end := colon + 1
	for end < len(t) && end-colon <= 11 && t[end] >= '0' && t[end] <= '9' {
		end++
	}
	if end == colon+1 || end-colon > 11 {
		return nil, nil
	}
	for rest := t[end:]; len(rest) > 0; {
		if rest[0] != ' ' || len(rest) < 4 {
			return nil, nil
		}
		tail := rest[1:4]
		if !(tail[0] == '+' && tail[1] == '0' && tail[2] == 'x' || tail[2] == '=' && (tail[0] == 'f' || tail[0] == 's' || tail[0] == 'p') && (tail[1] == 'p' || tail[1] == 'c')) {
			return nil, nil
		}
		next := bytes.IndexByte(rest[1:], ' ')
		if next < 0 {
			break
		}
		rest = rest[1+next:]
	}
	return t[:colon], t[colon+1 : end]
}

// atoiFast reads a short run of digits; the callers checked them.
func atoiFast(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// reset forgets the dump just emitted.
func (s *scanner) reset() {
	s.p.seq++
	s.id = s.p.seq
	s.groups = map[groupID]*Group{}
	s.order, s.ids = nil, nil
	s.total = 0
	s.warnings, s.dropped = nil, 0
	s.helps = 0
	s.truncated = false
	s.deep, s.deepFrames = 0, 0
	s.newFrames, s.others = 0, 0
}

// idSet is a set of goroutine IDs: a bitmap for the usual small IDs, a map
// for the rest.
type idSet struct {
	bits []uint64
	set  []int64 // IDs whose bit is set, to clear them cheaply
	big  map[int64]struct{}
}

// bitmapIDs bounds the bitmap: IDs up to 16 M take at most 2 MiB.
const bitmapIDs = 1 << 24

// add puts id in the set and reports whether it was there already.
func (s *idSet) add(id int64) bool {
	if id >= 0 && id < bitmapIDs {
		w := int(id >> 6)
		if w >= len(s.bits) {
			s.bits = append(s.bits, make([]uint64, w+1-len(s.bits)+len(s.bits)/2)...)
		}
		mask := uint64(1) << (id & 63)
		if s.bits[w]&mask != 0 {
			return true
		}
		s.bits[w] |= mask
		s.set = append(s.set, id)
		return false
	}
	if s.big == nil {
		s.big = map[int64]struct{}{}
	}
	if _, ok := s.big[id]; ok {
		return true
	}
	s.big[id] = struct{}{}
	return false
}

// reset empties the set.
func (s *idSet) reset() {
	for _, id := range s.set {
		s.bits[id>>6] = 0
	}
	s.set = s.set[:0]
	clear(s.big)
}
