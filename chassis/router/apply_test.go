package router_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/hvtest"
)

const (
	sysID = "hv1-sysid"
	lrp1  = "aaaaaaaa-1111-4000-8000-000000000001"
	lrp2  = "bbbbbbbb-2222-4000-8000-000000000002"
	rtr   = "11111111-0000-4000-8000-00000000000r"
	dev1  = "qr-aaaaaaaa-11"
	dev2  = "qr-bbbbbbbb-22"
	nsR   = "qrouter-" + rtr
)

type fixture struct {
	t   *testing.T
	hv  *hvtest.HV
	exe string
	dir string
	n   int
}

func newFixture(t *testing.T) *fixture {
	hvtest.Require(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hv := hvtest.Start(t, "hv")
	hv.MustVsctl("--may-exist", "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")
	return &fixture{t: t, hv: hv, exe: exe, dir: t.TempDir()}
}

// apply runs one applier process inside the hypervisor and returns its changes.
func (f *fixture) apply(in router.Input) []string {
	f.t.Helper()
	f.n++
	inPath := filepath.Join(f.dir, "in.json")
	outPath := filepath.Join(f.dir, "out.json")
	b, _ := json.Marshal(in)
	if err := os.WriteFile(inPath, b, 0o644); err != nil {
		f.t.Fatal(err)
	}
	out := f.hv.MustExec(f.exe, "router-helper", inPath, sysID, outPath)
	var res router.Result
	b, err := os.ReadFile(outPath)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		f.t.Fatal(err)
	}
	f.t.Logf("apply %d: %d changes %v\n%s", f.n, len(res.Changes), res.Changes, out)
	return res.Changes
}

func (f *fixture) ip(args ...string) string {
	f.t.Helper()
	return f.hv.MustExec("ip", args...)
}

func (f *fixture) namespaces() string { return f.ip("netns", "list") }

func (f *fixture) mustContain(what, out string, subs ...string) {
	f.t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			f.t.Errorf("%s: want %q in:\n%s", what, s, out)
		}
	}
}

func (f *fixture) mustNotContain(what, out string, subs ...string) {
	f.t.Helper()
	for _, s := range subs {
		if strings.Contains(out, s) {
			f.t.Errorf("%s: %q should be gone:\n%s", what, s, out)
		}
	}
}

func twoInterfaces() router.Input {
	return router.Input{UnderlayMTU: 1500, Routers: []router.Router{{
		UUID: rtr,
		Interfaces: []router.Interface{
			{LRP: lrp1, MAC: "fa:16:3e:00:01:01", Addrs: []string{"10.1.0.1/24", "fd00:1::1/64"}, VLAN: 1},
			{LRP: lrp2, MAC: "fa:16:3e:00:02:01", Addrs: []string{"10.2.0.1/24", "10.22.0.1/16"}, VLAN: 2},
		},
		Ports: []router.VMPort{
			{Name: "vm1", MAC: "fa:16:3e:00:00:01", IPs: []string{"10.1.0.11"}},
			{Name: "vm2", MAC: "fa:16:3e:00:00:02", IPs: []string{"10.2.0.12", "10.22.3.4"}},
		},
	}}}
}

func TestRouterLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A foreign qrouter namespace, and a stale one from a killed run of
	// ours (its only device carries our mark).
	f.ip("netns", "add", "qrouter-x")
	f.ip("netns", "add", "qrouter-stale")
	f.ip("link", "add", "qo-stale00000", "type", "veth", "peer", "name", "qr-stale00000", "netns", "qrouter-stale")
	f.ip("-n", "qrouter-stale", "link", "set", "qr-stale00000", "alias", router.Mark(sysID))

	in := twoInterfaces()
	if ch := f.apply(in); len(ch) == 0 {
		t.Fatal("first apply changed nothing")
	}
	ns := f.namespaces()
	f.mustContain("namespaces", ns, nsR, "qrouter-x")
	f.mustNotContain("namespaces", ns, "qrouter-stale")

	for key, want := range map[string]string{
		"net/ipv4/ip_forward": "1", "net/ipv4/conf/all/arp_ignore": "1", "net/ipv4/conf/all/arp_announce": "2",
		"net/ipv6/conf/all/disable_ipv6": "1", "net/ipv6/conf/" + dev1 + "/disable_ipv6": "1",
	} {
		got := strings.TrimSpace(f.ip("netns", "exec", nsR, "cat", "/proc/sys/"+key))
		if got != want {
			t.Errorf("sysctl %s = %q, want %q", key, got, want)
		}
	}
	l1 := f.ip("-n", nsR, "-d", "addr", "show", "dev", dev1)
	f.mustContain(dev1, l1, "link/ether fa:16:3e:00:01:01", "mtu 1450", "state UP", "inet 10.1.0.1/24", "alias "+router.Mark(sysID))
	f.mustNotContain(dev1, l1, "inet6")
	l2 := f.ip("-n", nsR, "-d", "addr", "show", "dev", dev2)
	f.mustContain(dev2, l2, "link/ether fa:16:3e:00:02:01", "mtu 1450", "state UP", "inet 10.2.0.1/24", "inet 10.22.0.1/16")
	nb := f.ip("-n", nsR, "neigh", "show")
	f.mustContain("neigh", nb,
		"10.1.0.11 dev "+dev1+" lladdr fa:16:3e:00:00:01 PERMANENT",
		"10.2.0.12 dev "+dev2+" lladdr fa:16:3e:00:00:02 PERMANENT",
		"10.22.3.4 dev "+dev2+" lladdr fa:16:3e:00:00:02 PERMANENT")
	if tag := strings.TrimSpace(f.hv.MustVsctl("get", "Port", "qo-aaaaaaaa-11", "tag")); tag != "1" {
		t.Errorf("qo-aaaaaaaa-11 tag %q", tag)
	}
	if ext := f.hv.MustVsctl("get", "Interface", "qo-bbbbbbbb-22", "external_ids"); !strings.Contains(ext, "dvr-chassis-owner") || strings.Contains(ext, "iface-id") {
		t.Errorf("qo-bbbbbbbb-22 external_ids %s", ext)
	}

	// A foreign device in our namespace is left alone.
	f.ip("link", "add", "foreign1", "type", "veth", "peer", "name", "foreign0", "netns", nsR)

	// Restart idempotence: a second process on the same input changes nothing.
	snap := func() string {
		return f.ip("-n", nsR, "-d", "addr") + f.ip("-n", nsR, "neigh") + f.namespaces()
	}
	before := snap()
	if ch := f.apply(in); len(ch) != 0 {
		t.Errorf("second apply changed %v", ch)
	}
	if after := snap(); after != before {
		t.Errorf("state changed on an unchanged input:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// vm2 changes its IP and MAC: no stale entry survives.
	in.Routers[0].Ports[1] = router.VMPort{Name: "vm2", MAC: "fa:16:3e:00:00:22", IPs: []string{"10.2.0.13", "10.22.3.4"}}
	f.apply(in)
	nb = f.ip("-n", nsR, "neigh", "show")
	f.mustContain("neigh after change", nb,
		"10.2.0.13 dev "+dev2+" lladdr fa:16:3e:00:00:22 PERMANENT",
		"10.22.3.4 dev "+dev2+" lladdr fa:16:3e:00:00:22 PERMANENT")
	f.mustNotContain("neigh after change", nb, "10.2.0.12", "fa:16:3e:00:00:02 ")

	// The first interface changes its gateway MAC, address and VLAN.
	in.Routers[0].Interfaces[0].MAC = "fa:16:3e:00:01:99"
	in.Routers[0].Interfaces[0].Addrs = []string{"10.1.0.254/24"}
	in.Routers[0].Interfaces[0].VLAN = 7
	f.apply(in)
	l1 = f.ip("-n", nsR, "-d", "addr", "show", "dev", dev1)
	f.mustContain(dev1, l1, "link/ether fa:16:3e:00:01:99", "state UP", "inet 10.1.0.254/24")
	f.mustNotContain(dev1, l1, "10.1.0.1/")
	f.mustContain("neigh", f.ip("-n", nsR, "neigh"), "10.1.0.11 dev "+dev1+" lladdr fa:16:3e:00:00:01 PERMANENT")
	if tag := strings.TrimSpace(f.hv.MustVsctl("get", "Port", "qo-aaaaaaaa-11", "tag")); tag != "7" {
		t.Errorf("qo-aaaaaaaa-11 tag %q after the VLAN change", tag)
	}

	// An interface goes: its device, entries and OVS port go.
	in.Routers[0].Interfaces = in.Routers[0].Interfaces[:1]
	f.apply(in)
	links := f.ip("-n", nsR, "link")
	f.mustNotContain("links", links, dev2)
	f.mustContain("links", links, dev1, "foreign0")
	f.mustNotContain("neigh", f.ip("-n", nsR, "neigh"), "10.2.0.13", "10.22.3.4")
	f.mustNotContain("br-int", f.hv.MustVsctl("list-ports", "br-int"), "qo-bbbbbbbb-22")

	// The router goes. The namespace still holds foreign0: our device and
	// port go, the namespace stays; once foreign0 is gone, so is it.
	in.Routers = nil
	f.apply(in)
	f.mustNotContain("links", f.ip("-n", nsR, "link"), dev1)
	f.mustNotContain("br-int", f.hv.MustVsctl("list-ports", "br-int"), "qo-")
	f.ip("-n", nsR, "link", "del", "foreign0")
	f.apply(in)
	ns = f.namespaces()
	f.mustNotContain("namespaces", ns, nsR)
	f.mustContain("namespaces", ns, "qrouter-x")
}
