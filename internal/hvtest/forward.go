package hvtest

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netns"
)

// ForwardTCP makes each addr (IP:PORT of a listener in the host's network
// namespace, 127.0.0.1:6642 say) reachable at the same address inside the
// hypervisor's network namespace: a listener there whose connections are
// piped, byte for byte, to addr as the host sees it. It stands in for the
// management network between a hypervisor and its control nodes: an SSL
// session goes through untouched (TLS end to end, the server sees the
// client's certificate), and every program can be given the same
// endpoint list. A connection to a listener that is gone (a killed
// database member) is closed at once, as a refused connection would be.
// Everything closes with the hypervisor.
func (hv *HV) ForwardTCP(addrs ...string) error {
	for _, a := range addrs {
		l, err := listenIn(hv.NetNS, a)
		if err != nil {
			return fmt.Errorf("%s: forward %s: %w", hv.Name, a, err)
		}
		f := &forward{l: l, to: a, conns: map[net.Conn]bool{}}
		hv.mu.Lock()
		hv.forwards = append(hv.forwards, f)
		hv.mu.Unlock()
		go f.serve()
	}
	return nil
}

// ForwardEndpoints forwards every tcp: and ssl: endpoint of a comma list
// (unix: sockets need nothing: the hypervisor shares the host's files).
func (hv *HV) ForwardEndpoints(endpoints string) error {
	for _, ep := range strings.Split(endpoints, ",") {
		ep = strings.TrimSpace(ep)
		if kind, addr, ok := strings.Cut(ep, ":"); ok && (kind == "tcp" || kind == "ssl") {
			if err := hv.ForwardTCP(addr); err != nil {
				return err
			}
		}
	}
	return nil
}

// listenIn opens a TCP listener inside network namespace ns: the socket
// belongs to the namespace of the thread that made it, so one locked
// thread enters ns, listens and comes back (a thread that cannot come
// back stays locked and dies with its goroutine).
func listenIn(ns, addr string) (net.Listener, error) {
	type result struct {
		l   net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			ch <- result{err: err}
			return
		}
		l, lerr := net.Listen("tcp", addr)
		if err := netns.Set(orig); err != nil {
			if l != nil {
				l.Close()
			}
			ch <- result{err: fmt.Errorf("back to the host netns: %w", err)}
			return // the thread stays locked: Go ends it
		}
		runtime.UnlockOSThread()
		ch <- result{l: l, err: lerr}
	}()
	r := <-ch
	return r.l, r.err
}

type forward struct {
	l     net.Listener
	to    string
	mu    sync.Mutex
	conns map[net.Conn]bool
	done  bool
}

func (f *forward) serve() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		go f.pipe(c)
	}
}

func (f *forward) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return false
	}
	f.conns[c] = true
	return true
}

func (f *forward) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

func (f *forward) pipe(in net.Conn) {
	if !f.track(in) {
		in.Close()
		return
	}
	defer f.untrack(in)
	out, err := net.Dial("tcp", f.to)
	if err != nil {
		return
	}
	if !f.track(out) {
		out.Close()
		return
	}
	defer f.untrack(out)
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Half-close where the kernel allows it, so a peer's close
		// reaches the other side at once.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(out, in)
	go cp(in, out)
	<-done
	<-done
}

func (f *forward) Close() error {
	f.mu.Lock()
	f.done = true
	cs := make([]net.Conn, 0, len(f.conns))
	for c := range f.conns {
		cs = append(cs, c)
	}
	f.mu.Unlock()
	err := f.l.Close()
	for _, c := range cs {
		c.Close()
	}
	return err
}
