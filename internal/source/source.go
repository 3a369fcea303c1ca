// Package source is where goroutine dumps come from: an HTTP endpoint
// polled again and again, a file, a directory of dump files, standard
// input, or a recording (see Tee for making one).
//
// The package knows nothing of parsing. A Source hands the body of each
// dump, as a stream, to a callback the caller provides, and never holds a
// copy of it; it measures what each fetch cost (Meta) and turns every
// failure into an *Error whose Kind says what went wrong and whose text,
// one line, says what to try.
//
//	t, err := source.ParseTarget("localhost:6060")
//	src, err := source.Open(t, source.Options{Timeout: 10 * time.Second})
//	defer src.Close()
//	meta, err := src.Next(ctx, func(r io.Reader) error { return parse(r) })
package source

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Meta describes one fetched dump.
type Meta struct {
	Source string    // the URL or file path, without credentials
	At     time.Time // when the fetch started; for files, the file's mod time
	// Wait is the time from sending the request to the response header.
	// net/http/pprof writes a debug=2 dump only once the stopped-world
	// stack walk is done, so Wait bounds how long the target stalled.
	// Zero for files and stdin.
	Wait     time.Duration
	Duration time.Duration // start of the fetch until the body was read
	Bytes    int64         // body bytes handed to the callback
}

// Source yields dumps one after another. A Source is not safe for
// concurrent use.
type Source interface {
	// Next fetches the next dump and streams its body to read, which
	// must finish with the reader before it returns. Finite sources
	// return io.EOF when done.
	//
	// If the body fails (too big, cut off, timed out), Next returns that
	// failure as an *Error even when read returned nil or its own error;
	// otherwise an error from read is returned unchanged. The Meta
	// describes what was fetched so far, also on error.
	Next(ctx context.Context, read func(io.Reader) error) (Meta, error)
	// String describes the source for a header, without secrets.
	String() string
	// Live reports whether polling again yields new dumps (HTTP) or the
	// source is a finite replay (files, directories, stdin).
	Live() bool
	// Close releases idle connections; the Source is unusable after it.
	Close() error
}

// Options tune Open. The zero value is usable.
type Options struct {
	// Timeout bounds one HTTP fetch, connect to last byte; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxBytes caps one dump over HTTP, each file of a directory and
	// each dump of a recording, enforced while streaming; 0 means
	// DefaultMaxBytes, negative means no cap. A single file or stdin may
	// hold many dumps and is not capped.
	MaxBytes int64
	// Headers are sent with every request (-H). Open refuses a name that
	// is not an HTTP token and a value with control characters. They,
	// like the bearer token, are dropped when a redirect leaves the
	// target's scheme, host and port.
	Headers http.Header
	// BearerTokenFile names a file holding a token sent as
	// "Authorization: Bearer TOKEN". It is read again before every fetch,
	// so rotated tokens are picked up. If empty, the environment variable
	// GOROTOP_BEARER_TOKEN is used if set.
	BearerTokenFile string
	// InsecureSkipVerify turns off TLS certificate verification.
	InsecureSkipVerify bool
	// UserAgent is sent as User-Agent; empty means "gorotop".
	UserAgent string
	// Stdin is read for the Stdin target; nil means os.Stdin.
	Stdin io.Reader
}

// Defaults for the zero Options.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 30
)

// TokenEnv is the environment variable that may hold a bearer token.
const TokenEnv = "GOROTOP_BEARER_TOKEN"

// Open makes the Source for t. For URL targets it reads the bearer token
// once to fail early; nothing is fetched until Next.
func Open(t Target, opts Options) (Source, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	switch t.Kind {
	case URL:
		return openHTTP(t, opts)
	case File:
		if isRecording(t.Path) {
			return openRecording(t.Path, opts.MaxBytes)
		}
		return &filesSource{name: t.Path, paths: []string{t.Path}, max: -1}, nil
	case Dir:
		return openDir(t.Path, opts.MaxBytes)
	case Stdin:
		return newStdin(opts.Stdin), nil
	case Recording:
		return openRecording(t.Path, opts.MaxBytes)
	}
	return nil, &Error{Kind: ErrBadTarget, Source: t.Raw, Msg: "unknown target kind " + t.Kind.String()}
}
