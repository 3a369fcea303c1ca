//go:build unix

package export

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWriteFileForceDevices writes with force where no regular file is:
// a character device and a named pipe are written into, never replaced;
// a directory is refused; a link to a regular file is followed.
func TestWriteFileForceDevices(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Through a link, so that a regression replaces the link and not the
	// system's device.
	null := filepath.Join(dir, "null")
	if err := os.Symlink(os.DevNull, null); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(ctx, null, false, 0o644, writeString("x")); !errors.Is(err, ErrExists) {
		t.Fatalf("%s without force: %v, want ErrExists", os.DevNull, err)
	}
	if err := WriteFile(ctx, null, true, 0o644, writeString("x")); err != nil {
		t.Fatalf("%s with force: %v", os.DevNull, err)
	}
	if target, err := os.Readlink(null); err != nil || target != os.DevNull {
		t.Fatalf("the link to %s was replaced: %v", os.DevNull, err)
	}

	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(pipe)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := WriteFile(ctx, pipe, true, 0o644, writeString("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through the pipe" {
		t.Fatalf("the pipe's reader got %q", s)
	}
	if info, err := os.Lstat(pipe); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: %v", err)
	}
	// Nobody reads: the wait ends with the context.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := WriteFile(short, pipe, true, 0o644, writeString("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a pipe nobody reads: %v", err)
	}

	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	if err := WriteFile(ctx, sub, true, 0o644, writeString("x")); !errors.Is(err, ErrNotFile) {
		t.Fatalf("a directory: %v, want ErrNotFile", err)
	}
	file := filepath.Join(dir, "real.txt")
	os.WriteFile(file, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.txt")
	os.Symlink(file, link)
	if err := WriteFile(ctx, link, true, 0o644, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); string(b) != "new" {
		t.Fatalf("the link's file holds %q", b)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
}

// TestWriteFileUmask writes under two umasks: the file's mode is 0644
// less the umask, as with any Unix tool.
func TestWriteFileUmask(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		umask int
		want  os.FileMode
	}{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o644}} {
		old := syscall.Umask(c.umask)
		path := filepath.Join(dir, "out")
		err := WriteFile(context.Background(), path, true, 0o644, writeString("x"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != c.want {
			t.Fatalf("umask %03o: mode %v, want %v", c.umask, info.Mode().Perm(), c.want)
		}
	}
}
