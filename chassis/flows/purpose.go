package flows

// purposeKey names one kind of flow: several flows of a table may share a
// priority, and then their category tells them apart.
type purposeKey struct {
	table Table
	prio  uint16
	cat   Category
}

// purposes is docs/pipeline.md §3 and §4 in a line each.
var purposes = map[purposeKey]string{
	{IntLocalSwitching, PrioIntDeadVLAN, CatBase}:          "the dead VLAN: a port whose network is not known yet",
	{IntLocalSwitching, PrioIntARPReplyGW, CatRouterPort}:  "ARP reply to this chassis' DVR MAC for a gateway: dst := the qr MAC",
	{IntLocalSwitching, PrioIntOwnDVRMAC, CatOwnMAC}:       "from patch-tun to this chassis' DVR MAC → ARP_DVR_MAC_TO_DST_MAC",
	{IntLocalSwitching, PrioIntRemoteDVR, CatRemoteMAC}:    "routed by another chassis (src its DVR MAC) → DVR_TO_SRC_MAC",
	{IntLocalSwitching, PrioIntLocalPortIn, CatRouterPort}: "from a qr- port: reg6 := its network's local VLAN",
	{IntLocalSwitching, PrioIntLocalPortIn, CatLocalPort}:  "from a local VM port: reg6 := its network's local VLAN",
	{IntLocalSwitching, PrioIntDefault, CatBase}:           "anything else → TRANSIENT",
	{IntDVRToSrcMAC, PrioIntToLocalVM, CatLocalPort}:       "routed frame for a local VM: src := its gateway MAC",
	{IntDVRToSrcMAC, PrioIntSrcDrop, CatBase}:              "from a remote DVR MAC to no local VM: drop",
	{IntARPDVRMACToDstMAC, PrioIntToQR, CatRouterPort}:     "to this chassis' DVR MAC: dst := the qr MAC, out the qr- port",
	{IntARPDVRMACToDstMAC, PrioIntToDVRDrop, CatBase}:      "to this chassis' DVR MAC on a network without exactly one qr- port: drop",
	{IntCanary, PrioIntCanary, CatBase}:                    "the canary",
	{IntTransient, PrioIntDirectVM, CatLocalPort}:          "deliver straight to the local VM (no NORMAL, no learning)",
	{IntTransient, PrioIntDirectTun, CatRemotePort}:        "for a known remote VM: to patch-tun only, never flooded locally",
	{IntTransient, PrioIntNormal, CatBase}:                 "local switching: NORMAL",
	{TunLocalSwitching, PrioTunInPort, CatBase}:            "from br-int → DVR_PROCESS",
	{TunLocalSwitching, PrioTunInPort, CatTunnel}:          "from a remote chassis' tunnel → VXLAN_TUN_TO_LV",
	{TunLocalSwitching, PrioTunDefault, CatBase}:           "from an unknown port: drop",
	{TunDVRProcess, PrioTunQRDstDrop, CatRouterPort}:       "to a qr MAC: never leaves the host, drop",
	{TunDVRProcess, PrioTunQRSrc, CatRouterPort}:           "routed here (src a qr MAC): src := this chassis' DVR MAC",
	{TunDVRProcess, PrioTunDefault, CatBase}:               "not routed → PATCH_LV_TO_TUN",
	{TunPatchLVToTun, PrioTunBcastARP, CatBase}:            "broadcast ARP → ARP_RESPONDER",
	{TunPatchLVToTun, PrioTunSplit, CatBase}:               "unicast → UCAST_TO_TUN, multicast/broadcast → FLOOD_TO_TUN",
	{TunVXLANToLV, PrioTunVNI, CatNetwork}:                 "VNI → the network's local VLAN",
	{TunVXLANToLV, PrioTunDefault, CatBase}:                "unknown VNI: drop",
	{TunDVRNotLearn, PrioTunDVRMAC, CatRemoteMAC}:          "routed by another chassis: to br-int, never learned",
	{TunDVRNotLearn, PrioTunDefault, CatBase}:              "→ LEARN_FROM_TUN",
	{TunLearnFromTun, PrioTunLearn, CatBase}:               "learn the source MAC into UCAST_TO_TUN, to br-int",
	{TunUcastToTun, PrioTunUcast, CatRemotePort}:           "l2pop: a known remote VM MAC → its chassis' tunnel",
	{TunUcastToTun, PrioTunLearned, CatLearned}:            "a MAC learned from a tunnel (LEARN_FROM_TUN)",
	{TunUcastToTun, PrioTunDefault, CatBase}:               "unknown unicast → FLOOD_TO_TUN",
	{TunARPResponder, PrioTunARPAnswer, CatRemotePort}:     "ARP for a known remote VM IP: answered here",
	{TunARPResponder, PrioTunDefault, CatBase}:             "→ FLOOD_TO_TUN",
	{TunFloodToTun, PrioTunRouterARP, CatRouterPort}:       "ARP for a router interface IP: never toward a tunnel, drop",
	{TunFloodToTun, PrioTunFlood, CatNetwork}:              "flood to every chassis with a VM port on the network",
	{TunFloodToTun, PrioTunDefault, CatBase}:               "no tunnel for this network: drop",
}

// Purpose is what the flow of table t with priority prio and a cookie of
// category c is for, in one line (docs/pipeline.md); "" for a flow
// Compute never makes.
func Purpose(t Table, prio uint16, c Category) string { return purposes[purposeKey{t, prio, c}] }
