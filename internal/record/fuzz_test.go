package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"
)

// FuzzReader feeds the reader hostile files: it must never panic, never
// allocate beyond its caps, and end every replay with io.EOF (and a
// one-line warning) or ErrDamaged. With forge set, the checksums of the
// records are made right first, as a forger would, so that mutated
// payloads reach the zstd decoder and the checks behind it.
func FuzzReader(f *testing.F) {
	data, _, ends := smallRecording(f)
	for _, forge := range []bool{false, true} {
		f.Add(data, forge)
		f.Add(data[:ends[0]], forge)
		f.Add(data[:ends[1]+20], forge)
	}
	// A dump that claims a negative size.
	w, path := create(f)
	w.Add(Meta{Source: "x", Bytes: -5}, strings.NewReader("goroutine 1 [running]:\n"))
	w.Close()
	if neg, err := os.ReadFile(path); err == nil {
		f.Add(neg, false)
	}
	f.Add(data[:headerSize], false)
	f.Add([]byte(Magic), false)
	f.Add([]byte("goroutine 1 [running]:\nmain.main()\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, forge bool) {
		if forge {
			data = forgeChecksums(data)
		}
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%d bytes took %v", len(data), d)
			}
		}()
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer r.Close()
		total := r.Len()
		defer func() {
			if r.Count() > total {
				t.Fatalf("Len() = %d, yet %d dumps replayed", total, r.Count())
			}
		}()
		for range 64 {
			meta, body, err := r.Next()
			if err == io.EOF {
				if w := r.Warning(); strings.ContainsFunc(w, func(c rune) bool { return !unicode.IsPrint(c) }) {
					t.Fatalf("warning %q", w)
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("Next: %v", err)
				}
				return
			}
			if len(meta.Source) > maxSrc {
				t.Fatalf("source of %d bytes", len(meta.Source))
			}
			if n, _ := Size(body); meta.Bytes < 0 || meta.Wait < 0 || meta.Duration < 0 || n <= 0 {
				t.Fatalf("meta %+v, size %d", meta, n)
			}
			if _, err := io.Copy(io.Discard, io.LimitReader(body, 1<<20)); err != nil && !errors.Is(err, ErrDamaged) {
				t.Fatalf("body: %v", err)
			}
		}
	})
}

// forgeChecksums returns data with the CRC of every record that fits put
// right.
func forgeChecksums(data []byte) []byte {
	data = bytes.Clone(data)
	for pos := headerSize; pos+recHead <= len(data); {
		size := int(binary.LittleEndian.Uint32(data[pos+1:]))
		if size > len(data)-pos-recHead {
			break
		}
		c := crc32.Update(0, castagnoli, data[pos:pos+5])
		c = crc32.Update(c, castagnoli, data[pos+recHead:pos+recHead+size])
		binary.LittleEndian.PutUint32(data[pos+5:], c)
		pos += recHead + size
	}
	return data
}
