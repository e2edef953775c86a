package ovsdbtest

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
)

// This file turns libovsdb models into a generic form the matcher can
// compare: a row is its table, its UUID (a real one, or an expected row's
// name) and, per column, a list of elements whose UUID atoms are kept apart
// so they can be compared through the real-UUID <-> name mapping.

// atom is one OVSDB atom: a UUID, or any other value in display form
// (strings quoted).
type atom struct {
	s    string
	uuid bool
}

// elem is one member of a column's value: a set member, or a map pair.
type elem struct {
	key, val atom
	isPair   bool
}

// cell is one column's value.
type cell struct {
	kind  ovsdb.ExtendedType // TypeMap, TypeSet, or a scalar type
	elems []elem
	refs  bool // some atom is a UUID
}

// grow is one row in generic form.
type grow struct {
	table string
	uuid  string // real UUID (actual rows) or name (expected rows)
	cols  map[string]cell
}

// toRow converts a model into a grow. Columns of the schema the model has
// no field for, and ignored columns, are left out.
func toRow(dbm model.DatabaseModel, table string, m model.Model, ignore map[string]bool) (*grow, error) {
	info, err := dbm.NewModelInfo(m)
	if err != nil {
		return nil, err
	}
	ts := dbm.Schema.Table(table)
	if ts == nil {
		return nil, fmt.Errorf("table %s not in schema %s", table, dbm.Schema.Name)
	}
	r := &grow{table: table, cols: map[string]cell{}}
	if u, err := info.FieldByColumn("_uuid"); err == nil {
		r.uuid, _ = u.(string)
	}
	for name, col := range ts.Columns {
		if name == "_uuid" || name == "_version" || ignore[name] {
			continue
		}
		v, err := info.FieldByColumn(name)
		if err != nil {
			continue // subset model: no field for this column
		}
		r.cols[name] = toCell(col, reflect.ValueOf(v))
	}
	return r, nil
}

func toCell(col *ovsdb.ColumnSchema, v reflect.Value) cell {
	c := cell{kind: col.Type}
	keyUUID := col.TypeObj != nil && col.TypeObj.Key != nil && col.TypeObj.Key.Type == ovsdb.TypeUUID
	valUUID := col.TypeObj != nil && col.TypeObj.Value != nil && col.TypeObj.Value.Type == ovsdb.TypeUUID
	c.refs = keyUUID || valUUID
	switch v.Kind() {
	case reflect.Ptr:
		if !v.IsNil() {
			c.elems = append(c.elems, elem{key: toAtom(v.Elem(), keyUUID)})
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			c.elems = append(c.elems, elem{key: toAtom(v.Index(i), keyUUID)})
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			c.elems = append(c.elems, elem{
				key: toAtom(iter.Key(), keyUUID), val: toAtom(iter.Value(), valUUID), isPair: true,
			})
		}
	default:
		c.elems = append(c.elems, elem{key: toAtom(v, keyUUID)})
	}
	sort.Slice(c.elems, func(i, j int) bool { return c.elems[i].sortKey() < c.elems[j].sortKey() })
	return c
}

func toAtom(v reflect.Value, isUUID bool) atom {
	if isUUID {
		return atom{s: v.String(), uuid: true}
	}
	switch v.Kind() {
	case reflect.String:
		return atom{s: strconv.Quote(v.String())}
	case reflect.Float32, reflect.Float64:
		return atom{s: strconv.FormatFloat(v.Float(), 'g', -1, 64)}
	default:
		return atom{s: fmt.Sprint(v.Interface())}
	}
}

func (e elem) sortKey() string {
	if e.isPair {
		return e.key.s + "\x00" + e.val.s
	}
	return e.key.s
}

// isDefault says whether the cell holds the column's default value.
func (c cell) isDefault() bool {
	if len(c.elems) == 0 {
		return true
	}
	if c.kind == ovsdb.TypeMap || c.kind == ovsdb.TypeSet || len(c.elems) != 1 {
		return false
	}
	switch s := c.elems[0].key.s; s {
	case `""`, "0", "false":
		return true
	default:
		return c.elems[0].key.uuid && s == ""
	}
}

// equalStatic compares two cells that hold no UUIDs.
func (c cell) equalStatic(o cell) bool {
	if len(c.elems) != len(o.elems) {
		return false
	}
	for i := range c.elems {
		if c.elems[i].sortKey() != o.elems[i].sortKey() {
			return false
		}
	}
	return true
}

// format renders a cell; name translates a UUID atom for display.
func (c cell) format(name func(string) string) string {
	show := func(a atom) string {
		if a.uuid {
			return name(a.s)
		}
		return a.s
	}
	var parts []string
	for _, e := range c.elems {
		if e.isPair {
			parts = append(parts, show(e.key)+"="+show(e.val))
		} else {
			parts = append(parts, show(e.key))
		}
	}
	sort.Strings(parts)
	switch {
	case c.kind == ovsdb.TypeMap:
		return "{" + strings.Join(parts, ", ") + "}"
	case c.kind == ovsdb.TypeSet:
		return "[" + strings.Join(parts, ", ") + "]"
	case len(parts) == 1:
		return parts[0]
	default:
		return "[" + strings.Join(parts, ", ") + "]"
	}
}

// formatRow renders a row's non-default columns, sorted by name.
func (r *grow) format(name func(string) string) string {
	var cols []string
	for n, c := range r.cols {
		if !c.isDefault() {
			cols = append(cols, n+"="+c.format(name))
		}
	}
	sort.Strings(cols)
	return "{" + strings.Join(cols, " ") + "}"
}

// columnNames returns the row's column names, sorted.
func (r *grow) columnNames() []string {
	var names []string
	for n := range r.cols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
