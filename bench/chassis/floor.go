package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/ofctrl"
	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// floorResult is the least the same work can cost: each part done by a
// trivial client, one after the other.
type floorResult struct {
	sbRead   time.Duration // the tables dvr-chassis monitors, all columns, one select each in one transaction
	sbRows   int
	flows    time.Duration // every flow of ours dvr-chassis installed, one bundle per bridge on a fresh persistent connection
	nflows   map[string]int
	netlink  time.Duration // namespaces (+ sysctls), veth pairs, addresses, neighbour entries
	neigh    int
	ovsPorts time.Duration // the OVS ports dvr-chassis adds (qo- ends, br-tun, patch, vx-) in one transaction → ovs-vswitchd applied it
	nports   int
}

func (f floorResult) total() time.Duration { return f.sbRead + f.flows + f.netlink + f.ovsPorts }

// noOVS is the floor the issue describes: SB read, flows, netlink.
func (f floorResult) noOVS() time.Duration { return f.sbRead + f.flows + f.netlink }

var sbTables = []string{"SB_Global", "Chassis", "Chassis_Private", "Encap", "Datapath_Binding", "Port_Binding",
	"DVR_MAC_Binding", "DVR_Router_Binding"}

// runFloor measures the floor on a fresh hypervisor fhv, with the flows
// dumped from the chassis under test (hv) after its cold start.
func runFloor(ctx context.Context, st *stage, hv, fhv *hvtest.HV) (floorResult, error) {
	f := floorResult{nflows: map[string]int{}}
	desired := map[string][]flows.Entry{}
	for _, br := range []string{"br-int", "br-tun"} {
		out, err := hv.Ofctl("--no-names", "--no-stats", "dump-flows", br)
		if err != nil {
			return f, fmt.Errorf("%v: %s", err, out)
		}
		es, err := flows.ParseDump(benchkit.DropOVSLog(out))
		if err != nil {
			return f, err
		}
		for _, e := range es {
			if e.Cookie.Ours() && !e.Cookie.Learned() {
				desired[br] = append(desired[br], e)
			}
		}
		f.nflows[br] = len(desired[br])
	}

	// SB read, on a session of its own (connect not counted).
	sb, err := benchkit.Dial(ctx, st.sb.Endpoint(), sbDB)
	if err != nil {
		return f, err
	}
	var ops []ovsdb.Operation
	for _, t := range sbTables {
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: t, Where: []ovsdb.Condition{}})
	}
	t0 := time.Now()
	res, err := sb.Transact(ctx, ops...)
	f.sbRead = time.Since(t0)
	sb.Close()
	if err != nil {
		return f, err
	}
	for _, r := range res {
		f.sbRows += len(r.Rows)
	}

	// OVS ports: what dvr-chassis adds to the local OVSDB, in one
	// transaction (the VM ports are there already, as for dvr-chassis).
	args := []string{"--timeout=600", "--", "--may-exist", "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure",
		"--", "add-br", "br-tun", "--", "set", "Bridge", "br-tun", "datapath_type=netdev", "fail_mode=secure",
		"--", "add-port", "br-int", "patch-tun", "--", "set", "Interface", "patch-tun", "type=patch", "options:peer=patch-int",
		"--", "add-port", "br-tun", "patch-int", "--", "set", "Interface", "patch-int", "type=patch", "options:peer=patch-tun"}
	f.nports = 2
	for i := 0; i < st.remotes; i++ {
		n := fmt.Sprintf("vx-c00002%02x", i+2)
		args = append(args, "--", "add-port", "br-tun", n, "--", "set", "Interface", n, "type=vxlan",
			"options:key=flow", fmt.Sprintf("options:remote_ip=192.0.2.%d", i+2), "options:local_ip="+localIP)
		f.nports++
	}
	// The veths come first (as dvr-chassis makes the device before its
	// port): the netlink loop, then the qo- ports.
	t0 = time.Now()
	names, closeNS, err := floorNetlink(fhv, st)
	f.netlink = time.Since(t0)
	defer closeNS()
	if err != nil {
		return f, err
	}
	for _, n := range names {
		args = append(args, "--", "add-port", "br-int", n)
		f.nports++
	}
	f.neigh = len(st.chassisOf)
	t0 = time.Now()
	if out, err := fhv.Vsctl(args...); err != nil {
		return f, fmt.Errorf("%v: %s", err, benchkit.Tail(out, 2000))
	}
	f.ovsPorts = time.Since(t0)

	// Flows: one persistent connection per bridge, up before the clock.
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bridges []*ofctrl.Bridge
	for _, br := range []string{"br-int", "br-tun"} {
		b := ofctrl.New(ofctrl.Config{RunDir: fhv.RunDir(), Bridge: br})
		go b.Run(fctx)
		bridges = append(bridges, b)
	}
	if err := benchkit.WaitFor("floor OpenFlow connections", 5*time.Millisecond, time.Minute, func() (bool, error) {
		return bridges[0].Connected() && bridges[1].Connected(), nil
	}); err != nil {
		return f, err
	}
	t0 = time.Now()
	for i, br := range []string{"br-int", "br-tun"} {
		rep, err := bridges[i].Sync(ctx, desired[br])
		if err != nil {
			return f, fmt.Errorf("floor Sync %s: %w", br, err)
		}
		if len(rep.Rejected) > 0 {
			return f, fmt.Errorf("floor Sync %s: %d flows rejected, e.g. %v", br, len(rep.Rejected), rep.Rejected[0])
		}
	}
	f.flows = time.Since(t0)
	return f, nil
}

// floorNetlink makes, inside fhv's network namespace, one namespace per
// router (unnamed: its fd keeps it, closeNS drops them all) with the same
// sysctls, one veth pair per router interface (the inner end moved in,
// with the gateway MAC, address, MTU 1450, up) and one permanent
// neighbour entry per bound VM port of its subnets. It returns the outer
// ends' names.
func floorNetlink(fhv *hvtest.HV, st *stage) ([]string, func(), error) {
	type res struct {
		names []string
		nss   []netns.NsHandle
		err   error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		var r res
		defer func() { ch <- r }()
		hvns, err := netns.GetFromPath("/run/netns/" + fhv.NetNS)
		if err != nil {
			r.err = err
			return
		}
		defer hvns.Close()
		if r.err = netns.Set(hvns); r.err != nil {
			return
		}
		root, err := netlink.NewHandleAt(hvns)
		if err != nil {
			r.err = err
			return
		}
		defer root.Close()
		dev := 0
		for _, rt := range st.topo.Routers {
			nsh, err := netns.New() // this thread is now in it
			if err != nil {
				r.err = err
				return
			}
			r.nss = append(r.nss, nsh)
			for _, k := range []string{"ipv6/conf/all/disable_ipv6", "ipv6/conf/default/disable_ipv6", "ipv4/ip_forward",
				"ipv4/conf/all/arp_ignore", "ipv4/conf/all/arp_announce"} {
				v := "1"
				if strings.HasSuffix(k, "arp_announce") {
					v = "2"
				}
				if err := os.WriteFile("/proc/sys/net/"+k, []byte(v), 0); err != nil {
					r.err = err
					return
				}
			}
			if r.err = netns.Set(hvns); r.err != nil {
				return
			}
			h, err := netlink.NewHandleAt(nsh)
			if err != nil {
				r.err = err
				return
			}
			if lo, err := h.LinkByName("lo"); err == nil {
				_ = h.LinkSetUp(lo)
			}
			for _, sn := range rt.Subnets {
				in, out := fmt.Sprintf("qrf-%d", dev), fmt.Sprintf("qof-%d", dev)
				dev++
				mac, _ := net.ParseMAC(sn.MAC)
				v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: out, MTU: 1450}, PeerName: in, PeerHardwareAddr: mac}
				if r.err = root.LinkAdd(v); r.err != nil {
					h.Close()
					return
				}
				if ol, err := root.LinkByName(out); err == nil {
					_ = root.LinkSetUp(ol)
				}
				il, err := root.LinkByName(in)
				if err == nil {
					err = root.LinkSetNsFd(il, int(nsh))
				}
				if err == nil {
					il, err = h.LinkByName(in)
				}
				if err == nil {
					err = h.LinkSetMTU(il, 1450)
				}
				if err == nil {
					err = h.AddrAdd(il, &netlink.Addr{IPNet: &net.IPNet{IP: sn.Network.Addr().AsSlice(), Mask: net.CIDRMask(sn.Network.Bits(), 32)}})
				}
				if err == nil {
					err = h.LinkSetUp(il)
				}
				for _, p := range sn.Ports {
					if err != nil {
						break
					}
					pm, _ := net.ParseMAC(p.MAC)
					err = h.NeighAdd(&netlink.Neigh{LinkIndex: il.Attrs().Index, State: netlink.NUD_PERMANENT,
						IP: p.IP.AsSlice(), HardwareAddr: pm})
				}
				if err != nil {
					h.Close()
					r.err = fmt.Errorf("floor %s: %w", in, err)
					return
				}
				r.names = append(r.names, out)
			}
			h.Close()
		}
	}()
	r := <-ch
	return r.names, func() {
		for _, h := range r.nss {
			h.Close()
		}
	}, r.err
}
