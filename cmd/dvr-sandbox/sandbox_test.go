package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/nbctl"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveBinaries()
	os.Exit(code)
}

// The demo's Go part end to end: real NB, SB and dvr-northd with the seed
// topology, `dvr-sandbox up` (underlay, hv1..hv3, a dvr-chassis in each,
// the seed VMs plugged per placement.json), every port up and --wait=hv,
// then `ping` walks an ICMP echo and its reply hop by hop and checks them
// (exit 0), `show` and `exec` see the router namespace; a dvr-chassis
// killed is restarted, keeps its namespaces and the packet still goes;
// SIGTERM leaves no process, namespace, mount or directory behind.
func TestSandboxUpPingDown(t *testing.T) {
	hvtest.Require(t) // root and OVS; under CI=true it fails instead of skipping
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	nbrun := func(timeout time.Duration, args ...string) (string, error) {
		var b bytes.Buffer
		o := nbctl.Options{DB: nb.Endpoint(), Stdout: &b, Timeout: timeout}
		for len(args) > 0 && strings.HasPrefix(args[0], "--wait=") {
			o.Wait, args = strings.TrimPrefix(args[0], "--wait="), args[1:]
		}
		err := nbctl.Run(context.Background(), o, args)
		return b.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := nbrun(30*time.Second, args...)
		if err != nil {
			t.Fatalf("dvr-nbctl %q: %v", args, err)
		}
		return out
	}
	must("init")
	ovsdbtest.StartDaemon(t, "dvr-northd", "--nb", nb.Endpoint(), "--sb", sb.Endpoint())
	for _, b := range fixtures.NbctlBatches(fixtures.Seed()) {
		must(b...)
	}
	sandbox := ovsdbtest.Binary(t, "dvr-sandbox")
	run := t.TempDir()
	var log bytes.Buffer
	up := exec.Command(sandbox, "up", "--run", run, "--sb", sb.Endpoint(),
		"--chassis", ovsdbtest.Binary(t, "dvr-chassis"), "--pidfile", filepath.Join(run, "sandbox.pid"))
	up.Stdout, up.Stderr = &log, &log
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	t.Cleanup(func() {
		if up.ProcessState == nil {
			_ = up.Process.Signal(syscall.SIGTERM)
			<-exited
		}
		if t.Failed() {
			t.Logf("dvr-sandbox up:\n%s", log.String())
		}
	})
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(statePath(run)); err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("dvr-sandbox up exited: %v", err)
		default:
		}
		if time.Now().After(end) {
			t.Fatal("no sandbox.json within 60 s")
		}
	}
	st, err := readState(run)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.HVs) != 3 || st.Pid != up.Process.Pid {
		t.Fatalf("state: %d hypervisors, pid %d (want 3, %d)", len(st.HVs), st.Pid, up.Process.Pid)
	}
	for _, p := range []string{"vm11", "vm21", "vm12", "vm22"} {
		for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if out, _ := nbrun(5*time.Second, "lsp-get-up", p); out == "up\n" {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("%s never up", p)
			}
		}
	}
	must("--wait=hv", "sync")

	sub := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(sandbox, append([]string{args[0], "--run", run}, args[1:]...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dvr-sandbox %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := sub("ping", "--dvr-trace", ovsdbtest.Binary(t, "dvr-trace"))
	for _, want := range []string{
		"ICMP echo vm11 (10.0.1.11 on hv1, sw1) → vm22 (10.0.2.12 on hv3, sw2)",
		"hv1's wire, out", "(hv1's DVR MAC) > fa:16:3e:00:02:0c (vm22)  ttl 63: routed on hv1  [ok]",
		"vm22 receives          fa:16:3e:00:ff:02 (r1's gateway MAC on sw2)",
		"(hv3's DVR MAC) > fa:16:3e:00:01:0b (vm11)  ttl 63: routed on hv3  [ok]",
		"=> left via vx-c0a80003 to chassis hv3",
		"ok: routed once on each side",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ping output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "  [ok]\n"); n != 8 {
		t.Errorf("ping: %d hops ok, want 8:\n%s", n, out)
	}
	out = sub("show", "hv1")
	for _, want := range []string{"DVR MAC: fa:16:3f:", "hosted routers: r1", "DVR_PROCESS(1)", "UCAST_TO_TUN(20)",
		"qrouter-", "fa:16:3e:00:ff:02  10.0.2.1/24", "lladdr fa:16:3e:00:02:0c PERMANENT"} {
		if !strings.Contains(out, want) {
			t.Errorf("show hv1 lacks %q:\n%s", want, out)
		}
	}
	if out := sub("vms"); out != "vm11 hv1\nvm21 hv1\nvm12 hv2\nvm22 hv3\n" {
		t.Errorf("vms: %q, want the seed placement", out)
	}
	nss := sub("exec", "hv1", "ip", "netns", "list")
	if !strings.Contains(nss, "qrouter-") {
		t.Fatalf("exec hv1 ip netns list: %q, want a qrouter namespace", nss)
	}

	// A dvr-chassis killed is started again; its namespaces stayed (the
	// holder keeps them) and the packet still goes.
	old := st.HVs[0].Chassis
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if s, err := readState(run); err == nil && s.HVs[0].Chassis != old {
			st = s
			break
		}
		if time.Now().After(end) {
			t.Fatal("hv1's dvr-chassis not restarted within 20 s")
		}
	}
	if got := sub("exec", "hv1", "ip", "netns", "list"); got != nss {
		t.Errorf("hv1's namespaces after a chassis restart: %q, want %q", got, nss)
	}
	must("--wait=hv", "sync")
	if out := sub("ping", "--trace=false"); strings.Count(out, "  [ok]\n") != 8 {
		t.Errorf("ping after hv1's chassis restart:\n%s", out)
	}

	// plug: a new NB port on hv2, its packets routed to vm22 on hv3 and
	// back; unplug releases it; vm22 moved to hv2 by unplug and plug.
	must("--wait=sb", "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13")
	if out := sub("plug", "hv2", "vm13"); !strings.Contains(out, "vm13 is up, bound to hv2") {
		t.Errorf("plug hv2 vm13: %s", out)
	}
	if out := sub("vms"); out != "vm11 hv1\nvm21 hv1\nvm12 hv2\nvm13 hv2\nvm22 hv3\n" {
		t.Errorf("vms after plug: %q", out)
	}
	if out := sub("exec", "hv2", "ovs-vsctl", "get", "Interface", "vm13", "type", "external_ids:iface-id"); out != "dummy\nvm13\n" {
		t.Errorf("vm13's interface on hv2: %q", out)
	}
	if out := sub("ping", "--from", "vm13", "--to", "vm22", "--trace=false"); strings.Count(out, "  [ok]\n") != 8 ||
		!strings.Contains(out, "routed on hv2  [ok]") {
		t.Errorf("ping vm13 → vm22:\n%s", out)
	}
	if out, err := exec.Command(sandbox, "plug", "--run", run, "hv1", "vm13").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "plugged on hv2 already") {
		t.Errorf("a second plug of vm13: %v: %s", err, out)
	}
	if out, err := exec.Command(sandbox, "plug", "--run", run, "hv1", "nosuch").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "no Port_Binding nosuch") {
		t.Errorf("plug of a port the NB does not have: %v: %s", err, out)
	}
	sub("unplug", "vm13")
	if out := sub("exec", "hv2", "ovs-vsctl", "list-ports", "br-int"); strings.Contains(out, "vm13") {
		t.Errorf("vm13 still on hv2's br-int: %s", out)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out, _ := nbrun(5*time.Second, "lsp-get-up", "vm13"); out == "down\n" {
			break
		}
		if time.Now().After(end) {
			t.Fatal("vm13 still up 20 s after unplug")
		}
	}
	sub("unplug", "vm22")
	sub("plug", "hv2", "vm22")
	must("--wait=hv", "sync")
	if out := sub("ping", "--trace=false"); strings.Count(out, "  [ok]\n") != 8 || !strings.Contains(out, "hv2's wire, in") {
		t.Errorf("ping vm11 → vm22 after its move to hv2:\n%s", out)
	}
	if st, err = readState(run); err != nil {
		t.Fatal(err)
	}

	// SIGTERM: everything it made goes.
	if err := up.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("dvr-sandbox up after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dvr-sandbox up still running 30 s after SIGTERM")
	}
	leftovers(t, st, run)
}

// leftovers fails the test for any process, namespace, mount or file of
// the sandbox still there.
func leftovers(t *testing.T, st *State, run string) {
	t.Helper()
	tag := "hvt" + strconv.Itoa(st.Pid) + "-"
	all := append([]HVState{st.Underlay}, st.HVs...)
	for _, hv := range all {
		if hv.Holder != 0 && syscall.Kill(hv.Holder, 0) == nil {
			t.Errorf("%s: holder pid %d still runs", hv.Name, hv.Holder)
		}
		if hv.Chassis != 0 && syscall.Kill(hv.Chassis, 0) == nil {
			t.Errorf("%s: dvr-chassis pid %d still runs", hv.Name, hv.Chassis)
		}
		if _, err := os.Stat(hv.Dir); err == nil {
			t.Errorf("%s: %s still there", hv.Name, hv.Dir)
		}
		if _, err := os.Lstat(filepath.Join(run, hv.Name)); err == nil && hv.Name != "underlay" {
			t.Errorf("%s: link in the run dir still there", hv.Name)
		}
	}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tag) {
			t.Errorf("namespace %s still there", e.Name())
		}
	}
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), tag) {
		t.Errorf("mounts of the sandbox still there:\n%s", grep(string(b), tag))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(tag)) {
			t.Errorf("process %s still runs: %s", filepath.Base(filepath.Dir(p)), bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	for _, f := range []string{statePath(run), filepath.Join(run, "sandbox.pid"), journalPath(run), filepath.Join(run, "sandbox.lock")} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s still there", f)
		}
	}
}

func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
