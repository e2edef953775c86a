package flows

// Input is what one chassis knows, as the daemon fills it from its SB view
// (DVR_MAC_Binding, Datapath_Binding, Port_Binding, DVR_Router_Binding,
// Encap) and the local OVS state (ofports, local VLANs). Strings are the
// SB's own text (MACs, "IP" and "IP/prefix"); Compute parses and checks
// them and reports what it skips. Order does not matter: the output is
// sorted.
type Input struct {
	// Chassis is this chassis' name (system-id), for the reports.
	Chassis string
	// DVRMAC is this chassis' DVR MAC (its DVR_MAC_Binding.mac), "" while
	// northd has given it none: then Compute returns no flows at all, so
	// the chassis never runs half in DVR mode.
	DVRMAC string
	// Remotes are the other chassis: DVR MAC and the tunnel toward them.
	Remotes []Remote
	// Networks are the switches present on this chassis: those with a
	// local VLAN (a local VM port or a qr- port on them).
	Networks []Network
	// Interfaces are the distributed-router-interface Port_Bindings on
	// those networks.
	Interfaces []Interface
	// LocalPorts are the VM Port_Bindings claimed by this chassis.
	LocalPorts []LocalPort
	// RemotePorts are the VM Port_Bindings bound to other chassis, on
	// networks present here (l2pop).
	RemotePorts []RemotePort
	// PatchTun is br-int's patch port to br-tun; PatchInt br-tun's to br-int.
	PatchTun, PatchInt Port
}

// Port is an OVS port: its name (for the reports and the symbolic
// rendering) and its ofport on its bridge. OfPort <= 0 (not assigned, -1)
// means the port is not usable.
type Port struct {
	Name   string
	OfPort int32
}

// Valid reports whether the ofport can be used in a flow.
func (p Port) Valid() bool { return p.OfPort > 0 && p.OfPort < 0xff00 }

// Remote is another chassis.
type Remote struct {
	Name string // Chassis.name
	// DVRMAC is its DVR_MAC_Binding.mac ("" if it has none yet).
	DVRMAC string
	// EncapIP is its Encap.ip (the tunnel's remote_ip).
	EncapIP string
	// Tunnel is the VXLAN port toward it on br-tun; a zero Port while the
	// chassis shares no network with this one.
	Tunnel Port
}

// Network is a logical switch present on this chassis.
type Network struct {
	Name string // Datapath_Binding external_ids:name
	// Key is the Datapath_Binding tunnel_key: the VXLAN VNI.
	Key uint32
	// VLAN is the local VLAN this chassis gave the network (1..4094).
	VLAN uint16
}

// Interface is a distributed-router-interface Port_Binding: one router's
// interface on one network, with the same MAC and IPs on every chassis.
type Interface struct {
	Name    string // logical_port: the LRP name
	Network uint32 // its datapath's tunnel key
	Key     uint16 // its Port_Binding tunnel_key
	MAC     string // the gateway MAC (first word of Port_Binding.mac)
	// Addrs are the "IP/prefix" words of Port_Binding.mac: the router's
	// IPs and the subnets they define.
	Addrs  []string
	Router string // options:router (for reports; ties go by Name)
	// Hosted: the router has a DVR_Router_Binding for this chassis.
	Hosted bool
	// QR is the local qr- port on br-int (Hosted routers only; zero while
	// it is not plugged yet).
	QR Port
}

// LocalPort is a VM port bound to this chassis.
type LocalPort struct {
	Name    string // logical_port (= the OVS iface-id)
	Network uint32 // datapath tunnel key
	Key     uint16 // Port_Binding tunnel_key
	MAC     string
	IPs     []string // the IP words of Port_Binding.mac
	Port    Port     // its OVS port on br-int
}

// RemotePort is a VM port bound to another chassis.
type RemotePort struct {
	Name    string
	Network uint32
	Key     uint16
	MAC     string
	IPs     []string
	Chassis string // the Remote it is bound to
}
