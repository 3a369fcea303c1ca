package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// notHTTP explains a port that answered, but not in HTTP: what it sent
// (net/http quotes the start of it in its error) and what to try. It
// returns "" when err is no such failure. A port that closes the
// connection without a word (io.EOF before any answer) is told too.
func notHTTP(cause error) string {
	text := cause.Error()
	i := strings.Index(text, "malformed HTTP ")
	if i < 0 {
		if errors.Is(cause, io.EOF) || strings.HasSuffix(text, ": EOF") {
			return "the port took the connection and closed it without an HTTP answer; is it the one that serves net/http/pprof?"
		}
		return ""
	}
	sent := ""
	if q := strings.IndexByte(text[i:], '"'); q >= 0 {
		if quoted, err := strconv.QuotedPrefix(text[i+q:]); err == nil {
			sent, _ = strconv.Unquote(quoted)
		}
	}
	if sent != "" && (sent[0] == 0x15 || sent[0] == 0x16) {
		// A TLS alert or handshake record.
		return "the port answered in TLS, not plain HTTP; try https://"
	}
	msg := "the port answered, but not in HTTP"
	if shown := echo(sent); shown != "" {
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		msg += " (it sent " + shown
		if guess := protocolOf(sent); guess != "" {
			msg += ": " + guess + "?"
		}
		msg += ")"
	}
	return msg + "; give the port that serves net/http/pprof"
}

// greetTimeout bounds how long greets waits for a port's first words.
const greetTimeout = 2 * time.Second

// greets connects to the target again, without a proxy or TLS, and
// explains, as notHTTP does, what the port sends before it is asked
// anything; "" when it sends nothing, or HTTP, or cannot be reached.
func (s *httpSource) greets(ctx context.Context) string {
	if s.url.Scheme != "http" {
		return ""
	}
	if proxy := s.proxyOf(nil); proxy != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, greetTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort(s.url))
	if err != nil {
		return ""
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetReadDeadline(deadline)
	line, _ := bufio.NewReaderSize(conn, 512).ReadSlice('\n')
	if len(line) == 0 {
		return ""
	}
	// Read as net/http reads an answer, so that it is told as one is.
	_, err = http.ReadResponse(bufio.NewReader(io.MultiReader(bytes.NewReader(line), strings.NewReader("\r\n"))), nil)
	if err == nil {
		return ""
	}
	return notHTTP(err)
}

// protocolOf names the protocol a port's first words come from, for the
// servers that speak first and are often found beside a Go service; ""
// when it does not know.
func protocolOf(sent string) string {
	switch {
	case strings.Contains(sent, `"server_id"`):
		return "a NATS client port"
	case strings.HasPrefix(sent, "SSH-"):
		return "an SSH server"
	}
	return ""
}

// indexProbeTimeout bounds the request that checks where net/http/pprof
// answers after a 404.
const indexProbeTimeout = 5 * time.Second

// notFoundHint says, after the target's URL answered 404, what to try:
// the pprof index beside the dump's path (or at /debug/pprof/ for a path
// of another shape) is asked once; where it answers, the hint is its
// goroutine dump, and where it does not, that net/http/pprof is not
// registered there.
func (s *httpSource) notFoundHint(ctx context.Context, tok string) string {
	index := *s.url
	index.User, index.RawPath, index.RawQuery, index.Fragment = nil, "", "", ""
	switch p := s.url.Path; {
	case strings.HasSuffix(p, goroutinePath):
		index.Path = strings.TrimSuffix(p, "goroutine")
	case strings.HasSuffix(p, goroutinePath+"leak"):
		index.Path = strings.TrimSuffix(p, "goroutineleak")
	default:
		index.Path = pprofDir
	}
	dump := index
	dump.Path += "goroutine"
	dump.RawQuery = "debug=2"
	if !s.answers(ctx, &index, tok) {
		return "; net/http/pprof is not registered at " + index.Path + " on this port: import _ \"net/http/pprof\" and serve http.DefaultServeMux there, or give the URL where the service mounts it"
	}
	if dump.Path == s.url.Path {
		return "; the pprof index answers at " + redact(&index) + " but not its goroutine profile: check the service's pprof routes"
	}
	return "; the pprof index answers at " + redact(&index) + ": try " + redact(&dump)
}

// answers reports whether a GET of u, sent as the target's requests are,
// gets a 2xx answer.
func (s *httpSource) answers(ctx context.Context, u *url.URL, tok string) bool {
	ctx, cancel := context.WithTimeout(ctx, min(s.opts.Timeout, indexProbeTimeout))
	defer cancel()
	probe := *s
	probe.url = u
	req, err := probe.request(ctx, tok)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxProbe)) // so the connection is reused
	return resp.StatusCode/100 == 2
}
