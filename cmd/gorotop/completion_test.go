package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBashCompletion loads the bash script into a real bash and asks it to
// complete a few command lines.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	code, script, errOut := runIn(t, "", "completion", "bash")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	path := filepath.Join(t.TempDir(), "gorotop.bash")
	os.WriteFile(path, []byte(script), 0o644)
	complete := func(words ...string) string {
		t.Helper()
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + path + "; COMP_WORDS=(" + strings.Join(quoted, " ") + "); COMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "; _gorotop; echo \"${COMPREPLY[*]}\""
		cmd := exec.Command(bash, "-c", prog)
		cmd.Dir = t.TempDir() // one file name to complete
		os.WriteFile(filepath.Join(cmd.Dir, "dump.txt"), nil, 0o644)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cases := []struct {
		words []string
		want  string
	}{
		{[]string{"gorotop", "sn"}, "snapshot"},
		{[]string{"gorotop", "check", "--fo"}, "--for --force --format"},
		{[]string{"gorotop", "snapshot", "--format", ""}, "text json html pprof"},
		{[]string{"gorotop", "--group", "ex"}, "exact"},
		{[]string{"gorotop", "completion", "f"}, "fish"},
		{[]string{"gorotop", "check", "-o", ""}, "dump.txt"},
		{[]string{"gorotop", "--max-stall", ""}, ""}, // a value, not a file
		{[]string{"gorotop", ""}, "demo snapshot check record watch diff completion version help dump.txt"},
	}
	for _, c := range cases {
		if got := complete(c.words...); got != c.want {
			t.Errorf("%q completes to %q, want %q", c.words, got, c.want)
		}
	}
}

func TestCompletionShells(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"zsh", "fish"} {
		code, out, _ := runIn(t, "", "completion", sh)
		if code != 0 || !strings.Contains(out, "gorotop") {
			t.Errorf("%s: exit %d, %d bytes", sh, code, len(out))
		}
		if path, err := exec.LookPath(sh); err == nil {
			f := filepath.Join(t.TempDir(), "c")
			os.WriteFile(f, []byte(out), 0o644)
			if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		}
	}
	if code, _, errOut := runIn(t, "", "completion", "tcsh"); code != 2 || !strings.Contains(errOut, "bash, zsh or fish") {
		t.Errorf("tcsh: exit %d %q", code, errOut)
	}
}

// TestEveryCommandHasHelpWithExamples: --help works for every command
// with a help text, and shows examples.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	t.Parallel()
	var cmds [][]string
	for _, c := range commands {
		if c.help != "" {
			cmds = append(cmds, append(strings.Fields(c.name), "--help"))
		}
	}
	if len(cmds) < 8 {
		t.Fatalf("%d commands with a help text, want 8: %q", len(cmds), cmds)
	}
	for _, cmd := range cmds {
		code, out, errOut := runIn(t, "", cmd...)
		if code != 0 || !strings.Contains(out, "Examples:") || errOut != "" {
			t.Errorf("gorotop %s: exit %d, stderr %q, examples shown: %v", strings.Join(cmd, " "), code, errOut, strings.Contains(out, "Examples:"))
		}
	}
}
