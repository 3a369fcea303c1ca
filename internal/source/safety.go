package source

import (
	"net/http"
	"net/url"
	"strings"
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
		return &teeSource{Source: l, rec: s.rec}, true
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
