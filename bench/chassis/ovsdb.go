package main

import "github.com/dvr-ovn/dvr/bench/internal/benchkit"

// Raw OVSDB sessions (internal/ovsdbrpc, through benchkit), as
// bench/northd's: the floor's read and the benchmark's own writes, built
// with benchkit's operation helpers.

// db is one raw session to one database (bench/internal/benchkit).
type db = benchkit.DB

const (
	nbDB = "OVN_Northbound"
	sbDB = "OVN_Southbound"
)
