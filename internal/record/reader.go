package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// maxRaw bounds the raw length an 'E' record may claim.
const maxRaw = 1 << 40

// Reader replays a recording, dump by dump. It checks every record and
// stops cleanly where the file is cut off or damaged: Next returns io.EOF
// and Warning says what was left out. A Reader is not safe for concurrent
// use.
type Reader struct {
	ra io.ReaderAt

	off     int64 // where the next dump's records start
	count   int   // dumps handed out
	warning string
	err     error // ends the replay: io.EOF or a failure

	dec  *zstd.Decoder
	data dataReader
	body *body // the last dump handed out
	buf  []byte
}

// NewReader reads a recording from ra, which may still be growing: the
// replay ends where the data ends. The errors of NewReader and of the
// Reader do not name the file.
func NewReader(ra io.ReaderAt) (*Reader, error) {
	head := make([]byte, headerSize)
	n, err := ra.ReadAt(head, 0)
	if n < headerSize || !IsRecording(head) {
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("cannot read recording: %w", err)
		}
		return nil, errors.New("not a gorotop recording")
	}
	if v := head[len(Magic)]; v != Version {
		return nil, fmt.Errorf("recording format version %d; this gorotop reads version %d (upgrade gorotop)", v, Version)
	}
	r := &Reader{ra: ra, off: int64(headerSize), buf: make([]byte, 32<<10)}
	r.data.ra = ra
	return r, nil
}

// Count returns how many dumps Next has handed out.
func (r *Reader) Count() int { return r.count }

// Len returns how many dumps the recording holds, as the headers of its
// records tell: it walks them from the start without reading the dumps'
// data, each 'E' record checked. A torn or damaged tail ends the count
// where Next would end the replay, but damage inside a dump's data is
// found only by Next: Len is what a replay can reach at most. A
// recording still growing holds more later.
func (r *Reader) Len() int {
	n, data := 0, false
	pos := int64(headerSize)
	var head [recHead]byte
	for {
		if k, _ := r.ra.ReadAt(head[:], pos); k < recHead {
			return n
		}
		tag, size, sum := head[0], int64(binary.LittleEndian.Uint32(head[1:5])), binary.LittleEndian.Uint32(head[5:9])
		switch {
		case tag == tagData && size > 0 && size <= maxData:
			data = true
		case tag == tagEnd && size <= maxEnd && data:
			payload := make([]byte, size)
			if k, _ := r.ra.ReadAt(payload, pos+recHead); int64(k) < size {
				return n
			}
			var e entry
			if crc32.Update(crc32.Update(0, castagnoli, head[:5]), castagnoli, payload) != sum || !e.decode(payload) {
				return n
			}
			n, data = n+1, false
		default:
			return n
		}
		pos += recHead + size
	}
}

// Warning says, once Next has returned io.EOF, what of the file was not
// replayed and why: a torn tail left by a crash, or damage. It is empty
// when the recording ended cleanly.
func (r *Reader) Warning() string { return r.warning }

// decoders keeps zstd decoders, and the window each has allocated, for
// the next Reader.
var decoders = sync.Pool{New: func() any {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(MaxWindow))
	if err != nil {
		panic(err) // the options are constants
	}
	return dec
}}

// Close releases the Reader's decoder; Next fails from then on. The
// ReaderAt stays open: it is the caller's to close.
func (r *Reader) Close() error {
	if r.dec != nil {
		r.dec.Reset(nil)
		decoders.Put(r.dec)
		r.dec = nil
	}
	if r.err == nil {
		r.err = errors.New("record: reader closed")
	}
	return nil
}

// entry is a dump found by the scan: where its data records are and what
// its 'E' record says.
type entry struct {
	start, end int64 // its 'D' records
	next       int64 // after its 'E' record
	flags      byte
	raw        int64
	crc        uint32
	meta       Meta
}

// Next returns the next dump: its Meta and its bytes, which must be read
// before the next call (what is left unread is skipped). At the end, also
// at a torn or damaged tail, it returns io.EOF. An error that is not
// io.EOF means that checked records failed to decode (ErrDamaged) or that
// reading failed; the replay cannot go on after it.
func (r *Reader) Next() (Meta, io.Reader, error) {
	if r.err != nil {
		return Meta{}, nil, r.err
	}
	if r.body != nil {
		if err := r.body.finish(); err != nil {
			r.err = err
			return Meta{}, nil, err
		}
		r.body = nil
	}
	e, err := r.scan()
	if err != nil {
		r.err = err
		return Meta{}, nil, err
	}
	if e.flags&flagNewFrame != 0 {
		if r.dec == nil {
			r.dec = decoders.Get().(*zstd.Decoder)
		}
		r.data.seek(e.start, e.end)
		if err := r.dec.Reset(&r.data); err != nil {
			r.err = r.damaged(err)
			return Meta{}, nil, r.err
		}
	} else if r.dec == nil || !r.data.extend(e.start, e.end) {
		r.err = r.damaged(errors.New("a dump continues a stream that is not there"))
		return Meta{}, nil, r.err
	}
	r.off = e.next
	r.count++
	r.body = &body{r: r, left: e.raw, want: e.crc}
	return e.meta, r.body, nil
}

// scan reads the records of the next dump, checking each, up to its 'E'
// record. At a clean end it returns io.EOF; at a torn or bad tail it sets
// the warning and returns io.EOF.
func (r *Reader) scan() (entry, error) {
	e := entry{start: r.off}
	pos := r.off
	for {
		var head [recHead]byte
		n, err := r.ra.ReadAt(head[:], pos)
		if n == 0 && pos == r.off && err == io.EOF {
			return e, io.EOF
		}
		if n < recHead {
			if err != io.EOF {
				return e, fmt.Errorf("cannot read recording: %w", err)
			}
			return e, r.torn(pos + int64(n))
		}
		tag, size, sum := head[0], int64(binary.LittleEndian.Uint32(head[1:5])), binary.LittleEndian.Uint32(head[5:9])
		switch {
		case tag == tagData && size > 0 && size <= maxData:
		case tag == tagEnd && size <= maxEnd:
		default:
			return e, r.bad(pos, "a record that is not one")
		}
		crc := crc32.Update(0, castagnoli, head[:5])
		var payload []byte
		if tag == tagEnd {
			payload = make([]byte, size)
			n, err := r.ra.ReadAt(payload, pos+recHead)
			if int64(n) < size {
				if err != io.EOF {
					return e, fmt.Errorf("cannot read recording: %w", err)
				}
				return e, r.torn(pos + recHead + int64(n))
			}
			crc = crc32.Update(crc, castagnoli, payload)
		} else {
			for done := int64(0); done < size; {
				k := min(int64(len(r.buf)), size-done)
				n, err := r.ra.ReadAt(r.buf[:k], pos+recHead+done)
				crc = crc32.Update(crc, castagnoli, r.buf[:n])
				done += int64(n)
				if int64(n) < k {
					if err != io.EOF {
						return e, fmt.Errorf("cannot read recording: %w", err)
					}
					return e, r.torn(pos + recHead + done)
				}
			}
		}
		if crc != sum {
			return e, r.bad(pos, "a checksum mismatch")
		}
		if tag == tagData {
			pos += recHead + size
			continue
		}
		if pos == e.start {
			return e, r.bad(pos, "a dump without data")
		}
		if !e.decode(payload) {
			return e, r.bad(pos, "an unreadable dump description")
		}
		e.end, e.next = pos, pos+recHead+size
		return e, nil
	}
}

// torn ends the replay at a tail cut off at end.
func (r *Reader) torn(end int64) error {
	r.warning = fmt.Sprintf("recording ends with an incomplete snapshot (%d bytes), %d snapshots replayed", end-r.off, r.count)
	return io.EOF
}

// bad ends the replay at a record that fails its checks.
func (r *Reader) bad(pos int64, what string) error {
	r.warning = fmt.Sprintf("recording is damaged at byte %d (%s), %d snapshots replayed", pos, what, r.count)
	return io.EOF
}

func (r *Reader) damaged(err error) error {
	return fmt.Errorf("%w after %d snapshots: %v", ErrDamaged, r.count, err)
}

// decode reads an 'E' payload into e.
func (e *entry) decode(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	e.flags, p = p[0], p[1:]
	raw, n := binary.Uvarint(p)
	if n <= 0 || raw == 0 || raw > maxRaw || len(p) < n+4 {
		return false
	}
	e.raw, p = int64(raw), p[n:]
	e.crc, p = binary.LittleEndian.Uint32(p), p[4:]
	if e.flags&flagHasTime != 0 {
		at, n := binary.Varint(p)
		if n <= 0 {
			return false
		}
		e.meta.At, p = time.Unix(0, at), p[n:]
	}
	var v [3]int64
	for i := range v {
		x, n := binary.Varint(p)
		if n <= 0 || x < 0 {
			return false // a wait, a duration or a size is never negative
		}
		v[i], p = x, p[n:]
	}
	e.meta.Wait, e.meta.Duration, e.meta.Bytes = time.Duration(v[0]), time.Duration(v[1]), v[2]
	l, n := binary.Uvarint(p)
	if n <= 0 || l > maxSrc || uint64(len(p)-n) < l {
		return false
	}
	e.meta.Source = string(p[n : n+int(l)])
	return true // bytes after these are for later versions
}

// Size returns the length of a dump Next returned, as its 'E' record
// gives it, before a byte of it is decoded: a reader can refuse a dump too
// large without expanding it.
func Size(r io.Reader) (n int64, ok bool) {
	if b, ok := r.(*body); ok {
		return b.left, true
	}
	return 0, false
}

// body is the bytes of one dump, decoded as they are read and checked
// against the length and CRC its 'E' record gives.
type body struct {
	r    *Reader
	left int64
	crc  uint32
	want uint32
	err  error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.r.body != b {
		return 0, errors.New("record: a dump read after the next one was asked for")
	}
	if b.left == 0 {
		if b.crc != b.want {
			b.err = b.r.damaged(errors.New("a snapshot does not match its checksum"))
			return 0, b.err
		}
		b.err = io.EOF
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.dec.Read(p)
	b.left -= int64(n)
	b.crc = crc32.Update(b.crc, castagnoli, p[:n])
	if err != nil && b.left > 0 {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		b.err = b.r.damaged(err)
		return n, b.err
	}
	return n, nil
}

// finish reads what the caller left of the body, so that the stream is
// at the next dump.
func (b *body) finish() error {
	_, err := io.CopyBuffer(io.Discard, b, b.r.buf)
	return err
}

// dataReader hands the decoder the payloads of the 'D' records between
// start and end, which the scan has checked, and nothing beyond.
type dataReader struct {
	ra       io.ReaderAt
	pos, end int64 // the next byte; the end of the data checked so far
	left     int64 // left in the current record's payload
}

// seek starts reading at the records from start to end.
func (d *dataReader) seek(start, end int64) { d.pos, d.end, d.left = start, end, 0 }

// extend lets the reader go on into the next dump's records, from start to
// end, if it has read exactly the data of the dumps before.
func (d *dataReader) extend(start, end int64) bool {
	if d.left != 0 || d.pos != d.end {
		return false
	}
	d.pos, d.end = start, end
	return true
}

func (d *dataReader) Read(p []byte) (int, error) {
	if d.left == 0 {
		if d.pos >= d.end {
			return 0, io.EOF
		}
		var head [recHead]byte
		if n, err := d.ra.ReadAt(head[:], d.pos); n < recHead {
			return 0, err
		}
		d.left = int64(binary.LittleEndian.Uint32(head[1:5]))
		d.pos += recHead
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.ra.ReadAt(p, d.pos)
	d.pos += int64(n)
	d.left -= int64(n)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	return n, err
}
