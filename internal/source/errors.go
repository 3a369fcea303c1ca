package source

import (
	"strconv"
	"strings"
)

// ErrorKind tells failures apart so that callers can react to each (exit
// code, retry, hint in the header). An ErrorKind is itself an error, so
//
//	errors.Is(err, source.ErrRefused)
//
// reports whether err is an *Error of that kind anywhere in its chain.
type ErrorKind int

// The kinds of failure an *Error can carry.
const (
	ErrBadTarget  ErrorKind = iota + 1 // TARGET is neither a URL, host:port, port, path nor "-"
	ErrNoSuchFile                      // TARGET looks like a path but nothing is there
	ErrFile                            // a file or directory cannot be read, or holds no dumps
	ErrOption                          // an option is unusable: header syntax, token file
	ErrRefused                         // nothing listening at host:port
	ErrDNS                             // the host name does not resolve
	ErrTLS                             // TLS handshake or certificate failure
	ErrNetwork                         // any other failure to reach the target
	ErrAuth                            // HTTP 401 or 403
	ErrNotFound                        // HTTP 404
	ErrStatus                          // any other non-2xx HTTP status
	ErrRedirect                        // a redirect loop or too many redirects
	ErrHTML                            // an HTML page came back instead of a dump
	ErrEmpty                           // the body was empty
	ErrTooBig                          // the dump exceeded Options.MaxBytes
	ErrTimeout                         // the fetch exceeded Options.Timeout
	ErrTruncated                       // the body ended before it was complete
	ErrCanceled                        // the caller's context ended the fetch
	ErrNotHTTP                         // the port answered in another protocol, or closed without a word
)

var kindNames = map[ErrorKind]string{
	ErrBadTarget:  "bad target",
	ErrNoSuchFile: "no such file",
	ErrFile:       "unreadable file",
	ErrOption:     "bad option",
	ErrRefused:    "connection refused",
	ErrDNS:        "unknown host",
	ErrTLS:        "TLS failure",
	ErrNetwork:    "network failure",
	ErrAuth:       "not authorised",
	ErrNotFound:   "not found",
	ErrStatus:     "HTTP error",
	ErrRedirect:   "bad redirect",
	ErrHTML:       "HTML instead of a dump",
	ErrEmpty:      "empty dump",
	ErrTooBig:     "dump too big",
	ErrTimeout:    "timed out",
	ErrTruncated:  "truncated dump",
	ErrCanceled:   "canceled",
	ErrNotHTTP:    "not HTTP",
}

// String names the kind in a few words ("connection refused").
func (k ErrorKind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// Error makes an ErrorKind usable as an errors.Is target.
func (k ErrorKind) Error() string { return k.String() }

// Error is every failure this package reports: what went wrong (Kind),
// where (Source), and a one-line message that says what to try. Its text
// never holds credentials or control characters.
type Error struct {
	Kind   ErrorKind
	Source string // the URL or path concerned, without credentials; may be empty
	Status int    // the HTTP status code, for ErrAuth, ErrNotFound and ErrStatus
	Msg    string // what happened and what to try, without Source
	Err    error  // the underlying cause, if any
}

// Error returns "SOURCE: MESSAGE" on one line of printable text.
func (e *Error) Error() string {
	if e.Source == "" {
		return printable(e.Msg)
	}
	return printable(e.Source + ": " + e.Msg)
}

// Unwrap returns the underlying cause, so errors.Is(err,
// context.Canceled) and the like work.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is this error's ErrorKind.
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

// printable replaces every rune that a terminal could act on (control
// characters, escape sequences, bidi overrides, invalid UTF-8) with '?'
// and joins lines, so a message stays one harmless line.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r == '\uFFFD' || !strconv.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

// maxEcho bounds how much server-provided text an error repeats.
const maxEcho = 120

// echo makes text that came from the network safe to repeat: printable
// ASCII only, whitespace collapsed, at most maxEcho bytes.
func echo(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s) && b.Len() < maxEcho; i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			space = b.Len() > 0
			continue
		case c < 0x20 || c > 0x7e:
			c = '?'
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
