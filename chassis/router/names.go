package router

import "strings"

const (
	// NSPrefix is the prefix of every router namespace (Neutron's NS_PREFIX).
	NSPrefix = "qrouter-"
	// DevPrefix is the prefix of the router's device in the namespace.
	DevPrefix = "qr-"
	// OuterPrefix is the prefix of the veth end that goes on br-int.
	OuterPrefix = "qo-"
	// idLen is how much of the LRP UUID a device name keeps (14-char names).
	idLen = 11
	// MTUOverhead is what VXLAN over IPv4 takes from the underlay MTU.
	MTUOverhead = 50
)

// NSName is the namespace of the router with this NB UUID.
func NSName(router string) string { return NSPrefix + router }

// DevName is the qr- device of the router port with this NB LRP UUID.
func DevName(lrp string) string { return DevPrefix + short(lrp) }

// OuterName is the br-int end of the veth whose inner end is dev.
func OuterName(dev string) string { return OuterPrefix + strings.TrimPrefix(dev, DevPrefix) }

// Mark is the link alias of every device and namespace loopback we own.
func Mark(systemID string) string { return "dvr-chassis:" + systemID }

func short(id string) string {
	if len(id) > idLen {
		return id[:idLen]
	}
	return id
}
