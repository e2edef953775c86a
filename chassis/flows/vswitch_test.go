package flows

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// vswitch is one ovsdb-server and one ovs-vswitchd --enable-dummy
// --disable-system in a temp dir, children of the test (Pdeathsig),
// stopped by pid. Bridges use datapath_type=dummy: no kernel device, no
// root, nothing shared with other tests.
type vswitch struct {
	t    *testing.T
	dir  string
	db   string // unix socket
	ctl  string // ovs-vswitchd's unixctl socket
	proc []*exec.Cmd
}

func startVswitch(t *testing.T) *vswitch {
	t.Helper()
	ovsdbtest.RequireBinaries(t, "ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl")
	schema := "/usr/share/openvswitch/vswitch.ovsschema"
	if _, err := os.Stat(schema); err != nil {
		schema = "../../schema/vswitch.ovsschema"
	}
	dir, err := os.MkdirTemp("", "fl") // short: unix socket paths
	if err != nil {
		t.Fatal(err)
	}
	v := &vswitch{t: t, dir: dir, db: filepath.Join(dir, "db.sock"), ctl: filepath.Join(dir, "vs.ctl")}
	t.Cleanup(v.stop)
	if out, err := exec.Command("ovsdb-tool", "create", filepath.Join(dir, "conf.db"), schema).CombinedOutput(); err != nil {
		t.Fatalf("ovsdb-tool create: %v: %s", err, out)
	}
	v.start("ovsdb-server", filepath.Join(dir, "conf.db"), "--remote=punix:"+v.db,
		"--unixctl="+filepath.Join(dir, "db.ctl"), "--log-file="+filepath.Join(dir, "db.log"), "--no-chdir", "-vconsole:off")
	waitUnix(t, v.db)
	v.vsctl("--no-wait", "init")
	v.start("ovs-vswitchd", "unix:"+v.db, "--enable-dummy", "--disable-system", "--unixctl="+v.ctl,
		"--log-file="+filepath.Join(dir, "vs.log"), "--no-chdir", "-vconsole:off")
	waitUnix(t, v.ctl)
	return v
}

func (v *vswitch) start(prog string, args ...string) {
	cmd := exec.Command(prog, args...)
	cmd.Env = v.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		v.t.Fatalf("start %s: %v", prog, err)
	}
	v.proc = append(v.proc, cmd)
}

// stop stops our processes by pid, the switch first, and removes the dir.
func (v *vswitch) stop() {
	for i := len(v.proc) - 1; i >= 0; i-- {
		p := v.proc[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	v.proc = nil
	if v.t.Failed() {
		for _, l := range []string{"vs.log", "db.log"} {
			b, _ := os.ReadFile(filepath.Join(v.dir, l))
			v.t.Logf("%s:\n%s", l, b)
		}
	}
	_ = os.RemoveAll(v.dir)
}

// env points the OVS tools at this instance (ovs-ofctl finds
// <bridge>.mgmt in OVS_RUNDIR).
func (v *vswitch) env() []string {
	return append(os.Environ(), "OVS_RUNDIR="+v.dir, "OVS_LOGDIR="+v.dir, "OVS_DBDIR="+v.dir, "OVS_SYSCONFDIR="+v.dir)
}

func (v *vswitch) run(prog string, args ...string) string {
	v.t.Helper()
	out, err := v.try(prog, args...)
	if err != nil {
		v.t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	return out
}

func (v *vswitch) try(prog string, args ...string) (string, error) {
	cmd := exec.Command(prog, args...)
	cmd.Env = v.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (v *vswitch) vsctl(args ...string) string {
	return v.run("ovs-vsctl", append([]string{"--db=unix:" + v.db, "--timeout=20"}, args...)...)
}

func (v *vswitch) appctl(args ...string) string {
	return v.run("ovs-appctl", append([]string{"-t", v.ctl}, args...)...)
}

func (v *vswitch) ofctl(args ...string) string {
	return v.run("ovs-ofctl", append([]string{"-O", "OpenFlow13"}, args...)...)
}

func waitUnix(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s not ready", path)
}

// buildChassis makes br-int and br-tun for one chassis' Input, with every
// ofport the Input names (ofport_request) and the VM and qr- ports tagged
// with their network's VLAN, plus an underlay bridge br-phy holding the
// chassis' encap IP so that tunnel output resolves to tnl_push.
func (v *vswitch) buildChassis(in Input, encapIP string, remotes map[string]string) {
	v.t.Helper()
	vlan := map[uint32]uint16{}
	for _, n := range in.Networks {
		vlan[n.Key] = n.VLAN
	}
	args := []string{
		"--", "add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=dummy", "fail-mode=secure",
		"--", "add-br", "br-tun", "--", "set", "bridge", "br-tun", "datapath_type=dummy", "fail-mode=secure",
		"--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=dummy",
		"other-config:hwaddr=02:00:00:00:00:01",
	}
	port := func(br string, p Port, extra ...string) {
		args = append(args, "--", "add-port", br, p.Name)
		args = append(args, extra...)
		args = append(args, "--", "set", "Interface", p.Name, fmt.Sprintf("ofport_request=%d", p.OfPort))
	}
	port("br-int", in.PatchTun)
	args = append(args, "type=patch", "options:peer="+in.PatchInt.Name)
	port("br-tun", in.PatchInt)
	args = append(args, "type=patch", "options:peer="+in.PatchTun.Name)
	for _, i := range in.Interfaces {
		if i.Hosted {
			port("br-int", i.QR, fmt.Sprintf("tag=%d", vlan[i.Network]))
			args = append(args, "type=dummy")
		}
	}
	for _, p := range in.LocalPorts {
		port("br-int", p.Port, fmt.Sprintf("tag=%d", vlan[p.Network]))
		args = append(args, "type=dummy", "external_ids:iface-id="+p.Name)
	}
	for _, r := range in.Remotes {
		if r.Tunnel.Valid() {
			port("br-tun", r.Tunnel)
			args = append(args, "type=vxlan", "options:key=flow", "options:remote_ip="+r.EncapIP)
		}
	}
	args = append(args, "--", "add-port", "br-phy", "wire", "--", "set", "Interface", "wire", "type=dummy")
	v.vsctl(args...)
	// Every ofport is the one requested, or the flows would name others.
	check := func(p Port) {
		got := strings.TrimSpace(v.vsctl("get", "Interface", p.Name, "ofport"))
		if got != fmt.Sprint(p.OfPort) {
			v.t.Fatalf("%s: ofport %s, want %d", p.Name, got, p.OfPort)
		}
	}
	check(in.PatchTun)
	check(in.PatchInt)
	for _, p := range in.LocalPorts {
		check(p.Port)
	}
	v.appctl("netdev-dummy/ip4addr", "br-phy", encapIP+"/24")
	v.appctl("ovs/route/add", netip.MustParsePrefix(encapIP+"/24").Masked().String(), "br-phy")
	for ip, mac := range remotes {
		v.appctl("tnl/neigh/set", "br-phy", ip, mac)
	}
}
