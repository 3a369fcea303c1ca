package source

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHeaderValuesNeverShown has servers echo the -H values and an -H
// Authorization token back in their error pages, in the body and the
// status line, whole and where the echo is cut to length: no part of a
// secret shows in the error. Values too short to be secrets are left be.
func TestHeaderValuesNeverShown(t *testing.T) {
	const (
		apiKey = "key-3c2b1a09f8e7"
		token  = "tok-0a1b2c3d4e5f"
	)
	headers := http.Header{"X-Api-Key": {apiKey}, "Authorization": {"Bearer " + token}, "X-Debug": {"on"}}
	pad := strings.Repeat("x", maxEcho-20) // the echo is cut inside a secret
	echo := func(code int, prefix string) string {
		return serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			io.WriteString(w, prefix+r.Header.Get("X-Api-Key")+" "+r.Header.Get("Authorization")+" debug="+r.Header.Get("X-Debug"))
		})
	}
	status := serve(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		io.WriteString(conn, "HTTP/1.1 502 bad key "+r.Header.Get("X-Api-Key")+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	targets := map[string]string{
		"400 body": echo(400, "rejected "), "404 body": echo(404, "no such profile for "),
		"500 body": echo(500, "error: "), "500 body cut": echo(500, pad), "502 status": status,
	}
	for name, target := range targets {
		src := open(t, target, Options{Headers: headers})
		_, err := src.Next(context.Background(), func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		t.Logf("%s: %s", name, msg)
		for _, secret := range []string{apiKey, token} {
			if strings.Contains(msg, secret[:6]) {
				t.Errorf("%s: (part of) %q shows in %q", name, secret, msg)
			}
		}
		if name == "500 body" && !strings.Contains(msg, "error: *** *** debug=on") {
			t.Errorf("%s: %q does not show the echo with the secrets hidden", name, msg)
		}
	}
}

// TestSecretsEchoedInDump has a target echo what it was sent into the dump
// itself (a pprof label holding the request's Authorization, a header's
// value in a function name), written a few bytes at a time so that the
// secrets cross every read: the body handed on holds none of them, with
// the token from the environment, from a file and in -H alike.
func TestSecretsEchoedInDump(t *testing.T) {
	const (
		apiKey = "key-9d8c7b6a5f4e"
		token  = "tok-1f2e3d4c5b6a"
	)
	target := serve(t, func(w http.ResponseWriter, r *http.Request) {
		dump := "goroutine 1 [running labels:{\"auth\": \"" + r.Header.Get("Authorization") + "\", \"key\": \"" + r.Header.Get("X-Api-Key") + "\"}]:\n" +
			"main.handle_" + r.Header.Get("X-Api-Key") + "()\n\t/src/" + token + "/main.go:3 +0x1\n"
		rc := http.NewResponseController(w)
		for i := 0; i < len(dump); i += 3 {
			io.WriteString(w, dump[i:min(i+3, len(dump))])
			rc.Flush()
		}
	})
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte(token+"\n"), 0o600)
	cases := map[string]func() Options{
		"-H": func() Options {
			return Options{Headers: http.Header{"X-Api-Key": {apiKey}, "Authorization": {"Bearer " + token}}}
		},
		"token file": func() Options {
			return Options{Headers: http.Header{"X-Api-Key": {apiKey}}, BearerTokenFile: file}
		},
		"environment": func() Options {
			t.Setenv(TokenEnv, token)
			return Options{Headers: http.Header{"X-Api-Key": {apiKey}}}
		},
	}
	for name, opts := range cases {
		src := open(t, target, opts())
		var body []byte
		if _, err := src.Next(context.Background(), func(r io.Reader) (err error) { body, err = io.ReadAll(r); return err }); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, secret := range []string{apiKey, token} {
			if strings.Contains(string(body), secret) {
				t.Errorf("%s: %q in the body:\n%s", name, secret, body)
			}
		}
		if !strings.Contains(string(body), `***", "key": "***"}`) || !strings.Contains(string(body), "main.handle_***()\n\t/src/***/main.go") {
			t.Errorf("%s: the secrets are not shown as ***:\n%s", name, body)
		}
	}
}

// TestRedactorChunks reads text full of secrets, some overlapping and one
// the prefix of another, in reads of every size: the result is the same
// as read whole, and holds no secret.
func TestRedactorChunks(t *testing.T) {
	secrets := []string{"abcd", "abcdef", "cdxy", `q"uo\te`}
	text := `abcdef abcd cdxy abcdxy aabcdd abcdcdxy "q\"uo\\te" end abc`
	whole, err := io.ReadAll(redacting(strings.NewReader(text), secrets))
	if err != nil {
		t.Fatal(err)
	}
	want := `*** *** *** ***xy a***d ****** "***" end abc`
	if string(whole) != want {
		t.Fatalf("whole: %q, want %q", whole, want)
	}
	for size := 1; size <= len(text); size++ {
		got, err := io.ReadAll(redacting(&chunked{text, size}, secrets))
		if err != nil || string(got) != want {
			t.Fatalf("reads of %d: %q, %v", size, got, err)
		}
	}
	if r := strings.NewReader("x"); redacting(r, nil) != r || redacting(r, []string{""}) != r || redacting(r, []string{"abcd"}) == r {
		t.Fatal("a reader with no secrets is wrapped, or one with is not")
	}
}

// chunked yields its text size bytes at a time.
type chunked struct {
	text string
	size int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.text == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.text)
	c.text = c.text[n:]
	return n, nil
}
