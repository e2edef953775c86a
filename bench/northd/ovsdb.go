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

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Raw OVSDB helpers on our own JSON-RPC session (internal/ovsdbrpc). They
// work the same on our schemas and on OVN's, which share the table and
// column names used here.

// db is one raw session to one database (bench/internal/benchkit).
type db = benchkit.DB

const (
	nbDB = "OVN_Northbound"
	sbDB = "OVN_Southbound"
)

func set(vs ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: vs} }

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
		w.set(benchkit.ToInt(r.New["sb_cfg"]), time.Now())
	}
	return w, nil
}

func (w *cfgWatch) notify(method string, params json.RawMessage) {
	at := time.Now()
	u, ok := benchkit.MonitorUpdate(method, params)
	if !ok {
		return
	}
	for _, r := range u["NB_Global"] {
		if v, ok := r.New["sb_cfg"]; ok {
			w.set(benchkit.ToInt(v), at)
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

func tail(b []byte) string { return benchkit.Tail(strings.TrimSpace(string(b)), 2000) }

// bindPorts claims ports as the chassis would: every chassis inserts its
// DVR_Port_Claim rows (with up), one transaction per chassis, the
// chassis one after the other. placement maps port → chassis. It returns
// the Port_Binding UUIDs by port name.
func bindPorts(ctx context.Context, sb *db, placement map[string]string) (map[string]string, error) {
	chassis, err := sb.ByName(ctx, "Chassis", "name")
	if err != nil {
		return nil, err
	}
	pbs, err := sb.ByName(ctx, "Port_Binding", "logical_port")
	if err != nil {
		return nil, err
	}
	perChassis := map[string][]string{}
	for port, ch := range placement {
		if pbs[port] == "" {
			return nil, fmt.Errorf("no Port_Binding for %s", port)
		}
		perChassis[ch] = append(perChassis[ch], port)
	}
	names := make([]string, 0, len(perChassis))
	for ch := range perChassis {
		names = append(names, ch)
	}
	sort.Strings(names)
	for _, ch := range names {
		if chassis[ch] == "" {
			return nil, fmt.Errorf("no Chassis %s", ch)
		}
		ports := perChassis[ch]
		sort.Strings(ports)
		ops := make([]ovsdb.Operation, 0, len(ports))
		for _, port := range ports {
			ops = append(ops, benchkit.Claim(port, ch, true))
		}
		if _, err := sb.Transact(ctx, ops...); err != nil {
			return nil, fmt.Errorf("claims of %s: %w", ch, err)
		}
	}
	return pbs, nil
}

// waitCount polls until table holds want rows matching where.
func waitCount(ctx context.Context, d *db, table string, want int, timeout time.Duration, where ...ovsdb.Condition) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := d.Count(ctx, table, where...)
		if err != nil {
			return err
		}
		if n == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s holds %d %s rows, want %d, after %v", d.Name(), n, table, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
