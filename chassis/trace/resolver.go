package trace

import "net/netip"

// Resolver names the SB rows a cookie's object stands for. SBNames is the
// one built from the SB's rows; a nil Resolver (no --sb) names nothing,
// and the report shows tables, categories and raw objects only.
type Resolver interface {
	// Datapath is the Datapath_Binding with that tunnel_key.
	Datapath(key uint32) (Datapath, bool)
	// Port is the Port_Binding (datapath tunnel_key, port tunnel_key).
	Port(datapath uint32, key uint16) (Binding, bool)
	// PortByName is the Port_Binding with that logical_port.
	PortByName(logicalPort string) (Binding, bool)
	// RouterPortByDevice is the router interface whose qr- (or qo-)
	// device is named dev.
	RouterPortByDevice(dev string) (Binding, bool)
	// RouterPortByMAC is the router interface with that MAC.
	RouterPortByMAC(mac string) (Binding, bool)
	// DVRMAC is the DVR_MAC_Binding whose MAC has these low 40 bits
	// (flows.MACObject).
	DVRMAC(object uint64) (MACBinding, bool)
	// ChassisByIP is the chassis whose Encap has that IP.
	ChassisByIP(ip netip.Addr) (string, bool)
}

// Datapath is a Datapath_Binding.
type Datapath struct {
	Key    uint32
	Name   string // external_ids:name, the NB name
	Router bool   // a router's datapath (external_ids:logical-router), else a switch's
}

// Binding is a Port_Binding.
type Binding struct {
	LogicalPort string
	Type        string // "" (VM port) or distributed-router-interface
	Datapath    Datapath
	Key         uint16
	Router      string // options:router of an interface
	MAC         string // the first word of its mac
	Chassis     string // the chassis that claimed a VM port ("" if none)
}

// MACBinding is a DVR_MAC_Binding.
type MACBinding struct{ Chassis, MAC string }
