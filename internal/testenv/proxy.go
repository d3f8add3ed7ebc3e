package testenv

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Proxy is a loopback TCP proxy in front of a server, for fault injection:
// it can stall (stop forwarding, keeping connections open), cut connections
// after a number of bytes, and add latency. It is closed after the test.
type Proxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	wake    chan struct{} // closed when a stall ends
	// cutAfter, when positive, closes every connection once this many
	// bytes went from client to server over all connections since it was
	// set; cut counts them.
	cutAfter int64
	sent     int64
	// stallAfter, when positive, stalls once this many bytes went from
	// client to server since it was set.
	stallAfter int64
	latency    time.Duration
	conns      map[net.Conn]struct{}
	wg         sync.WaitGroup
}

// NewProxy starts a proxy to target (host:port) on a free loopback port.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	if testing.Short() {
		t.Skip("injects network faults: make test runs it, make test-short does not")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{l: l, target: target, wake: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.l.Addr().(*net.TCPAddr).Port }

// URL is a landlord URL (mysql://root@proxy/) through the proxy.
func (p *Proxy) URL() string { return "mysql://root@127.0.0.1:" + strconv.Itoa(p.Port()) + "/" }

// Stall stops forwarding in both directions; connections stay open.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// Resume ends a stall.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled {
		p.stalled = false
		close(p.wake)
		p.wake = make(chan struct{})
	}
	p.stallAfter = 0
}

// StallAfter stalls once n more bytes went from clients to the server.
func (p *Proxy) StallAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallAfter, p.sent = n, 0
}

// CutAfter closes every connection once n more bytes went from clients to
// the server (the bytes up to n are forwarded); 0 stops cutting.
func (p *Proxy) CutAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAfter, p.sent = n, 0
}

// SetLatency delays every chunk forwarded.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = d
}

// CutAll closes every open connection now.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// Close stops the proxy and closes its connections.
func (p *Proxy) Close() {
	p.l.Close()
	p.Resume()
	p.CutAll()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s, true)
		go p.pipe(s, c, false)
	}
}

// pipe copies from src to dst; up is client to server.
func (p *Proxy) pipe(src, dst net.Conn, up bool) {
	defer p.wg.Done()
	defer func() {
		src.Close()
		dst.Close()
		p.mu.Lock()
		delete(p.conns, src)
		delete(p.conns, dst)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			cut, stall := false, false
			p.mu.Lock()
			if up && (p.cutAfter > 0 || p.stallAfter > 0) {
				limit := p.cutAfter
				if limit <= 0 {
					limit = p.stallAfter
				}
				if p.sent+int64(n) >= limit {
					chunk = chunk[:limit-p.sent]
					if p.cutAfter > 0 {
						cut = true
					} else {
						stall, p.stallAfter = true, 0
					}
				}
			}
			if up {
				p.sent += int64(len(chunk))
			}
			latency := p.latency
			p.mu.Unlock()
			if latency > 0 {
				time.Sleep(latency)
			}
			if !cut && !p.wait() {
				return
			}
			if len(chunk) > 0 {
				if _, werr := dst.Write(chunk); werr != nil {
					return
				}
			}
			if cut {
				p.CutAll()
				return
			}
			if stall {
				p.Stall()
			}
		}
		if err != nil {
			return
		}
		if !p.wait() {
			return
		}
	}
}

// wait blocks while the proxy is stalled; false when the proxy closed.
func (p *Proxy) wait() bool {
	for {
		p.mu.Lock()
		stalled, wake := p.stalled, p.wake
		p.mu.Unlock()
		if !stalled {
			return true
		}
		<-wake
	}
}

// Sent is how many bytes went from clients to the server since the proxy
// started or the last CutAfter or StallAfter.
func (p *Proxy) Sent() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent
}
