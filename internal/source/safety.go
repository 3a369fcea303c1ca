package source

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// countsQuery is the debug level of the cheap goroutine profile: counts
// per stack, collected while the target runs (Go 1.19+).
const countsQuery = "1"

// Counts returns a Source for the cheap ?debug=1 goroutine profile of the
// target src polls for full ?debug=2 dumps: the same URL with debug=1,
// sent with the same headers, token and TLS settings over the same
// connections. ok is false when src is not such an HTTP source: a file,
// a directory, standard input, a recording, a Tee, a URL whose path is
// not /debug/pprof/goroutine (a proxy's own path may not take debug=1),
// the goroutineleak profile (whose ?debug=1 lists only the leaked), or a
// query that does not ask for debug=2.
//
// Closing the returned Source closes the idle connections src shares.
func Counts(src Source) (Source, bool) {
	return sibling(src, "", countsQuery)
}

// Leaks returns a Source for the goroutineleak profile's full dump of the
// target src polls for full ?debug=2 dumps: /debug/pprof/goroutineleak
// with debug=2 beside /debug/pprof/goroutine, sent as Counts's are. Go
// 1.26+ serves it when built with GOEXPERIMENT=goroutineleakprofile
// (others answer 404): each fetch runs a garbage collection that detects
// leaked goroutines, then writes every goroutine as ?debug=2 does, the
// leaked marked "(leaked)". ok is false where Counts's would be.
//
// Through a Tee (a session being recorded), the returned Source records
// its dumps into the same recording: they are full dumps, so a replay
// shows the same proof. Counts does not go through a Tee: a recording
// holds dumps, and a replay must see what the session saw.
func Leaks(src Source) (Source, bool) {
	switch s := src.(type) {
	case *teeSource:
		l, ok := Leaks(s.Source)
		if !ok {
			return nil, false
		}
		return &teeSource{Source: l, rec: s.rec, status: s.status}, true
	case interface{ Unwrap() Source }:
		return Leaks(s.Unwrap())
	}
	return sibling(src, "leak", "2")
}

// sibling is src's URL with suffix added to its path and debug set to
// debug, for an HTTP source of /debug/pprof/goroutine?debug=2.
func sibling(src Source, suffix, debug string) (Source, bool) {
	s, ok := src.(*httpSource)
	if !ok || !strings.HasSuffix(s.url.EscapedPath(), goroutinePath) {
		return nil, false
	}
	q, err := url.ParseQuery(s.url.RawQuery)
	if err != nil || q.Get("debug") != "2" {
		return nil, false
	}
	q.Set("debug", debug)
	u := *s.url
	u.Path += suffix
	u.RawPath = ""
	u.RawQuery = q.Encode()
	c := &httpSource{
		url:       &u,
		src:       redact(&u),
		opts:      s.opts,
		envToken:  s.envToken,
		transport: s.transport,
	}
	c.client = &http.Client{Transport: c.transport, CheckRedirect: c.checkRedirect}
	return c, true
}

// maxProbe caps the body of a round-trip probe.
const maxProbe = 64 << 10

// RoundTrip returns a probe of the network's round trip to the target src
// polls for full ?debug=2 dumps: a GET of /debug/pprof/cmdline beside the
// dump, sent as Counts's requests are. net/http/pprof answers it at once
// with the command line, so its wait for the response header is the round
// trip (through a kubectl port-forward or an ssh tunnel, tens of
// milliseconds) and next to nothing of the target's: the part of a dump's
// wait that did not stall the target. The probe returns that wait, or the
// error of the request (an *Error). ok is false where Counts's would be.
func RoundTrip(src Source) (probe func(context.Context) (time.Duration, error), ok bool) {
	switch s := src.(type) {
	case *teeSource:
		return RoundTrip(s.Source)
	case interface{ Unwrap() Source }:
		return RoundTrip(s.Unwrap())
	}
	sib, ok := sibling(src, "", "2")
	if !ok {
		return nil, false
	}
	s := sib.(*httpSource)
	s.url.Path = strings.TrimSuffix(s.url.Path, "goroutine") + "cmdline"
	s.url.RawQuery = ""
	s.src = redact(s.url)
	return s.probe, true
}

// probe GETs the URL and returns the wait for the response header.
func (s *httpSource) probe(ctx context.Context) (time.Duration, error) {
	tok, err := s.token()
	if err != nil {
		return 0, err
	}
	fetchCtx, cancel := context.WithTimeoutCause(ctx, s.opts.Timeout, errTimedOut)
	defer cancel()
	req, err := s.request(fetchCtx, tok)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	wait := time.Since(start)
	if err != nil {
		return wait, s.fetchErr(ctx, fetchCtx, err)
	}
	defer resp.Body.Close()
	if err := s.statusErr(resp, tok != "", s.secrets(tok)); err != nil {
		return wait, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxProbe)) // so the connection is reused
	return wait, nil
}
