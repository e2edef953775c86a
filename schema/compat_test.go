package schema_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/schema"
)

const (
	ovnNB = "/usr/share/ovn/ovn-nb.ovsschema"
	ovnSB = "/usr/share/ovn/ovn-sb.ovsschema"
)

// ownSBTables are dvr-northd's tables: they must not exist in OVN's SB.
var ownSBTables = map[string]bool{"DVR_MAC_Binding": true, "DVR_Router_Binding": true, "DVR_Port_Claim": true}

func TestSchemasAcceptedByOvsdbTool(t *testing.T) {
	ovsdbtest.RequireBinaries(t, "ovsdb-tool")
	for name, content := range map[string][]byte{"OVN_Northbound": schema.NB, "OVN_Southbound": schema.SB} {
		file := ovsdbtest.SchemaFile(t, content)
		db := filepath.Join(filepath.Dir(file), "db")
		if out, err := exec.Command("ovsdb-tool", "create", db, file).CombinedOutput(); err != nil {
			t.Fatalf("ovsdb-tool create %s: %v: %s", name, err, out)
		}
		out, err := exec.Command("ovsdb-tool", "db-name", db).Output()
		if err != nil || strings.TrimSpace(string(out)) != name {
			t.Fatalf("ovsdb-tool db-name: %q, %v; want %s", out, err, name)
		}
	}
}

func TestNBColumnsMatchOVN(t *testing.T) {
	compareWithOVN(t, schema.NB, ovnNB, nil)
}

func TestSBColumnsMatchOVN(t *testing.T) {
	compareWithOVN(t, schema.SB, ovnSB, ownSBTables)
}

type schemaJSON struct {
	Name    string               `json:"name"`
	Version string               `json:"version"`
	Tables  map[string]tableJSON `json:"tables"`
}

type tableJSON struct {
	Columns map[string]map[string]any `json:"columns"`
	Indexes [][]string                `json:"indexes"`
	IsRoot  bool                      `json:"isRoot"`
	MaxRows *int                      `json:"maxRows"`
}

// compareWithOVN checks that every table of ours (except own) exists in
// OVN's schema with the same isRoot, maxRows and indexes, and that each of
// its columns exists there with the same type (compared after expanding
// RFC 7047's short forms) and the same other attributes (ephemeral...).
func compareWithOVN(t *testing.T, ours []byte, ovnFile string, own map[string]bool) {
	t.Helper()
	theirs := readOVNSchema(t, ovnFile)
	var mine schemaJSON
	if err := json.Unmarshal(ours, &mine); err != nil {
		t.Fatal(err)
	}
	if mine.Name != theirs.Name {
		t.Fatalf("database name %q, OVN's is %q", mine.Name, theirs.Name)
	}
	if mine.Version != theirs.Version {
		// OVN's tools do not compare versions; note it, do not fail.
		t.Logf("version %s, OVN's is %s", mine.Version, theirs.Version)
	}
	for tn, tab := range mine.Tables {
		ot, ok := theirs.Tables[tn]
		if own[tn] {
			if ok {
				t.Errorf("table %s is meant to be our own, but OVN has one", tn)
			}
			continue
		}
		if !ok {
			t.Errorf("table %s is not in %s", tn, ovnFile)
			continue
		}
		if tab.IsRoot != ot.IsRoot {
			t.Errorf("%s: isRoot %v, OVN's %v", tn, tab.IsRoot, ot.IsRoot)
		}
		if !reflect.DeepEqual(tab.MaxRows, ot.MaxRows) {
			t.Errorf("%s: maxRows %v, OVN's %v", tn, deref(tab.MaxRows), deref(ot.MaxRows))
		}
		if a, b := indexKey(tab.Indexes), indexKey(ot.Indexes); a != b {
			t.Errorf("%s: indexes %s, OVN's %s", tn, a, b)
		}
		for cn, col := range tab.Columns {
			oc, ok := ot.Columns[cn]
			if !ok {
				t.Errorf("%s.%s is not in OVN's schema", tn, cn)
				continue
			}
			a, b := normalColumn(col), normalColumn(oc)
			if !reflect.DeepEqual(a, b) {
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				t.Errorf("%s.%s: %s, OVN's %s", tn, cn, ja, jb)
			}
		}
	}
}

func readOVNSchema(t *testing.T, file string) schemaJSON {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: install ovn-central / ovn-common, never skip)", err)
		}
		t.Skipf("OVN schema not installed: %v", err)
	}
	var s schemaJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func deref(p *int) any {
	if p == nil {
		return "unlimited"
	}
	return *p
}

// indexKey renders a table's indexes order-independently.
func indexKey(idx [][]string) string {
	var parts []string
	for _, cols := range idx {
		c := append([]string(nil), cols...)
		sort.Strings(c)
		parts = append(parts, "["+strings.Join(c, ",")+"]")
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// normalColumn expands a column's type to the long form: an atomic type
// name becomes {"key":{"type":T},"min":1,"max":1}, a base type name becomes
// {"type":T}, and min, max and refType get their defaults.
func normalColumn(col map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range col {
		out[k] = v
	}
	typ := map[string]any{"min": float64(1), "max": float64(1)}
	switch v := col["type"].(type) {
	case string:
		typ["key"] = map[string]any{"type": v}
	case map[string]any:
		for k, x := range v {
			typ[k] = x
		}
		for _, k := range []string{"key", "value"} {
			if s, ok := typ[k].(string); ok {
				typ[k] = map[string]any{"type": s}
			}
			if m, ok := typ[k].(map[string]any); ok && m["refTable"] != nil && m["refType"] == nil {
				c := map[string]any{"refType": "strong"}
				for kk, vv := range m {
					c[kk] = vv
				}
				typ[k] = c
			}
		}
	}
	out["type"] = typ
	return out
}
