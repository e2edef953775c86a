package fixtures

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/ovn-org/libovsdb/model"
)

// NBRows are the rows of the four topology tables. Row UUIDs and references
// (Logical_Switch.ports, Logical_Router.ports) are named UUIDs (NamedUUID)
// when built from a Topology, and real UUIDs when read from a server.
type NBRows struct {
	Routers     []*nbdb.LogicalRouter
	RouterPorts []*nbdb.LogicalRouterPort
	Switches    []*nbdb.LogicalSwitch
	SwitchPorts []*nbdb.LogicalSwitchPort
}

// Named-UUID prefixes, one per table.
var tablePrefix = map[string]string{
	nbdb.LogicalRouterTable:     "lr_",
	nbdb.LogicalRouterPortTable: "lrp_",
	nbdb.LogicalSwitchTable:     "ls_",
	nbdb.LogicalSwitchPortTable: "lsp_",
}

// NamedUUID is the OVSDB named UUID of the row called name in table: a
// per-table prefix and the name with every character other than a letter,
// digit or '_' replaced by '_' ("r1-sw1" in Logical_Router_Port →
// "lrp_r1_sw1"). Used in transactions, in nb.json and in NBRows.
func NamedUUID(table, name string) string {
	var b strings.Builder
	b.WriteString(tablePrefix[table])
	for _, r := range name {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// NBRows returns the topology's NB rows: per router a Logical_Router holding
// its LRPs; per subnet a Logical_Switch holding the router-type LSP
// (addresses "router", options:router-port=<LRP>) and its VM LSPs (addresses
// "MAC IP"). That is what `dvr-nbctl lr-attach` and the ovn-nbctl expansion
// write. NB_Global is not included.
func (t Topology) NBRows() NBRows {
	var rows NBRows
	for _, r := range t.Routers {
		lr := &nbdb.LogicalRouter{UUID: NamedUUID(nbdb.LogicalRouterTable, r.Name), Name: r.Name}
		for _, s := range r.Subnets {
			lrp := &nbdb.LogicalRouterPort{
				UUID:     NamedUUID(nbdb.LogicalRouterPortTable, s.LRP),
				Name:     s.LRP,
				MAC:      s.MAC,
				Networks: []string{s.Network.String()},
			}
			lr.Ports = append(lr.Ports, lrp.UUID)
			rows.RouterPorts = append(rows.RouterPorts, lrp)

			ls := &nbdb.LogicalSwitch{UUID: NamedUUID(nbdb.LogicalSwitchTable, s.Switch), Name: s.Switch}
			rlsp := &nbdb.LogicalSwitchPort{
				UUID:      NamedUUID(nbdb.LogicalSwitchPortTable, s.RouterLSP),
				Name:      s.RouterLSP,
				Type:      "router",
				Addresses: []string{"router"},
				Options:   map[string]string{"router-port": s.LRP},
			}
			ls.Ports = append(ls.Ports, rlsp.UUID)
			rows.SwitchPorts = append(rows.SwitchPorts, rlsp)
			for _, p := range s.Ports {
				lsp := &nbdb.LogicalSwitchPort{
					UUID:      NamedUUID(nbdb.LogicalSwitchPortTable, p.Name),
					Name:      p.Name,
					Addresses: []string{p.Addresses()},
				}
				ls.Ports = append(ls.Ports, lsp.UUID)
				rows.SwitchPorts = append(rows.SwitchPorts, lsp)
			}
			rows.Switches = append(rows.Switches, ls)
		}
		rows.Routers = append(rows.Routers, lr)
	}
	return rows
}

// Models returns every row, for client.Create or a test cache.
func (r NBRows) Models() []model.Model {
	out := make([]model.Model, 0, len(r.Routers)+len(r.RouterPorts)+len(r.Switches)+len(r.SwitchPorts))
	for _, m := range r.Routers {
		out = append(out, m)
	}
	for _, m := range r.RouterPorts {
		out = append(out, m)
	}
	for _, m := range r.Switches {
		out = append(out, m)
	}
	for _, m := range r.SwitchPorts {
		out = append(out, m)
	}
	return out
}

// Resolved returns a deep copy whose named UUIDs (row UUIDs and references)
// are replaced by fixed, valid UUIDs derived from them (SHA-1, formatted as a
// version-5 UUID), for pure-function tests that need real-looking UUIDs
// (qrouter-<uuid> names, say) and exact golden output. Real UUIDs are kept.
func (r NBRows) Resolved() NBRows {
	fix := func(u string) string {
		if strings.Count(u, "-") == 4 && len(u) == 36 {
			return u
		}
		return FixedUUID(u)
	}
	fixAll := func(us []string) []string {
		if us == nil {
			return nil
		}
		out := make([]string, len(us))
		for i, u := range us {
			out[i] = fix(u)
		}
		return out
	}
	var out NBRows
	for _, m := range r.Routers {
		c := m.DeepCopy()
		c.UUID, c.Ports = fix(c.UUID), fixAll(c.Ports)
		out.Routers = append(out.Routers, c)
	}
	for _, m := range r.RouterPorts {
		c := m.DeepCopy()
		c.UUID = fix(c.UUID)
		out.RouterPorts = append(out.RouterPorts, c)
	}
	for _, m := range r.Switches {
		c := m.DeepCopy()
		c.UUID, c.Ports = fix(c.UUID), fixAll(c.Ports)
		out.Switches = append(out.Switches, c)
	}
	for _, m := range r.SwitchPorts {
		c := m.DeepCopy()
		c.UUID = fix(c.UUID)
		out.SwitchPorts = append(out.SwitchPorts, c)
	}
	return out
}

// FixedUUID is the UUID Resolved gives the named UUID name.
func FixedUUID(name string) string {
	h := sha1.Sum([]byte("dvr-ovn-fixture:" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// MarshalNBJSON renders rows in the human-readable fixture form: table →
// named UUID → column → value, with only non-empty columns, sets as sorted
// JSON arrays, maps as JSON objects and references as the referenced rows'
// named UUIDs (NamedUUID of their names). Rows read from a server render the
// same as the rows they were loaded from, so the output compares two NBs.
func MarshalNBJSON(r NBRows) ([]byte, error) {
	names := map[string]string{} // row UUID → named UUID
	doc := map[string]map[string]map[string]any{}
	add := func(table, uuid, name string) error {
		n := NamedUUID(table, name)
		if doc[table] == nil {
			doc[table] = map[string]map[string]any{}
		}
		if _, dup := doc[table][n]; dup {
			return fmt.Errorf("%s: two rows have the named UUID %s (name %q)", table, n, name)
		}
		doc[table][n] = nil
		names[uuid] = n
		return nil
	}
	for _, m := range r.Routers {
		if err := add(nbdb.LogicalRouterTable, m.UUID, m.Name); err != nil {
			return nil, err
		}
	}
	for _, m := range r.RouterPorts {
		if err := add(nbdb.LogicalRouterPortTable, m.UUID, m.Name); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Switches {
		if err := add(nbdb.LogicalSwitchTable, m.UUID, m.Name); err != nil {
			return nil, err
		}
	}
	for _, m := range r.SwitchPorts {
		if err := add(nbdb.LogicalSwitchPortTable, m.UUID, m.Name); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Models() {
		table, uuid, cols, err := columns(m, names)
		if err != nil {
			return nil, err
		}
		doc[table][names[uuid]] = cols
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// columns returns a row's table, UUID and non-empty columns by their OVSDB
// names, with references (the "ports" columns) mapped through names.
func columns(m model.Model, names map[string]string) (string, string, map[string]any, error) {
	var table string
	switch m.(type) {
	case *nbdb.LogicalRouter:
		table = nbdb.LogicalRouterTable
	case *nbdb.LogicalRouterPort:
		table = nbdb.LogicalRouterPortTable
	case *nbdb.LogicalSwitch:
		table = nbdb.LogicalSwitchTable
	case *nbdb.LogicalSwitchPort:
		table = nbdb.LogicalSwitchPortTable
	default:
		return "", "", nil, fmt.Errorf("unexpected model %T", m)
	}
	v := reflect.ValueOf(m).Elem()
	cols := map[string]any{}
	var uuid string
	for i := 0; i < v.NumField(); i++ {
		col := v.Type().Field(i).Tag.Get("ovsdb")
		f := v.Field(i)
		if col == "_uuid" {
			uuid = f.String()
			continue
		}
		switch f.Kind() {
		case reflect.Slice, reflect.Map:
			if f.Len() == 0 {
				continue
			}
		case reflect.Pointer:
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		default:
			if f.IsZero() {
				continue
			}
		}
		val := f.Interface()
		if set, ok := val.([]string); ok {
			set = append([]string(nil), set...)
			if col == "ports" {
				for j, u := range set {
					n, ok := names[u]
					if !ok {
						return "", "", nil, fmt.Errorf("%s row %s: reference %s to a row not in the fixture", table, uuid, u)
					}
					set[j] = n
				}
			}
			sort.Strings(set)
			val = set
		}
		cols[col] = val
	}
	return table, uuid, cols, nil
}
