package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// dumpOf is what the test recorded: a dump and its Meta.
type dumpOf struct {
	meta Meta
	body []byte
}

// replay reads a whole recording.
func replay(t *testing.T, r *Reader) ([]dumpOf, error) {
	t.Helper()
	var got []dumpOf
	for {
		meta, body, err := r.Next()
		if err != nil {
			return got, err
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return got, err
		}
		got = append(got, dumpOf{meta, b})
	}
}

func replayFile(t *testing.T, path string) ([]dumpOf, string) {
	t.Helper()
	r := open(t, path)
	defer r.Close()
	got, err := replay(t, r)
	if err != io.EOF {
		t.Fatalf("replay ended with %v, want io.EOF", err)
	}
	if r.Count() != len(got) {
		t.Errorf("Count() = %d, replayed %d", r.Count(), len(got))
	}
	if r.Len() != len(got) {
		t.Errorf("Len() = %d, replayed %d", r.Len(), len(got))
	}
	return got, r.Warning()
}

func sameDumps(t testing.TB, got, want []dumpOf) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replayed %d dumps, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.body, w.body) {
			t.Errorf("dump %d: %d bytes differ from the %d recorded", i, len(g.body), len(w.body))
		}
		if !g.meta.At.Equal(w.meta.At) || g.meta.Source != w.meta.Source || g.meta.Wait != w.meta.Wait ||
			g.meta.Duration != w.meta.Duration || g.meta.Bytes != w.meta.Bytes {
			t.Errorf("dump %d: meta %+v, want %+v", i, g.meta, w.meta)
		}
	}
}

func create(t testing.TB) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.rec")
	w, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

// TestRoundTrip records real dumps of this process, polled over HTTP,
// both ways a caller can (Add, and a tee while the body is read), with an
// abandoned dump and an empty one between, and replays them.
func TestRoundTrip(t *testing.T) {
	svc := startService(t, 300)
	w, path := create(t)
	var want []dumpOf
	for i := range 6 {
		svc.churn(5, 8)
		if i%2 == 0 {
			meta, body := svc.fetch()
			if err := w.Add(meta, bytes.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			want = append(want, dumpOf{meta, body})
			continue
		}
		e, err := w.Begin()
		if err != nil {
			t.Fatal(err)
		}
		var seen bytes.Buffer
		meta := svc.poll(func(r io.Reader) error {
			_, err := io.Copy(&seen, e.Tee(r)) // the parser's place
			return err
		})
		if i == 3 { // a body the caller refuses is not recorded
			if err := e.Abort(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := e.Commit(meta); err != nil {
			t.Fatal(err)
		}
		want = append(want, dumpOf{meta, seen.Bytes()})
	}
	if err := w.Add(Meta{Source: "empty"}, strings.NewReader("")); !errors.Is(err, ErrEmpty) {
		t.Errorf("Add of an empty dump: %v, want ErrEmpty", err)
	}
	if w.Count() != len(want) {
		t.Errorf("Count() = %d, want %d", w.Count(), len(want))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, warning := replayFile(t, path)
	if warning != "" {
		t.Errorf("warning %q on a complete recording", warning)
	}
	sameDumps(t, got, want)
	if !strings.Contains(string(got[0].body), "goroutine ") || !strings.Contains(string(got[0].body), "serviceWorker") {
		t.Errorf("the first dump is not a goroutine dump of the service:\n%.300s", got[0].body)
	}
}

// TestUnreadBody checks that a caller may leave a body unread or half
// read: the next dump still comes out right.
func TestUnreadBody(t *testing.T) {
	w, path := create(t)
	var want []dumpOf
	for i, size := range []int{300 << 10, 128 << 10, 256 << 10, 1 << 20, 77} { // whole zstd blocks too
		d := dumpOf{Meta{Source: "s", At: time.Unix(int64(i), 0), Bytes: int64(size)}, synthetic(i, size)[:size]}
		if err := w.Add(d.meta, bytes.NewReader(d.body)); err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
	}
	w.Close()
	r := open(t, path)
	defer r.Close()
	var prev io.Reader
	for i := range want {
		_, body, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil {
			if _, err := prev.Read(make([]byte, 1)); err == nil {
				t.Errorf("dump %d could be read after Next", i-1)
			}
		}
		prev = body
		switch i {
		case 1: // not read at all
		case 2: // half read
			io.CopyN(io.Discard, body, int64(len(want[i].body)/2))
		default:
			b, _ := io.ReadAll(body)
			if !bytes.Equal(b, want[i].body) {
				t.Errorf("dump %d differs", i)
			}
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last dump: %v, want io.EOF", err)
	}
	if r.Warning() != "" {
		t.Errorf("warning %q", r.Warning())
	}
}

// synthetic makes a dump-like text of about size bytes, different for
// each seed but mostly the same.
func synthetic(seed, size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	var b bytes.Buffer
	for id := 1; b.Len() < size; id++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive, %d minutes]:\nmain.worker(0x%x, 0x%x)\n\t/src/app/worker.go:%d +0x%x\ncreated by main.start in goroutine 1\n\t/src/app/main.go:40 +0x5d\n\n",
			id+rng.IntN(3), rng.IntN(4), 0xc000100000+rng.IntN(1<<20), rng.IntN(100), 10+rng.IntN(5), rng.IntN(256))
	}
	return b.Bytes()
}

// TestWindowGrows records dumps bigger than the first window: the stream
// starts new frames with bigger windows and everything replays.
func TestWindowGrows(t *testing.T) {
	w, path := create(t)
	var want []dumpOf
	for i, size := range []int{100 << 10, 3 << 20, 3 << 20, 9 << 20, 9 << 20, 200 << 10} {
		d := dumpOf{Meta{Source: "big", At: time.Unix(100, int64(i)), Bytes: int64(size)}, synthetic(i, size)}
		if err := w.Add(d.meta, bytes.NewReader(d.body)); err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
	}
	if w.window != 32<<20 {
		t.Errorf("window %d MiB, want 32 MiB after 9 MiB dumps", w.window>>20)
	}
	w.Close()
	got, warning := replayFile(t, path)
	if warning != "" {
		t.Errorf("warning %q", warning)
	}
	sameDumps(t, got, want)
}

// smallRecording writes a few small dumps and returns the file's bytes,
// the dumps, and where each dump's records end.
func smallRecording(t testing.TB) ([]byte, []dumpOf, []int64) {
	t.Helper()
	w, path := create(t)
	var want []dumpOf
	var ends []int64
	for i := range 4 {
		d := dumpOf{Meta{Source: "http://x/", At: time.Unix(0, int64(i+1)), Duration: time.Millisecond}, synthetic(i, 2000+i*500)}
		if err := w.Add(d.meta, bytes.NewReader(d.body)); err != nil {
			t.Fatal(err)
		}
		d.meta.Bytes = int64(len(d.body))
		want = append(want, d)
		ends = append(ends, w.Size())
	}
	w.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, want, ends
}

// TestTornTail cuts a recording at every byte: the reader replays each
// dump written in full before the cut and says what it left out.
func TestTornTail(t *testing.T) {
	data, want, ends := smallRecording(t)
	for cut := headerSize; cut <= len(data); cut++ {
		complete := 0
		for complete < len(ends) && ends[complete] <= int64(cut) {
			complete++
		}
		r, err := NewReader(bytes.NewReader(data[:cut]))
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if n := r.Len(); n != complete {
			t.Fatalf("cut at %d: Len() = %d, want the %d complete dumps", cut, n, complete)
		}
		got, err := replay(t, r)
		if err != io.EOF {
			t.Fatalf("cut at %d: %v, want io.EOF", cut, err)
		}
		sameDumps(t, got, want[:complete])
		last := int64(headerSize) // the end of the last complete dump
		if complete > 0 {
			last = ends[complete-1]
		}
		want := ""
		if tail := int64(cut) - last; tail > 0 {
			want = fmt.Sprintf("recording ends with an incomplete snapshot (%d bytes), %d snapshots replayed", tail, complete)
		}
		if w := r.Warning(); w != want {
			t.Fatalf("cut at %d: warning %q, want %q", cut, w, want)
		}
	}
}

// TestDamage flips bytes: the reader replays the dumps before the damage
// and says where it stopped, or fails with ErrDamaged; it never hands out
// wrong bytes as a dump.
func TestDamage(t *testing.T) {
	data, want, _ := smallRecording(t)
	for pos := headerSize; pos < len(data); pos++ {
		bad := bytes.Clone(data)
		bad[pos] ^= 0x40
		r, err := NewReader(bytes.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		n := r.Len()
		got, err := replay(t, r)
		if err != io.EOF && !errors.Is(err, ErrDamaged) {
			t.Fatalf("byte %d: %v", pos, err)
		}
		if n < len(got) || n > len(want) {
			t.Fatalf("byte %d: Len() = %d, replayed %d of %d", pos, n, len(got), len(want))
		}
		if err == io.EOF && !strings.Contains(r.Warning(), "damaged") && !strings.Contains(r.Warning(), "incomplete") {
			t.Fatalf("byte %d: no warning", pos)
		}
		sameDumps(t, got, want[:len(got)])
	}
	bad := bytes.Clone(data)
	bad[len(Magic)] = 9
	if _, err := NewReader(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("version 9: %v", err)
	}
	if _, err := NewReader(strings.NewReader("goroutine 1 [running]:\n")); err == nil || !strings.Contains(err.Error(), "not a gorotop recording") {
		t.Errorf("a dump: %v", err)
	}
}

func TestIsRecording(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{Magic + "\x01", true},
		{Magic, true},
		{Magic[:10], false},
		{"goroutine 1 [running]:", false},
		{"", false},
	} {
		if got := IsRecording([]byte(tc.in)); got != tc.want {
			t.Errorf("IsRecording(%q) = %v", tc.in, got)
		}
	}
}

// TestCompression records 20 polls of a steady service of about 2 000
// goroutines whose IDs and arguments change a little between polls: the
// recording must be at most 5 % of the raw dumps.
func TestCompression(t *testing.T) {
	svc := startService(t, 2000)
	w, path := create(t)
	var raw, alone int64
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	for range 20 {
		svc.churn(30, 35) // a few per cent of the goroutines are new each poll
		meta, body := svc.fetch()
		if err := w.Add(meta, bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		raw += int64(len(body))
		alone += int64(len(enc.EncodeAll(body, nil)))
	}
	w.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(info.Size()) / float64(raw)
	t.Logf("20 dumps of ~%d goroutines, %d bytes raw: recording %d bytes = %.2f %% (each dump compressed alone: %.2f %%)",
		2000, raw, info.Size(), 100*ratio, 100*float64(alone)/float64(raw))
	if ratio > 0.05 {
		t.Errorf("recording is %.2f %% of the raw bytes, want at most 5 %%", 100*ratio)
	}
	got, _ := replayFile(t, path)
	if len(got) != 20 {
		t.Errorf("replayed %d dumps, want 20", len(got))
	}
}

// TestCreate checks the file's mode, that nothing is clobbered without
// force, and the error for a directory that cannot be written.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.rec")
	w, err := Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Meta{Source: "s"}, strings.NewReader("goroutine 1 [running]:\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if _, err := Create(path, false); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("Create over a recording without force: %v", err)
	}
	if got, _ := replayFile(t, path); len(got) != 1 {
		t.Errorf("the existing recording was touched: %d dumps", len(got))
	}
	w, err = Create(path, true)
	if err != nil {
		t.Fatalf("Create with force: %v", err)
	}
	w.Close()
	if got, _ := replayFile(t, path); len(got) != 0 {
		t.Errorf("force did not replace the recording: %d dumps", len(got))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	if _, err := Create(filepath.Join(dir, "no", "such.rec"), false); err == nil || !strings.Contains(err.Error(), "does the directory exist") {
		t.Errorf("missing directory: %v", err)
	}
}

// TestReadOnlyDir: creating a recording in a directory that cannot be
// written says so in one clear line. Root ignores directory modes, so as
// root the attempt runs in a child process as nobody.
func TestReadOnlyDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.rec")
	var msg string
	if os.Geteuid() != 0 {
		_, err := Create(path, false)
		if err == nil {
			t.Fatal("Create in a read-only directory succeeded")
		}
		msg = err.Error()
	} else {
		msg = asNobody(t, path)
	}
	t.Log(msg)
	want := "cannot create recording " + path + ": permission denied (is the directory writable?)"
	if msg != want {
		t.Errorf("got %q\nwant %q", msg, want)
	}
}

// open opens the recording at path for the test.
func open(t *testing.T, path string) *Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
