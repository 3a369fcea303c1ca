package source

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gorotop/gorotop/internal/fifo"
)

// filesSource replays files, one per Next: the single file of a File
// target, or the dump files of a Dir target in name order.
type filesSource struct {
	name  string // the target, for String
	paths []string
	max   int64 // cap on each file; negative: none
	next  int
}

// openDir lists the dump files of dir: every entry in name order that is
// not hidden (".name") and is, or links to, something other than a
// directory. The list is fixed at Open; files added later are not seen.
func openDir(dir string, max int64) (*filesSource, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{Kind: ErrFile, Source: dir, Msg: "cannot list directory: " + pathErrText(err), Err: err}
	}
	var paths []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if info, err := os.Stat(p); err != nil || info.IsDir() {
			continue // a subdirectory or a broken link
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil, &Error{Kind: ErrFile, Source: dir, Msg: "no dump files in this directory"}
	}
	return &filesSource{name: dir, paths: paths, max: max}, nil
}

// Next streams the next file. Meta.At is the file's modification time.
func (s *filesSource) Next(ctx context.Context, read func(io.Reader) error) (Meta, error) {
	if s.next >= len(s.paths) {
		return Meta{}, io.EOF
	}
	p := s.paths[s.next]
	s.next++
	meta := Meta{Source: p, At: time.Now()}
	f, err := fifo.Open(ctx, p, os.O_RDONLY) // a named pipe waits for its writer, until ctx ends
	if err != nil {
		if ctx.Err() != nil {
			return meta, &Error{Kind: ErrCanceled, Source: p, Msg: "canceled", Err: context.Cause(ctx)}
		}
		return meta, &Error{Kind: ErrFile, Source: p, Msg: "cannot open: " + pathErrText(err), Err: err}
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		meta.At = info.ModTime()
	}
	return readLocal(ctx, f, meta, s.max, read)
}

// String returns the file or directory path.
func (s *filesSource) String() string { return s.name }

// Len returns how many files the source reads: a snapshot each.
func (s *filesSource) Len() int { return len(s.paths) }

// Live reports false: files are replayed, not polled.
func (s *filesSource) Live() bool { return false }

// Close does nothing; each file is closed by the Next that opened it.
func (s *filesSource) Close() error { return nil }

// stdinSource reads standard input once, as one stream.
type stdinSource struct {
	r    io.Reader
	done bool
}

func newStdin(r io.Reader) *stdinSource {
	if r == nil {
		r = os.Stdin
	}
	return &stdinSource{r: r}
}

// Next streams all of standard input; a second call returns io.EOF.
func (s *stdinSource) Next(ctx context.Context, read func(io.Reader) error) (Meta, error) {
	if s.done {
		return Meta{}, io.EOF
	}
	s.done = true
	return readLocal(ctx, s.r, Meta{Source: "stdin", At: time.Now()}, -1, read)
}

// String returns "stdin".
func (s *stdinSource) String() string { return "stdin" }

// Live reports false: standard input is read once.
func (s *stdinSource) Live() bool { return false }

// Close does nothing: standard input belongs to the caller.
func (s *stdinSource) Close() error { return nil }

// readLocal streams r, a file or standard input, to read, stopping when
// ctx ends.
func readLocal(ctx context.Context, r io.Reader, meta Meta, max int64, read func(io.Reader) error) (Meta, error) {
	start := time.Now()
	if f, ok := r.(interface{ SetReadDeadline(time.Time) error }); ok {
		// Wake a read blocked on a pipe or terminal when ctx ends.
		stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	m := &meter{r: ctxReader{ctx, r}, max: max, src: meta.Source, fail: func(err error) error {
		if ctx.Err() != nil {
			return &Error{Kind: ErrCanceled, Source: meta.Source, Msg: "canceled", Err: context.Cause(ctx)}
		}
		return &Error{Kind: ErrFile, Source: meta.Source, Msg: "read failed: " + pathErrText(err), Err: err}
	}}
	err := stream(m, read)
	meta.Duration, meta.Bytes = time.Since(start), m.n
	return meta, err
}

// ctxReader fails every Read once its context has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
