package stackparse

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"strconv"
)

// window is the scanner's starting buffer. It holds the goroutine being
// read, so that its text can go to panicparse without a copy. Tests make it
// small to exercise the moves at its edges.
var window = 4 << 20

const (
	// maxWindow bounds the buffer: a goroutine larger than this is cut.
	maxWindow = 256 << 20
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
	p *Parser
	r io.Reader

	buf    []byte
	pos    int   // next byte to read in buf
	end    int   // end of the data in buf
	base   int64 // input offset of buf[0]
	rerr   error // the reader's error (io.EOF at the end)
	skip   bool  // dropping the rest of an overlong line
	lineNo int

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
	warnings  []string
	truncated bool
	race      bool
	debug1    bool
}

func newScanner(p *Parser, r io.Reader) *scanner {
	return &scanner{p: p, r: r, buf: make([]byte, window), groups: map[groupID]*Group{}, pending: -1}
}

// offset is how many bytes of the input have been read into lines.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// nextLine returns the next line without its line ending, and where it
// starts in buf. The slice is valid until the next call. eol is false for
// a last line without a newline. ok is false at the end of the input.
func (s *scanner) nextLine() (line []byte, start int, eol, ok bool) {
	for {
		if i := bytes.IndexByte(s.buf[s.pos:s.end], '\n'); i >= 0 {
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
		if s.rerr != nil {
			if s.pos < s.end && !s.skip {
				start = s.pos
				s.pos = s.end
				s.lineNo++
				return s.buf[start:s.end], start, false, true
			}
			s.pos = s.end
			return nil, 0, false, false
		}
		s.fill()
	}
}

// fill reads more input, first moving what must be kept (the goroutine
// being read, or the current line) to the front of the window.
func (s *scanner) fill() {
	keep := s.pos
	if s.in && s.body < keep {
		keep = s.body
	}
	if keep == 0 && s.end == len(s.buf) {
		switch {
		case len(s.buf) < maxWindow:
			grown := make([]byte, 2*len(s.buf))
			copy(grown, s.buf[:s.end])
			s.buf = grown
		case s.in:
			s.warn(fmt.Sprintf("goroutine %d (line %d) is larger than %d MiB: the rest of it is skipped", s.hdr.id, s.hdrLine, maxWindow>>20))
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
			s.body -= keep
			if s.pending >= 0 {
				s.pending -= keep
				s.pendEnd -= keep
			}
		}
	}
	if !s.in && s.end-s.pos >= maxLine {
		// An overlong line of junk: drop what is read of it.
		s.base += int64(s.end)
		s.pos, s.end = 0, 0
		s.skip = true
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	if err != nil {
		s.rerr = err
	}
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
			if s.race && s.total == 0 {
				s.warn("a data race report, not a goroutine dump: no goroutines in it")
			}
			if s.debug1 && s.total == 0 {
				s.warn("a ?debug=1 goroutine profile (counts per stack), not a ?debug=2 dump: fetch /debug/pprof/goroutine?debug=2")
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
	if h.badTail {
		s.warn(fmt.Sprintf("line %d: goroutine %d: header not understood, goroutine skipped: %s", s.lineNo, h.id, Clean(string(line), 120)))
		return
	}
	// A goroutine ID seen before in this dump starts the next dump.
	if dup := s.dumpIDs.add(h.id); dup || s.dumps == 0 {
		if s.dumps > 0 && split {
			s.emitErr = emit()
		}
		s.dumps++
		s.dumpIDs.reset()
		s.dumpIDs.add(h.id)
	}
	s.begin(h)
}

// begin starts a goroutine; its header is the line just read.
func (s *scanner) begin(h header) {
	s.in = true
	s.hdr = h
	s.state, s.baseState = s.p.internState(h.state)
	s.labels = nil
	if h.labels != nil {
		s.labels = s.p.internLabels(h.labels)
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
		s.mix(maphash.String(s.p.seed, "...elided"))
	case lineUnavailable:
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
	} else {
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
	body := s.buf[s.body:max(stop, s.body)]
	if s.pending >= 0 && s.pending < stop {
		// A function line no file line followed is not part of the stack.
		body = s.buf[s.body:s.pending]
	}
	s.pending = -1
	id := groupID{shape: s.p.shapeFor(s.fp, body, s.hdr.indent, s.frames), state: s.baseState}
	if s.p.grouping != GroupCode {
		id.args = s.args
	}
	g := id.shape.lookup(s.p.gen, id)
	if g == nil {
		g = s.groups[id]
	}
	if g == nil {
		g = &Group{State: s.baseState, States: map[string]int{}, WaitMin: s.hdr.wait, WaitMax: s.hdr.wait}
		s.groups[id] = g
		id.shape.remember(s.p.gen, id, g)
		s.order = append(s.order, g)
		s.ids = append(s.ids, id)
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

// end1 ends an oversized goroutine at the current position.
func (s *scanner) end1() { s.finish(s.pos) }

// endAtEOF finishes a goroutine the input stopped in.
func (s *scanner) endAtEOF() {
	if s.pending >= 0 || !s.complete {
		s.truncated = true
		s.warn(fmt.Sprintf("input ends inside goroutine %d (line %d) after %d bytes: the dump was cut off; its last goroutine is incomplete", s.hdr.id, s.hdrLine, s.offset()))
	}
	s.finish(s.pos)
}

func (s *scanner) warn(msg string) {
	const most = 20
	if len(s.warnings) < most {
		s.warnings = append(s.warnings, msg)
	} else if len(s.warnings) == most {
		s.warnings = append(s.warnings, "more warnings left out")
	}
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
	end := len(t)
	// Drop " +0x…" and " fp=… sp=… pc=…" from the end.
	for {
		sp := bytes.LastIndexByte(t[:end], ' ')
		if sp < 0 || sp+4 > end {
			break
		}
		tail := t[sp+1 : sp+4]
		if tail[0] == '+' && tail[1] == '0' && tail[2] == 'x' || tail[2] == '=' && (tail[0] == 'f' || tail[0] == 's' || tail[0] == 'p') && (tail[1] == 'p' || tail[1] == 'c') {
			end = sp
			continue
		}
		break
	}
	t = t[:end]
	colon := bytes.LastIndexByte(t, ':')
	if colon <= 0 || colon == len(t)-1 || len(t)-colon > 11 {
		return nil, nil
	}
	for _, c := range t[colon+1:] {
		if c < '0' || c > '9' {
			return nil, nil
		}
	}
	return t[:colon], t[colon+1:]
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
	s.groups = map[groupID]*Group{}
	s.order, s.ids = nil, nil
	s.total = 0
	s.warnings = nil
	s.truncated = false
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
