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

// ChassisRole is the RBAC role of a dvr-chassis connection (the role of
// the SB Connection row it connects through, `ovn-sbctl set-connection
// role=ovn-controller pssl:6642`). It has OVN's name, so an operator's
// commands carry over. dvr-northd writes the role and its permissions
// (RBACPermissions); ovsdb-server then lets a client on such a remote
// write only rows whose authorization column equals its certificate's
// common name, the chassis name.
const ChassisRole = "ovn-controller"

// Permission is one RBAC_Permission row of ChassisRole.
type Permission struct {
	Table         string
	Authorization []string // columns that must equal the client's CN
	InsertDelete  bool
	Update        []string // columns an update or mutate may touch
}

// RBACPermissions are ChassisRole's permissions, one per table a chassis
// writes: its own Chassis, Encap and Chassis_Private rows and its own
// port claims. The authorization columns are not updatable (an update is
// authorized by the row as it was, so an updatable name would let a
// chassis hand its row to another name). Every other table is refused.
var RBACPermissions = []Permission{
	{Table: sbdb.ChassisTable, Authorization: []string{"name"}, InsertDelete: true,
		Update: []string{"hostname", "encaps", "other_config", "external_ids"}},
	{Table: sbdb.ChassisPrivateTable, Authorization: []string{"name"}, InsertDelete: true,
		Update: []string{"chassis", "nb_cfg", "nb_cfg_timestamp", "external_ids"}},
	{Table: sbdb.EncapTable, Authorization: []string{"chassis_name"}, InsertDelete: true,
		Update: []string{"type", "options", "ip"}},
	{Table: sbdb.DVRPortClaimTable, Authorization: []string{"chassis_name"}, InsertDelete: true,
		Update: []string{"up"}},
}
