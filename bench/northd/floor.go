package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/dvr-ovn/dvr/northd"
	"github.com/ovn-org/libovsdb/model"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// The floor: a minimal client that reads the NB columns dvr-northd reads
// and writes as many SB rows as dvr-northd's cold start writes, in one
// transaction. It runs as a process of its own (this program re-executed
// with "floor"), so its heap starts empty as dvr-northd's does.
//
// It reads the NB twice, each timed from dial to the initial monitor
// reply decoded: with a libovsdb client (one monitor, the same columns,
// the cache filled), as dvr-northd reads, then (that client closed and
// collected) with a raw "monitor" on our own JSON-RPC session decoded into
// generic JSON values. Then it derives the
// SB rows from the raw read with no validation (a datapath per switch and
// per router, a Port_Binding per VM port and per router interface, a DVR
// MAC per chassis) and commits them in one transaction.

// nbColumns are the NB columns dvr-northd monitors (northd.nbTables).
var nbColumns = map[string][]string{
	"NB_Global":           {"nb_cfg", "sb_cfg", "hv_cfg", "options", "external_ids"},
	"Logical_Switch":      {"name", "ports"},
	"Logical_Switch_Port": {"name", "type", "addresses", "options", "up"},
	"Logical_Router":      {"name", "ports", "options"},
	"Logical_Router_Port": {"name", "mac", "networks"},
}

// floorResult is what the floor process prints (JSON on stdout).
type floorResult struct {
	RawReadMS      float64        `json:"raw_read_ms"`
	LibovsdbReadMS float64        `json:"libovsdb_read_ms"`
	BuildMS        float64        `json:"build_ms"`
	CommitMS       float64        `json:"commit_ms"`
	Rows           map[string]int `json:"rows"`
	HWM            int64          `json:"hwm"`
	// SBServerCPU is the SB ovsdb-server's CPU time during the floor run
	// (measured outside: the floor only writes to that server).
	SBServerCPU time.Duration `json:"-"`
}

func (r floorResult) rawRead() time.Duration { return msDur(r.RawReadMS) }
func (r floorResult) libRead() time.Duration { return msDur(r.LibovsdbReadMS) }
func (r floorResult) write() time.Duration   { return msDur(r.BuildMS + r.CommitMS) }
func (r floorResult) commit() time.Duration  { return msDur(r.CommitMS) }
func msDur(v float64) time.Duration          { return time.Duration(v * float64(time.Millisecond)) }
func durMS(d time.Duration) float64          { return float64(d.Microseconds()) / 1000 }

// runFloor is the program's "floor" mode.
func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	nbEP := fs.String("nb", "", "NB endpoint")
	sbEP := fs.String("sb", "", "SB endpoint (empty SB with the chassis registered)")
	sbMon := fs.Bool("sb-monitor", false, "monitor the SB tables dvr-northd monitors during the write (as dvr-northd must, to see its own commit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var res floorResult

	t0 := time.Now()
	lc, err := libovsdbMonitor(ctx, *nbEP)
	if err != nil {
		return err
	}
	res.LibovsdbReadMS = durMS(time.Since(t0))
	lc.Close()
	lc = nil
	runtime.GC()

	t0 = time.Now()
	nb, err := rawMonitor(ctx, *nbEP)
	if err != nil {
		return err
	}
	res.RawReadMS = durMS(time.Since(t0))

	sb, err := ovsdbrpc.Dial(ctx, *sbEP, nil, nil)
	if err != nil {
		return err
	}
	defer sb.Close()
	chassis, err := benchkit.On(sb, sbDB).ByName(ctx, "Chassis", "name")
	if err != nil {
		return err
	}
	if *sbMon {
		mc, err := libovsdbSBMonitor(ctx, *sbEP)
		if err != nil {
			return err
		}
		defer mc.Close()
	}
	t0 = time.Now()
	ops, rows := floorOps(nb, chassis)
	res.BuildMS = durMS(time.Since(t0))
	res.Rows = rows
	t0 = time.Now()
	if _, err := benchkit.On(sb, sbDB).Transact(ctx, ops...); err != nil {
		return err
	}
	res.CommitMS = durMS(time.Since(t0))
	if m, err := readSelfMemory(); err == nil {
		res.HWM = m
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// libovsdbSBMonitor monitors the SB tables and columns dvr-northd
// monitors (northd.SBTables).
func libovsdbSBMonitor(ctx context.Context, endpoint string) (client.Client, error) {
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	return libovsdbMonitorOf(ctx, endpoint, m, northd.SBTables)
}

// libovsdbMonitorOf connects a libovsdb client and starts one monitor.
func libovsdbMonitorOf(ctx context.Context, endpoint string, m model.ClientDBModel, tables func(client.Client) []client.MonitorOption) (client.Client, error) {
	l := logr.Discard()
	c, err := client.NewOVSDBClient(m, client.WithEndpoint(endpoint), client.WithLogger(&l))
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	if _, err := c.Monitor(ctx, c.NewMonitor(tables(c)...)); err != nil {
		c.Close()
		return nil, fmt.Errorf("libovsdb monitor: %w", err)
	}
	return c, nil
}

// rawRows is a monitor reply: table → row UUID → column → JSON value.
type rawRows map[string]map[string]struct {
	New map[string]any `json:"new"`
}

func rawMonitor(ctx context.Context, endpoint string) (rawRows, error) {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := map[string]any{}
	for t, cols := range nbColumns {
		req[t] = map[string]any{"columns": cols}
	}
	var out rawRows
	if err := c.Call(ctx, "monitor", []any{nbDB, "floor", req}, &out); err != nil {
		return nil, fmt.Errorf("raw monitor: %w", err)
	}
	return out, nil
}

// libovsdbMonitor monitors the NB tables and columns dvr-northd monitors
// (northd.NBTables).
func libovsdbMonitor(ctx context.Context, endpoint string) (client.Client, error) {
	m, err := nbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	return libovsdbMonitorOf(ctx, endpoint, m, northd.NBTables)
}

// jsonSet reads an OVSDB set in JSON: an atom, or ["set", [atoms]].
func jsonSet(v any) []any {
	a, ok := v.([]any)
	if ok && len(a) == 2 && a[0] == "set" {
		s, _ := a[1].([]any)
		return s
	}
	if ok && len(a) == 2 && (a[0] == "uuid" || a[0] == "named-uuid") {
		return []any{v}
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// jsonUUIDs reads a set of UUIDs.
func jsonUUIDs(v any) []string {
	var out []string
	for _, e := range jsonSet(v) {
		if a, ok := e.([]any); ok && len(a) == 2 {
			out = append(out, fmt.Sprint(a[1]))
		}
	}
	return out
}

// jsonStrings reads a set of strings.
func jsonStrings(v any) []string {
	var out []string
	for _, e := range jsonSet(v) {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// jsonMap reads an OVSDB string map in JSON: ["map", [[k, v], ...]].
func jsonMap(v any) map[string]string {
	out := map[string]string{}
	a, ok := v.([]any)
	if !ok || len(a) != 2 || a[0] != "map" {
		return out
	}
	pairs, _ := a[1].([]any)
	for _, p := range pairs {
		if kv, ok := p.([]any); ok && len(kv) == 2 {
			out[fmt.Sprint(kv[0])] = fmt.Sprint(kv[1])
		}
	}
	return out
}

func strMap(m map[string]string) ovsdb.OvsMap {
	g := make(map[any]any, len(m))
	for k, v := range m {
		g[k] = v
	}
	return ovsdb.OvsMap{GoMap: g}
}

func strSet(ss []string) ovsdb.OvsSet {
	g := make([]any, len(ss))
	for i, s := range ss {
		g[i] = s
	}
	return ovsdb.OvsSet{GoSet: g}
}

// floorOps derives the SB rows northd's cold start writes from the raw NB
// rows, with no validation: the rows' count and shape, not their policy.
func floorOps(nb rawRows, chassis map[string]string) ([]ovsdb.Operation, map[string]int) {
	var ops []ovsdb.Operation
	rows := map[string]int{}
	insert := func(table, name string, row ovsdb.Row) {
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: table, UUIDName: name, Row: row})
		rows[table]++
	}
	lrpRouter := map[string]string{} // LRP UUID → router UUID
	key := 0
	for u, r := range nb["Logical_Router"] {
		if jsonMap(r.New["options"])["distributed"] == "false" {
			continue
		}
		for _, p := range jsonUUIDs(r.New["ports"]) {
			lrpRouter[p] = u
		}
		key++
		insert("Datapath_Binding", "", ovsdb.Row{"tunnel_key": key,
			"external_ids": strMap(map[string]string{"name": fmt.Sprint(r.New["name"]), "logical-router": u})})
	}
	lrpByName := map[string]string{}
	for u, r := range nb["Logical_Router_Port"] {
		lrpByName[fmt.Sprint(r.New["name"])] = u
	}
	n := 0
	for u, r := range nb["Logical_Switch"] {
		key++
		n++
		dp := fmt.Sprintf("dp%d", n)
		insert("Datapath_Binding", dp, ovsdb.Row{"tunnel_key": key,
			"external_ids": strMap(map[string]string{"name": fmt.Sprint(r.New["name"]), "logical-switch": u})})
		pkey := 0
		for _, pu := range jsonUUIDs(r.New["ports"]) {
			p := nb["Logical_Switch_Port"][pu].New
			if p == nil {
				continue
			}
			pkey++
			row := ovsdb.Row{"datapath": ovsdb.UUID{GoUUID: dp}, "tunnel_key": pkey}
			switch fmt.Sprint(p["type"]) {
			case "":
				row["logical_port"] = fmt.Sprint(p["name"])
				row["type"] = ""
				row["mac"] = strSet(jsonStrings(p["addresses"]))
			case "router":
				lrpName := jsonMap(p["options"])["router-port"]
				lu := lrpByName[lrpName]
				lrp := nb["Logical_Router_Port"][lu].New
				lr := nb["Logical_Router"][lrpRouter[lu]].New
				if lrp == nil || lr == nil {
					pkey--
					continue
				}
				row["logical_port"] = lrpName
				row["type"] = "distributed-router-interface"
				row["mac"] = strSet([]string{fmt.Sprint(lrp["mac"]) + " " + strings.Join(jsonStrings(lrp["networks"]), " ")})
				row["options"] = strMap(map[string]string{"router": fmt.Sprint(lr["name"])})
				row["external_ids"] = strMap(map[string]string{"logical-router-port": lu, "logical-router": lrpRouter[lu]})
			default:
				pkey--
				continue
			}
			insert("Port_Binding", "", row)
		}
	}
	i := 0
	for name := range chassis {
		i++
		insert("DVR_MAC_Binding", "", ovsdb.Row{"chassis_name": name,
			"mac": fmt.Sprintf("fa:16:3f:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i))})
	}
	return ops, rows
}

func readSelfMemory() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%d kB", &kb)
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM")
}

// measureFloor runs the floor process (this program, "floor") against nb
// and a fresh SB.
func measureFloor(nbEP, sbEP string, sbMonitor bool) (floorResult, error) {
	self, err := os.Executable()
	if err != nil {
		return floorResult{}, err
	}
	args := []string{"floor", "-nb", nbEP, "-sb", sbEP}
	if sbMonitor {
		args = append(args, "-sb-monitor")
	}
	cmd := exec.Command(self, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return floorResult{}, fmt.Errorf("floor: %v: %s", err, stderr.String())
	}
	var r floorResult
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("floor output %q: %w", out, err)
	}
	return r, nil
}
