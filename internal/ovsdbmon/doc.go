// Package ovsdbmon keeps one libovsdb client with one monitor alive for a
// long-lived daemon: dvr-northd monitors NB and SB with it, and dvr-chassis
// SB and the local Open_vSwitch database.
//
// It does not use libovsdb's own reconnect: after a reconnect that cache is
// purged and refilled while readers may look, and with WithLeaderOnly it
// can deadlock. Instead a lost client, or one that stops answering echoes
// (a watchdog), is replaced by a fresh one after a backoff that never gives
// up, and readers see only clients whose initial dump is done. Each fresh
// client bumps a generation, so a reader that keeps state derived from a
// view knows when to rebuild it. Tables is called for every fresh client,
// so Replace (make before break: the current client serves until the
// fresh one is ready) is how a caller changes its monitor's conditions:
// libovsdb has no monitor_cond_change.
//
// RAFT clusters: monitors need no leader, but a member must be current.
// A fresh client is kept only when its member's _Server row says it is
// connected to its cluster and has applied at least the highest RAFT
// index this monitor saw before (read again with every echo); a member
// just restarted, or cut off from the majority, serves old data, and a
// reader handed a view older than one it acted on would undo changes
// (dvr-northd would rewrite SB from it). Such a member is passed over for
// the next one in the list, as OVSDB's own client library does.
package ovsdbmon
