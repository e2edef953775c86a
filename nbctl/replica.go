package nbctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Daemon mode (dvr-nbctl --detach): a Replica keeps the NB tables the
// commands read (every column of NB_Global, Logical_Switch,
// Logical_Switch_Port, Logical_Router, Logical_Router_Port) through one
// monitor on a persistent session, and RunReplica runs a chain exactly as
// Run does, with one difference: a transaction made only of selects that
// the replica can answer (conditions ==, !=, includes, excludes on any
// column, <, <=, >, >= on numbers; explicit column lists) is answered
// from memory with the server's JSON. Everything else (the commit with
// its waits, --wait's nb_cfg, a select the replica cannot answer) goes to
// the server unchanged. The waits are those of a one-shot run: a replica
// behind the server makes a wait fail and the chain re-runs (errRetry),
// by which time the monitor has caught up.

// replicaTables are the tables a Replica monitors.
var replicaTables = []string{nbdb.NBGlobalTable, nbdb.LogicalSwitchTable, nbdb.LogicalSwitchPortTable,
	nbdb.LogicalRouterTable, nbdb.LogicalRouterPortTable}

// rrow is one replicated row: each column's JSON as the server sent it.
type rrow map[string]json.RawMessage

// Replica is an in-memory copy of part of the NB, kept by a monitor.
type Replica struct {
	o   Options
	Log func(format string, args ...any)

	mu      sync.RWMutex
	conn    *ovsdbrpc.Conn // nil while disconnected
	dbm     model.DatabaseModel
	tables  map[string]map[string]rrow
	names   map[string]map[string]map[string]bool // table → name → UUIDs
	synced  bool                                  // the monitor's initial rows are in
	pending []json.RawMessage                     // updates received before them
	downErr error                                 // why there is no session
	changed chan struct{}                         // closed and replaced on every change

	answered, forwarded atomic.Int64 // transactions answered here, sent to the server
	late                atomic.Int64 // commits whose inserts the replica lacked at the reply

	hold bool // tests: queue updates (a replica that lags the server)
}

// setHold makes the replica lag (on) or catch up (off); for tests.
func (r *Replica) setHold(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hold = on
	if on {
		return
	}
	for _, u := range r.pending {
		_ = r.applyLocked(u)
	}
	r.pending = nil
}

// NewReplica returns a replica of the NB at o.DB; Run keeps it.
func NewReplica(o Options) *Replica {
	return &Replica{o: o, changed: make(chan struct{}), downErr: errors.New("not connected yet"),
		Log: func(string, ...any) {}}
}

// Connect opens the session and loads the replica once (so that a daemon
// that cannot reach its database says so before it detaches).
func (r *Replica) Connect(ctx context.Context) error {
	c, err := r.dial(ctx)
	if err != nil {
		return err
	}
	go r.keep(ctx, c)
	return nil
}

func (r *Replica) dial(ctx context.Context) (*ovsdbrpc.Conn, error) {
	r.mu.Lock()
	r.synced, r.pending = false, nil
	r.mu.Unlock()
	c, dbm, err := connect(ctx, r.o, r.notify)
	if err != nil {
		return nil, err
	}
	req := map[string]any{}
	for _, t := range replicaTables {
		req[t] = map[string]any{}
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var initial json.RawMessage
	if err := c.Call(cctx, "monitor", []any{nbDatabase, "replica", req}, &initial); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: monitor: %w", c.Endpoint, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tables = map[string]map[string]rrow{}
	r.names = map[string]map[string]map[string]bool{}
	for _, t := range replicaTables {
		r.tables[t] = map[string]rrow{}
		r.names[t] = map[string]map[string]bool{}
	}
	if err := r.applyLocked(initial); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: monitor reply: %w", c.Endpoint, err)
	}
	for _, u := range r.pending {
		if err := r.applyLocked(u); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: monitor update: %w", c.Endpoint, err)
		}
	}
	r.pending, r.synced = nil, true
	r.conn, r.dbm, r.downErr = c, dbm, nil
	r.signalLocked()
	return c, nil
}

// keep follows the session; when it ends, it reconnects and reloads the
// replica (a fresh monitor), until ctx ends.
func (r *Replica) keep(ctx context.Context, c *ovsdbrpc.Conn) {
	for {
		select {
		case <-ctx.Done():
			c.Close()
			return
		case <-c.Done():
		}
		r.mu.Lock()
		r.conn, r.downErr = nil, fmt.Errorf("lost the NB session (%v); reconnecting", c.Err())
		r.mu.Unlock()
		r.Log("lost the NB session: %v", c.Err())
		for delay := 100 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
			var err error
			if c, err = r.dial(ctx); err == nil {
				r.Log("reconnected to %s; replica reloaded", c.Endpoint)
				break
			}
			r.mu.Lock()
			r.downErr = fmt.Errorf("not connected to the NB: %v", err)
			r.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
		}
	}
}

func (r *Replica) signalLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// notify receives the session's "update" notifications.
func (r *Replica) notify(method string, params json.RawMessage) {
	if method != "update" {
		return
	}
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) != 2 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.synced || r.hold {
		r.pending = append(r.pending, p[1])
		return
	}
	if err := r.applyLocked(p[1]); err != nil {
		r.Log("bad monitor update: %v", err)
	}
}

// applyLocked folds a monitor reply or update (monitor version 1: "new"
// carries every monitored column) into the replica.
func (r *Replica) applyLocked(u json.RawMessage) error {
	var tu map[string]map[string]struct {
		New rrow `json:"new"`
	}
	if err := json.Unmarshal(u, &tu); err != nil {
		return err
	}
	for table, rows := range tu {
		tab := r.tables[table]
		if tab == nil {
			continue
		}
		for uuid, ch := range rows {
			if old := tab[uuid]; old != nil {
				r.unindex(table, uuid, old)
			}
			if ch.New == nil {
				delete(tab, uuid)
				continue
			}
			tab[uuid] = ch.New
			if n, err := jsonString(ch.New["name"]); err == nil && ch.New["name"] != nil {
				m := r.names[table][n]
				if m == nil {
					m = map[string]bool{}
					r.names[table][n] = m
				}
				m[uuid] = true
			}
		}
	}
	r.signalLocked()
	return nil
}

func (r *Replica) unindex(table, uuid string, old rrow) {
	if n, err := jsonString(old["name"]); err == nil && old["name"] != nil {
		delete(r.names[table][n], uuid)
		if len(r.names[table][n]) == 0 {
			delete(r.names[table], n)
		}
	}
}

// replicaWait bounds how long a command waits for a session.
const replicaWait = connectTimeout

// ready waits for a session (bounded by replicaWait and ctx).
func (r *Replica) ready(ctx context.Context) (*ovsdbrpc.Conn, model.DatabaseModel, error) {
	deadline := time.After(replicaWait)
	for {
		r.mu.RLock()
		c, dbm, err, ch := r.conn, r.dbm, r.downErr, r.changed
		r.mu.RUnlock()
		if c != nil {
			return c, dbm, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, dbm, fmt.Errorf("daemon: %v", err)
		case <-deadline:
			return nil, dbm, fmt.Errorf("daemon: %v", err)
		}
	}
}

// RunReplica runs a chain as Run does, its reads answered by r.
func RunReplica(ctx context.Context, o Options, chain []string, r *Replica) error {
	ctx, cancel, o, invs, err := prepare(ctx, o, chain)
	if err != nil {
		return err
	}
	defer cancel()
	_, dbm, err := r.ready(ctx)
	if err != nil {
		return err
	}
	out, cfg, waitNeeded, err := runChain(ctx, replicaDB{r}, dbm, o.Wait, invs)
	if err != nil {
		return timeoutErr(ctx, err)
	}
	if err := print(o, out); err != nil {
		return err
	}
	if !waitNeeded {
		return nil
	}
	// --wait watches NB_Global on a session of its own, as a one-shot run.
	w := newWatcher()
	c, _, err := connect(ctx, o, w.notify)
	if err != nil {
		return err
	}
	defer c.Close()
	return timeoutErr(ctx, w.wait(ctx, c, o, cfg, func(ctx context.Context) (*ovsdbrpc.Conn, error) {
		nc, _, err := connect(ctx, o, w.notify)
		return nc, err
	}))
}

// replicaDB is the DB of a chain run by the daemon.
type replicaDB struct{ r *Replica }

func (d replicaDB) Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	enc := make([]json.RawMessage, len(ops))
	for i, op := range ops {
		b, err := ovsdbrpc.EncodeOp(op)
		if err != nil {
			return nil, err
		}
		enc[i] = b
	}
	reply, err := d.TransactJSON(ctx, enc)
	if err != nil {
		return nil, err
	}
	var res []ovsdb.OperationResult
	if err := json.Unmarshal(reply, &res); err != nil {
		return nil, err
	}
	return res, nil
}

func (d replicaDB) TransactJSON(ctx context.Context, ops []json.RawMessage) (json.RawMessage, error) {
	if reply, ok := d.r.answer(ops); ok {
		d.r.answered.Add(1)
		return reply, nil
	}
	d.r.forwarded.Add(1)
	c, _, err := d.r.ready(ctx)
	if err != nil {
		return nil, err
	}
	reply, err := c.TransactJSON(ctx, nbDatabase, ops)
	if err == nil {
		d.r.catchUp(ctx, reply)
	}
	return reply, err
}

// catchUpWait bounds how long a command waits, after its commit, for the
// monitor to show the rows it inserted.
const catchUpWait = 2 * time.Second

// catchUp waits until the replica holds the rows a committed transaction
// inserted (ovsdb-server sends a session's monitor update before its
// transaction reply, so this normally returns at once). A replica still
// behind afterwards is only slower: the next command's waits catch it.
func (r *Replica) catchUp(ctx context.Context, reply json.RawMessage) {
	var res []*struct {
		UUID  []json.RawMessage `json:"uuid"`
		Error string            `json:"error"`
	}
	if json.Unmarshal(reply, &res) != nil {
		return
	}
	var want []string
	for _, x := range res {
		if x == nil {
			continue
		}
		if x.Error != "" {
			return // nothing was committed: its insert results name no row
		}
		if len(x.UUID) == 2 {
			if u, err := jsonString(x.UUID[1]); err == nil {
				want = append(want, u)
			}
		}
	}
	if len(want) == 0 {
		return
	}
	deadline := time.After(catchUpWait)
	first := true
	for {
		r.mu.RLock()
		ch := r.changed
		missing := false
		for _, u := range want {
			found := false
			for _, tab := range r.tables {
				if tab[u] != nil {
					found = true
					break
				}
			}
			if !found {
				missing = true
				break
			}
		}
		r.mu.RUnlock()
		if !missing {
			return
		}
		if first {
			r.late.Add(1)
			first = false
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-deadline:
			return
		}
	}
}

// selectOp is the part of a select the replica reads.
type selectOp struct {
	Op      string            `json:"op"`
	Table   string            `json:"table"`
	Where   []json.RawMessage `json:"where"`
	Columns []string          `json:"columns"`
	uuid    string            // set by fastUUIDSelect instead of Where
}

// fastUUIDSelect parses the selects rawread.go writes (one row by _uuid,
// an explicit column list) without encoding/json: thousands of them come
// in one transaction. Anything else is left to json.Unmarshal.
func fastUUIDSelect(b []byte, s *selectOp) bool {
	rest, ok := bytes.CutPrefix(b, []byte(`{"op":"select","table":"`))
	if !ok {
		return false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return false
	}
	table := string(rest[:i])
	if rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`,"where":[["_uuid","==",["uuid","`)); !ok {
		return false
	}
	if i = bytes.IndexByte(rest, '"'); i < 0 {
		return false
	}
	uuid := string(rest[:i])
	if rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`]]],"columns":[`)); !ok {
		return false
	}
	if rest, ok = bytes.CutSuffix(rest, []byte(`]}`)); !ok || bytes.ContainsAny(rest, "\\[]{}") {
		return false
	}
	cols := []string{}
	for _, c := range bytes.Split(rest, []byte(",")) {
		if len(c) < 2 || c[0] != '"' || c[len(c)-1] != '"' {
			return false
		}
		cols = append(cols, string(c[1:len(c)-1]))
	}
	if strings.ContainsAny(table, "\\") || strings.ContainsAny(uuid, "\\") {
		return false
	}
	*s = selectOp{Op: "select", Table: table, Columns: cols, uuid: uuid}
	return true
}

// answer answers a transaction of selects from the replica; ok is false
// when it holds anything else, or a select it cannot answer.
func (r *Replica) answer(ops []json.RawMessage) (json.RawMessage, bool) {
	sels := make([]selectOp, len(ops))
	for i, b := range ops {
		if fastUUIDSelect(b, &sels[i]) {
			continue
		}
		if err := json.Unmarshal(b, &sels[i]); err != nil || sels[i].Op != "select" || sels[i].Columns == nil {
			return nil, false
		}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.conn == nil || !r.synced {
		return nil, false
	}
	out := []byte{'['}
	for i, s := range sels {
		tab := r.tables[s.Table]
		ts := r.dbm.Schema.Table(s.Table)
		if tab == nil || ts == nil {
			return nil, false
		}
		for _, c := range s.Columns {
			if c != "_uuid" && ts.Column(c) == nil {
				return nil, false
			}
		}
		conds := make([]cond, len(s.Where))
		if s.uuid != "" {
			conds = []cond{{col: "_uuid", fn: "==", val: s.uuid}}
		}
		for j, w := range s.Where {
			c, ok := parseCond(ts, w)
			if !ok {
				return nil, false
			}
			conds[j] = c
		}
		uuids, ok := r.candidates(s.Table, conds)
		if !ok {
			return nil, false
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"rows":[`...)
		n := 0
		for _, u := range uuids {
			row := tab[u]
			if row == nil {
				continue
			}
			match := true
			for _, c := range conds {
				if m, ok := c.eval(u, row); !ok {
					return nil, false
				} else if !m {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			if n > 0 {
				out = append(out, ',')
			}
			n++
			out = append(out, '{')
			for k, c := range s.Columns {
				if k > 0 {
					out = append(out, ',')
				}
				out = append(append(strconv.AppendQuote(out, c), ':'), colJSON(u, row, c)...)
			}
			out = append(out, '}')
		}
		out = append(out, "]}"...)
	}
	return append(out, ']'), true
}

func colJSON(u string, row rrow, c string) []byte {
	if c == "_uuid" {
		return []byte(`["uuid","` + u + `"]`)
	}
	return row[c]
}

// candidates lists the rows worth testing: one for a UUID condition, the
// name index's for a name condition, else every row (sorted, so replies
// are stable).
func (r *Replica) candidates(table string, conds []cond) ([]string, bool) {
	for _, c := range conds {
		if c.fn != "==" {
			continue
		}
		switch {
		case c.col == "_uuid":
			u, ok := c.val.(string)
			return []string{u}, ok
		case c.col == "name":
			if n, ok := c.val.(string); ok {
				var out []string
				for u := range r.names[table][n] {
					out = append(out, u)
				}
				sort.Strings(out)
				return out, true
			}
		}
	}
	out := make([]string, 0, len(r.tables[table]))
	for u := range r.tables[table] {
		out = append(out, u)
	}
	sort.Strings(out)
	return out, true
}

// cond is one parsed condition: col, fn and the value in libovsdb's native
// form for the column's type (string for _uuid).
type cond struct {
	col string
	fn  string
	val any
	cs  *ovsdb.ColumnSchema
}

func parseCond(ts *ovsdb.TableSchema, raw json.RawMessage) (cond, bool) {
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil || len(parts) != 3 {
		return cond{}, false
	}
	var c cond
	if json.Unmarshal(parts[0], &c.col) != nil || json.Unmarshal(parts[1], &c.fn) != nil {
		return cond{}, false
	}
	switch c.fn {
	case "==", "!=", "includes", "excludes", "<", "<=", ">", ">=":
	default:
		return cond{}, false
	}
	if c.col == "_uuid" {
		var u []string
		if json.Unmarshal(parts[2], &u) != nil || len(u) != 2 || u[0] != "uuid" {
			return cond{}, false
		}
		if c.fn != "==" && c.fn != "!=" {
			return cond{}, false
		}
		c.val = u[1]
		return c, true
	}
	c.cs = ts.Column(c.col)
	if c.cs == nil {
		return cond{}, false
	}
	v, ok := native(c.cs, parts[2])
	if !ok {
		return cond{}, false
	}
	c.val = v
	return c, true
}

// native decodes an OVSDB JSON value of column cs into libovsdb's native
// Go form (string, int, float64, bool, []T, map[K]V, *T).
func native(cs *ovsdb.ColumnSchema, raw json.RawMessage) (any, bool) {
	var row ovsdb.Row
	if err := json.Unmarshal([]byte(`{"v":`+string(raw)+`}`), &row); err != nil {
		return nil, false
	}
	v, err := ovsdb.OvsToNative(cs, row["v"])
	if err != nil {
		return nil, false
	}
	return v, true
}

// eval applies c to a row; ok is false when the replica cannot tell.
func (c cond) eval(u string, row rrow) (match, ok bool) {
	if c.col == "_uuid" {
		return (u == c.val.(string)) == (c.fn == "=="), true
	}
	raw, present := row[c.col]
	if !present {
		return false, false
	}
	v, ok := native(c.cs, raw)
	if !ok {
		return false, false
	}
	rv, cv := reflect.ValueOf(v), reflect.ValueOf(c.val)
	switch c.fn {
	case "==", "!=":
		return equalNative(rv, cv) == (c.fn == "=="), true
	case "includes", "excludes":
		return includes(rv, cv, c.fn == "includes")
	default:
		a, aok := number(rv)
		b, bok := number(cv)
		if !aok || !bok {
			return false, false
		}
		switch c.fn {
		case "<":
			return a < b, true
		case "<=":
			return a <= b, true
		case ">":
			return a > b, true
		}
		return a >= b, true
	}
}

func number(v reflect.Value) (float64, bool) {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return float64(v.Int()), true
	case reflect.Float64:
		return v.Float(), true
	}
	return 0, false
}

// equalNative compares two native values; sets compare as sets.
func equalNative(a, b reflect.Value) bool {
	if a.Kind() == reflect.Slice && b.Kind() == reflect.Slice {
		if a.Len() != b.Len() {
			return false
		}
		m, ok := includes(a, b, true)
		return ok && m
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// includes reports, for sets and maps, whether every element (or pair) of
// b is in a (want=true) or none is (want=false). For a scalar column it
// is == (or !=), as RFC 7047 defines it.
func includes(a, b reflect.Value, want bool) (bool, bool) {
	switch {
	case a.Kind() == reflect.Slice && b.Kind() == reflect.Slice:
		for i := 0; i < b.Len(); i++ {
			found := false
			for j := 0; j < a.Len(); j++ {
				if reflect.DeepEqual(a.Index(j).Interface(), b.Index(i).Interface()) {
					found = true
					break
				}
			}
			if found != want {
				return false, true
			}
		}
		return true, true
	case a.Kind() == reflect.Map && b.Kind() == reflect.Map:
		it := b.MapRange()
		for it.Next() {
			av := a.MapIndex(it.Key())
			found := av.IsValid() && reflect.DeepEqual(av.Interface(), it.Value().Interface())
			if found != want {
				return false, true
			}
		}
		return true, true
	case a.Kind() == reflect.Ptr || b.Kind() == reflect.Ptr:
		return false, false
	}
	return reflect.DeepEqual(a.Interface(), b.Interface()) == want, true
}
