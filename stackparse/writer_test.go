package stackparse

import (
	"strings"
	"testing"
)

// TestWritesDump: the goroutine that wrote a dump or a profile (the
// request that fetched it) is told apart in every format; no other is.
func TestWritesDump(t *testing.T) {
	for _, c := range []struct {
		file string
		// writer is the function that names the writer's group; empty
		// when the dump has none (the runtime wrote it on a signal).
		writer string
	}{
		{"pprof-debug2.txt", "main.writeProfile"},
		{"leaked.txt", "net/http/pprof.handler.ServeHTTP"}, // a goroutineleak profile fetched over HTTP
		{"pprof-debug1.txt", "main.writeProfile"},
		{"labels-debug1.txt", "main.writeProfile"},
		{"pprof-debug0.pb.gz", "main.writeProfile"},
		{"sigquit-system.txt", ""},
		{"gotraceback-all.txt", ""},
	} {
		snap := parseDump(t, c.file)
		var writers []string
		for _, g := range snap.Groups {
			if g.WritesDump() {
				writers = append(writers, g.Top().Func)
			}
		}
		want := []string{c.writer}
		if c.writer == "" {
			want = nil
		}
		if strings.Join(writers, ",") != strings.Join(want, ",") {
			t.Errorf("%s: groups writing the dump named %q, want %q", c.file, writers, want)
		}
	}

	// A second request for a dump waits for the first to start the world
	// again: it is not the one that wrote this dump.
	waiting := `goroutine 7 [semacquire]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/local/go/src/runtime/proc.go:460 +0xce
runtime.semacquire1(0xb4c9d8, 0x0, 0x0, 0x0, 0x0)
	/usr/local/go/src/runtime/sema.go:188 +0x22d
runtime.stopTheWorld(0x4)
	/usr/local/go/src/runtime/proc.go:1513 +0x25
runtime.Stack({0xc0001a0000, 0x100000, 0x100000}, 0x1)
	/usr/local/go/src/runtime/mprof.go:1655 +0x45
runtime/pprof.writeGoroutineStacks({0x83ab60, 0xc0000a6000})
	/usr/local/go/src/runtime/pprof/pprof.go:819 +0x6b
runtime/pprof.writeGoroutine({0x83ab60?, 0xc0000a6000?}, 0x0?)
	/usr/local/go/src/runtime/pprof/pprof.go:782 +0x25
runtime/pprof.(*Profile).WriteTo(0x0?, {0x83ab60?, 0xc0000a6000?}, 0x0?)
	/usr/local/go/src/runtime/pprof/pprof.go:408 +0x149
net/http/pprof.handler.ServeHTTP({0xc00001e0d1, 0x9}, {0x8a6b30, 0xc0000a6000}, 0xc0000b2000)
	/usr/local/go/src/net/http/pprof/pprof.go:273 +0x52a
created by net/http.(*Server).Serve in goroutine 1
	/usr/local/go/src/net/http/server.go:3464 +0x485
`
	snap, err := Parse(strings.NewReader(waiting), GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	if g := snap.Groups[0]; g.WritesDump() {
		t.Errorf("a request waiting in %s to write another dump counts as this dump's writer", g.State)
	}
}
