// Package schema holds the committed OVSDB schemas of the project: the
// northbound database (a column-compatible subset of OVN 23.03's
// OVN_Northbound) and the southbound database (OVN_Southbound, OVN's names
// where the concept is OVN's, plus northd's own DVR tables), and the
// Open_vSwitch schema of the OVS release we run on. The Go models in
// internal/nbdb, internal/sbdb and internal/vswitchd are generated from these files; see
// README.md in this directory for every table, column and its writer.
package schema

import _ "embed"

//go:generate go tool modelgen -extended -p nbdb -o ../internal/nbdb nb.ovsschema
//go:generate go tool modelgen -extended -p sbdb -o ../internal/sbdb sb.ovsschema
//go:generate go tool modelgen -extended -p vswitchd -o ../internal/vswitchd vswitch.ovsschema

// NB is the northbound schema as served by ovsdb-server.
//
//go:embed nb.ovsschema
var NB []byte

// SB is the southbound schema as served by ovsdb-server.
//
//go:embed sb.ovsschema
var SB []byte

// VSwitch is the Open_vSwitch schema of OVS 3.1 (Debian 12's
// openvswitch-switch, /usr/share/openvswitch/vswitch.ovsschema), which
// dvr-chassis reads and writes on every hypervisor through the models in
// internal/vswitchd. It is not ours: it is committed so that the models are
// generated from a known version.
//
//go:embed vswitch.ovsschema
var VSwitch []byte
