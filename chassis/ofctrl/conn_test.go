package ofctrl

import (
	"bufio"
	"context"
	"encoding/binary"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// fakeSwitch accepts one connection on a unix socket, says hello (1.3),
// answers echo requests until silent is closed, and records whether our
// side answered its own echo request.
func fakeSwitch(t *testing.T, silent chan struct{}, answered chan struct{}) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "br.mgmt")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_, _ = nc.Write(hello(1))
		r := bufio.NewReader(nc)
		_, _ = nc.Write(simple(typeEchoRequest, 0xabc))
		for {
			m, err := readMessage(r)
			if err != nil {
				return
			}
			switch {
			case m[1] == typeEchoReply && binary.BigEndian.Uint32(m[4:]) == 0xabc:
				close(answered)
			case m[1] == typeEchoRequest:
				select {
				case <-silent:
					continue
				default:
				}
				m[1] = typeEchoReply
				_, _ = nc.Write(m)
			}
		}
	}()
	return path
}

// We answer the switch's echo requests, send our own when idle, and drop
// a connection whose peer stops answering after 3 intervals.
func TestEchoKeepalive(t *testing.T) {
	silent, answered := make(chan struct{}), make(chan struct{})
	path := fakeSwitch(t, silent, answered)
	log := logrus.New()
	every := 200 * time.Millisecond // generous: a loaded CI machine delays both sides
	c, err := dial(context.Background(), path, "br-x", every, log)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	select {
	case <-answered:
	case <-time.After(5 * time.Second):
		t.Fatal("our side never answered the switch's echo request")
	}
	// Alive while the peer answers our echoes.
	select {
	case <-c.done:
		t.Fatalf("dropped while the peer answers: %v", c.err)
	case <-time.After(10 * every):
	}
	close(silent)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection to a silent peer not dropped")
	}
	// (How soon is not asserted: the last message read may predate the
	// silence by up to an interval, and a loaded machine delays both sides.)
	if !strings.Contains(c.err.Error(), "silent") || !strings.Contains(c.err.Error(), "br-x") {
		t.Fatalf("dropped with %v", c.err)
	}
	// A pending request fails at once.
	if _, err := c.request(context.Background(), simple(typeBarrierReq, 0)); err == nil {
		t.Fatal("request on a failed connection succeeded")
	}
}
