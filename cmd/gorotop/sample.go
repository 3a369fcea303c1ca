package main

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"time"

	"github.com/gorotop/gorotop/internal/source"
	"github.com/gorotop/gorotop/stackparse"
)

// sample is one dump, parsed.
type sample struct {
	snap *stackparse.Snapshot
	meta source.Meta
}

// sampler takes samples from a source, one per dump. A file is one sample
// (with every dump in it); a directory is one sample per file; standard
// input is one sample per dump in the stream, each stamped with the time it
// arrived.
type sampler struct {
	src    source.Source
	parser *stackparse.Parser
	stream chan streamed // standard input: dumps as they arrive
}

type streamed struct {
	s   sample
	err error
}

func openSampler(target string, opts source.Options, g stackparse.Grouping) (*sampler, error) {
	t, err := source.ParseTarget(target)
	if err != nil {
		return nil, err
	}
	src, err := source.Open(t, opts)
	if err != nil {
		return nil, err
	}
	return &sampler{src: src, parser: stackparse.NewParser(g)}, nil
}

// streaming makes the sampler split its input into dumps as they arrive;
// for standard input.
func (s *sampler) streaming(ctx context.Context) {
	s.stream = make(chan streamed)
	go func() {
		defer close(s.stream)
		_, err := s.src.Next(ctx, func(r io.Reader) error {
			return s.parser.ParseEach(r, func(snap *stackparse.Snapshot) error {
				m := source.Meta{Source: s.src.String(), At: time.Now(), Bytes: snap.Bytes}
				select {
				case s.stream <- streamed{s: sample{snap: snap, meta: m}}:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
		})
		if err == nil {
			err = io.EOF
		}
		select {
		case s.stream <- streamed{err: err}:
		case <-ctx.Done():
		}
	}()
}

// next returns the next sample; io.EOF when a finite source is done.
func (s *sampler) next(ctx context.Context) (sample, error) {
	return s.nextWith(ctx, s.parser)
}

// nextWith is next with another parser (another grouping); a stream keeps
// its own.
func (s *sampler) nextWith(ctx context.Context, p *stackparse.Parser) (sample, error) {
	if s.stream != nil {
		select {
		case st, ok := <-s.stream:
			if !ok {
				return sample{}, io.EOF
			}
			return st.s, st.err
		case <-ctx.Done():
			return sample{}, ctx.Err()
		}
	}
	var snap *stackparse.Snapshot
	meta, err := s.src.Next(ctx, func(r io.Reader) error {
		var err error
		snap, err = p.Parse(r)
		return err
	})
	if err != nil {
		return sample{}, err
	}
	if snap == nil || snap.Total == 0 && len(snap.Warnings) == 0 {
		return sample{}, errors.New(meta.Source + ": no goroutine dump found (is this a debug=2 goroutine dump?)")
	}
	return sample{snap: snap, meta: meta}, nil
}

func (s *sampler) close() { s.src.Close() }

// version is the module version when installed with go install.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
