package fixtures

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
)

// DefaultChunkRows is the number of rows Load inserts per transaction.
const DefaultChunkRows = 5000

// Connect returns a libovsdb client of the NB model connected to endpoint, a
// comma list of OVSDB remotes (unix:PATH, tcp:HOST:PORT, ssl:HOST:PORT; pass
// client.WithTLSConfig in opts for ssl). It logs nothing (libovsdb without a
// logger turns global verbosity to maximum) and does not reconnect: the
// helpers here are one-shot. The caller closes it.
func Connect(ctx context.Context, endpoint string, opts ...client.Option) (client.Client, error) {
	dbModel, err := nbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	logger := logr.Discard()
	o := []client.Option{client.WithLogger(&logger)}
	for _, ep := range strings.Split(endpoint, ",") {
		if ep = strings.TrimSpace(ep); ep != "" {
			o = append(o, client.WithEndpoint(ep))
		}
	}
	c, err := client.NewOVSDBClient(dbModel, append(o, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("NB client for %s: %w", endpoint, err)
	}
	if err := c.Connect(ctx); err != nil {
		return nil, fmt.Errorf("connect to NB %s: %w", endpoint, err)
	}
	return c, nil
}

// InsertOps renders the topology as insert operations of c's typed API, in
// transactions of at most chunkRows rows (DefaultChunkRows if <= 0) unless
// one unit is larger. A unit is never split: a Logical_Router is inserted
// together with its Logical_Router_Ports, and a Logical_Switch with its
// ports, each container's "ports" column set in its own insert through named
// UUIDs (NamedUUID), so no transaction needs a mutate or a prior result.
// c must be connected (libovsdb maps models with the server's schema).
func InsertOps(c client.Client, t Topology, chunkRows int) ([][]ovsdb.Operation, error) {
	if chunkRows <= 0 {
		chunkRows = DefaultChunkRows
	}
	rows := t.NBRows()
	var (
		chunks [][]ovsdb.Operation
		cur    []ovsdb.Operation
	)
	emit := func(models []model.Model) error {
		if len(cur) > 0 && len(cur)+len(models) > chunkRows {
			chunks = append(chunks, cur)
			cur = nil
		}
		ops, err := c.Create(models...)
		if err != nil {
			return err
		}
		cur = append(cur, ops...)
		return nil
	}
	lrps := rows.RouterPorts
	lsps := rows.SwitchPorts
	sws := rows.Switches
	for ri, r := range t.Routers {
		unit := []model.Model{rows.Routers[ri]}
		for range r.Subnets {
			unit = append(unit, lrps[0])
			lrps = lrps[1:]
		}
		if err := emit(unit); err != nil {
			return nil, err
		}
		for _, s := range r.Subnets {
			unit := []model.Model{sws[0]}
			sws = sws[1:]
			for i := 0; i < 1+len(s.Ports); i++ {
				unit = append(unit, lsps[0])
				lsps = lsps[1:]
			}
			if err := emit(unit); err != nil {
				return nil, err
			}
		}
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks, nil
}

// Load inserts the topology into the NB c is connected to, in transactions
// of at most chunkRows rows (see InsertOps), after creating the NB_Global row
// if there is none (as `dvr-nbctl init` does). It stops at the first failed
// transaction; the chunks committed before it stay.
func Load(ctx context.Context, c client.Client, t Topology, chunkRows int) error {
	if err := EnsureNBGlobal(ctx, c); err != nil {
		return err
	}
	chunks, err := InsertOps(c, t, chunkRows)
	if err != nil {
		return err
	}
	for i, ops := range chunks {
		if err := transact(ctx, c, ops); err != nil {
			return fmt.Errorf("load chunk %d/%d (%d rows): %w", i+1, len(chunks), len(ops), err)
		}
	}
	return nil
}

// LoadNB connects to endpoint (see Connect), loads the topology (see Load)
// and disconnects.
func LoadNB(ctx context.Context, endpoint string, t Topology, chunkRows int, opts ...client.Option) error {
	c, err := Connect(ctx, endpoint, opts...)
	if err != nil {
		return err
	}
	defer c.Close()
	return Load(ctx, c, t, chunkRows)
}

// EnsureNBGlobal inserts an empty NB_Global row unless the table has one.
func EnsureNBGlobal(ctx context.Context, c client.Client) error {
	n, err := CountRows(ctx, c, nbdb.NBGlobalTable)
	if err != nil {
		return err
	}
	if n[nbdb.NBGlobalTable] > 0 {
		return nil
	}
	ops, err := c.Create(&nbdb.NBGlobal{UUID: "nb_global"})
	if err != nil {
		return err
	}
	return transact(ctx, c, ops)
}

// CountRows returns the number of rows of each table (by default the four
// topology tables and NB_Global), with one read-only transaction of selects
// of _uuid.
func CountRows(ctx context.Context, c client.Client, tables ...string) (map[string]int, error) {
	if len(tables) == 0 {
		tables = []string{nbdb.NBGlobalTable, nbdb.LogicalRouterTable, nbdb.LogicalRouterPortTable,
			nbdb.LogicalSwitchTable, nbdb.LogicalSwitchPortTable}
	}
	ops := make([]ovsdb.Operation, len(tables))
	for i, t := range tables {
		ops[i] = ovsdb.Operation{Op: ovsdb.OperationSelect, Table: t, Columns: []string{"_uuid"}}
	}
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return nil, err
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return nil, err
	}
	out := make(map[string]int, len(tables))
	for i, t := range tables {
		out[t] = len(res[i].Rows)
	}
	return out, nil
}

// ReadNB reads the four topology tables from endpoint with a client of its
// own (one monitor, closed on return), rows sorted by name.
func ReadNB(ctx context.Context, endpoint string, opts ...client.Option) (NBRows, error) {
	c, err := Connect(ctx, endpoint, opts...)
	if err != nil {
		return NBRows{}, err
	}
	defer c.Close()
	var (
		rows NBRows
		lr   nbdb.LogicalRouter
		lrp  nbdb.LogicalRouterPort
		ls   nbdb.LogicalSwitch
		lsp  nbdb.LogicalSwitchPort
	)
	if _, err := c.Monitor(ctx, c.NewMonitor(
		client.WithTable(&lr), client.WithTable(&lrp), client.WithTable(&ls), client.WithTable(&lsp))); err != nil {
		return NBRows{}, fmt.Errorf("monitor NB %s: %w", endpoint, err)
	}
	for _, l := range []any{&rows.Routers, &rows.RouterPorts, &rows.Switches, &rows.SwitchPorts} {
		if err := c.List(ctx, l); err != nil {
			return NBRows{}, err
		}
	}
	sort.Slice(rows.Routers, func(i, j int) bool { return rows.Routers[i].Name < rows.Routers[j].Name })
	sort.Slice(rows.RouterPorts, func(i, j int) bool { return rows.RouterPorts[i].Name < rows.RouterPorts[j].Name })
	sort.Slice(rows.Switches, func(i, j int) bool { return rows.Switches[i].Name < rows.Switches[j].Name })
	sort.Slice(rows.SwitchPorts, func(i, j int) bool { return rows.SwitchPorts[i].Name < rows.SwitchPorts[j].Name })
	return rows, nil
}

func transact(ctx context.Context, c client.Client, ops []ovsdb.Operation) error {
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	_, err = ovsdb.CheckOperationResults(res, ops)
	return err
}
