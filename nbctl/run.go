package nbctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Options are dvr-nbctl's global options.
type Options struct {
	DB          string
	SBDB        string // optional: SB endpoint(s), read only to explain a timed-out --wait
	PrivateKey  string
	Certificate string
	CACert      string
	Timeout     time.Duration // 0: no limit (a connection attempt still gives up)
	Wait        string        // none, sb or hv
	Format      string        // table or json
	Stdout      io.Writer
}

// connectTimeout bounds connecting when no --timeout is given, so that an
// unreachable database is an error, never a hang.
const connectTimeout = 10 * time.Second

// maxAttempts bounds re-runs after failed waits (other clients' changes).
const maxAttempts = 200

// Run executes a command chain (the arguments after the global options).
func Run(ctx context.Context, o Options, chain []string) error {
	ctx, cancel, o, invs, err := prepare(ctx, o, chain)
	if err != nil {
		return err
	}
	defer cancel()
	w := newWatcher()
	c, dbm, err := connect(ctx, o, w.notify)
	if err != nil {
		return err
	}
	defer c.Close()
	out, cfg, waitNeeded, err := runChain(ctx, nbDB{c}, dbm, o.Wait, invs)
	if err != nil {
		return timeoutErr(ctx, err)
	}
	if err := print(o, out); err != nil {
		return err
	}
	if waitNeeded {
		redial := func(ctx context.Context) (*ovsdbrpc.Conn, error) {
			nc, _, err := connect(ctx, o, w.notify)
			return nc, err
		}
		return timeoutErr(ctx, w.wait(ctx, c, o, cfg, redial))
	}
	return nil
}

// checkOptions validates the global options a chain runs with.
// prepare is what every run does before it reaches a database: check the
// options, parse the chain, and bound the whole run by --timeout.
func prepare(ctx context.Context, o Options, chain []string) (context.Context, context.CancelFunc, Options, []invocation, error) {
	if err := checkOptions(o); err != nil {
		return ctx, func() {}, o, nil, err
	}
	if o.Wait == "" {
		o.Wait = "none"
	}
	invs, err := parseChain(chain)
	if err != nil {
		return ctx, func() {}, o, nil, err
	}
	cancel := context.CancelFunc(func() {})
	if o.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	return ctx, cancel, o, invs, nil
}

func checkOptions(o Options) error {
	switch o.Wait {
	case "", "none", "sb", "hv":
	default:
		return fmt.Errorf("argument to --wait must be \"none\", \"sb\", or \"hv\" (got %q)", o.Wait)
	}
	switch o.Format {
	case "", "table", "json":
	default:
		return fmt.Errorf("unknown output format %q (use table or json)", o.Format)
	}
	if o.SBDB != "" {
		if _, err := ovsdbrpc.ParseEndpoints(o.SBDB); err != nil {
			return fmt.Errorf("--sb-db: %w", err)
		}
	}
	return nil
}

// runChain runs the chain on fresh reads and commits it, again and again
// while other clients' changes make a wait fail.
func runChain(ctx context.Context, db DB, dbm model.DatabaseModel, wait string, invs []invocation) ([]result, int, bool, error) {
	for attempt := 1; ; attempt++ {
		t := newTxn(ctx, db, dbm)
		var out []result
		for _, inv := range invs {
			if err := inv.cmd.run(&cmdCtx{t: t, args: inv.args, opts: inv.opts, out: &out}); err != nil {
				return nil, 0, false, err
			}
		}
		if err := t.validate(); err != nil {
			return nil, 0, false, err
		}
		cfg, waitNeeded, err := commit(t, wait, invs)
		if errors.Is(err, errRetry) && attempt < maxAttempts {
			time.Sleep(time.Duration(rand.IntN(1000*min(attempt, 20))) * time.Microsecond)
			continue
		}
		return out, cfg, waitNeeded, err
	}
}

func timeoutErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("timeout expired: %w", err)
	}
	return err
}

// nbDB adapts a session to the DB interface for database OVN_Northbound.
type nbDB struct{ c *ovsdbrpc.Conn }

func (d nbDB) Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	return d.c.Transact(ctx, nbDatabase, ops...)
}

func (d nbDB) TransactJSON(ctx context.Context, ops []json.RawMessage) (json.RawMessage, error) {
	return d.c.TransactJSON(ctx, nbDatabase, ops)
}

// connect opens a session to the leader of the NB (a one-shot command
// needs no cache: one get_schema and one _Server check).
func connect(ctx context.Context, o Options, notify func(string, json.RawMessage)) (*ovsdbrpc.Conn, model.DatabaseModel, error) {
	fail := func(ep string, err error) (*ovsdbrpc.Conn, model.DatabaseModel, error) {
		return nil, model.DatabaseModel{}, connFailed(ep, err)
	}
	eps, err := ovsdbrpc.ParseEndpoints(o.DB)
	if err != nil {
		return nil, model.DatabaseModel{}, err
	}
	tc, err := ovsdbrpc.TLSFor(eps, o.PrivateKey, o.Certificate, o.CACert)
	if err != nil {
		return nil, model.DatabaseModel{}, err
	}

	cctx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	c, err := ovsdbrpc.DialLeaderWait(cctx, eps, nbDatabase, tc, notify)
	if err != nil {
		return fail(o.DB, err)
	}
	schema, err := c.GetSchema(cctx, nbDatabase)
	if err != nil {
		c.Close()
		return fail(c.Endpoint, err)
	}
	cm, err := nbdb.FullDatabaseModel()
	if err != nil {
		c.Close()
		return nil, model.DatabaseModel{}, err
	}
	dbm, errs := model.NewDatabaseModel(*schema, cm)
	if len(errs) > 0 {
		c.Close()
		return nil, model.DatabaseModel{}, fmt.Errorf("%s: not a usable OVN_Northbound database: %v", c.Endpoint, errs[0])
	}
	return c, dbm, nil
}

// commit sends the staged changes, preceded by the waits, in one
// transaction. It returns the nb_cfg to wait for when --wait applies.
func commit(t *txn, wait string, invs []invocation) (int, bool, error) {
	writes, err := t.writes()
	if err != nil {
		return 0, false, err
	}
	waitNeeded := wait != "none" && (len(writes) > 0 || t.forceWait)
	if len(writes) == 0 && !waitNeeded {
		return 0, false, nil
	}
	var cfgOps []ovsdb.Operation
	cfg := 0
	if waitNeeded {
		g, err := t.nbGlobal(true)
		if err != nil {
			return 0, false, err
		}
		if g.created {
			m := g.m.(*nbdb.NBGlobal)
			m.NbCfg = 1
			cfg = 1
		} else {
			where := []ovsdb.Condition{ovsdbops.UUIDCond(g.uuid)}
			cfgOps = []ovsdb.Operation{
				{Op: ovsdb.OperationMutate, Table: nbdb.NBGlobalTable, Where: where,
					Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("nb_cfg", ovsdb.MutateOperationAdd, 1)}},
				{Op: ovsdb.OperationSelect, Table: nbdb.NBGlobalTable, Where: where, Columns: []string{"nb_cfg"}},
			}
		}
		if writes, err = t.writes(); err != nil {
			return 0, false, err
		}
	}
	var cb strings.Builder
	cb.WriteString("dvr-nbctl:")
	for i, inv := range invs {
		if i > 0 {
			cb.WriteString(" --")
		}
		cb.WriteString(" " + inv.String())
	}
	comment := cb.String()
	ops := make([]json.RawMessage, 0, len(t.waits)+len(t.rawWaits)+len(writes)+len(cfgOps)+1)
	encode := func(group []ovsdb.Operation) error {
		for _, op := range group {
			b, err := ovsdbrpc.EncodeOp(op)
			if err != nil {
				return err
			}
			ops = append(ops, b)
		}
		return nil
	}
	if err := encode(t.waits); err != nil {
		return 0, false, err
	}
	for _, w := range t.rawWaits {
		ops = append(ops, w)
	}
	for _, group := range [][]ovsdb.Operation{writes, cfgOps, {{Op: ovsdb.OperationComment, Comment: &comment}}} {
		if err := encode(group); err != nil {
			return 0, false, err
		}
	}
	reply, err := t.db.TransactJSON(t.ctx, ops)
	if err != nil {
		return 0, false, fmt.Errorf("transaction failed: %w", err)
	}
	res, err := decodeResults(reply)
	if err != nil {
		return 0, false, fmt.Errorf("transaction failed: reply: %w", err)
	}
	if e := firstError(res, len(ops)); e != nil {
		return 0, false, t.explain(e)
	}
	if len(cfgOps) > 0 {
		rows := res[len(ops)-2].Rows
		if len(rows) != 1 {
			return 0, false, errRetry // NB_Global vanished meanwhile
		}
		switch v := rows[0]["nb_cfg"].(type) {
		case float64: // JSON numbers decode as float64
			cfg = int(v)
		case int:
			cfg = v
		default:
			return 0, false, fmt.Errorf("unexpected nb_cfg value %v", v)
		}
	}
	return cfg, waitNeeded, nil
}

// decodeResults decodes a transact reply; the empty results of thousands
// of waits are not worth encoding/json's time.
func decodeResults(reply []byte) ([]ovsdb.OperationResult, error) {
	var res []ovsdb.OperationResult
	err := eachElem(reply, func(e []byte) error {
		var r ovsdb.OperationResult
		if string(e) != "{}" {
			if err := json.Unmarshal(e, &r); err != nil {
				return err
			}
		}
		res = append(res, r)
		return nil
	})
	return res, err
}

// explain turns a failed transaction into the user's error.
func (t *txn) explain(e *ovsdbrpc.OpError) error {
	switch {
	case e.Index >= 0 && e.Index < len(t.waits)+len(t.rawWaits) && e.Err == "timed out":
		return errRetry
	case e.IsIndexViolation(nbdb.LogicalSwitchPortTable), e.IsIndexViolation(nbdb.LogicalRouterPortTable):
		return t.duplicateName()
	case e.Err == "constraint violation" && strings.Contains(e.Details, nbdb.NBGlobalTable):
		return errRetry // two first-time inits raced on NB_Global's single row
	}
	return fmt.Errorf("transaction failed: %v", e)
}

// duplicateName finds which created port name the server already has.
func (t *txn) duplicateName() error {
	for _, r := range t.created {
		if r.deleted || (r.table != nbdb.LogicalSwitchPortTable && r.table != nbdb.LogicalRouterPortTable) {
			continue
		}
		res, err := t.db.Transact(t.ctx, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: r.table,
			Where: []ovsdb.Condition{nameCond(nameOf(r))}, Columns: []string{"_uuid"}})
		if err == nil && len(res) == 1 && len(res[0].Rows) > 0 {
			return fmt.Errorf("%s: a port with this name already exists", nameOf(r))
		}
	}
	return errRetry
}

// print writes the commands' output: text, or one JSON document per
// command that printed something.
func print(o Options, out []result) error {
	w := o.Stdout
	if w == nil {
		return nil
	}
	for _, r := range out {
		if o.Format == "json" {
			b, err := json.Marshal(r.data)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
				return err
			}
			continue
		}
		if _, err := io.WriteString(w, r.text); err != nil {
			return err
		}
	}
	return nil
}

// nbDatabase is the NB database name (the schema's name).
const nbDatabase = "OVN_Northbound"
