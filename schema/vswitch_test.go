package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/vswitchd"
	"github.com/dvr-ovn/dvr/schema"
)

const installedVSwitch = "/usr/share/openvswitch/vswitch.ovsschema"

// TestVSwitchSchemaIsTheInstalledOne: the committed Open_vSwitch schema is
// the one of the OVS we run on (its models are generated from it).
func TestVSwitchSchemaIsTheInstalledOne(t *testing.T) {
	b, err := os.ReadFile(installedVSwitch)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if !bytes.Equal(b, schema.VSwitch) {
		t.Fatalf("%s differs from schema/vswitch.ovsschema: copy it and run make generate", installedVSwitch)
	}
}

// TestVSwitchModelsMatchTheSchema: the generated models map onto it.
func TestVSwitchModelsMatchTheSchema(t *testing.T) {
	var s ovsdb.DatabaseSchema
	if err := json.Unmarshal(schema.VSwitch, &s); err != nil {
		t.Fatal(err)
	}
	cm, err := vswitchd.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := model.NewDatabaseModel(s, cm); len(errs) > 0 {
		t.Fatal(errs)
	}
}
