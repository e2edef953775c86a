package chassis

import (
	"github.com/ovn-org/libovsdb/client"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// sbTables is the SB monitor: every table the chassis reads, in full
// (all rows, all columns; DESIGN §4: the default monitor mode), each named
// once.
func sbTables(client.Client) []client.MonitorOption {
	return []client.MonitorOption{
		client.WithTable(&sbdb.SBGlobal{}),
		client.WithTable(&sbdb.Chassis{}),
		client.WithTable(&sbdb.ChassisPrivate{}),
		client.WithTable(&sbdb.Encap{}),
		client.WithTable(&sbdb.DatapathBinding{}),
		client.WithTable(&sbdb.PortBinding{}),
		client.WithTable(&sbdb.DVRMACBinding{}),
		client.WithTable(&sbdb.DVRRouterBinding{}),
	}
}

// localTables is the local Open_vSwitch monitor. It names its columns:
// never Interface statistics or status, nor anything else that
// ovs-vswitchd rewrites every few seconds (each change would cost a
// round). Rows read from it lack every other column, so the chassis never
// writes a whole model back: only the columns it names (ops.go, bridges.go).
func localTables(client.Client) []client.MonitorOption {
	o := &vswitchd.OpenvSwitch{}
	b := &vswitchd.Bridge{}
	p := &vswitchd.Port{}
	i := &vswitchd.Interface{}
	return []client.MonitorOption{
		client.WithTable(o, &o.Bridges, &o.ExternalIDs),
		client.WithTable(b, &b.Name, &b.Ports, &b.FailMode, &b.DatapathType, &b.ExternalIDs),
		client.WithTable(p, &p.Name, &p.Interfaces, &p.Tag, &p.OtherConfig, &p.ExternalIDs),
		client.WithTable(i, &i.Name, &i.Type, &i.Options, &i.ExternalIDs, &i.Ofport, &i.Error),
	}
}
