package chassis

import (
	"fmt"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// benchView is issue 12's shape as an SB view: 100 routers × 10 subnets ×
// perSubnet VM ports, every 10th port bound to hv0 (the chassis under
// test), the rest to 50 remote chassis; every router hosted on hv0.
func benchView(perSubnet int) (*SBView, []LocalIface) {
	v := &SBView{Chassis: map[string]sbdb.Chassis{}, ChassisPrivate: map[string]sbdb.ChassisPrivate{},
		Encaps: map[string]sbdb.Encap{}, Datapaths: map[string]sbdb.DatapathBinding{}, Ports: map[string]sbdb.PortBinding{},
		MACs: map[string]string{}, Global: &sbdb.SBGlobal{UUID: "g"}}
	for c := 0; c <= 50; c++ {
		name := fmt.Sprintf("hv%d", c)
		e := sbdb.Encap{UUID: "e-" + name, Type: sbdb.EncapTypeVxlan, IP: fmt.Sprintf("10.200.%d.1", c), ChassisName: name}
		v.Encaps[e.UUID] = e
		v.Chassis["c-"+name] = sbdb.Chassis{UUID: "c-" + name, Name: name, Encaps: []string{e.UUID}}
		v.MACs[name] = fmt.Sprintf("fa:16:3f:00:00:%02x", c)
	}
	var ifaces []LocalIface
	n, key := 0, 1
	for r := 0; r < 100; r++ {
		rdp := fmt.Sprintf("rdp%d", r)
		rtr := fmt.Sprintf("lr%d", r)
		key++
		v.Datapaths[rdp] = sbdb.DatapathBinding{UUID: rdp, TunnelKey: key, ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: rtr, sbkeys.KeyName: rtr}}
		v.RouterBindings = append(v.RouterBindings, sbdb.DVRRouterBinding{UUID: "rb" + rtr, Datapath: rdp, ChassisName: "hv0"})
		for s := 0; s < 10; s++ {
			sub := r*10 + s
			dp := fmt.Sprintf("dp%d", sub)
			key++
			v.Datapaths[dp] = sbdb.DatapathBinding{UUID: dp, TunnelKey: key, ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls" + dp, sbkeys.KeyName: dp}}
			ip := func(h int) string { return fmt.Sprintf("10.%d.%d.%d", sub>>8, sub&0xff, h) }
			lrp := fmt.Sprintf("%s-%d", rtr, s)
			v.Ports["pb-"+lrp] = sbdb.PortBinding{UUID: "pb-" + lrp, LogicalPort: lrp, Datapath: dp, TunnelKey: 1, Type: sbkeys.TypeRouterInterface,
				MAC:         []string{fmt.Sprintf("fa:16:3e:%02x:%02x:01 %s/24", sub>>8, sub&0xff, ip(1))},
				ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: rtr, sbkeys.KeyLogicalRouterPort: "lrp-" + lrp}, Options: map[string]string{sbkeys.OptRouter: rtr}}
			for p := 0; p < perSubnet; p++ {
				ch := "c-hv0"
				if n%10 != 0 {
					ch = fmt.Sprintf("c-hv%d", 1+n%50)
				}
				name := fmt.Sprintf("vm%d", n)
				v.Ports["pb-"+name] = sbdb.PortBinding{UUID: "pb-" + name, LogicalPort: name, Datapath: dp, TunnelKey: p + 2, Chassis: &ch,
					MAC: []string{fmt.Sprintf("fa:16:3e:%02x:%02x:%02x %s", n>>16, (n>>8)&0xff, n&0xff, ip(p+10))}}
				if ch == "c-hv0" {
					ifaces = append(ifaces, LocalIface{Port: "p-" + name, Iface: "i-" + name, Name: "tap" + name, IfaceID: name, Ofport: 10 + n})
				}
				n++
			}
		}
	}
	v.index()
	return v, ifaces
}

// fullPure is the pure part of a full round (no I/O): every decision, all
// flows, the whole router state.
func fullPure(v *SBView, ifaces []LocalIface) (Local, flows.Result, router.State) {
	claims := DecideClaims(v, "c-hv0", ifaces, true)
	hosted := HostedRouters(v, "hv0")
	vlans, _ := AllocateVLANs(NeededNetworks(v, claims, hosted), nil)
	tunnels := DesiredTunnels(v, "hv0", "c-hv0", claims.Bound)
	l := Local{Self: "hv0", SelfUUID: "c-hv0", MAC: v.MACs["hv0"], Claims: claims, Hosted: hosted, VLANs: vlans, Tunnels: tunnels}
	ports := map[string]int32{PatchToTun: 1, PatchToInt: 1}
	res := flows.Compute(FlowInput(v, l, ports, ports))
	st, _ := router.Desired(RouterInput(v, l, 1500))
	return l, res, st
}

// BenchmarkRoundPure: one remote VM port re-addressed at 10,000 and
// 20,000 ports; "full" is what every round did before (every decision,
// every flow, every router), "incremental" what a port-level round does
// now (apply the row change to the view, the claim plan and the checks,
// the port's network's flows, its router's state). Neither includes
// ofctrl (chassis/ofctrl's SyncOneChange and SyncScopesOneChange) nor the
// SB List the full round did (readSBAs, ~110 ms at 20k).
//
//	go test ./chassis -run '^$' -bench RoundPure -benchmem
func BenchmarkRoundPure(b *testing.B) {
	for _, per := range []int{10, 20} {
		v, ifaces := benchView(per)
		l, _, _ := fullPure(v, ifaces)
		ports := map[string]int32{PatchToTun: 1, PatchToInt: 1}
		last := newLastRound(v, Identity{Name: "hv0"}, "", ifaces, l, nil, false, ports, ports, flows.Input{}, nil, true, 0)
		c := &Chassis{sb: &viewKeeper{view: v}, local: &localKeeper{}}
		pb := v.Ports["pb-vm1"]
		b.Run(fmt.Sprintf("full/ports=%d", 1000*per), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				fullPure(v, ifaces)
			}
		})
		b.Run(fmt.Sprintf("incremental/ports=%d", 1000*per), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				old := v.Ports[pb.UUID]
				cur := old
				cur.MAC = []string{fmt.Sprintf("fa:16:3e:00:00:01 10.0.0.%d", 10+i%2)}
				c.sb.pend = pending{}
				v.apply(rowChange{table: sbdb.PortBindingTable, old: &old, cur: &cur}, &c.sb.pend)
				d, why := c.decideDelta(v, nil, last, "c-hv0", localPending{})
				if why != "" {
					b.Fatal(why)
				}
				keys := make([]uint32, 0, len(d.keys))
				for k := range d.keys {
					keys = append(keys, k)
				}
				flows.ComputeNetworks(c.flowInputFor(v, d.local, last, d.servedBy, ports, d.present, d.dps), keys)
				router.Desired(routerInput(v, d.local, 1500, d.routers))
			}
		})
	}
}
