package hvtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// prefix starts the name of every network namespace and run directory the
// harness makes, followed by the test binary's pid: "hvt<pid>-...". A
// sweep removes those of a pid that no longer runs (a test binary killed
// by -timeout skips its cleanups; Pdeathsig kills its daemons, but its
// namespaces and directories stay).
const prefix = "hvt"

// nsName is a unique network namespace name for a hypervisor of a test.
func nsName(test, hv string) string {
	clean := func(s string, n int) string {
		b := []byte(s)
		for i, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				b[i] = '_'
			}
		}
		if len(b) > n {
			b = b[len(b)-n:]
		}
		return string(b)
	}
	r := make([]byte, 3)
	_, _ = rand.Read(r)
	return fmt.Sprintf("%s%d-%s-%s-%s", prefix, os.Getpid(), clean(test, 32), clean(hv, 16), hex.EncodeToString(r))
}

// ownerAlive reports whether the pid in a harness name still runs.
func ownerAlive(name string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return true
	}
	pidStr, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidStr)
	if !ok || err != nil || pid <= 0 {
		return true // not ours: leave it
	}
	return syscall.Kill(pid, 0) == nil || pid == os.Getpid()
}

// sweepStale deletes the network namespaces and run directories left by
// test binaries that died without cleaning up.
func sweepStale() {
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && !ownerAlive(e.Name()) {
			_ = exec.Command("ip", "netns", "del", e.Name()).Run()
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*-*"))
	for _, d := range dirs {
		if !ownerAlive(filepath.Base(d)) {
			_ = os.RemoveAll(d)
		}
	}
}

// Require skips the test (fails it under CI=true) unless it runs as root
// with every program the harness needs on PATH.
func Require(tb testing.TB) {
	tb.Helper()
	ovsdbtest.RequireBinaries(tb, binaries...)
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			tb.Fatal("hvtest needs root (network and mount namespaces; CI=true: integration tests never skip)")
		}
		tb.Skip("hvtest needs root (network and mount namespaces)")
	}
	if _, err := os.Stat(VswitchSchema); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("hvtest: %v", err)
		}
		tb.Skipf("hvtest: %v", err)
	}
}

func dialUnix(path string) (net.Conn, error) { return net.Dial("unix", path) }

// linkUp sets a link up inside a named network namespace, first adding
// addr (CIDR) to it if addr is not empty: netlink, no process (the
// handle's socket is opened in the namespace, the calling thread switched
// back).
func linkUp(ns, name, addr string) error {
	h, err := netns.GetFromName(ns)
	if err != nil {
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", ns, err)
	}
	defer nl.Close()
	l, err := nl.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", name, ns, err)
	}
	if addr != "" {
		a, err := netlink.ParseAddr(addr)
		if err != nil {
			return err
		}
		if err := nl.AddrReplace(l, a); err != nil {
			return fmt.Errorf("address %s on %s in %s: %w", addr, name, ns, err)
		}
	}
	if err := nl.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up in %s: %w", name, ns, err)
	}
	return nil
}
