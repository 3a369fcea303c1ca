// Package record writes and reads recordings: every raw goroutine dump of
// a session with the time, source and cost of its fetch, compressed, in a
// file that survives a crash or kill -9 of the recorder up to the last
// complete dump.
//
//	w, err := record.Create("api.rec", false)
//	err = w.Add(meta, body) // or Begin, Write..., Commit for a tee
//	err = w.Close()
//
//	f, err := os.Open("api.rec")
//	r, err := record.NewReader(f)
//	for {
//		meta, body, err := r.Next() // io.EOF at the end; then r.Warning()
//	}
//
// # Format
//
// A recording is a 17-byte header, the Magic and a version byte, followed
// by records. Every record is self-delimiting and checksummed:
//
//	tag     1 byte    'D' data or 'E' end of a dump
//	length  4 bytes   little endian, of the payload: at most 1 MiB for 'D', 64 KiB for 'E'
//	crc     4 bytes   little endian CRC-32C of tag, length and payload
//	payload
//
// A dump is one or more 'D' records holding its compressed bytes, then one
// 'E' record holding its Meta, its raw length and the CRC-32C of its raw
// bytes. The writer fsyncs after each 'E', so a reader replays every dump
// whose 'E' is complete and reports whatever follows as a torn tail.
//
// The dumps of a recording are one zstd stream: each dump is flushed as
// whole blocks, so its 'D' records decode once the dumps before it have
// been decoded, and its blocks refer back to the previous dump, which a
// service's next dump mostly repeats (the same goroutines, IDs and
// arguments). That makes a recording of a steady service a few per mille
// of its raw bytes where compressing each dump alone gives a few per
// cent. A dump whose 'E' has the new-frame flag starts a new zstd frame:
// the first dump, the dump after one that was abandoned, and the dump after
// one that outgrew the window, which then grows to hold two such dumps,
// up to MaxWindow. The writer keeps two windows of history in memory, the
// reader one.
package record

import (
	"bytes"
	"errors"
	"hash/crc32"
	"time"
)

// Magic starts every recording. The leading non-ASCII byte keeps it from
// reading as text; the CR LF and ^Z catch a file mangled by line-ending
// conversion.
const Magic = "\x89GOROTOP-REC\r\n\x1a\n"

// Version is the format version this package writes and reads.
const Version = 1

const headerSize = len(Magic) + 1

// Record tags.
const (
	tagData = 'D'
	tagEnd  = 'E'
)

// Limits a reader enforces, so that a hostile file costs bounded memory.
const (
	maxData  = 1 << 20  // payload of a 'D' record
	maxEnd   = 64 << 10 // payload of an 'E' record
	maxSrc   = 4 << 10  // Meta.Source
	recHead  = 9        // tag, length, crc
	chunkLen = 256 << 10
)

// Window sizes of the zstd stream: the window starts at MinWindow and
// grows to hold two dumps, up to MaxWindow. Dumps bigger than half of
// MaxWindow are compressed mostly against themselves.
const (
	MinWindow = 4 << 20
	MaxWindow = 64 << 20
)

// Flags of an 'E' record.
const (
	flagNewFrame = 1 << iota // the dump's data starts a new zstd frame
	flagHasTime              // Meta.At is set
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Meta describes one recorded dump: the same fields, in the same order, as
// source.Meta, so that each converts to the other.
type Meta struct {
	Source   string    // the URL or path the dump came from, without credentials
	At       time.Time // when the fetch started
	Wait     time.Duration
	Duration time.Duration
	Bytes    int64 // body bytes of the fetch
}

// ErrExists is returned by Create when the file is there already and
// force is off.
var ErrExists = errors.New("file exists (use --force to replace it)")

// ErrNotFile is returned by Create when force would replace something
// other than a regular file: a recording is cut back and synced, which a
// device or a pipe cannot be.
var ErrNotFile = errors.New("not a regular file: a recording must be a file of its own")

// ErrReplaced is returned by a Writer whose file was replaced, at its
// path, by another (another gorotop recording with --force into the same
// path): what it recorded is lost.
var ErrReplaced = errors.New("the recording was replaced by another file at its path (another gorotop recording into it?); what it recorded is lost")

// ErrEmpty is returned by Commit and Add for a dump with no bytes: a
// recording holds no empty dumps.
var ErrEmpty = errors.New("empty dump not recorded")

// ErrDamaged is wrapped by the errors of a Reader whose file holds checked
// records that do not decode: a damaged or forged recording.
var ErrDamaged = errors.New("recording is damaged")

// IsRecording reports whether first, the first bytes of a file, start a
// recording. It needs at least len(Magic) bytes.
func IsRecording(first []byte) bool {
	return len(first) >= len(Magic) && bytes.Equal(first[:len(Magic)], []byte(Magic))
}
