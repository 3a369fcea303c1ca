package poll

import (
	"errors"
	"io"
	"sync"

	"github.com/gorotop/gorotop/stackparse"
)

// ErrNotDump refuses a body that holds no goroutine and nothing that
// looked like part of a dump; a recording keeps it out.
var ErrNotDump = errors.New("no goroutine dump found (is this a debug=2 goroutine dump?)")

// ParseAll reads one body with each parser, a grouping each, reading the
// body once: with several parsers, each reads its own copy of the stream
// as it comes (in parallel, each as fast as the slowest lets it), so the
// body is never held whole. The snapshots are in the parsers' order. A
// body that is no dump at all is ErrNotDump.
func ParseAll(r io.Reader, parsers []*stackparse.Parser) ([]*stackparse.Snapshot, error) {
	snaps, err := parseAll(r, parsers)
	if err == nil && (snaps[0] == nil || snaps[0].Total == 0 && len(snaps[0].Warnings) == 0) {
		err = ErrNotDump
	}
	return snaps, err
}

func parseAll(r io.Reader, parsers []*stackparse.Parser) ([]*stackparse.Snapshot, error) {
	snaps := make([]*stackparse.Snapshot, len(parsers))
	if len(parsers) == 1 {
		var err error
		snaps[0], err = parsers[0].Parse(r)
		return snaps, err
	}
	pipes := make([]*io.PipeWriter, len(parsers))
	writers := make([]io.Writer, len(parsers))
	errs := make([]error, len(parsers))
	var wg sync.WaitGroup
	for i, parser := range parsers {
		pr, pw := io.Pipe()
		pipes[i], writers[i] = pw, pw
		wg.Go(func() {
			snaps[i], errs[i] = parser.Parse(pr)
			// What the parser left unread must not hold the writer up.
			io.Copy(io.Discard, pr)
			pr.Close()
		})
	}
	_, err := io.Copy(io.MultiWriter(writers...), r)
	for _, pw := range pipes {
		pw.CloseWithError(err)
	}
	wg.Wait()
	if err != nil {
		return snaps, err
	}
	return snaps, errors.Join(errs...)
}
