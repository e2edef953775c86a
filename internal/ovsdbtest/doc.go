// Package ovsdbtest holds the OVSDB test harnesses.
//
// Real servers: Start, StartNB and StartSB run ovsdb-server processes for
// tests and benchmarks: standalone, or as a 1- or 3-member RAFT cluster,
// optionally with SSL certificates made by ovs-pki. Each server runs as a
// child of the test process in its own short temp dir (unix sockets hold at
// most 108 bytes), with a pid file and a log, and is always stopped by pid:
// by t.Cleanup when the test ends, and by Pdeathsig if the test binary dies.
// Under CI=true a missing binary fails the test; elsewhere it skips.
//
// In-memory servers: StartMemoryNB and StartMemorySB serve libovsdb's
// in-memory database, seeded with model rows, for fast unit tests of
// libovsdb client code. It is a test double with known gaps (see
// MemoryServer); anything OVN tools or RAFT must see needs a real server.
//
// Clients: NewClient, NBClient and SBClient return connected libovsdb
// clients (always with a logger), closed by t.Cleanup.
//
// Matching: AssertRows, WaitRows and DiffRows compare a database's rows to
// expected models ignoring UUIDs, with references between expected rows
// written as names, and report differing columns, missing and unexpected
// rows.
package ovsdbtest
