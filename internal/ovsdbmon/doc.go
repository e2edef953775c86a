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
package ovsdbmon
