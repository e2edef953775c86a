package main

// These tests run the real dvr-chassis binary (built once by
// ovsdbtest.Binary) as child processes and signal them by pid. The
// chassis package's tests run it on simulated hypervisors; these cover
// the command line, the pid file and the log file, with no database
// reachable (the monitors retry meanwhile).

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveBinaries()
	os.Exit(code)
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(ovsdbtest.Binary(t, "dvr-chassis"), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// Bad flags: a clear one-line error and exit status 1, before anything
// connects.
func TestBadFlags(t *testing.T) {
	t.Parallel()
	sb := []string{"--sb", "unix:/nonexistent/sb.sock", "--ovs-db", "unix:/nonexistent/db.sock"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--sb (or $DVR_SB_DB) is required"},
		{[]string{"unregister"}, "--sb (or $DVR_SB_DB) is required"},
		{append(sb, "--encap-type=geneve"), "--encap-type must be vxlan"},
		{append(sb, "--datapath-type=kernel"), "datapath type must be system or netdev"},
		{append(sb, "--log-format=xml"), "--log-format must be text or json"},
		{[]string{"--sb", "http://x"}, "--sb"},
		{append(sb, "--integration-bridge=br-x", "--tunnel-bridge=br-x"), "must differ"},
		{append(sb, "--monitor=some"), `--monitor must be all or conditional, not "some"`},
	} {
		out, code := runCLI(t, c.args...)
		if code != 1 || !strings.Contains(out, c.want) {
			t.Errorf("dvr-chassis %q: exit %d, output %q; want 1 and %q", c.args, code, out, c.want)
		}
	}
}

// The pid file is locked (a second instance refuses), the log file is
// reopened on SIGHUP, and SIGTERM ends the daemon cleanly, removing the
// pid file.
func TestPidFileLogFileSignals(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "dc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pid, logf := filepath.Join(dir, "c.pid"), filepath.Join(dir, "c.log")
	args := []string{"--sb", "unix:" + dir + "/sb.sock", "--ovs-db", "unix:" + dir + "/db.sock", "--pidfile", pid, "--log-file", logf}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := ovsdbtest.StartDaemon(t, "dvr-chassis", append(args, "--metrics-address", addr)...)
	if !d.WaitFor(20*time.Second, func() bool { b, _ := os.ReadFile(pid); return strings.TrimSpace(string(b)) == strconv.Itoa(d.Pid()) }) {
		t.Fatalf("pid file never named the daemon; output:\n%s", d.Output())
	}
	if out, code := runCLI(t, args...); code != 1 || !strings.Contains(out, "--pidfile") {
		t.Errorf("second instance: exit %d: %s", code, out)
	}
	if out, code := runCLI(t, append([]string{"unregister"}, args[:6]...)...); code != 1 || !strings.Contains(out, "refusing to unregister") {
		t.Errorf("unregister while running: exit %d: %s", code, out)
	}
	if !d.WaitFor(20*time.Second, func() bool { b, _ := os.ReadFile(logf); return strings.Contains(string(b), "dvr-chassis starting") }) {
		t.Fatal("nothing logged to the log file")
	}
	var metrics string
	d.WaitFor(20*time.Second, func() bool {
		r, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		metrics = string(b)
		return true
	})
	for _, m := range []string{"dvr_chassis_rounds_total", "dvr_chassis_has_dvr_mac", "dvr_chassis_claimed_ports", "dvr_chassis_tunnel_ports", "dvr_chassis_nb_cfg"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %s:\n%s", m, metrics)
		}
	}
	if err := os.Rename(logf, logf+".1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !d.WaitFor(20*time.Second, func() bool { _, err := os.Stat(logf); return err == nil }) {
		t.Fatal("SIGHUP did not reopen the log file")
	}
	if code := d.Stop(20 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d:\n%s", code, d.Output())
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	if b, _ := os.ReadFile(logf); !strings.Contains(string(b), "dvr-chassis stopped") {
		t.Errorf("reopened log lacks the stop line: %s", b)
	}
}
