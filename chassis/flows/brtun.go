package flows

import (
	"fmt"
	"sort"
)

// tunFlows are br-tun's desired flows (neutron-dvr §4.1, DVR mode, l2pop
// and the ARP responder on, as Neutron forces them with DVR).
func (m *model) tunFlows() []Flow {
	fs := m.tunGlobal()
	for _, n := range m.nets {
		fs = append(fs, m.tunNetwork(n)...)
	}
	return fs
}

// tunGlobal are br-tun's flows of no network (ScopeGlobal).
func (m *model) tunGlobal() []Flow {
	base := NewCookie(CatBase, 0)
	learned := NewCookie(CatLearned, 0)
	fs := []Flow{
		{TunLocalSwitching, PrioTunDefault, base, nil, txt("drop")},
		{TunLocalSwitching, PrioTunInPort, base, txt("in_port=", m.patchInt), gotoT(TunDVRProcess)},
		{TunDVRProcess, PrioTunDefault, base, nil, gotoT(TunPatchLVToTun)},
		{TunPatchLVToTun, PrioTunBcastARP, base, txt("arp,dl_dst=ff:ff:ff:ff:ff:ff"), gotoT(TunARPResponder)},
		{TunPatchLVToTun, PrioTunSplit, base, txt("dl_dst=00:00:00:00:00:00/01:00:00:00:00:00"), gotoT(TunUcastToTun)},
		{TunPatchLVToTun, PrioTunSplit, base, txt("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"), gotoT(TunFloodToTun)},
		{TunVXLANToLV, PrioTunDefault, base, nil, txt("drop")},
		{TunDVRNotLearn, PrioTunDefault, base, nil, gotoT(TunLearnFromTun)},
		{TunLearnFromTun, PrioTunLearn, base, nil, txt(
			"learn(table=", TunUcastToTun, ",hard_timeout=", lit(u32(LearnHardTimeout)),
			",priority=", lit(u32(uint32(PrioTunLearned))), ",cookie=", learned,
			",NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],"+
				"load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:", m.patchInt)},
		{TunUcastToTun, PrioTunDefault, base, nil, gotoT(TunFloodToTun)},
		{TunARPResponder, PrioTunDefault, base, nil, gotoT(TunFloodToTun)},
		{TunFloodToTun, PrioTunDefault, base, nil, txt("drop")},
	}
	for _, r := range m.remotes {
		if r.mac != "" {
			fs = append(fs, Flow{TunDVRNotLearn, PrioTunDVRMAC, NewCookie(CatRemoteMAC, macObject(r.mac)),
				txt("dl_src=" + r.mac), txt("output:", m.patchInt)})
		}
		if r.Tunnel.Valid() {
			fs = append(fs, Flow{TunLocalSwitching, PrioTunInPort, NewCookie(CatTunnel, uint64(r.ip)),
				txt("in_port=", r.Tunnel), gotoT(TunVXLANToLV)})
		}
	}
	return fs
}

func (m *model) tunNetwork(n *network) []Flow {
	l := vlan{net: n.Name, id: n.VLAN}
	vid := vlan{net: n.Name, id: n.VLAN, kind: vlanVID}
	vni := lit(fmt.Sprintf("%#x", n.Key))
	nc := NewCookie(CatNetwork, uint64(n.Key))
	fs := []Flow{{TunVXLANToLV, PrioTunVNI, nc, txt("tun_id=", vni),
		txt("push_vlan:0x8100,set_field:", vid, "->vlan_vid,", gotoT(TunDVRNotLearn))}}
	for _, i := range n.ifaces {
		c := NewCookie(CatRouterPort, PortObject(i.dp, i.Key))
		fs = append(fs,
			Flow{TunDVRProcess, PrioTunQRDstDrop, c, txt("dl_vlan=", l, ",dl_dst="+i.mac), txt("drop")},
			Flow{TunDVRProcess, PrioTunQRSrc, c, txt("dl_vlan=", l, ",dl_src="+i.mac),
				txt("set_field:"+m.ownMAC+"->eth_src,", gotoT(TunPatchLVToTun))})
		for _, p := range i.v4 {
			fs = append(fs, Flow{TunFloodToTun, PrioTunRouterARP, c,
				txt("arp,dl_vlan=", l, ",arp_tpa="+p.Addr().String()), txt("drop")})
		}
	}
	var flood []*remote
	seen := map[string]bool{}
	for _, p := range n.remote {
		c := NewCookie(CatRemotePort, PortObject(n.Key, p.Key))
		if p.to != nil && p.to.Tunnel.Valid() {
			fs = append(fs, Flow{TunUcastToTun, PrioTunUcast, c, txt("dl_vlan=", l, ",dl_dst="+p.mac),
				txt("pop_vlan,set_field:", vni, "->tun_id,output:", p.to.Tunnel)})
			if !seen[p.to.Name] {
				seen[p.to.Name] = true
				flood = append(flood, p.to)
			}
		}
		for _, ip := range p.v4 {
			fs = append(fs, Flow{TunARPResponder, PrioTunARPAnswer, c,
				txt("arp,dl_vlan=", l, ",arp_tpa="+ip.String()),
				txt("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:" + p.mac + "->eth_src," +
					"load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]," +
					"move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],set_field:" + p.mac + "->arp_sha," +
					"set_field:" + ip.String() + "->arp_spa,IN_PORT")})
		}
	}
	if len(flood) > 0 {
		sort.Slice(flood, func(i, j int) bool { return flood[i].Name < flood[j].Name })
		a := txt("pop_vlan,set_field:", vni, "->tun_id")
		for _, r := range flood {
			a = append(a, txt(",output:", r.Tunnel)...)
		}
		fs = append(fs, Flow{TunFloodToTun, PrioTunFlood, nc, txt("dl_vlan=", l), a})
	}
	return fs
}
