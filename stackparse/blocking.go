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
