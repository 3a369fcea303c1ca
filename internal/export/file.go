package export

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// ErrExists is returned when a file is there already and force is off.
var ErrExists = errors.New("file exists (use --force to replace it)")

// WriteFile writes a file atomically: write calls fill a temporary file
// beside path, which is synced and then renamed to path. Without force an
// existing path is never replaced. A reader never sees a half-written file.
func WriteFile(path string, force bool, perm fs.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
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
		err := WriteFile(path, false, 0o644, func(w io.Writer) error { return Write(w, f, in) })
		if !errors.Is(err, ErrExists) || i > 99 {
			return path, err
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", name[:len(name)-len(f.Ext())], i, f.Ext()))
	}
}
