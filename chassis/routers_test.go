package chassis_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// routerState renders every qrouter namespace of a hypervisor: its qr-
// devices (MAC, MTU, state, IPv4 addresses), their permanent neighbour
// entries, and the qo- ports on br-int with their tag. A namespace that
// goes while it is read is read again.
func (c *chassisRun) routerState() string {
	c.w.t.Helper()
	for i := 0; ; i++ {
		s, err := c.readRouterState()
		if err == nil || i == 20 {
			if err != nil {
				c.w.t.Fatal(err)
			}
			return s
		}
	}
}

func (c *chassisRun) readRouterState() (state string, err error) {
	must := func(name string, args ...string) string {
		out, err := c.hv.Exec(name, args...)
		if err != nil {
			panic(routerStateErr{fmt.Errorf("%v: %s", err, out)})
		}
		return out
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(routerStateErr)
			if !ok {
				panic(r)
			}
			err = e.error
		}
	}()
	return c.renderRouterState(must), nil
}

type routerStateErr struct{ error }

func (c *chassisRun) renderRouterState(must func(string, ...string) string) string {
	out, err := c.hv.Exec("ip", "netns", "list")
	if err != nil {
		c.w.t.Fatalf("%v: %s", err, out)
	}
	var nss []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], router.NSPrefix) {
			nss = append(nss, f[0])
		}
	}
	sort.Strings(nss)
	var b strings.Builder
	for _, ns := range nss {
		fmt.Fprintf(&b, "%s\n", ns)
		links := must("ip", "-n", ns, "-o", "link", "show")
		for _, l := range strings.Split(links, "\n") {
			f := strings.Fields(l)
			if len(f) < 2 || !strings.HasPrefix(f[1], router.DevPrefix) {
				continue
			}
			dev := strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]
			mtu, mac := field(f, "mtu"), field(f, "link/ether")
			addrs := strings.Fields(must("sh", "-c", "ip -n "+ns+" -4 -o addr show dev "+dev+" | awk '{print $4}'"))
			sort.Strings(addrs)
			fmt.Fprintf(&b, "  %s mac=%s mtu=%s addrs=%v\n", dev, mac, mtu, addrs)
			neigh := strings.Split(strings.TrimSpace(must("ip", "-n", ns, "neigh", "show", "dev", dev, "nud", "permanent")), "\n")
			sort.Strings(neigh)
			for _, n := range neigh {
				if n = strings.TrimSpace(n); n != "" {
					fmt.Fprintf(&b, "    %s\n", n)
				}
			}
		}
	}
	for _, p := range c.ports("br-int") {
		if strings.HasPrefix(p, router.OuterPrefix) {
			fmt.Fprintf(&b, "br-int %s tag=%s\n", p, c.get("Port", p, "tag"))
		}
	}
	return b.String()
}

func field(f []string, key string) string {
	for i := 0; i+1 < len(f); i++ {
		if f[i] == key {
			return f[i+1]
		}
	}
	return ""
}

// lrp is the NB UUIDs a router interface's Port_Binding carries.
func (w *world) lrp(name string) (router, lrp string) {
	w.t.Helper()
	var pbs []sbdb.PortBinding
	w.list(&pbs)
	for _, pb := range pbs {
		if pb.LogicalPort == name {
			return pb.ExternalIDs["logical-router"], pb.ExternalIDs["logical-router-port"]
		}
	}
	w.t.Fatalf("no Port_Binding %s", name)
	return "", ""
}

// The seed's router on two hypervisors: every chassis hosting r1 gets
// qrouter-<r1> with a qr- per interface (gateway MAC, IP/prefix, MTU
// underlay-50), a permanent ARP entry for every bound VM on its subnets
// wherever it is bound, and the qo- end on br-int tagged with the
// network's local VLAN; an interface removed takes its device, port and
// entries; a chassis that hosts the router no more loses the namespace; a
// restart changes nothing.
func TestRoutersFollowSB(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	hv1, hv2 := cs[0], cs[1]
	for _, c := range cs {
		c.start()
	}
	hv1.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	hv2.hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	w.waitBound("vm11", "hv1")
	w.waitBound("vm12", "hv2")
	r1, lrp1 := w.lrp("r1-sw1")
	_, lrp2 := w.lrp("r1-sw2")
	ns := router.NSName(r1)
	qr1, qr2 := router.DevName(lrp1), router.DevName(lrp2)
	want := func(c *chassisRun, withSW2VM bool) string {
		tag1 := c.get("Port", "vm11", "tag")
		if c == hv2 {
			tag1 = c.get("Port", "vm12", "tag")
		}
		sw2 := ""
		if withSW2VM {
			sw2 = "    10.0.2.11 lladdr fa:16:3e:00:02:0b PERMANENT\n"
		}
		devs := []string{
			"  " + qr1 + " mac=fa:16:3e:00:ff:01 mtu=1450 addrs=[10.0.1.1/24]\n" +
				"    10.0.1.11 lladdr fa:16:3e:00:01:0b PERMANENT\n" +
				"    10.0.1.12 lladdr fa:16:3e:00:01:0c PERMANENT\n",
			"  " + qr2 + " mac=fa:16:3e:00:ff:02 mtu=1450 addrs=[10.0.2.1/24]\n" + sw2,
		}
		sort.Strings(devs)
		s := ns + "\n" + strings.Join(devs, "")
		ports := []string{
			"br-int " + router.OuterName(qr1) + " tag=" + tag1,
			"br-int " + router.OuterName(qr2) + " tag=" + c.get("Port", router.OuterName(qr2), "tag"),
		}
		sort.Strings(ports)
		return s + strings.Join(ports, "\n") + "\n"
	}
	for _, c := range cs {
		eventually(t, c.hv.Name+" hosts r1", func() (bool, string) { g := c.routerState(); return g == want(c, false), g })
		if tag := c.get("Port", router.OuterName(qr2), "tag"); tag == "" || tag == "4095" || tag == c.get("Port", router.OuterName(qr1), "tag") {
			t.Errorf("%s: %s tag %q", c.hv.Name, router.OuterName(qr2), tag)
		}
	}
	// A VM on sw2: its entry appears on both hosts' qr- for sw2.
	hv1.hv.AddVMPort("vm21", "vm21", "fa:16:3e:00:02:0b")
	for _, c := range cs {
		eventually(t, c.hv.Name+" ARP entry for vm21", func() (bool, string) { g := c.routerState(); return g == want(c, true), g })
	}
	// A restart changes nothing.
	before := hv1.routerState()
	hv1.stop()
	hv1.start()
	w.nbctl("--wait=hv", "sync")
	if g := hv1.routerState(); g != before {
		t.Errorf("restart changed the router state:\n%s\nwas:\n%s", g, before)
	}
	// The interface on sw2 goes: its qr-, qo- and entries with it.
	w.nbctl("lrp-del", "r1-sw2")
	for _, c := range cs {
		eventually(t, c.hv.Name+" without r1-sw2", func() (bool, string) {
			g := c.routerState()
			return !strings.Contains(g, qr2) && !strings.Contains(g, router.OuterName(qr2)) && strings.Contains(g, qr1), g
		})
	}
	// hv2 loses its only VM: it hosts r1 no more.
	if out, err := hv2.hv.Vsctl("del-port", "br-int", "vm12"); err != nil {
		t.Fatal(err, out)
	}
	eventually(t, "hv2 without r1", func() (bool, string) { g := hv2.routerState(); return g == "", g })
	eventually(t, "hv1 without vm12's entry", func() (bool, string) {
		g := hv1.routerState()
		return !strings.Contains(g, "10.0.1.12") && strings.Contains(g, "10.0.1.11"), g
	})
}

// Seed scenario 2 with the chassis running: a distributed router created,
// even with interfaces, changes nothing on a chassis with no VM on its
// subnets (no flow, no namespace), until a VM there is bound.
func TestRouterCreatedChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.start()
	c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	w.waitUp("vm11")
	w.nbctl("--wait=hv", "sync")
	before := c.dataplane()
	w.nbctl("--wait=hv", "lr-add", "r9", "--", "ls-add", "sw9",
		"--", "lr-attach", "r9", "sw9", "r9-sw9", "fa:16:3e:00:ff:09", "10.0.9.1/24",
		"--", "lsp-add", "sw9", "vm91", "--", "lsp-set-addresses", "vm91", "fa:16:3e:00:09:0b 10.0.9.11")
	time.Sleep(300 * time.Millisecond)
	if g := c.dataplane(); g != before {
		t.Errorf("a router with no VM bound here changed the dataplane:\n%s", diffLines(before, g))
	}
	c.hv.AddVMPort("vm91", "vm91", "fa:16:3e:00:09:0b")
	w.waitUp("vm91")
	eventually(t, "r9 hosted once vm91 is bound", func() (bool, string) {
		g := c.routersBrief()
		return strings.Contains(g, "r9:") && strings.Contains(g, "10.0.9.11"), g
	})
}
