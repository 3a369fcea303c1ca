package stackparse

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Format is the kind of input a Snapshot was read from.
type Format int

const (
	// FormatDump is a goroutine dump: ?debug=2, runtime.Stack, SIGQUIT
	// or panic output.
	FormatDump Format = iota
	// FormatDebug1 is a ?debug=1 goroutine profile: counts per stack.
	FormatDebug1
	// FormatPprof is a pprof protobuf goroutine profile, gzipped or not:
	// what /debug/pprof/goroutine serves without ?debug, and what
	// `go tool pprof -proto` and continuous profilers save.
	FormatPprof
)

// String names the format as the JSON export does: "dump", "debug=1" or
// "pprof".
func (f Format) String() string {
	switch f {
	case FormatDebug1:
		return "debug=1"
	case FormatPprof:
		return "pprof"
	}
	return "dump"
}

// Lacks says, for people, what a snapshot of this format cannot tell;
// "" for a dump, which tells everything there is.
func (f Format) Lacks() string {
	switch f {
	case FormatDebug1:
		return "a ?debug=1 goroutine profile: counts per stack, without goroutine IDs, states, wait times or creators"
	case FormatPprof:
		return "a pprof goroutine profile: counts per stack, without goroutine IDs, states, wait times or creators"
	}
	return ""
}

// Missing lists what a snapshot of this format cannot tell, as JSON
// names it; nil for a dump.
func (f Format) Missing() []string {
	if f == FormatDump {
		return nil
	}
	return []string{"goroutine_ids", "states", "wait_times", "creators"}
}

// sniffLen bounds what is read of an input to tell its format.
const sniffLen = 4 << 10

// sniffLines is how many lines are enough to tell a format by: a stream
// of dumps is not held up waiting for more.
const sniffLines = 8

// maxProto bounds a pprof profile, after decompression; a goroutine
// profile of a million goroutines in a thousand stacks is a few MiB.
const maxProto = 256 << 20

// peek reads the start of r: up to sniffLen bytes, or fewer once they
// hold sniffLines lines. err is the reader's error, io.EOF included.
func peek(r io.Reader) (head []byte, err error) {
	buf := make([]byte, sniffLen)
	n := 0
	for empty := 0; n < len(buf) && empty < 100; {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return buf[:n], err
		}
		if m == 0 {
			empty++
			continue
		}
		if bytes.Count(buf[:n], []byte("\n")) >= sniffLines || isGzip(buf[:n]) {
			break
		}
	}
	return buf[:n], nil
}

// joined reads head, then err if there was one, then r.
func joined(head []byte, err error, r io.Reader) io.Reader {
	if err != nil {
		return io.MultiReader(bytes.NewReader(head), errReader{err})
	}
	return io.MultiReader(bytes.NewReader(head), r)
}

// errReader fails every Read with its error.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// isProto reports whether b starts as an encoded pprof profile does: the
// tag of one of its fields (runtime/pprof writes sample_type or
// period_type first), and the control bytes of binary data soon after,
// which a dump never holds. Other binary data goes to the scanner, which
// finds no goroutine in it.
func isProto(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	field, wire := b[0]>>3, b[0]&7
	if field < 1 || field > 14 || wire != profileWire[field] && !(field == 13 && wire == 2) || wire == 2 && int(b[1]) > len(b) && b[1] < 0x80 {
		return false
	}
	for _, c := range b[1:min(len(b), 64)] {
		if c < '\t' {
			return true
		}
	}
	return false
}

// profileWire is the wire type of each field of a pprof Profile message:
// 2 (length-delimited) for its messages and strings, 0 (varint) for its
// numbers; comment (13) may be either, packed or not.
var profileWire = [15]byte{1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 0, 8: 0, 9: 0, 10: 0, 11: 2, 12: 0, 13: 0, 14: 0}

// firstLine returns the first line of b that is not blank, without its
// line ending, and whether it is whole (a newline follows it).
func firstLine(b []byte) (line []byte, whole bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return bytes.TrimRight(b, "\r"), false
		}
		if l := bytes.TrimRight(b[:i], "\r"); len(bytes.TrimSpace(l)) > 0 {
			return l, true
		}
		b = b[i+1:]
	}
	return nil, false
}

// input is how far parse has come in telling what an input is.
type input struct {
	log    LogFormat // the per-line prefix stripped, if any
	gunzip bool      // the input was decompressed
	// raw counts the bytes of the input as given, once a layer
	// (decompression, a log's prefixes) stands between it and what is
	// parsed: snapshots say how much of the input they were read from.
	raw    *countingReader
	before int64 // raw bytes of the snapshots emitted so far
}

// layer returns the reader of the input as given, counted, for a layer
// to read.
func (in *input) layer(head []byte, rerr error, r io.Reader) io.Reader {
	if in.raw == nil {
		in.raw = &countingReader{r: joined(head, rerr, r)}
		return in.raw
	}
	return joined(head, rerr, r)
}

// emit completes a snapshot with what the layers know and hands it on.
func (in *input) emit(fn func(*Snapshot) error) func(*Snapshot) error {
	return func(s *Snapshot) error {
		s.Log = in.log
		if in.raw != nil {
			s.Bytes, in.before = in.raw.n-in.before, in.raw.n
		}
		return fn(s)
	}
}

// gzipReader turns the errors of corrupt or cut gzip data into a
// *NotGoroutinesError; the errors of the input beneath pass unchanged.
type gzipReader struct{ zr *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.zr.Read(p)
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt) {
		err = &NotGoroutinesError{Msg: "the gzip data is corrupt or cut off (" + err.Error() + ")"}
	}
	return n, err
}

// parseInput tells what r holds and reads it: a dump (with the scanner),
// a ?debug=1 profile, a pprof profile, any of these gzipped, and any text
// one under a log's per-line prefix. A plain dump costs one look at its
// first bytes, which the scanner then takes as its first read.
func (p *Parser) parseInput(r io.Reader, split bool, fn func(*Snapshot) error, in input) error {
	head, rerr := peek(r)
	if rerr != nil && rerr != io.EOF && len(head) == 0 {
		return rerr
	}
	switch {
	case isGzip(head) && !in.gunzip:
		zr, err := gzip.NewReader(in.layer(head, rerr, r))
		if err != nil {
			return &NotGoroutinesError{Msg: "no goroutine dump found: gzip data that cannot be read (" + err.Error() + ")"}
		}
		in.gunzip = true
		return p.parseInput(gzipReader{zr}, split, fn, in)
	case isProto(head):
		return p.parsePprof(joined(head, rerr, r), in.emit(fn))
	}
	if in.log == LogNone {
		if kind := sniffLog(head); kind != LogNone {
			in.log = kind
			return p.parseInput(newLogReader(in.layer(head, rerr, r), kind), split, fn, in)
		}
	}
	if line, _ := firstLine(head); bytes.Contains(line, []byte(" profile: total ")) {
		if _, _, ok := profileHeader(line); ok {
			return p.parseProfiles(joined(head, rerr, r), split, in.emit(fn))
		}
	}
	return p.parseDump(r, head, rerr, split, in.emit(fn))
}

// NotGoroutinesError says that an input is a profile, but not of
// goroutines, or binary data that is no profile at all: one line.
type NotGoroutinesError struct{ Msg string }

func (e *NotGoroutinesError) Error() string { return e.Msg }

// notGoroutines is the error of a profile of something else.
func notGoroutines(what string) error {
	return &NotGoroutinesError{Msg: "not a goroutine profile: " + what}
}

// unreadable is the error of binary data that is no pprof profile.
func unreadable(why string) error {
	return &NotGoroutinesError{Msg: "no goroutine dump found: binary data that is no pprof profile either (" + Clean(why, 200) + ")"}
}

// parsePprof reads a pprof profile, at most maxProto bytes of it.
func (p *Parser) parsePprof(r io.Reader, fn func(*Snapshot) error) error {
	cr := &countingReader{r: r}
	data, err := io.ReadAll(io.LimitReader(cr, maxProto+1))
	if err != nil {
		return err
	}
	if len(data) > maxProto {
		return notGoroutines(fmt.Sprintf("a pprof profile larger than %d MiB, more than gorotop reads", maxProto>>20))
	}
	snap, err := pprofSnapshot(data, p.grouping, p.lim)
	if err != nil {
		return err
	}
	snap.Bytes = cr.n
	p.last = stats{Shapes: len(snap.Groups)}
	return fn(snap)
}

// parseProfiles reads ?debug=1 profiles: with split, each as a snapshot
// of its own; else the last one, with a warning when there were several.
func (p *Parser) parseProfiles(r io.Reader, split bool, fn func(*Snapshot) error) error {
	var last *Profile
	n := 0
	emit := func(prof *Profile) (*Snapshot, error) {
		if !isGoroutineProfile(prof.Name) {
			return nil, notGoroutines(fmt.Sprintf("a ?debug=1 %s profile", prof.Name))
		}
		snap := prof.Snapshot(p.grouping)
		p.last = stats{Shapes: len(snap.Groups)}
		return snap, nil
	}
	err := readProfiles(r, p.lim, func(prof *Profile) error {
		n++
		if !split {
			last = prof
			return nil
		}
		snap, err := emit(prof)
		if err != nil {
			return err
		}
		return fn(snap)
	})
	if split || last == nil {
		return err
	}
	snap, serr := emit(last)
	if serr != nil {
		return serr
	}
	if n > 1 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("the input holds %d profiles one after another; this is the last: read it as a stream (gorotop check - < FILE) to follow them over time", n))
	}
	if ferr := fn(snap); err == nil {
		err = ferr
	}
	return err
}

// isGoroutineProfile reports whether a profile's name is that of the
// goroutine profile or the goroutine leak profile.
func isGoroutineProfile(name string) bool {
	return name == "goroutine" || name == "goroutineleak"
}

// errNoProfile is what readProfiles returns for input that holds none.
var errNoProfile = errors.New("not a ?debug=1 goroutine profile: it is empty")
