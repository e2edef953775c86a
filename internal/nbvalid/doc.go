// Package nbvalid is the one rule of validity for NB rows: what dvr-nbctl
// writes and what dvr-northd translates are decided by the same functions,
// so that "what dvr-nbctl accepts, dvr-northd translates" holds by
// construction. dvr-nbctl calls them before it writes (an error is the
// command's one-line message, and nothing is written); dvr-northd calls
// them on the rows it reads (an error becomes its Problem: the row is
// logged, skipped, and picked up when fixed).
//
// One function per kind of row or relation between rows:
//
//	VMPort           a VM port's addresses (type "")
//	RouterPort       a router port's mac, networks and peer (Network: one network)
//	VMOnSubnets      a VM port's IPs against the subnets of the routers attached to its switch
//	NetworksOverVMs  a router port's networks against the VM IPs on the switch it attaches to
//
// The last two are one rule seen from either side (ReservedAddrs): on a
// conflict the VM port is in the wrong and the router interface keeps its
// subnet.
//
// Every error names the bad value first ("10.0.1.0: ..."), as dvr-nbctl's
// errors do. A *FieldError also says which column holds it.
//
// Why a package of its own and not internal/addr: addr parses one value
// of one form (a MAC, an IP, "IP/PREFIX") and knows nothing of rows; the
// rules here are about rows and about rows next to each other on a switch
// (a VM's IP against a router's subnet), which are policy, not syntax.
// They build on addr's parsers. Both packages are pure: no I/O, no state.
package nbvalid
