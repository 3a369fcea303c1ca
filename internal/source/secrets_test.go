package source

import (
	"context"
	"io"
	"net/http"
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
