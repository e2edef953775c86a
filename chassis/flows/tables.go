package flows

import "fmt"

// Bridge is one of the two bridges dvr-chassis programs.
type Bridge uint8

// The bridges.
const (
	BrInt Bridge = 1 // the integration bridge: VM ports, qr- ports, patch-tun
	BrTun Bridge = 2 // the tunnel bridge: patch-int and one VXLAN port per remote chassis
)

func (b Bridge) String() string {
	switch b {
	case BrInt:
		return "br-int"
	case BrTun:
		return "br-tun"
	}
	return fmt.Sprintf("bridge(%d)", uint8(b))
}

// Table is an OpenFlow table of one bridge: the bridge in the high byte,
// Neutron's table number (neutron-lib ovs_constants) in the low byte, so a
// Neutron operator recognises every number. Names and numbers are defined
// here and nowhere else.
type Table uint16

// br-int tables.
const (
	IntLocalSwitching    Table = Table(uint16(BrInt)<<8 | 0)  // classify: DVR-MAC frames from patch-tun, local ports' network, ARP-reply rewrite
	IntDVRToSrcMAC       Table = Table(uint16(BrInt)<<8 | 1)  // routed frames from remote chassis: src := gateway MAC
	IntARPDVRMACToDstMAC Table = Table(uint16(BrInt)<<8 | 3)  // frames to this chassis' DVR MAC: dst := the qr MAC, to the qr- port
	IntCanary            Table = Table(uint16(BrInt)<<8 | 23) // one drop flow; gone means ovs-vswitchd lost its flows
	IntTransient         Table = Table(uint16(BrInt)<<8 | 60) // direct output to local VMs and toward remote VMs, else NORMAL
)

// br-tun tables.
const (
	TunLocalSwitching Table = Table(uint16(BrTun)<<8 | 0)  // classify by in_port: patch-int or a tunnel
	TunDVRProcess     Table = Table(uint16(BrTun)<<8 | 1)  // frames from br-int: qr MAC never leaves; src qr MAC := own DVR MAC
	TunPatchLVToTun   Table = Table(uint16(BrTun)<<8 | 2)  // split unicast / broadcast ARP / multicast
	TunVXLANToLV      Table = Table(uint16(BrTun)<<8 | 4)  // VNI → local VLAN
	TunDVRNotLearn    Table = Table(uint16(BrTun)<<8 | 9)  // remote DVR MACs bypass learning
	TunLearnFromTun   Table = Table(uint16(BrTun)<<8 | 10) // MAC learning into UCAST_TO_TUN
	TunUcastToTun     Table = Table(uint16(BrTun)<<8 | 20) // known remote VM MACs (l2pop) and learned ones
	TunARPResponder   Table = Table(uint16(BrTun)<<8 | 21) // answers ARP for known remote VM IPs
	TunFloodToTun     Table = Table(uint16(BrTun)<<8 | 22) // ARP drop for router IPs, flooding to the network's tunnels
)

// Bridge is the bridge the table belongs to.
func (t Table) Bridge() Bridge { return Bridge(t >> 8) }

// Num is the OpenFlow table number.
func (t Table) Num() uint8 { return uint8(t) }

// Name is Neutron's name of the table.
func (t Table) Name() string {
	switch t {
	case IntLocalSwitching, TunLocalSwitching:
		return "LOCAL_SWITCHING"
	case IntDVRToSrcMAC:
		return "DVR_TO_SRC_MAC"
	case IntARPDVRMACToDstMAC:
		return "ARP_DVR_MAC_TO_DST_MAC"
	case IntCanary:
		return "CANARY_TABLE"
	case IntTransient:
		return "TRANSIENT"
	case TunDVRProcess:
		return "DVR_PROCESS"
	case TunPatchLVToTun:
		return "PATCH_LV_TO_TUN"
	case TunVXLANToLV:
		return "VXLAN_TUN_TO_LV"
	case TunDVRNotLearn:
		return "DVR_NOT_LEARN"
	case TunLearnFromTun:
		return "LEARN_FROM_TUN"
	case TunUcastToTun:
		return "UCAST_TO_TUN"
	case TunARPResponder:
		return "ARP_RESPONDER"
	case TunFloodToTun:
		return "FLOOD_TO_TUN"
	}
	return fmt.Sprintf("TABLE_%d", t.Num())
}

func (t Table) String() string { return fmt.Sprintf("%s/%s(%d)", t.Bridge(), t.Name(), t.Num()) }

// Tables lists every table of a bridge, in table-number order.
func Tables(b Bridge) []Table {
	switch b {
	case BrInt:
		return []Table{IntLocalSwitching, IntDVRToSrcMAC, IntARPDVRMACToDstMAC, IntCanary, IntTransient}
	case BrTun:
		return []Table{TunLocalSwitching, TunDVRProcess, TunPatchLVToTun, TunVXLANToLV, TunDVRNotLearn,
			TunLearnFromTun, TunUcastToTun, TunARPResponder, TunFloodToTun}
	}
	return nil
}

// Priorities, named once per use (neutron-dvr §3, §4 where Neutron has the flow).
const (
	// br-int LOCAL_SWITCHING
	PrioIntDeadVLAN    uint16 = 65535 // dl_vlan=4095 → drop
	PrioIntARPReplyGW  uint16 = 99    // ARP reply to own DVR MAC for a gateway MAC → dst := gateway MAC
	PrioIntOwnDVRMAC   uint16 = 5     // from patch-tun to own DVR MAC → ARP_DVR_MAC_TO_DST_MAC
	PrioIntRemoteDVR   uint16 = 2     // from patch-tun, src a remote DVR MAC → DVR_TO_SRC_MAC
	PrioIntLocalPortIn uint16 = 1     // from a local VM or qr- port: reg6 := its local VLAN (not Neutron's)
	PrioIntDefault     uint16 = 0     // → TRANSIENT
	// br-int DVR_TO_SRC_MAC
	PrioIntToLocalVM uint16 = 20 // local VM MAC: src := gateway MAC → TRANSIENT
	PrioIntSrcDrop   uint16 = 1  // anything else from a remote DVR MAC: drop
	// br-int ARP_DVR_MAC_TO_DST_MAC
	PrioIntToQR      uint16 = 5 // dl_vlan, dst own DVR MAC → dst := qr MAC, out the qr- port
	PrioIntToDVRDrop uint16 = 0 // anything else: drop
	// br-int CANARY_TABLE
	PrioIntCanary uint16 = 0
	// br-int TRANSIENT
	PrioIntDirectVM  uint16 = 20 // TRANSIENT: tagged frame for a local VM → pop, out its port
	PrioIntDirectTun uint16 = 15 // TRANSIENT: frame of a local network for a remote VM → patch-tun (not Neutron's)
	PrioIntNormal    uint16 = 1  // TRANSIENT: NORMAL
	// br-tun
	PrioTunDefault   uint16 = 0 // the table's miss flow (drop or goto)
	PrioTunInPort    uint16 = 1 // LOCAL_SWITCHING: patch-int or a tunnel
	PrioTunQRDstDrop uint16 = 2 // DVR_PROCESS: dst a qr MAC → drop
	PrioTunQRSrc     uint16 = 1 // DVR_PROCESS: src a qr MAC → src := own DVR MAC
	PrioTunBcastARP  uint16 = 1 // PATCH_LV_TO_TUN: broadcast ARP → ARP_RESPONDER
	PrioTunSplit     uint16 = 0 // PATCH_LV_TO_TUN: unicast / multicast
	PrioTunVNI       uint16 = 1 // VXLAN_TUN_TO_LV: tun_id → local VLAN
	PrioTunDVRMAC    uint16 = 1 // DVR_NOT_LEARN: src a remote DVR MAC → patch-int
	PrioTunLearn     uint16 = 1 // LEARN_FROM_TUN
	PrioTunLearned   uint16 = 1 // UCAST_TO_TUN: what the learn action writes
	PrioTunUcast     uint16 = 2 // UCAST_TO_TUN: a known remote VM MAC
	PrioTunARPAnswer uint16 = 1 // ARP_RESPONDER: a known remote VM IP
	PrioTunRouterARP uint16 = 3 // FLOOD_TO_TUN: ARP for a router interface IP → drop
	PrioTunFlood     uint16 = 1 // FLOOD_TO_TUN: the network's tunnels
	// LearnHardTimeout is the lifetime (s) of a flow the learn action writes.
	LearnHardTimeout = 300
	// DeadVLAN is the VLAN of a port whose network is not known yet.
	DeadVLAN = 4095
	// NetReg is the register LOCAL_SWITCHING loads with a local port's
	// VLAN (access ports are untagged inside the OpenFlow pipeline).
	NetReg = "reg6"
)

// TableOf is the table numbered num on bridge b, if the pipeline has one.
func TableOf(b Bridge, num uint8) (Table, bool) {
	for _, t := range Tables(b) {
		if t.Num() == num {
			return t, true
		}
	}
	return 0, false
}
