package kube_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/gorotop/gorotop/internal/testproc"
)

// TestKubectlDiesWithParent kills a process running a Fleet with SIGKILL,
// which it cannot handle, and checks that its kubectl port-forwards die
// with it: the kernel kills them (a parent-death signal).
func TestKubectlDiesWithParent(t *testing.T) {
	c := newCluster(t)
	leak := testproc.StartLeaky(t, "-mode", "pool")
	api := map[string]string{"app": "api"}
	for _, name := range []string{"api-1", "api-2"} {
		c.pod("default", name, "uid-"+name, "Running", api)
		c.serve("default", name, 6060, leak)
	}
	c.write()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=k8s:-l app=api")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for added := 0; added < 2; {
		if !sc.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the helper ended before it forwarded to both pods")
		}
		if addr, ok := strings.CutPrefix(sc.Text(), "added "); ok {
			mustDump(t, addr, "main.poolWorker(")
			added++
		}
	}
	var pids []int
	for _, pod := range []string{"api-1", "api-2"} {
		for _, cl := range c.forwards(pod) {
			if !alive(cl.pid) {
				t.Fatalf("kubectl %d (%s) is not running before the kill", cl.pid, cl.args)
			}
			pids = append(pids, cl.pid)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	awaitDead(t, pids...)
}
