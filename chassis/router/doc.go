// Package router builds the qrouter namespaces of the routers this chassis
// hosts (issue 12 item 9; reference/neutron-dvr.md §5): one namespace
// qrouter-<NB router UUID> per router, with Neutron's sysctls (IPv6 off
// before any qr- enters, ip_forward=1, arp_ignore=1, arp_announce=2), one
// qr-<first 11 characters of the NB LRP UUID> device per router interface
// (the gateway MAC, every IPv4 address/prefix, MTU = underlay MTU - 50, up)
// and a NUD_PERMANENT neighbour entry for every bound VM port IP, on the
// qr- whose subnet holds that IP.
//
// Shape (DESIGN §6): Desired (desired.go) is pure: Input in, State and
// the skipped items (IPv6 addresses, IPs on no attached subnet, bad MACs)
// out, sorted, deterministic. Applier (apply*.go) is the thin side: it
// reads what is there through one netlink handle per namespace and
// changes only the difference; it keeps no state between calls, so a
// restarted daemon converges from whatever the previous run left.
//
// Ownership and sweep: every qr- device the applier makes carries the
// link alias Mark(system-id) ("dvr-chassis:<system-id>"), and so does the
// loopback of every namespace it creates. A qrouter-* namespace is ours
// if its lo or any of its links carries the mark; only ours are swept,
// and only when they hold no unmarked device besides lo. Unmarked devices
// in our namespaces are never touched. A qr- port leaves OVS (Plumber.
// Unplug) before its device or namespace is deleted (an internal tap in a
// deleted namespace makes ovs-vswitchd spin, multi-hv-sandbox.md §7).
//
// OVS side: the applier implements the veth driver: a pair whose inner
// end is created directly in the namespace as qr-<11>, the outer end
// qo-<11> in the applier's own namespace. Plumber (the chassis daemon's
// OVSDB applier, or a test helper) puts the outer end on br-int with the
// network's local VLAN as tag and the owner key, no iface-id; when the
// pair was re-created it must re-plug (a veth re-created under the same
// name is not read by OVS until del-port/add-port).
//
// Threads: netlink handles are opened with netlink.NewHandleAt; the few
// things that need the calling thread inside a namespace (creating it,
// writing /proc/sys/net) run in a goroutine of their own that locks its
// OS thread and, if it cannot return it to the original namespace, exits
// locked so that the runtime discards the thread.
//
// Namespaces are named in /run/netns of the calling process' mount
// namespace (vishvananda/netns): run the applier where that /run/netns is
// the chassis' (in tests, inside an internal/hvtest hypervisor).
//
// Not yet here: wiring into the dvr-chassis round, the OVS internal-port
// driver, allowed-address-pairs, csnat/gateway ports, IPv6.
package router
