package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gorotop/gorotop/internal/fifo"
)

// ErrExists is returned when a file is there already and force is off.
var ErrExists = errors.New("file exists (use --force to replace it)")

// ErrNotFile is returned when force would replace something that is
// neither a regular file, a character device nor a named pipe.
var ErrNotFile = errors.New("not a regular file, a device or a named pipe: not replaced")

// WriteFile writes a file atomically: write calls fill a temporary file
// beside path, which is synced and then renamed to path. A reader never
// sees a half-written file. The new file's mode is perm less the umask, as
// with any Unix tool.
//
// Without force, nothing that exists at path is replaced. With force, a
// regular file is replaced; a character device or a named pipe (/dev/null,
// a pipe a reader waits on) is written into, as a shell's redirection
// would, and a wait for the pipe's reader ends with ctx; anything else is
// refused. A symbolic link is followed.
func WriteFile(ctx context.Context, path string, force bool, perm fs.FileMode, write func(io.Writer) error) (err error) {
	if _, err := os.Lstat(path); err == nil {
		if !force {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			path = resolved
		}
		if info, err := os.Stat(path); err == nil {
			switch mode := info.Mode(); {
			case mode&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
				return writeInto(ctx, path, write)
			case !mode.IsRegular():
				return fmt.Errorf("%s: %w", path, ErrNotFile)
			}
		}
	}
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp", perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if force {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	// A hard link fails if path appeared meanwhile: no clobbering, ever.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		// No hard links on this file system: check, then rename.
		if _, statErr := os.Lstat(path); statErr == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	return os.Remove(tmp.Name())
}

// createTemp creates a new file in dir named prefix and a random number,
// with perm less the umask (os.CreateTemp makes every file 0600).
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("cannot find a free temporary name")
}

// writeInto writes into a device or a named pipe at path.
func writeInto(ctx context.Context, path string, write func(io.Writer) error) error {
	f, err := fifo.Open(ctx, path, os.O_WRONLY)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Format is an export file format.
type Format string

// The formats a snapshot exports to.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatHTML  Format = "html"
	FormatPprof Format = "pprof"
)

// Formats lists the formats Write knows.
var Formats = []Format{FormatText, FormatJSON, FormatHTML, FormatPprof}

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	if slices.Contains(Formats, Format(s)) {
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q: want text, json, html or pprof", s)
}

// Ext is the file name extension of a format.
func (f Format) Ext() string {
	switch f {
	case FormatJSON:
		return ".json"
	case FormatHTML:
		return ".html"
	case FormatPprof:
		return ".pb.gz"
	}
	return ".txt"
}

// Write writes in in format f.
func Write(w io.Writer, f Format, in Input) error {
	switch f {
	case FormatJSON:
		return JSON(w, in)
	case FormatHTML:
		return HTML(w, in)
	case FormatPprof:
		return Pprof(w, in)
	}
	return Text(w, in)
}

// ToDir writes in to a new file in dir named after the time it was taken,
// and returns the file's path.
func ToDir(dir string, f Format, in Input) (string, error) {
	name := "gorotop-" + in.TakenAt.UTC().Format("20060102-150405") + f.Ext()
	path := filepath.Join(dir, name)
	for i := 2; ; i++ {
		err := WriteFile(context.Background(), path, false, 0o644, func(w io.Writer) error { return Write(w, f, in) })
		if !errors.Is(err, ErrExists) || i > 99 {
			return path, err
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", name[:len(name)-len(f.Ext())], i, f.Ext()))
	}
}
