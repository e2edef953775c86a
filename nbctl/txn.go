package nbctl

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"slices"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

// DB sends OVSDB transactions to the NB.
type DB interface {
	Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error)
	// TransactJSON sends operations already encoded and returns the raw
	// array of results (see rawread.go).
	TransactJSON(ctx context.Context, ops []json.RawMessage) (json.RawMessage, error)
}

// row is one NB row as this run knows it: what was read (only the loaded
// columns are meaningful) plus the changes staged on it.
type row struct {
	table   string
	uuid    string // real UUID, or a named UUID for rows created in this run
	m       model.Model
	loaded  map[string]bool
	created bool
	deleted bool
	dirty   map[string]bool     // columns to write with "update"
	add     map[string][]string // set column → UUIDs to insert ("mutate")
	del     map[string][]string // set column → UUIDs to delete ("mutate")
}

// verifyMode says how a read is re-asserted when the chain commits.
type verifyMode int

const (
	// verifyNone: the read needs no re-check (e.g. a miss on a
	// --if-exists delete, or a name the server's unique index protects).
	verifyNone verifyMode = iota
	// verifyResult: the same query must return the same rows ("name free",
	// "exactly these switches have this name").
	verifyResult
	// verifyRows: each row found must still exist with the read columns
	// unchanged (a cheap by-UUID wait).
	verifyRows
)

// query is one conditional select.
type query struct {
	table   string
	where   []ovsdb.Condition
	columns []string
	verify  verifyMode
	// check lists the columns a wait re-asserts (default: columns), so that
	// columns other writers own (LSP.up) do not cause spurious retries.
	check []string
}

func (q query) checkCols() []string {
	if q.check != nil {
		return q.check
	}
	return q.columns
}

// txn is the IDL-like view of one run of a command chain.
type txn struct {
	ctx     context.Context
	db      DB
	dbm     model.DatabaseModel
	rows    map[string]*row
	created []*row // creation order
	waits   []ovsdb.Operation
	// rawWaits are more waits, already encoded (rawread.go); they follow
	// waits in the commit.
	rawWaits [][]byte
	named    int
	memo     map[string][]*row // by-name lookup results from the server
	parent   map[string]string // port UUID → switch/router UUID, where known
	names    map[string][]*row // table+"\x00"+name → rows known to this run
	reads    int               // round trips spent on reads (for tests and logs)
	global   *row              // NB_Global, once read
	taken    map[string]*taken // switch UUID → addresses in use (see taken.go)
	// forceWait makes --wait wait even when nothing was written (sync).
	forceWait bool
}

func newTxn(ctx context.Context, db DB, dbm model.DatabaseModel) *txn {
	return &txn{
		ctx: ctx, db: db, dbm: dbm,
		rows:   map[string]*row{},
		memo:   map[string][]*row{},
		parent: map[string]string{},
		names:  map[string][]*row{},
		taken:  map[string]*taken{},
	}
}

// read runs the queries in one round trip and returns the rows each found.
func (t *txn) read(qs ...query) ([][]*row, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	ops := make([]ovsdb.Operation, len(qs))
	for i, q := range qs {
		cols := append([]string{"_uuid"}, q.columns...)
		ops[i] = ovsdb.Operation{Op: ovsdb.OperationSelect, Table: q.table, Where: q.where, Columns: cols}
	}
	t.reads++
	res, err := t.db.Transact(t.ctx, ops...)
	if err != nil {
		return nil, err
	}
	if len(res) < len(ops) {
		return nil, fmt.Errorf("short reply to select: %d results for %d operations", len(res), len(ops))
	}
	out := make([][]*row, len(qs))
	for i, q := range qs {
		if res[i].Error != "" {
			return nil, fmt.Errorf("select on %s failed: %s: %s", q.table, res[i].Error, res[i].Details)
		}
		for _, raw := range res[i].Rows {
			r, err := t.merge(q, raw)
			if err != nil {
				return nil, err
			}
			if r != nil {
				out[i] = append(out[i], r)
			}
			if q.verify == verifyRows {
				t.waits = append(t.waits, waitRow(q.table, raw["_uuid"].(ovsdb.UUID).GoUUID, q.checkCols(), raw))
			}
		}
		if q.verify == verifyResult {
			cols := append([]string{"_uuid"}, q.checkCols()...)
			rows := []ovsdb.Row{}
			for _, raw := range res[i].Rows {
				rows = append(rows, project(raw, cols))
			}
			t.waits = append(t.waits, ovsdb.Operation{
				Op: ovsdb.OperationWait, Table: q.table, Where: q.where, Timeout: ovsdbops.Ptr(0),
				Columns: cols, Until: string(ovsdb.WaitConditionEqual), Rows: rows,
			})
		}
	}
	return out, nil
}

func project(raw ovsdb.Row, cols []string) ovsdb.Row {
	r := ovsdb.Row{}
	for _, c := range cols {
		r[c] = raw[c]
	}
	return r
}

func waitRow(table, uuid string, cols []string, raw ovsdb.Row) ovsdb.Operation {
	r := project(raw, cols)
	return ovsdb.Operation{
		Op: ovsdb.OperationWait, Table: table, Timeout: ovsdbops.Ptr(0),
		Where:   []ovsdb.Condition{ovsdbops.UUIDCond(uuid)},
		Columns: cols, Until: string(ovsdb.WaitConditionEqual), Rows: []ovsdb.Row{r},
	}
}

// merge folds a selected row into the view; columns already known keep their
// first value (their own wait guards them). It returns nil for rows this run
// has deleted.
func (t *txn) merge(q query, raw ovsdb.Row) (*row, error) {
	u, ok := raw["_uuid"].(ovsdb.UUID)
	if !ok {
		return nil, fmt.Errorf("select on %s returned a row without _uuid", q.table)
	}
	fresh, err := model.CreateModel(t.dbm, q.table, &raw, u.GoUUID)
	if err != nil {
		return nil, err
	}
	r := t.rows[u.GoUUID]
	if r == nil {
		r = &row{table: q.table, uuid: u.GoUUID, m: fresh, loaded: map[string]bool{}}
		for _, c := range q.columns {
			r.loaded[c] = true
		}
		t.rows[u.GoUUID] = r
		t.indexName(r)
	} else {
		src, err := t.dbm.NewModelInfo(fresh)
		if err != nil {
			return nil, err
		}
		dst, err := t.dbm.NewModelInfo(r.m)
		if err != nil {
			return nil, err
		}
		for _, c := range q.columns {
			if r.loaded[c] {
				continue
			}
			v, err := src.FieldByColumn(c)
			if err != nil {
				return nil, err
			}
			if err := dst.SetField(c, v); err != nil {
				return nil, err
			}
			r.loaded[c] = true
			t.replaySet(r, c)
			if c == "name" {
				t.indexName(r)
			}
		}
	}
	if r.deleted {
		return nil, nil
	}
	return r, nil
}

// create stages a new row; m's UUID field is set to a fresh named UUID.
func (t *txn) create(table string, m model.Model) *row {
	t.named++
	name := fmt.Sprintf("new%d", t.named)
	info, _ := t.dbm.NewModelInfo(m)
	_ = info.SetField("_uuid", name)
	r := &row{table: table, uuid: name, m: m, created: true, loaded: map[string]bool{}}
	for c := range t.dbm.Schema.Table(table).Columns {
		r.loaded[c] = true
	}
	t.rows[name] = r
	t.created = append(t.created, r)
	t.indexName(r)
	return r
}

func (t *txn) indexName(r *row) {
	if !r.loaded["name"] {
		return
	}
	k := r.table + "\x00" + nameOf(r)
	t.names[k] = append(t.names[k], r)
}

// known returns the live rows of table named name that this run has seen
// or created.
func (t *txn) known(table, name string) []*row {
	var out []*row
	for _, r := range t.names[table+"\x00"+name] {
		if !r.deleted && nameOf(r) == name {
			out = append(out, r)
		}
	}
	return out
}

// update marks columns of r as changed (the caller already changed r.m).
func (t *txn) update(r *row, cols ...string) {
	if r.created {
		return
	}
	if r.dirty == nil {
		r.dirty = map[string]bool{}
	}
	for _, c := range cols {
		r.dirty[c] = true
	}
}

// setAdd adds a UUID to a set column of r.
func (t *txn) setAdd(r *row, col, uuid string) {
	t.editSet(r, col, func(s []string) []string {
		if slices.Contains(s, uuid) {
			return s
		}
		return append(s, uuid)
	})
	if r.created {
		return
	}
	if i := slices.Index(r.del[col], uuid); i >= 0 {
		r.del[col] = slices.Delete(r.del[col], i, i+1)
		return
	}
	if r.add == nil {
		r.add = map[string][]string{}
	}
	r.add[col] = append(r.add[col], uuid)
}

// setDel removes a UUID from a set column of r.
func (t *txn) setDel(r *row, col, uuid string) {
	t.editSet(r, col, func(s []string) []string {
		return slices.DeleteFunc(s, func(x string) bool { return x == uuid })
	})
	if r.created {
		return
	}
	if i := slices.Index(r.add[col], uuid); i >= 0 {
		r.add[col] = slices.Delete(r.add[col], i, i+1)
		return
	}
	if r.del == nil {
		r.del = map[string][]string{}
	}
	r.del[col] = append(r.del[col], uuid)
}

// replaySet applies the set changes staged on a column before it was loaded.
func (t *txn) replaySet(r *row, col string) {
	for _, u := range r.del[col] {
		t.editSet(r, col, func(s []string) []string {
			return slices.DeleteFunc(s, func(x string) bool { return x == u })
		})
	}
	for _, u := range r.add[col] {
		t.editSet(r, col, func(s []string) []string {
			if slices.Contains(s, u) {
				return s
			}
			return append(s, u)
		})
	}
}

func (t *txn) editSet(r *row, col string, f func([]string) []string) {
	if !r.loaded[col] {
		return
	}
	info, _ := t.dbm.NewModelInfo(r.m)
	v, _ := info.FieldByColumn(col)
	s, _ := v.([]string)
	_ = info.SetField(col, f(slices.Clone(s)))
}

// remove stages the deletion of r. Root rows are deleted explicitly;
// non-root rows (ports) go when the caller drops the last reference.
func (t *txn) remove(r *row) {
	r.deleted = true
}

// table-typed accessors.
func lsOf(r *row) *nbdb.LogicalSwitch      { return r.m.(*nbdb.LogicalSwitch) }
func lspOf(r *row) *nbdb.LogicalSwitchPort { return r.m.(*nbdb.LogicalSwitchPort) }
func lrOf(r *row) *nbdb.LogicalRouter      { return r.m.(*nbdb.LogicalRouter) }
func lrpOf(r *row) *nbdb.LogicalRouterPort { return r.m.(*nbdb.LogicalRouterPort) }

func nameCond(n string) ovsdb.Condition {
	return ovsdb.NewCondition("name", ovsdb.ConditionEqual, n)
}

func ptr[T any](v T) *T { return &v }
