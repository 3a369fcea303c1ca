package source

import (
	"io"

	"github.com/gorotop/gorotop/internal/human"
)

// meter sits between a body and the caller's read callback: it counts the
// bytes that pass, stops at a cap without buffering, and remembers the
// first failure, already turned into an *Error by fail.
type meter struct {
	r    io.Reader
	n    int64
	max  int64  // negative: no cap
	src  string // for the too-big message
	fail func(error) error
	err  error
}

// Read implements io.Reader.
func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if m.max >= 0 && int64(len(p)) > m.max-m.n+1 {
		p = p[:m.max-m.n+1] // one byte more than allowed tells "too big" from "exactly max"
	}
	n, err := m.r.Read(p)
	if m.max >= 0 && m.n+int64(n) > m.max {
		n = int(m.max - m.n)
		m.n += int64(n)
		m.err = tooBig(m.src, m.max)
		return n, m.err
	}
	m.n += int64(n)
	if err != nil && err != io.EOF {
		m.err = m.fail(err)
	}
	return n, m.errOr(err)
}

func (m *meter) errOr(err error) error {
	if m.err != nil {
		return m.err
	}
	return err
}

// stream hands m to read and returns the body's own failure if there was
// one, else read's result.
func stream(m *meter, read func(io.Reader) error) error {
	err := read(m)
	if m.err != nil {
		return m.err
	}
	return err
}

func tooBig(src string, max int64) error {
	return &Error{Kind: ErrTooBig, Source: src,
		Msg: "dump larger than --max-bytes " + human.FlagSize(max) + "; raise --max-bytes"}
}
