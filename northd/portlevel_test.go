package northd

import (
	"testing"

	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// TestClassify: the event classes the incremental path relies on.
func TestClassify(t *testing.T) {
	up := true
	lsp := &nbdb.LogicalSwitchPort{UUID: "p", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.0.1"}}
	lspUp := &nbdb.LogicalSwitchPort{UUID: "p", Name: "vm1", Addresses: lsp.Addresses, Up: &up}
	lspMoved := &nbdb.LogicalSwitchPort{UUID: "p", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.0.2"}}
	for _, c := range []struct {
		what     string
		sb       bool
		table    string
		old, cur model.Model
		want     eventClass
	}{
		{"only up changed", false, nbdb.LogicalSwitchPortTable, lsp, lspUp, eventClass{kind: evUp}},
		{"addresses changed", false, nbdb.LogicalSwitchPortTable, lsp, lspMoved, eventClass{kind: evSwitchPort}},
		{"a port added", false, nbdb.LogicalSwitchPortTable, nil, lsp, eventClass{kind: evSwitchPort}},
		{"nb_cfg bumped", false, nbdb.NBGlobalTable, &nbdb.NBGlobal{NbCfg: 1}, &nbdb.NBGlobal{NbCfg: 2}, eventClass{barrier: true}},
		{"base MAC option", false, nbdb.NBGlobalTable, &nbdb.NBGlobal{}, &nbdb.NBGlobal{Options: map[string]string{OptBaseMAC: "x"}},
			eventClass{kind: evOther, barrier: true}},
		{"a router", false, nbdb.LogicalRouterTable, nil, &nbdb.LogicalRouter{}, eventClass{kind: evOther}},
		{"a switch", false, nbdb.LogicalSwitchTable, nil, &nbdb.LogicalSwitch{}, eventClass{kind: evSwitch}},
		{"a chassis' nb_cfg", true, sbdb.ChassisPrivateTable, &sbdb.ChassisPrivate{}, &sbdb.ChassisPrivate{NbCfg: 3}, eventClass{barrier: true}},
		{"a chassis' hostname", true, sbdb.ChassisTable, &sbdb.Chassis{Name: "c"}, &sbdb.Chassis{Name: "c", Hostname: "h"}, eventClass{barrier: true}},
		{"a chassis' encaps", true, sbdb.ChassisTable, &sbdb.Chassis{Name: "c"}, &sbdb.Chassis{Name: "c", Encaps: []string{"e"}},
			eventClass{kind: evOther, barrier: true}},
		{"an encap", true, sbdb.EncapTable, nil, &sbdb.Encap{}, eventClass{kind: evOther}},
		{"a binding", true, sbdb.PortBindingTable, nil, &sbdb.PortBinding{}, eventClass{kind: evBinding}},
		{"a DVR MAC", true, sbdb.DVRMACBindingTable, nil, &sbdb.DVRMACBinding{}, eventClass{kind: evOwned}},
		{"northd's own seq", true, sbdb.SBGlobalTable, &sbdb.SBGlobal{NbCfg: 1}, &sbdb.SBGlobal{NbCfg: 1, ExternalIDs: map[string]string{"k": "v"}}, eventClass{}},
		{"SB nb_cfg", true, sbdb.SBGlobalTable, &sbdb.SBGlobal{NbCfg: 1}, &sbdb.SBGlobal{NbCfg: 2}, eventClass{barrier: true}},
	} {
		classify := classifyNB
		if c.sb {
			classify = classifySB
		}
		if got := classify(c.table, c.old, c.cur); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.what, got, c.want)
		}
	}
}
