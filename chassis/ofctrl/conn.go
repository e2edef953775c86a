package ofctrl

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// conn is one OpenFlow 1.3 connection to a bridge's mgmt socket: a
// reader goroutine that frames messages itself (8-byte header, then the
// body, in order), answers echo requests and hands replies and errors to
// whoever waits for their xid; a keepalive that sends echo requests when
// the line is idle and drops the connection after missMax silent
// intervals. Any read or write error fails the connection: every waiter
// sees it at once.
type conn struct {
	nc     net.Conn
	bridge string
	log    logrus.FieldLogger

	wmu sync.Mutex // one writer at a time
	xid atomic.Uint32

	mu      sync.Mutex
	waiters []*waiter

	// last is when something last showed the peer alive (a message read,
	// a chunk of a stream written), in UnixNano.
	last atomic.Int64

	done    chan struct{}
	errOnce sync.Once
	err     error // why done is closed
}

// waiter receives every message whose xid is in [lo, lo+n).
type waiter struct {
	lo, n uint32
	mu    sync.Mutex
	q     [][]byte
	ready chan struct{}
}

const missMax = 3

// dial connects to unix:<path>, negotiates OpenFlow 1.3 and checks the
// line with one echo.
func dial(ctx context.Context, path, bridge string, echo time.Duration, log logrus.FieldLogger) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", bridge, err)
	}
	c := &conn{nc: nc, bridge: bridge, log: log, done: make(chan struct{})}
	c.touch()
	if err := c.handshake(ctx, echo); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *conn) handshake(ctx context.Context, echo time.Duration) error {
	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.nc.SetDeadline(deadline)
	if _, err := c.nc.Write(hello(c.nextXID())); err != nil {
		return fmt.Errorf("bridge %s: send hello: %w", c.bridge, err)
	}
	r := bufio.NewReaderSize(c.nc, 64<<10)
	m, err := readMessage(r)
	if err != nil {
		return fmt.Errorf("bridge %s: read hello: %w", c.bridge, err)
	}
	if m[1] != typeHello {
		return fmt.Errorf("bridge %s: first message is of type %d, not HELLO", c.bridge, m[1])
	}
	if vs := helloVersions(m); !vs[version13] {
		return fmt.Errorf("bridge %s: ovs-vswitchd offers OpenFlow %s but not 1.3: the bridge's protocols must include OpenFlow13",
			c.bridge, versionNames(vs))
	}
	_ = c.nc.SetDeadline(time.Time{})
	go c.read(r)
	// One round trip proves that OVS speaks 1.3 with us (it answers a
	// failed negotiation with HELLO_FAILED and hangs up).
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if _, err := c.request(hctx, simple(typeEchoRequest, 0)); err != nil {
		c.fail(err)
		return fmt.Errorf("bridge %s: first echo: %w", c.bridge, err)
	}
	go c.keepalive(echo)
	return nil
}

// helloVersions are the versions a HELLO offers: its bitmap if it has
// one, else every version up to its header's.
func helloVersions(m []byte) map[int]bool {
	vs := map[int]bool{}
	for b := m[headerLen:]; len(b) >= 4; {
		typ, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			break
		}
		if typ == 1 { // OFPHET_VERSIONBITMAP
			for i, w := 0, b[4:n]; len(w) >= 4; i, w = i+1, w[4:] {
				bits := binary.BigEndian.Uint32(w)
				for j := 0; j < 32; j++ {
					if bits&(1<<j) != 0 {
						vs[i*32+j] = true
					}
				}
			}
			return vs
		}
		b = b[(n+7)/8*8:]
	}
	for v := 1; v <= int(m[0]); v++ {
		vs[v] = true
	}
	return vs
}

func versionNames(vs map[int]bool) string {
	s := ""
	for v := 1; v < 32; v++ {
		if vs[v] {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("1.%d", v-1)
		}
	}
	if s == "" {
		return "nothing"
	}
	return s
}

func readMessage(r *bufio.Reader) ([]byte, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < headerLen {
		return nil, fmt.Errorf("message length %d is shorter than its header", n)
	}
	m := make([]byte, n)
	copy(m, h[:])
	if _, err := io.ReadFull(r, m[headerLen:]); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *conn) touch() { c.last.Store(time.Now().UnixNano()) }

func (c *conn) nextXID() uint32 { return c.xid.Add(1) }

// reserve returns the first of n consecutive xids.
func (c *conn) reserve(n uint32) uint32 { return c.xid.Add(n) - n + 1 }

func (c *conn) read(r *bufio.Reader) {
	for {
		m, err := readMessage(r)
		if err != nil {
			c.fail(fmt.Errorf("bridge %s: read: %w", c.bridge, err))
			return
		}
		c.touch()
		if m[0] != version13 {
			c.fail(fmt.Errorf("bridge %s: message of OpenFlow version %d on a 1.3 connection", c.bridge, m[0]))
			return
		}
		xid := binary.BigEndian.Uint32(m[4:])
		switch m[1] {
		case typeEchoRequest:
			// Never write from the reader (a writer blocked on a full
			// socket would stop it reading, and OVS with it).
			reply := append([]byte(nil), m...)
			reply[1] = typeEchoReply
			go func() { _ = c.send(reply) }()
			continue
		}
		if !c.deliver(xid, m) && m[1] == typeError {
			c.log.WithField("bridge", c.bridge).Warnf("OpenFlow error for xid %d: %v", xid, parseError(m))
		}
	}
}

func (c *conn) deliver(xid uint32, m []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if xid-w.lo < w.n {
			w.mu.Lock()
			w.q = append(w.q, m)
			w.mu.Unlock()
			select {
			case w.ready <- struct{}{}:
			default:
			}
			return true
		}
	}
	return false
}

// wait registers a waiter for n xids from lo; call c.unwait when done.
func (c *conn) wait(lo, n uint32) *waiter {
	w := &waiter{lo: lo, n: n, ready: make(chan struct{}, 1)}
	c.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	return w
}

func (c *conn) unwait(w *waiter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.waiters {
		if x == w {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			return
		}
	}
}

// next is the waiter's next message.
func (c *conn) next(ctx context.Context, w *waiter) ([]byte, error) {
	for {
		w.mu.Lock()
		if len(w.q) > 0 {
			m := w.q[0]
			w.q[0] = nil
			w.q = w.q[1:]
			w.mu.Unlock()
			return m, nil
		}
		w.mu.Unlock()
		select {
		case <-w.ready:
		case <-c.done:
			return nil, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// request sends one message (its xid is set here) and returns its first
// reply; an ERROR reply is returned as an *OFError.
func (c *conn) request(ctx context.Context, m []byte) ([]byte, error) {
	xid := c.nextXID()
	binary.BigEndian.PutUint32(m[4:], xid)
	w := c.wait(xid, 1)
	defer c.unwait(w)
	if err := c.send(m); err != nil {
		return nil, err
	}
	r, err := c.next(ctx, w)
	if err != nil {
		return nil, err
	}
	if r[1] == typeError {
		return nil, parseError(r)
	}
	return r, nil
}

// send writes one message.
func (c *conn) send(m []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.write(m, false)
}

// write writes m; alive says that its getting through shows the peer
// alive (a long stream keeps the writer lock, so our echo requests wait:
// OVS reading it is the sign of life then).
func (c *conn) write(m []byte, alive bool) error {
	if _, err := c.nc.Write(m); err != nil {
		err = fmt.Errorf("bridge %s: write: %w", c.bridge, err)
		c.fail(err)
		return err
	}
	if alive {
		c.touch()
	}
	return nil
}

// stream holds the write side for a run of messages: fn appends them
// through put, which writes in chunks of about 64 KiB.
func (c *conn) stream(fn func(put func([]byte) error) error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	buf := make([]byte, 0, 128<<10)
	put := func(m []byte) error {
		buf = append(buf, m...)
		if len(buf) >= 64<<10 {
			err := c.write(buf, true)
			buf = buf[:0]
			return err
		}
		return nil
	}
	if err := fn(put); err != nil {
		return err
	}
	if len(buf) > 0 {
		return c.write(buf, true)
	}
	return nil
}

// keepalive sends an echo request after every idle interval and fails
// the connection after missMax intervals without a sign of life.
func (c *conn) keepalive(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		idle := time.Since(time.Unix(0, c.last.Load()))
		switch {
		case idle >= missMax*every:
			c.fail(fmt.Errorf("bridge %s: ovs-vswitchd silent for %s (%d echo intervals)", c.bridge, idle.Round(time.Millisecond), missMax))
			return
		case idle >= every:
			go func() { _ = c.send(simple(typeEchoRequest, c.nextXID())) }()
		}
	}
}

// fail closes the connection for err (the first error wins).
func (c *conn) fail(err error) {
	c.errOnce.Do(func() {
		if err == nil {
			err = errors.New("closed")
		}
		c.err = err
		close(c.done)
		_ = c.nc.Close()
	})
}

func (c *conn) close() { c.fail(fmt.Errorf("bridge %s: connection closed", c.bridge)) }
