// Package flows is dvr-chassis' pure flow computation: from what one
// chassis knows (Input: its DVR MAC and the other chassis', the networks
// present here with their VNI and local VLAN, router interfaces, local and
// remote VM ports, ofports) to the flows br-int and br-tun should hold, and
// from desired and installed flows to the changes to send. No I/O, no
// clocks, no package state; the same Input always gives the same, sorted
// Result, so golden files are exact.
//
//	Input ──Compute──▶ Result{Int, Tun []Flow, Skipped}
//	desired, installed []Entry ──Diff──▶ Changes{Add, Modify, Delete, Conflicts}
//
// The tables are Neutron's (neutron-lib ovs_constants numbers and names,
// defined once in tables.go), their flows those of Neutron's DVR agent for
// tunnel networks (reference neutron-dvr §3, §4, the packet walk of §6)
// without the defects its §7 lists, plus one addition: br-int never learns
// remote VM MACs, so LOCAL_SWITCHING records a local port's network in
// reg6 and TRANSIENT sends frames for known remote VMs straight to
// patch-tun instead of flooding them to every local port. docs/pipeline.md
// lists every table and flow, its purpose and the SB row it comes from.
//
// A flow is identified by (table, priority, match). Its cookie says that
// it is ours, its category and the SB object it comes from (cookie.go);
// flows written by the learn action carry the CatLearned category and are
// never diffed. Match and actions are ovs-ofctl text exactly as
// `ovs-ofctl -O OpenFlow13 dump-flows` prints it, so installed flows read
// back in that form compare equal; Flow.Symbolic renders ofports and
// VLANs by name for golden files (ovsdb-fixtures/chassis/flows/<step>/<chassis>.flows,
// one per seed step of ovsdb-fixtures/northd).
//
// IPv4 only: IPv6 addresses are skipped and listed in Result.Skipped, as is
// every value that gave no flow, so the daemon can log each once.
package flows
