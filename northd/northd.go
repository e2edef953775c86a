package northd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbmon"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// Config is dvr-northd's configuration.
type Config struct {
	NB, SB ovsdbconn.Config
	// BaseMAC overrides NB_Global.options:dvr_base_mac when set.
	BaseMAC string
	// LockName is the OVSDB lock that elects the active instance.
	LockName string
	// InstanceID names this instance in the epoch (default: host:pid:random).
	InstanceID string
	// Echo is the watchdog period of the monitors (default 5 s).
	Echo time.Duration
	Log  *logrus.Logger
	// Metrics, when set, receives round statistics.
	Metrics *Metrics
}

// Northd is one dvr-northd instance.
type Northd struct {
	cfg   Config
	log   *logrus.Entry
	wake  chan struct{}
	nbMon *ovsdbmon.Monitor
	sbMon *ovsdbmon.Monitor
	sbw   *writer
	nbw   *writer

	active    atomic.Bool
	epoch     string
	pendingSB int // our last SB seq, to see in the SB monitor before the next round
	pendingNB int
	problems  map[translate.Problem]bool
	retryAt   time.Time
	// waitingSince is when rounds started waiting for the monitors to show
	// our last write (zero when they show it).
	waitingSince time.Time
	changes      *changes
	state        *translate.State // nil until the first full round
	gens         [2]int           // monitor generations the state was built from
	ix           indexes
	models       modelCache
	stats        Stats
	// failed counts the rounds in a row that did not commit; while it is
	// not zero SB (or NB's status columns) may differ from what northd
	// computed, and the next round recomputes everything.
	failed int
}

// Stats are counters for tests and logs.
type Stats struct {
	Rounds            atomic.Int64 // rounds that computed a diff
	FullRounds        atomic.Int64
	IncrementalRounds atomic.Int64
	SBTxns            atomic.Int64 // SB transactions committed
	NBTxns            atomic.Int64
	Activations       atomic.Int64
	FailedRounds      atomic.Int64 // rounds that returned an error
	Drift             atomic.Int64 // northd-owned values other writers changed, found and repaired
}

// New builds an instance; Run starts it.
func New(cfg Config) (*Northd, error) {
	if cfg.Log == nil {
		cfg.Log = logrus.New()
	}
	if cfg.LockName == "" {
		cfg.LockName = "dvr_northd"
	}
	if cfg.InstanceID == "" {
		host, _ := os.Hostname()
		cfg.InstanceID = fmt.Sprintf("%s.%d.%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	if cfg.Echo == 0 {
		cfg.Echo = 5 * time.Second
	}
	n := &Northd{cfg: cfg, log: cfg.Log.WithField("instance", cfg.InstanceID), wake: make(chan struct{}, 1),
		problems: map[translate.Problem]bool{}, changes: newChanges()}
	nbModel, err := nbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	sbModel, err := sbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	n.nbMon = ovsdbmon.New(ovsdbmon.Config{Conn: readOnly(cfg.NB), Model: nbModel, Tables: NBTables,
		Log: n.log.WithField("db", "nb"), Poke: n.poke, Event: n.changes.nbEvent, Echo: cfg.Echo})
	n.sbMon = ovsdbmon.New(ovsdbmon.Config{Conn: readOnly(cfg.SB), Model: sbModel, Tables: SBTables,
		Log: n.log.WithField("db", "sb"), Poke: n.poke, Event: n.changes.sbEvent, Echo: cfg.Echo})
	for _, w := range []struct {
		dst  **writer
		c    ovsdbconn.Config
		db   string
		lock string
	}{{&n.sbw, cfg.SB, sbDatabase, cfg.LockName}, {&n.nbw, cfg.NB, nbDatabase, ""}} {
		eps, err := ovsdbrpc.ParseEndpoints(w.c.Endpoints)
		if err != nil {
			return nil, err
		}
		tc, err := ovsdbrpc.TLSFor(eps, w.c.PrivateKey, w.c.Certificate, w.c.CACert)
		if err != nil {
			return nil, err
		}
		*w.dst = &writer{db: w.db, endpoints: eps, tls: tc, lock: w.lock, poke: n.poke}
	}
	return n, nil
}

// readOnly: monitors need no leader; reads may come from any member.
func readOnly(c ovsdbconn.Config) ovsdbconn.Config {
	c.LeaderOnly = false
	return c
}

// NBTables is the NB monitor of dvr-northd: only the columns it reads.
func NBTables(c client.Client) []client.MonitorOption {
	g, ls, lsp, lr, lrp := &nbdb.NBGlobal{}, &nbdb.LogicalSwitch{}, &nbdb.LogicalSwitchPort{}, &nbdb.LogicalRouter{}, &nbdb.LogicalRouterPort{}
	return []client.MonitorOption{
		client.WithTable(g, &g.NbCfg, &g.SbCfg, &g.HvCfg, &g.Options, &g.ExternalIDs),
		client.WithTable(ls, &ls.Name, &ls.Ports),
		client.WithTable(lsp, &lsp.Name, &lsp.Type, &lsp.Addresses, &lsp.Options, &lsp.Up),
		client.WithTable(lr, &lr.Name, &lr.Ports, &lr.Options),
		client.WithTable(lrp, &lrp.Name, &lrp.MAC, &lrp.Networks, &lrp.Peer),
	}
}

// SBTables is the SB monitor of dvr-northd: only the columns it reads.
func SBTables(c client.Client) []client.MonitorOption {
	g, ch, cp, en := &sbdb.SBGlobal{}, &sbdb.Chassis{}, &sbdb.ChassisPrivate{}, &sbdb.Encap{}
	dp, pb, mac, rb := &sbdb.DatapathBinding{}, &sbdb.PortBinding{}, &sbdb.DVRMACBinding{}, &sbdb.DVRRouterBinding{}
	cl, role, perm := &sbdb.DVRPortClaim{}, &sbdb.RBACRole{}, &sbdb.RBACPermission{}
	return []client.MonitorOption{
		client.WithTable(g, &g.NbCfg, &g.ExternalIDs),
		client.WithTable(ch, &ch.Name, &ch.Encaps, &ch.OtherConfig),
		client.WithTable(en, &en.Type, &en.IP),
		client.WithTable(cp, &cp.Name, &cp.NbCfg, &cp.NbCfgTimestamp),
		client.WithTable(dp, &dp.TunnelKey, &dp.ExternalIDs),
		client.WithTable(pb, &pb.LogicalPort, &pb.Type, &pb.Datapath, &pb.TunnelKey, &pb.MAC, &pb.Options, &pb.ExternalIDs, &pb.Chassis, &pb.Up),
		client.WithTable(mac, &mac.ChassisName, &mac.MAC),
		client.WithTable(rb, &rb.Datapath, &rb.ChassisName),
		client.WithTable(cl, &cl.LogicalPort, &cl.ChassisName, &cl.Up),
		client.WithTable(role, &role.Name, &role.Permissions),
		client.WithTable(perm, &perm.Table, &perm.Authorization, &perm.InsertDelete, &perm.Update),
	}
}

func (n *Northd) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Active reports whether this instance is the one writing.
func (n *Northd) Active() bool { return n.active.Load() }

// Stats returns the instance's counters.
func (n *Northd) Stats() *Stats { return &n.stats }

// Run runs until ctx ends. It never returns early on database errors: it
// reconnects with backoff.
func (n *Northd) Run(ctx context.Context) error {
	go n.nbMon.Run(ctx)
	go n.sbMon.Run(ctx)
	defer n.sbw.close()
	defer n.nbw.close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n.log.Info("dvr-northd started: waiting for the databases and the lock")
	for {
		select {
		case <-ctx.Done():
			if n.active.Load() {
				n.log.Info("stopping: releasing the lock")
			}
			return nil
		case <-n.wake:
		case <-tick.C:
			n.checkLeader(ctx)
		}
		n.step(ctx)
	}
}

// checkLeader drops the SB session when its server is no longer the RAFT
// leader (locks are per server), so the next step redials the leader.
func (n *Northd) checkLeader(ctx context.Context) {
	for _, w := range []*writer{n.sbw, n.nbw} {
		w.mu.Lock()
		c := w.conn
		w.mu.Unlock()
		if c == nil || c.Err() != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := c.IsLeader(cctx, w.db)
		cancel()
		if err != nil || !ok {
			n.log.WithField("db", w.db).WithField("endpoint", c.Endpoint).Info("session is not on the leader any more; redialing")
			w.drop(c)
			if w == n.sbw {
				n.standby("left the SB leader")
			}
		}
	}
}

func (n *Northd) standby(why string) {
	if n.active.Swap(false) {
		n.log.WithField("reason", why).Warn("now on standby")
		n.cfg.Metrics.setActive(false)
	}
}

// step runs the HA state machine and, when active and the views are
// current, one round.
func (n *Northd) step(ctx context.Context) {
	if time.Now().Before(n.retryAt) {
		return
	}
	nbc, _ := n.nbMon.Get()
	sbc, _ := n.sbMon.Get()
	if nbc == nil || sbc == nil {
		return
	}
	if _, err := n.sbw.session(ctx); err != nil {
		n.standby("no SB session")
		n.backoff(err, "SB session")
		return
	}
	if !n.sbw.hasLock() {
		n.standby("lock not held")
		return
	}
	if !n.active.Load() {
		if err := n.activate(ctx); err != nil {
			// Usually a race on the global rows (ovn-sbctl and ovn-nbctl
			// create them too): retry soon.
			n.backoffFor(err, "activation", 100*time.Millisecond)
			return
		}
	}
	if err := n.round(ctx, nbc, sbc); err != nil {
		n.roundFailed(err)
		var te *txnError
		if errors.As(err, &te) && te.fenced {
			n.sbw.close()
			n.standby(te.msg)
			return
		}
		n.backoffFor(err, "round", retryDelay(n.failed))
		return
	}
	if n.failed > 0 && n.state != nil { // a full round has committed since
		n.log.WithField("failed_rounds", n.failed).Info("SB is again what northd computed: a full round committed after the failures")
		n.failed = 0
		n.cfg.Metrics.setOutOfSync(false)
	}
}

// roundFailed is the one place a round's failure is handled, whatever
// its cause (an I/O error or constraint violation at the server, a
// timeout, a lost connection mid-commit, a fence): the State and the
// changes the round took may describe writes that never landed, so they
// are dropped and the next round re-reads both views and recomputes
// everything. Until one commits, sb_cfg cannot advance (it is written
// only after an SB commit of the round that carries nb_cfg), and the
// dvr_northd_sb_out_of_sync gauge is 1.
func (n *Northd) roundFailed(err error) {
	n.state = nil
	n.changes.needFull("the last round failed: " + err.Error())
	n.failed++
	n.stats.FailedRounds.Add(1)
	n.cfg.Metrics.setOutOfSync(true)
	if n.failed == 1 {
		n.log.WithError(err).Warn("SB may not be what northd computed (a commit did not land): the next round recomputes everything")
	}
}

// retryDelay backs off after consecutive failed rounds: 1 s, 2 s, 4 s,
// then every 8 s, so a full disk does not turn into a full recompute a
// second at 100k ports.
func retryDelay(failed int) time.Duration {
	d := time.Second
	for i := 1; i < failed && d < 8*time.Second; i++ {
		d *= 2
	}
	return d
}

func (n *Northd) backoff(err error, what string) { n.backoffFor(err, what, time.Second) }

func (n *Northd) backoffFor(err error, what string, d time.Duration) {
	n.log.WithError(err).Warnf("%s failed; retrying in %v", what, d)
	n.retryAt = time.Now().Add(d)
	time.AfterFunc(d, n.poke)
}

// activate bumps the epoch in SB then NB, each waiting on what it read.
func (n *Northd) activate(ctx context.Context) error {
	sc, err := n.sbw.session(ctx)
	if err != nil {
		return err
	}
	nc, err := n.nbw.session(ctx)
	if err != nil {
		return err
	}
	sg, err := readGlobal(ctx, sc, sbDatabase, sbdb.SBGlobalTable)
	if err != nil {
		return err
	}
	ng, err := readGlobal(ctx, nc, nbDatabase, nbdb.NBGlobalTable)
	if err != nil {
		return err
	}
	e := 0
	for _, g := range []*globalRow{sg, ng} {
		if g != nil {
			e = max(e, epochOf(g.ids[sbkeys.KeyEpoch]))
		}
	}
	epoch := fmt.Sprintf("%d:%s", e+1, n.cfg.InstanceID)
	sops := append([]ovsdb.Operation{{Op: ovsdb.OperationAssert, Lock: &n.cfg.LockName}}, bumpOps(sbdb.SBGlobalTable, sg, epoch)...)
	if err := checked(sc.Transact(ctx, sbDatabase, sops...)); err != nil {
		return fmt.Errorf("SB epoch bump: %w", err)
	}
	if err := checked(nc.Transact(ctx, nbDatabase, bumpOps(nbdb.NBGlobalTable, ng, epoch)...)); err != nil {
		return fmt.Errorf("NB epoch bump: %w", err)
	}
	n.epoch = epoch
	n.pendingSB, n.pendingNB = 0, 0
	n.state = nil // a new active instance starts with a full recompute
	n.active.Store(true)
	n.stats.Activations.Add(1)
	n.cfg.Metrics.setActive(true)
	n.log.WithField("epoch", epoch).Info("lock acquired: this dvr-northd instance is now active")
	return nil
}

func checked(res []ovsdb.OperationResult, err error) error { return ovsdbrpc.Checked(res, err) }

// current reports whether a monitor's view shows our epoch and last write.
func (n *Northd) current(ids map[string]string, pending int) bool {
	if ids[sbkeys.KeyEpoch] != n.epoch {
		return false
	}
	seq, _ := strconv.Atoi(ids[sbkeys.KeySeq])
	return seq >= pending
}

func dbModel(c client.Client, cm func() (model.ClientDBModel, error)) (model.DatabaseModel, error) {
	m, err := cm()
	if err != nil {
		return model.DatabaseModel{}, err
	}
	dbm, errs := model.NewDatabaseModel(c.Schema(), m)
	if len(errs) > 0 {
		return model.DatabaseModel{}, errs[0]
	}
	return dbm, nil
}
