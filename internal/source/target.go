package source

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Kind says what a Target names.
type Kind int

// The kinds of Target.
const (
	URL       Kind = iota + 1 // an HTTP(S) endpoint, polled
	File                      // a file (or pipe) read once; it may hold several dumps
	Dir                       // a directory of dump files, replayed in name order
	Stdin                     // standard input, read once
	Recording                 // a recording (see package record), replayed; told from a File by its first bytes
)

// String names the kind ("url", "file", …).
func (k Kind) String() string {
	switch k {
	case URL:
		return "url"
	case File:
		return "file"
	case Dir:
		return "dir"
	case Stdin:
		return "stdin"
	case Recording:
		return "recording"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Target is a parsed TARGET argument.
type Target struct {
	Kind Kind
	URL  *url.URL // for URL: absolute, http or https, with the goroutine path filled in
	Path string   // for File, Dir and Recording
	Raw  string   // the argument as given
}

// The path that a bare host or a pprof index stands for.
const (
	pprofDir      = "/debug/pprof/"
	goroutinePath = pprofDir + "goroutine"
	fullDump      = "debug=2"
)

// ParseTarget reads a TARGET argument of the command line, in this order:
//
//   - "-" is standard input (a file named "-" is "./-");
//   - an existing path is a File, a Recording if it is a file that starts
//     as one (record.Magic), or a Dir if it is a directory. An
//     existing path wins over every other reading: a file named "6060" or
//     "localhost:6060" is read, not dialled (write http://localhost:6060
//     to dial);
//   - a path that does not exist is an ErrNoSuchFile error if it can only
//     be a path: it starts with "/", "./", "../" or "~", has a "/" before
//     any ":", or has no ":" and is not a number ("dump.txt", "localhost");
//   - "http://…" and "https://…" are URLs; other schemes are ErrBadTarget;
//   - a bare port "6060" and ":6060" are http://127.0.0.1:6060;
//   - "host:port[/path][?query]", also "[::1]:6060", is http://host:port…;
//   - anything else is an ErrBadTarget error saying what is wrong.
//
// URLs with an empty path, "/", or a path ending in "/debug/pprof" or
// "/debug/pprof/" get /debug/pprof/goroutine?debug=2 (after any prefix);
// a path ending in /debug/pprof/goroutine (or goroutineleak) without a
// query gets ?debug=2. Other paths and queries are kept as given.
// Credentials in the URL are refused: they would show in ps and in shell
// history.
func ParseTarget(arg string) (Target, error) {
	if arg == "-" {
		return Target{Kind: Stdin, Raw: arg}, nil
	}
	if arg == "" {
		return Target{}, badTarget(arg, "empty target; give host:port, a URL, a file, a directory or -")
	}
	if info, err := os.Stat(arg); err == nil {
		if info.IsDir() {
			return Target{Kind: Dir, Path: arg, Raw: arg}, nil
		}
		if info.Mode().IsRegular() && isRecording(arg) {
			return Target{Kind: Recording, Path: arg, Raw: arg}, nil
		}
		return Target{Kind: File, Path: arg, Raw: arg}, nil
	} else if !errors.Is(err, fs.ErrNotExist) && (hasPathPrefix(arg) || !strings.Contains(arg, ":")) {
		return Target{}, &Error{Kind: ErrFile, Source: arg, Msg: "cannot read: " + pathErrText(err), Err: err}
	}

	var u *url.URL
	switch {
	case hasPathPrefix(arg):
		return Target{}, &Error{Kind: ErrNoSuchFile, Source: arg, Msg: "no such file or directory"}
	case strings.Contains(arg, "://"):
		var err error
		if u, err = url.Parse(arg); err != nil {
			return Target{}, badTarget(arg, "not a valid URL")
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return Target{}, badTarget(arg, "only http:// and https:// URLs are supported")
		}
		if u.Host == "" {
			return Target{}, badTarget(arg, "the URL has no host; try http://localhost:6060")
		}
	case isDigits(arg):
		if !validPort(arg) {
			return Target{}, badTarget(arg, "port out of range 1-65535")
		}
		u = &url.URL{Scheme: "http", Host: "127.0.0.1:" + arg}
	case !strings.Contains(arg, ":"), strings.Contains(arg[:strings.Index(arg, ":")], "/"):
		return Target{}, &Error{Kind: ErrNoSuchFile, Source: arg,
			Msg: "no such file or directory (for a service, give host:port, e.g. localhost:6060)"}
	default:
		hostPort, _, _ := strings.Cut(arg, "/")
		if _, port, err := net.SplitHostPort(hostPort); err == nil && port == "" {
			return Target{}, badTarget(arg, "missing port after ':'")
		} else if err == nil && !validPort(port) {
			return Target{}, badTarget(arg, "port "+strconv.Quote(port)+" is not a number 1-65535")
		}
		var err error
		if u, err = url.Parse("http://" + arg); err != nil || u.Port() == "" {
			return Target{}, badTarget(arg, "not a file, URL or host:port; try localhost:6060")
		}
	}
	if u.User != nil {
		return Target{}, badTarget(redact(u), "credentials in a URL show in ps and shell history; use --bearer-token-file or -H")
	}
	if err := checkHostPort(u); err != nil {
		return Target{}, badTarget(arg, err.Error())
	}
	if u.Hostname() == "" {
		u.Host = "127.0.0.1" + u.Host // ":6060" and http://:6060 mean loopback
	}
	u.Fragment, u.RawFragment = "", ""
	completePath(u)
	return Target{Kind: URL, URL: u, Raw: arg}, nil
}

func badTarget(arg, msg string) error {
	src := ""
	if arg != "" {
		src = strconv.Quote(hideUserinfo(arg))
	}
	return &Error{Kind: ErrBadTarget, Source: src, Msg: msg}
}

// hideUserinfo masks "user:password@" in a URL-like string that did not
// parse, so a password given by mistake is not repeated in messages.
func hideUserinfo(arg string) string {
	_, rest, ok := strings.Cut(arg, "://")
	if !ok {
		rest = arg
	}
	authority, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		start := len(arg) - len(rest)
		return arg[:start] + "***" + arg[start+i:]
	}
	return arg
}

// hasPathPrefix reports whether arg starts the way only a path does.
func hasPathPrefix(arg string) bool {
	if arg == "." || arg == ".." {
		return true
	}
	for _, p := range []string{"/", "./", "../", "~", `\`} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	return false
}

// checkHostPort validates the host name and port of u; an empty host
// name is allowed (it means loopback).
func checkHostPort(u *url.URL) error {
	host, port := u.Hostname(), u.Port()
	if strings.HasSuffix(u.Host, ":") && port == "" {
		return errors.New("missing port after ':'")
	}
	if port != "" && !validPort(port) {
		return errors.New("port " + strconv.Quote(port) + " is not a number 1-65535")
	}
	if strings.HasPrefix(u.Host, "[") {
		addr, _, _ := strings.Cut(host, "%")
		if net.ParseIP(addr) == nil {
			return errors.New("bad IPv6 address " + strconv.Quote(host))
		}
		return nil
	}
	for _, r := range host {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == '_') {
			return errors.New("bad host name " + strconv.Quote(host))
		}
	}
	return nil
}

// completePath fills in the goroutine dump path and query (see ParseTarget).
func completePath(u *url.URL) {
	if u.RawQuery != "" || u.ForceQuery {
		return
	}
	p := u.EscapedPath()
	switch {
	case p == "" || p == "/" || strings.HasSuffix(p, "/debug/pprof") || strings.HasSuffix(p, pprofDir):
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/debug/pprof") + goroutinePath
		u.RawPath = ""
	case strings.HasSuffix(p, goroutinePath), strings.HasSuffix(p, goroutinePath+"leak"):
	default:
		return
	}
	u.RawQuery = fullDump
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && isDigits(s) && n >= 1 && n <= 65535
}

// redact returns u as text without user information.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}

// pathErrText is the reason in a *fs.PathError, without repeating the path.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
