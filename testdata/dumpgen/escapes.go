package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// escapesPath is the file name a //line directive gives function evil in
// the escapes program: file paths in a dump can carry terminal escapes
// (OSC 52 clipboard write, clear screen) because //line accepts any valid
// UTF-8. Function names cannot.
const escapesPath = "/srv/app/\x1b]52;c;ZXZpbA==\x07evil/\x1b[2J\x1b[Hclear.go"

// escapesPanic is the panic message of escapes.txt. The runtime prints
// panic messages raw, indenting lines after the first with a tab.
const escapesPanic = "deliberate crash: osc52 \x1b]52;c;ZWNobyBwd25lZA==\x07 clear \x1b[2J bad \xff utf8 \rovertyped\nsecond line \x1b[1;31mred\x1b[0m"

// escapesLabelValues are the label values of escapes.txt; with
// GODEBUG=tracebacklabels=1 the runtime prints them quoted.
var escapesLabelValues = []string{
	"osc52 \x1b]52;c;ZWNobyBwd25lZA==\x07",
	"clear \x1b[2J\x1b[H",
	"invalid utf8 \xff\xfe end",
	"del \x7f c1 \u009b31m",
	"newline\nand\ttab\rcr",
}

// escapesKey is a label key with an escape in it.
const escapesKey = "key \x1b[2J"

// escapesLog is the log line with colour escapes before the crash.
const escapesLog = "2026/11/25 19:00:00 worker: \x1b[31mERROR\x1b[0m flush failed"

// escapesSource is the escapes program. It is not part of dumpgen because
// its last function needs a //line directive with raw escape bytes in it,
// which dumpgen writes at run time so that no source file holds them.
const escapesSource = `package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

var never = make(chan int)

func main() {
	fmt.Fprintln(os.Stderr, %q)
	values := %#v
	ctx := context.Background()
	for i, v := range values {
		pprof.Do(ctx, pprof.Labels("case", fmt.Sprint(i), "v", v), func(context.Context) { go wait() })
	}
	pprof.Do(ctx, pprof.Labels(%q, "value"), func(context.Context) { go wait() })
	go evil()
	for {
		buf := make([]byte, 1<<20)
		if strings.Count(string(buf[:runtime.Stack(buf, true)]), "[chan receive") == len(values)+2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	panic(%q)
}

func wait() { <-never }

//line %s:100
func evil() {
	<-never
}
`

// escapesEnv is the environment of the escapes program.
var escapesEnv = []string{"GOMAXPROCS=2", "GOTRACEBACK=all", "GODEBUG=tracebacklabels=1"}

// runEscapes writes, builds and runs the escapes program and returns its
// stderr: a panic with every goroutine.
func runEscapes(tmp string) ([]byte, error) {
	dir := filepath.Join(tmp, "escapes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	src := fmt.Sprintf(escapesSource, escapesLog, escapesLabelValues, escapesKey, escapesPanic, escapesPath)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "escapes")
	build := exec.Command("go", "build", "-o", bin, "main.go")
	build.Dir = dir
	build.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build escapes program: %v\n%s", err, out)
	}
	var stderr strings.Builder
	cmd := exec.Command(bin)
	cmd.Env = childEnv(escapesEnv)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		return nil, fmt.Errorf("escapes program did not crash")
	}
	return []byte(stderr.String()), nil
}
