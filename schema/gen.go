// Package schema holds the committed OVSDB schemas of the project: the
// northbound database (a column-compatible subset of OVN 23.03's
// OVN_Northbound) and the southbound database (OVN_Southbound, OVN's names
// where the concept is OVN's, plus northd's own DVR tables). The Go models in
// internal/nbdb and internal/sbdb are generated from these files; see
// README.md in this directory for every table, column and its writer.
package schema

import _ "embed"

//go:generate go tool modelgen -extended -p nbdb -o ../internal/nbdb nb.ovsschema
//go:generate go tool modelgen -extended -p sbdb -o ../internal/sbdb sb.ovsschema

// NB is the northbound schema as served by ovsdb-server.
//
//go:embed nb.ovsschema
var NB []byte

// SB is the southbound schema as served by ovsdb-server.
//
//go:embed sb.ovsschema
var SB []byte
