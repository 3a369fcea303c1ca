package stackparse

import "strings"

// blockingFrame returns the index of the first frame outside the runtime:
// where the goroutine's own code waits. Frames of packages runtime,
// internal/..., sync, and standard-library functions implemented in the
// runtime (time.Sleep, sync.runtime_Semacquire, ...) are skipped. It
// returns -1 when every frame is such a frame.
func blockingFrame(frames []Frame) int {
	for i, f := range frames {
		if !isRuntimeFrame(f) {
			return i
		}
	}
	return -1
}

func isRuntimeFrame(f Frame) bool {
	pkg := PackageOf(f.Func)
	if !isStd(pkg) {
		return false
	}
	switch {
	case pkg == "runtime", strings.HasPrefix(pkg, "runtime/"),
		pkg == "internal", strings.HasPrefix(pkg, "internal/"),
		pkg == "sync":
		return true
	}
	// Standard functions linked into the runtime: time.Sleep,
	// os/signal.signal_recv, ... print a runtime file.
	file := f.File
	return strings.Contains(file, "/src/runtime/") || strings.HasPrefix(file, "runtime/") || strings.HasPrefix(file, "src/runtime/")
}

// isStd reports whether an import path is in the standard library: no dot
// in its first element.
func isStd(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return pkg != "" && pkg != "main" && !strings.Contains(first, ".")
}

// PackageOf returns the import path of a function name such as
// "example.com/app/queue.(*MemQueue).scheduleFlush.func1".
func PackageOf(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// ShortFunc drops the directories of the import path from a function name:
// "example.com/app/queue.(*MemQueue).scheduleFlush.func1" becomes
// "queue.(*MemQueue).scheduleFlush.func1".
func ShortFunc(fn string) string {
	// Type parameters may hold slashes: cut before "[".
	head := fn
	if i := strings.IndexByte(head, '['); i >= 0 {
		head = head[:i]
	}
	if slash := strings.LastIndexByte(head, '/'); slash >= 0 {
		return fn[slash+1:]
	}
	return fn
}

// WritesDump reports whether the group's goroutines were writing the dump
// or profile they appear in: they run (a profile does not say) and their
// innermost frame outside the runtime is runtime/pprof's writer
// (writeGoroutineStacks for a ?debug=2 dump, writeRuntimeProfile for a
// profile). Such a goroutine is the handler of the request that fetched
// the dump (net/http/pprof's, for a poll of a live target: gorotop's own
// request) or a program writing its own dump. It is not blocked, and it
// is gone once the dump is written.
func (g *Group) WritesDump() bool {
	if g.State != "running" && !g.Counted() {
		return false
	}
	for _, f := range g.Frames {
		switch f.Func {
		case "runtime/pprof.writeGoroutineStacks", "runtime/pprof.writeRuntimeProfile":
			return true
		}
		if pkg := PackageOf(f.Func); pkg != "runtime" && !strings.HasPrefix(pkg, "internal/") {
			return false
		}
	}
	return false
}
