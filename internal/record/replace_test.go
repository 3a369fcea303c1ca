package record

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestConcurrentForce has three writers create the same recording with
// force at once and record into it: one file is left at the path, and
// only the writer whose file it is reports success.
func TestConcurrentForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "same.rec")
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() {
			w, err := Create(path, true)
			if err != nil {
				errs[i] = err
				return
			}
			time.Sleep(50 * time.Millisecond) // every writer has placed its file
			if err := w.Add(Meta{Source: "x"}, bytes.NewReader(synthetic(i, 3000))); err != nil {
				w.Close()
				errs[i] = err
				return
			}
			errs[i] = w.Close()
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrReplaced):
			t.Fatalf("writer: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d writers report success (%v), want 1", ok, errs)
	}
	if dumps, warning := replayFile(t, path); len(dumps) != 1 || warning != "" {
		t.Fatalf("the recording holds %d dumps (%q)", len(dumps), warning)
	}
}

// TestCreateForceNotFile refuses to replace a directory, or a device
// through a link (a link, so that a regression replaces the link and not
// the system's device), with a recording, and replaces the file a link
// points to.
func TestCreateForceNotFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	devLink := filepath.Join(dir, "null.rec")
	os.Symlink(os.DevNull, devLink)
	for _, path := range []string{sub, devLink} {
		if w, err := Create(path, true); !errors.Is(err, ErrNotFile) {
			if w != nil {
				w.Close()
			}
			t.Fatalf("%s: %v, want ErrNotFile", path, err)
		}
	}
	if target, err := os.Readlink(devLink); err != nil || target != os.DevNull {
		t.Fatalf("the link to %s was replaced", os.DevNull)
	}
	file := filepath.Join(dir, "real.rec")
	os.WriteFile(file, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.rec")
	os.Symlink(file, link)
	w, err := Create(link, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Meta{Source: "x"}, bytes.NewReader(synthetic(1, 100))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !IsRecording(mustRead(t, file)) {
		t.Fatal("the link's file is not the recording")
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNegativeMeta replays a crafted recording whose dump claims a
// negative size: the dump is not believed; the replay ends there with a
// warning.
func TestNegativeMeta(t *testing.T) {
	w, path := create(t)
	if err := w.Add(Meta{Source: "x", At: time.Unix(1, 0)}, bytes.NewReader(synthetic(1, 100))); err != nil {
		t.Fatal(err)
	}
	for _, meta := range []Meta{{Bytes: -5}, {Wait: -time.Second}, {Duration: -1}} {
		meta.Source = "x"
		if err := w.Add(meta, bytes.NewReader(synthetic(2, 100))); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	dumps, warning := replayFile(t, path)
	if len(dumps) != 1 || warning == "" {
		t.Fatalf("%d dumps replayed, warning %q; want 1 and a warning", len(dumps), warning)
	}
}

// TestSize tells a dump's length before it is read.
func TestSize(t *testing.T) {
	data, want, _ := smallRecording(t)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, d := range want {
		_, body, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := Size(body); !ok || n != int64(len(d.body)) {
			t.Fatalf("Size %d %v, want %d", n, ok, len(d.body))
		}
		io.Copy(io.Discard, body)
	}
	if _, ok := Size(bytes.NewReader(nil)); ok {
		t.Fatal("Size of another reader")
	}
}
