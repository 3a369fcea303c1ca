package source

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/record"
)

// recordDumps writes a recording of bodies, the i-th taken at second i.
func recordDumps(t *testing.T, bodies ...string) (string, []Meta) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.rec")
	w, err := record.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var metas []Meta
	for i, b := range bodies {
		m := Meta{Source: "http://10.0.0.7:6060/debug/pprof/goroutine?debug=2", At: time.Unix(1_800_000_000+int64(i), 0),
			Wait: time.Duration(i) * time.Millisecond, Duration: 3 * time.Millisecond, Bytes: int64(len(b))}
		if err := w.Add(record.Meta(m), strings.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		metas = append(metas, m)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, metas
}

func sameMeta(a, b Meta) bool {
	return a.Source == b.Source && a.At.Equal(b.At) && a.Wait == b.Wait && a.Duration == b.Duration && a.Bytes == b.Bytes
}

// TestRecording replays a recording: every dump, with the Meta of the
// original fetch, then io.EOF; the target is told from a dump file by
// its content, whatever its name.
func TestRecording(t *testing.T) {
	bodies := []string{dump, dump + dump, strings.Replace(dump, "1 [running]", "2 [running]", 1)}
	path, metas := recordDumps(t, bodies...)
	named := filepath.Join(filepath.Dir(path), "dump.txt") // the name says nothing
	if err := os.Rename(path, named); err != nil {
		t.Fatal(err)
	}
	tg, err := ParseTarget(named)
	if err != nil || tg.Kind != Recording || tg.Path != named {
		t.Fatalf("ParseTarget(%q) = %+v, %v; want a Recording", named, tg, err)
	}
	src := open(t, named, Options{})
	if src.Live() || src.String() != named {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
	if n, ok := Len(src); !ok || n != len(bodies) {
		t.Errorf("Len = %d, %v; want the %d dumps recorded", n, ok, len(bodies))
	}
	got, gotMetas, err := readAll(t, src)
	if err != io.EOF {
		t.Fatalf("replay ended with %v, want io.EOF", err)
	}
	if strings.Join(got, "|") != strings.Join(bodies, "|") {
		t.Errorf("replayed %q, want %q", got, bodies)
	}
	for i := range metas {
		if !sameMeta(gotMetas[i], metas[i]) {
			t.Errorf("dump %d: meta %+v, want %+v", i, gotMetas[i], metas[i])
		}
	}
	if w := Warnings(src); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}

	// A Target of kind File that holds a recording is replayed too.
	fileSrc, err := Open(Target{Kind: File, Path: named, Raw: named}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fileSrc.Close()
	if got, _, _ := readAll(t, fileSrc); len(got) != len(bodies) {
		t.Errorf("Open of a File target replayed %d dumps, want %d", len(got), len(bodies))
	}

	// A dump file is still a File.
	if tg, err := ParseTarget(writeFile(t, "plain.rec", dump)); err != nil || tg.Kind != File {
		t.Errorf("a dump named .rec: %+v, %v", tg, err)
	}
}

// TestRecordingTorn: a recording cut off by a crash replays what it holds
// and says what it left out, without an error.
func TestRecordingTorn(t *testing.T) {
	path, _ := recordDumps(t, dump, dump+dump)
	info, _ := os.Stat(path)
	if err := os.Truncate(path, info.Size()-3); err != nil {
		t.Fatal(err)
	}
	src := open(t, path, Options{})
	if n, _ := Len(src); n != 1 {
		t.Errorf("Len = %d, want the 1 dump the torn recording holds whole", n)
	}
	got, _, err := readAll(t, src)
	if err != io.EOF || len(got) != 1 {
		t.Fatalf("replayed %d dumps, ended with %v; want 1, io.EOF", len(got), err)
	}
	w := Warnings(src)
	if len(w) != 1 || !strings.Contains(w[0], path+": recording ends with an incomplete snapshot (") || !strings.HasSuffix(w[0], "1 snapshots replayed") {
		t.Errorf("warnings %q", w)
	}
}

func TestRecordingErrors(t *testing.T) {
	path, _ := recordDumps(t, dump+dump+dump)
	_, _, err := readAll(t, open(t, path, Options{MaxBytes: 10}))
	wantKind(t, err, ErrTooBig, "--max-bytes")

	data, _ := os.ReadFile(path)
	data[len(record.Magic)] = 7
	bad := writeFile(t, "future.rec", string(data))
	_, err = Open(Target{Kind: Recording, Path: bad}, Options{})
	wantKind(t, err, ErrFile, "version 7", "upgrade gorotop")

	_, err = Open(Target{Kind: Recording, Path: writeFile(t, "plain.txt", dump)}, Options{})
	wantKind(t, err, ErrFile, "not a gorotop recording")

	src := open(t, path, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = src.Next(ctx, func(io.Reader) error { return nil })
	wantKind(t, err, ErrCanceled)
}

// TestTee records a live HTTP source while the caller reads it: the dumps
// read are recorded with their Meta, a body the caller refuses is not,
// and a recording that fails says so once while polling goes on.
func TestTee(t *testing.T) {
	srv := httptest.NewServer(pprof.Handler("goroutine"))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "live.rec")
	w, err := record.Create(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	src := Tee(open(t, srv.URL, Options{}), w)
	if !src.Live() || !strings.HasPrefix(src.String(), srv.URL) {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
	var bodies []string
	var metas []Meta
	refuse := errors.New("not a dump")
	for i := range 4 {
		var body []byte
		meta, err := src.Next(context.Background(), func(r io.Reader) error {
			if i == 2 {
				return refuse // the caller's parser said no
			}
			// Read a part only: the rest is recorded all the same.
			body = make([]byte, 100)
			_, err := io.ReadFull(r, body)
			return err
		})
		if i == 2 {
			if !errors.Is(err, refuse) {
				t.Fatalf("poll 2: %v, want the caller's error", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		bodies, metas = append(bodies, string(body)), append(metas, meta)
	}
	if w.Count() != 3 {
		t.Fatalf("recorded %d dumps, want 3", w.Count())
	}

	rec := open(t, path, Options{})
	got, gotMetas, err := readAll(t, rec)
	if err != io.EOF || len(got) != 3 {
		t.Fatalf("replayed %d dumps, %v", len(got), err)
	}
	for i := range got {
		if !strings.HasPrefix(got[i], bodies[i]) || !strings.Contains(got[i], "goroutine ") || int64(len(got[i])) != metas[i].Bytes {
			t.Errorf("dump %d: %d bytes recorded, %d fetched, starting %q", i, len(got[i]), metas[i].Bytes, got[i][:min(len(got[i]), 40)])
		}
		if !sameMeta(gotMetas[i], metas[i]) {
			t.Errorf("dump %d: meta %+v, want %+v", i, gotMetas[i], metas[i])
		}
	}

	// The recording fails: the next poll says so, the one after goes on.
	w.Close()
	read := func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
	_, err = src.Next(context.Background(), read)
	wantKind(t, err, ErrFile, path, "recording stopped")
	if _, err := src.Next(context.Background(), read); err != nil {
		t.Errorf("after the recording stopped: %v", err)
	}
}

// TestRecordingTooBig replays a recording whose dump is larger than
// --max-bytes: it is refused before a byte of it is expanded (a few
// kilobytes of zstd can claim a gigabyte), and the next dump is read.
func TestRecordingTooBig(t *testing.T) {
	big := strings.Repeat("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n", 10_000)
	path, _ := recordDumps(t, big, "goroutine 2 [running]:\nmain.main()\n\t/a.go:1 +0x1\n")
	src, err := Open(Target{Kind: Recording, Path: path}, Options{MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	called := false
	_, err = src.Next(context.Background(), func(io.Reader) error { called = true; return nil })
	if !errors.Is(err, ErrTooBig) || called {
		t.Fatalf("a dump over --max-bytes: %v, read called: %v", err, called)
	}
	var got []byte
	if _, err := src.Next(context.Background(), func(r io.Reader) error { got, err = io.ReadAll(r); return err }); err != nil || !strings.HasPrefix(string(got), "goroutine 2 ") {
		t.Fatalf("the next dump: %v, %q", err, got)
	}
}
