package main

// These tests run the real dvr-nbctl binary (built once by
// ovsdbtest.NbctlBinary) as separate processes against real ovsdb-servers.
// Every run is bounded by ovsdbtest.NbctlHangGuard, a guard against hangs,
// never a timing assertion.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/pki"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveNbctlBinary()
	os.Exit(code)
}

const nbDB = "OVN_Northbound"

// readEP is an endpoint ovsdb-client can read from (the leader of a
// cluster, so that reads see every committed write).
func readEP(t *testing.T, s *ovsdbtest.Server) string {
	t.Helper()
	m := s.Leader()
	if m == nil {
		t.Fatal("no leader")
	}
	return "unix:" + m.Socket
}

// names returns the sorted name column of every row of table.
func names(t *testing.T, s *ovsdbtest.Server, table string) []string {
	t.Helper()
	var out []string
	for _, r := range ovsdbtest.SelectRows(t, readEP(t, s), nbDB, table, "name") {
		out = append(out, r["name"].(string))
	}
	slices.Sort(out)
	return out
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// mustFail asserts OVN's error contract: exit status 1, nothing on stdout,
// and exactly one stderr line "dvr-nbctl: ..." containing every want.
func mustFail(t *testing.T, r ovsdbtest.NbctlResult, want ...string) {
	t.Helper()
	if r.TimedOut {
		t.Fatalf("hung (killed after %v): %v", ovsdbtest.NbctlHangGuard, r)
	}
	if r.Code != 1 {
		t.Fatalf("want exit status 1: %v", r)
	}
	line, ok := strings.CutSuffix(r.Stderr, "\n")
	if !ok || strings.Contains(line, "\n") || !strings.HasPrefix(line, "dvr-nbctl: ") {
		t.Fatalf("want exactly one stderr line starting \"dvr-nbctl: \": %v", r)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("stderr %q does not name %q", line, w)
		}
	}
	if r.Stdout != "" {
		t.Errorf("stdout not empty on error: %q", r.Stdout)
	}
}

func mustOK(t *testing.T, r ovsdbtest.NbctlResult) ovsdbtest.NbctlResult {
	t.Helper()
	if r.TimedOut || r.Code != 0 {
		t.Fatalf("want success: %v", r)
	}
	return r
}

// closedPort returns a TCP port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestMainUsageErrors(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	missing := filepath.Join(t.TempDir(), "none.sock")
	port := closedPort(t)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown command", []string{db, "bogus-cmd"}, []string{"bogus-cmd"}},
		{"unknown command in chain", []string{db, "ls-list", "--", "frobnicate", "x"}, []string{"frobnicate"}},
		{"too few arguments", []string{db, "ls-add"}, []string{"ls-add"}},
		{"too many arguments", []string{db, "ls-add", "a", "b"}, []string{"ls-add"}},
		{"lrp-add too few", []string{db, "lrp-add", "r1", "p1", "00:00:00:00:00:01"}, []string{"lrp-add"}},
		{"lr-attach too few", []string{db, "lr-attach", "r1", "sw1", "p1", "00:00:00:00:00:01"}, []string{"lr-attach"}},
		{"bad --wait", []string{db, "--wait=soon", "ls-list"}, []string{"soon"}},
		{"bad --wait separate", []string{db, "--wait", "eventually", "ls-list"}, []string{"eventually"}},
		{"bad --format", []string{db, "--format=xml", "ls-list"}, []string{"xml"}},
		{"bad -f", []string{db, "-f", "csv", "ls-list"}, []string{"csv"}},
		{"negative --timeout", []string{db, "--timeout=-1", "ls-list"}, []string{"--timeout"}},
		{"option for the wrong command", []string{db, "--if-exists", "ls-add", "x"}, []string{"--if-exists"}},
		{"unknown per-command option", []string{db, "ls-list", "--", "--bogus-opt", "ls-add", "x"}, []string{"--bogus-opt"}},
		{"no command", []string{db}, []string{"missing command"}},
		{"empty chain element", []string{db, "ls-list", "--"}, []string{"missing command"}},
		{"unknown global option", []string{db, "--bogus-global", "ls-list"}, []string{"bogus-global"}},
		{"bad --timeout value", []string{db, "--timeout=soon", "ls-list"}, []string{"soon"}},
		{"no database", []string{"ls-list"}, []string{"DVR_NB_DB"}},
		{"bad endpoint", []string{"--db=http://x", "ls-list"}, []string{"http://x"}},
		{"missing unix socket", []string{"--db=unix:" + missing, "ls-list"}, []string{missing}},
		{"missing unix socket, writing", []string{"--db=unix:" + missing, "ls-add", "x"}, []string{missing}},
		{"closed tcp port", []string{fmt.Sprintf("--db=tcp:127.0.0.1:%d", port), "ls-list"}, []string{fmt.Sprintf("127.0.0.1:%d", port)}},
		{"every member unreachable", []string{fmt.Sprintf("--db=unix:%s,tcp:127.0.0.1:%d", missing, port), "ls-list"},
			[]string{missing, fmt.Sprintf("127.0.0.1:%d", port)}},
		{"closed tcp port, with --wait", []string{fmt.Sprintf("--db=tcp:127.0.0.1:%d", port), "--wait=hv", "sync"}, []string{fmt.Sprintf("127.0.0.1:%d", port)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mustFail(t, ovsdbtest.RunNbctl(t, c.args...), c.want...)
		})
	}
	// Nothing above wrote anything.
	if got := names(t, nb, "Logical_Switch"); len(got) != 0 {
		t.Fatalf("switches after failed commands: %q", got)
	}
}

func TestMainOptionPlacement(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))

	mustOK(t, ovsdbtest.RunNbctl(t, db, "--may-exist", "ls-add", "sw1"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--may-exist", "ls-add", "sw1"))
	// Global options after the per-command one still count as global.
	mustOK(t, ovsdbtest.RunNbctl(t, "--may-exist", db, "ls-add", "sw1"))
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"sw1"}) {
		t.Fatalf("switches: %q", got)
	}
	mustFail(t, ovsdbtest.RunNbctl(t, db, "ls-add", "sw1"), "sw1", "already exists")

	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "b"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "a", "--", "--may-exist", "ls-add", "b"))
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"a", "b", "sw1"}) {
		t.Fatalf("switches: %q", got)
	}
	// The chain is atomic: the first command's switch is not created when a
	// later one fails.
	mustFail(t, ovsdbtest.RunNbctl(t, db, "ls-add", "c", "--", "ls-add", "b"), "b")
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"a", "b", "sw1"}) {
		t.Fatalf("switches after a failed chain: %q", got)
	}

	mustOK(t, ovsdbtest.RunNbctl(t, db, "--if-exists", "ls-del", "nosuch"))
	mustFail(t, ovsdbtest.RunNbctl(t, db, "ls-del", "nosuch"), "nosuch")
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-list", "--", "--if-exists", "lsp-del", "nosuch", "--", "--if-exists", "lr-del", "nosuch"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--may-exist", "lr-add", "r1", "--", "--may-exist", "lr-add", "r1"))
	if got := names(t, nb, "Logical_Router"); !slices.Equal(got, []string{"r1"}) {
		t.Fatalf("routers: %q", got)
	}
	// A leading "--" before the first command is accepted, as ovn-nbctl does.
	out := mustOK(t, ovsdbtest.RunNbctl(t, db, "--", "ls-list")).Stdout
	if !strings.Contains(out, "(sw1)\n") {
		t.Fatalf("ls-list: %q", out)
	}
}

func TestMainDBFromEnvironment(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	env := []string{"DVR_NB_DB=" + nb.Endpoint()}
	mustOK(t, ovsdbtest.RunNbctlEnv(t, env, "ls-add", "fromenv"))
	out := mustOK(t, ovsdbtest.RunNbctlEnv(t, env, "ls-list")).Stdout
	if !strings.HasSuffix(out, " (fromenv)\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("ls-list via DVR_NB_DB: %q", out)
	}

	// --db overrides DVR_NB_DB, both ways.
	missing := filepath.Join(t.TempDir(), "none.sock")
	bad := []string{"DVR_NB_DB=unix:" + missing}
	mustOK(t, ovsdbtest.RunNbctlEnv(t, bad, "--db="+nb.Endpoint(), "ls-add", "fromflag"))
	mustOK(t, ovsdbtest.RunNbctlEnv(t, bad, "--db", nb.Endpoint(), "ls-add", "fromflag2"))
	mustFail(t, ovsdbtest.RunNbctlEnv(t, env, "--db=unix:"+missing, "ls-add", "nowhere"), missing)
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"fromenv", "fromflag", "fromflag2"}) {
		t.Fatalf("switches: %q", got)
	}
}

func TestMainRaftFollowerFirst(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3))
	leader := nb.Leader()
	var followers []string
	for _, m := range nb.Members {
		if m != leader {
			followers = append(followers, "unix:"+m.Socket)
		}
	}
	// Followers first, the leader last: dvr-nbctl must find the leader.
	db := "--db=" + strings.Join(append(followers, "unix:"+leader.Socket), ",")
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "sw1", "--", "lsp-add", "sw1", "vm1",
		"--", "lsp-set-addresses", "vm1", "00:00:00:00:01:01 10.0.1.11"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "lr-add", "r1", "--", "lr-attach", "r1", "sw1", "r1-sw1", "00:00:00:00:ff:01", "10.0.1.1/24"))
	if got := names(t, nb, "Logical_Switch_Port"); !slices.Equal(got, []string{"sw1-r1", "vm1"}) {
		t.Fatalf("ports on the leader: %q", got)
	}
	out := mustOK(t, ovsdbtest.RunNbctl(t, db, "lsp-get-addresses", "vm1")).Stdout
	if out != "00:00:00:00:01:01 10.0.1.11\n" {
		t.Fatalf("lsp-get-addresses: %q", out)
	}
	// A follower alone is refused clearly (leader-only), without hanging.
	mustFail(t, ovsdbtest.RunNbctl(t, "--db="+followers[0], "ls-add", "sw2"), strings.TrimPrefix(followers[0], "unix:"))
	// Every member's data agrees once replicated: read a follower directly.
	for _, m := range nb.Members {
		if m == leader {
			continue
		}
		f := "unix:" + m.Socket
		var got []string
		for range 100 {
			got = nil
			for _, r := range ovsdbtest.SelectRows(t, f, nbDB, "Logical_Switch", "name") {
				got = append(got, r["name"].(string))
			}
			if slices.Equal(got, []string{"sw1"}) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !slices.Equal(got, []string{"sw1"}) {
			t.Fatalf("follower %d switches: %q", m.Index, got)
		}
	}

	// The leader goes away: with the dead member listed first, dvr-nbctl
	// skips it and writes through the newly elected leader.
	nb.StopMember(leader)
	if err := nb.WaitLeader(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	db = "--db=" + strings.Join(append([]string{"unix:" + leader.Socket}, followers...), ",")
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "after-failover"))
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"after-failover", "sw1"}) {
		t.Fatalf("switches after failover: %q", got)
	}
}

func TestMainSSL(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t, ovsdbtest.WithSSL())
	p := nb.PKI
	db := "--db=" + nb.SSLEndpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "-p", p.ClientKey, "-c", p.ClientCert, "-C", p.CACert, "init"))
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--private-key="+p.ClientKey, "--certificate="+p.ClientCert,
		"--ca-cert="+p.CACert, "ls-add", "secure"))
	out := mustOK(t, ovsdbtest.RunNbctl(t, db, "-p", p.ClientKey, "-c", p.ClientCert, "-C", p.CACert, "ls-list")).Stdout
	if !strings.HasSuffix(out, " (secure)\n") {
		t.Fatalf("ls-list over SSL: %q", out)
	}
	// Missing --ca-cert: a clear error naming the option.
	mustFail(t, ovsdbtest.RunNbctl(t, db, "-p", p.ClientKey, "-c", p.ClientCert, "ls-add", "x"), "--ca-cert")
	// No PKI at all.
	mustFail(t, ovsdbtest.RunNbctl(t, db, "ls-list"), "ssl")
	// A CA file that does not exist is named.
	nofile := filepath.Join(t.TempDir(), "nocacert.pem")
	mustFail(t, ovsdbtest.RunNbctl(t, db, "-p", p.ClientKey, "-c", p.ClientCert, "-C", nofile, "ls-list"), nofile)
	// The wrong CA (another PKI's, which did not sign the server's
	// certificate): it does not verify; an error, not a hang.
	other, err := pki.New(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	mustFail(t, ovsdbtest.RunNbctl(t, db, "-p", p.ClientKey, "-c", p.ClientCert, "-C", other.CACert, "ls-list"),
		strings.TrimPrefix(nb.SSLEndpoint(), "--db="))
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"secure"}) {
		t.Fatalf("switches: %q", got)
	}
}

// A 3-member cluster over SSL, followers listed first.
func TestMainSSLRaftFollowerFirst(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3), ovsdbtest.WithSSL())
	leader := nb.Leader()
	var eps []string
	for _, m := range nb.Members {
		if m != leader {
			eps = append(eps, fmt.Sprintf("ssl:127.0.0.1:%d", m.SSLPort))
		}
	}
	eps = append(eps, fmt.Sprintf("ssl:127.0.0.1:%d", leader.SSLPort))
	p := nb.PKI
	pki := []string{"-p", p.ClientKey, "-c", p.ClientCert, "-C", p.CACert}
	db := "--db=" + strings.Join(eps, ",")
	mustOK(t, ovsdbtest.RunNbctl(t, append([]string{db}, append(pki, "init", "--", "ls-add", "sslraft")...)...))
	if got := names(t, nb, "Logical_Switch"); !slices.Equal(got, []string{"sslraft"}) {
		t.Fatalf("switches: %q", got)
	}
}

// silentServer accepts TCP connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// A server that accepts but never speaks OVSDB is an error, not a hang:
// with --timeout, and with the built-in connect limit (10 s) without one.
func TestMainSilentServer(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	for _, args := range [][]string{
		{"--db=tcp:" + addr, "--timeout=1", "ls-list"},
		{"--db=tcp:" + addr, "ls-add", "x"},
	} {
		r := ovsdbtest.RunNbctl(t, args...)
		mustFail(t, r, addr)
	}
}

// The database going away while dvr-nbctl waits for northd is an error,
// not a hang.
func TestWaitDatabaseGoesAway(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	p := startNbctl(t, db, "--wait=sb", "ls-add", "w1")
	waitNbCfg(t, nb, 0, p)
	nb.StopMember(nb.Members[0])
	mustFail(t, p.wait())
}
