package source

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readAll drains src, returning each dump's body and Meta, and the error
// that ended it (io.EOF for a finite source read to the end).
func readAll(t *testing.T, src Source) ([]string, []Meta, error) {
	t.Helper()
	var bodies []string
	var metas []Meta
	for range 100 {
		var body []byte
		meta, err := src.Next(context.Background(), func(r io.Reader) error {
			var err error
			body, err = io.ReadAll(r)
			return err
		})
		if err != nil {
			return bodies, metas, err
		}
		bodies, metas = append(bodies, string(body)), append(metas, meta)
	}
	t.Fatal("source never ended")
	return nil, nil, nil
}

func TestFile(t *testing.T) {
	p := writeFile(t, "dump.txt", dump+dump)
	mtime := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	src := open(t, p, Options{MaxBytes: 10}) // a single file is not capped
	if src.Live() || src.String() != p {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
	bodies, metas, err := readAll(t, src)
	if err != io.EOF || len(bodies) != 1 || bodies[0] != dump+dump {
		t.Fatalf("got %q, %v; want the whole file once, then io.EOF", bodies, err)
	}
	if m := metas[0]; m.Source != p || !m.At.Equal(mtime) || m.Bytes != int64(2*len(dump)) || m.Wait != 0 {
		t.Errorf("meta = %+v", m)
	}
}

func TestFileGone(t *testing.T) {
	p := writeFile(t, "dump.txt", dump)
	src := open(t, p, Options{})
	os.Remove(p)
	_, _, err := readAll(t, src)
	wantKind(t, err, ErrFile, "cannot open", "no such file")
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	for i, name := range []string{"b.txt", "a.txt", "10.txt", ".hidden", "sub/x.txt"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		at := mtime.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, at, at)
	}
	os.Symlink("a.txt", filepath.Join(dir, "link.txt"))
	os.Symlink("nowhere", filepath.Join(dir, "broken.txt"))

	src := open(t, dir, Options{})
	if src.Live() || src.String() != dir {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
	if n, ok := Len(src); !ok || n != 4 {
		t.Errorf("Len = %d, %v; want the directory's 4 files", n, ok)
	}
	bodies, metas, err := readAll(t, src)
	if err != io.EOF {
		t.Fatal(err)
	}
	if got, want := strings.Join(bodies, ","), "10.txt,a.txt,b.txt,a.txt"; got != want {
		t.Errorf("bodies = %s, want %s", got, want)
	}
	if !metas[0].At.Equal(mtime.Add(2*time.Minute)) || metas[1].Source != filepath.Join(dir, "a.txt") {
		t.Errorf("metas = %+v", metas)
	}
}

func TestDirCapsEachFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "1.txt"), []byte(strings.Repeat("x", 2048)), 0o600)
	os.WriteFile(filepath.Join(dir, "2.txt"), []byte(dump), 0o600)
	src := open(t, dir, Options{MaxBytes: 1024})
	_, _, err := readAll(t, src)
	wantKind(t, err, ErrTooBig, "--max-bytes 1KiB")
	bodies, _, err := readAll(t, src) // the next file still comes
	if err != io.EOF || len(bodies) != 1 || bodies[0] != dump {
		t.Errorf("after a too-big file: %q, %v", bodies, err)
	}
}

func TestEmptyDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte(dump), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	tg, err := ParseTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(tg, Options{})
	wantKind(t, err, ErrFile, "no dump files")
}

func TestStdin(t *testing.T) {
	src := open(t, "-", Options{Stdin: strings.NewReader(dump + dump)})
	if src.Live() || src.String() != "stdin" {
		t.Errorf("Live() = %v, String() = %q", src.Live(), src.String())
	}
	if n, ok := Len(src); ok {
		t.Errorf("Len of standard input = %d, known", n)
	}
	bodies, metas, err := readAll(t, src)
	if err != io.EOF || len(bodies) != 1 || bodies[0] != dump+dump {
		t.Fatalf("got %q, %v; want the whole stream once, then io.EOF", bodies, err)
	}
	if m := metas[0]; m.Source != "stdin" || m.At.IsZero() || m.Bytes != int64(2*len(dump)) {
		t.Errorf("meta = %+v", m)
	}
}

func TestStdinCanceled(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	io.WriteString(w, dump) // then nothing more: a read blocks
	src := open(t, "-", Options{Stdin: r})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = src.Next(ctx, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	wantKind(t, err, ErrCanceled)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("%v after %v", err, time.Since(start))
	}
}

func TestOpenRecording(t *testing.T) {
	_, err := Open(Target{Kind: Recording, Path: "x.rec"}, Options{})
	wantKind(t, err, ErrFile, "cannot open")
}
