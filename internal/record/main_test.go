package record

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary a helper process: "kill:PATH" records
// dumps into PATH until it is killed, "create:PATH" reports what Create
// says about PATH.
const childEnv = "GOROTOP_RECORD_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		mode, path, _ := strings.Cut(v, ":")
		switch mode {
		case "kill":
			recordForever(path)
		case "create":
			if _, err := Create(path, false); err != nil {
				fmt.Println(err)
			} else {
				fmt.Println("created")
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killDump is dump i of the kill test: 2 MiB of random hex digits, which
// compress to about half, so that its data reaches the file while it is
// being written.
func killDump(i int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 9))
	b := make([]byte, 1<<20)
	for j := range b {
		b[j] = byte(rng.Uint32())
	}
	return []byte(hex.EncodeToString(b))
}

func killMeta(i int) Meta {
	return Meta{Source: "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2", At: time.Unix(1_800_000_000, int64(i)),
		Wait: time.Duration(i) * time.Millisecond, Duration: 2 * time.Duration(i) * time.Millisecond, Bytes: int64(len(killDump(i)))}
}

// recordForever records killDump(0), killDump(1), … slowly, each streamed
// in small pieces, and prints "synced I SIZE" once dump I is durable.
func recordForever(path string) {
	w, err := Create(path, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; ; i++ {
		if err := w.Add(killMeta(i), &slowReader{r: bytes.NewReader(killDump(i))}); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("synced %d %d\n", i, w.Size())
	}
}

// slowReader hands out 64 KiB at a time, a little later each time, like
// a dump arriving over the network.
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 64<<10)])
}

// TestKill9 kills a recorder with SIGKILL while it is writing a dump: the
// recording replays every dump synced before, byte for byte, and reports
// the torn tail as a warning.
func TestKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "killed.rec")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=kill:"+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	synced, size := -1, int64(0)
	for synced < 2 && lines.Scan() {
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "synced" {
			t.Fatalf("child: %s", lines.Text())
		}
		synced, _ = strconv.Atoi(f[1])
		size, _ = strconv.ParseInt(f[2], 10, 64)
	}
	if synced < 2 {
		t.Fatalf("the child stopped after %d dumps", synced+1)
	}
	// Wait for the next dump's first data record to reach the file, then
	// kill: the child is in the middle of writing that dump.
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := os.Stat(path)
		if err == nil && info.Size() > size+recHead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child wrote nothing after its third dump")
		}
		time.Sleep(200 * time.Microsecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() { // a dump synced before the signal landed counts too
		if f := strings.Fields(lines.Text()); len(f) == 3 && f[0] == "synced" {
			synced, _ = strconv.Atoi(f[1])
		}
	}
	cmd.Wait()

	got, warning := replayFile(t, path)
	t.Logf("killed after %d synced dumps: replayed %d; warning: %s", synced+1, len(got), warning)
	var want []dumpOf
	for i := range synced + 1 {
		want = append(want, dumpOf{killMeta(i), killDump(i)})
	}
	sameDumps(t, got, want)
	if !strings.HasPrefix(warning, "recording ends with an incomplete snapshot (") ||
		!strings.HasSuffix(warning, fmt.Sprintf("bytes), %d snapshots replayed", synced+1)) {
		t.Errorf("warning %q", warning)
	}
}

// asNobody runs Create(path) in a child process as the user nobody and
// returns what it said; the test binary is copied where nobody can run it.
func asNobody(t *testing.T, path string) string {
	t.Helper()
	base, err := os.MkdirTemp("", "gorotop-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "record.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	// nobody must reach path's directory.
	for d := filepath.Dir(filepath.Dir(path)); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=create:"+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("cannot run a child as nobody: %v %s", err, out)
	}
	return strings.TrimSpace(string(out))
}
