// Package northd is dvr-northd: it reads NB (and the SB rows chassis write)
// through libovsdb monitors (internal/ovsdbmon: a fresh client replaces a
// lost or stuck one), translates them with the pure translate
// package, and commits only the difference to SB, one transaction per
// round, carrying the nb_cfg barrier.
//
//	NB monitor ─┐                     ┌─▶ SB session (holds the lock; every
//	            ├─▶ snapshot ─▶ Translate ─▶ diff ─┤   txn: assert + epoch wait)
//	SB monitor ─┘                     └─▶ NB session (LSP.up, sb_cfg, hv_cfg;
//	                                                  every txn: epoch wait)
//
// Active/standby (DESIGN §4): the OVSDB lock elects, an epoch fences. The
// lock is held on a JSON-RPC session of our own to the SB leader, which
// also carries every SB write, each starting with an assert of the lock.
// On becoming active an instance bumps an epoch in SB_Global and
// NB_Global external_ids, and every write it makes waits on that epoch
// still being its own, so two instances never both write, even when two
// RAFT members each granted a lock during a leader change.
//
// The loop is level-triggered: monitor events only mark work, rounds read
// the caches, and after each commit the next round waits until the
// monitors show it (a sequence number northd keeps in the same
// external_ids maps).
package northd
