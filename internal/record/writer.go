package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/klauspost/compress/zstd"
)

// Writer appends dumps to a recording. Its errors, but Create's, do not
// repeat the file's name. A Writer is not safe for concurrent use.
type Writer struct {
	f     *os.File
	path  string
	name  string      // path with its symbolic links resolved
	info  os.FileInfo // the file's, to tell it was replaced at name
	pos   int64       // bytes in the file
	count int         // dumps committed
	raw   int64       // raw bytes of the dumps committed

	enc      *zstd.Encoder
	encSize  int  // window of enc
	window   int  // window of the next frame
	newFrame bool // the next dump starts a new zstd frame

	buf   []byte // a 'D' record being filled: header room, then compressed bytes
	entry *Entry // the dump being written, if any
	err   error  // the file is unusable
}

// Create makes a recording at path, mode 0600, and writes its header. The
// file appears complete, header and all, or not at all. Without force an
// existing path is never replaced.
//
// With force, an existing regular file is replaced (a symbolic link is
// followed); anything else is refused with ErrNotFile.
func Create(path string, force bool) (*Writer, error) {
	name := path
	if _, err := os.Lstat(path); err == nil {
		if !force {
			return nil, fmt.Errorf("%s: %w", path, ErrExists)
		}
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			name = resolved
		}
		if info, err := os.Stat(name); err == nil && !info.Mode().IsRegular() {
			return nil, fmt.Errorf("cannot create recording %s: %w", path, ErrNotFile)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return nil, createError(path, err)
	}
	fail := func(err error) (*Writer, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	header := append([]byte(Magic), Version)
	if err := tmp.Chmod(0o600); err != nil {
		return fail(createError(path, err))
	}
	if _, err := tmp.Write(header); err != nil {
		return fail(createError(path, err))
	}
	if err := tmp.Sync(); err != nil {
		return fail(createError(path, err))
	}
	info, err := tmp.Stat()
	if err != nil {
		return fail(createError(path, err))
	}
	if err := place(tmp.Name(), name, force); err != nil {
		return fail(err)
	}
	syncDir(filepath.Dir(name))
	return &Writer{f: tmp, path: path, name: name, info: info, pos: int64(len(header)), window: MinWindow, newFrame: true,
		buf: make([]byte, recHead, recHead+chunkLen)}, nil
}

// replaced reports whether the file at the recording's path is another
// file now. A path that names nothing (the file was moved away) is not:
// the recording goes on where it was moved.
func (w *Writer) replaced() error {
	if cur, err := os.Stat(w.name); err == nil && !os.SameFile(cur, w.info) {
		return ErrReplaced
	}
	return nil
}

// Remove removes the recording's file, if its path still names it.
func (w *Writer) Remove() error {
	if err := w.replaced(); err != nil {
		return err
	}
	return os.Remove(w.name)
}

// place gives the file at tmp the name path: a rename with force, else a
// hard link that fails if path appeared meanwhile.
func place(tmp, path string, force bool) error {
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return createError(path, err)
		}
		return nil
	}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	// No hard links on this file system: check, then rename.
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err := os.Rename(tmp, path); err != nil {
		return createError(path, err)
	}
	return nil
}

// syncDir makes a new name in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// createError says why path cannot be created, without the temporary
// name, and what to try.
func createError(path string, err error) error {
	hint := ""
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		hint = " (is the directory writable?)"
	case errors.Is(err, fs.ErrNotExist):
		hint = " (does the directory exist?)"
	case errors.Is(err, syscall.ENOSPC):
		hint = " (free some space or record elsewhere)"
	}
	return fmt.Errorf("cannot create recording %s: %w%s", path, cause(err), hint)
}

// cause is the error in a *fs.PathError or *os.LinkError, without the
// paths, which the messages of this package give once.
func cause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// Path returns the name the recording was created with.
func (w *Writer) Path() string { return w.path }

// Count returns how many dumps the recording holds.
func (w *Writer) Count() int { return w.count }

// Size returns the size of the file, in bytes.
func (w *Writer) Size() int64 { return w.pos }

// Raw returns the total size of the dumps recorded, uncompressed.
func (w *Writer) Raw() int64 { return w.raw }

// Add records one dump: it streams body to its end and commits it with
// meta. Meta.Bytes, if zero, becomes the size of body.
func (w *Writer) Add(meta Meta, body io.Reader) error {
	e, err := w.Begin()
	if err != nil {
		return err
	}
	n, err := e.ReadFrom(body)
	if err != nil {
		e.Abort()
		return err
	}
	if meta.Bytes == 0 {
		meta.Bytes = n
	}
	return e.Commit(meta)
}

// Begin starts a dump, which the returned Entry's writes fill and its
// Commit or Abort ends. One dump at a time.
func (w *Writer) Begin() (*Entry, error) {
	if w.err != nil {
		return nil, w.err
	}
	if w.entry != nil {
		return nil, errors.New("record: Begin before the previous dump was committed or aborted")
	}
	if w.newFrame {
		if w.enc == nil || w.encSize != w.window {
			enc, err := zstd.NewWriter(sink{w},
				zstd.WithEncoderLevel(zstd.SpeedFastest),
				zstd.WithEncoderConcurrency(1),
				zstd.WithEncoderCRC(false),
				zstd.WithWindowSize(w.window),
			)
			if err != nil {
				return nil, fmt.Errorf("record: %w", err)
			}
			w.enc, w.encSize = enc, w.window
		} else {
			w.enc.Reset(sink{w})
		}
	}
	w.buf = w.buf[:recHead]
	w.entry = &Entry{w: w, start: w.pos, newFrame: w.newFrame}
	return w.entry, nil
}

// Close closes the file. A dump still open is abandoned: the recording
// ends with the last one committed.
func (w *Writer) Close() error {
	if w.f == nil {
		return nil
	}
	if w.entry != nil {
		w.entry.Abort()
	}
	err := w.f.Close()
	w.f, w.enc = nil, nil
	if w.err == nil {
		w.err = errors.New("record: writer closed")
	}
	if err != nil {
		return fmt.Errorf("cannot close recording: %w", cause(err))
	}
	return w.replaced()
}

// sink takes what the encoder writes and puts it into 'D' records.
type sink struct{ w *Writer }

func (s sink) Write(p []byte) (int, error) {
	w := s.w
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), recHead+chunkLen-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == recHead+chunkLen {
			if err := w.flushData(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flushData writes the compressed bytes buffered as one 'D' record.
func (w *Writer) flushData() error {
	if len(w.buf) == recHead {
		return nil
	}
	err := w.writeRecord(tagData, w.buf)
	w.buf = w.buf[:recHead]
	return err
}

// writeRecord writes rec, whose first recHead bytes are room for the
// record header, as one record with tag.
func (w *Writer) writeRecord(tag byte, rec []byte) error {
	rec[0] = tag
	binary.LittleEndian.PutUint32(rec[1:5], uint32(len(rec)-recHead))
	c := crc32.Update(0, castagnoli, rec[:5])
	c = crc32.Update(c, castagnoli, rec[recHead:])
	binary.LittleEndian.PutUint32(rec[5:9], c)
	n, err := w.f.Write(rec)
	w.pos += int64(n)
	if err != nil {
		return fmt.Errorf("cannot write recording: %w", cause(err))
	}
	return nil
}

// Entry is one dump being written into a recording: an io.Writer, ended
// by Commit or Abort.
type Entry struct {
	w        *Writer
	start    int64 // where the dump's records start
	newFrame bool
	n        int64  // raw bytes written
	crc      uint32 // of the raw bytes
	err      error  // the first failure to record
	tee      *teeReader
	done     bool
}

// Write compresses p into the recording.
func (e *Entry) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.done {
		return 0, errors.New("record: write to a finished dump")
	}
	n, err := e.w.enc.Write(p)
	e.add(p[:n])
	if err != nil {
		e.err = err
	}
	return n, err
}

func (e *Entry) add(p []byte) {
	e.n += int64(len(p))
	e.crc = crc32.Update(e.crc, castagnoli, p)
}

// ReadFrom compresses all of r into the recording, without copying it
// through another buffer, and returns how many bytes it read.
func (e *Entry) ReadFrom(r io.Reader) (int64, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.done {
		return 0, errors.New("record: write to a finished dump")
	}
	hr := &hashReader{r: r, e: e}
	n, err := e.w.enc.ReadFrom(hr)
	if err != nil && hr.err == nil {
		e.err = err // the recording failed, not r
	}
	return n, err
}

type hashReader struct {
	r   io.Reader
	e   *Entry
	err error
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.e.add(p[:n])
	if err != nil && err != io.EOF {
		h.err = err
	}
	return n, err
}

// Tee returns a reader that reads r and records every byte it reads into
// the dump. The bytes are compressed on another goroutine, handed over
// without buffering, so that recording costs the reader little more than
// a copy and no extra memory. A failure to record does not fail the read,
// so that the body can still be parsed: Commit reports it. The reader
// must not be used after Commit or Abort.
func (e *Entry) Tee(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	t := &teeReader{r: r, pw: pw, done: make(chan struct{})}
	e.tee = t
	go func() {
		defer close(t.done)
		e.ReadFrom(pr)
		io.Copy(io.Discard, pr) // after a failure, keep the reader going
	}()
	return t
}

type teeReader struct {
	r    io.Reader
	pw   *io.PipeWriter
	done chan struct{}
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.pw.Write(p[:n]) // fails only once the entry is finished
	}
	return n, err
}

// wait lets the compressing goroutine finish what it was handed.
func (t *teeReader) wait() {
	t.pw.Close()
	<-t.done
}

// Commit ends the dump and makes it durable (fsync) with meta. A dump of
// no bytes is not recorded: Commit returns ErrEmpty. If any write failed,
// Commit abandons the dump and returns that failure; the recording still
// holds every dump committed before and may take more.
func (e *Entry) Commit(meta Meta) error {
	if e.done {
		return errors.New("record: dump already finished")
	}
	e.waitTee()
	w := e.w
	err := e.err
	if err == nil && e.n == 0 {
		err = ErrEmpty
	}
	if err == nil {
		err = w.enc.Flush()
	}
	if err == nil {
		err = w.flushData()
	}
	if err == nil {
		err = w.writeRecord(tagEnd, e.end(meta))
	}
	if err == nil {
		if err = w.f.Sync(); err != nil {
			err = fmt.Errorf("cannot sync recording: %w", cause(err))
		}
	}
	if err == nil {
		if err = w.replaced(); err != nil {
			w.err = err
		}
	}
	if err != nil {
		e.Abort()
		return err
	}
	e.done, w.entry = true, nil
	w.count++
	w.raw += e.n
	w.newFrame = false
	if need := 2 * e.n; need > int64(w.window) && w.window < MaxWindow {
		for w.window < MaxWindow && int64(w.window) < need {
			w.window *= 2
		}
		w.newFrame = true
	}
	return nil
}

func (e *Entry) waitTee() {
	if e.tee != nil {
		e.tee.wait()
		e.tee = nil
	}
}

// end encodes the 'E' record of the dump, after room for the header.
func (e *Entry) end(meta Meta) []byte {
	var flags byte
	if e.newFrame {
		flags |= flagNewFrame
	}
	if !meta.At.IsZero() {
		flags |= flagHasTime
	}
	src := meta.Source
	if len(src) > maxSrc {
		src = src[:maxSrc]
	}
	b := make([]byte, recHead, recHead+64+len(src))
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(e.n))
	b = binary.LittleEndian.AppendUint32(b, e.crc)
	if flags&flagHasTime != 0 {
		b = binary.AppendVarint(b, meta.At.UnixNano())
	}
	b = binary.AppendVarint(b, int64(meta.Wait))
	b = binary.AppendVarint(b, int64(meta.Duration))
	b = binary.AppendVarint(b, meta.Bytes)
	b = binary.AppendUvarint(b, uint64(len(src)))
	return append(b, src...)
}

// Abort abandons the dump: the file is cut back to the end of the last
// dump committed, and the next dump starts a new zstd frame. Abort after
// Commit does nothing.
func (e *Entry) Abort() error {
	if e.done {
		return nil
	}
	e.waitTee()
	w := e.w
	e.done, w.entry = true, nil
	w.newFrame = true
	w.buf = w.buf[:recHead]
	if w.pos == e.start {
		return nil
	}
	if err := w.f.Truncate(e.start); err != nil {
		w.err = fmt.Errorf("cannot cut an abandoned dump off the recording: %w", cause(err))
		return w.err
	}
	if _, err := w.f.Seek(e.start, io.SeekStart); err != nil {
		w.err = fmt.Errorf("cannot seek in the recording: %w", cause(err))
		return w.err
	}
	w.pos = e.start
	return nil
}
