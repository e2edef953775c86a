package sbkeys

import "github.com/dvr-ovn/dvr/internal/sbdb"

// TypeRouterInterface is the Port_Binding type of a router interface.
const TypeRouterInterface = "distributed-router-interface"

// External-ID and option keys dvr-northd writes on Datapath_Binding and
// Port_Binding.
const (
	// KeyName (Datapath_Binding) is the NB switch or router name.
	KeyName = "name"
	// KeyLogicalSwitch (Datapath_Binding) is the NB UUID of the switch.
	KeyLogicalSwitch = "logical-switch"
	// KeyLogicalRouter is the NB UUID of the router: on a router's
	// Datapath_Binding and on its interfaces' Port_Bindings.
	KeyLogicalRouter = "logical-router"
	// KeyLogicalRouterPort (Port_Binding of an interface) is the NB UUID
	// of the Logical_Router_Port.
	KeyLogicalRouterPort = "logical-router-port"
	// OptRouter (Port_Binding options of an interface) is the router name.
	OptRouter = "router"
)

// External-ID keys dvr-northd keeps in SB_Global and NB_Global.
const (
	// KeyEpoch is the active/standby epoch, "N:instance", bumped by an
	// instance that becomes active; every northd write waits on it.
	KeyEpoch = "dvr-northd-epoch"
	// KeySeq is the sequence number of northd's last write in that
	// database, so the next round waits until its monitor shows it.
	KeySeq = "dvr-northd-seq"
)

// DatapathIdentity is the NB UUID a Datapath_Binding stands for (its
// switch, else its router); "" for a row dvr-northd did not write.
func DatapathIdentity(dp *sbdb.DatapathBinding) string {
	if u := dp.ExternalIDs[KeyLogicalSwitch]; u != "" {
		return u
	}
	return dp.ExternalIDs[KeyLogicalRouter]
}
