package testproc

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tunnel starts a TCP proxy on loopback to the host:port of addr (an
// address or URL, as StartLeaky returns) that holds every chunk of bytes,
// each way, for delay: the round trip of a kubectl port-forward or an ssh
// tunnel to a far cluster, about 2 × delay. It returns the proxy's
// host:port and stops with the test.
func Tunnel(t testing.TB, addr string, delay time.Duration) string {
	t.Helper()
	target := strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	if i := strings.IndexByte(target, '/'); i >= 0 {
		target = target[:i]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, client, server)
			mu.Unlock()
			wg.Go(func() { pipeLate(server, client, delay) })
			wg.Go(func() { pipeLate(client, server, delay) })
		}
	})
	return ln.Addr().String()
}

// pipeLate copies src to dst, each chunk delay late, and closes both at
// the end of either.
func pipeLate(dst, src net.Conn, delay time.Duration) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection
		}
	}
}
