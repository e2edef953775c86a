package nbctl

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// diagTimeout bounds the reads that explain a timed-out wait (the
// command's own deadline has passed by then).
const diagTimeout = 2 * time.Second

// keyEpoch is the NB_Global external_ids key dvr-northd bumps when an
// instance becomes active.
const keyEpoch = sbkeys.KeyEpoch

// sbDatabase is the SB database name.
const sbDatabase = "OVN_Southbound"

// Where the SB comes from: ovn-nbctl reads only NB and, on a timed-out
// wait, says only "timeout expired"; OVN's SB clients take the SB as
// --ovnsb-db or --db with $OVN_SB_DB. dvr-northd takes it as --sb with
// $DVR_SB_DB, so dvr-nbctl takes --sb-db with $DVR_SB_DB (as its --db
// takes $DVR_NB_DB): optional, and read only to explain a timed-out wait.

// gatherFacts reads what explainWait needs: NB_Global again on the
// command's session, and the SB when o.SBDB names it.
func gatherFacts(c *ovsdbrpc.Conn, o Options, cfg int, start, last cfgs) waitFacts {
	ctx, cancel := context.WithTimeout(context.Background(), diagTimeout)
	defer cancel()
	f := waitFacts{mode: o.Wait, cfg: cfg, start: start, last: last, now: time.Now()}
	res, err := c.Transact(ctx, nbDatabase, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: nbdb.NBGlobalTable,
		Columns: []string{"nb_cfg", "sb_cfg", "hv_cfg", "sb_cfg_timestamp", "external_ids"}})
	if err == nil && len(res) == 1 && len(res[0].Rows) == 1 {
		r := res[0].Rows[0]
		f.last.NbCfg = max(f.last.NbCfg, intOf(r["nb_cfg"]))
		f.last.SbCfg = max(f.last.SbCfg, intOf(r["sb_cfg"]))
		f.last.HvCfg = max(f.last.HvCfg, intOf(r["hv_cfg"]))
		if ms := intOf(r["sb_cfg_timestamp"]); ms > 0 {
			f.sbCfgAt = time.UnixMilli(int64(ms))
		}
		f.epoch = stringMap(r["external_ids"])[keyEpoch]
	}
	if o.SBDB != "" {
		f.sb = readSB(ctx, o, cfg)
	}
	return f
}

// readSB probes northd's lock and reads the chassis' nb_cfg from the SB
// leader (locks are per server; dvr-northd takes its lock on the leader).
func readSB(ctx context.Context, o Options, cfg int) sbFacts {
	s := sbFacts{given: true}
	eps, err := ovsdbrpc.ParseEndpoints(o.SBDB)
	if err != nil {
		s.err = err
		return s
	}
	tc, err := ovsdbrpc.TLSFor(eps, o.PrivateKey, o.Certificate, o.CACert)
	if err != nil {
		s.err = err
		return s
	}
	c, err := ovsdbrpc.DialLeader(ctx, eps, sbDatabase, tc, nil)
	if err != nil {
		s.err = err
		return s
	}
	defer c.Close()
	s.endpoint = c.Endpoint
	s.locked, s.lockErr = lockHeld(ctx, c)
	res, err := c.Transact(ctx, sbDatabase,
		ovsdb.Operation{Op: ovsdb.OperationSelect, Table: sbdb.ChassisTable, Columns: []string{"name", "other_config"}},
		ovsdb.Operation{Op: ovsdb.OperationSelect, Table: sbdb.ChassisPrivateTable, Columns: []string{"name", "nb_cfg"}})
	if err == nil && len(res) == 2 && res[0].Error != "" {
		err = fmt.Errorf("%s", res[0].Error)
	} else if err == nil && len(res) == 2 && res[1].Error != "" {
		err = fmt.Errorf("%s", res[1].Error)
	} else if err == nil && len(res) != 2 {
		err = fmt.Errorf("%d results for 2 operations", len(res))
	}
	if err != nil {
		s.err = fmt.Errorf("%s: reading chassis: %v", c.Endpoint, strings.TrimPrefix(err.Error(), c.Endpoint+": "))
		return s
	}
	var chassis, private []map[string]any
	for _, r := range res[0].Rows {
		chassis = append(chassis, r)
	}
	for _, r := range res[1].Rows {
		private = append(private, r)
	}
	s.behind = chassisBehind(chassis, private, cfg)
	return s
}

// lockHeld asks for northd's lock and gives it back at once: granted means
// nobody held it. A northd that asks in between is queued and granted the
// lock on our unlock, a round trip later; one already waiting stays ahead
// of us.
func lockHeld(ctx context.Context, c *ovsdbrpc.Conn) (bool, error) {
	var reply struct {
		Locked bool `json:"locked"`
	}
	if err := c.Call(ctx, "lock", []any{northdLock}, &reply); err != nil {
		return false, err
	}
	if err := c.Call(ctx, "unlock", []any{northdLock}, nil); err != nil {
		return false, err
	}
	return !reply.Locked, nil
}

// chassisBehind lists, lowest nb_cfg first, the chassis that count for
// hv_cfg (as dvr-northd counts them: registered, not is-remote, with a
// Chassis_Private row) and report an nb_cfg below cfg.
func chassisBehind(chassis, private []map[string]any, cfg int) []chassisCfg {
	registered := map[string]bool{}
	for _, r := range chassis {
		name, _ := r["name"].(string)
		if stringMap(r["other_config"])["is-remote"] != "true" {
			registered[name] = true
		}
	}
	var out []chassisCfg
	for _, r := range private {
		name, _ := r["name"].(string)
		if n := intOf(r["nb_cfg"]); registered[name] && n < cfg {
			out = append(out, chassisCfg{name: name, nbCfg: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].nbCfg != out[j].nbCfg {
			return out[i].nbCfg < out[j].nbCfg
		}
		return out[i].name < out[j].name
	})
	return out
}

// intOf is an OVSDB integer as decoded from JSON.
func intOf(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// stringMap is an OVSDB string map as decoded by libovsdb.
func stringMap(v any) map[string]string {
	out := map[string]string{}
	if m, ok := v.(ovsdb.OvsMap); ok {
		for k, val := range m.GoMap {
			ks, _ := k.(string)
			vs, _ := val.(string)
			out[ks] = vs
		}
	}
	return out
}
