package hvtest_test

import (
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

func TestStartOneHypervisor(t *testing.T) {
	t.Parallel()
	hv := hvtest.Start(t, "hv1", hvtest.EncapIP("192.168.0.1"))
	t.Logf("hv1 up in %v (netns %s, dir %s)", hv.BootTime(), hv.NetNS, hv.RunDir())
	out := hv.MustVsctl("get", "Open_vSwitch", ".", "external_ids")
	for _, want := range []string{`system-id=hv1`, `ovn-encap-ip="192.168.0.1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("external_ids %s lacks %s", out, want)
		}
	}
	// ovs-vswitchd runs in the hypervisor's netns: its datapath tap is there.
	hv.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev")
	if out := hv.MustExec("ip", "-br", "link"); !strings.Contains(out, "br-int") || !strings.Contains(out, "ovs-netdev") {
		t.Errorf("no br-int/ovs-netdev tap in the hypervisor's netns:\n%s", out)
	}
}

// ovs-vswitchd and ovsdb-server restart by pid on the same files and
// sockets: the bridges come back, the flows of a secure bridge do not.
func TestRestartDaemons(t *testing.T) {
	t.Parallel()
	hv := hvtest.Start(t, "hv")
	hv.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")
	hv.MustOfctl("add-flow", "br-int", "table=0,priority=5,actions=drop")
	vsPid, dbPid := hv.Vswitchd.Pid(), hv.DB.Pid()
	if err := hv.RestartDB(); err != nil {
		t.Fatal(err)
	}
	if err := hv.RestartVswitchd(); err != nil {
		t.Fatal(err)
	}
	if hv.Vswitchd.Pid() == vsPid || hv.DB.Pid() == dbPid {
		t.Errorf("pids unchanged after restart: vswitchd %d, ovsdb-server %d", vsPid, dbPid)
	}
	if out := hv.MustVsctl("list-br"); strings.TrimSpace(out) != "br-int" {
		t.Errorf("bridges after restart: %q", out)
	}
	if out := hv.MustOfctl("dump-flows", "br-int"); strings.Contains(out, "priority=5") {
		t.Errorf("a flow survived ovs-vswitchd's restart:\n%s", out)
	}
}
