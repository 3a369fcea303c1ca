package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"dump.txt", "6060", "localhost:7070"} {
		if err := os.WriteFile(name, []byte("goroutine 1 [running]:\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir("dumps", 0o700); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "dump.txt")
	const full = "/debug/pprof/goroutine?debug=2"

	tests := []struct {
		arg  string
		kind Kind
		want string // URL or path
	}{
		{"-", Stdin, ""},
		{"dump.txt", File, "dump.txt"},
		{abs, File, abs},
		{"dumps", Dir, "dumps"},
		{"./dumps/", Dir, "./dumps/"},
		// An existing path wins over a port or host:port of the same name.
		{"6060", File, "6060"},
		{"localhost:7070", File, "localhost:7070"},

		{"6061", URL, "http://127.0.0.1:6061" + full},
		{":6060", URL, "http://127.0.0.1:6060" + full},
		{"localhost:6060", URL, "http://localhost:6060" + full},
		{"10.0.0.7:6060", URL, "http://10.0.0.7:6060" + full},
		{"[::1]:6060", URL, "http://[::1]:6060" + full},
		{"[fe80::1%25eth0]:6060", URL, "http://[fe80::1%25eth0]:6060" + full},
		{"svc.ns.svc.cluster.local:6060", URL, "http://svc.ns.svc.cluster.local:6060" + full},
		{"localhost:6060/debug/pprof/", URL, "http://localhost:6060" + full},
		{"localhost:6060/debug/pprof/goroutine", URL, "http://localhost:6060" + full},
		{"localhost:6060/debug/pprof/goroutine?debug=1", URL, "http://localhost:6060/debug/pprof/goroutine?debug=1"},
		{"http://localhost:6060", URL, "http://localhost:6060" + full},
		{"http://localhost:6060/", URL, "http://localhost:6060" + full},
		{"http://localhost:6060/debug/pprof", URL, "http://localhost:6060" + full},
		{"http://localhost:6060/debug/pprof/", URL, "http://localhost:6060" + full},
		{"http://localhost:6060/debug/pprof/goroutine", URL, "http://localhost:6060" + full},
		{"http://localhost:6060/debug/pprof/goroutineleak", URL, "http://localhost:6060/debug/pprof/goroutineleak?debug=2"},
		{"http://localhost:6060/debug/pprof/goroutine?debug=1", URL, "http://localhost:6060/debug/pprof/goroutine?debug=1"},
		{"http://localhost:6060/debug/pprof/goroutine?", URL, "http://localhost:6060/debug/pprof/goroutine?"},
		{"http://localhost:6060/custom/stacks", URL, "http://localhost:6060/custom/stacks"},
		{"http://localhost:6060/debug/pprof/#frag", URL, "http://localhost:6060" + full},
		{"https://example.com", URL, "https://example.com" + full},
		{"https://example.com/app/debug/pprof/", URL, "https://example.com/app" + full},
		{"HTTP://Example.com:8080", URL, "http://Example.com:8080" + full},
		{"http://:6060", URL, "http://127.0.0.1:6060" + full},
		{"http://[::1]:6060/", URL, "http://[::1]:6060" + full},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.arg)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.arg, err)
			continue
		}
		if got.Kind != tt.kind || got.Raw != tt.arg {
			t.Errorf("ParseTarget(%q) = kind %v raw %q, want %v", tt.arg, got.Kind, got.Raw, tt.kind)
			continue
		}
		var s string
		switch got.Kind {
		case URL:
			s = got.URL.String()
		case File, Dir:
			s = got.Path
		}
		if s != tt.want {
			t.Errorf("ParseTarget(%q) = %q, want %q", tt.arg, s, tt.want)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		arg  string
		kind ErrorKind
		msg  string // part of the message
	}{
		{"", ErrBadTarget, "empty target"},
		{"http://", ErrBadTarget, "no host"},
		{"https:///debug/pprof/", ErrBadTarget, "no host"},
		{":abc", ErrBadTarget, `port "abc" is not a number`},
		{"localhost:http", ErrBadTarget, `port "http"`},
		{"70000", ErrBadTarget, "out of range"},
		{"0", ErrBadTarget, "out of range"},
		{":0", ErrBadTarget, `port "0"`},
		{":70000", ErrBadTarget, `port "70000"`},
		{"http://localhost:99999/", ErrBadTarget, `port "99999"`},
		{"http://local host/", ErrBadTarget, "not a valid URL"},
		{"http://localhost:0/", ErrBadTarget, `port "0"`},
		{"ftp://localhost:21/", ErrBadTarget, "only http:// and https://"},
		{"file:///tmp/x", ErrBadTarget, "only http:// and https://"},
		{"localhost:", ErrBadTarget, "missing port"},
		{"a b:6060", ErrBadTarget, "not a file"},
		{"ho$t:6060", ErrBadTarget, "bad host name"},
		{"http://ho_st!:80/", ErrBadTarget, ""},
		{"[::1:6060", ErrBadTarget, ""},
		{"[1.2.3.4]:6060", ErrBadTarget, ""},
		{"http://[1.2.3.4]:6060/", ErrBadTarget, ""},
		{"http://[fe80::zz]:6060/", ErrBadTarget, ""},
		{"::1", ErrBadTarget, ""},
		{"http://user:hunter2@localhost:6060/", ErrBadTarget, "--bearer-token-file"},
		{"user:hunter2@localhost:6060", ErrBadTarget, "--bearer-token-file"},
		{"http://user:hunter2@local host/", ErrBadTarget, ""},
		{"./dump.txt", ErrNoSuchFile, "no such file"},
		{"../dump.txt", ErrNoSuchFile, "no such file"},
		{"/nonexistent/gorotop/dump.txt", ErrNoSuchFile, "no such file"},
		{"~/dump.txt", ErrNoSuchFile, "no such file"},
		{"dump.txt", ErrNoSuchFile, "no such file"},
		{"dumps/at-12:00.txt", ErrNoSuchFile, "no such file"},
		{"localhost", ErrNoSuchFile, "host:port"},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.arg)
		if err == nil {
			t.Errorf("ParseTarget(%q) = %+v, want error", tt.arg, got)
			continue
		}
		if !errors.Is(err, tt.kind) {
			t.Errorf("ParseTarget(%q): %v, want kind %v", tt.arg, err, tt.kind)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseTarget(%q): %q, want it to say %q", tt.arg, err, tt.msg)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseTarget(%q): %q repeats the password", tt.arg, err)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"-", "6060", ":6060", "localhost:6060", "[::1]:6060", "http://h:1/debug/pprof/",
		"https://h/x/debug/pprof", "http://", ":abc", "70000", "./x", "user:pw@h:1",
		"h:1/debug/pprof/goroutine?debug=1#x", "http://[fe80::1%25en0]:80/", "\x1b[31m:1",
		"/dev/null", "h\u2028:1", "http://h\U000E0041:1/", "http://user:pw@proxy:3128/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		tg, err := ParseTarget(arg)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseTarget(%q): %T %v, want *Error", arg, err, err)
			}
			if msg := err.Error(); msg != printable(msg) {
				t.Fatalf("ParseTarget(%q): unprintable message %q", arg, msg)
			}
			return
		}
		switch tg.Kind {
		case URL:
			u := tg.URL
			if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
				t.Fatalf("ParseTarget(%q) = %v", arg, u)
			}
			if p := u.Port(); p != "" && !validPort(p) {
				t.Fatalf("ParseTarget(%q): port %q", arg, p)
			}
		case File, Dir:
			if tg.Path != arg {
				t.Fatalf("ParseTarget(%q): path %q", arg, tg.Path)
			}
		case Stdin:
			if arg != "-" {
				t.Fatalf("ParseTarget(%q) = stdin", arg)
			}
		default:
			t.Fatalf("ParseTarget(%q): kind %v", arg, tg.Kind)
		}
	})
}
