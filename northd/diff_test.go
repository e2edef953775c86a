package northd

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
	"github.com/dvr-ovn/dvr/schema"
)

// TestHandBuiltRowsMatchTheMapper: the rows the diff builds by hand are
// the ones libovsdb's mapper builds from the models.
func TestHandBuiltRowsMatchTheMapper(t *testing.T) {
	var s ovsdb.DatabaseSchema
	if err := json.Unmarshal(schema.SB, &s); err != nil {
		t.Fatal(err)
	}
	cm, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	dbm, errs := model.NewDatabaseModel(s, cm)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	dp := "3b8525dc-08ef-4677-a1c8-ae230b4a5e5e"
	for _, w := range []translate.Port{
		{Name: "vm11", Key: 2, MAC: []string{"fa:16:3e:00:01:0b 10.0.1.11"}},
		{Name: "vm12", Key: 3},
		{Name: "vm13", Key: 4, Chassis: "hv1", Up: true},
		{Name: "r1-sw1", Key: 1, Type: sbkeys.TypeRouterInterface, MAC: []string{"fa:16:3e:00:ff:01 10.0.1.1/24"},
			Options: map[string]string{"router": "r1"}, ExternalIDs: map[string]string{"logical-router": "x", "logical-router-port": "y"}},
	} {
		m := &sbdb.PortBinding{LogicalPort: w.Name, Datapath: dp, TunnelKey: w.Key,
			Type: w.Type, MAC: w.MAC, Options: w.Options, ExternalIDs: w.ExternalIDs}
		chRow := ""
		if w.Chassis != "" {
			chRow = "0b9f3a5e-8c1d-4e2f-9a7b-6c5d4e3f2a10"
			up := w.Up
			m.Chassis, m.Up = &chRow, &up
		}
		want, err := ovsdbops.Insert(dbm, sbdb.PortBindingTable, m, "n")
		if err != nil {
			t.Fatal(err)
		}
		if got := pbRow(w.Name, &w, dp, chRow); !reflect.DeepEqual(got, want.Row) {
			t.Errorf("%s:\n hand   %#v\n mapper %#v", w.Name, got, want.Row)
		}
	}
	want, err := ovsdbops.Insert(dbm, sbdb.DVRRouterBindingTable, &sbdb.DVRRouterBinding{Datapath: dp, ChassisName: "hv1"}, "n")
	if err != nil {
		t.Fatal(err)
	}
	if got := rbInsert(dp, "hv1", "n"); !reflect.DeepEqual(got.Row, want.Row) {
		t.Errorf("router binding:\n hand   %#v\n mapper %#v", got.Row, want.Row)
	}
}
