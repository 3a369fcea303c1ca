// Command dumpgen makes the goroutine dumps in testdata/dumps: it starts
// goroutines in known shapes, dumps them every way Go can (runtime/pprof at
// debug=1 and 2, runtime.Stack, panics, SIGQUIT, the goroutineleak
// profile), checks that each dump holds exactly the groups it should, and
// writes testdata/dumps/README.md with the facts parser tests assert.
//
// Usage:
//
//	go run ./testdata/dumpgen -out testdata/dumps [-only a.txt,b.txt]
//	go run ./testdata/dumpgen -out testdata/dumps -readme
//
// Every dump comes from a fresh process: dumpgen re-executes itself with
// -child NAME, builds itself again with GOEXPERIMENT=goroutineleakprofile
// for the leak profile, and builds a small generated program for
// escapes.txt. Goroutine IDs and addresses change from run to run; groups,
// counts, states and blocking lines do not. The whole run takes a little
// over a minute, because waitminutes.txt needs goroutines blocked for one.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	out := flag.String("out", "", "directory to write the dumps and README.md to")
	only := flag.String("only", "", "comma-separated dump files to make (default all); README.md is always rewritten")
	readme := flag.Bool("readme", false, "only rewrite README.md from the dumps in -out")
	child := flag.String("child", "", "internal: run as the child process `NAME`")
	dir := flag.String("dir", "", "internal: where a child writes its dumps")
	flag.Parse()
	if *child != "" {
		run := children[*child]
		if run == nil {
			fmt.Fprintf(os.Stderr, "dumpgen: no child %q\n", *child)
			os.Exit(2)
		}
		if err := run(*dir); err != nil {
			fmt.Fprintf(os.Stderr, "dumpgen -child %s: %v\n", *child, err)
			os.Exit(1)
		}
		return
	}
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./testdata/dumpgen -out testdata/dumps [-only a.txt,b.txt]")
		os.Exit(2)
	}
	if *readme {
		if err := writeReadme(*out); err != nil {
			fmt.Fprintf(os.Stderr, "dumpgen: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := generate(*out, *only); err != nil {
		fmt.Fprintf(os.Stderr, "dumpgen: %v\n", err)
		os.Exit(1)
	}
}

// generate makes the dumps named in only (all when empty) in out and
// rewrites out/README.md from every dump found there.
func generate(out, only string) error {
	var todo []dump
	for _, d := range dumps {
		if only == "" || slices.Contains(strings.Split(only, ","), d.file) {
			todo = append(todo, d)
		}
	}
	if len(todo) == 0 {
		return fmt.Errorf("-only %q names no dump", only)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dumpgen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r := &runner{tmp: tmp, self: self, memo: map[string]*childRun{}}
	for _, d := range todo {
		if d.child == "waitminutes" {
			go r.child(d.child, d.env) // the slow one runs beside the others
		}
	}
	for _, d := range todo {
		start := time.Now()
		b, err := d.make(r, d)
		if err != nil {
			return fmt.Errorf("%s: %w", d.file, err)
		}
		if d.wants != nil {
			if err := check(parseDump(b), d.wants); err != nil {
				return fmt.Errorf("%s: %w", d.file, err)
			}
		}
		if err := os.WriteFile(filepath.Join(out, d.file), b, 0o644); err != nil {
			return err
		}
		fmt.Printf("%-28s %7d bytes  %v\n", d.file, len(b), time.Since(start).Round(time.Millisecond))
	}
	return writeReadme(out)
}

// A runner runs children, each at most once.
type runner struct {
	tmp  string // scratch directory
	self string // this program
	mu   sync.Mutex
	memo map[string]*childRun
}

// A childRun is one child process and what it left behind.
type childRun struct {
	once  sync.Once
	files map[string][]byte
	err   error
}

// child runs this program as child name (or the leak build of it, for
// "leaked") with env added to the environment, and returns the files it
// wrote.
func (r *runner) child(name string, env []string) (map[string][]byte, error) {
	r.mu.Lock()
	c := r.memo[name]
	if c == nil {
		c = &childRun{}
		r.memo[name] = c
	}
	r.mu.Unlock()
	c.once.Do(func() {
		bin := r.self
		if name == "leaked" {
			if bin, c.err = r.buildLeak(); c.err != nil {
				return
			}
		}
		dir := filepath.Join(r.tmp, name)
		if c.err = os.MkdirAll(dir, 0o755); c.err != nil {
			return
		}
		cmd := exec.Command(bin, "-child", name, "-dir", dir)
		cmd.Env = childEnv(env)
		if out, err := cmd.CombinedOutput(); err != nil {
			c.err = fmt.Errorf("child %s: %v\n%s", name, err, out)
			return
		}
		c.files, c.err = readDir(dir)
	})
	return c.files, c.err
}

// buildLeak builds dumpgen with GOEXPERIMENT=goroutineleakprofile.
func (r *runner) buildLeak() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot find dumpgen's source")
	}
	bin := filepath.Join(r.tmp, "dumpgen-leak")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(file)
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=goroutineleakprofile")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("GOEXPERIMENT=goroutineleakprofile go build: %v\n%s", err, out)
	}
	return bin, nil
}

// crash runs child name, which must crash, and returns its stderr. With
// quit it waits for the child to print "ready", then sends it SIGQUIT.
// Each child crashes once: every file made of its stderr is of the same
// run.
func (r *runner) crash(name string, env []string, quit bool) ([]byte, error) {
	r.mu.Lock()
	c := r.memo["crash "+name]
	if c == nil {
		c = &childRun{}
		r.memo["crash "+name] = c
	}
	r.mu.Unlock()
	c.once.Do(func() {
		var b []byte
		b, c.err = r.crashOnce(name, env, quit)
		c.files = map[string][]byte{"stderr": b}
	})
	return c.files["stderr"], c.err
}

// crashOnce runs child name, which must crash, and returns its stderr.
func (r *runner) crashOnce(name string, env []string, quit bool) ([]byte, error) {
	var stderr strings.Builder
	cmd := exec.Command(r.self, "-child", name)
	cmd.Env = childEnv(env)
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if quit {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("child %s: not ready: %q\n%s", name, line, stderr.String())
		}
		// The child prints "ready" just before its main goroutine blocks:
		// give it time to park, or the dump shows it running.
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
			return nil, err
		}
	}
	if err := cmd.Wait(); err == nil {
		return nil, fmt.Errorf("child %s did not crash:\n%s", name, stderr.String())
	}
	return []byte(stderr.String()), nil
}

// childEnv is this process's environment with GOMAXPROCS=2 (so runtime
// goroutines are the same on every machine) and extra, and without other
// settings that change dumps.
func childEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOMAXPROCS", "GODEBUG", "GOTRACEBACK", "GOEXPERIMENT":
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "GOMAXPROCS=2"), extra...)
}

// readDir returns the files of dir by name.
func readDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		files[e.Name()] = b
	}
	return files, nil
}
