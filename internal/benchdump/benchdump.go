// Package benchdump provides big goroutine dumps for benchmarks, made by a
// real Go process: Path builds and runs the generator in gen/, which starts
// 100 000 goroutines and writes runtime.Stack(buf, true) of itself, and
// caches the dumps in os.UserCacheDir()/gorotop-bench/, keyed by generator
// version, so only the first call pays.
//
// A generator run makes a family of dumps from one process: the dump, its
// warm sibling (the same process polled again: a tenth of the releasable
// goroutines exited and as many started with other arguments, one group
// grew by 2 000 and another shrank by as much, and the wait minutes went
// from 1 to 2), and, for the deep family, the dump as runtime/pprof serves
// it at ?debug=2, cut at 64 MiB.
//
// A run waits about a minute twice, so that headers carry ", 1 minutes"
// (base) and ", 2 minutes" (warm) for the goroutines started first. The
// absolute path of this module's source is in every frame, so sizes vary
// a little from one checkout to another. Generating needs the go command
// and this module's source.
package benchdump

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// Kind names a benchmark dump.
type Kind int

// The dumps. Each has exactly 100 000 goroutines, except Deep100kCut,
// which holds as many as fit in 64 MiB, the last one cut mid-line.
const (
	// Short100k: 100 000 goroutines of 1 to 5 frames (most of them 1)
	// in 12 groups, plus the 50 creating goroutines and main.
	Short100k Kind = iota
	// Short100kWarm: Short100k's process polled again.
	Short100kWarm
	// Deep100k: 100 000 goroutines of 6 to 32 frames (21 on average)
	// in 40 groups of Zipf-like sizes (from ~20 000 down to 1), with long
	// qualified names, methods, closures, generics, every common wait
	// state and created-by lines naming 50 different creating goroutines.
	Deep100k
	// Deep100kWarm: Deep100k's process polled again.
	Deep100kWarm
	// Deep100kCut: what /debug/pprof/goroutine?debug=2 returns from the
	// Deep100kWarm process: runtime/pprof retries runtime.Stack with a
	// buffer doubling from 1 MiB and, when 64 MiB is not enough, writes
	// the full 64 MiB buffer as it is, cut mid-line, with no marker.
	Deep100kCut
	// Short100kDebug1 and Short100kPprof: the ?debug=1 profile and the
	// gzipped protobuf profile of Short100k's process at that moment,
	// each goroutine labelled with its spawner (50) and tenant (7).
	Short100kDebug1
	Short100kPprof
	// Deep100kDebug1 and Deep100kPprof: the same of Deep100k's process.
	Deep100kDebug1
	Deep100kPprof
)

// kinds maps each kind to its name, family and file.
var kinds = []struct {
	name, family, file string
}{
	Short100k:     {"short100k", "short", "base.txt"},
	Short100kWarm: {"short100k-warm", "short", "warm.txt"},
	Deep100k:      {"deep100k", "deep", "base.txt"},
	Deep100kWarm:  {"deep100k-warm", "deep", "warm.txt"},
	Deep100kCut:   {"deep100k-cut", "deep", "cut.txt"},

	Short100kDebug1: {"short100k-debug1", "short", "base-debug1.txt"},
	Short100kPprof:  {"short100k-pprof", "short", "base.pb.gz"},
	Deep100kDebug1:  {"deep100k-debug1", "deep", "base-debug1.txt"},
	Deep100kPprof:   {"deep100k-pprof", "deep", "base.pb.gz"},
}

// String returns the kind's name, such as "deep100k-warm".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kinds) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kinds[k].name
}

// generatorVersion is part of the cache key; bump it when the dumps should
// change for reasons the generator's source hash does not see.
const generatorVersion = "v1"

// mu keeps this process from generating a family twice at once.
var mu sync.Mutex

// Path returns the path of the dump of kind, generating its family first
// if the cache does not hold it.
func Path(kind Kind) (string, error) {
	if kind < 0 || int(kind) >= len(kinds) {
		return "", fmt.Errorf("benchdump: unknown %v", kind)
	}
	k := kinds[kind]
	dir, err := cacheDir(k.family)
	if err != nil {
		return "", fmt.Errorf("benchdump %v: %w", kind, err)
	}
	path := filepath.Join(dir, k.file)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := generate(k.family, dir); err != nil {
		return "", fmt.Errorf("benchdump %v: %w", kind, err)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("benchdump %v: %w", kind, err)
	}
	return path, nil
}

// cacheDir is where a family's dumps live: the user cache directory (or
// the temporary one), then gorotop-bench, the generator key and family.
func cacheDir(family string) (string, error) {
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	key, err := generatorKey()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "gorotop-bench", key, family), nil
}

// genDir is the generator's source directory.
func genDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the generator's source")
	}
	return filepath.Join(filepath.Dir(file), "gen"), nil
}

// generatorKey is generatorVersion, the Go version and a hash of the
// generator's source, so that editing it makes new dumps.
func generatorKey() (string, error) {
	dir, err := genDir()
	if err != nil {
		return "", err
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".go" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read generator source: %w", err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return generatorVersion + "-" + runtime.Version() + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// generate builds the generator and runs it for family with args, writing
// the family's dumps into a fresh directory that is then renamed to dir.
// If another process renamed its own there first, that one is kept.
func generate(family, dir string, args ...string) error {
	src, err := genDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), family+".tmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "gen")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build generator: %v\n%s", err, out)
	}
	out := filepath.Join(tmp, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(bin, append([]string{"-family", family, "-dir", out}, args...)...)
	if log, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("run generator: %v\n%s", err, log)
	}
	if err := os.Rename(out, dir); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil {
			return nil // another process got there first
		}
		return err
	}
	return nil
}
