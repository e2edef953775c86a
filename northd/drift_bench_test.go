package northd

import (
	"testing"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/northd/translate"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// BenchmarkFindDrift100k is the drift check of the round after a cold
// start at 100k VM ports: every Port_Binding northd inserted comes back
// as an event and is compared with the State (none has drifted).
func BenchmarkFindDrift100k(b *testing.B) {
	rows := fixtures.MustGenerate(100, 10, 100, 100).NBRows()
	nb := &NBState{Global: &nbdb.NBGlobal{}}
	for _, m := range rows.Switches {
		nb.Switches = append(nb.Switches, *m)
	}
	for _, m := range rows.SwitchPorts {
		nb.SwitchPorts = append(nb.SwitchPorts, *m)
	}
	for _, m := range rows.Routers {
		nb.Routers = append(nb.Routers, *m)
	}
	for _, m := range rows.RouterPorts {
		nb.RouterPorts = append(nb.RouterPorts, *m)
	}
	out := translate.Translate(Input(nb, &SBState{Global: &sbdb.SBGlobal{}}, ""))
	ix := indexes{dpNB: map[string]string{}, nbDP: map[string]string{}}
	ch := newChanges()
	for id := range out.Datapaths {
		ix.dpNB["dp-"+id], ix.nbDP[id] = id, "dp-"+id
	}
	for name, p := range out.Ports {
		pb := &sbdb.PortBinding{UUID: "pb-" + name, LogicalPort: name, Datapath: "dp-" + p.Datapath, TunnelKey: p.Key,
			Type: p.Type, MAC: p.MAC, Options: p.Options, ExternalIDs: p.ExternalIDs}
		ch.pbs[pb.UUID] = rowChange[sbdb.PortBinding]{cur: pb}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ds := findDrift(&out, ch, &ix, nil); len(ds) != 0 {
			b.Fatalf("drift in an unchanged SB: %v", ds[:1])
		}
	}
}
