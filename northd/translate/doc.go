// Package translate is dvr-northd's pure core: from an NB snapshot plus
// the SB rows northd reads (chassis, port claims, and the keys and MACs it
// allocated before) to the SB rows that should exist. No I/O, no clocks,
// deterministic: the same input always gives the same output, so golden
// fixtures are exact and a restarted or standby northd computes the same
// keys and MACs as the one before it.
//
//	Input ──Translate──▶ Output{Datapaths, Ports, DVRMACs, Hosting, LSPUp, Problems}
//
// What it derives (DESIGN §3): a datapath per switch and per distributed
// router; a Port_Binding per VM port and per attached router port
// (distributed-router-interface, on the switch's datapath); a DVR MAC per
// chassis under the base MAC; the (router, chassis) hosting pairs; the
// desired Logical_Switch_Port.up. Rows that are invalid (written by other
// clients) are reported as Problems and skipped; which rows are valid is
// internal/nbvalid, the rule dvr-nbctl applies before it writes
// (validity.go words its errors as Problems).
package translate
