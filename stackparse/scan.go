package stackparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
)

// maxLine bounds one line; the rest of a longer line is dropped.
const maxLine = 1 << 20

// record is one goroutine as the scanner saw it.
type record struct {
	id     int64
	parent int64
	shape  *shape
	state  string // interned, as printed
	base   string // interned, without marks
	labels []Label
	args   uint64 // fingerprint of argument values, for exact and pointer grouping
	wait   int32
	leaked bool
	locked bool
}

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
)

// scanner walks the lines of an input and produces records. It keeps the
// text of the goroutine being read only until its fingerprint is known.
type scanner struct {
	p  *Parser
	br *bufio.Reader

	lineNo int
	bytes  int64
	long   []byte // a line longer than the reader's buffer

	// The goroutine being read. hdr's slices point into the reader's
	// buffer and are valid only while its line is: what end needs of them
	// is interned by begin.
	in       bool
	hdr      header
	state    string
	base     string
	labels   []Label
	hdrLine  int
	fp       maphash.Hash // fingerprint of the masked body
	args     maphash.Hash // fingerprint of the argument values
	rep      []byte       // the body as panicparse will see it
	frames   int
	pending  []byte // a function line waiting for its file line
	creating bool   // the pending function line is a "created by"
	parent   int64
	skipping bool // inside an [originating from goroutine N] block
	complete bool // the body so far ends at a whole frame

	// The dump being read.
	dumpIDs map[int64]struct{}
	emitErr error

	recs      []record
	dumps     int
	warnings  []string
	truncated bool
	race      bool
}

func newScanner(p *Parser, r io.Reader) *scanner {
	s := &scanner{p: p, br: bufio.NewReaderSize(r, 1<<20), dumpIDs: map[int64]struct{}{}}
	s.fp.SetSeed(p.seed)
	s.args.SetSeed(p.seed)
	return s
}

// readLine returns the next line without its line ending; the slice is
// valid until the next call. eol is false for a last line that had no
// newline.
func (s *scanner) readLine() (line []byte, eol bool, err error) {
	line, err = s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			if len(s.long) < maxLine {
				s.long = append(s.long, line...)
			}
			s.bytes += int64(len(line))
		}
		s.bytes += int64(maxLine)
		line = s.long
	} else {
		s.bytes += int64(len(line))
	}
	if err != nil && len(line) == 0 {
		return nil, false, err
	}
	s.lineNo++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line, eol = line[:n-1], true
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line, eol, nil
}

// run reads the whole input. emit is called at each boundary between dumps
// when split is set, and once at the end.
func (s *scanner) run(split bool, emit func() error) error {
	for {
		line, eol, err := s.readLine()
		if err != nil {
			if s.in {
				s.endAtEOF()
			}
			if s.race && len(s.recs) == 0 {
				s.warn("a data race report, not a goroutine dump: no goroutines in it")
			}
			if err == io.EOF {
				return emit()
			}
			if emitErr := emit(); emitErr != nil {
				return emitErr
			}
			return err
		}
		if s.in {
			if !s.body(line, eol) {
				continue
			}
			// The line ended the goroutine and was not part of it.
		}
		s.outside(line, split, emit)
		if s.emitErr != nil {
			return s.emitErr
		}
	}
}

// outside handles a line that is not part of a goroutine body.
func (s *scanner) outside(line []byte, split bool, emit func() error) {
	if len(line) == 0 {
		return
	}
	if !bytes.Contains(line, goroutinePrefix) {
		if bytes.Equal(bytes.TrimSpace(line), raceWarning) {
			s.race = true
		}
		return
	}
	h, ok := parseHeader(line)
	if !ok {
		return
	}
	if h.badTail {
		s.warn(fmt.Sprintf("line %d: goroutine %d: header not understood, goroutine skipped: %s", s.lineNo, h.id, Clean(string(line), 120)))
		return
	}
	// A goroutine ID seen before in this dump starts the next dump.
	if _, dup := s.dumpIDs[h.id]; dup || s.dumps == 0 {
		if s.dumps > 0 && split {
			s.emitErr = emit()
		}
		s.dumps++
		clear(s.dumpIDs)
	}
	s.dumpIDs[h.id] = struct{}{}
	s.begin(h)
}

func (s *scanner) begin(h header) {
	s.in = true
	s.hdr = h
	s.state, s.base = s.p.internState(h.state)
	s.labels = nil
	if h.labels != nil {
		s.labels = s.p.internLabels(h.labels)
	}
	s.hdrLine = s.lineNo
	s.fp.Reset()
	s.args.Reset()
	s.rep = s.rep[:0]
	s.frames = 0
	s.pending = s.pending[:0]
	s.creating = false
	s.parent = 0
	s.skipping = false
	s.complete = false
}

// body handles a line while inside a goroutine. It returns true when the
// line ended the goroutine without being part of it.
func (s *scanner) body(line []byte, eol bool) (ended bool) {
	if s.hdr.indent > 0 && len(line) > 0 {
		if len(line) < s.hdr.indent || !isBlank(line[:s.hdr.indent]) {
			s.end()
			return true
		}
		line = line[s.hdr.indent:]
	}
	kind := classify(line)
	switch kind {
	case lineBlank:
		s.end()
		return false
	case lineHeader:
		s.end()
		return true
	case lineAncestor:
		s.dropPending()
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
	case lineFunc:
		if len(s.pending) > 0 {
			// Two function lines in a row: the first was not a frame.
			s.end()
			return true
		}
		s.pending = append(s.pending[:0], line...)
		s.creating = false
		s.complete = false
		if !eol {
			s.end()
		}
	case lineCreated:
		if len(s.pending) > 0 {
			s.end()
			return true
		}
		s.pending = append(s.pending[:0], line...)
		s.creating = true
		s.complete = false
	case lineFile:
		if len(s.pending) == 0 {
			s.end()
			return true
		}
		if !eol && !fileComplete(line) {
			s.end()
			return false
		}
		s.frame(s.pending, line)
		s.pending = s.pending[:0]
		s.complete = true
	case lineElided:
		s.dropPending()
		s.fp.WriteString("...elided\n")
		s.rep = append(s.rep, line...)
		s.rep = append(s.rep, '\n')
	case lineUnavailable:
		s.fp.WriteString("unavailable\n")
		s.frames++
		s.rep = append(s.rep, '\t')
		s.rep = append(s.rep, unavailable...)
		s.rep = append(s.rep, '\n')
		s.complete = true
	default:
		s.end()
		return true
	}
	return false
}

// dropPending forgets a function line that no file line followed.
func (s *scanner) dropPending() { s.pending = s.pending[:0] }

// frame adds a function line and its file line to the fingerprint and the
// representative text.
func (s *scanner) frame(fn, file []byte) {
	file = bytes.TrimLeft(file, " \t")
	path, lineNo := splitFile(file)
	if s.creating {
		name := fn[len(createdByPrefix):]
		if i := bytes.Index(name, inGoroutine); i >= 0 {
			if id, err := strconv.ParseInt(string(name[i+len(inGoroutine):]), 10, 64); err == nil {
				s.parent = id
			}
			name = name[:i]
		}
		s.fp.WriteString("created by ")
		s.fp.Write(name)
		s.rep = append(s.rep, createdByPrefix...)
		s.rep = append(s.rep, name...)
	} else {
		open := bytes.LastIndexByte(fn, '(')
		s.fp.Write(fn[:open])
		if s.p.grouping != GroupCode {
			s.hashArgs(fn[open:])
		}
		s.rep = append(s.rep, fn...)
		s.frames++
	}
	s.fp.WriteByte(0)
	s.fp.Write(path)
	s.fp.WriteByte(':')
	s.fp.Write(lineNo)
	s.fp.WriteByte('\n')
	s.rep = append(s.rep, "\n\t"...)
	s.rep = append(s.rep, path...)
	s.rep = append(s.rep, ':')
	s.rep = append(s.rep, lineNo...)
	s.rep = append(s.rep, '\n')
}

// hashArgs adds the argument text "(0x1, 0xc000012345, ...)" to the
// argument fingerprint; for pointer grouping, values that look like
// pointers are masked as panicparse's AnyPointer does.
func (s *scanner) hashArgs(args []byte) {
	if s.p.grouping == GroupExact {
		s.args.Write(args)
		s.args.WriteByte(0)
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
				s.args.WriteString("*")
			} else {
				s.args.Write(tok)
			}
			start = -1
		}
		s.args.WriteByte(c)
	}
}

// end finishes the goroutine being read.
func (s *scanner) end() {
	s.dropPending()
	s.in = false
	shape := s.p.shapeFor(s.fp.Sum64(), s.rep, s.frames)
	rec := record{
		id:     s.hdr.id,
		parent: s.parent,
		shape:  shape,
		wait:   int32(s.hdr.wait),
		leaked: s.hdr.leaked,
		locked: s.hdr.locked,
	}
	rec.state, rec.base, rec.labels = s.state, s.base, s.labels
	if s.p.grouping != GroupCode {
		rec.args = s.args.Sum64()
	}
	s.recs = append(s.recs, rec)
}

// endAtEOF finishes a goroutine the input stopped in.
func (s *scanner) endAtEOF() {
	if len(s.pending) > 0 || !s.complete {
		s.truncated = true
		s.warn(fmt.Sprintf("input ends inside goroutine %d (line %d) after %d bytes: the dump was cut off; its last goroutine is incomplete", s.hdr.id, s.hdrLine, s.bytes))
	}
	s.end()
}

func (s *scanner) warn(msg string) {
	const most = 20
	if len(s.warnings) < most {
		s.warnings = append(s.warnings, msg)
	} else if len(s.warnings) == most {
		s.warnings = append(s.warnings, "more warnings left out")
	}
}

// classify says what a body line is. Lines here have had the header's
// indentation removed.
func classify(line []byte) lineKind {
	if len(line) == 0 || isBlank(line) {
		return lineBlank
	}
	switch line[0] {
	case '\t', ' ':
		t := bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(t, unavailable) {
			return lineUnavailable
		}
		if isFileLine(t) {
			return lineFile
		}
		return lineJunk
	case 'g':
		if bytes.HasPrefix(line, goroutinePrefix) {
			if _, ok := parseHeader(line); ok {
				return lineHeader
			}
		}
	case 'c':
		if bytes.HasPrefix(line, createdByPrefix) {
			return lineCreated
		}
	case '[':
		if bytes.HasPrefix(line, ancestorPrefix) {
			return lineAncestor
		}
	case '.':
		if bytes.Equal(line, additionalElide) || bytes.HasPrefix(line, []byte("...")) && bytes.HasSuffix(line, framesElided) {
			return lineElided
		}
	}
	if n := len(line); line[n-1] == ')' && bytes.IndexByte(line, '(') > 0 {
		return lineFunc
	}
	return lineJunk
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// isFileLine reports whether t (leading white space removed) reads
// "path:line", optionally followed by " +0x1f" and " fp=… sp=… pc=…".
func isFileLine(t []byte) bool {
	path, line := splitFile(t)
	return len(path) > 0 && len(line) > 0
}

// fileComplete reports whether a file line cut by the end of the input is
// still whole: it has its "+0x…" offset, or nothing after the line number
// was expected.
func fileComplete(t []byte) bool {
	return bytes.Contains(t, []byte(" +0x")) || bytes.HasSuffix(t, []byte(")")) || !bytes.ContainsAny(t, " ")
}

// splitFile splits "path/file.go:123 +0x1f fp=0x1 sp=0x2 pc=0x3" into the
// path and the line number.
func splitFile(t []byte) (path, line []byte) {
	t = bytes.TrimLeft(t, " \t")
	end := len(t)
	// Drop " +0x…" and " fp=… sp=… pc=…" from the end.
	for {
		sp := bytes.LastIndexByte(t[:end], ' ')
		if sp < 0 {
			break
		}
		tail := t[sp+1 : end]
		if bytes.HasPrefix(tail, []byte("+0x")) || bytes.HasPrefix(tail, []byte("fp=")) || bytes.HasPrefix(tail, []byte("sp=")) || bytes.HasPrefix(tail, []byte("pc=")) {
			end = sp
			continue
		}
		break
	}
	t = t[:end]
	colon := bytes.LastIndexByte(t, ':')
	if colon <= 0 || colon == len(t)-1 {
		return nil, nil
	}
	for _, c := range t[colon+1:] {
		if c < '0' || c > '9' {
			return nil, nil
		}
	}
	return t[:colon], t[colon+1:]
}
