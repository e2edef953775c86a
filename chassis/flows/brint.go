package flows

// intFlows are br-int's desired flows (neutron-dvr §3, tunnel networks).
func (m *model) intFlows() []Flow {
	fs := m.intGlobal()
	for _, n := range m.nets {
		fs = append(fs, m.intNetwork(n)...)
	}
	return fs
}

// intGlobal are br-int's flows of no network (ScopeGlobal).
func (m *model) intGlobal() []Flow {
	base := NewCookie(CatBase, 0)
	own := NewCookie(CatOwnMAC, macObject(m.ownMAC))
	fs := []Flow{
		{IntLocalSwitching, PrioIntDeadVLAN, base, txt("dl_vlan=", lit(u32(DeadVLAN))), txt("drop")},
		{IntLocalSwitching, PrioIntDefault, base, nil, gotoT(IntTransient)},
		{IntLocalSwitching, PrioIntOwnDVRMAC, own,
			txt("in_port=", m.patchTun, ",dl_dst="+m.ownMAC), gotoT(IntARPDVRMACToDstMAC)},
		{IntDVRToSrcMAC, PrioIntSrcDrop, base, nil, txt("drop")},
		{IntARPDVRMACToDstMAC, PrioIntToDVRDrop, base, nil, txt("drop")},
		{IntCanary, PrioIntCanary, base, nil, txt("drop")},
		{IntTransient, PrioIntNormal, base, nil, txt("NORMAL")},
	}
	for _, r := range m.remotes {
		if r.mac != "" {
			fs = append(fs, Flow{IntLocalSwitching, PrioIntRemoteDVR, NewCookie(CatRemoteMAC, macObject(r.mac)),
				txt("in_port=", m.patchTun, ",dl_src="+r.mac), gotoT(IntDVRToSrcMAC)})
		}
	}
	return fs
}

func (m *model) intNetwork(n *network) []Flow {
	var fs []Flow
	l := vlan{net: n.Name, id: n.VLAN}
	reg := vlan{net: n.Name, id: n.VLAN, kind: vlanReg}
	vid := vlan{net: n.Name, id: n.VLAN, kind: vlanVID}
	qrs := n.hostedQRs()
	for _, i := range qrs {
		c := NewCookie(CatRouterPort, PortObject(i.dp, i.Key))
		// Frames from the qr- port enter untagged: remember the network.
		fs = append(fs, Flow{IntLocalSwitching, PrioIntLocalPortIn, c,
			txt("in_port=", i.QR), txt("set_field:", reg, "->"+NetReg+",", gotoT(IntTransient))})
		if len(i.v4) > 0 {
			// The router's ARP was answered to the DVR MAC (br-tun rewrote
			// its src); hand the reply to the qr- MAC.
			fs = append(fs, Flow{IntLocalSwitching, PrioIntARPReplyGW, c,
				txt("arp,dl_vlan=", l, ",dl_dst="+m.ownMAC+",arp_op=2,arp_tha="+i.mac),
				txt("set_field:"+i.mac+"->eth_dst,", gotoT(IntTransient))})
		}
	}
	if len(qrs) == 1 {
		// Only one qr- can own frames to the DVR MAC on a network (two
		// would overwrite each other: neutron-dvr §7 item 16).
		i := qrs[0]
		fs = append(fs, Flow{IntARPDVRMACToDstMAC, PrioIntToQR, NewCookie(CatRouterPort, PortObject(i.dp, i.Key)),
			txt("dl_vlan=", l, ",dl_dst="+m.ownMAC),
			txt("set_field:"+i.mac+"->eth_dst,pop_vlan,output:", i.QR)})
	}
	for _, p := range n.local {
		c := NewCookie(CatLocalPort, PortObject(n.Key, p.Key))
		fs = append(fs, Flow{IntLocalSwitching, PrioIntLocalPortIn, c,
			txt("in_port=", p.Port), txt("set_field:", reg, "->"+NetReg+",", gotoT(IntTransient))},
			// From a local port or a qr- (untagged here, its network in
			// reg6): a frame for a local VM goes straight to it. Else
			// NORMAL would flood it while the VM's MAC is unlearned, and a
			// frame the local router routed would reach the tunnels with
			// this chassis' DVR MAC (a real-packet test caught it).
			Flow{IntTransient, PrioIntDirectVM, c, txt(NetReg+"=", reg, ",dl_dst="+p.mac), txt("output:", p.Port)})
		if p.gw == nil {
			continue // on no routed subnet
		}
		match := txt("dl_vlan=", l, ",dl_dst="+p.mac)
		fs = append(fs,
			Flow{IntDVRToSrcMAC, PrioIntToLocalVM, c, match,
				txt("set_field:"+p.gw.mac+"->eth_src,", gotoT(IntTransient))},
			Flow{IntTransient, PrioIntDirectVM, c, match, txt("pop_vlan,output:", p.Port)})
	}
	for _, p := range n.remote {
		fs = append(fs, Flow{IntTransient, PrioIntDirectTun, NewCookie(CatRemotePort, PortObject(n.Key, p.Key)),
			txt(NetReg+"=", reg, ",dl_dst="+p.mac),
			txt("push_vlan:0x8100,set_field:", vid, "->vlan_vid,output:", m.patchTun)})
	}
	return fs
}

func gotoT(t Table) Text { return txt("goto_table:", t) }
