package chassis

// The values dvr-chassis writes that it (and operators) read back.
const (
	// OwnerKey marks, in external_ids, every OVS port and interface the
	// chassis created; its value is the system-id. Only marked rows with
	// our own system-id are ever swept.
	OwnerKey = "dvr-chassis-owner"
	// NetworkKey (Port.other_config of a VM port on br-int) is the NB
	// logical switch UUID whose local VLAN the port's tag is: with the tag,
	// it keeps local VLANs stable across restarts.
	NetworkKey = "dvr-network"
	// StatusKey (Chassis_Private.external_ids) says why the chassis is not
	// in DVR mode yet; absent when it is.
	StatusKey = "dvr-status"
	// StatusNoMAC is StatusKey's value while no DVR_MAC_Binding names the
	// chassis.
	StatusNoMAC = "no DVR MAC"
	// DatapathTypeKey (Chassis.other_config) is the bridges' datapath type.
	DatapathTypeKey = "datapath-type"
	// DeadVLAN is the tag of a VM port whose network (local VLAN) is not
	// known, or that this chassis does not serve: as in Neutron, nothing
	// forwards it (an untagged port on br-int would be a trunk).
	DeadVLAN = 4095
	// PatchToTun and PatchToInt are the patch pair between the bridges.
	PatchToTun = "patch-tun"
	PatchToInt = "patch-int"
)
