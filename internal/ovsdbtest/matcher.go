package ovsdbtest

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
)

// AssertRows reports a test error unless, for every table that expected
// mentions, the database holds exactly the expected rows. UUIDs are not
// compared: an expected row's UUID field is a name (or empty), and a
// reference to that name in another expected row (e.g. Logical_Switch.Ports
// ["lsp1"]) must point at the actual row matched to it. A name that no
// expected row carries stands for one row, the same wherever it is used.
// A real UUID stands for itself. Every column is compared (an unset field
// means the column's default) unless IgnoreColumns says otherwise.
//
// The rows are read with one select transaction on c, so c needs no
// monitor; it works on ovsdb-server and on the in-memory server alike.
// It returns whether the rows matched.
func AssertRows(tb testing.TB, c client.Client, expected ...model.Model) bool {
	tb.Helper()
	if d := DiffRows(c, expected...); d != "" {
		tb.Errorf("%s does not hold the expected rows:\n%s", c.Schema().Name, d)
		return false
	}
	return true
}

// WaitRows is AssertRows after polling until the rows match or timeout
// passes, for state written by another process (northd, a chassis).
func WaitRows(tb testing.TB, c client.Client, timeout time.Duration, expected ...model.Model) bool {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := DiffRows(c, expected...)
		if d == "" {
			return true
		}
		if time.Now().After(deadline) {
			tb.Errorf("%s does not hold the expected rows after %v:\n%s", c.Schema().Name, timeout, d)
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DiffRows is AssertRows without a test: it returns "" when the rows match,
// otherwise a report of differing columns, missing rows and unexpected rows.
func DiffRows(c client.Client, expected ...model.Model) string {
	cache := c.Cache()
	if cache == nil {
		return "client is not connected"
	}
	dbm := cache.DatabaseModel()
	exp, tables, err := expectedRows(dbm, expected)
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	actual, err := readTables(ctx, c, dbm, tables)
	if err != nil {
		return err.Error()
	}
	act := map[string][]*grow{}
	for _, t := range tables {
		for _, m := range actual[t] {
			r, err := toRow(dbm, t, m, exp.ignore[t])
			if err != nil {
				return err.Error()
			}
			act[t] = append(act[t], r)
		}
	}
	return diffRows(dbm.Schema, tables, exp.rows, act)
}

// NoRows mentions the table of m (a model such as &sbdb.Chassis{}) without
// a row, so AssertRows checks that the table is empty.
func NoRows(m model.Model) model.Model { return noRows{m} }

// IgnoreColumns leaves columns of m's table out of the comparison (e.g.
// timestamps). It does not by itself mention the table.
func IgnoreColumns(m model.Model, columns ...string) model.Model {
	return ignoreColumns{m, columns}
}

type noRows struct{ m model.Model }

type ignoreColumns struct {
	m    model.Model
	cols []string
}

type expectation struct {
	rows   map[string][]*grow
	ignore map[string]map[string]bool
}

func expectedRows(dbm model.DatabaseModel, expected []model.Model) (*expectation, []string, error) {
	x := &expectation{rows: map[string][]*grow{}, ignore: map[string]map[string]bool{}}
	mentioned := map[string]bool{}
	var rows []model.Model
	for _, e := range expected {
		switch v := e.(type) {
		case noRows:
			t, err := tableOf(dbm, v.m)
			if err != nil {
				return nil, nil, err
			}
			mentioned[t] = true
		case ignoreColumns:
			t, err := tableOf(dbm, v.m)
			if err != nil {
				return nil, nil, err
			}
			if x.ignore[t] == nil {
				x.ignore[t] = map[string]bool{}
			}
			for _, col := range v.cols {
				if ts := dbm.Schema.Table(t); ts == nil || ts.Column(col) == nil {
					return nil, nil, fmt.Errorf("IgnoreColumns: table %s has no column %q", t, col)
				}
				x.ignore[t][col] = true
			}
		default:
			rows = append(rows, e)
		}
	}
	names := map[string]bool{}
	for i, m := range rows {
		m = asPointer(m)
		t, err := tableOf(dbm, m)
		if err != nil {
			return nil, nil, err
		}
		mentioned[t] = true
		r, err := toRow(dbm, t, m, x.ignore[t])
		if err != nil {
			return nil, nil, err
		}
		if r.uuid == "" {
			r.uuid = fmt.Sprintf("%s%d", unnamedPrefix, i)
		}
		if names[r.uuid] {
			return nil, nil, fmt.Errorf("two expected rows are named %q", r.uuid)
		}
		names[r.uuid] = true
		x.rows[t] = append(x.rows[t], r)
	}
	var tables []string
	for t := range mentioned {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	return x, tables, nil
}

// ReadRows reads every row of table with a select transaction and returns
// them as models of the client's database model.
func ReadRows(tb testing.TB, c client.Client, table string) []model.Model {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := readTables(ctx, c, c.Cache().DatabaseModel(), []string{table})
	if err != nil {
		tb.Fatal(err)
	}
	return rows[table]
}

// readTables selects every row of tables in one transaction, so the result
// is one consistent snapshot.
func readTables(ctx context.Context, c client.Client, dbm model.DatabaseModel, tables []string) (map[string][]model.Model, error) {
	ops := make([]ovsdb.Operation, 0, len(tables))
	for _, t := range tables {
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: t, Where: []ovsdb.Condition{}})
	}
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return nil, fmt.Errorf("select %s: %w", strings.Join(tables, ", "), err)
	}
	if err := opError(res, ops); err != nil {
		return nil, fmt.Errorf("select %s: %w", strings.Join(tables, ", "), err)
	}
	out := map[string][]model.Model{}
	for i, t := range tables {
		for _, row := range res[i].Rows {
			row := row
			u, ok := row["_uuid"].(ovsdb.UUID)
			if !ok {
				return nil, fmt.Errorf("table %s: row without _uuid: %v", t, row)
			}
			m, err := model.CreateModel(dbm, t, &row, u.GoUUID)
			if err != nil {
				return nil, fmt.Errorf("table %s row %s: %w", t, u.GoUUID, err)
			}
			out[t] = append(out[t], m)
		}
	}
	return out, nil
}

func tableOf(dbm model.DatabaseModel, m model.Model) (string, error) {
	m = asPointer(m)
	if t := dbm.FindTable(reflect.TypeOf(m)); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("%T is not a model of database %s", m, dbm.Schema.Name)
}

// asPointer turns a model passed by value into a pointer to a copy.
func asPointer(m model.Model) model.Model {
	v := reflect.ValueOf(m)
	if v.Kind() == reflect.Ptr {
		return m
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface()
}
