// Package daemon holds what a long-running dvr program does as an OVS
// daemon does, apart from its work: a pid file locked while the process
// runs (a second instance with the same file refuses to start; a file left
// by a dead process is taken over; only its holder removes it), a log file
// opened for appending and reopened on SIGHUP for logrotate, and a SIGHUP
// that never ends the process.
//
// dvr-northd uses it; dvr-chassis is meant to. The package keeps no
// package-level state: each value is made by the caller and passed on.
package daemon
