// Package trace explains an `ovs-appctl ofproto/trace` of dvr-chassis'
// bridges, as OVN's ovn-detrace does for OVN: every flow the packet hits
// gets its table's Neutron name (chassis/flows), what the flow is for
// (flows.Purpose) and the SB row its cookie names (category and object,
// decoded by chassis/flows' Cookie methods, named by a Resolver); the
// datapath actions are mapped back to ports and names, so the report ends
// with where the packet left (a VM port and its logical port, a vx- tunnel
// with the remote chassis and the VNI, a qr-/qo- router interface) or the
// flow that dropped it.
//
//	ofproto/trace text ──Parse──▶ Trace ──Explain(Options{Ports, Resolver})──▶ Report ──Text──▶ operator
//	dpif/show text ──ParseDpifShow──▶ Ports
//	SB rows ──NewSBNames──▶ *SBNames (a Resolver)
//
// Pure: no I/O, no clocks, no package state; cmd/dvr-trace runs
// ovs-appctl and reads the SB. It lives under chassis/ because it reads
// what chassis/flows writes and nothing else. Tested on captured OVS 3.1
// outputs (testdata/) and, in cmd/dvr-trace, on a real ovs-vswitchd and
// SB ovsdb-server.
package trace
