// Package ovsdbtest starts real ovsdb-server processes for tests and
// benchmarks: standalone, or as a 1- or 3-member RAFT cluster, optionally
// with SSL certificates made by ovs-pki. Each server runs as a child of the
// test process in its own short temp dir (unix sockets hold at most 108
// bytes), with a pid file and a log, and is always stopped by pid: by
// t.Cleanup when the test ends, and by Pdeathsig if the test binary dies.
//
// Under CI=true a missing binary fails the test; elsewhere it skips.
package ovsdbtest
