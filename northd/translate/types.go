package translate

// Switch is an NB Logical_Switch.
type Switch struct {
	UUID  string
	Name  string
	Ports []string // LSP UUIDs
}

// SwitchPort is an NB Logical_Switch_Port.
type SwitchPort struct {
	UUID      string
	Name      string
	Type      string
	Addresses []string
	Options   map[string]string
}

// Router is an NB Logical_Router.
type Router struct {
	UUID    string
	Name    string
	Ports   []string // LRP UUIDs
	Options map[string]string
}

// RouterPort is an NB Logical_Router_Port.
type RouterPort struct {
	UUID     string
	Name     string
	MAC      string
	Networks []string
	Peer     *string // nil when unset
}

// Claim is a VM port's DVR_Port_Claim row: the chassis that claimed it
// (by name) and whether it reported the port up.
type Claim struct {
	Chassis string // name of the claiming chassis; "" when unclaimed
	Up      bool
}

// PortKey is a port's previous tunnel key and the datapath (NB UUID) it
// was on.
type PortKey struct {
	Datapath string
	Key      int
}

// Input is everything Translate reads.
type Input struct {
	Switches    map[string]*Switch // by NB UUID
	SwitchPorts map[string]*SwitchPort
	Routers     map[string]*Router
	RouterPorts map[string]*RouterPort
	// BaseMAC is the DVR base MAC (NB_Global.options:dvr_base_mac or the
	// --dvr-base-mac flag); "" means DefaultBaseMAC.
	BaseMAC string
	// Chassis are the names of the registered chassis that can take part
	// in DVR (CheckChassis); ChassisProblems are those that cannot.
	Chassis         []string
	ChassisProblems []Problem
	// Claims are the VM ports' DVR_Port_Claim rows, by logical_port.
	Claims map[string]Claim
	// Previous allocations, read back from SB so that they are stable.
	DatapathKeys map[string]int     // NB UUID → tunnel key
	PortKeys     map[string]PortKey // logical_port → key
	// BoundMACs are the mac columns of the VM ports' Port_Bindings, by
	// logical_port: of two ports with one address, the one whose binding
	// already carries its addresses keeps them.
	BoundMACs map[string][]string
	DVRMACs   map[string]string // chassis → MAC
}

// Datapath is a desired Datapath_Binding.
type Datapath struct {
	NBUUID string
	Name   string
	Router bool
	Key    int
}

// Port is a desired Port_Binding.
type Port struct {
	Name        string // logical_port
	Datapath    string // NB UUID of the switch
	Key         int
	Type        string // "" or sbkeys.TypeRouterInterface
	MAC         []string
	Options     map[string]string
	ExternalIDs map[string]string
	// Router is the NB UUID of the router of an interface ("" for VMs).
	Router string
	// Chassis is the chassis a VM port is bound to: the one whose
	// DVR_Port_Claim names it, when that chassis is registered and can
	// take part in DVR; "" otherwise and for interfaces. Up is the claim's
	// up (false when unbound).
	Chassis string
	Up      bool
}

// Hosting says router Router (NB UUID) must be instantiated on Chassis.
type Hosting struct {
	Router  string
	Chassis string
}

// Problem is an NB row (or allocation) northd had to skip, and why.
type Problem struct {
	Table  string
	Name   string
	Reason string
}

// Output is what SB (and LSP.up in NB) should hold.
type Output struct {
	Datapaths map[string]Datapath // by NB UUID
	Ports     map[string]Port     // by logical_port
	DVRMACs   map[string]string   // chassis → MAC
	Hosting   map[Hosting]bool
	LSPUp     map[string]bool // LSP UUID → desired up
	Problems  []Problem       // sorted
}

// Key ranges (DESIGN §3, ovn.md §4.3).
const (
	MaxDatapathKey = 16777215
	MaxPortKey     = 32767
)

// DefaultBaseMAC is Neutron's default DVR base MAC.
const DefaultBaseMAC = "fa:16:3f:00:00:00"

// The SB vocabulary Output uses (port types, external_ids and options
// keys) is internal/sbkeys.
