package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorotop/gorotop/internal/track"
	"github.com/gorotop/gorotop/stackparse"
)

// dump builds a small dump: n goroutines leaking in queue.go, two workers,
// and the main goroutine. evil goes into a label value.
func dump(n int, firstID int, evil string) string {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:20 +0x1d\n\n")
	for i := range 2 {
		b.WriteString("goroutine " + itoa(2+i) + " [chan receive, 3 minutes]:\nexample.com/app/pool.(*Pool).worker(0xc000010000)\n\t/src/app/pool/pool.go:41 +0x25\ncreated by example.com/app/pool.New in goroutine 1\n\t/src/app/pool/pool.go:30 +0x4f\n\n")
	}
	for i := range n {
		b.WriteString("goroutine " + itoa(firstID+i) + " [chan receive labels:{\"tenant\": \"" + evil + "\"}]:\n")
		b.WriteString("example.com/app/queue.(*MemQueue).scheduleFlush.func1()\n\t/src/app/queue/queue.go:88 +0x2a\n")
		b.WriteString("created by example.com/app/queue.(*MemQueue).scheduleFlush in goroutine " + itoa(100+i) + "\n\t/src/app/queue/queue.go:84 +0x9c\n\n")
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func parse(t *testing.T, text string) *stackparse.Snapshot {
	t.Helper()
	snap, err := stackparse.Parse(strings.NewReader(text), stackparse.GroupCode)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestJSONSchema(t *testing.T) {
	at := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	tr := track.New(track.Options{})
	var snap *stackparse.Snapshot
	for i := range 8 {
		snap = parse(t, dump(5+5*i, 1000, "acme"))
		tr.Observe(at.Add(time.Duration(i)*10*time.Second), snap)
	}
	var buf bytes.Buffer
	if err := JSON(&buf, Input{Source: "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2", TakenAt: at, Snap: snap, History: tr.View()}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"schema", "source", "taken_at", "total", "groups"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top level lacks %q", k)
		}
	}
	if doc["schema"] != "gorotop/v1" || doc["taken_at"] != "2026-11-25T19:00:00Z" || doc["total"] != float64(43) {
		t.Errorf("schema/taken_at/total = %v %v %v", doc["schema"], doc["taken_at"], doc["total"])
	}
	groups := doc["groups"].([]any)
	first := groups[0].(map[string]any)
	for _, k := range []string{"key", "count", "state", "states", "leaked", "wait_minutes", "blocked_at", "created_by", "frames", "goroutine_ids", "trend"} {
		if _, ok := first[k]; !ok {
			t.Errorf("group lacks %q", k)
		}
	}
	if first["count"] != float64(40) || first["state"] != "chan receive" {
		t.Errorf("first group: count %v state %v, want the leak (40, chan receive)", first["count"], first["state"])
	}
	blocked := first["blocked_at"].(map[string]any)
	if blocked["func"] != "example.com/app/queue.(*MemQueue).scheduleFlush.func1" || blocked["line"] != float64(88) || blocked["file"] != "/src/app/queue/queue.go" {
		t.Errorf("blocked_at = %v", blocked)
	}
	created := first["created_by"].(map[string]any)
	if created["func"] != "example.com/app/queue.(*MemQueue).scheduleFlush" || created["line"] != float64(84) {
		t.Errorf("created_by = %v", created)
	}
	trend := first["trend"].(map[string]any)
	for _, k := range []string{"counts", "growth_per_min", "born", "exited", "suspect", "reason"} {
		if _, ok := trend[k]; !ok {
			t.Errorf("trend lacks %q", k)
		}
	}
	if trend["suspect"] != true || len(trend["counts"].([]any)) != 8 {
		t.Errorf("trend = %v, want a suspect with 8 counts", trend)
	}
	wm := first["wait_minutes"].(map[string]any)
	if _, ok := wm["min"]; !ok {
		t.Errorf("wait_minutes = %v", wm)
	}
	// Without history there is no trend.
	buf.Reset()
	if err := JSON(&buf, Input{Source: "x", TakenAt: at, Snap: snap}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"trend"`) {
		t.Error("a snapshot without history has a trend")
	}
}

// TestJSONSourceClean exports a snapshot whose source (a recording's
// stored source, a file name) and warnings carry escapes: the document
// holds them as visible text, so that `jq -r .source` prints no control
// sequence.
func TestJSONSourceClean(t *testing.T) {
	snap := parse(t, dump(1, 10, "a"))
	snap.Warnings = []string{"warn\x1b[2J"}
	var buf bytes.Buffer
	if err := JSON(&buf, Input{Source: "rec\x1b]52;c;eA==\x07\u2028.txt", TakenAt: time.Unix(0, 0), Snap: snap}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Source   string
		Warnings []string
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Source != `rec\x1b]52;c;eA==\x07\u2028.txt` || len(doc.Warnings) != 1 || doc.Warnings[0] != `warn\x1b[2J` {
		t.Fatalf("source %q, warnings %q: want the escapes shown", doc.Source, doc.Warnings)
	}
}

func TestTextHasNoControlBytes(t *testing.T) {
	evil := `\x1b]52;c;ZXZpbA==\x07\x1b[2J`
	snap := parse(t, dump(3, 50, evil))
	var buf bytes.Buffer
	if err := Text(&buf, Input{Source: "file.txt", TakenAt: time.Unix(0, 0), Snap: snap}); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	for i, c := range out {
		if c < 0x20 && c != '\n' || c == 0x7f {
			t.Fatalf("control byte %#x at %d in:\n%s", c, i, out)
		}
	}
	if !strings.Contains(buf.String(), `label tenant: "\x1b]52;c;ZXZpbA==\x07\x1b[2J"×3`) {
		t.Errorf("the label's escape is not shown escaped once:\n%s", out)
	}
	if !strings.Contains(buf.String(), "blocked at queue.go:88") {
		t.Errorf("no blocking site in:\n%s", out)
	}
}

func TestWriteFileAtomicNoClobber(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	write := func(s string) func(w io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := WriteFile(context.Background(), path, false, 0o644, write("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(context.Background(), path, false, 0o644, write("two")); !errors.Is(err, ErrExists) {
		t.Fatalf("second write without force: %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Fatalf("file clobbered: %q", b)
	}
	if err := WriteFile(context.Background(), path, true, 0o644, write("three")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "three" {
		t.Fatalf("force did not replace: %q", b)
	}
	// A failing writer leaves neither the file nor a temporary behind.
	bad := filepath.Join(dir, "bad.json")
	if err := WriteFile(context.Background(), bad, false, 0o644, func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("no error from a failing writer")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only out.json", len(entries))
	}
	// A read-only directory is reported.
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o555)
	if os.Geteuid() != 0 {
		if err := WriteFile(context.Background(), filepath.Join(ro, "x"), false, 0o644, write("x")); err == nil {
			t.Error("no error writing into a read-only directory")
		}
	}
}

func TestToDirNamesUniquely(t *testing.T) {
	dir := t.TempDir()
	snap := parse(t, dump(2, 10, "a"))
	in := Input{Source: "s", TakenAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Snap: snap}
	p1, err := ToDir(dir, FormatJSON, in)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ToDir(dir, FormatJSON, in)
	if err != nil {
		t.Fatal(err)
	}
	if p1 == p2 || filepath.Base(p1) != "gorotop-20260102-030405.json" {
		t.Errorf("paths %s, %s", p1, p2)
	}
}
