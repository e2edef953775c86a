package main

import (
	"errors"
	"fmt"
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

// nbDaemon is a dvr-nbctl --detach started by a test; it is stopped by
// the pid in its pid file.
type nbDaemon struct {
	sock, pidfile, log string
	pid                int
}

func startNbDaemon(t *testing.T, db string) *nbDaemon {
	t.Helper()
	dir, err := os.MkdirTemp("", "nbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	d := &nbDaemon{pidfile: filepath.Join(dir, "dvr-nbctl.pid"), log: filepath.Join(dir, "dvr-nbctl.log")}
	r := mustOK(t, ovsdbtest.RunNbctl(t, db, "--detach", "--pidfile="+d.pidfile, "--log-file="+d.log))
	d.sock = strings.TrimSpace(r.Stdout)
	if !strings.HasPrefix(d.sock, dir) || strings.Contains(d.sock, "\n") {
		t.Fatalf("--detach printed %q, want one path under %s", r.Stdout, dir)
	}
	b, err := os.ReadFile(d.pidfile)
	if err != nil {
		t.Fatal(err)
	}
	if d.pid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	if d.sock != filepath.Join(dir, fmt.Sprintf("dvr-nbctl.%d.ctl", d.pid)) {
		t.Fatalf("socket %s does not name pid %d", d.sock, d.pid)
	}
	t.Cleanup(func() { d.stop(t, syscall.SIGTERM) })
	return d
}

func (d *nbDaemon) env() []string { return []string{"DVR_NB_DAEMON=" + d.sock} }

func (d *nbDaemon) run(t *testing.T, args ...string) ovsdbtest.NbctlResult {
	t.Helper()
	return ovsdbtest.RunNbctlEnv(t, d.env(), args...)
}

// stop signals the daemon by its pid and waits until it is gone.
func (d *nbDaemon) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if d.pid == 0 {
		return
	}
	if err := syscall.Kill(d.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(d.pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("daemon %d still running after %v", d.pid, sig)
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.pid = 0
}

func daemonSeed(t *testing.T, db string) {
	t.Helper()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "lr-add", "r1", "--", "ls-add", "sw1", "--", "ls-add", "sw2",
		"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24",
		"--", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
		"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12"))
}

func dumpNB(t *testing.T, nb *ovsdbtest.Server) string {
	t.Helper()
	out, err := exec.Command("ovsdb-client", "dump", readEP(t, nb), nbDB).CombinedOutput()
	if err != nil {
		t.Fatalf("ovsdb-client dump: %v: %s", err, out)
	}
	return string(out)
}

// Through the daemon, a rejected command prints exactly the one-shot's
// one-line error and status and writes nothing; accepted ones print the
// same output. (nbctl's TestRejectedLeavesDatabaseUnchanged runs every
// validation case through the replica in process.)
func TestDaemonSameAnswersAsOneShot(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	daemonSeed(t, db)
	d := startNbDaemon(t, db)
	before := dumpNB(t, nb)
	for _, args := range [][]string{
		{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:zz 10.0.1.13"},
		{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.12"},
		{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0b 10.0.1.13"},
		{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.1"},
		{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.1.129/25"},
		{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.0/24"},
		{"ls-add", "sw1"},
		{"lr-add", "r1"},
		{"lsp-add", "sw2", "vm11"},
		{"--may-exist", "lsp-add", "sw2", "vm11"},
		{"--may-exist", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:09", "10.0.1.1/24"},
		{"lsp-add", "nosuch", "vm13"},
		{"lsp-set-addresses", "nosuch", "fa:16:3e:00:01:0d 10.0.1.13"},
		{"lsp-add", "sw1"},
		{"no-such-command"},
		{"--wait=bogus", "ls-add", "x"},
		{"ls-add", "ok1", "--", "ls-add", "ok2", "--", "ls-add", "sw1"},
	} {
		one := ovsdbtest.RunNbctl(t, append([]string{db}, args...)...)
		dm := d.run(t, args...)
		if one.Code == 0 {
			t.Fatalf("%q: one-shot accepted it", args)
		}
		if dm.Code != one.Code || dm.Stderr != one.Stderr || dm.Stdout != one.Stdout {
			t.Fatalf("%q:\none-shot: %d %q %q\ndaemon:   %d %q %q", args, one.Code, one.Stdout, one.Stderr, dm.Code, dm.Stdout, dm.Stderr)
		}
		if strings.Count(dm.Stderr, "\n") != 1 {
			t.Fatalf("%q: not one line: %q", args, dm.Stderr)
		}
	}
	if dumpNB(t, nb) != before {
		t.Fatal("a rejected command changed the database")
	}
	mustOK(t, d.run(t, "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13"))
	// The next command sees the first's write.
	mustFail(t, d.run(t, "lsp-add", "sw1", "vm14", "--", "lsp-set-addresses", "vm14", "fa:16:3e:00:01:0e 10.0.1.13"),
		"10.0.1.13: IP address already used on switch sw1 by port vm13")
	for _, args := range [][]string{{"show"}, {"ls-list"}, {"lsp-list", "sw1"}, {"lsp-get-addresses", "vm13"}, {"--format=json", "show", "sw1"}, {"lrp-list", "r1"}} {
		one := mustOK(t, ovsdbtest.RunNbctl(t, append([]string{db}, args...)...))
		dm := mustOK(t, d.run(t, args...))
		if dm.Stdout != one.Stdout {
			t.Fatalf("%q:\none-shot:\n%s\ndaemon:\n%s", args, one.Stdout, dm.Stdout)
		}
	}
}

// Writes by other clients between two daemon commands are seen: a raw
// transaction and a one-shot dvr-nbctl.
func TestDaemonSeesOtherWriters(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	daemonSeed(t, db)
	d := startNbDaemon(t, db)
	mustOK(t, d.run(t, "lsp-add", "sw1", "a1", "--", "lsp-set-addresses", "a1", "fa:16:3e:00:01:a1 10.0.1.101"))
	txn := `["OVN_Northbound",
	 {"op":"insert","table":"Logical_Switch_Port","row":{"name":"raw1","addresses":"fa:16:3e:00:01:b1 10.0.1.102"},"uuid-name":"p"},
	 {"op":"mutate","table":"Logical_Switch","where":[["name","==","sw1"]],"mutations":[["ports","insert",["set",[["named-uuid","p"]]]]]}]`
	if out, err := exec.Command("ovsdb-client", "transact", readEP(t, nb), txn).CombinedOutput(); err != nil {
		t.Fatalf("raw transaction: %v: %s", err, out)
	}
	mustFail(t, d.run(t, "lsp-add", "sw1", "a2", "--", "lsp-set-addresses", "a2", "fa:16:3e:00:01:a2 10.0.1.102"),
		"10.0.1.102: IP address already used on switch sw1 by port raw1")
	mustOK(t, ovsdbtest.RunNbctl(t, db, "lsp-del", "raw1", "--", "ls-add", "sw9"))
	mustOK(t, d.run(t, "lsp-add", "sw1", "a2", "--", "lsp-set-addresses", "a2", "fa:16:3e:00:01:a2 10.0.1.102"))
	mustFail(t, d.run(t, "ls-add", "sw9"), "sw9: a switch with this name already exists")
}

// A daemon command and a one-shot one (and two daemon commands) giving
// one switch's IP to two ports at once: exactly one wins.
func TestDaemonRaceSameIP(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "ls-add", "sw1"))
	d := startNbDaemon(t, db)
	for i := range rounds {
		a, b := fmt.Sprintf("pa%d", i), fmt.Sprintf("pb%d", i)
		ip := fmt.Sprintf("10.0.%d.5", i)
		mustOK(t, d.run(t, "lsp-add", "sw1", a, "--", "lsp-add", "sw1", b))
		argsA := []string{"lsp-set-addresses", a, fmt.Sprintf("00:00:00:00:0a:%02x %s", i, ip)}
		argsB := []string{"lsp-set-addresses", b, fmt.Sprintf("00:00:00:00:0b:%02x %s", i, ip)}
		var pb *proc
		if i%2 == 0 {
			pb = startNbctl(t, append([]string{db}, argsB...)...)
		} else {
			pb = startNbctlEnv(t, d.env(), argsB...)
		}
		pa := startNbctlEnv(t, d.env(), argsA...)
		oneWins(t, [2]ovsdbtest.NbctlResult{pa.wait(), pb.wait()}, ip)
		holders := 0
		for _, r := range ovsdbtest.SelectRows(t, readEP(t, nb), nbDB, "Logical_Switch_Port", "name", "addresses") {
			for _, addr := range ovsdbtest.Atoms(r["addresses"]) {
				if strings.HasSuffix(addr, " "+ip) {
					holders++
				}
			}
		}
		if holders != 1 {
			t.Fatalf("round %d: %s held by %d ports of sw1", i, ip, holders)
		}
	}
}

// --wait=sb through the daemon waits for a real dvr-northd.
func TestDaemonWaitSb(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	startNorthd(t, nb, sb)
	d := startNbDaemon(t, db)
	for i := range 3 {
		mustOK(t, d.run(t, "--wait=sb", "-t", "10", "ls-add", fmt.Sprintf("w%d", i)))
		n, s, _ := nbGlobal(t, nb)
		if s < n {
			t.Fatalf("--wait=sb returned with nb_cfg=%d, sb_cfg=%d", n, s)
		}
	}
	mustOK(t, d.run(t, "--wait=sb", "-t", "10", "sync"))
}

// Stopping by pid removes the socket and pid file; a killed or stopped
// daemon is one line from the client; a new daemon and a restarted
// server start from the database as it is.
func TestDaemonStopKillRestart(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	daemonSeed(t, db)
	d := startNbDaemon(t, db)
	mustOK(t, d.run(t, "ls-add", "s1"))
	// A second daemon on the same pid file is refused.
	mustFail(t, ovsdbtest.RunNbctl(t, db, "--detach", "--pidfile="+d.pidfile), d.pidfile)
	d.stop(t, syscall.SIGTERM)
	for _, f := range []string{d.sock, d.pidfile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Fatalf("%s left after SIGTERM (%v)", f, err)
		}
	}
	r := d.run(t, "ls-list")
	mustFail(t, r, "cannot reach the daemon at "+d.sock)

	d2 := startNbDaemon(t, db)
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "s2"))
	mustFail(t, d2.run(t, "ls-add", "s1"), "s1: a switch with this name already exists")
	mustFail(t, d2.run(t, "ls-add", "s2"), "s2: a switch with this name already exists")
	d2.stop(t, syscall.SIGKILL)
	mustFail(t, d2.run(t, "ls-list"), "cannot reach the daemon at "+d2.sock)

	// The server restarts: the daemon reconnects and reloads its replica.
	d3 := startNbDaemon(t, db)
	mustOK(t, d3.run(t, "ls-add", "s3"))
	m := nb.Members[0]
	nb.StopMember(m)
	mustFail(t, d3.run(t, "-t", "1", "ls-add", "s4"))
	if err := nb.RestartMember(m); err != nil {
		t.Fatal(err)
	}
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "s5"))
	mustFail(t, d3.run(t, "ls-add", "s3"), "s3: a switch with this name already exists")
	mustFail(t, d3.run(t, "ls-add", "s5"), "s5: a switch with this name already exists")
	mustOK(t, d3.run(t, "ls-add", "s6"))
}
