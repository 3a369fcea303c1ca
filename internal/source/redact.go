package source

import (
	"bytes"
	"io"
	"strconv"
)

// redacted stands for a secret in what gorotop shows or writes.
const redacted = "***"

// redactor replaces every secret in what r yields with "***", whatever
// the reads' boundaries: a target may echo what it was sent (a pprof label
// holding the request's Authorization header), and no secret may reach a
// file, a recording or the screen. Each secret is also looked for as the
// runtime quotes it in a label value.
type redactor struct {
	r       io.Reader
	secrets [][]byte
	keep    int    // bytes held back: a secret may continue in the next read
	in      []byte // read, not yet looked at in full
	out     []byte // redacted, not yet handed out
	buf     []byte // out's storage, used again once out is handed out
	err     error
}

// redacting returns r, or a redactor of r when there are secrets.
func redacting(r io.Reader, secrets []string) io.Reader {
	red := &redactor{r: r}
	for _, s := range secrets {
		red.add(s)
		if q := strconv.Quote(s); q[1:len(q)-1] != s {
			red.add(q[1 : len(q)-1])
		}
	}
	if len(red.secrets) == 0 {
		return r
	}
	return red
}

func (red *redactor) add(s string) {
	if s == "" {
		return
	}
	red.secrets = append(red.secrets, []byte(s))
	red.keep = max(red.keep, len(s)-1)
}

func (red *redactor) Read(p []byte) (int, error) {
	for len(red.out) == 0 {
		if red.err != nil {
			return 0, red.err
		}
		if cap(red.in) == 0 {
			red.in = make([]byte, 0, 64<<10)
		}
		if len(red.in) == cap(red.in) {
			red.in = append(red.in, 0)[:len(red.in)] // grow: keep is larger than the buffer
		}
		n, err := red.r.Read(red.in[len(red.in):cap(red.in)])
		red.in = red.in[:len(red.in)+n]
		red.err = err
		red.scan(err != nil)
	}
	n := copy(p, red.out)
	red.out = red.out[n:]
	return n, nil
}

// scan moves what is safe to hand out from in to out: everything but the
// last keep bytes, or everything at the end of the input.
func (red *redactor) scan(end bool) {
	out := red.buf[:0]
	in := red.in
	for {
		at, size := -1, 0
		for _, s := range red.secrets {
			if i := bytes.Index(in, s); i >= 0 && (at < 0 || i < at || i == at && len(s) > size) {
				at, size = i, len(s)
			}
		}
		if at < 0 || !end && at+red.keep >= len(in) {
			break // none, or a longer secret may yet match at the same place
		}
		out = append(append(out, in[:at]...), redacted...)
		in = in[at+size:]
	}
	safe := len(in)
	if !end {
		safe = max(len(in)-red.keep, 0)
	}
	out = append(out, in[:safe]...)
	red.in = append(red.in[:0], in[safe:]...)
	red.out, red.buf = out, out
}
