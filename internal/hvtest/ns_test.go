package hvtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// waitFor polls cond every 20 ms for up to timeout.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// A namespace made by one process started through Exec is seen by the
// next one (the holder keeps the mount namespace), by no other hypervisor,
// and not in the host's /run/netns.
func TestExecNamespacesPersistAndStayPrivate(t *testing.T) {
	t.Parallel()
	hvs := hvtest.StartAll(t, []string{"a", "b"})
	a, b := hvs[0], hvs[1]
	// First "daemon run" on a: a router namespace with a veth into it.
	a.MustExec("sh", "-c", "ip netns add qrouter-r1 && ip netns exec qrouter-r1 ip link set lo up && "+
		"ip link add v-qr type veth peer name qr-1 netns qrouter-r1")
	// A later, separate process on a sees both.
	if out := a.MustExec("ip", "netns", "list"); !strings.Contains(out, "qrouter-r1") {
		t.Errorf("second process on a does not see qrouter-r1: %q", out)
	}
	if out := a.MustExec("ip", "-n", "qrouter-r1", "-br", "link", "show", "qr-1"); !strings.Contains(out, "qr-1") {
		t.Errorf("qr-1 not found in qrouter-r1: %q", out)
	}
	// The test process itself can look inside, through the holder.
	ns, err := netns.GetFromPath(a.NamespacePath("qrouter-r1"))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	nl, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	if _, err := nl.LinkByName("qr-1"); err != nil {
		t.Errorf("qr-1 through %s: %v", a.NamespacePath("qrouter-r1"), err)
	}
	if _, err := nl.LinkByName("v-qr"); err == nil {
		t.Errorf("v-qr (in a's netns) found in qrouter-r1")
	}
	// b has its own /run/netns: no qrouter-r1, and it can make its own.
	if out := b.MustExec("ip", "netns", "list"); strings.Contains(out, "qrouter-r1") {
		t.Errorf("b sees a's namespace: %q", out)
	}
	b.MustExec("ip", "netns", "add", "qrouter-r1")
	// The host sees neither.
	if _, err := os.Stat("/run/netns/qrouter-r1"); !os.IsNotExist(err) {
		t.Errorf("host /run/netns/qrouter-r1: %v (want: does not exist)", err)
	}
	// Nor does a process of a started without the holder's mount namespace.
	if out, _ := exec.Command("ip", "netns", "exec", a.NetNS, "ip", "netns", "list").CombinedOutput(); strings.Contains(string(out), "qrouter-r1") {
		t.Errorf("ip netns exec %s (host mount namespace) sees qrouter-r1: %q", a.NetNS, out)
	}
}

// The point issue 12 makes, checked: a process started in a mount
// namespace of its own (unshare -m ... exec dvr-chassis) takes its
// qrouter namespaces with it when it exits, veths included; one started
// through the holder (Exec, Spawn) does not.
func TestOwnMountNamespaceLosesNamespaces(t *testing.T) {
	t.Parallel()
	hv := hvtest.Start(t, "hv")
	gone := func(dev string) bool {
		_, err := hv.Exec("ip", "link", "show", dev)
		return err != nil
	}
	// Own mount namespace: the veth's outer end is in the hv netns, its
	// peer in qrouter-own, which only the process's mount keeps.
	out := hv.MustExec("unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs tmpfs /run/netns && ip netns add qrouter-own && "+
			"ip link add v-own type veth peer name qr-own netns qrouter-own && ip netns list")
	if !strings.Contains(out, "qrouter-own") {
		t.Fatalf("setup in own mount namespace: %q", out)
	}
	if !waitFor(5*time.Second, func() bool { return gone("v-own") }) {
		t.Errorf("v-own still exists 5s after its mount namespace's only process exited")
	}
	if out := hv.MustExec("ip", "netns", "list"); strings.Contains(out, "qrouter-own") {
		t.Errorf("qrouter-own visible through the holder: %q", out)
	}
	// Holder's mount namespace: the same steps, and everything stays.
	hv.MustExec("sh", "-c", "ip netns add qrouter-held && ip link add v-held type veth peer name qr-held netns qrouter-held")
	time.Sleep(500 * time.Millisecond) // the kernel frees a namespace asynchronously; give it the chance
	if gone("v-held") {
		t.Errorf("v-held vanished although the holder keeps qrouter-held")
	}
	// And Spawn: a "daemon" killed with -9 leaves its namespace for the next run.
	p := hv.Spawn("sh", "-c", "ip netns add qrouter-spawned && exec sleep 60")
	if !waitFor(5*time.Second, func() bool {
		out, _ := hv.Exec("ip", "netns", "list")
		return strings.Contains(out, "qrouter-spawned")
	}) {
		t.Fatal("qrouter-spawned never appeared")
	}
	p.Kill()
	if out := hv.MustExec("ip", "netns", "list"); !strings.Contains(out, "qrouter-spawned") {
		t.Errorf("qrouter-spawned gone after the spawned process was killed: %q", out)
	}
}
