package source

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxRedirects is how many redirects one fetch follows.
const maxRedirects = 10

// httpSource polls one URL.
type httpSource struct {
	url       *url.URL
	src       string // the URL without credentials
	opts      Options
	envToken  string // GOROTOP_BEARER_TOKEN at Open
	transport *http.Transport
	client    *http.Client
	// hint404 is set on the target's own URL: its 404 gets a hint (see
	// notFoundHint); the URLs beside it (the goroutineleak profile, a
	// round-trip probe) 404 where the target does not serve them.
	hint404 bool
}

// errTimedOut is the cause of a fetch's context when Options.Timeout
// ends it, which tells our own timeout from the caller's cancellation.
var errTimedOut = errors.New("fetch timed out")

// errRedirectLoop and errTooManyRedirects end a redirect chain.
var (
	errRedirectLoop     = errors.New("redirect loop")
	errTooManyRedirects = errors.New("too many redirects")
)

func openHTTP(t Target, opts Options) (*httpSource, error) {
	if t.URL == nil {
		return nil, &Error{Kind: ErrBadTarget, Source: t.Raw, Msg: "no URL"}
	}
	for name, values := range opts.Headers {
		for _, v := range values {
			if err := checkHeader(name, v); err != nil {
				return nil, err
			}
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyFromEnvironment
	// Go asks for gzip by itself and inflates what comes: a few
	// megabytes could expand to the --max-bytes cap. Dumps are text
	// written while the target's world stops; compressing them there
	// would only lengthen the stop.
	tr.DisableCompression = true
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify} // only with --insecure-skip-verify
	s := &httpSource{
		url:       t.URL,
		src:       redact(t.URL),
		opts:      opts,
		envToken:  strings.TrimSpace(os.Getenv(TokenEnv)),
		transport: tr,
		hint404:   true,
	}
	s.client = &http.Client{Transport: tr, CheckRedirect: s.checkRedirect}
	if _, err := s.token(); err != nil {
		return nil, err
	}
	if s.opts.BearerTokenFile != "" && opts.Headers.Get("Authorization") != "" {
		return nil, &Error{Kind: ErrOption, Msg: "both --bearer-token-file and -H 'Authorization: ...' given; use one"}
	}
	return s, nil
}

// token returns the bearer token to send, or "". The token file is read
// on every call so that rotated tokens are picked up. An -H
// Authorization header wins over the environment.
func (s *httpSource) token() (string, error) {
	if s.opts.BearerTokenFile == "" {
		if s.envToken == "" || s.opts.Headers.Get("Authorization") != "" {
			return "", nil
		}
		if !validValue(s.envToken) {
			return "", &Error{Kind: ErrOption, Source: "$" + TokenEnv, Msg: "the token holds more than one line or control characters"}
		}
		return s.envToken, nil
	}
	file := s.opts.BearerTokenFile
	b, err := os.ReadFile(file)
	if err != nil {
		return "", &Error{Kind: ErrOption, Source: file, Msg: "cannot read --bearer-token-file: " + pathErrText(err), Err: err}
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", &Error{Kind: ErrOption, Source: file, Msg: "--bearer-token-file is empty"}
	case !validValue(tok):
		return "", &Error{Kind: ErrOption, Source: file, Msg: "--bearer-token-file holds more than one line or control characters"}
	}
	return tok, nil
}

// Next fetches the URL once and streams the body to read.
func (s *httpSource) Next(ctx context.Context, read func(io.Reader) error) (Meta, error) {
	meta := Meta{Source: s.src, At: time.Now()}
	if ctx.Err() != nil {
		return meta, s.canceled(ctx)
	}
	tok, err := s.token()
	if err != nil {
		return meta, err
	}
	meta, err = s.fetch(ctx, meta, tok, read)
	var e *Error
	if errors.As(err, &e) {
		e.Msg = hide(e.Msg, s.secrets(tok)) // a server may echo them back
	}
	return meta, err
}

// secrets returns what a server must not get to echo into a message: the
// bearer token and the values of the -H headers but Host, and of an
// Authorization value its credentials alone too. Values shorter than four
// bytes hold no secret, and hiding them would garble messages.
func (s *httpSource) secrets(tok string) []string {
	var out []string
	add := func(v string) {
		if v = strings.TrimSpace(v); len(v) >= 4 {
			out = append(out, v)
		}
	}
	add(tok)
	for name, values := range s.opts.Headers {
		if http.CanonicalHeaderKey(name) == "Host" {
			continue
		}
		for _, v := range values {
			add(v)
			if http.CanonicalHeaderKey(name) == "Authorization" {
				if _, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
					add(cred)
				}
			}
		}
	}
	return out
}

// hide replaces every secret in text with "***".
func hide(text string, secrets []string) string {
	for _, v := range secrets {
		text = strings.ReplaceAll(text, v, redacted)
	}
	return text
}

// fetch does the work of Next once the token is known.
func (s *httpSource) fetch(ctx context.Context, meta Meta, tok string, read func(io.Reader) error) (Meta, error) {
	fetchCtx, cancel := context.WithTimeoutCause(ctx, s.opts.Timeout, errTimedOut)
	defer cancel()
	req, err := s.request(fetchCtx, tok)
	if err != nil {
		return meta, err
	}
	resp, err := s.client.Do(req)
	meta.Wait = time.Since(meta.At)
	meta.Duration = meta.Wait
	if err != nil {
		return meta, s.fetchErr(ctx, fetchCtx, err)
	}
	defer resp.Body.Close()
	secrets := s.secrets(tok)
	if err := s.statusErr(resp, req.Header.Get("Authorization") != "", secrets); err != nil {
		var e *Error
		if s.hint404 && errors.As(err, &e) && e.Kind == ErrNotFound {
			e.Msg += s.notFoundHint(ctx, tok)
		}
		return meta, err
	}
	max := s.opts.MaxBytes
	if max >= 0 && resp.ContentLength > max {
		return meta, tooBig(s.src, max)
	}

	body := bufio.NewReader(resp.Body)
	m := &meter{r: body, max: max, src: s.src, fail: func(err error) error {
		return s.bodyErr(ctx, fetchCtx, err)
	}}
	err = s.sniff(body, resp.Header.Get("Content-Type"), m.fail)
	if err == nil {
		// The target may echo a secret into the dump (a pprof label
		// holding the request's Authorization): nothing downstream,
		// recordings and exports included, ever sees it.
		err = stream(m, func(r io.Reader) error { return read(redacting(r, secrets)) })
	}
	meta.Duration, meta.Bytes = time.Since(meta.At), m.n
	return meta, err
}

// request builds the GET of the URL, with the -H headers and the token.
func (s *httpSource) request(ctx context.Context, tok string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url.String(), nil)
	if err != nil {
		return nil, &Error{Kind: ErrBadTarget, Source: s.src, Msg: "cannot build request", Err: err}
	}
	for name, values := range s.opts.Headers {
		if http.CanonicalHeaderKey(name) == "Host" && len(values) > 0 {
			req.Host = values[0]
			continue
		}
		req.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	ua := s.opts.UserAgent
	if ua == "" {
		ua = "gorotop"
	}
	req.Header.Set("User-Agent", ua)
	return req, nil
}

// String returns the URL without credentials.
func (s *httpSource) String() string { return s.src }

// Live reports true: an HTTP target is polled.
func (s *httpSource) Live() bool { return true }

// Close closes idle keep-alive connections.
func (s *httpSource) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// checkRedirect follows at most maxRedirects redirects, stops at the
// first URL seen twice, and drops credentials once the chain has left the
// target's origin.
//
// net/http itself drops Authorization and Cookie only when the host name
// changes and is not a subdomain; it keeps them for another port on the
// same host and for subdomains, and it always copies other headers. We
// are stricter: Authorization, Cookie and every -H header go only to the
// target's own scheme, host and port, and not again after any hop away.
func (s *httpSource) checkRedirect(req *http.Request, via []*http.Request) error {
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return errRedirectLoop
		}
	}
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	left := !sameOrigin(req.URL, via[0].URL)
	for _, hop := range via[1:] {
		left = left || !sameOrigin(hop.URL, via[0].URL)
	}
	if left {
		for name := range s.opts.Headers {
			req.Header.Del(name)
		}
		req.Header.Del("Authorization")
		req.Header.Del("Cookie")
	}
	return nil
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(hostPort(a), hostPort(b))
}

// hostPort returns u's host and port, the port filled in from the scheme.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func (s *httpSource) canceled(ctx context.Context) error {
	return &Error{Kind: ErrCanceled, Source: s.src, Msg: "canceled", Err: context.Cause(ctx)}
}

func (s *httpSource) timedOut(fetchCtx context.Context, err error) bool {
	var ne net.Error
	return context.Cause(fetchCtx) == errTimedOut || errors.As(err, &ne) && ne.Timeout()
}

func (s *httpSource) timeout() error {
	return &Error{Kind: ErrTimeout, Source: s.src,
		Msg: "no complete dump within " + s.opts.Timeout.String() + "; the service may be stalled or the dump large: raise --timeout"}
}

// fetchErr explains why no response came back.
func (s *httpSource) fetchErr(ctx, fetchCtx context.Context, err error) error {
	if ctx.Err() != nil {
		return s.canceled(ctx)
	}
	if errors.Is(err, errRedirectLoop) || errors.Is(err, errTooManyRedirects) {
		msg := "redirect loop; give the final URL of the dump"
		if errors.Is(err, errTooManyRedirects) {
			msg = "more than " + strconv.Itoa(maxRedirects) + " redirects; give the final URL of the dump"
		}
		return &Error{Kind: ErrRedirect, Source: s.src, Msg: msg, Err: err}
	}
	if s.timedOut(fetchCtx, err) {
		return s.timeout()
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // its text repeats the URL
	}
	e := &Error{Kind: ErrNetwork, Source: s.src, Msg: "cannot reach " + hostPort(s.url) + ": " + echo(cause.Error()), Err: err}
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		badHost x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
	)
	notHTTPMsg := notHTTP(cause)
	if notHTTPMsg == "" && strings.Contains(cause.Error(), "readLoopPeekFail") {
		// The port spoke before the request was sent (NATS, SSH and
		// SMTP servers greet first), and net/http says only that.
		notHTTPMsg = s.greets(ctx)
	}
	switch {
	case errors.As(err, &dnsErr):
		e.Kind, e.Msg = ErrDNS, "cannot resolve host "+strconv.Quote(echo(dnsErr.Name))
		if dnsErr.IsNotFound {
			e.Msg += ": no such host; check the name"
		} else {
			e.Msg += ": " + echo(dnsErr.Err) + "; check the name and DNS"
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		addr := hostPort(s.url)
		if errors.As(err, &opErr) && opErr.Addr != nil {
			addr = opErr.Addr.String() // the address dialled, perhaps a proxy
		}
		e.Kind, e.Msg = ErrRefused, "nothing listening on "+addr+"; is the service running, is the port-forward up?"
		if proxy := s.proxyOf(ue); proxy != nil {
			e.Msg = "the proxy " + redact(proxy) + " refused the connection; is it up? It comes from HTTP_PROXY, HTTPS_PROXY or ALL_PROXY: to reach " + hostPort(s.url) + " without it, add the host to NO_PROXY"
		}
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &badHost), errors.As(err, &invalid):
		reason := cause.Error()
		if certErr != nil {
			reason = certErr.Err.Error()
		}
		e.Kind, e.Msg = ErrTLS, "TLS certificate not accepted ("+echo(reason)+"); fix the certificate, or if you trust the network use --insecure-skip-verify"
	case errors.As(err, &record), strings.Contains(cause.Error(), "HTTP response to HTTPS client"):
		e.Kind, e.Msg = ErrTLS, "the server does not speak TLS; try http:// instead of https://"
	case strings.Contains(cause.Error(), "tls:"):
		e.Kind, e.Msg = ErrTLS, "TLS handshake failed: "+echo(cause.Error())
	case notHTTPMsg != "":
		e.Kind, e.Msg = ErrNotHTTP, notHTTPMsg
	}
	return e
}

// proxyOf returns the proxy the failed request went through, or nil: the
// URL of ue if there is one, else the target's.
func (s *httpSource) proxyOf(ue *url.Error) *url.URL {
	u := s.url
	if ue != nil {
		if failed, err := url.Parse(ue.URL); err == nil {
			u = failed
		}
	}
	proxy, err := s.transport.Proxy(&http.Request{URL: u, Header: http.Header{}})
	if err != nil {
		return nil
	}
	return proxy
}

// statusErr explains a response that is not 2xx, with the secrets the
// server may have echoed hidden before its text is cut to length.
func (s *httpSource) statusErr(resp *http.Response, sentAuth bool, secrets []string) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	e := &Error{Kind: ErrStatus, Source: s.src, Status: code, Msg: "HTTP " + echo(hide(resp.Status, secrets))}
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Kind = ErrAuth
		if sentAuth {
			e.Msg += "; the credentials sent were refused: check --bearer-token-file, GOROTOP_BEARER_TOKEN or -H"
		} else {
			e.Msg += "; send credentials with --bearer-token-file (or GOROTOP_BEARER_TOKEN) or -H 'Authorization: ...'"
		}
		return e
	case http.StatusNotFound:
		e.Kind = ErrNotFound
	}
	if line := firstLine(io.LimitReader(resp.Body, 512), secrets); line != "" {
		e.Msg += " (" + line + ")"
	}
	return e
}

// firstLine returns the first non-blank line of a short error body, made
// safe to show, or "" for an HTML page.
func firstLine(r io.Reader, secrets []string) string {
	b, _ := io.ReadAll(r)
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] == '<' {
		return ""
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return echo(hide(string(line), secrets))
}

// htmlStarts are the openings that mark an HTML page.
var htmlStarts = [][]byte{[]byte("<!doctype"), []byte("<html")}

// sniff looks at the first bytes of a 2xx body without consuming them
// and fails if the body is empty or an HTML page. It peeks only as far as
// it must: a dump is told by its first non-blank byte. fail explains a
// read error.
func (s *httpSource) sniff(br *bufio.Reader, contentType string, fail func(error) error) error {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	for n := 1; n <= 512; n++ {
		b, err := br.Peek(n)
		start := bytes.ToLower(bytes.TrimLeft(b, " \t\r\n"))
		if len(start) > 0 {
			if start[0] != '<' {
				return nil
			}
			if mediaType == "text/html" {
				return s.htmlErr()
			}
			undecided := false
			for _, tag := range htmlStarts {
				if bytes.HasPrefix(start, tag) {
					return s.htmlErr()
				}
				undecided = undecided || bytes.HasPrefix(tag, start)
			}
			if !undecided {
				return nil
			}
		}
		switch {
		case err == io.EOF && len(start) == 0:
			return &Error{Kind: ErrEmpty, Source: s.src, Msg: "the response was empty; is this a goroutine dump URL?"}
		case err == io.EOF:
			return nil
		case err != nil:
			return fail(err)
		}
	}
	return nil
}

func (s *httpSource) htmlErr() error {
	return &Error{Kind: ErrHTML, Source: s.src,
		Msg: "got an HTML page, not a goroutine dump; point at /debug/pprof/goroutine?debug=2 (or a login page or proxy is in the way)"}
}

// bodyErr explains a body that failed part way.
func (s *httpSource) bodyErr(ctx, fetchCtx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return s.canceled(ctx)
	case s.timedOut(fetchCtx, err):
		return s.timeout()
	}
	reason := err.Error() // "read tcp A->B: read: connection reset by peer": keep the end
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	return &Error{Kind: ErrTruncated, Source: s.src,
		Msg: "the dump was cut off (" + echo(reason) + "); the connection dropped or the service restarted: try again", Err: err}
}

// checkHeader rejects header names that are not HTTP tokens and values
// with control characters (which could smuggle in more headers).
func checkHeader(name, value string) error {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return &Error{Kind: ErrOption, Msg: "-H: bad header name " + strconv.Quote(echo(name))}
		}
	}
	if name == "" {
		return &Error{Kind: ErrOption, Msg: "-H: empty header name"}
	}
	if !validValue(value) {
		return &Error{Kind: ErrOption, Msg: "-H " + echo(name) + ": the value holds control characters"}
	}
	return nil
}

// validValue reports whether s can be sent as a header value.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
