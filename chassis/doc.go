// Package chassis is dvr-chassis, the per-hypervisor daemon: it registers
// the hypervisor in the southbound database, builds br-int and br-tun in
// the local Open_vSwitch database, claims the Port_Bindings of the VM
// interfaces plugged into br-int, gives every network on this hypervisor a
// local VLAN, and reports the SB_Global.nb_cfg it has applied.
//
// Shape (DESIGN §6): two monitors (internal/ovsdbmon), one on the SB and
// one on the local OVSDB, poke a level-triggered loop (run.go). The SB
// monitor (monitor.go) takes every row of every table the chassis reads
// (--monitor=all, the default), or, in --monitor=conditional, only the
// Port_Binding and DVR_Router_Binding rows this chassis needs: its
// iface-ids, the ports bound to it, every row of a network present here,
// its routers' interfaces and the router bindings of the routers on its
// networks (interest.go: a pure function of the view, so it grows as rows
// arrive to a fixed point). libovsdb cannot change a monitor's condition,
// so a changed interest replaces the SB client, at most once per
// ReplaceEvery (condmonitor.go); a round reports nb_cfg only from a view
// whose conditions cover its interest, and applies nothing before the
// first such view of a run (a partial view would tear down what the last
// run built). Another
// chassis' Chassis_Private update (one per chassis at every barrier bump)
// pokes nothing (events.go). Each round
// reads both caches into plain values (view.go), decides with pure
// functions what should be (register.go, claims.go, vlans.go, tunnels.go,
// bridges.go: no I/O, tested as functions), and applies only the
// difference: one transaction on the local OVSDB, then one on the SB
// (round.go, apply.go; raw operations on named columns in ops.go). A round whose commits were acknowledged, and which handled
// every local interface present when it started, writes that state's
// SB_Global.nb_cfg into Chassis_Private.nb_cfg (the barrier behind
// dvr-nbctl --wait=hv).
//
// Ownership: the chassis writes only its own Chassis, Encap,
// Chassis_Private and DVR_Port_Claim rows, never a Port_Binding (its
// claims are how it binds a port; dvr-northd copies them into
// Port_Binding.chassis and up, schema/README.md §2). Every OVS port and interface it creates carries
// external_ids:dvr-chassis-owner=<system-id>; it sweeps only those, and
// touches no other port except the VM ports on br-int whose
// external_ids:iface-id names a Port_Binding (or that it tagged before),
// whose tag and other_config:dvr-network it sets. A port whose iface-id
// names no Port_Binding may be another agent's: it is logged, not touched.
//
// Routers (dataplane.go, hosting.go, plumber.go): for every router a
// DVR_Router_Binding hosts here (once the chassis has its DVR MAC), the
// round makes the qrouter namespace with chassis/router (veth qr- devices,
// permanent ARP entries for every bound VM on the router's subnets), then
// lists each qr- device's outer end as a tagged port of ours on br-int
// (PlanOVS). The router applier's Plumber removes a port before its device
// goes, and on a re-created device, so PlanOVS adds it again.
//
// Flows (dataplane.go, flowinput.go): FlowInput turns the SB view and the
// round's decisions into a chassis/flows Input; the computed flows go to
// one chassis/ofctrl Bridge per bridge (a persistent OpenFlow 1.3
// connection; only the difference is sent, in one bundle, and the round
// waits for its commit). A claim's up is true on exactly the served
// ports whose flows OVS acknowledged; nb_cfg is reported only when both
// bridges' flows and the router namespaces were applied.
//
// Incremental path (sbview.go, localview.go, portlevel.go, incremental.go):
// both views are kept from the monitors' events, not listed every round; a
// round whose changes portlevel.go accepts (port-level SB changes, local
// binds and releases, router interfaces of routers already hosted, other
// chassis' router bindings, while the tunnels stay) recomputes only the
// networks they touch (flows.ComputeNetworks, ofctrl SyncScopes), the
// routers attached to them (router.Applier.ApplyNamespaces), the tags of
// the VM ports whose service changed and the qr- ports added; anything
// else, and the Resync tick, run the full round above, the oracle
// (TestIncrementalMatchesRecompute).
package chassis
