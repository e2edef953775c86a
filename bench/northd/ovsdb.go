package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Raw OVSDB helpers on our own JSON-RPC session (internal/ovsdbrpc). They
// work the same on our schemas and on OVN's, which share the table and
// column names used here.

const (
	nbDB = "OVN_Northbound"
	sbDB = "OVN_Southbound"
)

// db is one session to one database.
type db struct {
	c    *ovsdbrpc.Conn
	name string
}

func dial(ctx context.Context, endpoint, name string) (*db, error) {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", endpoint, err)
	}
	return &db{c: c, name: name}, nil
}

func (d *db) close() { d.c.Close() }

// transact runs ops and fails on any operation error.
func (d *db) transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	res, err := d.c.Transact(ctx, d.name, ops...)
	if err != nil {
		return nil, err
	}
	if e := ovsdbrpc.FirstError(ops, 0, res); e != nil {
		return nil, fmt.Errorf("%s: %w", d.name, e)
	}
	if len(res) > len(ops) {
		return nil, fmt.Errorf("%s: %v", d.name, res[len(ops):])
	}
	return res, nil
}

func (d *db) selectRows(ctx context.Context, table string, cols []string, where ...ovsdb.Condition) ([]ovsdb.Row, error) {
	if where == nil {
		where = []ovsdb.Condition{}
	}
	res, err := d.transact(ctx, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: table, Where: where, Columns: cols})
	if err != nil {
		return nil, err
	}
	return res[0].Rows, nil
}

func (d *db) count(ctx context.Context, table string, where ...ovsdb.Condition) (int, error) {
	rows, err := d.selectRows(ctx, table, []string{"_uuid"}, where...)
	return len(rows), err
}

// byName maps the name column to _uuid.
func (d *db) byName(ctx context.Context, table, nameCol string) (map[string]string, error) {
	rows, err := d.selectRows(ctx, table, []string{"_uuid", nameCol})
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r[nameCol].(string)] = r["_uuid"].(ovsdb.UUID).GoUUID
	}
	return m, nil
}

func uuidIs(u string) ovsdb.Condition {
	return ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: u})
}

func set(vs ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: vs} }

// bumpNbCfg increments NB_Global.nb_cfg (as `--wait` clients do) and
// returns the new value.
func bumpNbCfg(ctx context.Context, nb *db) (int, error) {
	res, err := nb.transact(ctx,
		ovsdb.Operation{Op: ovsdb.OperationMutate, Table: "NB_Global", Where: []ovsdb.Condition{},
			Mutations: []ovsdb.Mutation{{Column: "nb_cfg", Mutator: ovsdb.MutateOperationAdd, Value: 1}}},
		ovsdb.Operation{Op: ovsdb.OperationSelect, Table: "NB_Global", Where: []ovsdb.Condition{}, Columns: []string{"nb_cfg"}})
	if err != nil {
		return 0, err
	}
	if res[0].Count != 1 || len(res[1].Rows) != 1 {
		return 0, fmt.Errorf("NB_Global: %d rows mutated, %d read", res[0].Count, len(res[1].Rows))
	}
	return toInt(res[1].Rows[0]["nb_cfg"]), nil
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}

// cfgWatch follows NB_Global.sb_cfg with a monitor of that one column
// (what `--wait=sb` clients wait on), stamping each change as it arrives.
type cfgWatch struct {
	c       *ovsdbrpc.Conn
	mu      sync.Mutex
	sbCfg   int
	at      time.Time
	changed chan struct{}
}

func watchSbCfg(ctx context.Context, endpoint string) (*cfgWatch, error) {
	w := &cfgWatch{changed: make(chan struct{})}
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, w.notify)
	if err != nil {
		return nil, err
	}
	w.c = c
	var initial map[string]map[string]struct {
		New map[string]any `json:"new"`
	}
	req := map[string]any{"NB_Global": map[string]any{"columns": []string{"sb_cfg"}}}
	if err := c.Call(ctx, "monitor", []any{nbDB, "sbcfg", req}, &initial); err != nil {
		c.Close()
		return nil, fmt.Errorf("monitor NB_Global.sb_cfg: %w", err)
	}
	for _, r := range initial["NB_Global"] {
		w.set(toInt(r.New["sb_cfg"]), time.Now())
	}
	return w, nil
}

func (w *cfgWatch) notify(method string, params json.RawMessage) {
	at := time.Now()
	if method != "update" {
		return
	}
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) != 2 {
		return
	}
	var u map[string]map[string]struct {
		New map[string]any `json:"new"`
	}
	if json.Unmarshal(p[1], &u) != nil {
		return
	}
	for _, r := range u["NB_Global"] {
		if v, ok := r.New["sb_cfg"]; ok {
			w.set(toInt(v), at)
		}
	}
}

func (w *cfgWatch) set(v int, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v > w.sbCfg { // it only grows; the monitor reply may come after an update
		w.sbCfg, w.at = v, at
		close(w.changed)
		w.changed = make(chan struct{})
	}
}

// wait returns when sb_cfg reached v: the arrival time of that update.
func (w *cfgWatch) wait(v int, timeout time.Duration) (time.Time, error) {
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		cur, at, ch := w.sbCfg, w.at, w.changed
		w.mu.Unlock()
		if cur >= v {
			return at, nil
		}
		select {
		case <-ch:
		case <-w.c.Done():
			return time.Time{}, fmt.Errorf("sb_cfg watch: session ended: %v", w.c.Err())
		case <-deadline:
			return time.Time{}, fmt.Errorf("sb_cfg stayed at %d, want %d, for %v", cur, v, timeout)
		}
	}
}

func (w *cfgWatch) close() { w.c.Close() }

// addChassis registers chassis with `ovn-sbctl chassis-add NAME vxlan IP`,
// all in one ovn-sbctl process (one transaction).
func addChassis(sbEndpoint string, names []string) error {
	args := []string{"--db=" + sbEndpoint}
	for i, n := range names {
		if i > 0 {
			args = append(args, "--")
		}
		args = append(args, "chassis-add", n, "vxlan", fmt.Sprintf("192.0.%d.%d", 2+i/250, 1+i%250))
	}
	out, err := exec.Command("ovn-sbctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ovn-sbctl chassis-add (%d chassis): %v: %s", len(names), err, tail(out))
	}
	return nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

// bindPorts claims ports as the chassis would: every chassis sets
// Port_Binding.chassis (and up) on its ports, one transaction per chassis,
// the chassis one after the other. placement maps port → chassis. It
// returns the Port_Binding UUIDs by port name.
func bindPorts(ctx context.Context, sb *db, placement map[string]string) (map[string]string, error) {
	chassis, err := sb.byName(ctx, "Chassis", "name")
	if err != nil {
		return nil, err
	}
	pbs, err := sb.byName(ctx, "Port_Binding", "logical_port")
	if err != nil {
		return nil, err
	}
	perChassis := map[string][]string{}
	for port, ch := range placement {
		pb := pbs[port]
		if pb == "" {
			return nil, fmt.Errorf("no Port_Binding for %s", port)
		}
		perChassis[ch] = append(perChassis[ch], pb)
	}
	names := make([]string, 0, len(perChassis))
	for ch := range perChassis {
		names = append(names, ch)
	}
	sort.Strings(names)
	for _, ch := range names {
		cu := chassis[ch]
		if cu == "" {
			return nil, fmt.Errorf("no Chassis %s", ch)
		}
		ops := make([]ovsdb.Operation, 0, len(perChassis[ch]))
		for _, pb := range perChassis[ch] {
			ops = append(ops, claimOp(pb, cu))
		}
		if _, err := sb.transact(ctx, ops...); err != nil {
			return nil, fmt.Errorf("claims of %s: %w", ch, err)
		}
	}
	return pbs, nil
}

// claimOp sets Port_Binding.chassis and up, as a chassis claiming a port.
func claimOp(pb, chassis string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: "Port_Binding", Where: []ovsdb.Condition{uuidIs(pb)},
		Row: ovsdb.Row{"chassis": ovsdb.UUID{GoUUID: chassis}, "up": true}}
}

// waitCount polls until table holds want rows matching where.
func waitCount(ctx context.Context, d *db, table string, want int, timeout time.Duration, where ...ovsdb.Condition) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := d.count(ctx, table, where...)
		if err != nil {
			return err
		}
		if n == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s holds %d %s rows, want %d, after %v", d.name, n, table, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
