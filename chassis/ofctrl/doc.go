// Package ofctrl is dvr-chassis' OpenFlow side: it keeps the flows of ours
// on one bridge (br-int or br-tun) equal to the desired ones that
// chassis/flows computes, over a persistent OpenFlow 1.3 connection to the
// bridge's mgmt socket (unix:<rundir>/<bridge>.mgmt).
//
//	b := ofctrl.New(ofctrl.Config{RunDir: rundir, Bridge: "br-int", Log: log, Poke: poke})
//	go b.Run(ctx)                      // connect, reconnect with backoff, Poke after each connect
//	rep, err := b.Sync(ctx, desired)   // one atomic bundle; returns once OVS committed it
//	b.Installed(); b.Connected()       // for metrics
//
// Shape (pure decide, thin do):
//
//	compile.go, learn.go, fields.go  ovs-ofctl text → OpenFlow 1.3 match TLVs and instructions
//	msg.go                           wire messages (hello, flow-mod, bundle, flow-stats request)
//	conn.go                          the connection: framing, echo, xid routing, failure
//	readback.go                      flow-stats read-back → installed entries, by bytes
//	sync.go                          Diff, plan, one bundle, the Report
//	bridge.go                        Config, Run, the installed state
//
// Connection. The Hello offers OpenFlow 1.3 only (header and version
// bitmap); if the bridge's protocols exclude it the error says so and names
// the bridge. A reader goroutine of ours frames messages (header, then
// body: libOpenflow's MessageStream reorders them), answers echo requests
// and hands replies and errors to the waiter of their xid. An echo request
// goes out after every idle EchoInterval (5s); three silent intervals drop
// the connection. Any read or write error fails every pending request and
// Run reconnects (100ms doubling to 2s), then calls Poke.
//
// Compiler. The vocabulary is what chassis/flows emits, written as
// `ovs-ofctl -O OpenFlow13 dump-flows` prints it:
//
//	match:   arp, in_port=N, dl_vlan=N, dl_src=MAC, dl_dst=MAC[/MASK],
//	         arp_op=N, arp_tpa=IP, arp_spa=IP, arp_tha=MAC, arp_sha=MAC, tun_id=N, reg6=N
//	actions: drop (alone), NORMAL, IN_PORT, output:N, pop_vlan, push_vlan:0x8100,
//	         set_field:V->{eth_src,eth_dst,vlan_vid,tun_id,reg6,arp_sha,arp_spa},
//	         move:F[..]->F[..], load:V->F[..],
//	         learn(table=,idle_timeout=,hard_timeout=,priority=,cookie=, F[..], F[..]=F[..],
//	               load:V->F[..], load:F[..]->F[..], output:F[..]),
//	         goto_table:N (last)
//
// with F one of the NXM_OF_/NXM_NX_ fields of fields.go and OXM_OF_IN_PORT.
// Anything else is an error naming the token and the flow (reported as a
// Rejection, never sent). Actions become one apply-actions instruction,
// then goto_table. libOpenflow (contiv, pinned) encodes the match fields,
// actions, instructions and bundle messages; this package writes what it
// gets wrong or lacks: the Hello (libOpenflow's offers 1.0 too), the
// flow-mod header (its MarshalBinary writes out_port into out_group), the
// flow-stats request, output max_len 0 (ovs-ofctl's; libOpenflow's is
// 256). libOpenflow's decoders are never used (they panic on Nicira
// actions they do not model).
//
// The encoding is OVS's own: a flow we install, or that ovs-ofctl installs
// from the same text, comes back in a flow-stats reply with instructions
// byte-identical to our encoding (TestReadBackOfOfctlFlows), and dumps as
// exactly the desired text (TestCompileExactOnOVS).
//
// Sync. The installed set is kept in memory, keyed as flows.Diff keys
// flows. After a (re)connect (the switch may have restarted, or the
// protocols changed), the first Sync reads back the flows of ours (one
// OFPMP_FLOW request, all tables, cookie flows.CookieOwner under
// flows.CookieOwnerMask) and turns them into entries without decoding an
// action: a flow whose table, priority and match (OXM TLVs sorted) are a
// desired flow's takes its identity, and its actions when its instruction
// bytes equal our encoding of them and its cookie is the desired one; a
// flow of ours matching no desired flow gets a placeholder identity and
// its raw match is kept for the strict delete. Learned flows (CatLearned)
// are left out; flows with other cookies are never read, modified or
// deleted, with one limit: a foreign flow with exactly a desired flow's
// table, priority and match is not seen, and the add replaces it
// (OpenFlow holds one flow per identity).
//
// flows.Diff then gives the changes, sent in ONE atomic, ordered bundle
// (open, the strict deletes, the adds and modifies as OFPFC_ADD, commit;
// pipelined, each message well under 64 KiB; the inner xid of each bundled
// flow-mod equals its BUNDLE_ADD's), so a resync has no empty-table
// window. Sync returns after the commit reply. Errors OVS finds while
// decoding a bundled flow-mod come back on that message's xid before the
// commit reply, and the commit applies the rest: each is a Rejection
// (entry and OVS's error in words), not counted installed, and not sent
// again while it stays desired unchanged on this connection
// (Report.StillRejected); it is retried when its entry changes or after a
// reconnect. An error on the commit fails the Sync and drops the installed
// set, so the next Sync reads back. An empty diff sends nothing.
//
// SyncScopes (scope.go) is Sync for some scopes only (flows.Cookie.Scope:
// a network's VNI, or global): the installed set is indexed by scope, so
// a change on one network diffs that network's flows, not the table's.
// It answers ErrStale while the installed set is unknown (a full Sync
// reads back first).
package ofctrl
