package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"

	"github.com/gorotop/gorotop/internal/metrics"
	"github.com/gorotop/gorotop/internal/poll"
)

// metricsServer serves what a command's loops see at /metrics
// (--metrics ADDR), for Prometheus.
type metricsServer struct {
	e    *metrics.Exporter
	stop context.CancelFunc
	done chan error
	// refused names the targets the exporter left out (too many), told
	// once each.
	mu      sync.Mutex
	refused map[string]bool
	log     io.Writer
}

// serveMetrics serves --metrics when it is given; it returns nil when
// not.
func (o *options) serveMetrics(ctx context.Context, cmd string, log io.Writer) (*metricsServer, error) {
	if o.metrics == "" {
		return nil, nil
	}
	return serveMetrics(ctx, cmd, o.metrics, log)
}

// serveMetrics listens on addr (host:port, :port, or a port number:
// every interface) and serves the metrics there until Close. It says
// where on log.
func serveMetrics(ctx context.Context, cmd, addr string, log io.Writer) (*metricsServer, error) {
	if _, err := strconv.Atoi(addr); err == nil {
		addr = ":" + addr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, usagef(cmd, "--metrics %q: want HOST:PORT or :PORT, such as :9464", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	ctx, stop := context.WithCancel(ctx)
	s := &metricsServer{e: metrics.New(metrics.Options{}), stop: stop, done: make(chan error, 1), refused: map[string]bool{}, log: log}
	go func() { s.done <- s.e.Serve(ctx, ln) }()
	fmt.Fprintf(log, "gorotop: serving metrics at http://%s/metrics\n", displayAddr(ln.Addr()))
	return s, nil
}

// displayAddr is a listening address as one would reach it: the wildcard
// address stands for every interface, so loopback reaches it.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// observe serves what a poll of the target named name found. A server
// that is nil does nothing.
func (s *metricsServer) observe(name string, smp poll.Sample) {
	if s == nil {
		return
	}
	if err := s.e.Observe(name, smp); errors.Is(err, metrics.ErrTooManyTargets) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.refused[name] {
			s.refused[name] = true
			fmt.Fprintf(s.log, "gorotop: warning: %s\n", oneLine(err.Error()))
		}
	}
}

// forget drops the series of a target that is gone.
func (s *metricsServer) forget(name string) {
	if s != nil {
		s.e.Forget(name)
	}
}

// Close stops serving. A server that is nil does nothing.
func (s *metricsServer) Close() error {
	if s == nil {
		return nil
	}
	s.stop()
	return <-s.done
}
