package source

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/gorotop/gorotop/internal/record"
)

// recordingSource replays a recording (see package record): each dump
// with the Meta it was recorded with, At the time of the original fetch.
type recordingSource struct {
	path     string
	f        *os.File
	r        *record.Reader
	max      int64 // cap on each dump; negative: none
	warnings []string
	len      int // dumps the recording held at Open
}

// isRecording reports whether the regular file at path starts as a
// recording does.
func isRecording(path string) bool {
	if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
		return false // opening a named pipe would block, and read what is not ours
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(record.Magic))
	_, err = io.ReadFull(f, head)
	return err == nil && record.IsRecording(head)
}

func openRecording(path string, max int64) (*recordingSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Kind: ErrFile, Source: path, Msg: "cannot open: " + pathErrText(err), Err: err}
	}
	r, err := record.NewReader(f)
	if err != nil {
		f.Close()
		return nil, &Error{Kind: ErrFile, Source: path, Msg: err.Error(), Err: err}
	}
	return &recordingSource{path: path, f: f, r: r, max: max, len: r.Len()}, nil
}

// Next streams the next recorded dump. Its Meta is the one recorded: the
// source, time and cost of the original fetch. A recording cut off by a
// crash ends with io.EOF, and Warnings says what was left out.
func (s *recordingSource) Next(ctx context.Context, read func(io.Reader) error) (Meta, error) {
	if err := ctx.Err(); err != nil {
		return Meta{}, &Error{Kind: ErrCanceled, Source: s.path, Msg: "canceled", Err: context.Cause(ctx)}
	}
	rm, body, err := s.r.Next()
	if errors.Is(err, io.EOF) {
		if w := s.r.Warning(); w != "" && len(s.warnings) == 0 {
			s.warnings = append(s.warnings, s.path+": "+w)
		}
		return Meta{}, io.EOF
	}
	if err != nil {
		return Meta{}, &Error{Kind: ErrFile, Source: s.path, Msg: "cannot replay: " + err.Error(), Err: err}
	}
	if n, ok := record.Size(body); ok && s.max >= 0 && n > s.max {
		// Refused before a byte is expanded: a few kilobytes of zstd
		// can claim a gigabyte.
		return Meta(rm), tooBig(s.path, s.max)
	}
	meta, err := readLocal(ctx, body, Meta(rm), s.max, read)
	meta.Duration, meta.Bytes = rm.Duration, rm.Bytes
	return meta, err
}

// String returns the recording's path.
func (s *recordingSource) String() string { return s.path }

// Len returns how many dumps the recording held when it was opened.
func (s *recordingSource) Len() int { return s.len }

// Live reports false: a recording is replayed.
func (s *recordingSource) Live() bool { return false }

// Close closes the recording.
func (s *recordingSource) Close() error {
	s.r.Close()
	return s.f.Close()
}

// Warnings returns what the replay noticed without failing: a torn or
// damaged tail.
func (s *recordingSource) Warnings() []string { return s.warnings }

// Warnings returns what src noticed without failing, one line each, such
// as a recording cut off by a crash ("recording ends with an incomplete
// snapshot (N bytes), K snapshots replayed"). It is complete once Next
// has returned io.EOF; sources that never warn return nil.
func Warnings(src Source) []string {
	if w, ok := src.(interface{ Warnings() []string }); ok {
		return w.Warnings()
	}
	return nil
}

// Len returns how many dumps a finite source holds, when it knows: the
// files of a directory (or the one file), the dumps of a recording as it
// was when opened. ok is false for live targets and standard input.
func Len(src Source) (n int, ok bool) {
	switch s := src.(type) {
	case interface{ Len() int }:
		return s.Len(), true
	case interface{ Unwrap() Source }:
		return Len(s.Unwrap())
	}
	return 0, false
}

// Tee returns a Source that records into rec every dump src yields, byte
// for byte, with its Meta, while the caller's read consumes it; what read
// leaves unread is read on into the recording. A dump whose fetch or read
// fails is not recorded: a read that refuses a body (not a goroutine
// dump) keeps it out. If recording fails (disk full), Next returns that
// failure once, as an ErrFile *Error, and recording stops while the
// source goes on; RecordStatus says so from then on. The caller closes
// rec after the Source.
func Tee(src Source, rec *record.Writer) Source {
	return &teeSource{Source: src, rec: rec, status: &recordStatus{state: RecordState{Path: rec.Path()}}}
}

type teeSource struct {
	Source
	rec    *record.Writer
	status *recordStatus // shared with the tees of the same recording (Leaks)
}

// RecordState is how a recording made through Tee goes.
type RecordState struct {
	// Path is the recording's file.
	Path string
	// Dumps and Bytes are what it holds: the dumps committed, the size
	// of the file.
	Dumps int
	Bytes int64
	// Err is the failure that stopped the recording (a full disk), nil
	// while it goes on.
	Err error
}

// recordStatus is a RecordState read from another goroutine (the UI's
// header) than the one that records.
type recordStatus struct {
	mu    sync.Mutex
	state RecordState
}

// RecordStatus returns how the recording src makes goes: src is a Tee, or
// a Source that wraps one (Unwrap() Source). ok is false when src records
// nothing. It is safe to call while another goroutine polls src.
func RecordStatus(src Source) (state RecordState, ok bool) {
	switch s := src.(type) {
	case *teeSource:
		s.status.mu.Lock()
		defer s.status.mu.Unlock()
		return s.status.state, true
	case interface{ Unwrap() Source }:
		return RecordStatus(s.Unwrap())
	}
	return RecordState{}, false
}

// Next fetches the next dump from the source and records it.
func (s *teeSource) Next(ctx context.Context, read func(io.Reader) error) (Meta, error) {
	if s.stopped() {
		return s.Source.Next(ctx, read)
	}
	e, err := s.rec.Begin()
	if err != nil {
		return Meta{}, s.stop(err)
	}
	meta, err := s.Source.Next(ctx, func(r io.Reader) error {
		tee := e.Tee(r)
		if err := read(tee); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, tee)
		return err
	})
	if err != nil {
		e.Abort()
		return meta, err
	}
	if err := e.Commit(record.Meta(meta)); err != nil && !errors.Is(err, record.ErrEmpty) {
		return meta, s.stop(err)
	}
	s.status.mu.Lock()
	s.status.state.Dumps, s.status.state.Bytes = s.rec.Count(), s.rec.Size()
	s.status.mu.Unlock()
	return meta, nil
}

// stopped reports whether the recording stopped, here or in a tee of the
// same recording.
func (s *teeSource) stopped() bool {
	s.status.mu.Lock()
	defer s.status.mu.Unlock()
	return s.status.state.Err != nil
}

// stop ends the recording after a failure and reports it.
func (s *teeSource) stop(err error) error {
	path := s.rec.Path()
	err = &Error{Kind: ErrFile, Source: path, Msg: err.Error() + "; recording stopped", Err: err}
	s.status.mu.Lock()
	s.status.state.Err = err
	s.status.mu.Unlock()
	return err
}

// Warnings passes on the warnings of the source.
func (s *teeSource) Warnings() []string { return Warnings(s.Source) }
